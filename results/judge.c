/*
 * judge.c - comparing two revisions' stored runs (see judge.h).
 */
#include "results/judge.h"
#include "base/digest.h"
#include "base/mem.h"
#include "base/text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How a metric is compared: as a log (a change is a ratio) or as it is, and its floor.
 * The leak shapes: an exponent as it is (1.0 to 1.3 is the regression, whatever the sizes),
 * with a floor of 0.1, about the interval of one ghc-make-scaling run; a slope over time as
 * it is (it is near zero when nothing leaks), with a floor of 1 KiB a second in its unit; a
 * peak ratio as a log with a floor of 10%. */
static void kind_of(const char *metric, int *log_scale, double *floor_v)
{
	const struct lb_headline *h = record_headline(metric);
	*log_scale = h ? h->log : 1; /* any other stored figure: a ratio, with a middling floor */
	*floor_v = h ? h->floor : 0.03;
	if (!strncmp(metric, "exponent:", 9)) {
		*log_scale = 0;
		*floor_v = 0.1;
	} else if (!strncmp(metric, "slope:", 6)) {
		const char *unit = strrchr(metric, ':') + 1;
		*log_scale = 0;
		*floor_v = 1024 * (!strcmp(unit, "hour") ? 3600 : !strcmp(unit, "minute") ? 60 : 1);
	} else if (!strncmp(metric, "peak:", 5)) {
		*floor_v = 0.1;
	}
}

int judge_known_metric(const char *name)
{
	return record_headline(name) || !strncmp(name, "rts.", 4) || !strncmp(name, "eventlog.", 9) ||
	       !strncmp(name, "exponent:", 9) || !strncmp(name, "slope:", 6) || !strncmp(name, "peak:", 5);
}

int judge_default_metrics(struct store *st, const char *target, const char *scenario, char ***out,
			  struct lb_error *err)
{
	struct store_value *rows;
	size_t n, h = 0;
	*out = NULL;
	int rc = store_shape_metrics(st, target, scenario, &rows, &n, err);
	if (rc)
		return rc;
	while (lb_headlines[h].name)
		h++;
	char **v = calloc(h + n + 1, sizeof(*v));
	if (!v)
		rc = lb_error_oom(err);
	for (size_t i = 0; !rc && i < h + n; i++)
		if (!(v[i] = lb_strdup(i < h ? lb_headlines[i].name : rows[i - h].key, err)))
			rc = err->code;
	free(rows);
	if (rc)
		judge_metrics_free(v);
	else
		*out = v;
	return rc;
}

void judge_metrics_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static double scaled(double v, int log_scale)
{
	return log_scale ? log(fmax(v, 1e-9)) : v;
}

/* The metric's era: per-revision medians (compared units) from the newest accepted change
 * on, up to `upto` (NULL: the end).  shas[k] (LB_SHA_HEX + 1 bytes each) and med[k] are malloc'ed. */
static int era_medians(struct store *st, const char *target, const char *scenario, const char *metric, int log_scale,
		       const char *upto, char (**shas)[LB_SHA_HEX + 1], double **med, size_t *k, struct lb_error *err)
{
	struct store_value *rows;
	size_t n;
	*shas = NULL;
	*med = NULL;
	*k = 0;
	int rc = store_metric_history(st, target, scenario, metric, &rows, &n, err);
	if (rc)
		return rc;
	double *group = malloc((n + 1) * sizeof(*group));
	*med = malloc((n + 1) * sizeof(**med));
	*shas = malloc((n + 1) * sizeof(**shas));
	if (!group || !*med || !*shas) {
		free(rows), free(group), free(*med), free(*shas);
		*med = NULL, *shas = NULL;
		return lb_error_oom(err);
	}
	struct store_value *acc = NULL;
	size_t n_acc = 0;
	rc = store_accepted_revisions(st, target, metric, &acc, &n_acc, err);
	for (size_t i = 0; !rc && i < n;) {
		if (store_value_has(acc, n_acc, rows[i].key))
			*k = 0; /* an accepted change starts the metric's era afresh */
		size_t g = 0, j = i;
		for (; j < n && !strcmp(rows[j].key, rows[i].key); j++)
			group[g++] = scaled(rows[j].value, log_scale);
		snprintf((*shas)[*k], LB_SHA_HEX + 1, "%.*s", LB_SHA_HEX, rows[i].key);
		(*med)[(*k)++] = detect_median(group, g);
		int at_end = upto && !strcmp(rows[i].key, upto);
		i = j;
		if (at_end)
			break;
	}
	free(rows), free(group), free(acc);
	return rc;
}

