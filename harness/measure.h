/*
 * measure.h - what every measuring command (exec, run) shares: the measurement options,
 * the artifact folder, and the start of a measurement (open the database, ask the target's
 * RTS, describe the machine), so both commands measure, refuse and report alike.
 */
#ifndef LB_MEASURE_H
#define LB_MEASURE_H

#include "harness/cli.h"
#include "results/record.h"
#include "results/store.h"
#include "runners/exec.h"
#include "runners/rts.h"

struct measure_cli {
	int no_rts, no_eventlog, no_heap;
	double timeout, grace, heap_interval, sample;
	char *rts; /* --rts, appended (owned by the option parser: cli_free) */
};

/* The option-table entries for struct measure_cli `m`, to put inside a command's table. */
#define MEASURE_OPTIONS(m)                                                                         \
	{"timeout", CLI_DURATION, &(m).timeout, "DURATION",                                         \
	 "kill a run's process group after this long (default 10m)"},                              \
	{"grace", CLI_DURATION, &(m).grace, "DURATION",                                             \
	 "between SIGTERM and SIGKILL at the timeout (default 2s)"},                                \
	{"rts", CLI_APPEND, &(m).rts, "FLAGS",                                                      \
	 "more RTS flags, after leakbench's (repeatable), e.g. --rts \"-A64m -N2\""},               \
	{"no-rts", CLI_FLAG, &(m).no_rts, NULL,                                                     \
	 "add no RTS flags: OS figures only (any program, or one without -rtsopts)"},               \
	{"no-eventlog", CLI_FLAG, &(m).no_eventlog, NULL, "do not write an eventlog (-l)"},        \
	{"no-heap-profile", CLI_FLAG, &(m).no_heap, NULL, "no -hT heap census"},                    \
	{"heap-interval", CLI_DURATION, &(m).heap_interval, "DURATION",                             \
	 "heap census interval, -i (default: chosen from the last run, else 0.1s)"},               \
	{"sample-interval", CLI_DURATION, &(m).sample, "DURATION",                                  \
	 "RSS sampling from /proc (default 0.1s; 0 turns it off)"}

void measure_defaults(struct measure_cli *m);
/* The options that contradict each other (--rts with --no-rts: the flags would be dropped
 * silently): a usage error printed for `cmd`, LB_EXIT_USAGE; else 0. */
int measure_check(const struct measure_cli *m, const char *cmd);
/* exec_opts from the options; argv is the caller's. */
struct exec_opts measure_exec_opts(const struct measure_cli *m, char *const *argv);

/* "DIR/leakbench-artifacts" beside the database, or `given`; malloc'ed. */
char *measure_artifacts_dir(const char *db, const char *given);

/* Open the database, probe the target's RTS (unless no_rts) and describe the machine.
 * A target whose RTS takes only its safe options (-rtsopts=some, GHC's default) is
 * measured with those: `o` is switched to rts_limited (statistics from -S on stderr, no
 * eventlog, no census) and a note says so.  An automatic census interval (heap_interval_s
 * < 0, the default) is chosen from the newest stored run of the same measurement (`target`
 * and `scenario`, or without a target the program and scenario): see MEASURE_CENSUS_AUTO.
 * On error nothing needs freeing; otherwise release with measure_end. */
struct measure_start {
	struct store *store;
	struct lb_environment env;
	struct rts_stats info;
	double census_interval; /* the -i chosen; 0 when no census */
	char census_why[200];   /* how, for the caller to print */
};
int measure_begin(struct measure_start *ms, const char *db, struct exec_opts *o, const char *target,
		  const char *scenario, const char *artifacts, struct lb_error *err);
void measure_end(struct measure_start *ms);

#endif
