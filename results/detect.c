/*
 * detect.c - Theil-Sen slope estimation, Mann-Whitney U, Hodges-Lehmann, noise thresholds
 * and the verdict of a comparison.
 *
 * Sen (1968): the slope is the median of the slopes of all pairs with distinct x; the 95%
 * interval takes the order statistics (N - C)/2 and (N + C)/2 + 1 of the sorted slopes, where
 * C = 1.96 * sqrt(n (n-1) (2n+5) / 18) and N is the number of slopes.  For large n the pairs
 * are sampled with a fixed-seed generator, so the same data always gives the same answer.
 * The order statistics are selected (quickselect), not sorted for: a census of 1,000 labels
 * takes a slope per label, and sorting each label's 80,000 slopes was 88% of the time.
 */
#include "results/detect.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median_sorted(const double *v, size_t n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double detect_median(double *v, size_t n)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	return median_sorted(v, n);
}

/* v[k] as it would be after sorting v[0..n), by Hoare's selection with a median-of-three
 * pivot; v is reordered so that v[i] <= v[k] <= v[j] for i < k < j. */
static double select_kth(double *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;
	while (hi > lo) {
		size_t mid = lo + (hi - lo) / 2;
		/* the median of three as the pivot, moved to v[mid] */
		if (v[mid] < v[lo]) { double t = v[mid]; v[mid] = v[lo]; v[lo] = t; }
		if (v[hi] < v[lo]) { double t = v[hi]; v[hi] = v[lo]; v[lo] = t; }
		if (v[hi] < v[mid]) { double t = v[hi]; v[hi] = v[mid]; v[mid] = t; }
		double pivot = v[mid];
		size_t i = lo, j = hi;
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				double t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return v[k];
	}
	return v[k];
}

/* The median of v[0..n) (n > 0), reordering v. */
static double select_median(double *v, size_t n)
{
	double upper = select_kth(v, n, n / 2);
	if (n % 2)
		return upper;
	double lower = v[0]; /* the largest of v[0..n/2), all <= upper after the selection */
	for (size_t i = 1; i < n / 2; i++)
		lower = fmax(lower, v[i]);
	return (lower + upper) / 2;
}

#define EXACT_LIMIT 400
#define SAMPLED_PAIRS 80000

int detect_theil_sen(const double *x, const double *y, size_t n, struct detect_slope *out)
{
	if (n < 2)
		return -1;
	size_t flat = 1;
	while (flat < n && y[flat] == y[0])
		flat++;
	if (flat == n) { /* every pair's slope is 0, exactly: no need to form them (a census has many such labels) */
		size_t distinct = 1;
		while (distinct < n && x[distinct] == x[0])
			distinct++;
		if (distinct == n)
			return -1; /* no pair with distinct x, as below */
		*out = (struct detect_slope){.slope = 0, .intercept = y[0], .lo = 0, .hi = 0, .n = n};
		return 0;
	}
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
				/* into [0, n) by a multiply and a shift (Lemire), not a division */
				idx[r] = (size_t)(((unsigned __int128)(state * 2685821657736338717ull) * n) >> 64);
			}
			if (x[idx[0]] != x[idx[1]])
				s[m++] = (y[idx[1]] - y[idx[0]]) / (x[idx[1]] - x[idx[0]]);
		}
	}
	if (m == 0) {
		free(s);
		return -1;
	}
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
	/* three selections, each in what the last left: lo splits the slopes at its rank, hi
	 * the part above it, and the median (whose ranks lie between, for n >= 2) is sought
	 * among the few between them */
	size_t a = (size_t)lo, b = (size_t)hi, upper = m / 2, lower = (m - 1) / 2;
	out->lo = select_kth(s, m, a);
	out->hi = b > a ? select_kth(s + a + 1, m - a - 1, b - a - 1) : out->lo;
	if (lower > a && upper < b) {
		double u = select_kth(s + a + 1, b - a - 1, upper - a - 1);
		double l = s[a + 1]; /* for an even m, the largest below the upper middle */
		for (size_t i = a + 2; i < upper; i++)
			l = fmax(l, s[i]);
		out->slope = lower == upper ? u : (l + u) / 2;
	} else {
		out->slope = select_median(s, m); /* a tiny m: the ranks meet */
	}
	free(s);
	double *r = malloc(n * sizeof(*r));
	if (!r)
		return -1;
	for (size_t i = 0; i < n; i++)
		r[i] = y[i] - out->slope * x[i];
	out->intercept = select_median(r, n);
	free(r);
	return 0;
}

/* --- Mann-Whitney U ------------------------------------------------------------------- */

