/*
 * bisect.h - the first bad commit of a regression or a leak, found by leakbench itself over
 * the first-parent commits of GOOD..BAD: what `bisect` does, and `nightly` for what it
 * flagged tonight.
 *
 * Every step is check's decision against GOOD (harness/decide.h), so stored runs and cached
 * builds are reused and an unclear step gets more runs.  The midpoint prefers a revision
 * already measured near the middle (a sweep's, or an earlier bisection's), then the middle
 * itself, so bisections over overlapping ranges share their work.  A revision that does not
 * build is skipped (its neighbour nearest the middle is taken instead); if every candidate
 * left is skipped, the answer is the range they span.  The bisection is stored, and its
 * result returned to the caller (never re-read from the store, which another writer shares).
 */
#ifndef LB_BISECT_H
#define LB_BISECT_H

#include <stddef.h>

#include "base/error.h"
#include "harness/decide.h"

struct bisect_result {
	int found;                           /* first_bad is the first bad commit; else it is one of
					      * the `span` commits after last_good up to first_bad */
	long span;
	const struct rev_commit *last_good;  /* point into `good` and `list` */
	const struct rev_commit *first_bad;
	size_t builds, runs;                 /* what the search cost */
	/* owned */
	struct rev_commit good, *list;
	size_t n;
	struct rev_repo *repo;
	struct store *st;
};

/* Bisect `good`..`bad` of the session's target and scenario, judged as the session says
 * (s->x.use_metrics, use_expectations, metrics; `leak` and `metric` only name the criterion
 * stored).  Progress goes to stdout, a line per step.  Returns 0 with *res (free it with
 * bisect_result_free, whatever the return) when a result was stored; LB_EINVAL when the
 * request cannot be bisected (GOOD not an ancestor of BAD, the same revision, GOOD already
 * bad, BAD not bad against GOOD), LB_EINTR when interrupted, another code when leakbench
 * could not do its part. */
int bisect_run(struct decide_session *s, const char *good, const char *bad, int leak, const char *metric,
	       struct bisect_result *res, struct lb_error *err);
void bisect_result_free(struct bisect_result *res);

/* What `bisect` prints when it is done: the commit (or the range), the evidence of the
 * first bad commit against the last good one (its metrics, its expectations) and the cost. */
void bisect_print(struct decide_session *s, const struct bisect_result *res, int leak);

#endif
