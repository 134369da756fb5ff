/*
 * expect.h - judging a scenario's expectations against a finished run.
 *
 * Works only from the run record (its metrics, steps, step metrics and census), which is
 * exactly what the store keeps, so a stored run can be judged again.  Every verdict carries
 * one line a maintainer can act on: what was measured, against which bound, and why.
 */
#ifndef LB_EXPECT_H
#define LB_EXPECT_H

#include "base/error.h"
#include "results/record.h"
#include "scenarios/scenario.h"

/* The live bytes' Theil-Sen slope over every step that measured them, with its interval:
 * live_bytes_slope_per_step, _lo, _hi (none with fewer than 3 such steps).  A run metric
 * like any other, so it is computed before the expectations are judged. */
int expect_step_slope(struct lb_run *run, struct lb_error *err);

/* Judge every expectation of `sc` against `run`, appending one verdict each to the run.
 * *failed gets the number that do not hold: those that fail, and those that cannot be
 * judged (LB_VERDICT_UNKNOWN: never ok). */
int expect_judge(const struct scn_scenario *sc, struct lb_run *run, int *failed,
		 struct lb_error *err);

/* A checkpoint series: the value of a per-step metric in each window that ends at a `mark
 * PER` (the last step of the window that measured it).  x[k] is the window's number, so a
 * window without a figure leaves a gap instead of shifting the rest; `windows` counts them
 * all.  A leak judged from fewer than EXPECT_MIN_MEASURED of the windows is inconclusive. */
struct expect_series {
	double *x, *y;
	double *v;  /* the value each window's closing mark carries (NaN: none) */
	size_t n, windows;
};
#define EXPECT_MIN_MEASURED 0.8
/* Windows from the `after` mark on (NULL: the start).  Free with expect_series_free. */
int expect_series_per_mark(const struct lb_run *run, const char *metric, const char *per, const char *after,
			   struct expect_series *out, struct lb_error *err);
void expect_series_free(struct expect_series *s);

/* A leak seen without any expectation: the checkpoint is the scenario's most frequent mark
 * (at least 3 of them, `mark edit` in a repeat, say).  Over its occurrences: the live bytes'
 * Theil-Sen slope (leak_live_bytes_per_checkpoint, _lo, _hi); leak_suspected is 1 when its
 * lower bound passes 4 KiB per checkpoint, else 0.  Then, for a suspected leak, each census
 * label's bytes at its last sample before the mark: a label whose slope's lower bound
 * passes the floor gets census_growth:LABEL (bytes per checkpoint), saying what leaks.
 * The run also gets checkpoints and checkpoints_measured (the windows, and those with a
 * live-bytes figure); with fewer than EXPECT_MIN_MEASURED of them measured no leak verdict is
 * made: leak_inconclusive is 1 and leak_suspected is not stored.
 * Runs without such a mark get none of these. */
int expect_leak_metrics(struct lb_run *run, struct lb_error *err);

#endif
