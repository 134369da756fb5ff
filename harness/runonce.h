/*
 * runonce.h - one run of a parsed scenario against a program, stored and reported: what
 * `run` repeats, `sweep` does per revision and `check` and `bisect` do per revision they
 * need.  The codebase is prepared fresh, the session carried out (runners/session.h), the
 * slopes and expectations derived (results/expect.h) and the run stored in one transaction.
 */
#ifndef LB_RUNONCE_H
#define LB_RUNONCE_H

#include "harness/measure.h"

struct cfg;
struct scn_scenario;

struct run_outcome {
	char id[32];
	int status;            /* the exit code run_scenario_once returned */
	double max_live_bytes; /* NaN when not measured */
	double wall_seconds;
};

struct run_once {
	const char *db, *artifacts;
	const char *cache;        /* fetched codebases; NULL: $LEAKBENCH_CACHE, else .leakbench-cache */
	const char *program;      /* absolute, or looked up in PATH */
	const char *command;      /* what is stored as the run's command (the scenario's path) */
	char *const *args;        /* fixed arguments; NULL: the scenario's */
	struct measure_cli mc;
	const char *rts;          /* the target's RTS flags, before the scenario's; may be NULL */
	char *const *env;         /* the target's KEY=VALUE, before the scenario's; may be NULL */
	const char *replay_text;  /* kept as replay.scn; may be NULL */
	const char *target, *revision, *build_id; /* may be NULL */
	int repeat_index, verbose;
	int quiet;                /* no per-step table nor verdict: the caller sums up */
	struct run_outcome *outcome; /* filled when not NULL */
};

/* Returns the exit code `run` documents: 0 every expectation holds and every step did its
 * work, 1 not, 2 a usage or codebase error, 3 the measurement could not be made, 130
 * interrupted.  Errors are printed as "leakbench run: ...". */
int run_scenario_once(const struct scn_scenario *sc, const struct run_once *o);

#endif
