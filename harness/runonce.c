/*
 * runonce.c - one scenario run, from an empty run folder to a stored, judged run.
 *
 * The order matters: the target's RTS is asked first (a refusal stores nothing), then the
 * run folder and a fresh codebase are made, then the session runs; whatever the session's
 * fate, a run it produced is judged and stored, so `leakbench show` can explain it.  A target
 * without eventlog support (GHC < 9.4 linked without -eventlog) is measured without the
 * eventlog: per-GC lines from +RTS -S give its per-step live bytes.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/text.h"
#include "harness/cli.h"
#include "harness/runonce.h"
#include "results/expect.h"
#include "runners/codebase.h"
#include "runners/session.h"
#include "scenarios/scenario.h"

static void print_table(const struct lb_run *run)
{
	printf("\n%4s  %5s  %-10s  %-32s  %10s  %12s\n", "step", "line", "kind", "detail", "latency", "live bytes");
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
		printf("%4zu  %5d  %-10s  %-32s  %10s  %12s%s%s\n", i + 1, s->line, s->kind, d, l, b,
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
	const struct lb_metric *cp = record_metric(run, "checkpoints"), *cm = record_metric(run, "checkpoints_measured");
	if (cp && cm)
		printf("\ncheckpoints: %.0f of %.0f measured (a live-bytes figure from a GC in the window)%s\n", cm->value,
		       cp->value, record_metric(run, "leak_inconclusive") ? "; too few for a leak verdict" : "");
	const struct lb_metric *ew = record_metric(run, "early_waits");
	if (ew && ew->value > 0)
		printf("\nearly waits: %.0f wait%s for an edit's result answered too soon for a recheck (see the notes):"
		       " did the server load the codebase?\n",
		       ew->value, ew->value == 1 ? "" : "s");
	if (run->n_verdicts)
		printf("\nexpectations\n");
	for (size_t i = 0; i < run->n_verdicts; i++)
		printf("  %-4s line %d: %s\n        %s\n", record_verdict_name(run->verdicts[i].holds),
		       run->verdicts[i].line, run->verdicts[i].source, run->verdicts[i].message);
	int steps_failed = run->status != LB_RUN_OK, unknown = 0;
	for (size_t i = 0; i < run->n_verdicts; i++)
		unknown += run->verdicts[i].holds == LB_VERDICT_UNKNOWN;
	printf("\nverdict: %s", steps_failed || failed > unknown ? "FAIL" : unknown ? "inconclusive" : "ok");
	if (failed > unknown)
		printf(" (%d of %zu expectation%s do%s not hold)", failed - unknown, run->n_verdicts,
		       run->n_verdicts == 1 ? "" : "s", failed - unknown == 1 ? "es" : "");
	else if (unknown)
		printf(" (%d of %zu expectation%s cannot be judged from what was measured)", unknown, run->n_verdicts,
		       run->n_verdicts == 1 ? "" : "s");
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

/* The target's environment, then the scenario's (a later KEY wins); the strings are
 * borrowed.  NULL when out of memory. */
static char **run_env(const struct run_once *o, const struct scn_scenario *sc)
{
	size_t n_env = 0, k = 0;
	while (o->env && o->env[n_env])
		n_env++;
	char **env = calloc(n_env + sc->n_env + 1, sizeof(*env));
	for (size_t i = 0; env && i < n_env; i++)
		env[k++] = o->env[i];
	for (size_t i = 0; env && i < sc->n_env; i++)
		env[k++] = sc->env[i];
	return env;
}

/* measure_begin, falling back to no eventlog for a target linked without one. */
static int begin(struct measure_start *ms, const struct run_once *o, const char *sc_name, struct exec_opts *eo,
		 struct measure_cli *mc, const char *abs_art, struct lb_error *err)
{
	int rc = measure_begin(ms, o->db, eo, o->target, sc_name, abs_art, err);
	if (rc == LB_ENOEVENTLOG && eo->eventlog) {
		/* GHC < 9.4 linked without -eventlog (Debian's own ghc, say): a scenario still gets
		 * per-step live bytes from +RTS -S, so go on without the eventlog and say so */
		if (!o->quiet)
			printf("note: %s has no eventlog support; measuring without it (per-GC lines from "
			       "+RTS -S give the live bytes; the census comes from its .hp file)\n",
			       o->program);
		mc->no_eventlog = 1;
		eo->eventlog = 0;
		rc = measure_begin(ms, o->db, eo, o->target, sc_name, abs_art, err);
	}
	return rc;
}

/* What the run is of: program, scenario, folder, command, repeat, target and revision. */
static int describe_run(struct lb_run *run, const struct run_once *o, const struct scn_scenario *sc,
			const char *run_dir, struct lb_error *err)
{
	run->program = lb_strdup(o->program, err);
	run->scenario = lb_strdup(sc->name, err);
	run->artifact_dir = lb_strdup(run_dir, err);
	run->command = lb_strdup(o->command, err);
	run->repeat_index = o->repeat_index;
	run->target = lb_strdup(o->target, err);
	run->revision = lb_strdup(o->revision, err);
	run->build_id = lb_strdup(o->build_id, err);
	if (!run->program || !run->scenario || !run->artifact_dir || !run->command || (o->target && !run->target) ||
	    (o->revision && !run->revision) || (o->build_id && !run->build_id))
		return lb_error_oom(err);
	return 0;
}

