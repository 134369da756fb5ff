/*
 * store.h - the SQLite results store.
 *
 * Guarantees:
 *  - a run is stored whole or not at all (one IMMEDIATE transaction per run: its row, its
 *    metrics, its artifacts and its environment), so a harness killed mid-write leaves the
 *    database as it was;
 *  - several leakbench processes may write one database at once (WAL, busy timeout);
 *  - the schema is migrated forward on open through PRAGMA user_version; a database written
 *    by a newer leakbench is refused, never altered;
 *  - foreign keys are enforced.
 * The store never starts a process and never judges a run.
 */
#ifndef LB_STORE_H
#define LB_STORE_H

#include <stddef.h>

#include "base/digest.h"
#include "base/error.h"
#include "results/record.h"

#define STORE_SCHEMA_VERSION 5

struct store;

/* Open (creating if needed) and migrate.  Free with store_close. */
int store_open(struct store **out, const char *path, struct lb_error *err);
/* The file it was opened from (what another process opens to read it alongside). */
const char *store_path(const struct store *st);
void store_close(struct store *st);

/* A consistent copy of the whole database at `path` (VACUUM INTO, through a temporary name),
 * compact and in one file (no WAL beside it): what a nightly job publishes with its site. */
int store_snapshot(struct store *st, const char *path, struct lb_error *err);

/* Many reads as one snapshot (the dashboard, a history scan): one read transaction instead
 * of a lock taken and dropped per query, and every query sees the same history.  Nothing may
 * be written between the two. */
int store_read_begin(struct store *st, struct lb_error *err);
void store_read_end(struct store *st);

/* Store a finished run in one transaction (with its series, census rows and markers).  Artifacts' sha256 and size are computed from
 * the files as they are now (a missing file is recorded with size -1). */
int store_put_run(struct store *st, struct lb_run *run, struct lb_error *err);

/* One line of `leakbench runs`. */
struct store_run_row {
	char id[LB_RUN_ID_LEN + 1];
	char started[32]; /* "YYYY-MM-DD HH:MM:SS" local time */
	char program[256];
	char scenario[128];
	char status[16];
	char verdict[16]; /* of its expectations: "FAIL" (one does not hold), "INCONCLUSIVE",
			   * "ok", or "" when it had none */
	double allocated_bytes, max_live_bytes, wall_seconds; /* NaN when not measured */
};

/* Which runs a list holds: all, or only those of no target's revision (`exec` and `run`
 * without a target: what a developer measured by hand). */
enum store_runs_which { STORE_RUNS_ALL, STORE_RUNS_AD_HOC };

/* The newest runs first; at most `limit` (0 = all).  *rows is malloc'ed: free() it. */
int store_list_runs(struct store *st, enum store_runs_which which, size_t limit, struct store_run_row **rows, size_t *n,
		    struct lb_error *err);

/* Read one run back, whole.  `id` may be any unique prefix of a run id (case-insensitive).
 * On success *run is filled; release it with record_free. */
int store_get_run(struct store *st, const char *id, struct lb_run *run, struct lb_error *err);

/* How many runs are stored (tests, summaries). */
int store_count_runs(struct store *st, long *out, struct lb_error *err);

/* A revision of a target (the target row is made or its repo updated). */
struct store_revision {
	const char *sha, *parents, *author, *subject;
	double author_time;
};
int store_put_revision(struct store *st, const char *target, const char *repo, const struct store_revision *rv,
		       struct lb_error *err);

/* A build, by its cache key `id` (a key's result never changes: storing it again is a no-op).
 * `sha` is the revision it was first built for. */
struct store_build {
	const char *id, *target, *sha, *tree, *toolchain, *recipe_hash;
	const char *status; /* ok, failed, timeout */
	const char *log_path, *binary_path, *binary_hash;
	double started_at, seconds;
};
int store_put_build(struct store *st, const struct store_build *b, struct lb_error *err);

/* The first other revision whose build made a binary with this hash; sha = "" if none. */
int store_revision_with_binary(struct store *st, const char *target, const char *hash, const char *not_sha,
			       char sha[LB_SHA_HEX + 1], struct lb_error *err);

/* How many runs of `scenario` (NULL: of any) are stored for this target's revision (sweep
 * --resume and --new). */
int store_count_revision_runs(struct store *st, const char *target, const char *sha, const char *scenario, long *n,
			      struct lb_error *err);

/* --- what the analysis reads ------------------------------------------------------ */

/* A keyed value: (run id or sha or census label, number). */
struct store_value {
	char key[160];
	double value;
};

/* A revision of the target by a unique prefix of its sha (LB_ENOTFOUND, or LB_EINVAL when
 * ambiguous). */
int store_find_revision(struct store *st, const char *target, const char *prefix, char sha[LB_SHA_HEX + 1], struct lb_error *err);

/* The metric of every finished run (status ok) of the target's revision and scenario, in
 * run order; *v is malloc'ed. */
int store_metric_values(struct store *st, const char *target, const char *sha, const char *scenario,
			const char *metric, double **v, size_t *n, struct lb_error *err);

/* The same over the target's whole history, as (sha, value) rows in revision order (author
 * time, then storage order), for noise thresholds. */
int store_metric_history(struct store *st, const char *target, const char *scenario, const char *metric,
			 struct store_value **rows, size_t *n, struct lb_error *err);

/* The leak-shape metrics the scenario's runs of the target stored (exponent:, slope:,
 * peak: from `expect exponent|slope ... per UNIT|peak`, not their _lo/_hi), by name. */
int store_shape_metrics(struct store *st, const char *target, const char *scenario, struct store_value **rows,
			size_t *n, struct lb_error *err);

