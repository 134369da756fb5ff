/*
 * scenario.h - the scenario language: parsing a *.scn file into a plain list of steps and
 * expectations.  Pure language: nothing here starts a process, touches a codebase or the
 * database.
 *
 * What the parser guarantees:
 *  - errors name FILE:LINE:COLUMN and what was expected there;
 *  - `repeat N ... end` blocks are unrolled, with {i} replaced by the iteration (1..N, the
 *    innermost loop's) in every string of the steps inside, so a runner sees a flat list;
 *  - every path a step names is relative and stays inside the codebase (no absolute paths,
 *    no `..` that climbs out);
 *  - steps fit the runner (a `hover` needs the lsp runner, `reload` the ghci runner ...), and
 *    every mark an expectation names is set by some `mark` step;
 *  - all bounds are in base units: bytes and seconds.
 * The README documents the language for users; this header is its reference for code.
 */
#ifndef LB_SCENARIO_H
#define LB_SCENARIO_H

#include <stddef.h>

#include "base/error.h"

enum scn_runner { SCN_RUNNER_NONE = 0, SCN_RUNNER_LSP, SCN_RUNNER_GHCI, SCN_RUNNER_EXEC };

enum scn_step_kind {
	SCN_OPEN, SCN_CLOSE, SCN_EDIT, SCN_WAIT, SCN_SETTLE,
	SCN_HOVER, SCN_COMPLETION, SCN_DEFINITION, SCN_SYMBOLS, SCN_CODEACTION,
	SCN_RELOAD, SCN_LOAD, SCN_EVAL, SCN_RUN, SCN_MARK, SCN_SEND,
};

enum scn_edit_kind { SCN_EDIT_APPEND, SCN_EDIT_INSERT, SCN_EDIT_REPLACE, SCN_EDIT_WRITE, SCN_EDIT_REVERT };

enum scn_wait_kind {
	SCN_WAIT_IDLE,         /* every progress token ended, nothing outstanding, quiet period */
	SCN_WAIT_DIAGNOSTICS,  /* publishDiagnostics for `file` */
	SCN_WAIT_PROMPT,       /* the REPL's prompt came back */
	SCN_WAIT_DURATION,     /* just `seconds` */
	SCN_WAIT_TYPECHECK,    /* HLS --test: WaitForIdeRule typecheck `file` */
	SCN_WAIT_QUEUE,        /* HLS --test: WaitForShakeQueue */
	SCN_WAIT_NOTIFICATION, /* a notification `name` (e.g. kick/done) */
	SCN_WAIT_RESPONSE,     /* the response to the last request, or to the `send` whose id is
				* `name` */
};

struct scn_step {
	enum scn_step_kind kind;
	int line;          /* in the scenario file */
	int iteration;     /* the innermost repeat's iteration (1-based); 0 outside any repeat */
	char *file;        /* open, close, edit, the LSP requests, wait diagnostics/typecheck */
	enum scn_edit_kind edit;
	int edit_line;     /* insert: the 1-based line to insert before */
	char *regex;       /* replace: POSIX extended regular expression */
	char *text;        /* append, insert, replace, write; eval's expression; send's JSON */
	enum scn_wait_kind wait;
	double seconds;    /* wait DURATION, settle */
	char *name;        /* mark's name, load's module, wait notification's method; send's and
			    * wait response's request id as compact JSON (7, "a"); NULL: none */
	long count;        /* wait diagnostics/notification ... count N: until N have come since
			    * the session began (0: one after the last edit) */
	int pos_line, pos_col; /* hover/completion/definition/codeaction: 1-based */
	char **args;       /* run: NULL-terminated */
	size_t n_args;
	int has_value;     /* mark NAME VALUE: the mark carries a value (a size: 101 modules) */
	double value;
};

enum scn_op { SCN_LT, SCN_LE, SCN_GT, SCN_GE, SCN_EQ };

enum scn_expect_kind {
	SCN_EXPECT_METRIC, /* a whole-run metric against a bound */
	SCN_EXPECT_SLOPE,  /* slope METRIC OP X per STEP after MARK */
	SCN_EXPECT_CENSUS, /* census "LABEL"|/REGEX/ count|bytes OP N after MARK | between A B */
	SCN_EXPECT_DIAGNOSTICS, /* diagnostics errors|warnings OP N [after MARK] (lsp) */
	SCN_EXPECT_EXPONENT, /* exponent METRIC OP K per MARK [after MARK]: METRIC ~ value^K */
	SCN_EXPECT_PEAK,     /* peak live_bytes|heap OP Rx per MARK [after MARK]: the peak inside
			      * each window over the checkpoint before it */
};

