/*
 * test_detect.c - the statistics against values worked by hand or printed in tables:
 * Mann-Whitney's exact p (Mann & Whitney 1947, table for n = m = 5), the Hodges-Lehmann
 * shift and interval (k = 3 for 5 + 5, k = 14 for 8 + 8, as the reference derives), the
 * noise threshold and the verdicts built on them.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "results/detect.h"

static const double one_to_five[] = {1, 2, 3, 4, 5};

static double p5(double a, double b, double c, double d, double e)
{
	double y[] = {a, b, c, d, e};
	return detect_mwu_greater(one_to_five, 5, y, 5);
}

Test(detect, mann_whitney_exact_matches_the_published_table)
{
	/* P(U >= u) = P(U <= 25 - u); the table gives P(U <= c) for c = 0, 2, 4, 7 */
	cr_assert_float_eq(p5(6, 7, 8, 9, 10), 1.0 / 252, 1e-12, "U = 25");
	cr_assert_float_eq(p5(3.5, 6, 7, 8, 9), 4.0 / 252, 1e-12, "U = 23: table .016");
	cr_assert_float_eq(p5(1.5, 6, 7, 8, 9), 12.0 / 252, 1e-12, "U = 21: table .048");
	cr_assert_float_eq(p5(1.5, 2.5, 6, 7, 8), 39.0 / 252, 1e-12, "U = 18: table .155");
	cr_assert_float_eq(p5(0, 0, 0, 0, 0), 1.0, 1e-12, "U = 0");
	/* the smallest p each size can reach: 1 / C(2n, n) */
	double x4[] = {1, 2, 3, 4}, y4[] = {5, 6, 7, 8};
	cr_assert_float_eq(detect_mwu_greater(x4, 4, y4, 4), 1.0 / 70, 1e-12);
	double x6[] = {1, 2, 3, 4, 5, 6}, y6[] = {7, 8, 9, 10, 11, 12};
	cr_assert_float_eq(detect_mwu_greater(x6, 6, y6, 6), 1.0 / 924, 1e-12);
	/* a tie counts half, and the half-integer U takes the larger p: U = 8.5 -> P(U >= 8) */
	double x3[] = {1, 2, 3}, y3[] = {3, 4, 5};
	cr_assert_float_eq(detect_mwu_greater(x3, 3, y3, 3), 2.0 / 20, 1e-12);
	cr_assert(isnan(detect_mwu_greater(x3, 0, y3, 3)));
}

Test(detect, mann_whitney_normal_approximation_beyond_the_exact_range)
{
	double x[60], y[60];
	for (int i = 0; i < 60; i++) {
		x[i] = 2 * i;
		y[i] = 2 * i + 1; /* interleaved: no shift to speak of */
	}
	double p = detect_mwu_greater(x, 60, y, 60);
	cr_assert(p > 0.4 && p < 0.6, "interleaved: p = %g", p);
	for (int i = 0; i < 60; i++)
		y[i] = 1000 + i;
	cr_assert_lt(detect_mwu_greater(x, 60, y, 60), 1e-15);
	cr_assert_gt(detect_mwu_greater(y, 60, x, 60), 1 - 1e-12);
	/* the exact count at 50 + 50 and the approximation at 51 + 50 agree on the same shape */
	double a[51], b[51];
	for (int i = 0; i < 51; i++) {
		a[i] = i;
		b[i] = i + 8.5;
	}
	double exact = detect_mwu_greater(a, 50, b, 50), approx = detect_mwu_greater(a, 51, b, 51);
	cr_assert(fabs(exact - approx) < 0.02, "exact %g approx %g", exact, approx);
}