/* The history's threshold, in compared units: the era's medians up to the base. */
static int history_tau(struct store *st, const struct judge_req *q, const char *metric, int log_scale,
		       double floor_v, double *tau, struct lb_error *err)
{
	char(*shas)[LB_SHA_HEX + 1];
	double *med;
	size_t k;
	int rc = era_medians(st, q->target, q->scenario, metric, log_scale, q->base, &shas, &med, &k, err);
	if (!rc)
		*tau = detect_noise_threshold(med, k, floor_v);
	free(shas), free(med);
	return rc;
}

int judge_trend(struct store *st, const char *target, const char *scenario, const char *metric,
		struct judge_shift **out, size_t *n_out, struct lb_error *err)
{
	*out = NULL;
	*n_out = 0;
	int log_scale;
	double floor_v;
	kind_of(metric, &log_scale, &floor_v);
	char(*shas)[LB_SHA_HEX + 1];
	double *med;
	size_t k, cp[16];
	int rc = era_medians(st, target, scenario, metric, log_scale, NULL, &shas, &med, &k, err);
	if (rc)
		return rc;
	/* reference (c) step 3: a shift of at least max(threshold, 5%), p < 0.001, 3 points a side */
	double tau = detect_noise_threshold(med, k, log_scale ? log1p(floor_v) : floor_v);
	double min_shift = log_scale ? fmax(tau, log1p(0.05)) : tau;
	size_t n = detect_change_points(med, k, 3, 0.001, min_shift, cp, 16);
	*out = calloc(n + 1, sizeof(**out));
	if (!*out) {
		free(shas), free(med);
		return lb_error_oom(err);
	}
	for (size_t i = 0; i < n; i++) {
		size_t from = i ? cp[i - 1] : 0, to = i + 1 < n ? cp[i + 1] : k;
		double *before = med + from, *after = med + cp[i];
		double *tmp = malloc((to - from) * sizeof(*tmp));
		if (!tmp) {
			rc = lb_error_oom(err);
			break;
		}
		struct judge_shift *js = &(*out)[(*n_out)++];
		snprintf(js->metric, sizeof(js->metric), "%s", metric);
		memcpy(js->before_sha, shas[cp[i] - 1], LB_SHA_HEX + 1);
		memcpy(js->sha, shas[cp[i]], LB_SHA_HEX + 1);
		memcpy(tmp, before, (cp[i] - from) * sizeof(*tmp));
		double lb = detect_median(tmp, cp[i] - from);
		memcpy(tmp, after, (to - cp[i]) * sizeof(*tmp));
		double la = detect_median(tmp, to - cp[i]);
		free(tmp);
		js->log = log_scale;
		js->before = log_scale ? exp(lb) : lb;
		js->after = log_scale ? exp(la) : la;
		js->change = log_scale ? expm1(la - lb) : la - lb;
		js->p = detect_welch_p(before, cp[i] - from, after, to - cp[i]);
		js->points_before = cp[i] - from;
		js->points_after = to - cp[i];
	}
	free(shas), free(med);
	return rc;
}

