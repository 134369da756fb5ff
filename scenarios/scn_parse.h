/*
 * scn_parse.h - the scenario parser's insides, shared by its three files only: scn_lex.c
 * (tokens, numbers with units, durations, paths), scn_steps.c (steps, `repeat` unrolling,
 * expectations) and scenario.c (directives, validation, the line loop, the public API).
 * Nothing else includes it; callers use scenarios/scenario.h.
 *
 * Every function here reports through fail(), which names FILE:LINE:COL and what was
 * expected, and returns the error code.
 */
#ifndef LB_SCN_PARSE_H
#define LB_SCN_PARSE_H

#include <stddef.h>

#include "base/error.h"
#include "scenarios/scenario.h"

#define MAX_STEPS 1000000 /* after unrolling: beyond this a scenario is surely a mistake */
#define MAX_UNROLLED_BYTES (256u << 20) /* the same for the steps' texts: a 20 KB file could ask
					 * for gigabytes through nested repeats */
#define MAX_DEPTH 16

enum tok_kind { TOK_END, TOK_WORD, TOK_STRING, TOK_REGEX };

struct token {
	enum tok_kind kind;
	char *text; /* malloc'ed; NULL for TOK_END */
	int col;    /* 1-based */
};

struct lexer {
	const char *file;
	int line;
	const char *start, *p, *end; /* the current line */
};

struct block {
	size_t first; /* index of the block's first step */
	int count, line;
};

struct parser {
	struct lexer lx;
	struct scn_scenario *sc;
	size_t cap_steps, cap_expects;
	struct block stack[MAX_DEPTH];
	int depth;
	struct lb_error *err;
};

/* An error at column `col` of the current line: "FILE:LINE:COL: ..." in ps->err. */
int sp_fail(struct parser *ps, int col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* --- scn_lex.c: the line's tokens --- */
int sp_col_of(const struct lexer *lx, const char *at);
void sp_skip_blanks(struct lexer *lx);
int sp_next_token(struct parser *ps, struct token *t);
char *sp_rest_of_line(struct parser *ps, int *col);
const char *sp_tok_desc(const struct token *t);
int sp_want_text(struct parser *ps, char **out, const char *what);
int sp_want_end(struct parser *ps, const char *after);
int sp_parse_value(struct parser *ps, const char *what, double *out, int *unit_kind);
int sp_parse_duration(struct parser *ps, const char *what, double *out);
int sp_parse_int(struct parser *ps, const char *what, int min, int *out);
int sp_want_path(struct parser *ps, char **out);

/* --- scn_steps.c: steps and expectations --- */
/* The step kind a line's first word names, or -1. */
int sp_step_kind(const char *word);
void sp_step_free(struct scn_step *s);
int sp_unroll(struct parser *ps, const struct block *b, int end_col);
int sp_parse_step(struct parser *ps, enum scn_step_kind kind);
void sp_expect_free(struct scn_expect *e);
int sp_parse_expect(struct parser *ps);

#endif
