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
#include "harness/target.h"
#include "results/expect.h"
#include "runners/codebase.h"
#include "runners/session.h"
#include "scenarios/replay.h"
#include "scenarios/scenario.h"

static void print_table(const struct lb_run *run)
{
	printf("\n%4s  %5s  %-8s  %-32s  %10s  %12s\n", "step", "line", "kind", "detail", "latency", "live bytes");
	double *live = malloc((run->n_steps + 1) * sizeof(*live));
	size_t n_live = 0;
	for (size_t i = 0; i < run->n_steps; i++) {
		const struct lb_step *s = &run->steps[i];
		double lat = record_step_metric(run, (int)i, "latency_seconds");
		double lb = record_step_metric(run, (int)i, "live_bytes");
		char l[32] = "", b[32] = "";
		if (!isnan(lat))
			snprintf(l, sizeof(l), "%.3f s", lat);
		if (!isnan(lb)) {
			text_bytes(lb, b, sizeof(b));
			if (live)
				live[n_live++] = lb;
		}
		size_t dl = strlen(s->detail); /* the end of a long command line says most */
		char d[40];
		snprintf(d, sizeof(d), "%s%s", dl > 32 ? "..." : "", dl > 32 ? s->detail + dl - 29 : s->detail);
		printf("%4zu  %5d  %-8s  %-32s  %10s  %12s%s%s\n", i + 1, s->line, s->kind, d, l, b,
		       s->failed ? "  FAILED: " : s->note ? "  " : "", s->note ? s->note : "");
	}
	if (live && n_live > 1) {
		char spark[3 * 60 + 1];
		printf("\nlive bytes per measured step: %s\n", cli_sparkline(live, n_live, 60, spark, sizeof(spark)));
	}
	free(live);
}

/* The per-step table, the expectations and the verdict, as `run` prints them. */
static void print_verdict(const struct lb_run *run, int failed, const char *db)
{
	print_table(run);
	if (run->n_verdicts)
		printf("\nexpectations\n");
	for (size_t i = 0; i < run->n_verdicts; i++)
		printf("  %-4s line %d: %s\n        %s\n", run->verdicts[i].holds ? "ok" : "FAIL",
		       run->verdicts[i].line, run->verdicts[i].source, run->verdicts[i].message);
	int steps_failed = run->status != LB_RUN_OK;
	printf("\nverdict: %s", failed || steps_failed ? "FAIL" : "ok");
	if (failed)
		printf(" (%d of %zu expectation%s do%s not hold)", failed, run->n_verdicts,
		       run->n_verdicts == 1 ? "" : "s", failed == 1 ? "es" : "");
	if (steps_failed)
		printf("%s%s", failed ? "; " : " (", run->reason ? run->reason : "a step failed");
	printf("%s\ndetails: leakbench show %s%s%s\n", steps_failed && !failed ? ")" : "", run->id,
	       strcmp(db, LB_DEFAULT_DB) ? " --db " : "", strcmp(db, LB_DEFAULT_DB) ? db : "");
}

/* Write `text` to DIR/NAME and list it among the run's artifacts. */
static int keep_text(const char *dir, const char *name, const char *text, struct lb_run *run,
		     struct lb_error *err)
{
	char *path;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return lb_error_oom(err);
	FILE *f = fopen(path, "w");
	int rc = !f || fputs(text, f) == EOF;
	if (f && fclose(f) != 0)
		rc = 1;
	rc = rc ? lb_error_set(err, LB_EIO, "writing %s: %s", path, strerror(errno))
		: record_add_artifact(run, name, path, err);
	free(path);
	return rc;
}