/* The null distribution of U for sizes m, n: counts[u] = the number of orderings of m x's
 * and n y's with U = u (u = 0 .. m n), by f(u; i, j) = f(u - i; i, j - 1) + f(u; i - 1, j):
 * the largest value is a y (above all i x's) or an x (below none of the y's).  Counts reach
 * C(m + n, m), beyond 2^53 for m = n = 30: doubles keep the ratios that matter. */
static double *u_counts(size_t m, size_t n)
{
	size_t top = m * n + 1;
	double *prev = calloc((m + 1) * top, sizeof(double)), *cur = calloc((m + 1) * top, sizeof(double));
	double *out = malloc(top * sizeof(double));
	if (!prev || !cur || !out) {
		free(prev), free(cur), free(out);
		return NULL;
	}
	for (size_t i = 0; i <= m; i++)
		prev[i * top] = 1; /* no y: U = 0 */
	for (size_t j = 1; j <= n; j++) {
		for (size_t i = 0; i <= m; i++)
			for (size_t u = 0; u < top; u++)
				cur[i * top + u] = (u >= i ? prev[i * top + u - i] : 0) + (i ? cur[(i - 1) * top + u] : 0);
		double *t = prev;
		prev = cur;
		cur = t;
	}
	memcpy(out, prev + m * top, top * sizeof(double));
	free(prev), free(cur);
	return out;
}

