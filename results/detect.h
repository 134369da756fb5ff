/*
 * detect.h - the statistics leakbench judges with (shared/reference/regression-detection.md).
 * So far: the Theil-Sen slope with Sen's confidence interval, robust to the odd outlier
 * (one late major GC, one census taken mid-burst) that would swing a least-squares fit.
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

#endif