/* Per run of the revision and scenario, each census label's largest bytes: (label, bytes)
 * rows, a label once per run that has it. */
int store_census_peaks(struct store *st, const char *target, const char *sha, const char *scenario,
		       struct store_value **rows, size_t *n, struct lb_error *err);

/* The scenario the newest run of `sha` was made with that `other` has runs of too; "" if
 * none. */
int store_common_scenario(struct store *st, const char *target, const char *sha, const char *other, char *out,
			  size_t size, struct lb_error *err);

/* Of the revision's runs of the scenario, how many have an expectation that does not hold
 * or a leak of their own (the leak_suspected metric). */
int store_expectation_failures(struct store *st, const char *target, const char *sha, const char *scenario,
			       long *failing, long *total, struct lb_error *err);
/* Of the same runs, how many could not be judged: an expectation inconclusive (too few
 * checkpoints measured), or no leak verdict of their own (leak_inconclusive). */
int store_expectation_unknowns(struct store *st, const char *target, const char *sha, const char *scenario,
			       long *unknown, struct lb_error *err);
/* Every such run of the target and scenario, across revisions: (run id, started_at). */
int store_unjudged_runs(struct store *st, const char *target, const char *scenario, struct store_value **rows,
			size_t *n, struct lb_error *err);

/* What the newest ok run of the same measurement (the target and scenario, or without a
 * target the program and scenario) says about a census's cost: its mutator CPU time and
 * its major collections (their CPU time and count).  LB_ENOTFOUND when there is none. */
struct store_census_history {
	double mutator_seconds, major_gc_seconds, major_gcs;
	double interval; /* the census interval it ran with (its -i), 0 if none */
};
int store_census_history(struct store *st, const char *target, const char *scenario, const char *program,
			 struct store_census_history *out, struct lb_error *err);

/* A finished bisection (result NULL: inconclusive). */
struct store_bisect {
	const char *target, *scenario, *criterion, *good, *bad, *result, *log;
	long builds, runs;
};
int store_put_bisect(struct store *st, const struct store_bisect *b, struct lb_error *err);

/* An accepted change: from revision `sha` on, `metric` of the target is judged against that
 * revision (kind "accept"; `leakbench accept`, or a Metric-Increase trailer).  Storing the
 * same one twice is a no-op. */
int store_put_acceptance(struct store *st, const char *target, const char *sha, const char *metric,
			 const char *reason, struct lb_error *err);
/* Whether the metric's change at revision `sha` was accepted. */
int store_accepted(struct store *st, const char *target, const char *sha, const char *metric, int *yes,
		   struct lb_error *err);
/* The revisions (shas, in key) where the target's change of `metric` was accepted: one
 * query for a history instead of one per revision. */
int store_accepted_revisions(struct store *st, const char *target, const char *metric, struct store_value **rows,
			     size_t *n, struct lb_error *err);
/* Whether `sha` is among rows[0..n) (store_accepted_revisions). */
int store_value_has(const struct store_value *rows, size_t n, const char *key);

/* The target's revisions with runs of the scenario, oldest first. */
struct store_revision_row {
	char sha[LB_SHA_HEX + 1];
	char subject[120];
	double author_time;
	/* the binary every run of the scenario ran, when they all ran one hashed binary, else "":
	 * two revisions with the same one differ by noise alone */
	char binary[LB_DIGEST_HEX + 1];
};
int store_measured_revisions(struct store *st, const char *target, const char *scenario,
			     struct store_revision_row **rows, size_t *n, struct lb_error *err);
/* The binary the runs of the target's revision in the scenario ran (see binary above), or "". */
int store_revision_binary(struct store *st, const char *target, const char *sha, const char *scenario,
			  char out[LB_DIGEST_HEX + 1], struct lb_error *err);
/* The revision measured last before `sha` (in history's order) with runs of the scenario,
 * in `out` ("" when none): a bisection's last good revision before its first bad one. */
int store_measured_before(struct store *st, const char *target, const char *scenario, const char *sha,
			  char out[LB_SHA_HEX + 1], struct lb_error *err);
/* The scenarios with runs of the target, and the targets with runs: names, malloc'ed. */
int store_scenarios_of(struct store *st, const char *target, struct store_value **rows, size_t *n,
		       struct lb_error *err);
int store_targets(struct store *st, struct store_value **rows, size_t *n, struct lb_error *err);

/* The runs (id, started_at) of the target's revision and scenario, oldest first. */
int store_runs_of_revision(struct store *st, const char *target, const char *sha, const char *scenario,
			   struct store_value **rows, size_t *n, struct lb_error *err);

/* The target's revisions with a run started at or after `since` (unix seconds). */
int store_revisions_measured_since(struct store *st, const char *target, double since, struct store_value **rows,
				   size_t *n, struct lb_error *err);

/* Stored bisections, newest first. */
struct store_bisect_row {
	char target[64], scenario[64], criterion[64];
	char good[LB_SHA_HEX + 1], bad[LB_SHA_HEX + 1], result[LB_SHA_HEX + 1]; /* result "" when inconclusive */
	long builds, runs;
	double created_at;
};
int store_list_bisects(struct store *st, struct store_bisect_row **rows, size_t *n, struct lb_error *err);

/* Copy into `st` what the database at `path` has and it has not: targets (by name),
 * revisions (by target and sha), builds (by id), environments, runs (by id) with all their
 * rows, annotations.  One transaction; merging the same file twice adds nothing. */
struct store_merge_counts {
	long revisions, builds, runs;
	double first_run; /* when the earliest run added started (unix seconds); 0: none added */
};
int store_merge(struct store *st, const char *path, struct store_merge_counts *added, struct lb_error *err);

#endif
