/*
 * scenario.c - the scenario parser: directives, validation, the line loop and the public
 * API (the words are scn_lex.c's, steps and expectations scn_steps.c's).
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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "scenarios/scn_parse.h"

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
	if (sp_next_token(ps, &t))
		return ps->err->code;
	if (cb->kind != SCN_CODEBASE_NONE) {
		free(t.text);
		return sp_fail(ps, 1, "a second codebase line (a scenario has one codebase)");
	}
	cb->line = ps->lx.line;
	if (t.kind == TOK_WORD && strcmp(t.text, "generate") == 0) {
		free(t.text);
		cb->kind = SCN_CODEBASE_GENERATE;
		struct gen_params scratch;
		gen_defaults(&scratch);
		for (;;) {
			if (sp_next_token(ps, &t))
				return ps->err->code;
			if (t.kind == TOK_END)
				return 0;
			/* checked by the generator itself, so the scenario and `leakbench gen`
			 * accept exactly the same parameters */
			char *eq = t.kind == TOK_WORD ? strchr(t.text, '=') : NULL;
			struct lb_error gerr = {0};
			if (!eq) {
				int rc = sp_fail(ps, t.col, "expected KEY=VALUE (e.g. modules=120), found %s",
					      sp_tok_desc(&t));
				free(t.text);
				return rc;
			}
			*eq = '\0';
			int bad = gen_param_set(&scratch, t.text, eq + 1, "", &gerr);
			*eq = '=';
			if (bad) {
				int rc = sp_fail(ps, t.col, "%s", gerr.msg);
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
		if (sp_want_text(ps, &cb->dir, "the codebase's directory"))
			return ps->err->code;
		return sp_want_end(ps, "the directory");
	}
	if (t.kind == TOK_WORD && strcmp(t.text, "tarball") == 0) {
		free(t.text);
		cb->kind = SCN_CODEBASE_TARBALL;
		if (sp_want_text(ps, &cb->url, "the tarball's URL"))
			return ps->err->code;
		if (sp_next_token(ps, &t))
			return ps->err->code;
		size_t hex = t.kind == TOK_WORD && strncmp(t.text, "sha256=", 7) == 0
				     ? strspn(t.text + 7, "0123456789abcdefABCDEF")
				     : 0;
		if (hex != 64 || t.text[7 + 64]) {
			int rc = sp_fail(ps, t.col, "expected sha256=<64 hex digits> after the URL, found %s",
				      sp_tok_desc(&t));
			free(t.text);
			return rc;
		}
		cb->sha256 = strdup(t.text + 7);
		free(t.text);
		if (!cb->sha256)
			return lb_error_oom(ps->err);
		return sp_want_end(ps, "the checksum");
	}
	int rc = sp_fail(ps, t.col, "expected generate, dir or tarball after codebase, found %s", sp_tok_desc(&t));
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
		if (sp_want_text(ps, &sc->name, "the scenario's name"))
			return ps->err->code;
		return sp_want_end(ps, "the name");
	}
	if (strcmp(word, "runner") == 0) {
		char *r;
		sp_skip_blanks(&ps->lx);
		c = sp_col_of(&ps->lx, ps->lx.p);
		if (sp_want_text(ps, &r, "lsp, ghci or exec"))
			return ps->err->code;
		size_t i = 1;
		while (i < 4 && strcmp(r, runner_names[i]) != 0)
			i++;
		if (i == 4) {
			int rc = sp_fail(ps, c, "unknown runner '%s' (expected lsp, ghci or exec)", r);
			free(r);
			return rc;
		}
		free(r);
		sc->runner = (enum scn_runner)i;
		return sp_want_end(ps, "the runner");
	}
	if (strcmp(word, "codebase") == 0)
		return parse_codebase(ps);
	if (strcmp(word, "program") == 0) {
		free(sc->program);
		sc->program = NULL;
		if (sp_want_text(ps, &sc->program, "the program to run"))
			return ps->err->code;
		return sp_want_end(ps, "the program");
	}
	if (strcmp(word, "args") == 0 || strcmp(word, "rts") == 0) {
		char *rest = sp_rest_of_line(ps, &c);
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
		sp_skip_blanks(&ps->lx);
		c = sp_col_of(&ps->lx, ps->lx.p);
		if (sp_want_text(ps, &kv, "KEY=VALUE"))
			return ps->err->code;
		if (!strchr(kv, '=') || kv[0] == '=') {
			int rc = sp_fail(ps, c, "expected KEY=VALUE, found '%s'", kv);
			free(kv);
			return rc;
		}
		if (push_string(&sc->env, &sc->n_env, kv))
			return lb_error_oom(ps->err);
		return sp_want_end(ps, "the variable");
	}
	if (strcmp(word, "settings") == 0 || strcmp(word, "init-options") == 0) {
		char *rest = sp_rest_of_line(ps, &c);
		if (!rest)
			return lb_error_oom(ps->err);
		json_error_t je;
		json_t *j = json_loads(rest, 0, &je);
		if (!json_is_object(j)) {
			json_decref(j);
			int rc = sp_fail(ps, c + (j ? 0 : je.column > 0 ? je.column - 1 : 0),
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
		sp_skip_blanks(&ps->lx);
		c = sp_col_of(&ps->lx, ps->lx.p);
		if (sp_want_text(ps, &v, "fail or note"))
			return ps->err->code;
		int ok = !strcmp(v, "fail") || !strcmp(v, "note");
		sc->compile_errors_fail = !strcmp(v, "fail");
		if (!ok) {
			int rc = sp_fail(ps, c, "expected fail or note after compile-errors, found '%s'", v);
			free(v);
			return rc;
		}
		free(v);
		return sp_want_end(ps, "compile-errors");
	}
	if (strcmp(word, "marks") == 0) {
		char *what;
		sp_skip_blanks(&ps->lx);
		c = sp_col_of(&ps->lx, ps->lx.p);
		if (sp_want_text(ps, &what, "program (the target's own traceMarker marks)"))
			return ps->err->code;
		int ok = !strcmp(what, "program");
		free(what);
		if (!ok)
			return sp_fail(ps, c, "expected `marks program` (the target's own traceMarker marks)");
		sc->marks_program = 1;
		return sp_want_end(ps, "marks program");
	}
	if (strcmp(word, "exit-codes") == 0) {
		char *list;
		sp_skip_blanks(&ps->lx);
		c = sp_col_of(&ps->lx, ps->lx.p);
		if (sp_want_text(ps, &list, "the exit statuses that are normal (such as 0,1)"))
			return ps->err->code;
		int bad = text_exit_codes(list, sc->ok_exits);
		free(list);
		if (bad)
			return sp_fail(ps, c, "expected exit statuses from 0 to 255 separated by commas (such as 0,1)");
		sc->has_ok_exits = 1;
		return sp_want_end(ps, "the exit statuses");
	}
	if (strcmp(word, "max-message") == 0) {
		int kind;
		sp_skip_blanks(&ps->lx);
		c = sp_col_of(&ps->lx, ps->lx.p);
		if (sp_parse_value(ps, "the largest message", &sc->max_message, &kind))
			return ps->err->code;
		if (kind == 1 || sc->max_message < 1024 || sc->max_message > 4.0 * 1073741824)
			return sp_fail(ps, c, "max-message is a size between 1KiB and 4GiB (such as 256MiB)");
		return sp_want_end(ps, "max-message");
	}
	if (strcmp(word, "timeout") == 0) {
		if (sp_parse_duration(ps, "the timeout", &sc->timeout))
			return ps->err->code;
		return sp_want_end(ps, "the timeout");
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

/* Whether some `mark NAME VALUE` carries a value. */
static int mark_has_value(const struct scn_scenario *sc, const char *name)
{
	for (size_t i = 0; i < sc->n_steps; i++)
		if (sc->steps[i].kind == SCN_MARK && sc->steps[i].has_value && strcmp(sc->steps[i].name, name) == 0)
			return 1;
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
			return sp_fail(ps, 1, "no runner: add a line `runner lsp`, `runner ghci` or `runner exec` "
					   "before the steps");
		if (!(allowed_steps(sc->runner) & (1u << s->kind)))
			return sp_fail(ps, 1, "the step '%s' cannot be done by the %s runner",
				    scn_step_name(s->kind), scn_runner_name(sc->runner));
		if (s->kind == SCN_WAIT && !wait_fits(sc->runner, s->wait))
			return sp_fail(ps, 1, "this kind of wait does not apply to the %s runner",
				    scn_runner_name(sc->runner));
		if (s->kind == SCN_WAIT && s->wait == SCN_WAIT_RESPONSE && s->name) {
			size_t k = 0;
			while (k < i && !(sc->steps[k].kind == SCN_SEND && sc->steps[k].name &&
					  !strcmp(sc->steps[k].name, s->name)))
				k++;
			if (k == i)
				return sp_fail(ps, 1, "no earlier send has the id %s, so there is no response to wait for",
					    s->name);
		}
	}
	for (size_t i = 0; i < sc->n_expects; i++) {
		const struct scn_expect *e = &sc->expects[i];
		ps->lx.line = e->line;
		const char *names[] = {e->per_seconds > 0 ? NULL : e->per, e->after, e->until};
		for (size_t k = 0; k < 3; k++)
			if (names[k] && !has_mark(sc, names[k]) && !sc->marks_program)
				return sp_fail(ps, 1, "no step `mark %s` in this scenario, so '%s' cannot refer to it "
						      "(or say `marks program` to use the program's own traceMarker marks)",
					    names[k], names[k]);
		if (e->kind == SCN_EXPECT_EXPONENT && !mark_has_value(sc, e->per) && !(sc->marks_program && !has_mark(sc, e->per)))
			return sp_fail(ps, 1, "an exponent needs sizes: give the `%s` marks values (mark %s 101)", e->per,
				       e->per);
		if (e->kind == SCN_EXPECT_DIAGNOSTICS && sc->runner != SCN_RUNNER_LSP)
			return sp_fail(ps, 1, "diagnostics come from a language server: this expectation needs `runner lsp`");
	}
	return 0;
}

static int parse_line(struct parser *ps)
{
	struct token t;
	if (sp_next_token(ps, &t))
		return ps->err->code;
	if (t.kind == TOK_END)
		return 0;
	if (t.kind != TOK_WORD) {
		int rc = sp_fail(ps, t.col, "expected a directive or a step, found a %s",
			      t.kind == TOK_STRING ? "string" : "regex");
		free(t.text);
		return rc;
	}
	int rc = 0, handled;
	if (strcmp(t.text, "repeat") == 0) {
		int n;
		if (ps->depth == MAX_DEPTH)
			rc = sp_fail(ps, t.col, "repeats nest at most %d deep", MAX_DEPTH);
		else if (!(rc = sp_parse_int(ps, "how many times to repeat", 1, &n)) &&
			 !(rc = sp_want_end(ps, "the count")))
			ps->stack[ps->depth++] = (struct block){ps->sc->n_steps, n, ps->lx.line};
	} else if (strcmp(t.text, "end") == 0) {
		if (ps->depth == 0)
			rc = sp_fail(ps, t.col, "'end' without a repeat");
		else if (!(rc = sp_want_end(ps, "end")))
			rc = sp_unroll(ps, &ps->stack[--ps->depth], t.col);
	} else if (strcmp(t.text, "expect") == 0) {
		rc = sp_parse_expect(ps);
	} else if ((rc = parse_directive(ps, t.text, t.col, &handled)) == 0 && !handled) {
		int k = sp_step_kind(t.text);
		if (k >= 0)
			rc = sp_parse_step(ps, (enum scn_step_kind)k);
		else
			rc = sp_fail(ps, t.col,
				  "unknown keyword '%s' (expected a directive: scenario, runner, codebase, "
				  "program, args, rts, env, timeout, max-message, exit-codes, marks, compile-errors, settings, init-options; a step: "
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
		sp_step_free(&sc->steps[i]);
	free(sc->steps);
	for (size_t i = 0; i < sc->n_expects; i++)
		sp_expect_free(&sc->expects[i]);
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

/* The metrics runs store (runners/collect.c, session.c, exec.c, run_lsp.c; results/expect.c
 * adds the leak verdicts).  Kept here, with the language that names them. */
static const char *const run_metrics[] = {
	"settled_live_bytes", "max_live_bytes", "allocated_bytes", "max_mem_in_use_bytes", "peak_rss_bytes", "sampled_peak_rss_bytes",
	"gc_cpu_seconds", "gc_wall_seconds", "wall_seconds", "user_cpu_seconds", "sys_cpu_seconds", "copied_bytes",
	"gcs", "major_gcs", "live_bytes_slope_per_step", "checkpoints", "checkpoints_measured", "early_waits",
	"leak_suspected", "leak_inconclusive", NULL};
static const char *const step_metrics[] = {
	"live_bytes", "peak_live_bytes", "allocated_bytes", "rss_bytes", "peak_rss_bytes", "latency_seconds",
	"done_seconds", "diagnostics_errors", "diagnostics_warnings", NULL};

int scn_metric_known(const char *name, int per_step, const char **nearest)
{
	const char *const *list = per_step ? step_metrics : run_metrics;
	*nearest = NULL;
	if (!per_step && (!strncmp(name, "rts.", 4) || !strncmp(name, "eventlog.", 9) ||
			  !strncmp(name, "census_growth:", 14) || !strncmp(name, "leak_", 5) ||
			  !strncmp(name, "slope:", 6) || !strncmp(name, "exponent:", 9) || !strncmp(name, "peak:", 5)))
		return 1;
	size_t n = strlen(name), best = SIZE_MAX;
	for (size_t i = 0; list[i]; i++) {
		size_t l = strlen(list[i]);
		if (!strcmp(name, list[i]))
			return 1;
		/* a metric's interval: NAME_lo, NAME_hi */
		if (!per_step && n == l + 3 && !strncmp(name, list[i], l) && (!strcmp(name + l, "_lo") || !strcmp(name + l, "_hi")))
			return 1;
		size_t d = text_distance(name, list[i]);
		if (d < best)
			best = d, *nearest = list[i];
	}
	if (best > 3 && best * 3 > n)
		*nearest = NULL; /* nothing close */
	return 0;
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
	sc->max_message = SCN_MAX_MESSAGE;
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
		rc = sp_fail(&ps, 1, "this repeat has no 'end'");
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
	/* a relative `codebase dir` is beside the scenario, as config paths are beside theirs,
	 * not wherever leakbench was started */
	struct scn_codebase *cb = rc ? NULL : &(*out)->codebase;
	const char *slash = strrchr(path, '/');
	if (cb && cb->kind == SCN_CODEBASE_DIR && cb->dir[0] != '/' && slash) {
		char *beside;
		if (asprintf(&beside, "%.*s/%s", (int)(slash - path), path, cb->dir) < 0) {
			scn_free(*out);
			*out = NULL;
			return lb_error_oom(err);
		}
		free(cb->dir);
		cb->dir = beside;
	}
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
