/*
 * scn_lex.c - the scenario language's words: a line split into tokens (words, "strings"
 * with \n \t \" \\ escapes, /regexes/; `#` starts a comment where a token could start),
 * each remembering its column; numbers with units (KiB, MiB, ...), durations, whole
 * numbers, and paths that must stay inside the codebase.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/mem.h"
#include "base/text.h"
#include "scenarios/codegen.h"
#include "scenarios/scn_parse.h"

int sp_fail(struct parser *ps, int col, const char *fmt, ...)
{
	char msg[700];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return lb_error_set(ps->err, LB_EINVAL, "%s:%d:%d: %s", ps->lx.file, ps->lx.line, col, msg);
}

int sp_col_of(const struct lexer *lx, const char *at)
{
	return (int)(at - lx->start) + 1;
}

/* One definition of blank for the whole lexer, the one that ends a word: a form feed or a
 * vertical tab that ended a word but was not skipped as a blank made an empty word forever. */
void sp_skip_blanks(struct lexer *lx)
{
	while (lx->p < lx->end && isspace((unsigned char)*lx->p))
		lx->p++;
	if (lx->p < lx->end && *lx->p == '#')
		lx->p = lx->end; /* a comment runs to the end of the line */
}

/* The next token of the line; TOK_END at its end.  The caller frees t->text. */
int sp_next_token(struct parser *ps, struct token *t)
{
	struct lexer *lx = &ps->lx;
	sp_skip_blanks(lx);
	t->text = NULL;
	t->col = sp_col_of(lx, lx->p);
	if (lx->p >= lx->end) {
		t->kind = TOK_END;
		return 0;
	}
	char q = *lx->p;
	if (q == '"' || q == '/') {
		t->kind = q == '"' ? TOK_STRING : TOK_REGEX;
		char *out = malloc((size_t)(lx->end - lx->p) + 1), *o = out;
		if (!out)
			return lb_error_oom(ps->err);
		const char *s = lx->p + 1;
		for (; s < lx->end && *s != q; s++) {
			if (*s != '\\') {
				*o++ = *s;
				continue;
			}
			if (++s >= lx->end)
				break;
			if (q == '/') { /* a regex keeps its escapes, except for the delimiter */
				if (*s != '/')
					*o++ = '\\';
				*o++ = *s;
				continue;
			}
			switch (*s) {
			case 'n': *o++ = '\n'; break;
			case 't': *o++ = '\t'; break;
			case '"': *o++ = '"'; break;
			case '\\': *o++ = '\\'; break;
			default:
				free(out);
				return sp_fail(ps, sp_col_of(lx, s - 1),
					    "unknown escape '\\%c' in a string (expected \\n, \\t, \\\" or \\\\)", *s);
			}
		}
		if (s >= lx->end) {
			free(out);
			return sp_fail(ps, t->col, "%s is not closed before the end of the line",
				    q == '"' ? "this string" : "this /regex/");
		}
		*o = '\0';
		t->text = out;
		lx->p = s + 1;
		return 0;
	}
	const char *s = lx->p;
	while (lx->p < lx->end && !isspace((unsigned char)*lx->p))
		lx->p++;
	t->kind = TOK_WORD;
	t->text = strndup(s, (size_t)(lx->p - s));
	return t->text ? 0 : lb_error_oom(ps->err);
}

/* The rest of the line, trimmed, without a trailing comment; "" if nothing. */
char *sp_rest_of_line(struct parser *ps, int *col)
{
	struct lexer *lx = &ps->lx;
	sp_skip_blanks(lx);
	*col = sp_col_of(lx, lx->p);
	const char *s = lx->p, *e = lx->end;
	for (const char *c = s; c < e; c++)
		if (*c == '#' && c > s && isspace((unsigned char)c[-1])) {
			e = c;
			break;
		}
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	lx->p = lx->end;
	return strndup(s, (size_t)(e - s));
}

const char *sp_tok_desc(const struct token *t)
{
	return t->kind == TOK_END ? "the end of the line" : t->text;
}

/* Expect a word or string token; its text moves to *out. */
int sp_want_text(struct parser *ps, char **out, const char *what)
{
	struct token t;
	sp_skip_blanks(&ps->lx);
	if (ps->lx.p < ps->lx.end && *ps->lx.p == '/') {
		/* text is never a /regex/: a leading slash is an absolute path (program /usr/bin/ghc) */
		const char *s = ps->lx.p;
		while (ps->lx.p < ps->lx.end && !isspace((unsigned char)*ps->lx.p))
			ps->lx.p++;
		return (*out = strndup(s, (size_t)(ps->lx.p - s))) ? 0 : lb_error_oom(ps->err);
	}
	if (sp_next_token(ps, &t))
		return ps->err->code;
	if (t.kind != TOK_WORD && t.kind != TOK_STRING) {
		int rc = sp_fail(ps, t.col, "expected %s, found %s%s%s", what, t.kind == TOK_END ? "" : "'",
			      sp_tok_desc(&t), t.kind == TOK_END ? "" : "'");
		free(t.text);
		return rc;
	}
	*out = t.text;
	return 0;
}

int sp_want_end(struct parser *ps, const char *after)
{
	struct token t;
	if (sp_next_token(ps, &t))
		return ps->err->code;
	if (t.kind == TOK_END)
		return 0;
	int rc = sp_fail(ps, t.col, "unexpected '%s' after %s", t.text, after);
	free(t.text);
	return rc;
}