/* A change smaller than one run's own noise cannot count: the spread of the base's runs
 * (their interquartile range as a standard deviation, in compared units), from five runs
 * on.  A metric that depends on when GCs happen (max_live_bytes of a threaded server spread
 * from 69 to 83 MiB over 40 runs of equal code) then needs a change beyond that spread,
 * instead of a floor of 2% that no number of runs could show it within, which left check
 * answering unknown for ever. */
static double run_noise(const double *x, size_t m)
{
	if (m < 5)
		return 0;
	double *c = malloc(m * sizeof(*c));
	if (!c)
		return 0;
	memcpy(c, x, m * sizeof(*c));
	detect_median(c, m); /* sorts */
	double q1 = c[m / 4], q3 = c[(3 * m) / 4];
	free(c);
	return (q3 - q1) / 1.349;
}

static int judge_metric(struct store *st, const struct judge_req *q, const char *metric, struct judge_report *out,
			struct lb_error *err)
{
	double *x = NULL, *y = NULL;
	size_t m = 0, n = 0;
	int rc = store_metric_values(st, q->target, q->base, q->scenario, metric, &x, &m, err);
	if (!rc)
		rc = store_metric_values(st, q->target, q->cand, q->scenario, metric, &y, &n, err);
	if (rc || !m || !n)
		goto out;
	struct judge_row *grown = realloc(out->rows, (out->n_rows + 1) * sizeof(*grown));
	if (!grown) {
		rc = lb_error_oom(err);
		goto out;
	}
	out->rows = grown;
	struct judge_row *r = &out->rows[out->n_rows++];
	memset(r, 0, sizeof(*r));
	snprintf(r->metric, sizeof(r->metric), "%s", metric);
	double floor_v;
	kind_of(metric, &r->log, &floor_v);
	for (size_t i = 0; i < q->n_thresholds; i++)
		if (!strcmp(q->thresholds[i].metric, metric))
			floor_v = fmax(floor_v, q->thresholds[i].ratio);
	double floor_scaled = r->log ? log1p(floor_v) : floor_v, tau = floor_scaled;
	if ((rc = history_tau(st, q, metric, r->log, floor_scaled, &tau, err)))
		goto out;
	r->m = m;
	r->n = n;
	r->base = detect_median(x, m); /* of the values as measured (sorting them is harmless) */
	r->cand = detect_median(y, n);
	for (size_t i = 0; i < m; i++)
		x[i] = scaled(x[i], r->log);
	for (size_t j = 0; j < n; j++)
		y[j] = scaled(y[j], r->log);
	tau = fmax(tau, run_noise(x, m));
	if (detect_compare(x, m, y, n, tau, q->alpha > 0 ? q->alpha : 0.01, &r->c)) {
		rc = lb_error_oom(err);
		goto out;
	}
	r->change = r->log ? expm1(r->c.hl.shift) : r->c.hl.shift;
	r->lo = r->log ? expm1(r->c.hl.lo) : r->c.hl.lo;
	r->hi = r->log ? expm1(r->c.hl.hi) : r->c.hl.hi;
	r->tau = r->log ? expm1(tau) : tau;
	out->regressions += r->c.verdict == DETECT_REGRESSION;
	out->improvements += r->c.verdict == DETECT_IMPROVEMENT;
	out->unknowns += r->c.verdict == DETECT_UNKNOWN;
out:
	free(x);
	free(y);
	return rc;
}

