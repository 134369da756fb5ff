/*
 * session.c - carrying out a scenario: the step loop every runner shares.
 *
 * Every step records its wall-clock start and end and its latency; marks cost nothing and
 * are the step boundaries expectations count.  What a step does is its runner's
 * (runners/runner.h: run_exec.c, run_ghci.c, run_lsp.c).  For GHCi and LSP the session
 * spawns the one long-lived target (measured like `leakbench exec`, in run_dir/ghci or
 * run_dir/server), lets the runner start it, runs the steps, lets the runner stop it, and
 * always reaps it; what the process measured is then adopted by the run and cut into
 * per-step figures by the steps' windows.  A target that dies, hangs or breaks its protocol
 * fails its step and ends the session; the run is kept, marked crashed, with why and the
 * last lines of the target's stderr.  Error messages from a step get "FILE:LINE: " here.
 */
#include "runners/session.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/file.h"
#include "base/mem.h"
#include "base/text.h"
#include "runners/edit.h"
#include "runners/proc.h"
#include "runners/runner.h"

double session_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void session_sleep(double seconds)
{
	struct timespec ts = {(time_t)seconds, (long)((seconds - floor(seconds)) * 1e9)};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int session_edit(struct session *s, const struct scn_step *st, struct lb_error *err)
{
	if (!s->o->codebase)
		return lb_error_set(err, LB_EINVAL, "an edit needs a codebase (add a codebase line)");
	return edit_apply(&s->book, s->o->codebase, st, err);
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
	if (s->kind == SCN_EVAL && k < size)
		snprintf(buf + k, size - k, "%s", s->text);
	if (s->kind == SCN_WAIT && s->count && k < size)
		snprintf(buf + k, size - k, " count %ld", s->count);
	if (s->kind == SCN_SEND) { /* the method and the file it is about say what it is */
		json_t *j = json_loads(s->text, 0, NULL);
		const char *uri = json_string_value(
			json_object_get(json_object_get(json_object_get(j, "params"), "textDocument"), "uri"));
		snprintf(buf, size, "%s%s%s%s%s", json_string_value(json_object_get(j, "method")),
			 uri ? " " : "", uri ? (strncmp(uri, "{root}/", 7) ? uri : uri + 7) : "",
			 s->name ? " id " : "", s->name ? s->name : "");
		json_decref(j);
	}
}

/* Whole-run figures from the steps (the headline metrics' from_steps): peaks are maxima,
 * totals are sums. */
static int summarise_steps(struct lb_run *run, struct lb_error *err)
{
	for (const struct lb_headline *h = lb_headlines; h->name; h++) {
		if (h->from_steps == LB_STEPS_NONE)
			continue;
		double v = NAN;
		for (size_t i = 0; i < run->n_steps; i++) {
			double x = record_step_metric(run, (int)i, h->name);
			if (isnan(x))
				continue;
			v = isnan(v) ? x : h->from_steps == LB_STEPS_SUM ? v + x : fmax(v, x);
		}
		/* a single-process runner already has the process's own figure: keep it */
		if (!isnan(v) && !record_metric(run, h->name) && record_add_metric(run, h->name, v, h->unit, err))
			return err->code;
	}
	return 0;
}

/* Per-step figures of a single long-lived process, from its series: the live bytes of the
 * last major GC inside each step's window, the peak inside it, the allocation during it,
 * and each census row's step.  Series times are seconds since the RTS started; steps are
 * unix seconds: `t0` (the eventlog's first event, by its wall clock) ties them. */
static int align_steps(struct lb_run *run, double t0, struct lb_error *err)
{
	const struct lb_series *live = record_series(run, "live_bytes");
	const struct lb_series *alloc = record_series(run, "allocated_bytes");
	for (size_t i = 0; i < run->n_steps; i++) {
		double a = run->steps[i].start - t0, b = run->steps[i].end - t0;
		double last = NAN, peak = NAN, before = 0, upto = 0;
		for (size_t k = 0; live && k < live->n; k++)
			if (live->p[k].t >= a && live->p[k].t <= b) {
				last = live->p[k].v;
				peak = isnan(peak) ? last : fmax(peak, last);
			}
		for (size_t k = 0; alloc && k < alloc->n; k++) {
			if (alloc->p[k].t <= a)
				before = alloc->p[k].v;
			if (alloc->p[k].t <= b)
				upto = alloc->p[k].v;
		}
		if ((!isnan(last) && (record_add_step_metric(run, (int)i, "live_bytes", last, "bytes", err) ||
				      record_add_step_metric(run, (int)i, "peak_live_bytes", peak, "bytes", err))) ||
		    (alloc && record_add_step_metric(run, (int)i, "allocated_bytes", upto - before, "bytes", err)))
			return err->code;
	}
	for (size_t c = 0; c < run->n_census; c++) {
		double t = run->census[c].t + t0;
		for (size_t i = 0; i < run->n_steps; i++)
			if (t >= run->steps[i].start && t <= run->steps[i].end)
				run->census[c].step = (int)i;
	}
	return 0;
}

/* Per-step figures of the OS's view (any program, GHC-built or not): the last RSS sample in
 * each step's window (rss_bytes: at a checkpoint, what the process holds once it settled)
 * and the largest one (peak_rss_bytes).  Samples are seconds since the spawn at `t0`. */
static int align_rss(struct lb_run *run, double t0, struct lb_error *err)
{
	const struct lb_series *rss = record_series(run, "rss_bytes");
	for (size_t i = 0; rss && i < run->n_steps; i++) {
		double a = run->steps[i].start - t0, b = run->steps[i].end - t0, last = NAN, peak = NAN;
		for (size_t k = 0; k < rss->n; k++)
			if (rss->p[k].t >= a && rss->p[k].t <= b) {
				last = rss->p[k].v;
				peak = isnan(peak) ? last : fmax(peak, last);
			}
		if (!isnan(last) && (record_add_step_metric(run, (int)i, "rss_bytes", last, "bytes", err) ||
				     record_add_step_metric(run, (int)i, "peak_rss_bytes", peak, "bytes", err)))
			return err->code;
	}
	return 0;
}

/* Move what the one process measured (metrics, artifacts, series, census, marks) into the
 * scenario's run. */
static int adopt(struct lb_run *run, struct lb_run *sub, struct lb_error *err)
{
	for (size_t i = 0; i < sub->n_metrics; i++)
		if (record_add_metric(run, sub->metrics[i].name, sub->metrics[i].value, sub->metrics[i].unit, err))
			return err->code;
	for (size_t i = 0; i < sub->n_artifacts; i++)
		if (record_add_artifact(run, sub->artifacts[i].kind, sub->artifacts[i].path, err))
			return err->code;
#define MOVE(field, count)               \
	do {                             \
		run->field = sub->field; \
		run->count = sub->count; \
		sub->field = NULL;       \
		sub->count = 0;          \
	} while (0)
	MOVE(series, n_series);
	MOVE(census, n_census);
	MOVE(census_labels, n_census_labels);
	MOVE(marks, n_marks);
#undef MOVE
	if (!run->rts_flags)
		run->rts_flags = sub->rts_flags, sub->rts_flags = NULL;
	run->partial |= sub->partial;
	if (sub->status != LB_RUN_OK) {
		run->status = sub->status;
		run->signal = sub->signal;
		run->exit_code = sub->exit_code;
		free(run->reason);
		run->reason = sub->reason;
		sub->reason = NULL;
	}
	return 0;
}

/* How the loop went, beyond its return code. */
struct loop {
	int failed; /* steps that failed */
	int broken; /* the long-lived target died, hung or broke the protocol */
	char why[sizeof(((struct lb_error *)0)->msg)];
};

/* A long-lived target's failure (LB_EIO, LB_ETIMEOUT) ends the session, not leakbench. */
static int target_broke(struct session *s, struct loop *lp, int rc, const struct lb_error *err)
{
	if (!s->p || (rc != LB_EIO && rc != LB_ETIMEOUT))
		return 0;
	snprintf(lp->why, sizeof(lp->why), "%s", err->msg);
	lp->broken = 1;
	return 1;
}

static int step_loop(struct session *s, const struct runner_ops *ops, struct lb_run *run, struct loop *lp,
		     struct lb_error *err)
{
	const struct scn_scenario *sc = s->sc;
	int rc = 0;
	for (size_t i = 0; !rc && i < sc->n_steps; i++) {
		const struct scn_step *st = &sc->steps[i];
		char detail[512];
		describe(st, detail, sizeof(detail));
		double start = session_now();
		if (s->o->verbose) {
			printf("step %zu/%zu  line %d  %s %s\n", i + 1, sc->n_steps, st->line, scn_step_name(st->kind),
			       detail);
			fflush(stdout);
		}
		if ((rc = record_add_step(run, st->line, st->iteration, scn_step_name(st->kind), detail, start,
					  start, err)))
			break;
		rc = ops->act(s, st, i, run, err);
		if (!rc && st->kind == SCN_MARK && st->has_value) /* the size it stands for */
			rc = record_add_step_metric(run, (int)i, "mark_value", st->value, "", err);
		if (rc && rc != LB_EINTR && rc != LB_ENOMEM)
			lb_error_prefix(err, "%s:%d: ", sc->path, st->line);
		if (target_broke(s, lp, rc, err) || (rc && rc != LB_EINTR && rc != LB_ENOMEM)) {
			/* this step failed (the target broke, or the step could not be done: an edit
			 * whose regex matches nothing, a path outside the codebase), the run ends here
			 * and is stored with what was measured until then */
			rc = record_step_failed(run, i, err->msg, err);
			run->steps[i].end = session_now();
			lp->failed += 1;
			break;
		}
		run->steps[i].end = session_now();
		lp->failed += run->steps[i].failed;
		if (!rc)
			rc = record_add_step_metric(run, (int)i, "latency_seconds", run->steps[i].end - start, "s",
						    err);
	}
	return rc;
}

/* When the target's RTS clock started, in unix seconds: what its series' times count from.
 * The eventlog says (its first event carries the wall clock).  Without one, the `-S` lines
 * count from the RTS's start, which comes well after the spawn (GHCi: 35 ms and more of
 * loading), so the spawn time would move every GC earlier, and the collection GHCi makes
 * as it exits into the last step (5-7 MiB against 15-21 for every other checkpoint).  The
 * end ties it instead: the RTS's own total elapsed time ends just before the reap. */
static double rts_zero(const struct lb_run *run, const struct lb_run *sub)
{
	const struct lb_metric *delay = record_metric(run, "eventlog.start_delay_seconds"),
			       *total = record_metric(run, "rts.total_wall_seconds");
	if (delay)
		return sub->started_at + delay->value;
	if (total && total->value > 0 && total->value <= sub->wall_seconds)
		return sub->started_at + sub->wall_seconds - total->value;
	return sub->started_at;
}

/* A broken target's run is kept, marked with why and the last words of the target. */
static int mark_broken(struct lb_run *run, const char *dir, const char *why_broken, struct lb_error *err)
{
	char *path = NULL, why[sizeof(((struct lb_error *)0)->msg) + 500];
	char *text = asprintf(&path, "%s/stderr", dir) > 0 ? file_read(path, 0, NULL, NULL) : NULL;
	const char *tail = text ? text + strlen(text) : "";
	for (int lines = 0; text && tail > text && lines < 4; tail--)
		lines += tail[-1] == '\n';
	snprintf(why, sizeof(why), "%s%s%.400s", why_broken, text && *tail ? "; its stderr ends: " : "",
		 text ? tail : "");
	for (char *c = why; *c; c++)
		if (*c == '\n')
			*c = ' ';
	run->status = LB_RUN_CRASHED;
	run->partial = 1;
	free(run->reason);
	int rc = (run->reason = text_visible(why)) ? 0 : lb_error_oom(err); /* the target's words, for terminals */
	free(text);
	free(path);
	return rc;
}

/* The target's argv: the program, then the fixed arguments (the runner's defaults when
 * none are given).  malloc'ed, NULL-terminated; the strings are borrowed. */
static char **process_argv(const struct session_opts *o, const struct runner_ops *ops)
{
	static char *const no_args[] = {NULL};
	char *const *fixed = o->args && o->args[0] ? o->args : ops->default_args ? ops->default_args : no_args;
	size_t nfixed = 0;
	while (fixed[nfixed])
		nfixed++;
	char **argv = calloc(nfixed + 2, sizeof(char *));
	if (!argv)
		return NULL;
	argv[0] = (char *)o->program;
	for (size_t i = 0; i < nfixed; i++)
		argv[i + 1] = fixed[i];
	return argv;
}

/* Start, drive, stop and reap the long-lived target; its measurement goes into `sub`. */
static int drive_process(struct session *s, const struct runner_ops *ops, char **argv, struct lb_run *sub,
			 struct lb_run *run, struct loop *lp, struct lb_error *err)
{
	struct exec_opts eo = s->o->measure;
	eo.argv = argv;
	eo.cwd = s->o->codebase;
	eo.per_gc = !eo.eventlog && !eo.no_rts; /* per-GC lines stand in for the eventlog */
	struct exec_live *live = NULL;
	int rc = exec_start(&eo, s->dir, sub, 1, &live, err);
	if (rc)
		return rc;
	s->p = exec_proc(live);
	rc = ops->start(s, err);
	if (target_broke(s, lp, rc, err))
		rc = 0; /* it did not even start properly */
	else if (!rc)
		rc = step_loop(s, ops, run, lp, err);
	if (!lp->broken && !rc && target_broke(s, lp, (rc = ops->stop(s, err)), err))
		rc = 0; /* it did the session but not the goodbye: the run is kept, as failed */
	if (lp->broken)
		proc_stop(s->p); /* it died, hung or talks garbage: no (more) goodbye */
	struct lb_error ferr = {0};
	int frc = exec_finish(live, sub, &ferr); /* always: reaps the process */
	s->p = NULL;
	if (!rc && frc) {
		*err = ferr;
		rc = frc;
	}
	return rc;
}

/* One long-lived process for the whole session (GHCi, an LSP server).  Its measurement is
 * adopted by the run and aligned to the steps afterwards. */
static int process_session(struct session *s, const struct runner_ops *ops, struct lb_run *run, struct loop *lp,
			   struct lb_error *err)
{
	char **argv = process_argv(s->o, ops);
	char *dir = NULL;
	if (!argv || asprintf(&dir, "%s/%s", s->o->run_dir, ops->dir) < 0) {
		free(argv);
		return lb_error_oom(err);
	}
	s->dir = dir;
	struct lb_run sub;
	int rc = record_init(&sub, err);
	if (!rc)
		rc = drive_process(s, ops, argv, &sub, run, lp, err);
	int erc = ops->end(s, &sub, !rc, err);
	if (!rc)
		rc = erc;
	if (!rc)
		rc = adopt(run, &sub, err);
	if (!rc)
		rc = align_steps(run, (run->series_zero = rts_zero(run, &sub)), err);
	if (!rc)
		rc = align_rss(run, sub.started_at, err);
	if (!rc && lp->broken)
		rc = mark_broken(run, dir, lp->why, err);
	record_free(&sub);
	free(dir);
	free(argv);
	return rc;
}

static const struct runner_ops *runner_of(enum scn_runner kind)
{
	return kind == SCN_RUNNER_GHCI ? &runner_ghci : kind == SCN_RUNNER_LSP ? &runner_lsp : &runner_exec;
}

int session_run(const struct scn_scenario *sc, const struct session_opts *o, struct lb_run *run,
		struct lb_error *err)
{
	const struct runner_ops *ops = runner_of(sc->runner);
	double t_start = session_now();
	struct session s = {.sc = sc, .o = o, .t0 = t_start};
	struct loop lp = {0};
	int rc = ops->dir ? process_session(&s, ops, run, &lp, err) : step_loop(&s, ops, run, &lp, err);
	edit_book_free(s.book);
	if (rc)
		return rc;
	run->started_at = t_start;
	if (!ops->dir)
		run->series_zero = t_start; /* the exec runner's steps' series are on the session's clock */
	run->wall_seconds = session_now() - t_start;
	if ((rc = record_add_metric(run, "wall_seconds", run->wall_seconds, "s", err)) ||
	    (rc = summarise_steps(run, err)))
		return rc;
	if (lp.failed && run->status == LB_RUN_OK) {
		run->status = LB_RUN_CRASHED;
		free(run->reason);
		char why[700];
		size_t first = 0;
		while (!run->steps[first].failed)
			first++;
		snprintf(why, sizeof(why), "%d step%s failed; the first, line %d (%s %s): %s", lp.failed,
			 lp.failed == 1 ? "" : "s", run->steps[first].line, run->steps[first].kind,
			 run->steps[first].detail, run->steps[first].note ? run->steps[first].note : "");
		run->reason = lb_strdup(why, err);
	}
	return 0;
}