/* Carry out the session, then derive and judge: *failed gets the expectations that fail. */
static int run_session(const struct scn_scenario *sc, const struct run_once *o, const struct measure_cli *mc,
		       struct exec_opts eo, const char *run_dir, const char *cb_dir, struct lb_run *run, int *failed,
		       struct lb_error *err)
{
	/* the target's RTS flags, then the scenario's, then the command line's */
	char *rts_all = NULL;
	if (asprintf(&rts_all, "%s%s%s%s%s", o->rts ? o->rts : "", o->rts ? " " : "", sc->rts ? sc->rts : "",
		     sc->rts && mc->rts ? " " : "", mc->rts ? mc->rts : "") < 0)
		return lb_error_oom(err);
	struct session_opts so = {.program = o->program, .args = o->args ? o->args : sc->args, .codebase = cb_dir,
				  .run_dir = run_dir, .measure = eo, .verbose = o->verbose};
	so.measure.rts_extra = rts_all;
	if (sc->has_ok_exits)
		so.measure.ok_exits = sc->ok_exits;
	/* exec: a process per step, bounded by the scenario's timeout like any step; ghci/lsp:
	 * one process for the whole session, whose every wait is bounded already, so its own
	 * deadline only has to cover them all */
	if (sc->runner == SCN_RUNNER_EXEC && sc->timeout > 0 && sc->timeout < so.measure.timeout_s)
		so.measure.timeout_s = sc->timeout;
	else if (sc->runner != SCN_RUNNER_EXEC)
		so.measure.timeout_s = fmax(so.measure.timeout_s, sc->timeout * (double)(sc->n_steps + 2));
	if (!o->quiet)
		printf("scenario %s (%s runner, %zu steps) against %s\nrun %s, artifacts %s\n", sc->name,
		       scn_runner_name(sc->runner), sc->n_steps, o->program, run->id, run_dir);
	fflush(stdout);
	int rc = session_run(sc, &so, run, err);
	free(rts_all);
	if (!rc)
		rc = expect_step_slope(run, err);
	if (!rc)
		rc = expect_judge(sc, run, failed, err);
	if (!rc)
		rc = expect_leak_metrics(run, err);
	return rc;
}

static int exit_code_of(int rc)
{
	return rc == LB_EINTR ? LB_EXIT_INTR : rc == LB_EINVAL ? LB_EXIT_USAGE : LB_EXIT_ERROR;
}

int run_scenario_once(const struct scn_scenario *sc, const struct run_once *o)
{
	int code = LB_EXIT_ERROR, begun = 0, have_run = 0, failed = 0, rc;
	struct lb_error err = {0};
	struct measure_start ms;
	struct measure_cli mc = o->mc;
	struct lb_run run;
	char *art = NULL, *run_dir = NULL, *cb_dir = NULL, **env = NULL;
	char abs_art[PATH_MAX];
	if (o->outcome)
		*o->outcome = (struct run_outcome){.max_live_bytes = NAN, .wall_seconds = NAN};
	if (!(art = measure_artifacts_dir(o->db, o->artifacts)) || file_mkdirs(art, &err)) {
		cli_error("run", art ? &err : NULL);
		goto out;
	}
	if (!realpath(art, abs_art)) {
		fprintf(stderr, "leakbench run: %s: cannot resolve the path\n", art);
		goto out;
	}
	char *probe_argv[] = {(char *)o->program, NULL};
	struct exec_opts eo = measure_exec_opts(&mc, probe_argv);
	if (!(eo.env = env = run_env(o, sc))) {
		fprintf(stderr, "leakbench run: out of memory\n");
		goto out;
	}
	if (begin(&ms, o, sc->name, &eo, &mc, abs_art, &err)) {
		cli_error("run", &err);
		goto out;
	}
	begun = 1;
	if (!o->quiet && ms.census_interval > 0)
		printf("heap census every %gs (%s)\n", ms.census_interval, ms.census_why);
	if (record_init(&run, &err) || record_env_copy(&run.env, &ms.env, &err)) {
		cli_error("run", &err);
		goto out;
	}
	have_run = 1;
	/* every run works in a folder of its own: the codebase, or an empty one (never the
	 * caller's, where a second run would find what the first left) */
	if (asprintf(&run_dir, "%s/%s", abs_art, run.id) < 0 || file_mkdirs(run_dir, &err) ||
	    asprintf(&cb_dir, "%s/codebase", run_dir) < 0 ||
	    (sc->codebase.kind == SCN_CODEBASE_NONE && file_mkdirs(cb_dir, &err))) {
		cli_error("run", &err);
		goto out;
	}
	const char *cache = o->cache ? o->cache : getenv("LEAKBENCH_CACHE") ? getenv("LEAKBENCH_CACHE") : ".leakbench-cache";
	if (cb_dir && codebase_prepare(&sc->codebase, cb_dir, sc->path, cache, &err)) {
		cli_error("run", &err);
		code = err.code == LB_EINVAL ? LB_EXIT_USAGE : LB_EXIT_ERROR;
		goto out;
	}
	if ((o->replay_text && keep_text(run_dir, "replay.scn", o->replay_text, &run, &err)) ||
	    describe_run(&run, o, sc, run_dir, &err)) {
		cli_error("run", &err);
		goto out;
	}
	if ((rc = run_session(sc, o, &mc, eo, run_dir, cb_dir, &run, &failed, &err)) ||
	    (rc = store_put_run(ms.store, &run, &err))) {
		cli_error("run", &err);
		code = exit_code_of(rc);
		goto out;
	}
	code = failed || run.status != LB_RUN_OK ? LB_EXIT_FAIL : LB_EXIT_OK;
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
