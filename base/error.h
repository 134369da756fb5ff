/*
 * error.h - the one error channel every leakbench module reports through.
 *
 * Functions return 0 or a negative LB_E* code and, on failure, fill a caller-owned
 * struct lb_error with the code and a complete, printable message that already names the
 * file, line, field or program involved.  Only the top of the program (harness/main.c and
 * the cmd_* functions) prints it, once.  The struct is plain data on the caller's stack: no
 * allocation, so reporting an error can never fail.
 */
#ifndef LB_ERROR_H
#define LB_ERROR_H

#include <stdarg.h>

enum {
	LB_OK = 0,
	LB_EINVAL = -1,    /* bad input: a file, an option, a value that is not what was expected */
	LB_EIO = -2,       /* the OS refused: open, read, write, fork */
	LB_ENOMEM = -3,    /* out of memory */
	LB_ESTORE = -4,    /* the SQLite store failed or holds something we cannot read */
	LB_ERTS = -5,      /* the target refuses the RTS options leakbench needs */
	LB_ENOTFOUND = -6, /* the asked-for thing (run id, program) does not exist */
	LB_EINTR = -7,     /* interrupted by a signal (Ctrl-C); children were killed and reaped */
	LB_ETIMEOUT = -8,  /* a wait ran out of time */
	LB_ENOEVENTLOG = -9, /* the target's RTS has no eventlog (GHC < 9.4 linked without
			      * -eventlog): measurable without one */
	LB_ERTSLIMITED = -10, /* the target's RTS takes only its safe options (-rtsopts=some,
			       * GHC's default): -S to stderr, measurable with that */
};

struct lb_error {
	int code;
	char msg[1024];
};

/* Record an error and return its code, so callers can write `return lb_error_set(...)`.
 * `err` may be NULL (the message is then dropped). */
int lb_error_set(struct lb_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Put `fmt` in front of the message already in `err` ("while storing run X: " + old). */
int lb_error_prefix(struct lb_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Convenience for allocation failures. */
int lb_error_oom(struct lb_error *err);

#endif
