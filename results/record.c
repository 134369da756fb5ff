/*
 * record.c - life cycle of the run record and its run ids.
 *
 * Run ids are ULIDs: 48 bits of milliseconds since the epoch then 80 random bits, written in
 * Crockford's base32.  Sorting ids sorts runs by time, and two machines writing separate
 * databases never collide, which is what `leakbench merge` relies on.
 */
#include "base/mem.h"
#include "base/text.h"
#include "results/record.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* Floors (reference (c), step 1): allocation is nearly deterministic, RSS and times are
 * noisy; a live-bytes slope below 4 KiB a step is no leak worth a flag. */
const struct lb_headline lb_headlines[] = {
	/* first, so comparisons lead with it where it exists: the median live bytes at a run's
	 * checkpoints, each after an idle major GC, does not depend on when GCs happen (40 runs
	 * of two equivalent fixture revisions spread max_live_bytes from 69 to 83 MiB) */
	{"settled_live_bytes", "bytes", "settled live", LB_STEPS_NONE, 1, 0.01},
	{"max_live_bytes", "bytes", "max live", LB_STEPS_MAX, 1, 0.02},
	{"allocated_bytes", "bytes", "allocated", LB_STEPS_SUM, 1, 0.005},
	{"max_mem_in_use_bytes", "bytes", "max in use", LB_STEPS_MAX, 1, 0.03},
	{"peak_rss_bytes", "bytes", "peak RSS", LB_STEPS_MAX, 1, 0.05},
	{"gc_cpu_seconds", "s", "GC CPU", LB_STEPS_SUM, 1, 0.10},
	{"wall_seconds", "s", "wall", LB_STEPS_NONE, 1, 0.10},
	{"live_bytes_slope_per_step", "bytes", "live bytes per step", LB_STEPS_NONE, 0, 4096},
	{NULL, NULL, NULL, LB_STEPS_NONE, 0, 0},
};

const struct lb_headline *record_headline(const char *name)
{
	for (const struct lb_headline *h = lb_headlines; h->name; h++)
		if (!strcmp(h->name, name))
			return h;
	return NULL;
}