/* Median per label of each side's per-run peaks. */
static int label_medians(struct store *st, const struct judge_req *q, const char *sha, int side,
			 struct judge_report *out, struct lb_error *err)
{
	struct store_value *rows;
	size_t n;
	int rc = store_census_peaks(st, q->target, sha, q->scenario, &rows, &n, err);
	if (rc)
		return rc;
	double *v = malloc((n + 1) * sizeof(*v));
	char *done = calloc(n + 1, 1);
	if (!v || !done) {
		free(rows), free(v), free(done);
		return lb_error_oom(err);
	}
	for (size_t i = 0; i < n && !rc; i++) {
		if (done[i])
			continue;
		size_t k = 0;
		for (size_t j = i; j < n; j++)
			if (!done[j] && !strcmp(rows[j].key, rows[i].key)) {
				v[k++] = rows[j].value;
				done[j] = 1;
			}
		struct judge_label *l = NULL;
		for (size_t j = 0; j < out->n_labels && !l; j++)
			if (!strcmp(out->labels[j].label, rows[i].key))
				l = &out->labels[j];
		if (!l) {
			struct judge_label *g = realloc(out->labels, (out->n_labels + 1) * sizeof(*g));
			if (!g) {
				rc = lb_error_oom(err);
				break;
			}
			out->labels = g;
			l = &out->labels[out->n_labels++];
			snprintf(l->label, sizeof(l->label), "%s", rows[i].key);
			l->base = l->cand = 0;
		}
		*(side ? &l->cand : &l->base) = detect_median(v, k);
	}
	free(rows), free(v), free(done);
	return rc;
}

/* A side's growth of a census label per checkpoint: the median over its runs of the stored
 * census_growth:LABEL; NaN where none has it. */
static int label_growth(struct store *st, const struct judge_req *q, const char *sha, const char *label, double *out,
			struct lb_error *err)
{
	char name[300];
	snprintf(name, sizeof(name), "census_growth:%s", label);
	double *v = NULL;
	size_t n = 0;
	int rc = store_metric_values(st, q->target, sha, q->scenario, name, &v, &n, err);
	*out = !rc && n ? detect_median(v, n) : NAN;
	free(v);
	return rc;
}

int judge_label_by_growth(const void *a, const void *b)
{
	const struct judge_label *x = a, *y = b;
	int gx = isfinite(x->cand_growth), gy = isfinite(y->cand_growth);
	if (gx != gy)
		return gy - gx;
	double dx = gx ? x->cand_growth : x->cand - x->base, dy = gy ? y->cand_growth : y->cand - y->base;
	return (dx < dy) - (dx > dy);
}

static int by_change(const void *a, const void *b)
{
	const struct judge_label *x = a, *y = b;
	double dx = fabs(x->cand - x->base), dy = fabs(y->cand - y->base);
	return (dx < dy) - (dx > dy);
}

int judge_revisions(struct store *st, const struct judge_req *q, struct judge_report *out, struct lb_error *err)
{
	memset(out, 0, sizeof(*out));
	char **own = NULL;
	int rc = q->metrics ? 0 : judge_default_metrics(st, q->target, q->scenario, &own, err);
	const char *const *metrics = q->metrics ? q->metrics : (const char *const *)own;
	for (size_t i = 0; !rc && metrics[i]; i++)
		rc = judge_metric(st, q, metrics[i], out, err);
	judge_metrics_free(own);
	if (!rc)
		rc = label_medians(st, q, q->base, 0, out, err) || label_medians(st, q, q->cand, 1, out, err) ? err->code : 0;
	if (!rc && out->n_labels) {
		qsort(out->labels, out->n_labels, sizeof(*out->labels), by_change);
		size_t keep = q->max_labels ? q->max_labels : 10;
		if (out->n_labels > keep)
			out->n_labels = keep;
	}
	for (size_t i = 0; !rc && i < out->n_labels; i++) {
		struct judge_label *l = &out->labels[i];
		if ((rc = label_growth(st, q, q->base, l->label, &l->base_growth, err)))
			break;
		rc = label_growth(st, q, q->cand, l->label, &l->cand_growth, err);
	}
	if (!rc && !out->n_rows) {
		long nb = 0, nc = 0;
		store_count_revision_runs(st, q->target, q->base, q->scenario, &nb, err);
		store_count_revision_runs(st, q->target, q->cand, q->scenario, &nc, err);
		rc = lb_error_set(err, LB_ENOTFOUND, "no runs of scenario %s to compare: %.12s has %ld, %.12s has %ld",
				  q->scenario, q->base, nb, q->cand, nc);
	}
	if (rc)
		judge_report_free(out);
	return rc;
}

