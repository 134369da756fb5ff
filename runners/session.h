/*
 * session.h - carrying out a scenario: its steps, in order, against the target, each one
 * timed (wall clock) and measured, into one run record.
 *
 * The scenario's runner says how: exec (a process per `run` step, measured like `leakbench
 * exec`), ghci (one REPL driven through its prompt) or lsp (one language server driven as
 * an editor would); each is one file behind runners/runner.h.  The session neither stores
 * nor judges the run (results/expect.c derives the slopes, the caller stores).
 *
 * Per-step metrics: every step gets latency_seconds.  A `run` step of the exec runner:
 * live_bytes (the process's max_live_bytes: the live data the step needed), max_live_bytes,
 * allocated_bytes, max_mem_in_use_bytes, peak_rss_bytes, gc_cpu_seconds.  A long-lived
 * target's steps: live_bytes (the last major GC in the step's window), peak_live_bytes,
 * allocated_bytes; LSP waits add done_seconds.
 */
#ifndef LB_SESSION_H
#define LB_SESSION_H

#include "base/error.h"
#include "results/record.h"
#include "runners/exec.h"
#include "scenarios/scenario.h"

struct session_opts {
	const char *program;   /* the target */
	char *const *args;     /* its fixed arguments (scenario `args` or --args), NULL-terminated */
	const char *codebase;  /* absolute path of the prepared codebase; NULL if none */
	const char *run_dir;   /* absolute path of the run's artifact folder */
	struct exec_opts measure; /* RTS and supervision settings; argv and cwd are set per step */
	int verbose;           /* a line per step on stdout */
};

/* Carry out every step.  Returns 0 when the session ran to its end (steps may have failed:
 * see run->steps[i].failed and run->status), or an error when it could not go on (the
 * target cannot be started, an edit is impossible, interrupted). */
int session_run(const struct scn_scenario *sc, const struct session_opts *o, struct lb_run *run,
		struct lb_error *err);

#endif