int record_new_id(char *out, struct lb_error *err)
{
	static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	unsigned char rnd[10];
	size_t got = 0;
	while (got < sizeof(rnd)) {
		ssize_t n = getrandom(rnd + got, sizeof(rnd) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return lb_error_set(err, LB_EIO, "getrandom: %s", strerror(errno));
		}
		got += (size_t)n;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	/* 10 characters of time (50 bits, top 2 always 0), 16 of randomness (80 bits). */
	for (int i = 9; i >= 0; i--) {
		out[i] = b32[ms & 31];
		ms >>= 5;
	}
	for (int i = 0; i < 16; i++) {
		/* bits [5i, 5i+5) of the 80 random bits */
		int bit = i * 5, byte = bit / 8, shift = bit % 8;
		unsigned v = (unsigned)rnd[byte] << 8 | (byte + 1 < 10 ? rnd[byte + 1] : 0);
		out[10 + i] = b32[(v >> (11 - shift)) & 31];
	}
	out[LB_RUN_ID_LEN] = '\0';
	return 0;
}

int record_init(struct lb_run *run, struct lb_error *err)
{
	memset(run, 0, sizeof(*run));
	run->exit_code = -1;
	return record_new_id(run->id, err);
}

void record_env_free(struct lb_environment *env)
{
	free(env->host);
	free(env->kernel);
	free(env->cpu_model);
	free(env->ghc_version);
	free(env->rts_way);
	free(env->leakbench_version);
	memset(env, 0, sizeof(*env));
}

int record_env_copy(struct lb_environment *dst, const struct lb_environment *src,
		    struct lb_error *err)
{
	struct lb_environment e = *src;
	e.host = lb_strdup(src->host, err);
	e.kernel = lb_strdup(src->kernel, err);
	e.cpu_model = lb_strdup(src->cpu_model, err);
	e.ghc_version = lb_strdup(src->ghc_version, err);
	e.rts_way = lb_strdup(src->rts_way, err);
	e.leakbench_version = lb_strdup(src->leakbench_version, err);
	if ((src->host && !e.host) || (src->kernel && !e.kernel) ||
	    (src->cpu_model && !e.cpu_model) || (src->ghc_version && !e.ghc_version) ||
	    (src->rts_way && !e.rts_way) || (src->leakbench_version && !e.leakbench_version)) {
		record_env_free(&e);
		return lb_error_oom(err);
	}
	*dst = e;
	return 0;
}

void record_free(struct lb_run *run)
{
	if (!run)
		return;
	free(run->program);
	free(run->command);
	free(run->rts_flags);
	free(run->scenario);
	free(run->target);
	free(run->revision);
	free(run->build_id);
	free(run->reason);
	free(run->artifact_dir);
	for (size_t i = 0; i < run->n_metrics; i++) {
		free(run->metrics[i].name);
		free(run->metrics[i].unit);
	}
	free(run->metrics);
	for (size_t i = 0; i < run->n_artifacts; i++) {
		free(run->artifacts[i].kind);
		free(run->artifacts[i].path);
	}
	free(run->artifacts);
	record_env_free(&run->env);
	for (size_t i = 0; i < run->n_series; i++) {
		free(run->series[i].name);
		free(run->series[i].unit);
		free(run->series[i].p);
	}
	free(run->series);
	free(run->census);
	for (size_t i = 0; i < run->n_census_labels; i++)
		free(run->census_labels[i]);
	free(run->census_labels);
	for (size_t i = 0; i < run->n_marks; i++)
		free(run->marks[i].text);
	free(run->marks);
	for (size_t i = 0; i < run->n_steps; i++) {
		free(run->steps[i].kind);
		free(run->steps[i].detail);
		free(run->steps[i].note);
	}
	free(run->steps);
	for (size_t i = 0; i < run->n_step_metrics; i++) {
		free(run->step_metrics[i].name);
		free(run->step_metrics[i].unit);
	}
	free(run->step_metrics);
	for (size_t i = 0; i < run->n_verdicts; i++) {
		free(run->verdicts[i].source);
		free(run->verdicts[i].message);
	}
	free(run->verdicts);
	memset(run, 0, sizeof(*run));
}

int record_add_step(struct lb_run *run, int line, int iteration, const char *kind,
		    const char *detail, double start, double end, struct lb_error *err)
{
	struct lb_step *p = realloc(run->steps, (run->n_steps + 1) * sizeof(*p));
	if (!p)
		return lb_error_oom(err);
	run->steps = p;
	struct lb_step *st = &p[run->n_steps];
	memset(st, 0, sizeof(*st));
	st->line = line;
	st->iteration = iteration;
	st->start = start;
	st->end = end;
	st->kind = lb_strdup(kind, err);
	st->detail = lb_strdup(detail ? detail : "", err);
	if (!st->kind || !st->detail) {
		free(st->kind);
		free(st->detail);
		return lb_error_oom(err);
	}
	run->n_steps++;
	return 0;
}

int record_step_note(struct lb_run *run, size_t step, const char *note, struct lb_error *err)
{
	if (step >= run->n_steps)
		return lb_error_set(err, LB_EINVAL, "no step %zu", step);
	struct lb_step *st = &run->steps[step];
	/* notes carry what targets say (a server's diagnostics, a program's stderr): shown on
	 * terminals, so their control characters are escaped */
	if (!st->note && note && !(st->note = text_visible(note)))
		return lb_error_oom(err);
	return 0;
}

int record_step_note_add(struct lb_run *run, size_t step, const char *note, struct lb_error *err)
{
	if (step >= run->n_steps)
		return lb_error_set(err, LB_EINVAL, "no step %zu", step);
	struct lb_step *st = &run->steps[step];
	if (!st->note)
		return record_step_note(run, step, note, err);
	char *both, *v = text_visible(note);
	if (!v || asprintf(&both, "%s; %s", st->note, v) < 0) {
		free(v);
		return lb_error_oom(err);
	}
	free(v);
	free(st->note);
	st->note = both;
	return 0;
}

int record_step_failed(struct lb_run *run, size_t step, const char *note, struct lb_error *err)
{
	if (step >= run->n_steps)
		return lb_error_set(err, LB_EINVAL, "no step %zu", step);
	run->steps[step].failed = 1;
	return record_step_note(run, step, note, err);
}

int record_add_step_metric(struct lb_run *run, int step, const char *name, double value,
			   const char *unit, struct lb_error *err)
{
	if (LB_GROW(run->step_metrics, run->n_step_metrics + 1, run->cap_step_metrics, err))
		return err ? err->code : LB_ENOMEM;
	struct lb_step_metric *m = &run->step_metrics[run->n_step_metrics];
	m->step = step;
	m->value = value;
	m->name = lb_strdup(name, err);
	m->unit = lb_strdup(unit ? unit : "", err);
	if (!m->name || !m->unit) {
		free(m->name);
		free(m->unit);
		return lb_error_oom(err);
	}
	run->n_step_metrics++;
	return 0;
}

double record_step_metric(const struct lb_run *run, int step, const char *name)
{
	for (size_t i = 0; i < run->n_step_metrics; i++)
		if (run->step_metrics[i].step == step && strcmp(run->step_metrics[i].name, name) == 0)
			return run->step_metrics[i].value;
	return NAN;
}

const char *record_verdict_name(int holds)
{
	return holds == LB_VERDICT_HOLDS ? "ok" : holds == LB_VERDICT_UNKNOWN ? "INCONCLUSIVE" : "FAIL";
}

int record_add_verdict(struct lb_run *run, int line, const char *source, int holds, double value,
		       const char *message, struct lb_error *err)
{
	struct lb_verdict *p = realloc(run->verdicts, (run->n_verdicts + 1) * sizeof(*p));
	if (!p)
		return lb_error_oom(err);
	run->verdicts = p;
	struct lb_verdict *v = &p[run->n_verdicts];
	v->line = line;
	v->holds = holds;
	v->value = value;
	v->source = lb_strdup(source, err);
	v->message = lb_strdup(message, err);
	if (!v->source || !v->message) {
		free(v->source);
		free(v->message);
		return lb_error_oom(err);
	}
	run->n_verdicts++;
	return 0;
}

int record_add_series(struct lb_run *run, const char *name, const char *unit,
		      struct lb_point *p, size_t n, struct lb_error *err)
{
	struct lb_series *ns = realloc(run->series, (run->n_series + 1) * sizeof(*ns));
	if (!ns) {
		free(p);
		return lb_error_oom(err);
	}
	run->series = ns;
	struct lb_series *se = &ns[run->n_series];
	se->name = lb_strdup(name, err);
	se->unit = lb_strdup(unit, err);
	se->p = p;
	se->n = n;
	if (!se->name || !se->unit) {
		free(se->name);
		free(se->unit);
		free(p);
		return lb_error_oom(err);
	}
	run->n_series++;
	return 0;
}

const struct lb_series *record_series(const struct lb_run *run, const char *name)
{
	for (size_t i = 0; i < run->n_series; i++)
		if (strcmp(run->series[i].name, name) == 0)
			return &run->series[i];
	return NULL;
}

const struct lb_metric *record_metric(const struct lb_run *run, const char *name)
{
	for (size_t i = 0; i < run->n_metrics; i++)
		if (strcmp(run->metrics[i].name, name) == 0)
			return &run->metrics[i];
	return NULL;
}

long record_census_label(struct lb_run *run, const char *label, struct lb_error *err)
{
	for (size_t i = run->n_census_labels; i-- > 0;) /* newest first: rows come label by label */
		if (!strcmp(run->census_labels[i], label))
			return (long)i;
	char **nl = realloc(run->census_labels, (run->n_census_labels + 1) * sizeof(*nl));
	if (!nl)
		return lb_error_oom(err);
	run->census_labels = nl;
	if (!(nl[run->n_census_labels] = strdup(label)))
		return lb_error_oom(err);
	return (long)run->n_census_labels++;
}

int record_add_metric(struct lb_run *run, const char *name, double value, const char *unit,
		      struct lb_error *err)
{
	struct lb_metric *m = (struct lb_metric *)record_metric(run, name);
	if (m) {
		m->value = value;
		return 0;
	}
	return record_append_metric(run, name, value, unit, err);
}

int record_append_metric(struct lb_run *run, const char *name, double value, const char *unit,
			 struct lb_error *err)
{
	if (LB_GROW(run->metrics, run->n_metrics + 1, run->cap_metrics, err))
		return err ? err->code : LB_ENOMEM;
	struct lb_metric *m = &run->metrics[run->n_metrics];
	m->name = lb_strdup(name, err);
	m->unit = lb_strdup(unit ? unit : "", err);
	m->value = value;
	if (!m->name || !m->unit) {
		free(m->name);
		free(m->unit);
		return lb_error_oom(err);
	}
	run->n_metrics++;
	return 0;
}

int record_add_artifact(struct lb_run *run, const char *kind, const char *path,
			struct lb_error *err)
{
	if (LB_GROW(run->artifacts, run->n_artifacts + 1, run->cap_artifacts, err))
		return err ? err->code : LB_ENOMEM;
	struct lb_artifact *a = &run->artifacts[run->n_artifacts];
	memset(a, 0, sizeof(*a));
	a->kind = lb_strdup(kind, err);
	a->path = lb_strdup(path, err);
	if (!a->kind || !a->path) {
		free(a->kind);
		free(a->path);
		return lb_error_oom(err);
	}
	run->n_artifacts++;
	return 0;
}

static const char *const status_names[] = {"ok", "crashed", "timeout"};

const char *record_status_name(enum lb_run_status s)
{
	return (unsigned)s < sizeof(status_names) / sizeof(*status_names) ? status_names[s]
									    : "unknown";
}

int record_status_parse(const char *name, enum lb_run_status *out)
{
	for (size_t i = 0; i < sizeof(status_names) / sizeof(*status_names); i++)
		if (strcmp(name, status_names[i]) == 0) {
			*out = (enum lb_run_status)i;
			return 0;
		}
	return LB_EINVAL;
}