int run_scenario_once(const struct scn_scenario *sc, const struct run_once *o)
{
	int code = LB_EXIT_ERROR, begun = 0, have_run = 0;
	struct lb_error err = {0};
	struct measure_start ms;
	struct measure_cli mc = o->mc;
	struct lb_run run;
	char *art = NULL, *run_dir = NULL, *cb_dir = NULL, **env = NULL;
	if (o->outcome)
		*o->outcome = (struct run_outcome){.max_live_bytes = NAN, .wall_seconds = NAN};
	art = measure_artifacts_dir(o->db, o->artifacts);
	if (!art || file_mkdirs(art, &err)) {
		fprintf(stderr, "leakbench run: %s\n", art ? err.msg : "out of memory");
		goto out;
	}
	char abs_art[PATH_MAX];
	if (!realpath(art, abs_art)) {
		fprintf(stderr, "leakbench run: %s: cannot resolve the path\n", art);
		goto out;
	}
	char *probe_argv[] = {(char *)o->program, NULL};
	struct exec_opts eo = measure_exec_opts(&mc, probe_argv);
	/* the target's environment, then the scenario's (a later KEY wins) */
	size_t n_env = 0, k = 0;
	while (o->env && o->env[n_env])
		n_env++;
	if (!(env = calloc(n_env + sc->n_env + 1, sizeof(*env)))) {
		fprintf(stderr, "leakbench run: out of memory\n");
		goto out;
	}
	for (size_t i = 0; i < n_env; i++)
		env[k++] = o->env[i];
	for (size_t i = 0; i < sc->n_env; i++)
		env[k++] = sc->env[i];
	eo.env = env;
	int rc0 = measure_begin(&ms, o->db, &eo, abs_art, &err);
	if (rc0 == LB_ERTS && eo.eventlog && strstr(err.msg, "without eventlog support")) {
		/* GHC < 9.4 linked without -eventlog (Debian's own ghc, say): a scenario still gets
		 * per-step live bytes from +RTS -S, so go on without the eventlog and say so */
		if (!o->quiet)
			printf("note: %s has no eventlog support; measuring without it (per-GC lines from "
		       "+RTS -S give the live bytes; no census series)\n",
		       o->program);
		mc.no_eventlog = 1;
		eo.eventlog = 0;
		rc0 = measure_begin(&ms, o->db, &eo, abs_art, &err);
	}
	if (rc0) {
		fprintf(stderr, "leakbench run: %s\n", err.msg);
		goto out;
	}
	begun = 1;
	if (record_init(&run, &err) || record_env_copy(&run.env, &ms.env, &err)) {
		fprintf(stderr, "leakbench run: %s\n", err.msg);
		goto out;
	}
	have_run = 1;
	if (asprintf(&run_dir, "%s/%s", abs_art, run.id) < 0 || file_mkdirs(run_dir, &err) ||
	    (sc->codebase.kind != SCN_CODEBASE_NONE && asprintf(&cb_dir, "%s/codebase", run_dir) < 0)) {
		fprintf(stderr, "leakbench run: %s\n", err.msg[0] ? err.msg : "out of memory");
		goto out;
	}
	const char *cache = o->cache ? o->cache : getenv("LEAKBENCH_CACHE") ? getenv("LEAKBENCH_CACHE") : ".leakbench-cache";
	if (cb_dir && codebase_prepare(&sc->codebase, cb_dir, sc->path, cache, &err)) {
		fprintf(stderr, "leakbench run: %s\n", err.msg);
		code = err.code == LB_EINVAL ? LB_EXIT_USAGE : LB_EXIT_ERROR;
		goto out;
	}
	if (o->replay_text && keep_text(run_dir, "replay.scn", o->replay_text, &run, &err)) {
		fprintf(stderr, "leakbench run: %s\n", err.msg);
		goto out;
	}
	run.program = strdup(o->program);
	run.scenario = strdup(sc->name);
	run.artifact_dir = strdup(run_dir);
	run.command = strdup(o->command);
	run.repeat_index = o->repeat_index;
	run.target = o->target ? strdup(o->target) : NULL;
	run.revision = o->revision ? strdup(o->revision) : NULL;
	run.build_id = o->build_id ? strdup(o->build_id) : NULL;
	if (!run.program || !run.scenario || !run.artifact_dir || !run.command || (o->target && !run.target) ||
	    (o->revision && !run.revision) || (o->build_id && !run.build_id)) {
		fprintf(stderr, "leakbench run: out of memory\n");
		goto out;
	}
	/* the target's RTS flags, then the scenario's, then the command line's */
	char *rts_all = NULL;
	if (asprintf(&rts_all, "%s%s%s%s%s", o->rts ? o->rts : "", o->rts ? " " : "", sc->rts ? sc->rts : "",
		     sc->rts && mc.rts ? " " : "", mc.rts ? mc.rts : "") < 0) {
		fprintf(stderr, "leakbench run: out of memory\n");
		goto out;
	}
	struct session_opts so = {.program = o->program, .args = o->args ? o->args : sc->args, .codebase = cb_dir,
				  .run_dir = run_dir, .measure = eo, .verbose = o->verbose};
	so.measure.rts_extra = rts_all;
	/* exec: a process per step, bounded by the scenario's timeout like any step; ghci/lsp:
	 * one process for the whole session, whose every wait is bounded already, so its own
	 * deadline only has to cover them all */
	if (sc->runner == SCN_RUNNER_EXEC && sc->timeout > 0 && sc->timeout < so.measure.timeout_s)
		so.measure.timeout_s = sc->timeout;
	else if (sc->runner != SCN_RUNNER_EXEC)
		so.measure.timeout_s = fmax(so.measure.timeout_s, sc->timeout * (double)(sc->n_steps + 2));
	if (!o->quiet)
		printf("scenario %s (%s runner, %zu steps) against %s\nrun %s, artifacts %s\n", sc->name,
		       scn_runner_name(sc->runner), sc->n_steps, o->program, run.id, run_dir);
	fflush(stdout);
	int rc = session_run(sc, &so, &run, &err);
	if (!rc)
		rc = expect_step_slope(&run, &err);
	free(rts_all);
	if (rc) {
		fprintf(stderr, "leakbench run: %s\n", err.msg);
		code = rc == LB_EINTR ? LB_EXIT_INTR : rc == LB_EINVAL ? LB_EXIT_USAGE : LB_EXIT_ERROR;
		goto out;
	}
	int failed = 0;
	if (expect_judge(sc, &run, &failed, &err) || expect_leak_metrics(&run, &err) ||
	    store_put_run(ms.store, &run, &err)) {
		fprintf(stderr, "leakbench run: %s\n", err.msg);
		goto out;
	}
	int steps_failed = run.status != LB_RUN_OK;
	code = failed || steps_failed ? LB_EXIT_FAIL : LB_EXIT_OK;
	if (o->outcome) {
		const struct lb_metric *m = record_metric(&run, "max_live_bytes");
		snprintf(o->outcome->id, sizeof(o->outcome->id), "%s", run.id);
		o->outcome->max_live_bytes = m ? m->value : NAN;
		o->outcome->wall_seconds = run.wall_seconds;
	}
	if (!o->quiet)
		print_verdict(&run, failed, o->db);
out:
	if (o->outcome)
		o->outcome->status = code;
	if (have_run)
		record_free(&run);
	if (begun)
		measure_end(&ms);
	free(art);
	free(run_dir);
	free(cb_dir);
	free(env);
	return code;
}

