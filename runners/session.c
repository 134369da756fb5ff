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
#include "runners/proc.h"

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
	if (s->kind == SCN_EVAL && k < size)
		snprintf(buf + k, size - k, "%s", s->text);
}

/* A step's own process took heap censuses: keep them as that step's, with sample numbers
 * continuing the run's (times stay those of the step's process). */
static int adopt_census(struct lb_run *run, const struct lb_run *sub, int step, struct lb_error *err)
{
	if (!sub->n_census)
		return 0;
	int base = run->n_census ? run->census[run->n_census - 1].sample + 1 : 0;
	struct lb_census_row *rows = realloc(run->census, (run->n_census + sub->n_census) * sizeof(*rows));
	if (!rows)
		return lb_error_oom(err);
	run->census = rows;
	for (size_t i = 0; i < sub->n_census; i++) {
		const char *label = sub->census_labels[sub->census[i].label];
		size_t li = 0;
		while (li < run->n_census_labels && strcmp(run->census_labels[li], label) != 0)
			li++;
		if (li == run->n_census_labels) {
			char **nl = realloc(run->census_labels, (li + 1) * sizeof(*nl));
			if (!nl)
				return lb_error_oom(err);
			run->census_labels = nl;
			if (!(nl[li] = strdup(label)))
				return lb_error_oom(err);
			run->n_census_labels++;
		}
		struct lb_census_row r = sub->census[i];
		r.sample += base;
		r.step = step;
		r.label = (uint32_t)li;
		run->census[run->n_census++] = r;
	}
	return 0;
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
		if (!rc)
			rc = adopt_census(run, &sub, (int)index, err);
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
		/* a single-process runner already has the process's own figure: keep it */
		if (!isnan(v) && !record_metric(run, agg[a].name) &&
		    record_add_metric(run, agg[a].name, v, agg[a].unit, err))
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

#define GHCI_PROMPT "<<leakbench-ghci-prompt>>"

/* The first line of GHCi's answer that names an error, for the step's note. */
static void first_error(const char *out, char *buf, size_t size)
{
	buf[0] = '\0';
	for (const char *p = out; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		if (memmem(p, n, "error", 5)) {
			snprintf(buf, size, "%.*s", (int)n, p);
			return;
		}
		p = eol ? eol + 1 : NULL;
	}
}

/* One GHCi command: send it, wait for the prompt, judge the answer.  Command and answer go
 * to `transcript` (the session's record of what GHCi said). */
static int ghci_command(struct proc *p, const struct scn_scenario *sc, const char *cmd, size_t step,
			FILE *transcript, struct lb_run *run, struct lb_error *err)
{
	char *answer = NULL;
	int rc = proc_send(p, cmd, sc->timeout, err);
	if (!rc)
		rc = proc_expect(p, GHCI_PROMPT, sc->timeout, &answer, err);
	if (transcript) {
		fprintf(transcript, "ghci> %s%s", cmd, answer ? answer : "");
		fflush(transcript);
	}
	if (!rc && answer && strstr(answer, "Failed, ")) {
		char line[300], note[400];
		first_error(answer, line, sizeof(line));
		snprintf(note, sizeof(note), "compilation failed%s%s", line[0] ? ": " : "", line);
		/* recorded, not fatal unless the scenario says so: an edit may break the code
		 * on purpose */
		rc = sc->compile_errors_fail ? record_step_failed(run, step, note, err)
					     : record_step_note(run, step, note, err);
	} else if (!rc && answer && strstr(answer, "<interactive>") && strstr(answer, "error")) {
		rc = record_step_note(run, step, "the expression did not compile", err);
	}
	free(answer);
	return rc;
}

/* Per-step figures of a single long-lived process, from its series: the live bytes of the
 * last major GC inside each step's window, the peak inside it, the allocation during it,
 * and each census row's step.  Series times are seconds since the RTS started; steps are
 * unix seconds: `t0` (the spawn) ties them. */
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

/* The step loop, shared by the runners: `act` carries out one step. */
struct runner {
	const struct scn_scenario *sc;
	const struct session_opts *o;
	struct edit_book *book;
	struct proc *p; /* ghci: the REPL */
	FILE *transcript; /* ghci: every command and answer */
};

static int act(struct runner *r, const struct scn_step *s, size_t i, struct lb_run *run,
	       struct lb_error *err)
{
	const struct scn_scenario *sc = r->sc;
	switch (s->kind) {
	case SCN_RUN:
		return run_step(r->o, s, i, run, err);
	case SCN_EDIT:
		if (!r->o->codebase)
			return lb_error_set(err, LB_EINVAL, "%s:%d: an edit needs a codebase (add a codebase line)",
					    sc->path, s->line);
		if (edit_apply(&r->book, r->o->codebase, s, err))
			return lb_error_prefix(err, "%s:%d: ", sc->path, s->line);
		return 0;
	case SCN_WAIT:
	case SCN_SETTLE:
		if (s->kind == SCN_WAIT && s->wait == SCN_WAIT_PROMPT)
			return 0; /* every GHCi command already waits for its prompt */
		if (r->p)
			return proc_idle(r->p, s->seconds, err);
		sleep_for(s->seconds);
		return 0;
	case SCN_LOAD:
	case SCN_RELOAD:
	case SCN_EVAL: {
		char *cmd;
		int n = s->kind == SCN_LOAD	? asprintf(&cmd, ":load %s\n", s->name)
			: s->kind == SCN_RELOAD ? asprintf(&cmd, ":reload\n")
						: asprintf(&cmd, "%s\n", s->text);
		if (n < 0)
			return lb_error_oom(err);
		int rc = ghci_command(r->p, sc, cmd, i, r->transcript, run, err);
		free(cmd);
		return rc ? lb_error_prefix(err, "%s:%d: ", sc->path, s->line) : 0;
	}
	default:
		return 0; /* mark: a point in time */
	}
}

static int step_loop(struct runner *r, struct lb_run *run, int *failed, struct lb_error *err)
{
	const struct scn_scenario *sc = r->sc;
	int rc = 0;
	for (size_t i = 0; !rc && i < sc->n_steps; i++) {
		const struct scn_step *s = &sc->steps[i];
		char detail[512];
		describe(s, detail, sizeof(detail));
		double start = now_unix();
		if (r->o->verbose) {
			printf("step %zu/%zu  line %d  %s %s\n", i + 1, sc->n_steps, s->line, scn_step_name(s->kind),
			       detail);
			fflush(stdout);
		}
		if ((rc = record_add_step(run, s->line, s->iteration, scn_step_name(s->kind), detail, start,
					  start, err)))
			break;
		rc = act(r, s, i, run, err);
		run->steps[i].end = now_unix();
		*failed += run->steps[i].failed;
		if (!rc)
			rc = record_add_step_metric(run, (int)i, "latency_seconds", run->steps[i].end - start, "s",
						    err);
	}
	return rc;
}

/* GHCi: one REPL for the whole session, with a prompt of our own. */
static int ghci_session(struct runner *r, struct lb_run *run, int *failed, struct lb_error *err)
{
	const struct session_opts *o = r->o;
	static char *const default_args[] = {"--interactive", "-ignore-dot-ghci", NULL};
	char *const *fixed = o->args && o->args[0] ? o->args : default_args;
	size_t nfixed = 0;
	while (fixed[nfixed])
		nfixed++;
	char **argv = calloc(nfixed + 2, sizeof(char *));
	char *dir = NULL;
	if (!argv || asprintf(&dir, "%s/ghci", o->run_dir) < 0) {
		free(argv);
		return lb_error_oom(err);
	}
	argv[0] = (char *)o->program;
	for (size_t i = 0; i < nfixed; i++)
		argv[i + 1] = fixed[i];
	struct exec_opts eo = o->measure;
	eo.argv = argv;
	eo.cwd = o->codebase;
	eo.per_gc = !eo.eventlog && !eo.no_rts; /* per-GC lines stand in for the eventlog */
	struct lb_run sub;
	struct exec_live *live = NULL;
	int rc = record_init(&sub, err);
	if (!rc)
		rc = exec_start(&eo, dir, &sub, 1, &live, err);
	char *tpath = NULL;
	if (!rc && asprintf(&tpath, "%s/transcript.txt", dir) > 0)
		r->transcript = fopen(tpath, "w");
	if (!rc) {
		r->p = exec_proc(live);
		rc = proc_send(r->p, ":set prompt \"" GHCI_PROMPT "\"\n", r->sc->timeout, err);
		if (!rc)
			rc = proc_expect(r->p, GHCI_PROMPT, r->sc->timeout, NULL, err);
		if (!rc)
			rc = proc_send(r->p, ":set prompt-cont \"\"\n", r->sc->timeout, err);
		if (!rc)
			rc = proc_expect(r->p, GHCI_PROMPT, r->sc->timeout, NULL, err);
		if (rc)
			lb_error_prefix(err, "starting GHCi: ");
		if (!rc)
			rc = step_loop(r, run, failed, err);
		if (!rc)
			rc = proc_send(r->p, ":quit\n", r->sc->timeout, err);
		struct lb_error ferr = {0};
		int frc = exec_finish(live, &sub, &ferr); /* always: reaps GHCi */
		r->p = NULL;
		if (!rc && frc) {
			*err = ferr;
			rc = frc;
		}
	}
	if (r->transcript) {
		fclose(r->transcript);
		r->transcript = NULL;
		if (!rc)
			rc = record_add_artifact(&sub, "ghci-transcript", tpath, err);
	}
	free(tpath);
	if (!rc)
		rc = adopt(run, &sub, err);
	if (!rc)
		rc = align_steps(run, sub.started_at, err);
	record_free(&sub);
	free(dir);
	free(argv);
	return rc;
}

int session_run(const struct scn_scenario *sc, const struct session_opts *o, struct lb_run *run,
		struct lb_error *err)
{
	if (sc->runner == SCN_RUNNER_LSP)
		return lb_error_set(err, LB_EINVAL,
				    "%s: the lsp runner is not available yet (exec and ghci scenarios run today)",
				    sc->path);
	struct runner r = {.sc = sc, .o = o};
	int rc, failed = 0;
	double t_start = now_unix();
	rc = sc->runner == SCN_RUNNER_GHCI ? ghci_session(&r, run, &failed, err)
					   : step_loop(&r, run, &failed, err);
	edit_book_free(r.book);
	if (rc)
		return rc;
	run->started_at = t_start;
	run->wall_seconds = now_unix() - t_start;
	if ((rc = record_add_metric(run, "wall_seconds", run->wall_seconds, "s", err)) ||
	    (rc = summarise_steps(run, err)))
		return rc;
	if (failed && run->status == LB_RUN_OK) {
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
