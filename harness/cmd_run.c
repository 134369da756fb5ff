/*
 * cmd_run.c - `leakbench run --scenario FILE`: carry out a scenario against an installed
 * program, store the run with its steps, judge its expectations, print the per-step table
 * and the verdict.
 *
 * Exit status: 0 every expectation holds (and every step did its work), 1 one does not
 * (named with its measured value and bound), 2 a usage or scenario error, 3 the measurement
 * could not be made.  The run is stored either way, so `leakbench show` can explain it.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/text.h"
#include "harness/cli.h"
#include "harness/cmd.h"
#include "harness/config.h"
#include "harness/measure.h"
#include "harness/runonce.h"
#include "harness/target.h"
#include "results/expect.h"
#include "runners/codebase.h"
#include "runners/session.h"
#include "scenarios/replay.h"
#include "scenarios/scenario.h"

/* A scenario that could not be had: said, and the exit status for it. */
static int scenario_error(const struct lb_error *err)
{
	cli_error("run", err);
	return err->code == LB_ENOMEM ? LB_EXIT_ERROR : LB_EXIT_USAGE;
}

/* --replay FILE: the recording as a scenario (its text kept for the run's folder). */
static int replayed_scenario(const char *replay, const char *codebase, double max_pause, struct scn_scenario **sc,
			     char **text)
{
	struct lb_error err = {0};
	struct replay_opts ro = {.codebase = codebase, .max_pause = max_pause};
	char abs_cb[PATH_MAX];
	if (codebase && !realpath(codebase, abs_cb)) {
		fprintf(stderr, "leakbench run: --codebase %s: no such directory\n", codebase);
		return LB_EXIT_USAGE;
	}
	ro.codebase = codebase ? abs_cb : NULL;
	if (replay_scenario(replay, &ro, text, &err) || scn_parse_string(sc, *text, replay, &err))
		return scenario_error(&err);
	return 0;
}

/* --target NAME --rev REV: that revision built (or its cached build taken), said so. */
static int built_target(const struct cfg *cfg, const char *target, const char *rev, const char *db,
			const struct cfg_target **t, struct rev_repo **repo, struct rev_commit *commit, struct store **st,
			struct target_build *tb)
{
	struct lb_error err = {0};
	if (!(*t = cfg_target(cfg, target, &err)) || target_open(repo, cfg, *t, rev ? rev : "HEAD", commit, &err)) {
		cli_error("run", &err);
		return err.code == LB_EINVAL ? LB_EXIT_USAGE : LB_EXIT_ERROR;
	}
	printf("target %s at %.12s (%s): building...\n", (*t)->name, commit->sha, commit->subject);
	fflush(stdout);
	if (store_open(st, db, &err) || target_build(cfg, *t, *repo, commit, *st, tb, &err)) {
		cli_error("run", &err);
		return LB_EXIT_ERROR;
	}
	if (!tb->build.ok) {
		fprintf(stderr, "leakbench run: target %s at %.12s does not build: %s (log: %s)\n", (*t)->name,
			commit->sha, tb->build.why ? tb->build.why : "?", tb->build.log);
		return LB_EXIT_ERROR;
	}
	printf("%s %s%s%s\n", tb->build.cached ? "cached build" : "built", tb->build.binary,
	       tb->same_as[0] ? "; byte-identical to the build of " : "", tb->same_as[0] ? tb->same_as : "");
	return 0;
}

/* --program, else the scenario's `program`; absolute when given as a path, since the program
 * runs in the codebase, where a relative path would change meaning.  NULL after saying so. */
static const char *program_of(const char *given, const struct scn_scenario *sc, char abs[PATH_MAX])
{
	const char *program = given ? given : sc->program;
	if (!program) {
		fprintf(stderr, "leakbench run: which program? give --program PATH (or a `program` line in %s)\n",
			sc->path);
		return NULL;
	}
	return strchr(program, '/') && realpath(program, abs) ? abs : program;
}

/* The scenario `repeat` times; the worst exit status of them.  leakbench's own trouble or
 * an interrupt stops the repeats. */
static int run_repeats(const struct scn_scenario *sc, struct run_once *once, int repeat)
{
	int code = LB_EXIT_OK;
	for (int i = 0; i < repeat; i++) {
		once->repeat_index = i;
		int c = run_scenario_once(sc, once);
		code = c > code ? c : code;
		if (c == LB_EXIT_INTR || c == LB_EXIT_ERROR || c == LB_EXIT_USAGE)
			break;
	}
	return code;
}

