/*
 * rts.h - talking to the GHC runtime system: the measurement flags leakbench adds, what a
 * refusal of them looks like, and parsers for every statistics text the RTS writes.
 *
 * The statistics are kept as a generic list of (key, value) pairs, in file order, exactly
 * as the RTS wrote them (keys vary by GHC version, RTS way and flags; keep them all).  The
 * `-s` summary and `-S` per-GC formats are mapped onto the same keys as
 * `-t --machine-readable` where they carry the same figure, so callers ask for
 * "allocated_bytes" whatever format the target produced.
 */
#ifndef LB_RTS_H
#define LB_RTS_H

#include <stddef.h>

#include "base/error.h"

enum rts_format {
	RTS_FMT_UNKNOWN = 0,
	RTS_FMT_MACHINE, /* -t --machine-readable, 9.x keys */
	RTS_FMT_OLD12,   /* -t --machine-readable from GHC <= 8.4: the 12 old keys */
	RTS_FMT_ONELINE, /* plain -t: <<ghc: ... :ghc>> */
	RTS_FMT_SUMMARY, /* -s */
	RTS_FMT_VERBOSE, /* -S: per-GC lines, then the -s summary */
	RTS_FMT_INFO,    /* +RTS --info */
};

struct rts_kv {
	char *key;   /* as written, trailing spaces removed ("sparks_dud " -> "sparks_dud") */
	char *value; /* as written */
};

/* One line of `+RTS -S`. */
struct rts_gc {
	unsigned long long alloc, copied, live;
	double gc_cpu, gc_wall, total_cpu, total_wall;
	unsigned long faults, faults_between;
	int gen;
};

struct rts_stats {
	enum rts_format format;
	struct rts_kv *kv;
	size_t n_kv, cap_kv;
	struct rts_gc *gcs; /* -S only */
	size_t n_gcs, cap_gcs;
};

/* Parse any of the formats above from `text` (NUL-terminated).  `source` names the file in
 * error messages ("stats.txt line 7: expected ..."). */
int rts_stats_parse(struct rts_stats *out, const char *text, const char *source,
		    struct lb_error *err);
/* Read and parse a file. */
int rts_stats_parse_file(struct rts_stats *out, const char *path, struct lb_error *err);
void rts_stats_free(struct rts_stats *st);

/* The first value for `key`, or NULL. */
const char *rts_stats_get(const struct rts_stats *st, const char *key);
/* A number for `key`; 0 if found and numeric, LB_ENOTFOUND otherwise.  Falls back to the
 * older names (allocated_bytes <- "bytes allocated", max_live_bytes <- max_bytes_used,
 * max_mem_in_use_bytes <- peak_megabytes_allocated * 2^20, mut_* <- mutator_*). */
int rts_stats_number(const struct rts_stats *st, const char *key, double *out);
/* The unit leakbench stores with an RTS key: bytes, s, ratio, count, MiB, bytes/s or "". */
const char *rts_key_unit(const char *key);
const char *rts_format_name(enum rts_format f);

/* What the measurement adds to the target's command line. */
struct rts_measure {
	const char *stats_path;    /* -t<path> --machine-readable; NULL: no statistics */
	const char *eventlog_path; /* -l -ol<path>; NULL: no eventlog */
	int heap_profile;          /* -hT */
	double heap_interval_s;    /* -i<secs>; <= 0: RTS default */
	const char *extra;         /* the user's own flags, split on spaces; may be NULL */
	int per_gc;                /* -S<stats_path> instead of -t<stats_path> --machine-readable */
	int stderr_only;           /* -S alone, statistics on stderr (a -rtsopts=some RTS takes
				    * nothing else); the paths and the census are then ignored */
};

/* Build "+RTS ... -RTS" as an argv fragment: *out is a NULL-terminated malloc'ed array of
 * malloc'ed strings (free with rts_argv_free); *n excludes the NULL. `info` appends --info
 * (the probe: the RTS checks every flag, prints its facts and exits before main). */
int rts_build_args(const struct rts_measure *m, int info, char ***out, size_t *n,
		   struct lb_error *err);
void rts_argv_free(char **argv);
/* The fragment as one display string ("-t... --machine-readable -l ..."), malloc'ed. */
char *rts_args_string(char *const *argv, size_t n);

/* If `stderr_text` shows that the RTS refused the flags, describe why and how to fix it in
 * `err` and return its code: LB_ENOEVENTLOG when only the eventlog is missing (the target
 * can be measured without one), else LB_ERTS; otherwise 0.  `program` names the target. */
int rts_check_refusal(const char *stderr_text, const char *program, struct lb_error *err);

#endif
