/*
 * sweep.h - measuring one revision of a target: built (or its cached build taken), then each
 * scenario run until it has its repeats, with a progress line.  What `sweep` does for every
 * revision of its list, and `check` and `bisect` for the ones they need.
 */
#ifndef LB_SWEEP_H
#define LB_SWEEP_H

#include <stddef.h>

#include "harness/config.h"
#include "harness/rev.h"
#include "harness/runonce.h"
#include "results/store.h"

/* One scenario the sweep runs on every revision, with its repeats. */
struct sweep_scenario {
	struct scn_scenario *sc;
	int repeat;
	int stored; /* runs of it stored for the revision at hand (with --resume) */
};

/* The progress line: rewritten in place on a terminal, one plain line per phase in CI. */
struct sweep_progress {
	int tty;
	double start;
	size_t n, measured, left; /* revisions in all, measured so far, still to do */
};

/* What a sweep did, summed over revisions. */
struct sweep_totals {
	size_t measured, failed_builds, skipped, runs, failed_runs, errors;
	size_t built; /* builds that ran (not taken from the cache) */
	int interrupted;
};

/* The scenarios to run on target t: `names` (each a file or a [scenario NAME], one per
 * line, as several --scenario options give them), else every configured one meant for t;
 * each with `repeat` runs (0: its configured repeat, else 1).  *out is malloc'ed; free each .sc with scn_free, then it. */
int sweep_pick_scenarios(const char *names, const struct cfg *c, const struct cfg_target *t, int repeat,
			 struct sweep_scenario **out, size_t *n, struct lb_error *err);

double sweep_now(void);
const char *sweep_hms(double seconds, char *buf, size_t size);
void sweep_progress_show(const struct sweep_progress *p, size_t i, const char *sha, const char *phase);
void sweep_progress_clear(const struct sweep_progress *p);

/* Build revision `c` and run each scenario's missing repeats (with resume, the runs stored
 * count; else all of them), one summary line printed; the outcome is added to *tot (a build
 * failure to failed_builds).  `once` carries the measurement settings. */
void sweep_revision(const struct cfg *cfg, const struct cfg_target *t, struct rev_repo *repo,
		    const struct rev_commit *c, struct store *st, struct sweep_scenario *scs, size_t n_sc, int resume,
		    struct run_once *once, struct sweep_progress *p, size_t i, struct sweep_totals *tot);

/* What to sweep: the target's revisions in `range` (A..B or one revision), or what is new
 * on its branch since the last revision with runs (`new`), or those a file lists; then
 * every `every`-th counted back from the newest, then shard K of N (shard_n 0: all). */
struct sweep_req {
	const struct cfg *cfg;
	const struct cfg_target *t;
	struct sweep_scenario *scs;
	size_t n_sc;
	const char *range;
	int new;
	const char *list_file;
	int every, shard_k, shard_n;
	int resume; /* leave alone the runs already stored */
	const char *db, *artifacts;
	struct measure_cli mc;
};

/* Sweep: each revision built and measured (sweep_revision), a summary printed.  Returns 0
 * when the sweep ran (*tot says how it went), or an error when it could not begin
 * (LB_EINVAL: the revisions asked for are not there or not a range). */
int sweep_target(const struct sweep_req *q, struct sweep_totals *tot, struct lb_error *err);

/* The exit status `sweep` documents for what it did: 130 interrupted, 3 some revision or
 * run could not be measured, 1 some run failed, else 0. */
int sweep_exit_code(const struct sweep_totals *tot);

/* "K/N" (1 <= K <= N) of --shard into *k and *n: 0, or -1 when it is not that (NULL is
 * no shard: 0, with *k and *n untouched). */
int sweep_parse_shard(const char *s, int *k, int *n);

#endif
