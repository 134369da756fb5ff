/*
 * judge.h - one revision against another, on the stored runs of one scenario: for each
 * metric both medians, the Hodges-Lehmann change with its interval, the Mann-Whitney
 * p-values and the verdict under a noise threshold; and the census labels whose bytes
 * changed most between the two.  What `compare` prints and `check` and `bisect` decide on.
 *
 * Byte and time metrics are compared as logs, so a change is a ratio; the leak slope (bytes
 * per step, often near zero or below) as it is.  The threshold is the largest of the metric's
 * floor, the configured threshold and what the target's history up to the base shows
 * (Q3 + 3 IQR of adjacent revisions' changes).
 */
#ifndef LB_JUDGE_H
#define LB_JUDGE_H

#include <stddef.h>
#include <stdio.h>

#include "base/digest.h"
#include "base/error.h"
#include "results/detect.h"
#include "results/store.h"

/* Whether leakbench knows how to judge this metric name (a headline one, any stored
 * metric of bytes/seconds: rts.*, eventlog.*, or a leak shape: exponent:*, slope:*, peak:*). */
int judge_known_metric(const char *name);

/* What is judged when no metrics are named: the headline metrics, then the leak shapes the
 * scenario's runs of the target stored (an exponent, a slope over time, a peak ratio), so a
 * rising exponent is flagged and bisected like a rising max live.  *out is NULL-terminated;
 * free it with judge_metrics_free. */
int judge_default_metrics(struct store *st, const char *target, const char *scenario, char ***out,
			  struct lb_error *err);
void judge_metrics_free(char **v);

struct judge_row {
	char metric[64];
	int log;             /* compared as logs: change, lo, hi, tau are ratios (0.05 = +5%) */
	double base, cand;   /* medians */
	size_t m, n;         /* runs a side */
	struct detect_compare c;
	double change, lo, hi, tau;
};

struct judge_label {
	char label[160];
	double base, cand;   /* median over runs of the label's largest census bytes */
	double base_growth, cand_growth; /* median census_growth:LABEL (bytes per checkpoint where the
					  * label grew in a leaking run); NaN where none did */
};

struct judge_report {
	struct judge_row *rows;
	size_t n_rows;
	struct judge_label *labels; /* the largest changes first, at most 10 */
	size_t n_labels;
	int regressions, improvements, unknowns;
};

/* A configured threshold: the smallest change of a metric that can count (0.05 = 5%). */
struct judge_threshold {
	char *metric;
	double ratio;
};

struct judge_req {
	const char *target, *base, *cand; /* full shas */
	const char *scenario;
	const char *const *metrics;       /* NULL-terminated; NULL: judge_default_metrics */
	const struct judge_threshold *thresholds; /* configured; may be NULL */
	size_t n_thresholds;
	double alpha;                     /* one-sided; 0: 0.01 */
	size_t max_labels;                /* census labels kept, the largest changes first; 0: 10 */
};

/* Rows only for metrics both sides measured.  LB_ENOTFOUND when a side has no runs. */
int judge_revisions(struct store *st, const struct judge_req *q, struct judge_report *out, struct lb_error *err);
void judge_report_free(struct judge_report *r);
/* qsort order for "what grew": the labels that grew per checkpoint in the new side's leaking
 * runs first (fastest first), then by how much their peak grew.  A peak alone is noisy (a
 * census mid-typecheck catches STACK and BLACKHOLE at any size); growth at every checkpoint
 * is what a leak looks like. */
int judge_label_by_growth(const void *a, const void *b);

/* A change of level in the metric's history of one scenario (single runs per revision will
 * do): the per-revision medians of the current era cut by detect_change_points. */
struct judge_shift {
	char metric[64];
	char before_sha[LB_SHA_HEX + 1], sha[LB_SHA_HEX + 1]; /* the last revision of the old level, the first of the new */
	int log;
	double before, after;         /* the two levels' medians, in the metric's unit */
	double change;                /* a ratio (log metrics) or a difference */
	double p;                     /* Welch's t-test between the levels */
	size_t points_before, points_after;
};
int judge_trend(struct store *st, const char *target, const char *scenario, const char *metric,
		struct judge_shift **out, size_t *n, struct lb_error *err);

/* What the stored history flags for one target and scenario (see `leakbench regressions`):
 * each metric that regressed between adjacent measured revisions, each revision whose runs
 * mostly break the expectations where its predecessor's did not, each rise of level in a
 * metric's trend.  Appended to *out (which starts zeroed; free out->v). */
struct judge_flag {
	char target[160], scenario[160], what[64];
	char before[LB_SHA_HEX + 1], after[LB_SHA_HEX + 1], subject[120];
	double when;
	char detail[200];
	int accepted;
};

struct judge_flags {
	struct judge_flag *v;
	size_t n;
};

int judge_scan(struct store *st, const char *target, const char *scenario, const char *const *metrics,
	       struct judge_flags *out, struct lb_error *err);
/* qsort order: newest change first. */
int judge_flag_newest_first(const void *a, const void *b);

/* A change of a row's metric (its change, lo or hi) for people: a percentage for ratios, else
 * in the metric's own terms (+765 KiB/step, +0.635). */
const char *judge_format_change(const struct judge_row *r, double v, char *buf, size_t size);

/* The comparison for people: one row per metric (medians, change, interval, p, threshold,
 * verdict; `colour`: ANSI colours), then the census labels that changed most. */
void judge_print_text(FILE *out, const struct judge_report *rep, const char *target, const char *base,
		      const char *cand, const char *scenario, int colour);
/* The same as a Markdown table. */
void judge_print_markdown(FILE *out, const struct judge_report *rep, const char *target, const char *base,
			  const char *cand, const char *scenario);
/* What the history flags as Markdown (a CI log, an issue comment): a table of the flags, then
 * for each what grew: the census labels whose peak grew most between its two revisions and
 * the name of the dashboard's page of it. */
int judge_print_flags_markdown(FILE *out, struct store *st, const struct judge_flags *fl, struct lb_error *err);
/* The same as JSON; nonzero when it could not be written. */
int judge_print_json(FILE *out, const struct judge_report *rep, const char *target, const char *base,
		     const char *cand, const char *scenario);

#endif
