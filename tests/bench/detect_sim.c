/*
 * detect_sim.c - make bench: how often does leakbench's verdict find a planted 5% step in
 * max_live_bytes with 5 runs a side, and how often does it cry wolf when nothing changed?
 *
 *   detect_sim SIGMA...    (each SIGMA: the noise as a fraction, e.g. 0.004 for 0.4%)
 *
 * Noise is multiplicative (log-normal), as memory figures' is; each trial draws 5 base and
 * 5 candidate values and asks detect_compare with max_live_bytes' floor (2%) as threshold
 * and alpha 0.01.  A fixed seed makes the report the same every time.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "results/detect.h"

static uint64_t state = 0x2545F4914F6CDD1Dull;

static double uniform(void)
{
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return ((state * 2685821657736338717ull) >> 11) * (1.0 / 9007199254740992.0);
}

static double gauss(void)
{
	double u = uniform(), v = uniform();
	return sqrt(-2 * log(u > 0 ? u : 1e-300)) * cos(2 * M_PI * v);
}

/* The share of trials judged a regression. */
static double rate(double sigma, double step, int n, int trials)
{
	int hits = 0;
	double x[32], y[32], tau = log(1.02);
	for (int t = 0; t < trials; t++) {
		for (int i = 0; i < n; i++) {
			x[i] = sigma * gauss();
			y[i] = log(1 + step) + sigma * gauss();
		}
		struct detect_compare c;
		if (detect_compare(x, (size_t)n, y, (size_t)n, tau, 0.01, &c) == 0 && c.verdict == DETECT_REGRESSION)
			hits++;
	}
	return (double)hits / trials;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: detect_sim SIGMA...\n");
		return 2;
	}
	const int trials = 20000, n = 5;
	printf("%10s  %22s  %22s\n", "noise", "5% steps found", "false alarms (no step)");
	int ok = 1;
	for (int i = 1; i < argc; i++) {
		double sigma = atof(argv[i]);
		double found = rate(sigma, 0.05, n, trials), false_alarms = rate(sigma, 0, n, trials);
		printf("%9.2f%%  %21.1f%%  %21.2f%%%s\n", 100 * sigma, 100 * found, 100 * false_alarms,
		       i == 1 ? "   <- measured" : "");
		if (i == 1)
			ok = found >= 0.95 && false_alarms <= 0.01;
	}
	printf("goal at the measured noise (>= 95%% found, <= 1%% false alarms, %d runs a side): %s\n", n,
	       ok ? "met" : "NOT met");
	return 0;
}
