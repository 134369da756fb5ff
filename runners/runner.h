/*
 * runner.h - what a runner is, for session.c and the three runners (run_exec.c, run_ghci.c,
 * run_lsp.c) only; nothing outside runners/ includes it.
 *
 * As redis's event loop has one ae_*.c file per OS mechanism behind one small struct of
 * function pointers, a runner is one file behind `struct runner_ops`: start the target (a
 * handshake with a process session.c has already spawned), act on a step, stop it politely,
 * end (release what it holds).  session.c owns the step loop, step timing, the process's
 * spawn and reaping, and turning what the process measured into per-step figures; a runner
 * owns only what its protocol needs.
 *
 * Errors a runner returns carry no location: session.c puts "FILE:LINE: " in front.  A
 * runner whose long-lived target died, hung or broke its protocol returns LB_EIO or
 * LB_ETIMEOUT; the loop then fails the step and ends the session there.
 */
#ifndef LB_RUNNER_H
#define LB_RUNNER_H

#include <stdio.h>

#include "base/error.h"
#include "results/record.h"
#include "runners/session.h"
#include "scenarios/scenario.h"

struct edit_book;
struct proc;

/* What the loop shares with the runner, for one session. */
struct session {
	const struct scn_scenario *sc;
	const struct session_opts *o;
	struct edit_book *book; /* what edits did to the codebase (for `edit ... revert`) */
	struct proc *p;         /* the long-lived target; NULL for the exec runner */
	const char *dir;        /* its artifact folder (run_dir/ghci, run_dir/server) */
	void *state;            /* the runner's own, made by start, released by end */
	double t0;              /* when the session began (unix): the exec runner's processes'
				 * marks and series are kept in seconds since then */
};

struct runner_ops {
	const char *name;
	const char *dir;            /* the long-lived target's folder name; NULL: a process per step */
	char *const *default_args;  /* when neither the scenario nor --args give any; may be NULL */
	/* After the spawn: the handshake (GHCi's prompt, LSP's initialize). */
	int (*start)(struct session *s, struct lb_error *err);
	/* Carry out step `i` (`run` gets notes, failures and step metrics). */
	int (*act)(struct session *s, const struct scn_step *st, size_t i, struct lb_run *run,
		   struct lb_error *err);
	/* The polite goodbye (`:quit`; shutdown, exit), only for a target that still answers. */
	int (*stop)(struct session *s, struct lb_error *err);
	/* Release the state; when `keep` (the session went well), add the runner's artifacts to
	 * `sub`, the record of the long-lived process. */
	int (*end)(struct session *s, struct lb_run *sub, int keep, struct lb_error *err);
};

extern const struct runner_ops runner_exec, runner_ghci, runner_lsp;

/* Shared by the runners. */
double session_now(void);                                     /* unix seconds */
void session_sleep(double seconds);
/* An `edit` step against the run's codebase copy. */
int session_edit(struct session *s, const struct scn_step *st, struct lb_error *err);

#endif