Test(detect, hodges_lehmann_by_hand)
{
	struct detect_shift s;
	double x[] = {1, 2, 3}, y[] = {2, 4, 6};
	cr_assert_eq(detect_hodges_lehmann(x, 3, y, 3, 0.05, &s), 0);
	cr_assert_float_eq(s.shift, 2, 1e-12, "median of -1 0 1 1 2 3 3 4 5");
	cr_assert(isinf(s.lo) && isinf(s.hi), "3 + 3 cannot give a 95%% interval");
	/* 5 + 5: differences 6..14 (1 2 3 4 5 4 3 2 1 times); k = 3 -> [D3, D23] = [7, 13] */
	double x5[] = {1, 2, 3, 4, 5}, y5[] = {11, 12, 13, 14, 15};
	cr_assert_eq(detect_hodges_lehmann(x5, 5, y5, 5, 0.05, &s), 0);
	cr_assert_float_eq(s.shift, 10, 1e-12);
	cr_assert_float_eq(s.lo, 7, 1e-12);
	cr_assert_float_eq(s.hi, 13, 1e-12);
	cr_assert_float_eq(s.coverage, 1 - 8.0 / 252, 1e-12, "96.8%%");
	/* 8 + 8: x tiny, y = 1..8: D(14) = 2 - 0.002 and D(51) = 7 - 0.005, so k = 14 */
	double x8[8], y8[8];
	for (int i = 0; i < 8; i++) {
		x8[i] = i / 1000.0;
		y8[i] = i + 1;
	}
	cr_assert_eq(detect_hodges_lehmann(x8, 8, y8, 8, 0.05, &s), 0);
	cr_assert_float_eq(s.lo, 1.998, 1e-12);
	cr_assert_float_eq(s.hi, 6.995, 1e-12);
	cr_assert(s.coverage >= 0.95 && s.coverage < 0.96, "%g", s.coverage);
}

Test(detect, noise_threshold_from_history)
{
	double flat[] = {0, 0.01, 0, 0.01, 0, 0.01, 0};
	cr_assert_float_eq(detect_noise_threshold(flat, 7, 0.005), 0.01, 1e-12, "IQR 0: Q3 itself");
	cr_assert_float_eq(detect_noise_threshold(flat, 7, 0.02), 0.02, 1e-12, "never below the floor");
	cr_assert_float_eq(detect_noise_threshold(flat, 5, 0.005), 0.005, 1e-12, "too little history: the floor");
	/* changes 1..8 (%): Q1 = 2.75, Q3 = 6.25, tau = 6.25 + 3 * 3.5 = 16.75 */
	double steps[9] = {0};
	for (int i = 1; i < 9; i++)
		steps[i] = steps[i - 1] + (i % 2 ? 1 : -1) * i / 100.0;
	cr_assert_float_eq(detect_noise_threshold(steps, 9, 0.01), 0.1675, 1e-9);
}

Test(detect, verdicts)
{
	double base[5], worse[5], same[5];
	const double wobble[] = {0, 1, 2, 1, 0.5};
	for (int i = 0; i < 5; i++) {
		base[i] = log(100 + wobble[i]);
		worse[i] = log(110 + wobble[i]);
		same[i] = log(100 + wobble[4 - i]);
	}
	struct detect_compare c;
	cr_assert_eq(detect_compare(base, 5, worse, 5, 0.02, 0.01, &c), 0);
	cr_assert_eq(c.verdict, DETECT_REGRESSION, "%s p %g shift %g", detect_verdict_name(c.verdict), c.p_up, c.hl.shift);
	cr_assert_float_eq(exp(c.hl.shift) - 1, 0.0995, 0.001);
	cr_assert_eq(detect_compare(worse, 5, base, 5, 0.02, 0.01, &c), 0);
	cr_assert_eq(c.verdict, DETECT_IMPROVEMENT);
	cr_assert_eq(detect_compare(base, 5, same, 5, 0.02, 0.01, &c), 0);
	cr_assert_eq(c.verdict, DETECT_SAME, "%s", detect_verdict_name(c.verdict));
	/* three a side cannot reach p = 0.01: more runs are needed */
	cr_assert_eq(detect_compare(base, 3, worse, 3, 0.02, 0.01, &c), 0);
	cr_assert_eq(c.verdict, DETECT_UNKNOWN);
	/* a 10% change under a 20% noise threshold is no regression */
	cr_assert_eq(detect_compare(base, 5, worse, 5, 0.2, 0.01, &c), 0);
	cr_assert_neq(c.verdict, DETECT_REGRESSION);
}

Test(detect, welch_t_test_by_hand)
{
	/* means 3 and 5, variances 2.5 each: t = 2, df = 8, two-sided p = 0.0805 */
	double x[] = {1, 2, 3, 4, 5}, y[] = {3, 4, 5, 6, 7};
	cr_assert_float_eq(detect_welch_p(x, 5, y, 5), 0.08051623795726, 1e-9);
	/* unequal variances: t = 2.058, df = 4.498 (Welch-Satterthwaite), p = 0.10095 */
	double a[] = {10, 11, 12, 13, 14}, b[] = {10, 14, 18, 22, 26};
	cr_assert_float_eq(detect_welch_p(a, 5, b, 5), 0.1009476243, 1e-8);
	cr_assert(isnan(detect_welch_p(x, 1, y, 5)));
}