struct scn_expect {
	enum scn_expect_kind kind;
	int line;
	char *source;   /* the line as written, for explanations */
	char *metric;   /* METRIC and SLOPE */
	enum scn_op op;
	double bound;   /* bytes, seconds, or a plain number */
	char *per;      /* SLOPE: the mark whose occurrences are the steps ("edit"), or a unit of
			 * time (second, minute, hour: then per_seconds is set) */
	double per_seconds; /* SLOPE over time: the unit's seconds (1, 60, 3600); 0 per mark */
	char *after;    /* SLOPE, CENSUS: from this mark on; NULL for the whole run */
	char *until;    /* CENSUS between: up to this mark */
	char *label;    /* CENSUS: the label, or a POSIX extended regular expression */
	int label_regex;  /* CENSUS: label is a /regex/ (matched anywhere in a label) */
	int census_bytes; /* CENSUS: bytes (1) or count (0) */
	int warnings;     /* DIAGNOSTICS: warnings (1) or errors (0) */
};

struct scn_codebase {
	enum { SCN_CODEBASE_NONE = 0, SCN_CODEBASE_GENERATE, SCN_CODEBASE_DIR, SCN_CODEBASE_TARBALL } kind;
	char *dir;     /* DIR (scn_parse_file makes a relative one relative to the scenario file) */
	int line;      /* where the codebase line is, for errors found when it is made */
	char *url;     /* TARBALL */
	char *sha256;  /* TARBALL: 64 hex digits */
	char **params; /* GENERATE: "key=value" strings as written, NULL-terminated */
	size_t n_params;
};

/* A server's message larger than this fails the run (its memory would follow what the
 * server announces); real servers' largest are a few MB (a big file's semantic tokens). */
#define SCN_MAX_MESSAGE (64.0 * 1048576)

struct scn_scenario {
	char *path;      /* the file, or the name given to scn_parse_string */
	char *name;      /* `scenario NAME`; defaults to the file's base name */
	enum scn_runner runner;
	struct scn_codebase codebase;
	char *program;   /* `program PATH` (the command line may override) */
	char **args;     /* `args ...`, NULL-terminated */
	size_t n_args;
	char *rts;       /* `rts ...`, the flags as one string */
	char **env;      /* "KEY=VALUE", NULL-terminated */
	size_t n_env;
	double timeout;  /* `timeout`: the bound of every wait and step, seconds (default 120) */
	double max_message; /* lsp: `max-message SIZE`, the largest message a server may send,
			     * bytes (default SCN_MAX_MESSAGE) */
	char *settings;     /* lsp: `settings {JSON}`, the answer to workspace/configuration */
	char *init_options; /* lsp: `init-options {JSON}`, initializationOptions */
	int marks_program;           /* `marks program`: the target's traceMarker marks are marks,
				      * named by their text, like `mark` steps in expectations */
	unsigned char ok_exits[256]; /* `exit-codes 0,1`: the exit statuses that are a normal end */
	int has_ok_exits;            /* ... when the scenario says so (else 0 only) */
	int compile_errors_fail; /* `compile-errors fail`: a compile error fails its step
				  * (default `note`: recorded on the step, the run goes on) */
	struct scn_step *steps;
	size_t n_steps;
	struct scn_expect *expects;
	size_t n_expects;
};

/* Whether runs store a metric of that name: a whole-run metric (`expect NAME < X`, a
 * config's [thresholds]), or with `per_step` one that steps carry (`expect slope NAME`).
 * The RTS's own keys (rts.*), the eventlog's (eventlog.*) and census growth
 * (census_growth:LABEL) are open-ended and always known.  When not known, *nearest is the
 * closest known name or NULL. */
int scn_metric_known(const char *name, int per_step, const char **nearest);

/* Parse a scenario file.  On success *out is the scenario; free with scn_free. */
int scn_parse_file(struct scn_scenario **out, const char *path, struct lb_error *err);
/* The same from text; `name` stands for the file in error messages. */
int scn_parse_string(struct scn_scenario **out, const char *text, const char *name,
		     struct lb_error *err);
void scn_free(struct scn_scenario *sc);

/* Is `rel` a relative path that stays inside the directory it is relative to? */
int scn_path_inside(const char *rel);

const char *scn_runner_name(enum scn_runner r);
const char *scn_step_name(enum scn_step_kind k);
const char *scn_op_name(enum scn_op op);
/* value OP bound */
int scn_op_holds(enum scn_op op, double value, double bound);

#endif