/* z with P(Z > z) = p, by bisection (p in (0, 0.5]). */
static double z_upper(double p)
{
	double lo = 0, hi = 40;
	for (int k = 0; k < 100; k++) {
		double mid = (lo + hi) / 2;
		if (0.5 * erfc(mid / sqrt(2)) > p)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

/* U = #{y_j > x_i} + ties / 2, as twice its value (an integer). */
static size_t u_twice(const double *x, size_t m, const double *y, size_t n)
{
	size_t u2 = 0;
	for (size_t i = 0; i < m; i++)
		for (size_t j = 0; j < n; j++)
			u2 += y[j] > x[i] ? 2 : y[j] == x[i] ? 1 : 0;
	return u2;
}

#define EXACT_MN 2500

double detect_mwu_greater(const double *x, size_t m, const double *y, size_t n)
{
	if (!m || !n)
		return NAN;
	size_t u2 = u_twice(x, m, y, n);
	if (m * n <= EXACT_MN) {
		double *c = u_counts(m, n);
		if (c) {
			double total = 0, tail = 0;
			size_t from = u2 / 2; /* a half-integer U counts from below: the larger p */
			for (size_t u = 0; u <= m * n; u++) {
				total += c[u];
				if (u >= from)
					tail += c[u];
			}
			free(c);
			return tail / total;
		}
	}
	/* normal approximation, the variance corrected for ties */
	size_t N = m + n;
	double *all = malloc(N * sizeof(*all));
	double ties = 0;
	if (all) {
		for (size_t i = 0; i < m; i++)
			all[i] = x[i];
		for (size_t j = 0; j < n; j++)
			all[m + j] = y[j];
		qsort(all, N, sizeof(*all), cmp_double);
		for (size_t i = 0, k; i < N; i = k) {
			for (k = i + 1; k < N && all[k] == all[i];)
				k++;
			double t = (double)(k - i);
			ties += t * t * t - t;
		}
		free(all);
	}
	double mm = (double)m, nn = (double)n, NN = (double)N;
	double mean = mm * nn / 2;
	double var = mm * nn / 12 * ((NN + 1) - ties / (NN * (NN - 1)));
	if (var <= 0)
		return 0.5;
	double z = ((double)u2 / 2 - mean - 0.5) / sqrt(var);
	return 0.5 * erfc(z / sqrt(2));
}

/* --- Hodges-Lehmann ------------------------------------------------------------------- */

int detect_hodges_lehmann(const double *x, size_t m, const double *y, size_t n, double alpha,
			  struct detect_shift *out)
{
	if (!m || !n)
		return -1;
	size_t mn = m * n;
	double *d = malloc(mn * sizeof(*d));
	if (!d)
		return -1;
	for (size_t i = 0; i < m; i++)
		for (size_t j = 0; j < n; j++)
			d[i * n + j] = y[j] - x[i];
	qsort(d, mn, sizeof(*d), cmp_double);
	out->shift = median_sorted(d, mn);
	out->lo = -INFINITY;
	out->hi = INFINITY;
	out->coverage = 1;
	/* k - 1 = the largest c with P0(U <= c) <= alpha / 2 */
	double *c = mn <= EXACT_MN ? u_counts(m, n) : NULL;
	long k = 0;
	if (c) {
		double total = 0, cum = 0;
		for (size_t u = 0; u <= mn; u++)
			total += c[u];
		for (size_t u = 0; u <= mn; u++) {
			cum += c[u];
			if (cum / total > alpha / 2)
				break;
			k = (long)u + 1;
			out->coverage = 1 - 2 * cum / total;
		}
		free(c);
	} else if (mn > EXACT_MN) {
		double mm = (double)m, nn = (double)n;
		k = (long)floor(mm * nn / 2 - z_upper(alpha / 2) * sqrt(mm * nn * (mm + nn + 1) / 12));
		out->coverage = 1 - alpha;
	}
	if (k >= 1 && (size_t)k <= mn) {
		out->lo = d[k - 1];
		out->hi = d[mn - (size_t)k];
	}
	free(d);
	return 0;
}

/* --- noise threshold and verdict ----------------------------------------------------- */

/* The q-quantile of sorted v, linear between order statistics (type 7, as R and numpy). */
static double quantile_sorted(const double *v, size_t n, double q)
{
	double h = (double)(n - 1) * q;
	size_t lo = (size_t)floor(h);
	return lo + 1 < n ? v[lo] + (h - (double)lo) * (v[lo + 1] - v[lo]) : v[n - 1];
}

double detect_noise_threshold(const double *medians, size_t n, double floor_tau)
{
	if (n < 6)
		return floor_tau;
	double *d = malloc((n - 1) * sizeof(*d));
	if (!d)
		return floor_tau;
	for (size_t i = 1; i < n; i++)
		d[i - 1] = fabs(medians[i] - medians[i - 1]);
	qsort(d, n - 1, sizeof(*d), cmp_double);
	double q1 = quantile_sorted(d, n - 1, 0.25), q3 = quantile_sorted(d, n - 1, 0.75);
	free(d);
	double tau = q3 + 3 * (q3 - q1);
	return tau > floor_tau ? tau : floor_tau;
}

const char *detect_verdict_name(enum detect_verdict v)
{
	static const char *const names[] = {"same", "regression", "improvement", "unknown"};
	return v <= DETECT_UNKNOWN ? names[v] : "?";
}

int detect_compare(const double *x, size_t m, const double *y, size_t n, double tau, double alpha,
		   struct detect_compare *out)
{
	memset(out, 0, sizeof(*out));
	out->m = m;
	out->n = n;
	out->tau = tau;
	out->verdict = DETECT_UNKNOWN;
	if (detect_hodges_lehmann(x, m, y, n, 0.05, &out->hl))
		return -1;
	out->p_up = detect_mwu_greater(x, m, y, n);
	out->p_down = detect_mwu_greater(y, n, x, m);
	if (out->p_up <= alpha && out->hl.shift > tau)
		out->verdict = DETECT_REGRESSION;
	else if (out->p_down <= alpha && out->hl.shift < -tau)
		out->verdict = DETECT_IMPROVEMENT;
	else if ((out->hl.lo > -tau && out->hl.hi < tau) ||
		 (fabs(out->hl.shift) <= tau && m >= 5 && n >= 5 && out->p_up > 0.2 && out->p_down > 0.2))
		out->verdict = DETECT_SAME;
	return 0;
}

/* --- Welch's t-test and change points ------------------------------------------------ */

/* The continued fraction of the regularised incomplete beta function (Lentz's method). */
static double beta_cf(double a, double b, double x)
{
	const double tiny = 1e-300;
	double c = 1, d = 1 - (a + b) * x / (a + 1);
	d = fabs(d) < tiny ? tiny : d;
	d = 1 / d;
	double h = d;
	for (int m = 1; m <= 300; m++) {
		double m2 = 2.0 * m;
		double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
		d = 1 + aa * d;
		d = fabs(d) < tiny ? tiny : d;
		c = 1 + aa / c;
		c = fabs(c) < tiny ? tiny : c;
		d = 1 / d;
		h *= d * c;
		aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
		d = 1 + aa * d;
		d = fabs(d) < tiny ? tiny : d;
		c = 1 + aa / c;
		c = fabs(c) < tiny ? tiny : c;
		d = 1 / d;
		double del = d * c;
		h *= del;
		if (fabs(del - 1) < 1e-14)
			break;
	}
	return h;
}

/* I_x(a, b). */
static double beta_inc(double a, double b, double x)
{
	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	double lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
	if (x < (a + 1) / (a + b + 2))
		return exp(lbt) * beta_cf(a, b, x) / a;
	return 1 - exp(lbt) * beta_cf(b, a, 1 - x) / b;
}

static void mean_var(const double *v, size_t n, double *mean, double *var)
{
	double s = 0, ss = 0;
	for (size_t i = 0; i < n; i++)
		s += v[i];
	*mean = s / (double)n;
	for (size_t i = 0; i < n; i++)
		ss += (v[i] - *mean) * (v[i] - *mean);
	*var = n > 1 ? ss / (double)(n - 1) : 0;
}

/* t and the Welch-Satterthwaite degrees of freedom from each side's size, mean and
 * variance; -1 when undefined. */
static int welch_of(size_t m, double mx, double vx, size_t n, double my, double vy, double *t, double *df)
{
	if (m < 2 || n < 2)
		return -1;
	double sx = vx / (double)m, sy = vy / (double)n;
	if (sx + sy <= 0) { /* no spread: a clean step is as sure as it gets, no step tells nothing */
		if (my == mx)
			return -1;
		*t = my > mx ? INFINITY : -INFINITY;
		*df = (double)(m + n - 2);
		return 0;
	}
	*t = (my - mx) / sqrt(sx + sy);
	*df = (sx + sy) * (sx + sy) / (sx * sx / (double)(m - 1) + sy * sy / (double)(n - 1));
	return 0;
}

static int welch(const double *x, size_t m, const double *y, size_t n, double *t, double *df)
{
	if (m < 2 || n < 2)
		return -1;
	double mx, vx, my, vy;
	mean_var(x, m, &mx, &vx);
	mean_var(y, n, &my, &vy);
	return welch_of(m, mx, vx, n, my, vy, t, df);
}

/* The mean and variance of v[a..b) from prefix sums of v - c and its square (p[k], q[k]:
 * over the first k); a variance within rounding of zero is zero, so a flat side stays
 * flat as mean_var finds it. */
static void window_mean_var(const double *p, const double *q, double c, size_t a, size_t b, double *mean, double *var)
{
	double n = (double)(b - a), s = p[b] - p[a], ss = q[b] - q[a];
	*mean = c + s / n;
	double v = n > 1 ? (ss - s * s / n) / (n - 1) : 0;
	*var = v > 1e-12 * (ss / n + 1e-300) ? v : 0;
}

double detect_welch_p(const double *x, size_t m, const double *y, size_t n)
{
	double t, df;
	if (welch(x, m, y, n, &t, &df))
		return NAN;
	return isinf(t) ? 0 : beta_inc(df / 2, 0.5, df / (df + t * t));
}

static size_t segment(const double *v, size_t from, size_t to, size_t min_size, double p_max, double min_shift,
		      size_t *out, size_t n_out, size_t max_out)
{
	if (to - from < 2 * min_size || n_out >= max_out)
		return n_out;
	/* every split's two sides from prefix sums (centred on the segment's first value, for
	 * precision): linear in the segment, where a mean and variance per split was quadratic
	 * and most of a 5,000-revision dashboard's time */
	size_t len = to - from, best = 0;
	double *p = malloc(2 * (len + 1) * sizeof(*p));
	if (!p)
		return n_out; /* no memory: no change point found, as with too little data */
	double *q = p + len + 1, c = v[from], best_t = 0, t, df;
	p[0] = q[0] = 0;
	for (size_t i = 0; i < len; i++) {
		double d = v[from + i] - c;
		p[i + 1] = p[i] + d;
		q[i + 1] = q[i] + d * d;
	}
	for (size_t k = from + min_size; k + min_size <= to; k++) {
		double mx, vx, my, vy;
		window_mean_var(p, q, c, 0, k - from, &mx, &vx);
		window_mean_var(p, q, c, k - from, len, &my, &vy);
		if (welch_of(k - from, mx, vx, to - k, my, vy, &t, &df) == 0 && fabs(t) > best_t) {
			best_t = fabs(t);
			best = k;
		}
	}
	free(p);
	if (!best)
		return n_out;
	double ml, vl, mr, vr;
	mean_var(v + from, best - from, &ml, &vl);
	mean_var(v + best, to - best, &mr, &vr);
	if (!(detect_welch_p(v + from, best - from, v + best, to - best) < p_max) || fabs(mr - ml) <= min_shift)
		return n_out;
	n_out = segment(v, from, best, min_size, p_max, min_shift, out, n_out, max_out);
	if (n_out < max_out)
		out[n_out++] = best;
	return segment(v, best, to, min_size, p_max, min_shift, out, n_out, max_out);
}

size_t detect_change_points(const double *v, size_t n, size_t min_size, double p_max, double min_shift,
			    size_t *out, size_t max_out)
{
	if (min_size < 2)
		min_size = 2;
	return segment(v, 0, n, min_size, p_max, min_shift, out, 0, max_out);
}
