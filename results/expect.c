/*
 * expect.c - expectations against a run.
 *
 * Steps are counted by marks: `per edit` means "one step ends at each `mark edit`", and the
 * value of a step is the per-step metric of the last step before that mark which measured it
 * (for the exec runner the `run` step; for GHCi the `reload`).  The slope is Theil-Sen over
 * (occurrence, value), compared by its point estimate; the message gives its 95% interval.
 */
#include "results/expect.h"

#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "results/detect.h"

static void fmt(double v, const char *metric, char *buf, size_t size)
{
	int bytes = metric && strstr(metric, "bytes");
	if (isnan(v))
		snprintf(buf, size, "n/a");
	else if (bytes && fabs(v) >= 1024)
		snprintf(buf, size, "%.0f B (%.2f MiB)", v, v / 1048576.0);
	else
		snprintf(buf, size, "%.6g%s", v, bytes ? " B" : metric && strstr(metric, "seconds") ? " s" : "");
}

/* Theil-Sen over the series' points: 0 with *sl, or -1 when fewer than 3.  Every slope
 * leakbench reports is this one computation. */
static int slope_of(const double *x, const double *y, size_t n, struct detect_slope *sl)
{
	return n >= 3 && detect_theil_sen(x, y, n, sl) == 0 ? 0 : -1;
}

/* NAME, NAME_lo and NAME_hi: a slope with its 95% interval, in bytes. */
static int add_slope_metrics(struct lb_run *run, const char *name, const struct detect_slope *sl, const char *unit,
			     struct lb_error *err)
{
	char lo[240], hi[240];
	snprintf(lo, sizeof(lo), "%s_lo", name);
	snprintf(hi, sizeof(hi), "%s_hi", name);
	if (record_add_metric(run, name, sl->slope, unit, err) || record_add_metric(run, lo, sl->lo, unit, err) ||
	    record_add_metric(run, hi, sl->hi, unit, err))
		return err->code;
	return 0;
}

/* Index of the first step that is `mark NAME`, or -1. */
static long find_mark(const struct lb_run *run, const char *name)
{
	for (size_t i = 0; i < run->n_steps; i++)
		if (strcmp(run->steps[i].kind, "mark") == 0 && strcmp(run->steps[i].detail, name) == 0)
			return (long)i;
	return -1;
}

/* Whether a program's mark is `name`, alone or with a value after a space (traceMarker
 * "size 101", as `mark size 101` is a step's): *value gets it, or NaN. */
static int program_mark_is(const char *text, const char *name, double *value)
{
	size_t n = strlen(name);
	*value = NAN;
	if (strncmp(text, name, n))
		return 0;
	if (!text[n])
		return 1;
	char *end;
	double v = text[n] == ' ' ? strtod(text + n + 1, &end) : NAN;
	if (isnan(v) || end == text + n + 1 || *end)
		return 0;
	*value = v;
	return 1;
}

/* Windows between the program's own marks (`marks program`): each ends at a traceMarker
 * named `per` (with its value, `size 101`, or without), from the first one named `after`
 * on; its figure is the last point of the series of that name (live bytes after each major
 * GC) inside it.  Marks and series are on one clock (one process's RTS, or the session's
 * for the exec runner). */
static int series_per_program_mark(const struct lb_run *run, const char *metric, const char *per,
				   const char *after, struct expect_series *out, struct lb_error *err)
{
	const struct lb_series *se = record_series(run, metric);
	out->x = malloc((run->n_marks + 1) * sizeof(*out->x));
	out->y = malloc((run->n_marks + 1) * sizeof(*out->y));
	out->v = malloc((run->n_marks + 1) * sizeof(*out->v));
	if (!out->x || !out->y || !out->v) {
		expect_series_free(out);
		return lb_error_oom(err);
	}
	size_t i = 0;
	if (after) {
		while (i < run->n_marks && (run->marks[i].is_message || strcmp(run->marks[i].text, after)))
			i++;
		if (i == run->n_marks)
			return 0;
	}
	double start = i < run->n_marks && after ? run->marks[i].t : -INFINITY;
	for (; i < run->n_marks; i++) {
		const struct lb_mark *m = &run->marks[i];
		double value;
		if (m->is_message || !program_mark_is(m->text, per, &value))
			continue;
		double last = NAN;
		for (size_t k = 0; se && k < se->n; k++)
			if (se->p[k].t > start && se->p[k].t <= m->t)
				last = se->p[k].v;
		if (!isnan(last)) {
			out->x[out->n] = (double)out->windows;
			out->v[out->n] = value;
			out->y[out->n++] = last;
		}
		out->windows++;
		start = m->t;
	}
	return 0;
}

