/*
 * record.h - the run record: what one measured run of a target produced.
 *
 * This is the type that crosses folders: runners/ fill it in, results/ store and read it
 * back, harness/ prints it.  It is plain, visible data (no opaque handles) so every side
 * can read it without an accessor per field.  A record owns every string and array it
 * points to; record_free() releases them all.
 *
 * Metric names: headline metrics have plain names (allocated_bytes, max_live_bytes,
 * max_mem_in_use_bytes, peak_rss_bytes, gc_cpu_seconds, wall_seconds); every key of the
 * RTS statistics is kept as well, under "rts.<key>".  Each metric carries its unit
 * ("bytes", "s", "count", "ratio", "bytes/s", "MiB" or "").
 */
#ifndef LB_RECORD_H
#define LB_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "base/digest.h"
#include "base/error.h"
#include "base/mem.h"

#define LB_RUN_ID_LEN 26 /* ULID: 48-bit milliseconds + 80 random bits, Crockford base32 */

enum lb_run_status {
	LB_RUN_OK = 0,      /* exited with status 0 */
	LB_RUN_CRASHED = 1, /* non-zero exit or killed by a signal it did not ask for */
	LB_RUN_TIMEOUT = 2, /* killed by leakbench at the timeout */
};

struct lb_metric {
	char *name;
	double value;
	char *unit;
};

/* The headline metrics: the whole-run figures every comparison judges by default, `exec`
 * summarises and the dashboard charts, in that order.  This one table says all there is to
 * say about each, for every folder. */
enum lb_from_steps {
	LB_STEPS_NONE, /* not made from the steps' figures */
	LB_STEPS_MAX,  /* a run of a process per step: the largest step's */
	LB_STEPS_SUM,  /* ... the steps' total */
};
struct lb_headline {
	const char *name, *unit;
	const char *label;             /* for people, short: "max live" */
	enum lb_from_steps from_steps; /* also: a step's own process gives it as a step metric */
	int log;                       /* changes are judged as ratios */
	double floor;                  /* the smallest change that can count, whatever the history
					* says: a ratio when log, else in the unit */
};
/* Terminated by an entry whose name is NULL. */
extern const struct lb_headline lb_headlines[];
/* The entry of `name`, or NULL when it is not a headline metric. */
const struct lb_headline *record_headline(const char *name);

struct lb_artifact {
	char *kind; /* stdout, stderr, rts-stats, eventlog, rss-samples ... */
	char *path;
	char sha256[LB_DIGEST_HEX + 1]; /* filled by the store when it records the artifact; "" before */
	int64_t bytes;
};

/* Where and with what a run was made.  `fingerprint` covers the fields that change what is
 * measured (host, CPU, cores, memory, the target's GHC version and RTS way); runs are only
 * compared with runs of the same fingerprint. */
struct lb_environment {
	char *host;
	char *kernel;
	char *cpu_model;
	int cores;
	int64_t mem_bytes;
	char *ghc_version; /* NULL when the target is not a GHC program (or --no-rts) */
	char *rts_way;
	char *leakbench_version;
	char fingerprint[17];
};

/* A time series from the eventlog (live bytes after each major GC, heap size ...).  Times are
 * seconds since the target's RTS started. */
struct lb_point {
	double t;
	double v;
};

struct lb_series {
	char *name; /* live_bytes, heap_bytes, blocks_bytes, allocated_bytes */
	char *unit;
	struct lb_point *p;
	size_t n;
};

/* One row of one heap census: `label` indexes lb_run.census_labels. */
struct lb_census_row {
	int sample;
	int step; /* -1 until steps are known */
	double t;
	uint32_t label;
	int64_t bytes;
};

/* A user marker (traceMarker) or message (traceEvent) from the eventlog. */
struct lb_mark {
	double t;
	int is_message;
	char *text;
};

/* One step of a scenario as it was carried out.  Times are unix seconds. */
struct lb_step {
	int line;        /* in the scenario file */
	int iteration;   /* the repeat iteration, 0 outside repeats */
	char *kind;      /* "run", "edit", "mark", "reload" ... */
	char *detail;    /* what it did: the mark's name, the file edited, the arguments */
	double start, end;
	int failed;      /* the step did not do what it should (a compile error, a crash) */
	char *note;      /* why, or NULL */
};

/* A figure of one step (live bytes after it, its latency ...). */
struct lb_step_metric {
	int step; /* index into lb_run.steps */
	char *name;
	double value;
	char *unit;
};

/* An expectation of the scenario, judged after the run: it holds, it does not, or it
 * cannot be judged from what was measured (a leak slope from too few checkpoints): that is
 * never "ok" for `run`, and untestable for `check` and `bisect`. */
enum { LB_VERDICT_FAILS = 0, LB_VERDICT_HOLDS = 1, LB_VERDICT_UNKNOWN = -1 };
struct lb_verdict {
	int line;
	char *source;    /* the expectation as written */
	int holds;       /* LB_VERDICT_* */
	double value;    /* what was measured (NaN when it could not be) */
	char *message;   /* one line: measured value, bound, and why */
};

