/*
 * run_exec.c - the exec runner: a process per `run` step, measured like `leakbench exec`.
 *
 * Each `run` step starts the program (fixed arguments, then the step's) in the step's own
 * folder (step-NNN/, numbered from 1 as the step tables print them) with the codebase as its working directory; the process's whole-run
 * figures become that step's metrics (live_bytes is its max_live_bytes: the live data the
 * step needed), its artifacts and census rows the run's.  `wait` and `settle` sleep; an
 * edit changes the codebase for the next run.  A failed program fails its step, not the
 * session.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "runners/exec.h"
#include "runners/runner.h"

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
		long li = record_census_label(run, sub->census_labels[sub->census[i].label], err);
		if (li < 0)
			return (int)li;
		struct lb_census_row r = sub->census[i];
		r.sample += base;
		r.step = step;
		r.label = (uint32_t)li;
		run->census[run->n_census++] = r;
	}
	return 0;
}

/* The step's process's markers and series (live bytes after each major GC, heap, RSS ...),
 * moved onto one clock for the session: seconds since it began.  Its own times count from
 * its RTS's start (the eventlog's first event), which came `delay` after its spawn. */
static int adopt_timeline(struct session *ss, struct lb_run *run, struct lb_run *sub, struct lb_error *err)
{
	const struct lb_metric *delay = record_metric(sub, "eventlog.start_delay_seconds");
	double shift = sub->started_at + (delay ? delay->value : 0) - ss->t0;
	if (sub->n_marks) {
		struct lb_mark *all = realloc(run->marks, (run->n_marks + sub->n_marks) * sizeof(*all));
		if (!all)
			return lb_error_oom(err);
		run->marks = all;
		for (size_t i = 0; i < sub->n_marks; i++) {
			all[run->n_marks] = sub->marks[i];
			all[run->n_marks++].t += shift;
			sub->marks[i].text = NULL; /* moved */
		}
	}
	for (size_t k = 0; k < sub->n_series; k++) {
		struct lb_series *from = &sub->series[k];
		/* the RSS samples count from the spawn, not from the RTS's start */
		double sh = !strcmp(from->name, "rss_bytes") ? sub->started_at - ss->t0 : shift;
		struct lb_series *into = NULL;
		for (size_t j = 0; j < run->n_series && !into; j++)
			if (!strcmp(run->series[j].name, from->name))
				into = &run->series[j];
		struct lb_point *p = into ? realloc(into->p, (into->n + from->n) * sizeof(*p))
					  : malloc((from->n + 1) * sizeof(*p));
		if (!p)
			return lb_error_oom(err);
		size_t at = into ? into->n : 0;
		for (size_t i = 0; i < from->n; i++)
			p[at + i] = (struct lb_point){from->p[i].t + sh, from->p[i].v};
		if (into) {
			into->p = p;
			into->n += from->n;
		} else if (record_add_series(run, from->name, from->unit, p, from->n, err)) {
			return err->code;
		}
	}
	return 0;
}

/* The step's program run: argv = program, fixed args, step args. */
static int run_step(struct session *ss, const struct scn_step *s, size_t index, struct lb_run *run,
		    struct lb_error *err)
{
	const struct session_opts *o = ss->o;
	size_t nfixed = 0;
	while (o->args && o->args[nfixed])
		nfixed++;
	char **argv = calloc(1 + nfixed + s->n_args + 1, sizeof(char *));
	char *dir = NULL;
	/* numbered as `run` and `show` print steps, from 1 */
	if (!argv || asprintf(&dir, "%s/step-%03zu", o->run_dir, index + 1) < 0) {
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
		/* the figures the run's own are made from (see summarise_steps) */
		for (const struct lb_headline *h = lb_headlines; !rc && h->name; h++) {
			const struct lb_metric *m = h->from_steps != LB_STEPS_NONE ? record_metric(&sub, h->name) : NULL;
			if (m)
				rc = record_add_step_metric(run, (int)index, h->name, m->value, m->unit, err);
		}
		const struct lb_metric *live = record_metric(&sub, "max_live_bytes");
		if (!rc && live)
			rc = record_add_step_metric(run, (int)index, "live_bytes", live->value, "bytes", err);
		for (size_t i = 0; !rc && i < sub.n_artifacts; i++) {
			char kind[64];
			snprintf(kind, sizeof(kind), "step-%03zu-%s", index + 1, sub.artifacts[i].kind);
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
		if (!rc)
			rc = adopt_timeline(ss, run, &sub, err);
	}
	record_free(&sub);
	free(dir);
	free(argv);
	return rc;
}

static int exec_act(struct session *s, const struct scn_step *st, size_t i, struct lb_run *run,
		    struct lb_error *err)
{
	switch (st->kind) {
	case SCN_RUN:
		return run_step(s, st, i, run, err);
	case SCN_EDIT:
		return session_edit(s, st, err);
	case SCN_WAIT:
	case SCN_SETTLE:
		session_sleep(st->seconds);
		return 0;
	default:
		return 0; /* mark: a point in time */
	}
}

const struct runner_ops runner_exec = {.name = "exec", .act = exec_act};