int cmd_run(int argc, char **argv)
{
	const char *db = NULL, *artifacts = NULL, *scenario = NULL, *program = NULL, *config = NULL;
	const char *replay = NULL, *codebase = NULL, *target = NULL, *rev = NULL;
	double max_pause = 5;
	int verbose = 0, repeat = 0;
	char *args = NULL, *replay_text = NULL;
	struct measure_cli mc;
	measure_defaults(&mc);
	const struct cli_option options[] = {
		{"scenario", CLI_STRING, &scenario, "FILE|NAME", "the scenario: a .scn file or a [scenario NAME] of the config"},
		{"replay", CLI_STRING, &replay, "FILE", "instead, replay an LSP session `leakbench record` wrote"},
		{"program", CLI_STRING, &program, "PATH", "the target (default: the scenario's `program`)"},
		{"target", CLI_STRING, &target, "NAME", "instead, build this [target NAME] of the config at --rev"},
		{"rev", CLI_STRING, &rev, "REV", "with --target: a branch, tag or commit (default HEAD)"},
		{"config", CLI_STRING, &config, "FILE", "with --target: the config (default leakbench.ini)"},
		{"repeat", CLI_INT, &repeat, "N", "runs of the scenario (default: the config's, else 1)"},
		{"args", CLI_APPEND, &args, "WORDS", "the target's fixed arguments (default: the target's or scenario's)"},
		{"codebase", CLI_STRING, &codebase, "DIR",
		 "with --replay: the tree the server sees (default: the recording's root)"},
		{"max-pause", CLI_DURATION, &max_pause, "DURATION",
		 "with --replay: the editor's pauses are cut to this (default 5s)"},
		OPT_DB_OF_CONFIG_IF_ANY(db),
		OPT_ARTIFACTS(artifacts),
		{"verbose", CLI_FLAG, &verbose, NULL, "a line per step as it starts"},
		MEASURE_OPTIONS(mc),
		OPT_END,
	};
	const struct cli_command cmd = {
		"run", "run (--scenario FILE|NAME | --replay FILE) [--program PATH | --target NAME --rev REV] [options]",
		"Carry out a scenario against a program, measure every step, judge its expectations.",
		"The codebase is made fresh in the run's artifact folder.  Each `run` step of an exec\n"
		"scenario is measured like `leakbench exec` with the codebase as its directory.\n"
		"--target NAME --rev REV builds that revision of a configured target first (or takes\n"
		"its cached build) and stores the runs with the revision.\n"
		"--replay turns a recorded LSP session into a scenario (kept as replay.scn in the\n"
		"run's folder) that re-sends the editor's messages, each after what the editor had\n"
		"seen before it: responses, the n-th diagnostics of a file, the n-th kick/done.\n"
		"Exit status: 0 every expectation holds, 1 one does not (or a step failed), 2 usage,\n"
		"scenario or config error, 3 the measurement (or the build) could not be made.",
		options, 0};
	int first, nargs, parsed = cli_parse(&cmd, argc, argv, &first, &nargs);
	if (parsed != CLI_GO_ON)
		return parsed;
	if (measure_check(&mc, "run")) {
		cli_free(&cmd);
		return LB_EXIT_USAGE;
	}
	int code = LB_EXIT_USAGE;
	struct scn_scenario *sc = NULL;
	struct lb_error err = {0};
	struct cfg *cfg = NULL;
	struct rev_repo *repo = NULL;
	struct rev_commit commit = {0};
	struct target_build tb = {0};
	struct store *st = NULL;
	char **fixed = NULL, *target_args = NULL;
	const char *why = nargs				  ? "unexpected argument"
			  : !scenario == !replay	  ? (replay ? "--scenario and --replay are two ways to say what to run: give one"
							     : "--scenario FILE (or --replay FILE) is required")
			  : codebase && !replay		  ? "--codebase goes with --replay (a scenario names its own)"
			  : target && program		  ? "--program and --target are two ways to say what to run: give one"
			  : (rev || config) && !target ? "--rev and --config go with --target NAME"
			  : repeat > 64			  ? "--repeat is at most 64"
							  : NULL;
	if (why) {
		fprintf(stderr, "leakbench run: %s (usage: %s)\n", why, cmd.usage);
		goto out;
	}
	if (target || (scenario && access(scenario, F_OK) != 0)) {
		if (cfg_load(&cfg, config ? config : "leakbench.ini", &err)) {
			cli_error("run", &err);
			goto out;
		}
		if (!db)
			db = cfg->database;
	}
	if (!db)
		db = LB_DEFAULT_DB;
	if ((code = replay ? replayed_scenario(replay, codebase, max_pause, &sc, &replay_text)
			   : cfg_find_scenario(scenario, cfg, &sc, &repeat, &err) ? scenario_error(&err) : 0))
		goto out;
	const struct cfg_target *t = NULL;
	if (target) {
		if ((code = built_target(cfg, target, rev, db, &t, &repo, &commit, &st, &tb)))
			goto out;
		code = LB_EXIT_USAGE;
		program = tb.build.binary;
		if (!args && t->args && !(target_args = strdup(t->args))) {
			fprintf(stderr, "leakbench run: out of memory\n");
			code = LB_EXIT_ERROR;
			goto out;
		}
	}
	char abs_prog[PATH_MAX];
	if (!(program = program_of(program, sc, abs_prog)))
		goto out;
	if ((args || target_args) && !(fixed = text_split_words(args ? args : target_args))) {
		fprintf(stderr, "leakbench run: out of memory\n");
		code = LB_EXIT_ERROR;
		goto out;
	}
	struct run_once once = {.db = db, .artifacts = artifacts, .cache = cfg ? cfg->cache : NULL, .program = program,
				.command = replay ? replay : sc->path, .args = fixed, .mc = mc,
				.rts = t ? t->rts : NULL, .env = t ? t->env : NULL, .replay_text = replay_text, .target = t ? t->name : NULL,
				.revision = t ? commit.sha : NULL, .build_id = t ? tb.build.key : NULL,
				.verbose = verbose};
	code = run_repeats(sc, &once, repeat > 0 ? repeat : 1);
out:
	scn_free(sc);
	cfg_free(cfg);
	rev_commit_free(&commit);
	rev_close(repo);
	build_result_free(&tb.build);
	store_close(st);
	free(fixed);
	free(target_args);
	free(replay_text);
	cli_free(&cmd);
	return code;
}
