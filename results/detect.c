/*
 * detect.c - Theil-Sen slope estimation.
 *
 * Sen (1968): the slope is the median of the slopes of all pairs with distinct x; the 95%
 * interval takes the order statistics (N - C)/2 and (N + C)/2 + 1 of the sorted slopes, where
 * C = 1.96 * sqrt(n (n-1) (2n+5) / 18) and N is the number of slopes.  For large n the pairs
 * are sampled with a fixed-seed generator, so the same data always gives the same answer.
 */
#include "results/detect.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median_sorted(const double *v, size_t n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define EXACT_LIMIT 400
#define SAMPLED_PAIRS 80000

int detect_theil_sen(const double *x, const double *y, size_t n, struct detect_slope *out)
{
	if (n < 2)
		return -1;
	size_t max = n <= EXACT_LIMIT ? n * (n - 1) / 2 : SAMPLED_PAIRS;
	double *s = malloc(max * sizeof(*s));
	if (!s)
		return -1;
	size_t m = 0;
	if (n <= EXACT_LIMIT) {
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++)
				if (x[j] != x[i])
					s[m++] = (y[j] - y[i]) / (x[j] - x[i]);
	} else {
		uint64_t state = 0x9E3779B97F4A7C15ull; /* xorshift64*, fixed seed */
		for (size_t k = 0; k < SAMPLED_PAIRS; k++) {
			size_t idx[2];
			for (int r = 0; r < 2; r++) {
				state ^= state >> 12;
				state ^= state << 25;
				state ^= state >> 27;
				idx[r] = (size_t)((state * 2685821657736338717ull) % n);
			}
			if (x[idx[0]] != x[idx[1]])
				s[m++] = (y[idx[1]] - y[idx[0]]) / (x[idx[1]] - x[idx[0]]);
		}
	}
	if (m == 0) {
		free(s);
		return -1;
	}
	qsort(s, m, sizeof(*s), cmp_double);
	out->slope = median_sorted(s, m);
	out->n = n;
	/* Sen's interval, scaled to the number of slopes actually used */
	double nn = (double)n;
	double c = 1.96 * sqrt(nn * (nn - 1) * (2 * nn + 5) / 18.0);
	double full = nn * (nn - 1) / 2, scale = (double)m / full;
	double lo_rank = ((full - c) / 2) * scale, hi_rank = ((full + c) / 2 + 1) * scale;
	long lo = (long)floor(lo_rank) - 1, hi = (long)ceil(hi_rank) - 1;
	if (lo < 0)
		lo = 0;
	if (hi > (long)m - 1)
		hi = (long)m - 1;
	out->lo = s[lo];
	out->hi = s[hi];
	free(s);
	double *r = malloc(n * sizeof(*r));
	if (!r)
		return -1;
	for (size_t i = 0; i < n; i++)
		r[i] = y[i] - out->slope * x[i];
	qsort(r, n, sizeof(*r), cmp_double);
	out->intercept = median_sorted(r, n);
	free(r);
	return 0;
}
