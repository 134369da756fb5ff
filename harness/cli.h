/*
 * cli.h - the one option parser every command uses, and the help it prints.
 *
 * A command describes its options in a table of struct cli_option; cli_parse fills the
 * destinations, handles --help, "--name=value" and "--name value", "--" and (for commands
 * that run another program) stops at the first argument that is not an option.  Usage text
 * is generated from the same table, so help and parsing cannot disagree.
 *
 * Exit codes shared by all commands (the README lists them):
 */
#ifndef LB_CLI_H
#define LB_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "base/error.h"

#define LEAKBENCH_VERSION "0.1.0"
#define LB_DEFAULT_DB "leakbench.db"

enum {
	LB_EXIT_OK = 0,
	LB_EXIT_FAIL = 1,   /* the measured program or the check failed */
	LB_EXIT_USAGE = 2,  /* bad command line or bad input file */
	LB_EXIT_ERROR = 3,  /* the measurement could not be made (program, RTS, database) */
	LB_EXIT_INTR = 130, /* interrupted; the target was stopped */
};

enum cli_kind {
	CLI_FLAG,     /* int, set to 1 */
	CLI_STRING,   /* const char * */
	CLI_INT,      /* int, >= 0 */
	CLI_DURATION, /* double seconds: "30", "30s", "500ms", "2m", "1h" */
	CLI_APPEND,   /* char * joined with spaces (repeatable, e.g. --rts) */
	CLI_LIST,     /* char * joined with newlines (repeatable; each value may hold spaces) */
};

struct cli_option {
	const char *name; /* long name without "--" */
	enum cli_kind kind;
	void *dest;
	const char *arg;  /* the placeholder in help ("N", "FILE"); NULL for flags */
	const char *help;
};

struct cli_command {
	const char *name;
	const char *usage;   /* "exec [options] -- PROGRAM [ARGS...]" */
	const char *summary; /* one line, for `leakbench help` */
	const char *description; /* a paragraph, for `leakbench CMD --help`; may be NULL */
	const struct cli_option *options; /* terminated by {NULL} */
	int stop_at_positional; /* options end at the first non-option (commands running a
				 * program); otherwise options and arguments may mix */
	int usage_exit;         /* the exit status of a usage error; 0: LB_EXIT_USAGE */
};

/* Option rows several commands share, defined once (git's OPT__* macros): put them in a
 * command's table with the variable they fill. */
#define OPT_CONFIG(v) {"config", CLI_STRING, &(v), "FILE", "the config (default leakbench.ini)"}
#define OPT_CONFIG_IF_ANY(v) \
	{"config", CLI_STRING, &(v), "FILE", "the config (default leakbench.ini, when there is one)"}
#define OPT_DB(v) {"db", CLI_STRING, &(v), "FILE", "the results database (default leakbench.db)"}
#define OPT_DB_OF_CONFIG(v) {"db", CLI_STRING, &(v), "FILE", "the results database (default: the config's)"}
#define OPT_DB_OF_CONFIG_IF_ANY(v) \
	{"db", CLI_STRING, &(v), "FILE", "the results database (default: the config's, else leakbench.db)"}
#define OPT_TARGET(v) {"target", CLI_STRING, &(v), "NAME", "the target (default: the config's only one)"}
#define OPT_ARTIFACTS(v) \
	{"artifacts", CLI_STRING, &(v), "DIR", "where the runs' files go (default leakbench-artifacts/ beside the database)"}
#define OPT_END {NULL, 0, NULL, NULL, NULL}

/* Parse argv[1..argc) against cmd->options.  Returns CLI_GO_ON with *first the index of
 * the first positional argument (positionals are compacted to argv[*first..] with *nargs
 * of them); or the exit code the command returns at once: LB_EXIT_OK after --help was
 * printed, cmd->usage_exit (LB_EXIT_USAGE when 0) after a one-line error on stderr.  On
 * those, what CLI_APPEND and CLI_LIST options gathered is freed already: the caller just returns.
 * Usage:
 *     int first, nargs, parsed = cli_parse(&cmd, argc, argv, &first, &nargs);
 *     if (parsed != CLI_GO_ON)
 *             return parsed; */
#define CLI_GO_ON (-1)
int cli_parse(const struct cli_command *cmd, int argc, char **argv, int *first, int *nargs);

void cli_usage(FILE *out, const struct cli_command *cmd);

/* A command's error, the one way they are printed: "leakbench CMD: MESSAGE" on stderr, the
 * message being err's ("out of memory" when it has none). */
void cli_error(const char *cmd, const struct lb_error *err);

/* The candidate nearest to `word` (edit distance), or NULL if none is close. */
const char *cli_nearest(const char *word, const char *const *candidates, size_t n);

/* Release what CLI_APPEND and CLI_LIST options allocated. */
void cli_free(const struct cli_command *cmd);

/* A terminal sparkline of `v` squeezed (by maximum per bucket) into at most `width` cells
 * of the block characters U+2581..U+2588.  buf needs 3 * width + 1 bytes. */
const char *cli_sparkline(const double *v, size_t n, size_t width, char *buf, size_t size);

#endif
