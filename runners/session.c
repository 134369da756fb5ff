/*
 * session.c - the step loop.
 *
 * Every step records its wall-clock start and end; `wait DURATION` and `settle` sleep (a
 * settle gives an idle-GC target its quiet period); marks cost nothing and are the step
 * boundaries expectations count.  A `run` step is one `leakbench exec` run in the step's own
 * folder (step-NNN/), with the codebase as its working directory.
 */
#include "runners/session.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "results/detect.h"
#include "runners/edit.h"

static double now_unix(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_for(double seconds)
{
	struct timespec ts = {(time_t)seconds, (long)((seconds - floor(seconds)) * 1e9)};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* One-line description of a step for the table. */
static void describe(const struct scn_step *s, char *buf, size_t size)
{
	size_t k = 0;
	buf[0] = '\0';
	if (s->file)
		k += (size_t)snprintf(buf + k, size - k, "%s", s->file);
	if (s->name && k < size)
		k += (size_t)snprintf(buf + k, size - k, "%s%s", k ? " " : "", s->name);
	for (size_t i = 0; i < s->n_args && k < size; i++)
		k += (size_t)snprintf(buf + k, size - k, "%s%s", k ? " " : "", s->args[i]);
	if (s->kind == SCN_WAIT && s->wait == SCN_WAIT_DURATION && k < size)
		snprintf(buf + k, size - k, "%gs", s->seconds);
	if (s->kind == SCN_SETTLE && k < size)
		snprintf(buf + k, size - k, "%gs", s->seconds);
}

/* The step's program run: argv = program, fixed args, step args. */
static int run_step(const struct session_opts *o, const struct scn_step *s, size_t index,
		    struct lb_run *run, struct lb_error *err)
{
	size_t nfixed = 0;
	while (o->args && o->args[nfixed])
		nfixed++;
	char **argv = calloc(1 + nfixed + s->n_args + 1, sizeof(char *));
	char *dir = NULL;
	if (!argv || asprintf(&dir, "%s/step-%03zu", o->run_dir, index) < 0) {
		free(argv);
		return lb_error_oom(err);
	}
	size_t k = 0;
	argv[k++] = (char *)o->program;
	for (size_t i = 0; i < nfixed; i++)
		argv[k++] = o->args[i];
	for (size_t i = 0; i < s->n_args; i++)
		argv[k++] = s->args[i];
	struct exec_opts eo = o->measure;
	eo.argv = argv;
	eo.cwd = o->codebase;
	struct lb_run sub;
	int rc = record_init(&sub, err);
	if (!rc)
		rc = exec_run(&eo, dir, &sub, err);
	if (!rc) {
		static const char *const copied[] = {"allocated_bytes", "max_live_bytes",
						     "max_mem_in_use_bytes", "peak_rss_bytes",
						     "gc_cpu_seconds"};
		for (size_t i = 0; !rc && i < sizeof(copied) / sizeof(*copied); i++) {
			const struct lb_metric *m = record_metric(&sub, copied[i]);
			if (m)
				rc = record_add_step_metric(run, (int)index, copied[i], m->value, m->unit, err);
		}
		const struct lb_metric *live = record_metric(&sub, "max_live_bytes");
		if (!rc && live)
			rc = record_add_step_metric(run, (int)index, "live_bytes", live->value, "bytes", err);
		for (size_t i = 0; !rc && i < sub.n_artifacts; i++) {
			char kind[64];
			snprintf(kind, sizeof(kind), "step-%03zu-%s", index, sub.artifacts[i].kind);
			rc = record_add_artifact(run, kind, sub.artifacts[i].path, err);
		}
		if (!rc && sub.status != LB_RUN_OK) {
			char note[600];
			snprintf(note, sizeof(note), "%s", sub.reason ? sub.reason : record_status_name(sub.status));
			rc = record_step_failed(run, index, note, err);
		}
		if (!rc && !run->rts_flags)
			run->rts_flags = lb_strdup(sub.rts_flags, err);
	}
	record_free(&sub);
	free(dir);
	free(argv);
	return rc;
}

/* Whole-run figures from the steps: peaks are maxima, totals are sums. */
static int summarise_steps(struct lb_run *run, struct lb_error *err)
{
	static const struct {
		const char *name, *unit;
		int sum;
	} agg[] = {
		{"max_live_bytes", "bytes", 0}, {"max_mem_in_use_bytes", "bytes", 0},
		{"peak_rss_bytes", "bytes", 0}, {"allocated_bytes", "bytes", 1},
		{"gc_cpu_seconds", "s", 1},
	};
	for (size_t a = 0; a < sizeof(agg) / sizeof(*agg); a++) {
		double v = NAN;
		for (size_t i = 0; i < run->n_steps; i++) {
			double x = record_step_metric(run, (int)i, agg[a].name);
			if (isnan(x))
				continue;
			v = isnan(v) ? x : agg[a].sum ? v + x : fmax(v, x);
		}
		if (!isnan(v) && record_add_metric(run, agg[a].name, v, agg[a].unit, err))
			return err->code;
	}
	/* the run's live-bytes slope per measured step, with its interval */
	size_t n = 0;
	double *x = malloc((run->n_steps + 1) * sizeof(*x)), *y = malloc((run->n_steps + 1) * sizeof(*y));
	if (!x || !y) {
		free(x);
		free(y);
		return lb_error_oom(err);
	}
	for (size_t i = 0; i < run->n_steps; i++) {
		double v = record_step_metric(run, (int)i, "live_bytes");
		if (!isnan(v)) {
			x[n] = (double)n;
			y[n++] = v;
		}
	}
	struct detect_slope sl;
	int rc = 0;
	if (n >= 3 && detect_theil_sen(x, y, n, &sl) == 0)
		rc = record_add_metric(run, "live_bytes_slope_per_step", sl.slope, "bytes", err) ||
			     record_add_metric(run, "live_bytes_slope_per_step_lo", sl.lo, "bytes", err) ||
			     record_add_metric(run, "live_bytes_slope_per_step_hi", sl.hi, "bytes", err)
		     ? err->code
		     : 0;
	free(x);
	free(y);
	return rc;
}

int session_run(const struct scn_scenario *sc, const struct session_opts *o, struct lb_run *run,
		struct lb_error *err)
{
	if (sc->runner != SCN_RUNNER_EXEC)
		return lb_error_set(err, LB_EINVAL,
				    "%s: the %s runner is not available yet (only exec scenarios run today)",
				    sc->path, scn_runner_name(sc->runner));
	struct edit_book *book = NULL;
	int rc = 0, failed = 0;
	double t_start = now_unix();
	for (size_t i = 0; !rc && i < sc->n_steps; i++) {
		const struct scn_step *s = &sc->steps[i];
		char detail[512];
		describe(s, detail, sizeof(detail));
		double start = now_unix();
		if (o->verbose) {
			printf("step %zu/%zu  line %d  %s %s\n", i + 1, sc->n_steps, s->line,
			       scn_step_name(s->kind), detail);
			fflush(stdout);
		}
		if ((rc = record_add_step(run, s->line, s->iteration, scn_step_name(s->kind), detail, start,
					  start, err)))
			break;
		switch (s->kind) {
		case SCN_RUN:
			rc = run_step(o, s, i, run, err);
			break;
		case SCN_EDIT:
			if (!o->codebase)
				rc = lb_error_set(err, LB_EINVAL, "%s:%d: an edit needs a codebase (add a codebase line)",
						  sc->path, s->line);
			else if ((rc = edit_apply(&book, o->codebase, s, err)))
				lb_error_prefix(err, "%s:%d: ", sc->path, s->line);
			break;
		case SCN_WAIT:
		case SCN_SETTLE:
			sleep_for(s->seconds);
			break;
		default:
			break; /* mark: a point in time, nothing to do */
		}
		run->steps[i].end = now_unix();
		failed += run->steps[i].failed;
		if (!rc)
			rc = record_add_step_metric(run, (int)i, "latency_seconds", run->steps[i].end - start, "s",
						    err);
	}
	edit_book_free(book);
	if (rc)
		return rc;
	run->started_at = t_start;
	run->wall_seconds = now_unix() - t_start;
	if ((rc = record_add_metric(run, "wall_seconds", run->wall_seconds, "s", err)) ||
	    (rc = summarise_steps(run, err)))
		return rc;
	if (failed) {
		run->status = LB_RUN_CRASHED;
		free(run->reason);
		char why[700];
		size_t first = 0;
		while (!run->steps[first].failed)
			first++;
		snprintf(why, sizeof(why), "%d step%s failed; the first, line %d (%s %s): %s", failed,
			 failed == 1 ? "" : "s", run->steps[first].line, run->steps[first].kind,
			 run->steps[first].detail, run->steps[first].note ? run->steps[first].note : "");
		run->reason = lb_strdup(why, err);
	}
	return 0;
}
