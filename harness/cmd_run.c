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

#include "harness/cli.h"
#include "harness/cmd.h"
#include "harness/measure.h"
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
			cli_bytes(lb, b, sizeof(b));
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

int cmd_run(int argc, char **argv)
{
	const char *db = LB_DEFAULT_DB, *artifacts = NULL, *scenario = NULL, *program = NULL;
	const char *replay = NULL, *codebase = NULL;
	double max_pause = 5;
	char *args = NULL, *replay_text = NULL;
	int verbose = 0;
	struct measure_cli mc;
	measure_defaults(&mc);
	const struct cli_option options[] = {
		{"scenario", CLI_STRING, &scenario, "FILE", "the scenario to carry out"},
		{"replay", CLI_STRING, &replay, "FILE", "instead, replay an LSP session `leakbench record` wrote"},
		{"codebase", CLI_STRING, &codebase, "DIR",
		 "with --replay: the tree the server sees (default: the recording's root)"},
		{"max-pause", CLI_DURATION, &max_pause, "DURATION",
		 "with --replay: the editor's pauses are cut to this (default 5s)"},
		{"program", CLI_STRING, &program, "PATH", "the target (default: the scenario's `program`)"},
		{"args", CLI_APPEND, &args, "WORDS", "the target's fixed arguments (default: the scenario's `args`)"},
		{"db", CLI_STRING, &db, "FILE", "the results database (default leakbench.db)"},
		{"artifacts", CLI_STRING, &artifacts, "DIR",
		 "where the run's files go (default leakbench-artifacts/ beside the database)"},
		{"verbose", CLI_FLAG, &verbose, NULL, "a line per step as it starts"},
		MEASURE_OPTIONS(mc),
		{NULL, 0, NULL, NULL, NULL},
	};
	const struct cli_command cmd = {
		"run", "run (--scenario FILE | --replay FILE) [--program PATH] [options]",
		"Carry out a scenario against a program, measure every step, judge its expectations.",
		"The codebase is made fresh in the run's artifact folder.  Each `run` step of an exec\n"
		"scenario is measured like `leakbench exec` with the codebase as its directory.\n"
		"--replay turns a recorded LSP session into a scenario (kept as replay.scn in the\n"
		"run's folder) that re-sends the editor's messages, each after what the editor had\n"
		"seen before it: responses, the n-th diagnostics of a file, the n-th kick/done.\n"
		"Exit status: 0 every expectation holds, 1 one does not (or a step failed), 2 usage\n"
		"or scenario error, 3 the measurement could not be made.",
		options, 0};
	int nargs, first = cli_parse(&cmd, argc, argv, &nargs);
	if (first < 0) {
		cli_free(&cmd);
		return first == -1 ? LB_EXIT_OK : -first;
	}
	int code = LB_EXIT_USAGE;
	struct scn_scenario *sc = NULL;
	struct lb_error err = {0};
	struct measure_start ms;
	int begun = 0, have_run = 0;
	struct lb_run run;
	char *art = NULL, *run_dir = NULL, *cb_dir = NULL, **fixed = NULL;
	if (nargs > 0 || !scenario == !replay || (codebase && !replay)) {
		fprintf(stderr, "leakbench run: %s (usage: %s)\n",
			nargs		    ? "unexpected argument"
			: codebase && !replay ? "--codebase goes with --replay (a scenario names its own)"
			: replay	    ? "--scenario and --replay are two ways to say what to run: give one"
					    : "--scenario FILE (or --replay FILE) is required",
			cmd.usage);
		goto out;
	}
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
		scenario = replay;
	} else if (scn_parse_file(&sc, scenario, &err)) {
		fprintf(stderr, "leakbench run: %s\n", err.msg);
		code = err.code == LB_ENOMEM ? LB_EXIT_ERROR : LB_EXIT_USAGE;
		goto out;
	}
	if (!program)
		program = sc->program;
	if (!program) {
		fprintf(stderr, "leakbench run: which program? give --program PATH (or a `program` line in %s)\n",
			scenario);
		goto out;
	}
	/* the program runs in the codebase: a relative path must not change meaning there */
	char abs_prog[PATH_MAX];
	if (strchr(program, '/') && realpath(program, abs_prog))
		program = abs_prog;
	/* fixed arguments: --args, else the scenario's */
	size_t nfixed = 0;
	if (args) {
		fixed = calloc(strlen(args) / 2 + 2, sizeof(char *));
		for (char *tok = fixed ? strtok(args, " ") : NULL; tok; tok = strtok(NULL, " "))
			fixed[nfixed++] = tok;
	}
	code = LB_EXIT_ERROR;
	art = measure_artifacts_dir(db, artifacts);
	if (!art || exec_mkdirs(art, &err)) {
		fprintf(stderr, "leakbench run: %s\n", art ? err.msg : "out of memory");
		goto out;
	}
	char abs_art[PATH_MAX];
	if (!realpath(art, abs_art)) {
		fprintf(stderr, "leakbench run: %s: cannot resolve the path\n", art);
		goto out;
	}
	char *probe_argv[] = {(char *)program, NULL};
	struct exec_opts eo = measure_exec_opts(&mc, probe_argv);
	int rc0 = measure_begin(&ms, db, &eo, abs_art, &err);
	if (rc0 == LB_ERTS && eo.eventlog && strstr(err.msg, "without eventlog support")) {
		/* GHC < 9.4 linked without -eventlog (Debian's own ghc, say): a scenario still gets
		 * per-step live bytes from +RTS -S, so go on without the eventlog and say so */
		printf("note: %s has no eventlog support; measuring without it (per-GC lines from "
		       "+RTS -S give the live bytes; no census series)\n",
		       program);
		mc.no_eventlog = 1;
		eo.eventlog = 0;
		rc0 = measure_begin(&ms, db, &eo, abs_art, &err);
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
	if (asprintf(&run_dir, "%s/%s", abs_art, run.id) < 0 || exec_mkdirs(run_dir, &err) ||
	    (sc->codebase.kind != SCN_CODEBASE_NONE && asprintf(&cb_dir, "%s/codebase", run_dir) < 0)) {
		fprintf(stderr, "leakbench run: %s\n", err.msg[0] ? err.msg : "out of memory");
		goto out;
	}
	if (cb_dir && codebase_prepare(&sc->codebase, cb_dir, sc->path, &err)) {
		fprintf(stderr, "leakbench run: %s\n", err.msg);
		code = err.code == LB_EINVAL ? LB_EXIT_USAGE : LB_EXIT_ERROR;
		goto out;
	}
	if (replay_text && keep_text(run_dir, "replay.scn", replay_text, &run, &err)) {
		fprintf(stderr, "leakbench run: %s\n", err.msg);
		goto out;
	}
	run.program = strdup(program);
	run.scenario = strdup(sc->name);
	run.artifact_dir = strdup(run_dir);
	run.command = strdup(scenario);
	if (!run.program || !run.scenario || !run.artifact_dir || !run.command) {
		fprintf(stderr, "leakbench run: out of memory\n");
		goto out;
	}
	/* the scenario's own RTS flags come after the command line's */
	char *rts_all = NULL;
	if (asprintf(&rts_all, "%s%s%s", sc->rts ? sc->rts : "", sc->rts && mc.rts ? " " : "",
		     mc.rts ? mc.rts : "") < 0) {
		fprintf(stderr, "leakbench run: out of memory\n");
		goto out;
	}
	struct session_opts so = {.program = program, .args = args ? fixed : sc->args, .codebase = cb_dir,
				  .run_dir = run_dir, .measure = eo, .verbose = verbose};
	so.measure.rts_extra = rts_all;
	/* exec: a process per step, bounded by the scenario's timeout like any step; ghci/lsp:
	 * one process for the whole session, whose every wait is bounded already, so its own
	 * deadline only has to cover them all */
	if (sc->runner == SCN_RUNNER_EXEC && sc->timeout > 0 && sc->timeout < so.measure.timeout_s)
		so.measure.timeout_s = sc->timeout;
	else if (sc->runner != SCN_RUNNER_EXEC)
		so.measure.timeout_s = fmax(so.measure.timeout_s, sc->timeout * (double)(sc->n_steps + 2));
	printf("scenario %s (%s runner, %zu steps) against %s\nrun %s, artifacts %s\n", sc->name,
	       scn_runner_name(sc->runner), sc->n_steps, program, run.id, run_dir);
	fflush(stdout);
	int rc = session_run(sc, &so, &run, &err);
	free(rts_all);
	if (rc) {
		fprintf(stderr, "leakbench run: %s\n", err.msg);
		code = rc == LB_EINTR ? LB_EXIT_INTR : rc == LB_EINVAL ? LB_EXIT_USAGE : LB_EXIT_ERROR;
		goto out;
	}
	int failed = 0;
	if (expect_judge(sc, &run, &failed, &err) || store_put_run(ms.store, &run, &err)) {
		fprintf(stderr, "leakbench run: %s\n", err.msg);
		goto out;
	}
	print_table(&run);
	if (run.n_verdicts)
		printf("\nexpectations\n");
	for (size_t i = 0; i < run.n_verdicts; i++)
		printf("  %-4s line %d: %s\n        %s\n", run.verdicts[i].holds ? "ok" : "FAIL",
		       run.verdicts[i].line, run.verdicts[i].source, run.verdicts[i].message);
	int steps_failed = run.status != LB_RUN_OK;
	printf("\nverdict: %s", failed || steps_failed ? "FAIL" : "ok");
	if (failed)
		printf(" (%d of %zu expectation%s do%s not hold)", failed, run.n_verdicts,
		       run.n_verdicts == 1 ? "" : "s", failed == 1 ? "es" : "");
	if (steps_failed)
		printf("%s%s", failed ? "; " : " (", run.reason ? run.reason : "a step failed");
	printf("%s\ndetails: leakbench show %s%s%s\n", steps_failed && !failed ? ")" : "", run.id,
	       strcmp(db, LB_DEFAULT_DB) ? " --db " : "", strcmp(db, LB_DEFAULT_DB) ? db : "");
	code = failed || steps_failed ? LB_EXIT_FAIL : LB_EXIT_OK;
out:
	if (have_run)
		record_free(&run);
	if (begun)
		measure_end(&ms);
	scn_free(sc);
	free(art);
	free(run_dir);
	free(cb_dir);
	free(fixed);
	free(replay_text);
	cli_free(&cmd);
	return code;
}
