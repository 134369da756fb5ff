/*
 * scenario.c - the scenario parser.
 *
 * Line oriented: each line is one directive, step, `repeat`, `end` or `expect`, split into
 * tokens (words, "strings" with \n \t \" \\ escapes, /regexes/), with `#` starting a comment
 * where a token could start.  Every token remembers its column, so each error can point at
 * the exact place.  `repeat` blocks are unrolled when their `end` is read: the steps since
 * the block's start are replaced by N copies with {i} substituted, which makes nested
 * repeats work without a tree.
 */
#include "base/mem.h"
#include "scenarios/scenario.h"

#include <jansson.h>

#include "base/file.h"
#include "base/text.h"
#include "scenarios/codegen.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STEPS 1000000 /* after unrolling: beyond this a scenario is surely a mistake */
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

static int fail(struct parser *ps, int col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct parser *ps, int col, const char *fmt, ...)
{
	char msg[700];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return lb_error_set(ps->err, LB_EINVAL, "%s:%d:%d: %s", ps->lx.file, ps->lx.line, col, msg);
}

static int col_of(const struct lexer *lx, const char *at)
{
	return (int)(at - lx->start) + 1;
}

static void skip_blanks(struct lexer *lx)
{
	while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r'))
		lx->p++;
	if (lx->p < lx->end && *lx->p == '#')
		lx->p = lx->end; /* a comment runs to the end of the line */
}

