/*
 * exec.h - the exec runner: one measured run of a command (a GHC-built program, or any
 * program with --no-rts), producing a run record.
 *
 * What a run leaves in its artifact folder: stdout, stderr, rts-stats.txt (the
 * `-t --machine-readable` output), events.eventlog, rss.tsv (the /proc samples).  The runner
 * fills the record (status, metrics with units, artifacts, the exact command line); it
 * does not store or judge it.
 */
#ifndef LB_EXEC_H
#define LB_EXEC_H

#include <stddef.h>

#include "base/error.h"
#include "results/record.h"
#include "runners/rts.h"

struct exec_opts {
	char *const *argv; /* the program and its arguments; NULL-terminated */
	int no_rts;        /* add no RTS flags: OS figures only (for non-GHC programs) */
	int eventlog;      /* -l-agu -ol<file> */
	int heap_profile;  /* -hT */
	double heap_interval_s;
	const char *rts_extra; /* the user's own RTS flags, appended after leakbench's */
	double timeout_s;
	double grace_s;
	double sample_s;
	const char *cwd; /* where the program runs; NULL: leakbench's own directory.  Artifact
			  * paths must then be absolute, as the RTS opens them from there. */
	char *const *env; /* KEY=VALUE for the program (the target's, then the scenario's); may be NULL */
	int rts_limited; /* the target's RTS takes only -S to stderr (-rtsopts=some): per-GC
			  * lines and the summary, read from its stderr; no eventlog, no census */
	const unsigned char *ok_exits; /* 256 flags: which exit statuses are a normal end (a
					* linter exits 1 when it finds something); NULL: 0 only */
	int per_gc;      /* statistics as +RTS -S<file> (a line per GC, then the summary) instead
			  * of -t --machine-readable: per-step live bytes for a long-lived target
			  * that has no eventlog (GHC < 9.4 linked without -eventlog) */
};

/* Ask the target's RTS whether it accepts the measurement flags, without running main:
 * `PROG +RTS <flags> --info -RTS`.  On success *info holds the RTS facts (GHC version, RTS
 * way ...; free with rts_stats_free).  A refusal gives LB_ERTS with the cause and the fix; a
 * program that is not a GHC program gives LB_EINVAL suggesting --no-rts.  `scratch_dir` gets
 * the probe's output files. */
int exec_probe(const struct exec_opts *o, const char *scratch_dir, struct rts_stats *info,
	       struct lb_error *err);

/* Run once with its artifacts in `run_dir` (created if missing).  `run` must have been
 * record_init'ed; its environment is the caller's.  Returns 0 when a run record was made,
 * whatever the program's fate (see run->status); an error when nothing could be measured
 * (could not start, RTS refusal, interrupted). */
int exec_run(const struct exec_opts *o, const char *run_dir, struct lb_run *run,
	     struct lb_error *err);

/* The same in two halves, for a target driven while it runs (GHCi): exec_start spawns it
 * (interactive: stdin/stdout are pipes, see proc_send/proc_expect on exec_proc()), and
 * exec_finish waits for its end and collects everything exec_run would.  exec_finish
 * releases `live` whatever it returns. */
struct exec_live;
struct proc;
int exec_start(const struct exec_opts *o, const char *run_dir, struct lb_run *run, int interactive,
	       struct exec_live **live, struct lb_error *err);
struct proc *exec_proc(struct exec_live *live);
int exec_finish(struct exec_live *live, struct lb_run *run, struct lb_error *err);

#endif