Test(detect, change_points_in_a_nightly_series)
{
	/* 12 nights at one level, 12 at 8% more, small alternating noise: one change, at 12 */
	double v[24];
	for (int i = 0; i < 24; i++)
		v[i] = log(i < 12 ? 100 : 108) + (i % 3 - 1) * 0.004;
	size_t cp[4];
	size_t n = detect_change_points(v, 24, 3, 0.001, log(1.05), cp, 4);
	cr_assert_eq(n, 1);
	cr_assert_eq(cp[0], 12);
	/* a 2% wobble under a 5% minimum shift is no change; neither is noise alone */
	for (int i = 0; i < 24; i++)
		v[i] = log(i < 12 ? 100 : 102) + (i % 3 - 1) * 0.004;
	cr_assert_eq(detect_change_points(v, 24, 3, 0.001, log(1.05), cp, 4), 0);
	/* two steps, up then back down */
	double w[30];
	for (int i = 0; i < 30; i++)
		w[i] = log(i < 10 ? 100 : i < 20 ? 120 : 100) + (i % 2 ? 0.003 : -0.003);
	n = detect_change_points(w, 30, 3, 0.001, log(1.05), cp, 4);
	cr_assert_eq(n, 2);
	cr_assert(cp[0] == 10 && cp[1] == 20, "%zu %zu", cp[0], cp[1]);
	/* a single wild night is not a level: the persistence rule (3 points a side) */
	for (int i = 0; i < 24; i++)
		v[i] = log(100) + (i % 3 - 1) * 0.004;
	v[23] = log(150);
	cr_assert_eq(detect_change_points(v, 24, 3, 0.001, log(1.05), cp, 4), 0);
}

/* The order statistics Theil-Sen selects (median, interval ranks) are the ones sorting
 * finds: random data with many ties and both parities of pair counts, exact (n <= 400)
 * and sampled, against a reference that sorts every slope. */
static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

Test(detect, theil_sen_selects_what_sorting_finds)
{
	uint64_t st = 88172645463325252ull;
	for (int round = 0; round < 60; round++) {
		size_t n = 2 + (size_t)(round * 7 % 300);
		double *x = malloc(n * sizeof(*x)), *y = malloc(n * sizeof(*y));
		for (size_t i = 0; i < n; i++) {
			st ^= st << 13, st ^= st >> 7, st ^= st << 17;
			x[i] = (double)(i / (1 + round % 3)); /* ties in x: pairs left out */
			y[i] = (double)(st % (round % 4 ? 50 : 3)); /* few distinct values: ties in slopes */
		}
		size_t m = 0, full = n * (n - 1) / 2;
		double *s = malloc(full * sizeof(*s));
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++)
				if (x[j] != x[i])
					s[m++] = (y[j] - y[i]) / (x[j] - x[i]);
		struct detect_slope got;
		if (!m) {
			cr_assert_neq(detect_theil_sen(x, y, n, &got), 0);
		} else {
			qsort(s, m, sizeof(*s), cmp_d);
			double med = m % 2 ? s[m / 2] : (s[m / 2 - 1] + s[m / 2]) / 2;
			cr_assert_eq(detect_theil_sen(x, y, n, &got), 0);
			cr_assert_float_eq(got.slope, med, 1e-12, "n %zu: slope %g, sorted %g", n, got.slope, med);
			double nn = (double)n, c = 1.96 * sqrt(nn * (nn - 1) * (2 * nn + 5) / 18.0);
			double sc = (double)m / ((double)full);
			long lo = (long)floor(((double)full - c) / 2 * sc) - 1, hi = (long)ceil((((double)full + c) / 2 + 1) * sc) - 1;
			lo = lo < 0 ? 0 : lo;
			hi = hi > (long)m - 1 ? (long)m - 1 : hi;
			cr_assert(got.lo == s[lo] && got.hi == s[hi], "n %zu: [%g, %g], sorted [%g, %g]", n, got.lo, got.hi,
				  s[lo], s[hi]);
		}
		free(s), free(x), free(y);
	}
}
