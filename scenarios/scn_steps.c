/*
 * scn_steps.c - the scenario's steps and expectations: one parser per step kind (edit,
 * wait, send, position requests, run), `repeat` blocks unrolled when their `end` is read
 * (the steps since the block's start become N copies with {i} substituted, so nested
 * repeats need no tree), and `expect` lines.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/mem.h"
#include "base/text.h"
#include "scenarios/codegen.h"
#include "scenarios/scn_parse.h"

/* --- steps ------------------------------------------------------------------------------- */

void sp_step_free(struct scn_step *s)
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
		sp_step_free(dst);
		return -1;
	}
	return 0;
}

/* What a step takes in memory, its texts included. */
static double step_bytes(const struct scn_step *s)
{
	double n = sizeof(*s);
	const char *const texts[] = {s->file, s->regex, s->text, s->name};
	for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++)
		n += texts[i] ? (double)strlen(texts[i]) + 1 : 0;
	for (size_t i = 0; i < s->n_args; i++)
		n += (double)strlen(s->args[i]) + 1 + sizeof(char *);
	return n;
}

/* `end`: replace the block's steps by `count` substituted copies. */
int sp_unroll(struct parser *ps, const struct block *b, int end_col)
{
	struct scn_scenario *sc = ps->sc;
	size_t body = sc->n_steps - b->first;
	if (body == 0)
		return sp_fail(ps, end_col, "this repeat (line %d) has no steps", b->line);
	if ((double)body * b->count + (double)b->first > MAX_STEPS)
		return sp_fail(ps, end_col, "the repeat of line %d unrolls to more than %d steps", b->line,
			    MAX_STEPS);
	double bytes = 0;
	for (size_t j = 0; j < sc->n_steps; j++)
		bytes += step_bytes(&sc->steps[j]) * (j < b->first ? 1 : b->count);
	if (bytes > MAX_UNROLLED_BYTES)
		return sp_fail(ps, end_col, "the repeat of line %d unrolls to %.0f MiB of steps (at most %u MiB: fewer "
				  "repeats or shorter texts)",
			    b->line, bytes / 1048576, MAX_UNROLLED_BYTES >> 20);
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
					sp_step_free(&steps[m]);
				free(steps);
				return lb_error_oom(ps->err);
			}
	for (size_t j = 0; j < body; j++)
		sp_step_free(&sc->steps[b->first + j]);
	free(sc->steps);
	sc->steps = steps;
	sc->n_steps = total;
	ps->cap_steps = total;
	return 0;
}

static int parse_edit(struct parser *ps, struct scn_step *s)
{
	if (sp_want_path(ps, &s->file))
		return ps->err->code;
	struct token t;
	if (sp_next_token(ps, &t))
		return ps->err->code;
	static const char *const kinds[] = {"append", "insert", "replace", "write", "revert"};
	size_t k = 0;
	while (t.kind == TOK_WORD && k < 5 && strcmp(t.text, kinds[k]) != 0)
		k++;
	if (t.kind != TOK_WORD || k == 5) {
		int rc = sp_fail(ps, t.col, "expected append, insert, replace, write or revert, found %s",
			      sp_tok_desc(&t));
		free(t.text);
		return rc;
	}
	free(t.text);
	s->edit = (enum scn_edit_kind)k;
	if (s->edit == SCN_EDIT_INSERT && sp_parse_int(ps, "a line number", 1, &s->edit_line))
		return ps->err->code;
	if (s->edit == SCN_EDIT_REPLACE) {
		if (sp_next_token(ps, &t))
			return ps->err->code;
		if (t.kind != TOK_REGEX) {
			int rc = sp_fail(ps, t.col, "expected a /regex/ to replace, found %s", sp_tok_desc(&t));
			free(t.text);
			return rc;
		}
		s->regex = t.text;
	}
	if (s->edit != SCN_EDIT_REVERT) {
		if (sp_next_token(ps, &t))
			return ps->err->code;
		if (t.kind != TOK_STRING) {
			int rc = sp_fail(ps, t.col, "expected the new text as a \"string\", found %s",
				      sp_tok_desc(&t));
			free(t.text);
			return rc;
		}
		s->text = t.text;
	}
	return sp_want_end(ps, "the edit");
}