/* Whether the run has a program mark named `name` (and no `mark` step of that name). */
static int program_mark(const struct lb_run *run, const char *name)
{
	if (find_mark(run, name) >= 0)
		return 0;
	double value;
	for (size_t i = 0; i < run->n_marks; i++)
		if (!run->marks[i].is_message && program_mark_is(run->marks[i].text, name, &value))
			return 1;
	return 0;
}

int expect_series_per_mark(const struct lb_run *run, const char *metric, const char *per, const char *after,
			   struct expect_series *out, struct lb_error *err)
{
	memset(out, 0, sizeof(*out));
	if (program_mark(run, per))
		return series_per_program_mark(run, metric, per, after, out, err);
	long from = after ? find_mark(run, after) : 0;
	if (from < 0)
		return 0;
	out->x = malloc((run->n_steps + 1) * sizeof(*out->x));
	out->y = malloc((run->n_steps + 1) * sizeof(*out->y));
	out->v = malloc((run->n_steps + 1) * sizeof(*out->v));
	if (!out->x || !out->y || !out->v) {
		expect_series_free(out);
		return lb_error_oom(err);
	}
	double last = NAN; /* the window's figure so far */
	for (size_t i = after ? (size_t)from + 1 : 0; i < run->n_steps; i++) {
		double v = record_step_metric(run, (int)i, metric);
		if (!isnan(v))
			last = v;
		if (strcmp(run->steps[i].kind, "mark") || strcmp(run->steps[i].detail, per))
			continue;
		if (!isnan(last)) {
			out->x[out->n] = (double)out->windows;
			out->v[out->n] = record_step_metric(run, (int)i, "mark_value");
			out->y[out->n++] = last;
		}
		out->windows++;
		last = NAN; /* a window without a figure must not borrow the one before */
	}
	return 0;
}