void judge_report_free(struct judge_report *r)
{
	free(r->rows);
	free(r->labels);
	memset(r, 0, sizeof(*r));
}

/* --- what the history flags ------------------------------------------------------- */

static struct judge_flag *add(struct judge_flags *l)
{
	struct judge_flag *g = realloc(l->v, (l->n + 1) * sizeof(*g));
	if (!g)
		return NULL;
	l->v = g;
	memset(&g[l->n], 0, sizeof(*g));
	return &g[l->n++];
}

/* A new entry for the change from revision a to b. */
static struct judge_flag *add_change(struct judge_flags *l, const char *target, const char *scenario,
				  const struct store_revision_row *a, const struct store_revision_row *b)
{
	struct judge_flag *f = add(l);
	if (!f)
		return NULL;
	snprintf(f->target, sizeof(f->target), "%s", target);
	snprintf(f->scenario, sizeof(f->scenario), "%s", scenario);
	memcpy(f->before, a->sha, LB_SHA_HEX + 1);
	memcpy(f->after, b->sha, LB_SHA_HEX + 1);
	snprintf(f->subject, sizeof(f->subject), "%s", b->subject);
	f->when = b->author_time;
	return f;
}

int judge_flag_newest_first(const void *a, const void *b)
{
	const struct judge_flag *x = a, *y = b;
	return (x->when < y->when) - (x->when > y->when);
}

/* Two revisions that ran one byte-identical binary: no change is possible between them, so
 * whatever differs is noise (a loaded machine's +40% wall time), never a flag. */
static int same_program(const struct store_revision_row *a, const struct store_revision_row *b)
{
	return a->binary[0] && !strcmp(a->binary, b->binary);
}