int cmd_find_scenario(const char *name, const struct cfg *c, struct scn_scenario **sc, int *repeat,
			 struct lb_error *err)
{
	const struct cfg_scenario *cs = NULL;
	if (access(name, F_OK) != 0 && c && (cs = cfg_scenario(c, name, err)) == NULL)
		return err->code;
	if (cs && repeat && *repeat <= 0)
		*repeat = cs->repeat;
	return scn_parse_file(sc, cs ? cs->file : name, err);
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
		{"db", CLI_STRING, &db, "FILE", "the results database (default: the config's, else leakbench.db)"},
		{"artifacts", CLI_STRING, &artifacts, "DIR",
		 "where the run's files go (default leakbench-artifacts/ beside the database)"},
		{"verbose", CLI_FLAG, &verbose, NULL, "a line per step as it starts"},
		MEASURE_OPTIONS(mc),
		{NULL, 0, NULL, NULL, NULL},
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
	int nargs, first = cli_parse(&cmd, argc, argv, &nargs);
	if (first < 0)
		return first == -1 ? LB_EXIT_OK : -first;
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
			fprintf(stderr, "leakbench run: %s\n", err.msg);
			goto out;
		}
		if (!db)
			db = cfg->database;
	}
	if (!db)
		db = LB_DEFAULT_DB;
	if (replay) {
		struct replay_opts ro = {.codebase = codebase, .max_pause = max_pause};
		char abs_cb[PATH_MAX];
		if (codebase && !realpath(codebase, abs_cb)) {
			fprintf(stderr, "leakbench run: --codebase %s: no such directory\n", codebase);
			goto out;
		}
		ro.codebase = codebase ? abs_cb : NULL;
		if (replay_scenario(replay, &ro, &replay_text, &err) ||
		    scn_parse_string(&sc, replay_text, replay, &err)) {
			fprintf(stderr, "leakbench run: %s\n", err.msg);
			code = err.code == LB_ENOMEM ? LB_EXIT_ERROR : LB_EXIT_USAGE;
			goto out;
		}
	} else if (cmd_find_scenario(scenario, cfg, &sc, &repeat, &err)) {
		fprintf(stderr, "leakbench run: %s\n", err.msg);
		code = err.code == LB_ENOMEM ? LB_EXIT_ERROR : LB_EXIT_USAGE;
		goto out;
	}
	const struct cfg_target *t = NULL;
	if (target) {
		if (!(t = cfg_target(cfg, target, &err)) || target_open(&repo, cfg, t, rev ? rev : "HEAD", &commit, &err)) {
			fprintf(stderr, "leakbench run: %s\n", err.msg);
			code = err.code == LB_EINVAL ? LB_EXIT_USAGE : LB_EXIT_ERROR;
			goto out;
		}
		code = LB_EXIT_ERROR;
		printf("target %s at %.12s (%s): building...\n", t->name, commit.sha, commit.subject);
		fflush(stdout);
		if (store_open(&st, db, &err) || target_build(cfg, t, repo, &commit, st, &tb, &err)) {
			fprintf(stderr, "leakbench run: %s\n", err.msg);
			goto out;
		}
		if (!tb.build.ok) {
			fprintf(stderr, "leakbench run: target %s at %.12s does not build: %s (log: %s)\n", t->name,
				commit.sha, tb.build.why ? tb.build.why : "?", tb.build.log);
			goto out;
		}
		printf("%s %s%s%s\n", tb.build.cached ? "cached build" : "built", tb.build.binary,
		       tb.same_as[0] ? "; byte-identical to the build of " : "", tb.same_as[0] ? tb.same_as : "");
		program = tb.build.binary;
		if (!args && t->args && !(target_args = strdup(t->args))) {
			fprintf(stderr, "leakbench run: out of memory\n");
			goto out;
		}
	}
	if (!program)
		program = sc->program;
	if (!program) {
		fprintf(stderr, "leakbench run: which program? give --program PATH (or a `program` line in %s)\n",
			sc->path);
		goto out;
	}
	/* the program runs in the codebase: a relative path must not change meaning there */
	char abs_prog[PATH_MAX];
	if (strchr(program, '/') && realpath(program, abs_prog))
		program = abs_prog;
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
	code = LB_EXIT_OK;
	for (int i = 0; i < (repeat > 0 ? repeat : 1); i++) {
		once.repeat_index = i;
		int c = run_scenario_once(sc, &once);
		code = c > code ? c : code; /* the worst of the repeats */
		if (c == LB_EXIT_INTR || c == LB_EXIT_ERROR || c == LB_EXIT_USAGE)
			break;
	}
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