/* --- numbers, units, durations --------------------------------------------------------- */

struct unit {
	const char *name;
	double scale;
	int is_time;
};

static const struct unit units[] = {
	{"B", 1, 0}, {"KiB", 1024.0, 0}, {"MiB", 1048576.0, 0}, {"GiB", 1073741824.0, 0},
	{"TiB", 1099511627776.0, 0}, {"ms", 1e-3, 1}, {"s", 1, 1}, {"m", 60, 1}, {"h", 3600, 1},
};

/* "8KiB", "300ms", "1.5", or a number whose unit is the next token ("8 KiB"). */
int sp_parse_value(struct parser *ps, const char *what, double *out, int *unit_kind)
{
	struct token t;
	if (sp_next_token(ps, &t))
		return ps->err->code;
	if (t.kind != TOK_WORD) {
		int rc = sp_fail(ps, t.col, "expected %s, found %s", what, sp_tok_desc(&t));
		free(t.text);
		return rc;
	}
	char *end;
	errno = 0;
	double v = strtod(t.text, &end);
	if (end == t.text || errno || !isfinite(v)) {
		int rc = sp_fail(ps, t.col, "expected %s (a number such as 8KiB, 300ms or 42), found '%s'",
			      what, t.text);
		free(t.text);
		return rc;
	}
	const char *u = end;
	int ucol = t.col + (int)(end - t.text);
	char *ut = NULL;
	if (!*u) { /* perhaps "8 KiB" */
		const char *save = ps->lx.p;
		struct token n;
		if (sp_next_token(ps, &n)) {
			free(t.text);
			return ps->err->code;
		}
		int is_unit = 0;
		for (size_t i = 0; n.kind == TOK_WORD && i < sizeof(units) / sizeof(*units); i++)
			is_unit |= strcmp(n.text, units[i].name) == 0;
		/* a word of letters right after a bare number is a unit, known or not */
		int letters = n.kind == TOK_WORD && strspn(n.text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == strlen(n.text) &&
			      strcmp(n.text, "per") != 0 && strcmp(n.text, "after") != 0 &&
			      strcmp(n.text, "between") != 0;
		if (is_unit || letters) {
			ut = n.text;
			u = ut;
			ucol = n.col;
		} else {
			free(n.text);
			ps->lx.p = save;
		}
	}
	*unit_kind = -1;
	if (*u) {
		size_t i = 0;
		while (i < sizeof(units) / sizeof(*units) && strcmp(u, units[i].name) != 0)
			i++;
		if (i == sizeof(units) / sizeof(*units)) {
			int rc = sp_fail(ps, ucol, "unknown unit '%s' (expected B, KiB, MiB, GiB, ms, s, m or h)", u);
			free(t.text);
			free(ut);
			return rc;
		}
		v *= units[i].scale;
		*unit_kind = units[i].is_time;
	}
	free(t.text);
	free(ut);
	*out = v;
	return 0;
}

int sp_parse_duration(struct parser *ps, const char *what, double *out)
{
	int kind;
	sp_skip_blanks(&ps->lx);
	int col = sp_col_of(&ps->lx, ps->lx.p);
	if (sp_parse_value(ps, what, out, &kind))
		return ps->err->code;
	if (kind == 0)
		return sp_fail(ps, col, "%s is a duration: use ms or s, not a size", what);
	if (*out < 0)
		return sp_fail(ps, col, "%s cannot be negative", what);
	return 0; /* a bare number is seconds */
}

int sp_parse_int(struct parser *ps, const char *what, int min, int *out)
{
	struct token t;
	if (sp_next_token(ps, &t))
		return ps->err->code;
	char *end;
	long v = t.kind == TOK_WORD ? strtol(t.text, &end, 10) : 0;
	if (t.kind != TOK_WORD || *end || end == t.text || v < min || v > 100000000) {
		int rc = sp_fail(ps, t.col, "expected %s (a whole number >= %d), found %s%s%s", what, min,
			      t.kind == TOK_WORD ? "'" : "", sp_tok_desc(&t), t.kind == TOK_WORD ? "'" : "");
		free(t.text);
		return rc;
	}
	free(t.text);
	*out = (int)v;
	return 0;
}

/* --- paths ----------------------------------------------------------------------------- */

int scn_path_inside(const char *rel)
{
	if (!rel || !*rel || rel[0] == '/')
		return 0;
	int depth = 0;
	for (const char *p = rel; *p;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return 0;
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			depth++;
		}
		p += n;
		while (*p == '/')
			p++;
	}
	return depth > 0;
}

/* A FILE argument: a word or string that stays inside the codebase. */
int sp_want_path(struct parser *ps, char **out)
{
	sp_skip_blanks(&ps->lx);
	int col = sp_col_of(&ps->lx, ps->lx.p);
	if (sp_want_text(ps, out, "a file path inside the codebase"))
		return ps->err->code;
	if (!scn_path_inside(*out)) {
		int rc = sp_fail(ps, col, "the path '%s' escapes the codebase (paths are relative to it and "
				       "may not climb out with ..)",
			      *out);
		free(*out);
		*out = NULL;
		return rc;
	}
	return 0;
}