/* The next token of the line; TOK_END at its end.  The caller frees t->text. */
static int next_token(struct parser *ps, struct token *t)
{
	struct lexer *lx = &ps->lx;
	skip_blanks(lx);
	t->text = NULL;
	t->col = col_of(lx, lx->p);
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
				return fail(ps, col_of(lx, s - 1),
					    "unknown escape '\\%c' in a string (expected \\n, \\t, \\\" or \\\\)", *s);
			}
		}
		if (s >= lx->end) {
			free(out);
			return fail(ps, t->col, "%s is not closed before the end of the line",
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
static char *rest_of_line(struct parser *ps, int *col)
{
	struct lexer *lx = &ps->lx;
	skip_blanks(lx);
	*col = col_of(lx, lx->p);
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

static const char *tok_desc(const struct token *t)
{
	return t->kind == TOK_END ? "the end of the line" : t->text;
}

/* Expect a word or string token; its text moves to *out. */
static int want_text(struct parser *ps, char **out, const char *what)
{
	struct token t;
	if (next_token(ps, &t))
		return ps->err->code;
	if (t.kind != TOK_WORD && t.kind != TOK_STRING) {
		int rc = fail(ps, t.col, "expected %s, found %s%s%s", what, t.kind == TOK_END ? "" : "'",
			      tok_desc(&t), t.kind == TOK_END ? "" : "'");
		free(t.text);
		return rc;
	}
	*out = t.text;
	return 0;
}

static int want_end(struct parser *ps, const char *after)
{
	struct token t;
	if (next_token(ps, &t))
		return ps->err->code;
	if (t.kind == TOK_END)
		return 0;
	int rc = fail(ps, t.col, "unexpected '%s' after %s", t.text, after);
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
static int parse_value(struct parser *ps, const char *what, double *out, int *unit_kind)
{
	struct token t;
	if (next_token(ps, &t))
		return ps->err->code;
	if (t.kind != TOK_WORD) {
		int rc = fail(ps, t.col, "expected %s, found %s", what, tok_desc(&t));
		free(t.text);
		return rc;
	}
	char *end;
	errno = 0;
	double v = strtod(t.text, &end);
	if (end == t.text || errno || !isfinite(v)) {
		int rc = fail(ps, t.col, "expected %s (a number such as 8KiB, 300ms or 42), found '%s'",
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
		if (next_token(ps, &n)) {
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
			int rc = fail(ps, ucol, "unknown unit '%s' (expected B, KiB, MiB, GiB, ms, s, m or h)", u);
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

static int parse_duration(struct parser *ps, const char *what, double *out)
{
	int kind;
	skip_blanks(&ps->lx);
	int col = col_of(&ps->lx, ps->lx.p);
	if (parse_value(ps, what, out, &kind))
		return ps->err->code;
	if (kind == 0)
		return fail(ps, col, "%s is a duration: use ms or s, not a size", what);
	if (*out < 0)
		return fail(ps, col, "%s cannot be negative", what);
	return 0; /* a bare number is seconds */
}

static int parse_int(struct parser *ps, const char *what, int min, int *out)
{
	struct token t;
	if (next_token(ps, &t))
		return ps->err->code;
	char *end;
	long v = t.kind == TOK_WORD ? strtol(t.text, &end, 10) : 0;
	if (t.kind != TOK_WORD || *end || end == t.text || v < min || v > 100000000) {
		int rc = fail(ps, t.col, "expected %s (a whole number >= %d), found %s%s%s", what, min,
			      t.kind == TOK_WORD ? "'" : "", tok_desc(&t), t.kind == TOK_WORD ? "'" : "");
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
static int want_path(struct parser *ps, char **out)
{
	skip_blanks(&ps->lx);
	int col = col_of(&ps->lx, ps->lx.p);
	if (want_text(ps, out, "a file path inside the codebase"))
		return ps->err->code;
	if (!scn_path_inside(*out)) {
		int rc = fail(ps, col, "the path '%s' escapes the codebase (paths are relative to it and "
				       "may not climb out with ..)",
			      *out);
		free(*out);
		*out = NULL;
		return rc;
	}
	return 0;
}

/* --- steps ------------------------------------------------------------------------------- */

static void step_free(struct scn_step *s)
{
	free(s->file);
	free(s->regex);
	free(s->text);
	free(s->name);
	for (size_t i = 0; i < s->n_args; i++)
		free(s->args[i]);
	free(s->args);
}

static struct scn_step *new_step(struct parser *ps, enum scn_step_kind kind)
{
	struct scn_scenario *sc = ps->sc;
	if (LB_GROW(sc->steps, sc->n_steps + 1, ps->cap_steps, ps->err))
		return NULL;
	struct scn_step *s = &sc->steps[sc->n_steps++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->line = ps->lx.line;
	return s;
}

/* `s` with every {i} replaced by `it`; NULL in, NULL out.  *oom set on failure. */
static char *subst(const char *s, int it, int *oom)
{
	if (!s)
		return NULL;
	char num[16];
	snprintf(num, sizeof(num), "%d", it);
	char *out = text_replace(s, "{i}", num);
	if (!out)
		*oom = 1;
	return out;
}

static int copy_step(struct scn_step *dst, const struct scn_step *src, int it)
{
	int oom = 0;
	*dst = *src;
	dst->iteration = src->iteration ? src->iteration : it;
	dst->file = subst(src->file, it, &oom);
	dst->regex = subst(src->regex, it, &oom);
	dst->text = subst(src->text, it, &oom);
	dst->name = subst(src->name, it, &oom);
	dst->args = NULL;
	if (src->args) {
		dst->args = calloc(src->n_args + 1, sizeof(char *));
		if (!dst->args)
			oom = 1;
		for (size_t i = 0; dst->args && i < src->n_args; i++)
			dst->args[i] = subst(src->args[i], it, &oom);
	}
	if (oom) {
		dst->n_args = dst->args ? src->n_args : 0;
		step_free(dst);
		return -1;
	}
	return 0;
}

/* `end`: replace the block's steps by `count` substituted copies. */
static int unroll(struct parser *ps, const struct block *b, int end_col)
{
	struct scn_scenario *sc = ps->sc;
	size_t body = sc->n_steps - b->first;
	if (body == 0)
		return fail(ps, end_col, "this repeat (line %d) has no steps", b->line);
	if ((double)body * b->count + (double)b->first > MAX_STEPS)
		return fail(ps, end_col, "the repeat of line %d unrolls to more than %d steps", b->line,
			    MAX_STEPS);
	size_t total = b->first + body * (size_t)b->count;
	struct scn_step *steps = calloc(total, sizeof(*steps));
	if (!steps)
		return lb_error_oom(ps->err);
	memcpy(steps, sc->steps, b->first * sizeof(*steps));
	size_t k = b->first;
	for (int it = 1; it <= b->count; it++)
		for (size_t j = 0; j < body; j++, k++)
			if (copy_step(&steps[k], &sc->steps[b->first + j], it)) {
				for (size_t m = b->first; m < k; m++)
					step_free(&steps[m]);
				free(steps);
				return lb_error_oom(ps->err);
			}
	for (size_t j = 0; j < body; j++)
		step_free(&sc->steps[b->first + j]);
	free(sc->steps);
	sc->steps = steps;
	sc->n_steps = total;
	ps->cap_steps = total;
	return 0;
}

static int parse_edit(struct parser *ps, struct scn_step *s)
{
	if (want_path(ps, &s->file))
		return ps->err->code;
	struct token t;
	if (next_token(ps, &t))
		return ps->err->code;
	static const char *const kinds[] = {"append", "insert", "replace", "write", "revert"};
	size_t k = 0;
	while (t.kind == TOK_WORD && k < 5 && strcmp(t.text, kinds[k]) != 0)
		k++;
	if (t.kind != TOK_WORD || k == 5) {
		int rc = fail(ps, t.col, "expected append, insert, replace, write or revert, found %s",
			      tok_desc(&t));
		free(t.text);
		return rc;
	}
	free(t.text);
	s->edit = (enum scn_edit_kind)k;
	if (s->edit == SCN_EDIT_INSERT && parse_int(ps, "a line number", 1, &s->edit_line))
		return ps->err->code;
	if (s->edit == SCN_EDIT_REPLACE) {
		if (next_token(ps, &t))
			return ps->err->code;
		if (t.kind != TOK_REGEX) {
			int rc = fail(ps, t.col, "expected a /regex/ to replace, found %s", tok_desc(&t));
			free(t.text);
			return rc;
		}
		s->regex = t.text;
	}
	if (s->edit != SCN_EDIT_REVERT) {
		if (next_token(ps, &t))
			return ps->err->code;
		if (t.kind != TOK_STRING) {
			int rc = fail(ps, t.col, "expected the new text as a \"string\", found %s",
				      tok_desc(&t));
			free(t.text);
			return rc;
		}
		s->text = t.text;
	}
	return want_end(ps, "the edit");
}

static int accept_word(struct parser *ps, const char *word);
static int parse_request_id(struct parser *ps, struct scn_step *s);

static int parse_wait(struct parser *ps, struct scn_step *s)
{
	skip_blanks(&ps->lx);
	int col = col_of(&ps->lx, ps->lx.p);
	if (ps->lx.p < ps->lx.end && (isdigit((unsigned char)*ps->lx.p) || *ps->lx.p == '.')) {
		s->wait = SCN_WAIT_DURATION;
		if (parse_duration(ps, "the time to wait", &s->seconds))
			return ps->err->code;
		return want_end(ps, "the duration");
	}
	char *what;
	if (want_text(ps, &what, "what to wait for (idle, diagnostics FILE, prompt, typecheck FILE, "
				 "queue, notification METHOD, response, or a duration)"))
		return ps->err->code;
	static const struct {
		const char *word;
		enum scn_wait_kind kind;
		int arg; /* 0 none, 1 file, 2 name */
	} waits[] = {
		{"idle", SCN_WAIT_IDLE, 0},       {"diagnostics", SCN_WAIT_DIAGNOSTICS, 1},
		{"prompt", SCN_WAIT_PROMPT, 0},   {"typecheck", SCN_WAIT_TYPECHECK, 1},
		{"queue", SCN_WAIT_QUEUE, 0},     {"notification", SCN_WAIT_NOTIFICATION, 2},
		{"response", SCN_WAIT_RESPONSE, 0},
	};
	size_t i = 0;
	while (i < sizeof(waits) / sizeof(*waits) && strcmp(what, waits[i].word) != 0)
		i++;
	if (i == sizeof(waits) / sizeof(*waits)) {
		int rc = fail(ps, col, "cannot wait for '%s' (expected idle, diagnostics FILE, prompt, "
				       "typecheck FILE, queue, notification METHOD, response, or a "
				       "duration such as 2s)",
			      what);
		free(what);
		return rc;
	}
	free(what);
	s->wait = waits[i].kind;
	if (waits[i].arg == 1 && want_path(ps, &s->file))
		return ps->err->code;
	if (waits[i].arg == 2 && want_text(ps, &s->name, "a notification method (e.g. kick/done)"))
		return ps->err->code;
	if (s->wait == SCN_WAIT_RESPONSE)
		return parse_request_id(ps, s);
	if (waits[i].arg && accept_word(ps, "count")) {
		int n;
		if (parse_int(ps, "how many must have come", 1, &n))
			return ps->err->code;
		s->count = n;
	}
	return want_end(ps, "the wait");
}

/* `wait response [ID]`: the id of an earlier `send`, as its JSON (7 or "abc"). */
static int parse_request_id(struct parser *ps, struct scn_step *s)
{
	struct token t;
	if (next_token(ps, &t))
		return ps->err->code;
	if (t.kind == TOK_END)
		return 0;
	char *end = NULL;
	if (t.kind == TOK_WORD)
		(void)strtol(t.text, &end, 10);
	if (t.kind == TOK_STRING || (t.kind == TOK_WORD && end != t.text && !*end)) {
		json_t *j = t.kind == TOK_STRING ? json_string(t.text) : json_integer(strtol(t.text, NULL, 10));
		s->name = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
		json_decref(j);
		free(t.text);
		if (!s->name)
			return lb_error_oom(ps->err);
		return want_end(ps, "the request id");
	}
	int rc = fail(ps, t.col, "expected the id of an earlier send (a number or a \"string\"), found %s",
		      tok_desc(&t));
	free(t.text);
	return rc;
}

/* `send {JSON}`: the rest of the line, verbatim (no comment: '#' may be inside the JSON). */
static int parse_send(struct parser *ps, struct scn_step *s)
{
	struct lexer *lx = &ps->lx;
	skip_blanks(lx);
	int col = col_of(lx, lx->p);
	const char *e = lx->end;
	while (e > lx->p && isspace((unsigned char)e[-1]))
		e--;
	if (!(s->text = strndup(lx->p, (size_t)(e - lx->p))))
		return lb_error_oom(ps->err);
	lx->p = lx->end;
	json_error_t je;
	json_t *j = json_loads(s->text, 0, &je);
	const char *method = json_string_value(json_object_get(j, "method"));
	int rc = 0;
	if (!j)
		rc = fail(ps, col + (je.column > 0 ? je.column - 1 : 0), "expected a JSON message after send: %s",
			  je.text);
	else if (!method)
		rc = fail(ps, col, "send takes a request or a notification: a JSON object with a \"method\"");
	else if (json_object_get(j, "id") &&
		 !(s->name = json_dumps(json_object_get(j, "id"), JSON_ENCODE_ANY | JSON_COMPACT)))
		rc = lb_error_oom(ps->err);
	json_decref(j);
	return rc;
}

/* LINE:COL */
static int parse_position(struct parser *ps, struct scn_step *s)
{
	struct token t;
	if (next_token(ps, &t))
		return ps->err->code;
	int l = 0, c = 0, n = 0;
	if (t.kind != TOK_WORD || sscanf(t.text, "%d:%d%n", &l, &c, &n) != 2 || t.text[n] || l < 1 || c < 1) {
		int rc = fail(ps, t.col, "expected a position LINE:COLUMN (both from 1), found %s",
			      tok_desc(&t));
		free(t.text);
		return rc;
	}
	free(t.text);
	s->pos_line = l;
	s->pos_col = c;
	return 0;
}

static int parse_run_args(struct parser *ps, struct scn_step *s)
{
	size_t cap = 8;
	s->args = calloc(cap + 1, sizeof(char *));
	if (!s->args)
		return lb_error_oom(ps->err);
	for (;;) {
		struct token t;
		if (next_token(ps, &t))
			return ps->err->code;
		if (t.kind == TOK_END)
			return 0;
		if (t.kind == TOK_REGEX) { /* a word that starts with '/' is a path here */
			int rc = fail(ps, t.col, "write an absolute path as a \"string\" in run arguments");
			free(t.text);
			return rc;
		}
		if (s->n_args == cap) {
			char **p = realloc(s->args, (cap * 2 + 1) * sizeof(char *));
			if (!p) {
				free(t.text);
				return lb_error_oom(ps->err);
			}
			s->args = p;
			cap *= 2;
		}
		s->args[s->n_args++] = t.text;
		s->args[s->n_args] = NULL;
	}
}

static const char *const step_names[] = {
	"open", "close", "edit", "wait", "settle", "hover", "completion", "definition", "symbols",
	"codeaction", "reload", "load", "eval", "run", "mark", "send",
};

const char *scn_step_name(enum scn_step_kind k)
{
	return (unsigned)k < sizeof(step_names) / sizeof(*step_names) ? step_names[k] : "?";
}

static int parse_step(struct parser *ps, enum scn_step_kind kind)
{
	struct scn_step *s = new_step(ps, kind);
	if (!s)
		return ps->err->code;
	int col;
	switch (kind) {
	case SCN_OPEN:
	case SCN_CLOSE:
	case SCN_SYMBOLS:
		if (want_path(ps, &s->file))
			return ps->err->code;
		return want_end(ps, "the file");
	case SCN_EDIT:
		return parse_edit(ps, s);
	case SCN_WAIT:
		return parse_wait(ps, s);
	case SCN_SETTLE:
		if (parse_duration(ps, "how long to settle", &s->seconds))
			return ps->err->code;
		return want_end(ps, "the duration");
	case SCN_HOVER:
	case SCN_COMPLETION:
	case SCN_DEFINITION:
	case SCN_CODEACTION:
		if (want_path(ps, &s->file) || parse_position(ps, s))
			return ps->err->code;
		return want_end(ps, "the position");
	case SCN_RELOAD:
		return want_end(ps, "reload");
	case SCN_LOAD:
		if (want_text(ps, &s->name, "a module name or file to load"))
			return ps->err->code;
		return want_end(ps, "the module");
	case SCN_EVAL: {
		skip_blanks(&ps->lx);
		if (ps->lx.p < ps->lx.end && *ps->lx.p == '"') {
			if (want_text(ps, &s->text, "an expression"))
				return ps->err->code;
			return want_end(ps, "the expression");
		}
		s->text = rest_of_line(ps, &col);
		if (!s->text)
			return lb_error_oom(ps->err);
		if (!*s->text)
			return fail(ps, col, "expected an expression to evaluate");
		return 0;
	}
	case SCN_RUN:
		return parse_run_args(ps, s);
	case SCN_MARK:
		if (want_text(ps, &s->name, "a mark name"))
			return ps->err->code;
		return want_end(ps, "the mark name");
	case SCN_SEND:
		return parse_send(ps, s);
	}
	return 0;
}

/* --- expectations ---------------------------------------------------------------------- */

static int parse_op(struct parser *ps, enum scn_op *op)
{
	struct token t;
	if (next_token(ps, &t))
		return ps->err->code;
	static const char *const ops[] = {"<", "<=", ">", ">=", "=="};
	size_t i = 0;
	while (t.kind == TOK_WORD && i < 5 && strcmp(t.text, ops[i]) != 0)
		i++;
	if (t.kind != TOK_WORD || i == 5) {
		int rc = fail(ps, t.col, "expected a comparison (<, <=, >, >= or ==), found %s", tok_desc(&t));
		free(t.text);
		return rc;
	}
	free(t.text);
	*op = (enum scn_op)i;
	return 0;
}

/* An optional keyword: consumes it and returns 1 when the next token is `word`. */
static int accept_word(struct parser *ps, const char *word)
{
	const char *save = ps->lx.p;
	struct token t;
	if (next_token(ps, &t))
		return -1;
	int yes = t.kind == TOK_WORD && strcmp(t.text, word) == 0;
	free(t.text);
	if (!yes)
		ps->lx.p = save;
	return yes;
}

static void expect_free(struct scn_expect *e)
{
	free(e->source);
	free(e->metric);
	free(e->per);
	free(e->after);
	free(e->until);
	free(e->label);
}

static int parse_expect(struct parser *ps)
{
	struct scn_scenario *sc = ps->sc;
	if (LB_GROW(sc->expects, sc->n_expects + 1, ps->cap_expects, ps->err))
		return ps->err->code;
	struct scn_expect *e = &sc->expects[sc->n_expects++];
	memset(e, 0, sizeof(*e));
	e->line = ps->lx.line;
	const char *s = ps->lx.p;
	while (s < ps->lx.end && isspace((unsigned char)*s))
		s++;
	e->source = strndup(s, (size_t)(ps->lx.end - s));
	if (!e->source)
		return lb_error_oom(ps->err);
	int unit_kind;
	struct token t;
	if (next_token(ps, &t))
		return ps->err->code;
	if (t.kind != TOK_WORD) {
		int rc = fail(ps, t.col, "expected a metric, slope or census after expect, found %s",
			      tok_desc(&t));
		free(t.text);
		return rc;
	}
	if (strcmp(t.text, "slope") == 0) {
		free(t.text);
		e->kind = SCN_EXPECT_SLOPE;
		if (want_text(ps, &e->metric, "the metric whose slope is bounded (e.g. live_bytes)") ||
		    parse_op(ps, &e->op) || parse_value(ps, "the bound", &e->bound, &unit_kind))
			return ps->err->code;
		skip_blanks(&ps->lx);
		int col = col_of(&ps->lx, ps->lx.p);
		if (accept_word(ps, "per") != 1)
			return fail(ps, col, "expected 'per STEP' (the mark that ends each step, e.g. per edit)");
		if (want_text(ps, &e->per, "the step's mark name"))
			return ps->err->code;
		int a = accept_word(ps, "after");
		if (a < 0 || (a == 1 && want_text(ps, &e->after, "a mark name after 'after'")))
			return ps->err->code;
		return want_end(ps, "the slope expectation");
	}
	if (strcmp(t.text, "census") == 0) {
		free(t.text);
		e->kind = SCN_EXPECT_CENSUS;
		if (next_token(ps, &t))
			return ps->err->code;
		if (t.kind != TOK_STRING) {
			int rc = fail(ps, t.col, "expected the census label as a \"string\", found %s",
				      tok_desc(&t));
			free(t.text);
			return rc;
		}
		e->label = t.text;
		skip_blanks(&ps->lx);
		int col = col_of(&ps->lx, ps->lx.p);
		int c = accept_word(ps, "count"), b = c == 1 ? 0 : accept_word(ps, "bytes");
		if (c < 0 || b < 0)
			return ps->err->code;
		if (c != 1 && b != 1)
			return fail(ps, col, "expected count or bytes after the census label");
		e->census_bytes = b == 1;
		if (parse_op(ps, &e->op) || parse_value(ps, "the bound", &e->bound, &unit_kind))
			return ps->err->code;
		skip_blanks(&ps->lx);
		col = col_of(&ps->lx, ps->lx.p);
		int a = accept_word(ps, "after");
		if (a == 1) {
			if (want_text(ps, &e->after, "a mark name after 'after'"))
				return ps->err->code;
		} else if (a == 0 && accept_word(ps, "between") == 1) {
			if (want_text(ps, &e->after, "the first mark after 'between'") ||
			    want_text(ps, &e->until, "the second mark after 'between'"))
				return ps->err->code;
		} else if (ps->lx.p < ps->lx.end) {
			return fail(ps, col, "expected 'after MARK' or 'between MARK MARK'");
		}
		return want_end(ps, "the census expectation");
	}
	e->kind = SCN_EXPECT_METRIC;
	e->metric = t.text;
	if (parse_op(ps, &e->op) || parse_value(ps, "the bound", &e->bound, &unit_kind))
		return ps->err->code;
	return want_end(ps, "the expectation");
}

/* --- directives ------------------------------------------------------------------------ */

static const char *const runner_names[] = {"none", "lsp", "ghci", "exec"};

const char *scn_runner_name(enum scn_runner r)
{
	return (unsigned)r < 4 ? runner_names[r] : "?";
}

static int push_string(char ***arr, size_t *n, char *s)
{
	char **p = realloc(*arr, (*n + 2) * sizeof(char *));
	if (!p) {
		free(s);
		return -1;
	}
	p[(*n)++] = s;
	p[*n] = NULL;
	*arr = p;
	return 0;
}

static int parse_codebase(struct parser *ps)
{
	struct scn_codebase *cb = &ps->sc->codebase;
	struct token t;
	if (next_token(ps, &t))
		return ps->err->code;
	if (cb->kind != SCN_CODEBASE_NONE) {
		free(t.text);
		return fail(ps, 1, "a second codebase line (a scenario has one codebase)");
	}
	if (t.kind == TOK_WORD && strcmp(t.text, "generate") == 0) {
		free(t.text);
		cb->kind = SCN_CODEBASE_GENERATE;
		struct gen_params scratch;
		gen_defaults(&scratch);
		for (;;) {
			if (next_token(ps, &t))
				return ps->err->code;
			if (t.kind == TOK_END)
				return 0;
			/* checked by the generator itself, so the scenario and `leakbench gen`
			 * accept exactly the same parameters */
			char *eq = t.kind == TOK_WORD ? strchr(t.text, '=') : NULL;
			struct lb_error gerr = {0};
			if (!eq) {
				int rc = fail(ps, t.col, "expected KEY=VALUE (e.g. modules=120), found %s",
					      tok_desc(&t));
				free(t.text);
				return rc;
			}
			*eq = '\0';
			int bad = gen_param_set(&scratch, t.text, eq + 1, "", &gerr);
			*eq = '=';
			if (bad) {
				int rc = fail(ps, t.col, "%s", gerr.msg);
				free(t.text);
				return rc;
			}
			if (push_string(&cb->params, &cb->n_params, t.text))
				return lb_error_oom(ps->err);
		}
	}
	if (t.kind == TOK_WORD && strcmp(t.text, "dir") == 0) {
		free(t.text);
		cb->kind = SCN_CODEBASE_DIR;
		if (want_text(ps, &cb->dir, "the codebase's directory"))
			return ps->err->code;
		return want_end(ps, "the directory");
	}
	if (t.kind == TOK_WORD && strcmp(t.text, "tarball") == 0) {
		free(t.text);
		cb->kind = SCN_CODEBASE_TARBALL;
		if (want_text(ps, &cb->url, "the tarball's URL"))
			return ps->err->code;
		if (next_token(ps, &t))
			return ps->err->code;
		size_t hex = t.kind == TOK_WORD && strncmp(t.text, "sha256=", 7) == 0
				     ? strspn(t.text + 7, "0123456789abcdefABCDEF")
				     : 0;
		if (hex != 64 || t.text[7 + 64]) {
			int rc = fail(ps, t.col, "expected sha256=<64 hex digits> after the URL, found %s",
				      tok_desc(&t));
			free(t.text);
			return rc;
		}
		cb->sha256 = strdup(t.text + 7);
		free(t.text);
		if (!cb->sha256)
			return lb_error_oom(ps->err);
		return want_end(ps, "the checksum");
	}
	int rc = fail(ps, t.col, "expected generate, dir or tarball after codebase, found %s", tok_desc(&t));
	free(t.text);
	return rc;
}

static int parse_directive(struct parser *ps, const char *word, int col, int *handled)
{
	struct scn_scenario *sc = ps->sc;
	*handled = 1;
	int c;
	if (strcmp(word, "scenario") == 0) {
		free(sc->name);
		sc->name = NULL;
		if (want_text(ps, &sc->name, "the scenario's name"))
			return ps->err->code;
		return want_end(ps, "the name");
	}
	if (strcmp(word, "runner") == 0) {
		char *r;
		skip_blanks(&ps->lx);
		c = col_of(&ps->lx, ps->lx.p);
		if (want_text(ps, &r, "lsp, ghci or exec"))
			return ps->err->code;
		size_t i = 1;
		while (i < 4 && strcmp(r, runner_names[i]) != 0)
			i++;
		if (i == 4) {
			int rc = fail(ps, c, "unknown runner '%s' (expected lsp, ghci or exec)", r);
			free(r);
			return rc;
		}
		free(r);
		sc->runner = (enum scn_runner)i;
		return want_end(ps, "the runner");
	}
	if (strcmp(word, "codebase") == 0)
		return parse_codebase(ps);
	if (strcmp(word, "program") == 0) {
		free(sc->program);
		sc->program = NULL;
		if (want_text(ps, &sc->program, "the program to run"))
			return ps->err->code;
		return want_end(ps, "the program");
	}
	if (strcmp(word, "args") == 0 || strcmp(word, "rts") == 0) {
		char *rest = rest_of_line(ps, &c);
		if (!rest)
			return lb_error_oom(ps->err);
		if (word[0] == 'r') {
			free(sc->rts);
			sc->rts = rest;
			return 0;
		}
		/* args: split on spaces, as a shell would without quoting */
		for (char *cur = rest, *tok; (tok = text_word(&cur, " \t"));) {
			char *d = strdup(tok);
			if (!d || push_string(&sc->args, &sc->n_args, d)) {
				free(rest);
				return lb_error_oom(ps->err);
			}
		}
		free(rest);
		return 0;
	}
	if (strcmp(word, "env") == 0) {
		char *kv;
		skip_blanks(&ps->lx);
		c = col_of(&ps->lx, ps->lx.p);
		if (want_text(ps, &kv, "KEY=VALUE"))
			return ps->err->code;
		if (!strchr(kv, '=') || kv[0] == '=') {
			int rc = fail(ps, c, "expected KEY=VALUE, found '%s'", kv);
			free(kv);
			return rc;
		}
		if (push_string(&sc->env, &sc->n_env, kv))
			return lb_error_oom(ps->err);
		return want_end(ps, "the variable");
	}
	if (strcmp(word, "settings") == 0 || strcmp(word, "init-options") == 0) {
		char *rest = rest_of_line(ps, &c);
		if (!rest)
			return lb_error_oom(ps->err);
		json_error_t je;
		json_t *j = json_loads(rest, 0, &je);
		if (!json_is_object(j)) {
			json_decref(j);
			int rc = fail(ps, c + (j ? 0 : je.column > 0 ? je.column - 1 : 0),
				      "expected a JSON object after %s%s%s", word, j ? "" : ": ", j ? "" : je.text);
			free(rest);
			return rc;
		}
		json_decref(j);
		char **dst = word[0] == 's' ? &sc->settings : &sc->init_options;
		free(*dst);
		*dst = rest;
		return 0;
	}
	if (strcmp(word, "compile-errors") == 0) {
		char *v;
		skip_blanks(&ps->lx);
		c = col_of(&ps->lx, ps->lx.p);
		if (want_text(ps, &v, "fail or note"))
			return ps->err->code;
		int ok = !strcmp(v, "fail") || !strcmp(v, "note");
		sc->compile_errors_fail = !strcmp(v, "fail");
		if (!ok) {
			int rc = fail(ps, c, "expected fail or note after compile-errors, found '%s'", v);
			free(v);
			return rc;
		}
		free(v);
		return want_end(ps, "compile-errors");
	}
	if (strcmp(word, "timeout") == 0) {
		if (parse_duration(ps, "the timeout", &sc->timeout))
			return ps->err->code;
		return want_end(ps, "the timeout");
	}
	(void)col;
	*handled = 0;
	return 0;
}

/* Which steps each runner can perform: bit k set = step kind k allowed. */
static unsigned allowed_steps(enum scn_runner r)
{
#define B(k) (1u << (k))
	unsigned common = B(SCN_EDIT) | B(SCN_WAIT) | B(SCN_SETTLE) | B(SCN_MARK);
	switch (r) {
	case SCN_RUNNER_LSP:
		return common | B(SCN_OPEN) | B(SCN_CLOSE) | B(SCN_HOVER) | B(SCN_COMPLETION) |
		       B(SCN_DEFINITION) | B(SCN_SYMBOLS) | B(SCN_CODEACTION) | B(SCN_SEND);
	case SCN_RUNNER_GHCI:
		return common | B(SCN_RELOAD) | B(SCN_LOAD) | B(SCN_EVAL);
	case SCN_RUNNER_EXEC:
		return common | B(SCN_RUN);
	default:
		return 0;
	}
#undef B
}

static int wait_fits(enum scn_runner r, enum scn_wait_kind w)
{
	if (w == SCN_WAIT_DURATION)
		return 1;
	if (r == SCN_RUNNER_GHCI)
		return w == SCN_WAIT_PROMPT;
	if (r == SCN_RUNNER_LSP)
		return w != SCN_WAIT_PROMPT;
	return 0;
}

static int has_mark(const struct scn_scenario *sc, const char *name)
{
	for (size_t i = 0; i < sc->n_steps; i++)
		if (sc->steps[i].kind == SCN_MARK && strcmp(sc->steps[i].name, name) == 0)
			return 1;
	return 0;
}

/* Checks that need the whole file. */
static int validate(struct parser *ps)
{
	struct scn_scenario *sc = ps->sc;
	for (size_t i = 0; i < sc->n_steps; i++) {
		const struct scn_step *s = &sc->steps[i];
		ps->lx.line = s->line;
		if (sc->runner == SCN_RUNNER_NONE)
			return fail(ps, 1, "no runner: add a line `runner lsp`, `runner ghci` or `runner exec` "
					   "before the steps");
		if (!(allowed_steps(sc->runner) & (1u << s->kind)))
			return fail(ps, 1, "the step '%s' cannot be done by the %s runner",
				    scn_step_name(s->kind), scn_runner_name(sc->runner));
		if (s->kind == SCN_WAIT && !wait_fits(sc->runner, s->wait))
			return fail(ps, 1, "this kind of wait does not apply to the %s runner",
				    scn_runner_name(sc->runner));
		if (s->kind == SCN_WAIT && s->wait == SCN_WAIT_RESPONSE && s->name) {
			size_t k = 0;
			while (k < i && !(sc->steps[k].kind == SCN_SEND && sc->steps[k].name &&
					  !strcmp(sc->steps[k].name, s->name)))
				k++;
			if (k == i)
				return fail(ps, 1, "no earlier send has the id %s, so there is no response to wait for",
					    s->name);
		}
	}
	for (size_t i = 0; i < sc->n_expects; i++) {
		const struct scn_expect *e = &sc->expects[i];
		ps->lx.line = e->line;
		const char *names[] = {e->per, e->after, e->until};
		for (size_t k = 0; k < 3; k++)
			if (names[k] && !has_mark(sc, names[k]))
				return fail(ps, 1, "no step `mark %s` in this scenario, so '%s' cannot refer to it",
					    names[k], names[k]);
	}
	return 0;
}

static int parse_line(struct parser *ps)
{
	struct token t;
	if (next_token(ps, &t))
		return ps->err->code;
	if (t.kind == TOK_END)
		return 0;
	if (t.kind != TOK_WORD) {
		int rc = fail(ps, t.col, "expected a directive or a step, found a %s",
			      t.kind == TOK_STRING ? "string" : "regex");
		free(t.text);
		return rc;
	}
	int rc = 0, handled;
	if (strcmp(t.text, "repeat") == 0) {
		int n;
		if (ps->depth == MAX_DEPTH)
			rc = fail(ps, t.col, "repeats nest at most %d deep", MAX_DEPTH);
		else if (!(rc = parse_int(ps, "how many times to repeat", 1, &n)) &&
			 !(rc = want_end(ps, "the count")))
			ps->stack[ps->depth++] = (struct block){ps->sc->n_steps, n, ps->lx.line};
	} else if (strcmp(t.text, "end") == 0) {
		if (ps->depth == 0)
			rc = fail(ps, t.col, "'end' without a repeat");
		else if (!(rc = want_end(ps, "end")))
			rc = unroll(ps, &ps->stack[--ps->depth], t.col);
	} else if (strcmp(t.text, "expect") == 0) {
		rc = parse_expect(ps);
	} else if ((rc = parse_directive(ps, t.text, t.col, &handled)) == 0 && !handled) {
		size_t k = 0, n = sizeof(step_names) / sizeof(*step_names);
		while (k < n && strcmp(t.text, step_names[k]) != 0)
			k++;
		if (k < n)
			rc = parse_step(ps, (enum scn_step_kind)k);
		else
			rc = fail(ps, t.col,
				  "unknown keyword '%s' (expected a directive: scenario, runner, codebase, "
				  "program, args, rts, env, timeout, compile-errors, settings, init-options; a step: "
				  "%s; or repeat, end, "
				  "expect)",
				  t.text,
				  "open, close, edit, wait, settle, hover, completion, definition, symbols, "
				  "codeaction, reload, load, eval, run, mark, send");
	}
	free(t.text);
	return rc;
}

void scn_free(struct scn_scenario *sc)
{
	if (!sc)
		return;
	free(sc->path);
	free(sc->name);
	free(sc->codebase.dir);
	free(sc->codebase.url);
	free(sc->codebase.sha256);
	for (size_t i = 0; i < sc->codebase.n_params; i++)
		free(sc->codebase.params[i]);
	free(sc->codebase.params);
	free(sc->program);
	for (size_t i = 0; i < sc->n_args; i++)
		free(sc->args[i]);
	free(sc->args);
	free(sc->rts);
	free(sc->settings);
	free(sc->init_options);
	for (size_t i = 0; i < sc->n_env; i++)
		free(sc->env[i]);
	free(sc->env);
	for (size_t i = 0; i < sc->n_steps; i++)
		step_free(&sc->steps[i]);
	free(sc->steps);
	for (size_t i = 0; i < sc->n_expects; i++)
		expect_free(&sc->expects[i]);
	free(sc->expects);
	free(sc);
}

/* "dir/edit-leaf.scn" -> "edit-leaf" */
static char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	const char *dot = strrchr(b, '.');
	return strndup(b, dot && dot > b ? (size_t)(dot - b) : strlen(b));
}

int scn_parse_string(struct scn_scenario **out, const char *text, const char *name,
		     struct lb_error *err)
{
	*out = NULL;
	struct scn_scenario *sc = calloc(1, sizeof(*sc));
	if (!sc || !(sc->path = strdup(name)) || !(sc->name = base_name(name))) {
		scn_free(sc);
		return lb_error_oom(err);
	}
	sc->timeout = 120;
	struct parser ps = {.sc = sc, .err = err};
	ps.lx.file = name;
	int rc = 0;
	for (const char *p = text; *p && !rc;) {
		const char *nl = strchr(p, '\n');
		ps.lx.line++;
		ps.lx.start = ps.lx.p = p;
		ps.lx.end = nl ? nl : p + strlen(p);
		rc = parse_line(&ps);
		p = nl ? nl + 1 : ps.lx.end;
	}
	if (!rc && ps.depth > 0) {
		ps.lx.line = ps.stack[ps.depth - 1].line;
		rc = fail(&ps, 1, "this repeat has no 'end'");
	}
	if (!rc)
		rc = validate(&ps);
	if (rc) {
		scn_free(sc);
		return rc;
	}
	*out = sc;
	return 0;
}

int scn_parse_file(struct scn_scenario **out, const char *path, struct lb_error *err)
{
	*out = NULL;
	size_t n;
	char *buf = file_read(path, 0, &n, err);
	if (!buf)
		return err->code;
	if (memchr(buf, '\0', n)) {
		free(buf);
		return lb_error_set(err, LB_EINVAL, "%s: binary data where a scenario was expected", path);
	}
	int rc = scn_parse_string(out, buf, path, err);
	free(buf);
	return rc;
}

const char *scn_op_name(enum scn_op op)
{
	static const char *const names[] = {"<", "<=", ">", ">=", "=="};
	return (unsigned)op < 5 ? names[op] : "?";
}

int scn_op_holds(enum scn_op op, double v, double b)
{
	switch (op) {
	case SCN_LT: return v < b;
	case SCN_LE: return v <= b;
	case SCN_GT: return v > b;
	case SCN_GE: return v >= b;
	case SCN_EQ: return v == b;
	}
	return 0;
}