static int accept_word(struct parser *ps, const char *word);
static int parse_request_id(struct parser *ps, struct scn_step *s);

static int parse_wait(struct parser *ps, struct scn_step *s)
{
	sp_skip_blanks(&ps->lx);
	int col = sp_col_of(&ps->lx, ps->lx.p);
	if (ps->lx.p < ps->lx.end && (isdigit((unsigned char)*ps->lx.p) || *ps->lx.p == '.')) {
		s->wait = SCN_WAIT_DURATION;
		if (sp_parse_duration(ps, "the time to wait", &s->seconds))
			return ps->err->code;
		return sp_want_end(ps, "the duration");
	}
	char *what;
	if (sp_want_text(ps, &what, "what to wait for (idle, diagnostics FILE, prompt, typecheck FILE, "
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
		int rc = sp_fail(ps, col, "cannot wait for '%s' (expected idle, diagnostics FILE, prompt, "
				       "typecheck FILE, queue, notification METHOD, response, or a "
				       "duration such as 2s)",
			      what);
		free(what);
		return rc;
	}
	free(what);
	s->wait = waits[i].kind;
	if (waits[i].arg == 1 && sp_want_path(ps, &s->file))
		return ps->err->code;
	if (waits[i].arg == 2 && sp_want_text(ps, &s->name, "a notification method (e.g. kick/done)"))
		return ps->err->code;
	if (s->wait == SCN_WAIT_RESPONSE)
		return parse_request_id(ps, s);
	if (waits[i].arg && accept_word(ps, "count")) {
		int n;
		if (sp_parse_int(ps, "how many must have come", 1, &n))
			return ps->err->code;
		s->count = n;
	}
	return sp_want_end(ps, "the wait");
}

/* `wait response [ID]`: the id of an earlier `send`, as its JSON (7 or "abc"). */
static int parse_request_id(struct parser *ps, struct scn_step *s)
{
	struct token t;
	if (sp_next_token(ps, &t))
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
		return sp_want_end(ps, "the request id");
	}
	int rc = sp_fail(ps, t.col, "expected the id of an earlier send (a number or a \"string\"), found %s",
		      sp_tok_desc(&t));
	free(t.text);
	return rc;
}