struct lb_run {
	char id[LB_RUN_ID_LEN + 1];
	char *program;   /* argv[0] as given */
	char *command;   /* the full command line, JSON array of strings */
	char *rts_flags; /* the RTS options leakbench added plus the user's, one string; "" if none */
	char *scenario;  /* NULL for `leakbench exec` */
	char *target;    /* the config's target, the revision's sha and the build's key when the
			  * program was built by leakbench; NULL otherwise */
	char *revision;
	char *build_id;
	int repeat_index;
	enum lb_run_status status;
	int exit_code;   /* when it exited; -1 otherwise */
	int signal;      /* the signal that ended it; 0 if none */
	char *reason;    /* one line saying why a run is not ok; NULL when ok */
	double started_at;   /* unix seconds */
	double wall_seconds;
	int partial;         /* its data is incomplete (killed: eventlog without end marker ...) */
	char *artifact_dir;

	struct lb_metric *metrics;
	size_t n_metrics, cap_metrics;
	struct lb_artifact *artifacts;
	size_t n_artifacts, cap_artifacts;
	struct lb_environment env;

	/* From the eventlog, when there is one (all owned, freed by record_free). */
	struct lb_series *series;
	size_t n_series;
	struct lb_census_row *census;
	size_t n_census;
	char **census_labels;
	size_t n_census_labels;
	struct lb_mark *marks;
	size_t n_marks;
	double series_zero; /* when its series' time 0 was (unix seconds; 0 unknown): the RTS's
			     * start of a long-lived target, the session's start for exec steps */

	/* From a scenario (all owned, freed by record_free). */
	struct lb_step *steps;
	size_t n_steps;
	struct lb_step_metric *step_metrics;
	size_t n_step_metrics, cap_step_metrics;
	struct lb_verdict *verdicts;
	size_t n_verdicts;
};

/* Life cycle.  record_init zeroes `run` and gives it a fresh, globally unique id. */
int record_init(struct lb_run *run, struct lb_error *err);
void record_free(struct lb_run *run);
void record_env_free(struct lb_environment *env);
/* Deep copy of an environment (for filling each repeat's record from one capture). */
int record_env_copy(struct lb_environment *dst, const struct lb_environment *src,
		    struct lb_error *err);

/* The index of census label `label` in run->census_labels, added when new; negative on
 * error. */
long record_census_label(struct lb_run *run, const char *label, struct lb_error *err);
/* Contents; they copy their strings.  Adding a metric whose name is already present
 * replaces its value; appending one does not look (a database's rows, whose names are
 * distinct: the look was a quarter of reading a run of 90 metrics). */
int record_add_metric(struct lb_run *run, const char *name, double value, const char *unit,
		      struct lb_error *err);
int record_append_metric(struct lb_run *run, const char *name, double value, const char *unit,
			 struct lb_error *err);
int record_add_artifact(struct lb_run *run, const char *kind, const char *path,
			struct lb_error *err);
/* Append a series (takes ownership of `p`, which must be malloc'ed; copies the strings). */
int record_add_series(struct lb_run *run, const char *name, const char *unit,
		      struct lb_point *p, size_t n, struct lb_error *err);
/* The series called `name`, or NULL. */
const struct lb_series *record_series(const struct lb_run *run, const char *name);

/* Append a step (copies the strings); its index is run->n_steps - 1 afterwards. */
int record_add_step(struct lb_run *run, int line, int iteration, const char *kind,
		    const char *detail, double start, double end, struct lb_error *err);
/* Mark step `step` failed with `note` (copied; the first note wins). */
int record_step_failed(struct lb_run *run, size_t step, const char *note, struct lb_error *err);
/* Attach `note` to step `step` without failing it (a compile error GHCi reported). */
int record_step_note(struct lb_run *run, size_t step, const char *note, struct lb_error *err);
/* Add `note` after the step's note ("first; second"), or set it when there is none. */
int record_step_note_add(struct lb_run *run, size_t step, const char *note, struct lb_error *err);
int record_add_step_metric(struct lb_run *run, int step, const char *name, double value,
			   const char *unit, struct lb_error *err);
/* The value of step metric `name` of step `step`; NaN when absent. */
double record_step_metric(const struct lb_run *run, int step, const char *name);
/* "ok", "FAIL" or "INCONCLUSIVE" for a verdict's holds. */
const char *record_verdict_name(int holds);
int record_add_verdict(struct lb_run *run, int line, const char *source, int holds, double value,
		       const char *message, struct lb_error *err);

/* The metric called `name`, or NULL. */
const struct lb_metric *record_metric(const struct lb_run *run, const char *name);

/* Fill `out` (LB_RUN_ID_LEN + 1 bytes) with a new run id: time-ordered and unique across
 * machines (80 bits from getrandom), so databases from many machines can be merged. */
int record_new_id(char *out, struct lb_error *err);

const char *record_status_name(enum lb_run_status s);
int record_status_parse(const char *name, enum lb_run_status *out);

#endif
