/*
 * cmd.h - the commands.  One function per command, one file per command (cmd_NAME.c);
 * harness/main.c holds the only table that maps names to them.  Each takes its own
 * argv (argv[0] is the command name) and returns the process exit code (cli.h).
 */
#ifndef LB_CMD_H
#define LB_CMD_H

#define LEAKBENCH_VERSION "0.1.0"
#define LB_DEFAULT_DB "leakbench.db"

int cmd_exec(int argc, char **argv);
int cmd_runs(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_eventlog(int argc, char **argv);
int cmd_scenario(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_bisect(int argc, char **argv);
int cmd_regressions(int argc, char **argv);
int cmd_accept(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_nightly(int argc, char **argv);

/* compare's table, also what check and bisect show as their evidence. */
struct judge_report;
void compare_print_text(const struct judge_report *rep, const char *target, const char *base, const char *cand,
			const char *scenario, int colour);

/* Shared by the commands that read a database: open it, refusing to create one, and say
 * so on stderr.  Returns NULL after printing the error. */
struct store;
struct store *cmd_open_existing_store(const char *cmd, const char *path);

/* One run of a parsed scenario against a program, stored and reported: what `run` repeats
 * and `sweep` does per revision.  Returns the exit code `run` documents. */
#include "harness/measure.h"
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
int run_scenario_once(const struct scn_scenario *sc, const struct run_once *o);

/* A scenario named on the command line: a file, else a [scenario NAME] of the config (c may
 * be NULL); *repeat, when 0, takes the config's repeat. */
struct cfg;
int cmd_find_scenario(const char *name, const struct cfg *c, struct scn_scenario **sc, int *repeat,
		      struct lb_error *err);

#endif