/* `send {JSON}`: the rest of the line, verbatim (no comment: '#' may be inside the JSON). */
static int parse_send(struct parser *ps, struct scn_step *s)
{
	struct lexer *lx = &ps->lx;
	sp_skip_blanks(lx);
	int col = sp_col_of(lx, lx->p);
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
		rc = sp_fail(ps, col + (je.column > 0 ? je.column - 1 : 0), "expected a JSON message after send: %s",
			  je.text);
	else if (!method)
		rc = sp_fail(ps, col, "send takes a request or a notification: a JSON object with a \"method\"");
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
	if (sp_next_token(ps, &t))
		return ps->err->code;
	int l = 0, c = 0, n = 0;
	if (t.kind != TOK_WORD || sscanf(t.text, "%d:%d%n", &l, &c, &n) != 2 || t.text[n] || l < 1 || c < 1) {
		int rc = sp_fail(ps, t.col, "expected a position LINE:COLUMN (both from 1), found %s",
			      sp_tok_desc(&t));
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
		if (sp_next_token(ps, &t))
			return ps->err->code;
		if (t.kind == TOK_END)
			return 0;
		if (t.kind == TOK_REGEX) { /* a word that starts with '/' is a path here */
			int rc = sp_fail(ps, t.col, "write an absolute path as a \"string\" in run arguments");
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

int sp_step_kind(const char *word)
{
	for (size_t k = 0; k < sizeof(step_names) / sizeof(*step_names); k++)
		if (!strcmp(word, step_names[k]))
			return (int)k;
	return -1;
}

const char *scn_step_name(enum scn_step_kind k)
{
	return (unsigned)k < sizeof(step_names) / sizeof(*step_names) ? step_names[k] : "?";
}

int sp_parse_step(struct parser *ps, enum scn_step_kind kind)
{
	struct scn_step *s = new_step(ps, kind);
	if (!s)
		return ps->err->code;
	int col;
	switch (kind) {
	case SCN_OPEN:
	case SCN_CLOSE:
	case SCN_SYMBOLS:
		if (sp_want_path(ps, &s->file))
			return ps->err->code;
		return sp_want_end(ps, "the file");
	case SCN_EDIT:
		return parse_edit(ps, s);
	case SCN_WAIT:
		return parse_wait(ps, s);
	case SCN_SETTLE:
		if (sp_parse_duration(ps, "how long to settle", &s->seconds))
			return ps->err->code;
		return sp_want_end(ps, "the duration");
	case SCN_HOVER:
	case SCN_COMPLETION:
	case SCN_DEFINITION:
	case SCN_CODEACTION:
		if (sp_want_path(ps, &s->file) || parse_position(ps, s))
			return ps->err->code;
		return sp_want_end(ps, "the position");
	case SCN_RELOAD:
		return sp_want_end(ps, "reload");
	case SCN_LOAD:
		if (sp_want_text(ps, &s->name, "a module name or file to load"))
			return ps->err->code;
		return sp_want_end(ps, "the module");
	case SCN_EVAL: {
		sp_skip_blanks(&ps->lx);
		if (ps->lx.p < ps->lx.end && *ps->lx.p == '"') {
			if (sp_want_text(ps, &s->text, "an expression"))
				return ps->err->code;
			return sp_want_end(ps, "the expression");
		}
		s->text = sp_rest_of_line(ps, &col);
		if (!s->text)
			return lb_error_oom(ps->err);
		if (!*s->text)
			return sp_fail(ps, col, "expected an expression to evaluate");
		return 0;
	}
	case SCN_RUN:
		return parse_run_args(ps, s);
	case SCN_MARK: {
		if (sp_want_text(ps, &s->name, "a mark name"))
			return ps->err->code;
		sp_skip_blanks(&ps->lx);
		if (ps->lx.p >= ps->lx.end)
			return 0;
		/* a value it carries: mark size 101 */
		int c = sp_col_of(&ps->lx, ps->lx.p), vkind;
		if (sp_parse_value(ps, "the mark's value (a number, such as the size it stands for)", &s->value, &vkind))
			return ps->err->code;
		if (!(s->value > 0))
			return sp_fail(ps, c, "a mark's value is a size: greater than 0");
		s->has_value = 1;
		return sp_want_end(ps, "the mark's value");
	}
	case SCN_SEND:
		return parse_send(ps, s);
	}
	return 0;
}

/* --- expectations ---------------------------------------------------------------------- */

static int parse_op(struct parser *ps, enum scn_op *op)
{
	struct token t;
	if (sp_next_token(ps, &t))
		return ps->err->code;
	static const char *const ops[] = {"<", "<=", ">", ">=", "=="};
	size_t i = 0;
	while (t.kind == TOK_WORD && i < 5 && strcmp(t.text, ops[i]) != 0)
		i++;
	if (t.kind != TOK_WORD || i == 5) {
		int rc = sp_fail(ps, t.col, "expected a comparison (<, <=, >, >= or ==), found %s", sp_tok_desc(&t));
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
	if (sp_next_token(ps, &t))
		return -1;
	int yes = t.kind == TOK_WORD && strcmp(t.text, word) == 0;
	free(t.text);
	if (!yes)
		ps->lx.p = save;
	return yes;
}

void sp_expect_free(struct scn_expect *e)
{
	free(e->source);
	free(e->metric);
	free(e->per);
	free(e->after);
	free(e->until);
	free(e->label);
}

/* diagnostics errors|warnings OP N [after MARK]: what the language server reports, at
 * every step from the mark on. */
static int parse_diagnostics(struct parser *ps, struct scn_expect *e)
{
	e->kind = SCN_EXPECT_DIAGNOSTICS;
	sp_skip_blanks(&ps->lx);
	int col = sp_col_of(&ps->lx, ps->lx.p), unit_kind;
	int w = accept_word(ps, "errors"), x = w == 1 ? 0 : accept_word(ps, "warnings");
	if (w < 0 || x < 0)
		return ps->err->code;
	if (w != 1 && x != 1)
		return sp_fail(ps, col, "expected errors or warnings after diagnostics");
	e->warnings = x == 1;
	if (parse_op(ps, &e->op) || sp_parse_value(ps, "the bound", &e->bound, &unit_kind))
		return ps->err->code;
	int a = accept_word(ps, "after");
	if (a < 0 || (a == 1 && sp_want_text(ps, &e->after, "a mark name after 'after'")))
		return ps->err->code;
	return sp_want_end(ps, "the diagnostics expectation");
}

/* A metric an expectation names must be one runs store: a misspelt one would otherwise
 * pass the check and fail (or never be judged) after a whole run. */
static int known_metric(struct parser *ps, const char *name, int per_step, int col)
{
	const char *nearest = NULL;
	if (scn_metric_known(name, per_step, &nearest))
		return 0;
	if (nearest)
		return sp_fail(ps, col, "unknown %smetric '%s' (did you mean '%s'?)", per_step ? "per-step " : "", name,
			       nearest);
	return sp_fail(ps, col, "unknown %smetric '%s'", per_step ? "per-step " : "", name);
}

int sp_parse_expect(struct parser *ps)
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
	if (sp_next_token(ps, &t))
		return ps->err->code;
	if (t.kind != TOK_WORD) {
		int rc = sp_fail(ps, t.col, "expected a metric, slope, exponent, peak, census or diagnostics after expect, found %s",
			      sp_tok_desc(&t));
		free(t.text);
		return rc;
	}
	if (strcmp(t.text, "slope") == 0 || strcmp(t.text, "exponent") == 0) {
		e->kind = t.text[0] == 's' ? SCN_EXPECT_SLOPE : SCN_EXPECT_EXPONENT;
		free(t.text);
		sp_skip_blanks(&ps->lx);
		int mcol = sp_col_of(&ps->lx, ps->lx.p);
		if (sp_want_text(ps, &e->metric, "the metric whose slope is bounded (e.g. live_bytes)") ||
		    known_metric(ps, e->metric, 1, mcol) || parse_op(ps, &e->op) ||
		    sp_parse_value(ps, "the bound", &e->bound, &unit_kind))
			return ps->err->code;
		sp_skip_blanks(&ps->lx);
		int col = sp_col_of(&ps->lx, ps->lx.p);
		if (accept_word(ps, "per") != 1)
			return sp_fail(ps, col, "expected 'per STEP' (the mark that ends each step, e.g. per edit)");
		if (sp_want_text(ps, &e->per, "the step's mark name, or second, minute or hour"))
			return ps->err->code;
		static const struct {
			const char *word;
			double seconds;
		} units[] = {{"second", 1}, {"minute", 60}, {"hour", 3600}};
		for (size_t u = 0; e->kind == SCN_EXPECT_SLOPE && u < sizeof(units) / sizeof(*units); u++)
			if (!strcmp(e->per, units[u].word))
				e->per_seconds = units[u].seconds;
		if (e->kind == SCN_EXPECT_EXPONENT && unit_kind >= 0)
			return sp_fail(ps, col, "an exponent is a plain number (live_bytes ~ size^K): no unit");
		int a = accept_word(ps, "after");
		if (a < 0 || (a == 1 && sp_want_text(ps, &e->after, "a mark name after 'after'")))
			return ps->err->code;
		return sp_want_end(ps, "the slope expectation");
	}
	if (strcmp(t.text, "peak") == 0) {
		free(t.text);
		e->kind = SCN_EXPECT_PEAK;
		sp_skip_blanks(&ps->lx);
		int mcol = sp_col_of(&ps->lx, ps->lx.p);
		if (sp_want_text(ps, &e->metric, "live_bytes or heap"))
			return ps->err->code;
		if (strcmp(e->metric, "live_bytes") && strcmp(e->metric, "heap"))
			return sp_fail(ps, mcol, "a peak is of live_bytes or heap, not '%s'", e->metric);
		if (parse_op(ps, &e->op))
			return ps->err->code;
		char *r;
		sp_skip_blanks(&ps->lx);
		int rcol = sp_col_of(&ps->lx, ps->lx.p);
		if (sp_want_text(ps, &r, "a ratio such as 1.5x"))
			return ps->err->code;
		char *end;
		e->bound = strtod(r, &end);
		int bad = end == r || strcmp(end, "x") || !(e->bound > 0);
		free(r);
		if (bad)
			return sp_fail(ps, rcol, "expected a ratio to the checkpoint before, such as 1.5x");
		sp_skip_blanks(&ps->lx);
		int col = sp_col_of(&ps->lx, ps->lx.p);
		if (accept_word(ps, "per") != 1)
			return sp_fail(ps, col, "expected 'per STEP' (the mark that ends each window, e.g. per cycle)");
		if (sp_want_text(ps, &e->per, "the window's mark name"))
			return ps->err->code;
		int a = accept_word(ps, "after");
		if (a < 0 || (a == 1 && sp_want_text(ps, &e->after, "a mark name after 'after'")))
			return ps->err->code;
		return sp_want_end(ps, "the peak expectation");
	}
	if (strcmp(t.text, "census") == 0) {
		free(t.text);
		e->kind = SCN_EXPECT_CENSUS;
		if (sp_next_token(ps, &t))
			return ps->err->code;
		if (t.kind != TOK_STRING && t.kind != TOK_REGEX) {
			int rc = sp_fail(ps, t.col, "expected the census label as a \"string\" or a /regex/, found %s",
				      sp_tok_desc(&t));
			free(t.text);
			return rc;
		}
		e->label = t.text;
		e->label_regex = t.kind == TOK_REGEX;
		regex_t re;
		if (e->label_regex && regcomp(&re, e->label, REG_EXTENDED | REG_NOSUB) != 0)
			return sp_fail(ps, t.col, "/%s/ is not a POSIX extended regular expression", e->label);
		if (e->label_regex)
			regfree(&re);
		sp_skip_blanks(&ps->lx);
		int col = sp_col_of(&ps->lx, ps->lx.p);
		int c = accept_word(ps, "count"), b = c == 1 ? 0 : accept_word(ps, "bytes");
		if (c < 0 || b < 0)
			return ps->err->code;
		if (c != 1 && b != 1)
			return sp_fail(ps, col, "expected count or bytes after the census label");
		e->census_bytes = b == 1;
		if (parse_op(ps, &e->op) || sp_parse_value(ps, "the bound", &e->bound, &unit_kind))
			return ps->err->code;
		sp_skip_blanks(&ps->lx);
		col = sp_col_of(&ps->lx, ps->lx.p);
		int a = accept_word(ps, "after");
		if (a == 1) {
			if (sp_want_text(ps, &e->after, "a mark name after 'after'"))
				return ps->err->code;
		} else if (a == 0 && accept_word(ps, "between") == 1) {
			if (sp_want_text(ps, &e->after, "the first mark after 'between'") ||
			    sp_want_text(ps, &e->until, "the second mark after 'between'"))
				return ps->err->code;
		} else if (ps->lx.p < ps->lx.end) {
			return sp_fail(ps, col, "expected 'after MARK' or 'between MARK MARK'");
		}
		return sp_want_end(ps, "the census expectation");
	}
	if (strcmp(t.text, "diagnostics") == 0) {
		free(t.text);
		return parse_diagnostics(ps, e);
	}
	e->kind = SCN_EXPECT_METRIC;
	e->metric = t.text;
	if (known_metric(ps, e->metric, 0, t.col) || parse_op(ps, &e->op) ||
	    sp_parse_value(ps, "the bound", &e->bound, &unit_kind))
		return ps->err->code;
	return sp_want_end(ps, "the expectation");
}