/* One scenario of one target: adjacent measured revisions, then the trend. */
int judge_scan(struct store *st, const char *target, const char *scenario, const char *const *metrics,
		struct judge_flags *out, struct lb_error *err)
{
	struct store_revision_row *revs = NULL;
	size_t n = 0;
	char **own = NULL;
	int rc = metrics ? 0 : judge_default_metrics(st, target, scenario, &own, err);
	if (!metrics)
		metrics = (const char *const *)own;
	if (!rc)
		rc = store_measured_revisions(st, target, scenario, &revs, &n, err);
	for (size_t i = 1; !rc && i < n; i++) {
		const struct store_revision_row *a = &revs[i - 1], *b = &revs[i];
		if (same_program(a, b))
			continue;
		struct judge_report rep = {0};
		struct judge_req q = {.target = target, .base = a->sha, .cand = b->sha, .scenario = scenario,
				      .metrics = metrics};
		long na = 0, nb = 0;
		if ((rc = store_count_revision_runs(st, target, a->sha, scenario, &na, err)) ||
		    (rc = store_count_revision_runs(st, target, b->sha, scenario, &nb, err)))
			break;
		/* a pair can be significant at p <= 0.01 only when C(na + nb, na) >= 100 (5 and 4 runs,
		 * say): single-run nights are left to the trend below, and cost nothing here */
		double orderings = 1;
		for (long k = 1; k <= na; k++)
			orderings = orderings * (double)(nb + k) / (double)k;
		int jr = orderings >= 100 ? judge_revisions(st, &q, &rep, err) : LB_ENOTFOUND;
		if (jr && jr != LB_ENOTFOUND) { /* not found: no metric both measured */
			rc = jr;
			break;
		}
		for (size_t k = 0; k < rep.n_rows && !rc; k++) {
			const struct judge_row *r = &rep.rows[k];
			if (r->c.verdict != DETECT_REGRESSION)
				continue;
			struct judge_flag *f = add_change(out, target, scenario, a, b);
			if (!f) {
				rc = lb_error_oom(err);
				break;
			}
			snprintf(f->what, sizeof(f->what), "%s", r->metric);
			if (r->log)
				snprintf(f->detail, sizeof(f->detail), "%+.1f%% [%+.1f%%, %+.1f%%] p %.3g, %zu vs %zu runs",
					 100 * r->change, 100 * r->lo, 100 * r->hi, r->c.p_up, r->m, r->n);
			else {
				char c[32], lo[32], hi[32];
				snprintf(f->detail, sizeof(f->detail), "%s [%s, %s] p %.3g, %zu vs %zu runs",
					 text_metric_change(r->metric, r->change, c, sizeof(c)),
					 text_metric_change(r->metric, r->lo, lo, sizeof(lo)),
					 text_metric_change(r->metric, r->hi, hi, sizeof(hi)), r->c.p_up, r->m, r->n);
			}
			rc = store_accepted(st, target, b->sha, r->metric, &f->accepted, err);
		}
		judge_report_free(&rep);
		long fa = 0, ta = 0, fb = 0, tb = 0;
		if (!rc && !(rc = store_expectation_failures(st, target, a->sha, scenario, &fa, &ta, err)) &&
		    !(rc = store_expectation_failures(st, target, b->sha, scenario, &fb, &tb, err)) && ta && tb &&
		    fa * 2 <= ta && fb * 2 > tb) {
			struct judge_flag *f = add_change(out, target, scenario, a, b);
			if (!f) {
				rc = lb_error_oom(err);
				break;
			}
			snprintf(f->what, sizeof(f->what), "expectations");
			snprintf(f->detail, sizeof(f->detail), "broken in %ld of %ld runs (%ld of %ld before)", fb, tb, fa, ta);
		}
	}
	/* the trend: changes of level over single-run nights too */
	for (size_t m = 0; !rc && metrics && metrics[m]; m++) {
		const char *name = metrics[m];
		struct judge_shift *sh;
		size_t n_sh;
		if ((rc = judge_trend(st, target, scenario, name, &sh, &n_sh, err)))
			break;
		for (size_t i = 0; i < n_sh && !rc; i++) {
			const struct judge_shift *j = &sh[i];
			const struct store_revision_row *a = NULL, *b = NULL;
			for (size_t r = 0; r < n; r++) {
				if (!strcmp(revs[r].sha, j->before_sha))
					a = &revs[r];
				if (!strcmp(revs[r].sha, j->sha))
					b = &revs[r];
			}
			int seen = 0;
			for (size_t f = 0; f < out->n; f++)
				seen |= !strcmp(out->v[f].after, j->sha) && !strcmp(out->v[f].what, j->metric);
			if (j->change <= 0 || !a || !b || seen || same_program(a, b))
				continue;
			struct judge_flag *f = add_change(out, target, scenario, a, b);
			if (!f) {
				rc = lb_error_oom(err);
				break;
			}
			snprintf(f->what, sizeof(f->what), "%s", j->metric);
			if (j->log)
				snprintf(f->detail, sizeof(f->detail),
					 "trend: %+.1f%% (level %.4g -> %.4g over %zu and %zu revisions), p %.2g", 100 * j->change,
					 j->before, j->after, j->points_before, j->points_after, j->p);
			else {
				char c[32], was[32], now[32];
				snprintf(f->detail, sizeof(f->detail),
					 "trend: %s (level %s -> %s over %zu and %zu revisions), p %.2g",
					 text_metric_change(j->metric, j->change, c, sizeof(c)),
					 text_metric(j->metric, j->before, was, sizeof(was)),
					 text_metric(j->metric, j->after, now, sizeof(now)),
					 j->points_before, j->points_after, j->p);
			}
			rc = store_accepted(st, target, j->sha, j->metric, &f->accepted, err);
		}
		free(sh);
	}
	free(revs);
	judge_metrics_free(own);
	return rc;
}
