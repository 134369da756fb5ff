/*
 * detect.h - the statistics leakbench judges with (shared/reference/regression-detection.md,
 * section (c)).  All of it rank-based, because memory figures are few (3 to 20 runs a side),
 * skewed and now and then wild:
 *  - the Theil-Sen slope with Sen's interval (a leak within a run);
 *  - the one-sided Mann-Whitney U test, exact for small samples (a shift between revisions);
 *  - the Hodges-Lehmann shift with its distribution-free interval (how big the shift is);
 *  - the noise threshold from history (Q3 + 3 IQR of adjacent changes, never below a floor);
 *  - the three-way verdict built from them (regression, improvement, same, unknown).
 * Callers pass log values when they compare revisions, so shifts are ratios.
 */
#ifndef LB_DETECT_H
#define LB_DETECT_H

#include <stddef.h>

struct detect_slope {
	double slope;     /* median of pairwise slopes */
	double intercept; /* median of y - slope * x */
	double lo, hi;    /* Sen's 95% confidence interval for the slope */
	size_t n;         /* points used */
};

/* Fit y over x.  Returns 0, or -1 when fewer than 2 distinct x values exist or memory runs
 * out.  Beyond 400 points the pairwise slopes are a deterministic sample of 80,000 pairs
 * (cost stays bounded; the estimate and interval change little). */
int detect_theil_sen(const double *x, const double *y, size_t n, struct detect_slope *out);

/* The median of v[0..n), sorting v in place; NaN when n is 0. */
double detect_median(double *v, size_t n);

/* P(U >= u) for "y is stochastically larger than x", U = #{(i,j): y_j > x_i} + ties/2.
 * Exact (the null distribution counted by recursion) when m * n <= 2500, else the normal
 * approximation with continuity and tie corrections.  A half-integer U (ties) takes the
 * larger, conservative p.  Returns NaN when a side is empty. */
double detect_mwu_greater(const double *x, size_t m, const double *y, size_t n);

/* Hodges-Lehmann: the median of all y_j - x_i, and the distribution-free interval
 * [D(k), D(mn+1-k)] with k the smallest index such that P0(U <= k-1) <= alpha/2 (with
 * alpha = 0.05: k = 3 for m = n = 5, 6 for 6, 14 for 8).  Without such a k (samples too
 * small) the interval is infinite.  Returns 0, or -1 when a side is empty or memory runs out. */
struct detect_shift {
	double shift, lo, hi;
	double coverage; /* the interval's exact coverage (>= 1 - alpha) */
};
int detect_hodges_lehmann(const double *x, size_t m, const double *y, size_t n, double alpha,
			  struct detect_shift *out);

/* The noise threshold from a metric's history: per-revision medians (log values) in order;
 * tau = max(floor, Q3(d) + 3 (Q3(d) - Q1(d))) over d_i = |v_i - v_{i-1}|.  Fewer than 5
 * changes: the floor. */
double detect_noise_threshold(const double *medians, size_t n, double floor);

enum detect_verdict { DETECT_SAME, DETECT_REGRESSION, DETECT_IMPROVEMENT, DETECT_UNKNOWN };
const char *detect_verdict_name(enum detect_verdict v);

/* Candidate y against base x, both log values of a metric where more is worse:
 *   regression   p(y > x) <= alpha and the shift > tau;
 *   improvement  p(x > y) <= alpha and the shift < -tau;
 *   same         the whole interval lies within (-tau, tau), or the shift is within tau and
 *                p > 0.2 both ways with at least 5 a side;
 *   unknown      otherwise: more runs would tell. */
struct detect_compare {
	enum detect_verdict verdict;
	double p_up, p_down;     /* one-sided Mann-Whitney p-values */
	struct detect_shift hl;  /* in log units: exp(shift) - 1 is the relative change */
	double tau;
	size_t m, n;
};
int detect_compare(const double *x, size_t m, const double *y, size_t n, double tau, double alpha,
		   struct detect_compare *out);

/* Welch's t-test between two samples: the two-sided p-value (NaN with fewer than 2 a side
 * or no spread at all). */
double detect_welch_p(const double *x, size_t m, const double *y, size_t n);

/* Change points of a series (per-revision medians of log values, in revision order), by
 * binary segmentation: the split with the largest Welch t between the two sides is kept when
 * both sides have at least `min_size` points, p < p_max and the means differ by more than
 * `min_shift`; then each side is searched again.  out[] gets the indices where a new level
 * begins, ascending; returns their count (at most max_out). */
size_t detect_change_points(const double *v, size_t n, size_t min_size, double p_max, double min_shift,
			    size_t *out, size_t max_out);

#endif