void expect_series_free(struct expect_series *s)
{
	free(s->x);
	free(s->y);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Too few windows measured to judge a leak from. */
static int inconclusive(const struct expect_series *s)
{
	return (double)s->n < EXPECT_MIN_MEASURED * (double)s->windows;
}

static int judge_metric(const struct scn_expect *e, struct lb_run *run, struct lb_error *err)
{
	const struct lb_metric *m = record_metric(run, e->metric);
	char msg[700], a[64], b[64];
	fmt(e->bound, e->metric, b, sizeof(b));
	if (!m) {
		snprintf(msg, sizeof(msg), "%s was not measured in this run (no such metric)", e->metric);
		return record_add_verdict(run, e->line, e->source, 0, NAN, msg, err);
	}
	int holds = scn_op_holds(e->op, m->value, e->bound);
	fmt(m->value, e->metric, a, sizeof(a));
	snprintf(msg, sizeof(msg), "%s = %s, %s %s %s", e->metric, a, holds ? "within" : "NOT",
		 scn_op_name(e->op), b);
	return record_add_verdict(run, e->line, e->source, holds, m->value, msg, err);
}

/* A slope over time (`per minute`): Theil-Sen over every sample of the series (live bytes
 * after each major GC) from the `after` mark on, not only the checkpoints, so an idle
 * server that grows between them is seen; stored as slope:METRIC:UNIT with its interval. */
static int judge_time_slope(const struct scn_expect *e, struct lb_run *run, struct lb_error *err)
{
	const struct lb_series *se = record_series(run, e->metric);
	long from = e->after ? find_mark(run, e->after) : -1;
	double start = from >= 0 ? run->steps[from].end - run->series_zero : -INFINITY;
	double *x = malloc(((se ? se->n : 0) + 1) * sizeof(*x)), *y = malloc(((se ? se->n : 0) + 1) * sizeof(*y));
	size_t n = 0;
	if (!x || !y) {
		free(x), free(y);
		return lb_error_oom(err);
	}
	for (size_t k = 0; se && run->series_zero > 0 && k < se->n; k++)
		if (se->p[k].t >= start) {
			x[n] = se->p[k].t / e->per_seconds;
			y[n++] = se->p[k].v;
		}
	char msg[700], a[64], b[64], lo[64], hi[64];
	fmt(e->bound, e->metric, b, sizeof(b));
	struct detect_slope sl;
	double span = n ? x[n - 1] - x[0] : 0;
	int ok = n >= 5 && slope_of(x, y, n, &sl) == 0;
	free(x), free(y);
	if (!ok) {
		snprintf(msg, sizeof(msg),
			 "slope of %s per %s is inconclusive: %zu samples of it%s%s (5 needed: a major GC, which an idle "
			 "GHC program makes after each wake-up, gives one)",
			 e->metric, e->per, n, e->after ? " after " : "", e->after ? e->after : "");
		return record_add_verdict(run, e->line, e->source, LB_VERDICT_UNKNOWN, NAN, msg, err);
	}
	char name[200];
	snprintf(name, sizeof(name), "slope:%s:%s", e->metric, e->per);
	if (add_slope_metrics(run, name, &sl, "bytes", err))
		return err->code;
	int holds = scn_op_holds(e->op, sl.slope, e->bound);
	fmt(sl.slope, e->metric, a, sizeof(a));
	fmt(sl.lo, e->metric, lo, sizeof(lo));
	fmt(sl.hi, e->metric, hi, sizeof(hi));
	snprintf(msg, sizeof(msg), "slope of %s = %s per %s (95%% interval %s to %s, %zu samples over %.1f %ss), %s %s %s",
		 e->metric, a, e->per, lo, hi, n, span, e->per, holds ? "within" : "NOT", scn_op_name(e->op), b);
	return record_add_verdict(run, e->line, e->source, holds, sl.slope, msg, err);
}

/* Growth with size: METRIC ~ value^K over the windows ending at `per` marks that carry a
 * value (mark size 101), K the Theil-Sen slope of log METRIC over log value, with its
 * interval; stored as exponent:METRIC:MARK.  Linear growth is 1; a structure that turns
 * O(n) into O(n^1.3) shows as 1.3 whatever the sizes. */
static int judge_exponent(const struct scn_expect *e, struct lb_run *run, struct lb_error *err)
{
	struct expect_series ser;
	if (expect_series_per_mark(run, e->metric, e->per, e->after, &ser, err))
		return err->code;
	size_t n = 0;
	for (size_t i = 0; i < ser.n; i++)
		if (ser.v && ser.v[i] > 0 && ser.y[i] > 0) {
			ser.x[n] = log(ser.v[i]);
			ser.y[n++] = log(ser.y[i]);
		}
	struct detect_slope sl;
	int ok = n >= 3 && slope_of(ser.x, ser.y, n, &sl) == 0;
	size_t windows = ser.windows;
	expect_series_free(&ser);
	char msg[700], name[200];
	if (!ok) {
		snprintf(msg, sizeof(msg),
			 "exponent of %s per %s is inconclusive: %zu sizes measured of %zu (3 needed, each a `mark %s "
			 "VALUE` with a figure in its window)",
			 e->metric, e->per, n, windows, e->per);
		return record_add_verdict(run, e->line, e->source, LB_VERDICT_UNKNOWN, NAN, msg, err);
	}
	snprintf(name, sizeof(name), "exponent:%s:%s", e->metric, e->per);
	if (add_slope_metrics(run, name, &sl, "", err))
		return err->code;
	int holds = scn_op_holds(e->op, sl.slope, e->bound);
	snprintf(msg, sizeof(msg),
		 "%s grows as %s^%.3g (95%% interval %.3g to %.3g, %zu sizes), %s %s %g", e->metric, e->per, sl.slope,
		 sl.lo, sl.hi, n, holds ? "within" : "NOT", scn_op_name(e->op), e->bound);
	return record_add_verdict(run, e->line, e->source, holds, sl.slope, msg, err);
}

/* Transient peaks: in every window ending at a `per` mark (from `after` on), the largest
 * sample of the series (live bytes after each major GC, or the heap's size) over the
 * checkpoint before the window, the last sample up to its start.  GHCi's :reload once held
 * the previous load until the reload finished: memory doubled during every reload and came
 * back afterwards, so the checkpoints alone looked fine.  The worst ratio is the verdict's
 * figure, stored as peak:METRIC:MARK. */
static int judge_peak(const struct scn_expect *e, struct lb_run *run, struct lb_error *err)
{
	const struct lb_series *se = record_series(run, strcmp(e->metric, "heap") ? e->metric : "heap_bytes");
	long from = e->after ? find_mark(run, e->after) : 0, open = e->after ? from : -1;
	double worst = NAN;
	size_t windows = 0, judged = 0;
	for (size_t i = from >= 0 ? (size_t)from + 1 : 0; se && run->series_zero > 0 && from >= 0 && i < run->n_steps; i++) {
		if (strcmp(run->steps[i].kind, "mark") || strcmp(run->steps[i].detail, e->per))
			continue;
		windows++;
		/* the checkpoint before the window: the last step before its opening mark, whose
		 * own last sample is the base (a checkpoint without one leaves the window out:
		 * an older sample, from the start-up say, is no base) */
		long c = open - 1;
		while (c >= 0 && !strcmp(run->steps[c].kind, "mark"))
			c--;
		double base = NAN, peak = NAN;
		if (open >= 0 && c >= 0) {
			double cs = run->steps[c].start - run->series_zero, ce = run->steps[c].end - run->series_zero;
			double ws = run->steps[open].end - run->series_zero, we = run->steps[i].end - run->series_zero;
			for (size_t k = 0; k < se->n; k++) {
				if (se->p[k].t >= cs && se->p[k].t <= ce)
					base = se->p[k].v;
				if (se->p[k].t > ws && se->p[k].t <= we)
					peak = isnan(peak) ? se->p[k].v : fmax(peak, se->p[k].v);
			}
		}
		if (base > 0 && !isnan(peak)) {
			judged++;
			worst = isnan(worst) ? peak / base : fmax(worst, peak / base);
		}
		open = (long)i;
	}
	char msg[700];
	if (judged < 3) {
		snprintf(msg, sizeof(msg),
			 "peak of %s per %s is inconclusive: %zu of %zu windows had samples inside and a checkpoint before "
			 "(3 needed; the %s series is sampled at major GCs%s)",
			 e->metric, e->per, judged, windows, e->metric,
			 strcmp(e->metric, "heap") ? "" : ", and only an eventlog has the heap's size");
		return record_add_verdict(run, e->line, e->source, LB_VERDICT_UNKNOWN, NAN, msg, err);
	}
	char name[200];
	snprintf(name, sizeof(name), "peak:%s:%s", e->metric, e->per);
	if (record_add_metric(run, name, worst, "ratio", err))
		return err->code;
	int holds = scn_op_holds(e->op, worst, e->bound);
	snprintf(msg, sizeof(msg), "the peak of %s in a %s window reached %.2fx the checkpoint before it (the worst of %zu), %s %s %gx",
		 e->metric, e->per, worst, judged, holds ? "within" : "NOT", scn_op_name(e->op), e->bound);
	return record_add_verdict(run, e->line, e->source, holds, worst, msg, err);
}

static int judge_slope(const struct scn_expect *e, struct lb_run *run, struct lb_error *err)
{
	if (e->per_seconds > 0)
		return judge_time_slope(e, run, err);
	struct expect_series ser;
	char msg[700], a[64], b[64], lo[64], hi[64];
	if (expect_series_per_mark(run, e->metric, e->per, e->after, &ser, err))
		return err->code;
	fmt(e->bound, e->metric, b, sizeof(b));
	struct detect_slope sl;
	size_t n = ser.n, windows = ser.windows;
	int ok = slope_of(ser.x, ser.y, n, &sl) == 0, unsure = inconclusive(&ser);
	expect_series_free(&ser);
	if (!ok || unsure) {
		/* not "it holds" nor "it does not": what was measured cannot say */
		snprintf(msg, sizeof(msg),
			 "slope of %s per %s is inconclusive: %s measured at %zu of %zu checkpoints%s%s (%.0f%% and 3 "
			 "needed); a checkpoint without a figure had no GC in its window (settle until the server is idle)",
			 e->metric, e->per, e->metric, n, windows, e->after ? " after " : "", e->after ? e->after : "",
			 100 * EXPECT_MIN_MEASURED);
		return record_add_verdict(run, e->line, e->source, LB_VERDICT_UNKNOWN, NAN, msg, err);
	}
	int holds = scn_op_holds(e->op, sl.slope, e->bound);
	fmt(sl.slope, e->metric, a, sizeof(a));
	fmt(sl.lo, e->metric, lo, sizeof(lo));
	fmt(sl.hi, e->metric, hi, sizeof(hi));
	snprintf(msg, sizeof(msg), "slope of %s = %s per %s (95%% interval %s to %s, %zu of %zu steps measured), %s %s %s",
		 e->metric, a, e->per, lo, hi, n, windows, holds ? "within" : "NOT", scn_op_name(e->op), b);
	return record_add_verdict(run, e->line, e->source, holds, sl.slope, msg, err);
}

/* Does census label `l` answer the expectation's label (itself, or a /regex/ match)? */
static int label_matches(const struct scn_expect *e, const regex_t *re, const char *l)
{
	return e->label_regex ? regexec(re, l, 0, NULL, 0) == 0 : strcmp(l, e->label) == 0;
}

/* A label no census of the run contains: the verdict says so, with the labels nearest to it
 * (those that share its last part, "HscEnv", first; then by edit distance). */
static int absent_label(const struct scn_expect *e, struct lb_run *run, struct lb_error *err)
{
	const char *tail = strrchr(e->label, '.') ? strrchr(e->label, '.') + 1 : e->label;
	char tailword[64];
	snprintf(tailword, sizeof(tailword), "%.*s", (int)strcspn(tail, "$/\\()[]^*+?"), tail);
	const char *best[3] = {NULL, NULL, NULL};
	size_t score[3] = {(size_t)-1, (size_t)-1, (size_t)-1};
	for (size_t i = 0; i < run->n_census_labels; i++) {
		const char *l = run->census_labels[i];
		size_t d = text_distance(e->label, l);
		size_t s = (tailword[0] && strstr(l, tailword) ? 0 : 1000) + (d == (size_t)-1 ? 999 : d);
		for (int k = 0; k < 3; k++)
			if (s < score[k]) {
				for (int m = 2; m > k; m--)
					best[m] = best[m - 1], score[m] = score[m - 1];
				best[k] = l, score[k] = s;
				break;
			}
	}
	char msg[900];
	snprintf(msg, sizeof(msg), "no census of this run has a label %s %s%s%s%s; the closest seen: %s%s%s%s%s",
		 e->label_regex ? "matching" : "named", e->label_regex ? "/" : "\"", e->label,
		 e->label_regex ? "/" : "\"", "", best[0] ? best[0] : "(none)", best[1] ? ", " : "",
		 best[1] ? best[1] : "", best[2] ? ", " : "", best[2] ? best[2] : "");
	return record_add_verdict(run, e->line, e->source, 0, NAN, msg, err);
}

/* The census rows of `label` in the window of steps [from, until): the largest sample. */
static int judge_census(const struct scn_expect *e, struct lb_run *run, struct lb_error *err)
{
	char msg[700], a[64], b[64];
	if (!e->census_bytes) {
		snprintf(msg, sizeof(msg),
			 "census count of \"%s\" cannot be judged: a -hT census records bytes per closure "
			 "type, not counts (use `bytes`)",
			 e->label);
		return record_add_verdict(run, e->line, e->source, 0, NAN, msg, err);
	}
	double t0 = -INFINITY, t1 = INFINITY;
	long a_idx = e->after ? find_mark(run, e->after) : -1, u_idx = e->until ? find_mark(run, e->until) : -1;
	/* census times are seconds since the RTS started; step times are unix seconds: the run's
	 * start ties them */
	if (a_idx >= 0)
		t0 = run->steps[a_idx].end - run->started_at;
	if (u_idx >= 0)
		t1 = run->steps[u_idx].end - run->started_at;
	if (!run->n_census) {
		snprintf(msg, sizeof(msg), "census of \"%s\" cannot be judged: this run has no heap census",
			 e->label);
		return record_add_verdict(run, e->line, e->source, 0, NAN, msg, err);
	}
	regex_t re;
	if (e->label_regex && regcomp(&re, e->label, REG_EXTENDED | REG_NOSUB) != 0)
		return lb_error_set(err, LB_EINVAL, "line %d: /%s/ is not a regular expression", e->line, e->label);
	int *match = calloc(run->n_census_labels + 1, sizeof(*match)), any = 0;
	if (!match) {
		if (e->label_regex)
			regfree(&re);
		return lb_error_oom(err);
	}
	for (size_t l = 0; l < run->n_census_labels; l++)
		any |= match[l] = label_matches(e, &re, run->census_labels[l]);
	if (e->label_regex)
		regfree(&re);
	if (!any) {
		free(match);
		return absent_label(e, run, err);
	}
	double worst = 0;
	int samples = 0, last_sample = -1;
	for (size_t i = 0; i < run->n_census; i++) {
		const struct lb_census_row *c = &run->census[i];
		/* rows that know their step are placed by it; the others by their time */
		if (c->step >= 0 ? (a_idx >= 0 && c->step <= a_idx) || (u_idx >= 0 && c->step > u_idx)
				 : c->t < t0 || c->t > t1)
			continue;
		if (c->sample != last_sample) {
			samples++;
			last_sample = c->sample;
		}
		if (match[c->label] && (double)c->bytes > worst)
			worst = (double)c->bytes;
	}
	free(match);
	int holds = scn_op_holds(e->op, worst, e->bound);
	fmt(worst, "bytes", a, sizeof(a));
	fmt(e->bound, "bytes", b, sizeof(b));
	snprintf(msg, sizeof(msg), "census %s%s%s peaks at %s over %d sample%s, %s %s %s", e->label_regex ? "/" : "\"",
		 e->label, e->label_regex ? "/" : "\"", a, samples, samples == 1 ? "" : "s", holds ? "within" : "NOT",
		 scn_op_name(e->op), b);
	return record_add_verdict(run, e->line, e->source, holds, worst, msg, err);
}

/* The most errors (or warnings) the server had published at any step from the mark on; the
 * message names the server's first error, which the runner noted on its step. */
static int judge_diagnostics(const struct scn_expect *e, struct lb_run *run, struct lb_error *err)
{
	const char *what = e->warnings ? "diagnostics_warnings" : "diagnostics_errors";
	long from = e->after ? find_mark(run, e->after) : 0;
	double worst = NAN;
	const char *first = NULL;
	for (size_t i = from < 0 ? run->n_steps : (size_t)from; i < run->n_steps; i++) {
		double v = record_step_metric(run, (int)i, what);
		if (!isnan(v) && (isnan(worst) || v > worst))
			worst = v;
		if (!first && run->steps[i].note)
			first = strstr(run->steps[i].note, "the server reports");
	}
	char msg[1200], b[64];
	fmt(e->bound, NULL, b, sizeof(b));
	const char *kind = e->warnings ? "warnings" : "errors";
	if (isnan(worst)) {
		snprintf(msg, sizeof(msg), "diagnostics %s cannot be judged: no step%s%s reported them", kind,
			 e->after ? " after " : "", e->after ? e->after : "");
		return record_add_verdict(run, e->line, e->source, 0, NAN, msg, err);
	}
	int holds = scn_op_holds(e->op, worst, e->bound);
	snprintf(msg, sizeof(msg), "diagnostics %s: at most %.0f at a step%s%s, %s %s %s%s%s", kind, worst,
		 e->after ? " after " : "", e->after ? e->after : "", holds ? "within" : "NOT", scn_op_name(e->op), b,
		 !holds && first ? "; " : "", !holds && first ? first : "");
	return record_add_verdict(run, e->line, e->source, holds, worst, msg, err);
}

int expect_judge(const struct scn_scenario *sc, struct lb_run *run, int *failed,
		 struct lb_error *err)
{
	*failed = 0;
	for (size_t i = 0; i < sc->n_expects; i++) {
		const struct scn_expect *e = &sc->expects[i];
		int rc = e->kind == SCN_EXPECT_METRIC	     ? judge_metric(e, run, err)
			 : e->kind == SCN_EXPECT_SLOPE	     ? judge_slope(e, run, err)
			 : e->kind == SCN_EXPECT_EXPONENT    ? judge_exponent(e, run, err)
			 : e->kind == SCN_EXPECT_PEAK	     ? judge_peak(e, run, err)
			 : e->kind == SCN_EXPECT_DIAGNOSTICS ? judge_diagnostics(e, run, err)
						     : judge_census(e, run, err);
		if (rc)
			return rc;
		*failed += run->verdicts[run->n_verdicts - 1].holds != LB_VERDICT_HOLDS;
	}
	return 0;
}

#define LEAK_FLOOR 4096.0 /* bytes per checkpoint: below this, growth is noise or caching */

/* The most frequent mark with at least 3 occurrences; NULL if none. */
static const char *checkpoint_mark(const struct lb_run *run)
{
	const char *best = NULL;
	size_t best_n = 2;
	for (size_t i = 0; i < run->n_steps; i++) {
		if (strcmp(run->steps[i].kind, "mark"))
			continue;
		size_t n = 0;
		for (size_t j = 0; j < run->n_steps; j++)
			n += !strcmp(run->steps[j].kind, "mark") && !strcmp(run->steps[j].detail, run->steps[i].detail);
		if (n > best_n) {
			best_n = n;
			best = run->steps[i].detail;
		}
	}
	return best;
}

/* The median of `n` values (on a copy: the caller's order is kept). */
static double median_of(const double *v, size_t n)
{
	double *c = malloc(n * sizeof(*c));
	if (!c)
		return NAN;
	memcpy(c, v, n * sizeof(*c));
	double m = detect_median(c, n);
	free(c);
	return m;
}

int expect_leak_metrics(struct lb_run *run, struct lb_error *err)
{
	const char *mark = checkpoint_mark(run);
	if (!mark)
		return 0;
	struct expect_series ser;
	int rc = expect_series_per_mark(run, "live_bytes", mark, NULL, &ser, err);
	int suspected = 0, unsure = inconclusive(&ser);
	struct detect_slope sl;
	if (!rc && (record_add_metric(run, "checkpoints", (double)ser.windows, "count", err) ||
		    record_add_metric(run, "checkpoints_measured", (double)ser.n, "count", err)))
		rc = err->code;
	if (!rc && ser.n && !unsure && record_add_metric(run, "settled_live_bytes", median_of(ser.y, ser.n), "bytes", err))
		rc = err->code;
	if (!rc && slope_of(ser.x, ser.y, ser.n, &sl) == 0) {
		suspected |= sl.lo > LEAK_FLOOR && !unsure;
		rc = add_slope_metrics(run, "leak_live_bytes_per_checkpoint", &sl, "bytes", err);
	}
	expect_series_free(&ser);
	/* each census label at the checkpoints: its bytes in the last sample taken before each */
	size_t n_marks = 0;
	long *at = malloc((run->n_steps + 1) * sizeof(*at));
	for (size_t i = 0; at && i < run->n_steps; i++)
		if (!strcmp(run->steps[i].kind, "mark") && !strcmp(run->steps[i].detail, mark))
			at[n_marks++] = (long)i;
	double *v = malloc((n_marks + 1) * sizeof(*v)), *k = malloc((n_marks + 1) * sizeof(*k));
	/* the census says what grows, once the live bytes say that something does: on its own a
	 * census taken mid-typecheck (STACK, BLACKHOLE, thunks of the work in flight) rises by
	 * chance far too often to be the evidence of a leak */
	for (size_t l = 0; !rc && suspected && at && v && k && l < run->n_census_labels; l++) {
		size_t m = 0;
		for (size_t c = 0; c < n_marks; c++) {
			int last_sample = -1;
			double bytes = 0;
			for (size_t r = 0; r < run->n_census; r++) {
				const struct lb_census_row *row = &run->census[r];
				if (row->step < 0 || row->step >= at[c] || (c && row->step < at[c - 1]))
					continue;
				if (row->sample > last_sample) {
					last_sample = row->sample;
					bytes = 0;
				}
				if (row->sample == last_sample && row->label == l)
					bytes = (double)row->bytes;
			}
			if (last_sample >= 0)
				k[m] = (double)c, v[m++] = bytes;
		}
		if (m < 3 || detect_theil_sen(k, v, m, &sl) || !(sl.lo > LEAK_FLOOR))
			continue;
		char name[300];
		snprintf(name, sizeof(name), "census_growth:%s", run->census_labels[l]);
		rc = record_add_metric(run, name, sl.slope, "bytes", err);
	}
	free(at);
	free(v);
	free(k);
	if (rc)
		return rc;
	/* too few checkpoints measured: neither "leaks" nor "does not leak" */
	return unsure ? record_add_metric(run, "leak_inconclusive", 1, "count", err)
		      : record_add_metric(run, "leak_suspected", suspected, "count", err);
}

int expect_step_slope(struct lb_run *run, struct lb_error *err)
{
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
			x[n] = (double)n; /* per measured step, as the metric's name says */
			y[n++] = v;
		}
	}
	struct detect_slope sl;
	int rc = slope_of(x, y, n, &sl) == 0 ? add_slope_metrics(run, "live_bytes_slope_per_step", &sl, "bytes", err) : 0;
	free(x);
	free(y);
	return rc;
}
