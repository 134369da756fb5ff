/*
 * lsp.c - the LSP client.
 *
 * One pump reads what the server wrote, cuts it into Content-Length frames, and handles each
 * message at once: the server's requests are answered, progress tokens, diagnostics and
 * notifications are noted (with the number of the message that brought them), responses
 * are kept until claimed.  Every wait is the pump plus a condition over those notes, so a
 * server that asks something while we wait never deadlocks us.
 */
#include "runners/lsp.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "runners/proc.h"

#define MAX_HEADER 8192

struct token {
	char *key; /* the token as JSON text: strings and numbers both work */
	int begun, ended;
};

struct pending {
	long id;
	char *method;
	int answered;
	json_t *result, *error;
};

struct seen {
	char *key;  /* a notification method, or a diagnostics URI */
	long seq;   /* the message number that brought it */
	int version; /* diagnostics: the version the server sent, or -1 */
	int nonempty;
	long count;  /* how many have come since the start */
	int errors, warnings; /* diagnostics: what the latest publish for the URI holds */
	char *first_error;    /* ... and its first error, "URI:LINE: message" (NULL: none) */
};

struct lsp {
	struct proc *p;
	json_t *settings;
	struct lsp_framer in; /* what the server wrote, not yet a whole message */
	long next_id, received;
	double last_activity; /* the last message received or sent (now_mono) */
	double send_timeout; /* for a message to the server; 0: 30 s */
	struct token *tokens;
	size_t n_tokens;
	struct pending *pending;
	size_t n_pending;
	struct seen *notes, *diags;
	size_t n_notes, n_diags;
	long last_kick_start, last_kick_done;
	char last_wait[512];
};

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int lsp_new(struct lsp **out, struct proc *p, json_t *settings, struct lb_error *err)
{
	struct lsp *l = calloc(1, sizeof(*l));
	if (!l)
		return lb_error_oom(err);
	l->p = p;
	l->settings = settings ? json_incref(settings) : json_object();
	l->next_id = 1;
	l->last_activity = now_mono();
	*out = l;
	return 0;
}

void lsp_set_limits(struct lsp *l, size_t max_message, double timeout_s)
{
	l->in.max_body = max_message;
	l->send_timeout = timeout_s;
}

void lsp_free(struct lsp *l)
{
	if (!l)
		return;
	json_decref(l->settings);
	lsp_framer_release(&l->in);
	for (size_t i = 0; i < l->n_tokens; i++)
		free(l->tokens[i].key);
	free(l->tokens);
	for (size_t i = 0; i < l->n_pending; i++) {
		free(l->pending[i].method);
		json_decref(l->pending[i].result);
		json_decref(l->pending[i].error);
	}
	free(l->pending);
	for (size_t i = 0; i < l->n_notes; i++)
		free(l->notes[i].key);
	free(l->notes);
	for (size_t i = 0; i < l->n_diags; i++) {
		free(l->diags[i].key);
		free(l->diags[i].first_error);
	}
	free(l->diags);
	free(l);
}

long lsp_received_count(const struct lsp *l)
{
	return l->received;
}

const char *lsp_last_wait(const struct lsp *l)
{
	return l->last_wait;
}

char *lsp_uri(const char *abs_path)
{
	size_t n = strlen(abs_path);
	char *u = malloc(7 + 3 * n + 1), *o = u;
	if (!u)
		return NULL;
	o += sprintf(o, "file://");
	for (const unsigned char *c = (const unsigned char *)abs_path; *c; c++)
		if (isalnum(*c) || strchr("/-._~", *c))
			*o++ = (char)*c;
		else
			o += sprintf(o, "%%%02X", *c);
	*o = '\0';
	return u;
}

static int send_json(struct lsp *l, json_t *msg, struct lb_error *err)
{
	char *body = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!body)
		return lb_error_oom(err);
	char *frame;
	int n = asprintf(&frame, "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
	free(body);
	if (n < 0)
		return lb_error_oom(err);
	int rc = proc_send(l->p, frame, l->send_timeout > 0 ? l->send_timeout : 30, err);
	free(frame);
	/* what we send is activity too: a didOpen gives the server work that it may not have
	 * begun to report when a `wait idle` right after it looks, and quiet counted from its
	 * last message (a settle ago) would hold at once, before any of that work */
	l->last_activity = now_mono();
	return rc;
}

int lsp_request(struct lsp *l, const char *method, json_t *params, long *id, struct lb_error *err)
{
	long rid = l->next_id++;
	struct pending *p = realloc(l->pending, (l->n_pending + 1) * sizeof(*p));
	if (!p) {
		json_decref(params);
		return lb_error_oom(err);
	}
	l->pending = p;
	p[l->n_pending] = (struct pending){rid, strdup(method), 0, NULL, NULL};
	l->n_pending++;
	if (id)
		*id = rid;
	json_t *msg = params ? json_pack("{s:s, s:I, s:s, s:o}", "jsonrpc", "2.0", "id", (json_int_t)rid,
					 "method", method, "params", params)
			     : json_pack("{s:s, s:I, s:s}", "jsonrpc", "2.0", "id", (json_int_t)rid, "method", method);
	return send_json(l, msg, err);
}

int lsp_notify(struct lsp *l, const char *method, json_t *params, struct lb_error *err)
{
	/* no params at all rather than "params": null (exit has none; some servers choke) */
	json_t *msg = params ? json_pack("{s:s, s:s, s:o}", "jsonrpc", "2.0", "method", method, "params", params)
			     : json_pack("{s:s, s:s}", "jsonrpc", "2.0", "method", method);
	return send_json(l, msg, err);
}

static struct seen *note(struct seen **arr, size_t *n, const char *key)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*arr)[i].key, key) == 0)
			return &(*arr)[i];
	struct seen *p = realloc(*arr, (*n + 1) * sizeof(*p));
	if (!p)
		return NULL;
	*arr = p;
	p[*n] = (struct seen){strdup(key), 0, -1, 0, 0, 0, 0, NULL};
	if (!p[*n].key)
		return NULL;
	return &p[(*n)++];
}

/* What a publishDiagnostics for d's URI holds now (it replaces the previous one): errors
 * (severity 1, or none given, which the protocol leaves to the client), warnings (2), the
 * first error as "URI:LINE: message" (its first line).  Nonzero when out of memory. */
static int count_diagnostics(struct seen *d, json_t *list)
{
	d->errors = d->warnings = 0;
	free(d->first_error);
	d->first_error = NULL;
	size_t i;
	json_t *diag;
	json_array_foreach(list, i, diag) {
		json_t *sev = json_object_get(diag, "severity");
		int severity = json_is_integer(sev) ? (int)json_integer_value(sev) : 1;
		d->errors += severity == 1;
		d->warnings += severity == 2;
		if (severity != 1 || d->first_error)
			continue;
		const char *msg = json_string_value(json_object_get(diag, "message"));
		json_t *line = json_object_get(json_object_get(json_object_get(diag, "range"), "start"), "line");
		int n = (int)strcspn(msg ? msg : "", "\n");
		if (asprintf(&d->first_error, "%s:%lld: %.*s", d->key, (long long)json_integer_value(line) + 1, n,
			     msg ? msg : "") < 0) {
			d->first_error = NULL;
			return -1;
		}
	}
	return 0;
}

void lsp_diagnostics(const struct lsp *l, long *errors, long *warnings, const char **first)
{
	*errors = *warnings = 0;
	if (first)
		*first = NULL;
	for (size_t i = 0; i < l->n_diags; i++) {
		*errors += l->diags[i].errors;
		*warnings += l->diags[i].warnings;
		if (first && !*first)
			*first = l->diags[i].first_error;
	}
}

static struct token *token_of(struct lsp *l, json_t *tok)
{
	char *key = json_dumps(tok, JSON_ENCODE_ANY | JSON_COMPACT);
	if (!key)
		return NULL;
	for (size_t i = 0; i < l->n_tokens; i++)
		if (strcmp(l->tokens[i].key, key) == 0) {
			free(key);
			return &l->tokens[i];
		}
	struct token *p = realloc(l->tokens, (l->n_tokens + 1) * sizeof(*p));
	if (!p) {
		free(key);
		return NULL;
	}
	l->tokens = p;
	p[l->n_tokens] = (struct token){key, 0, 0};
	return &p[l->n_tokens++];
}

/* The server asked something: answer at once. */
static int answer(struct lsp *l, json_t *id, const char *method, json_t *params, struct lb_error *err)
{
	json_t *result = NULL;
	if (!strcmp(method, "window/workDoneProgress/create")) {
		token_of(l, json_object_get(params, "token")); /* known, not begun */
		result = json_null();
	} else if (!strcmp(method, "client/registerCapability") ||
		   !strcmp(method, "client/unregisterCapability") ||
		   !strcmp(method, "window/showMessageRequest") || !strcmp(method, "window/showDocument")) {
		result = json_null();
	} else if (!strcmp(method, "workspace/configuration")) {
		/* exactly one settings object per item asked (HLS parses each as an object) */
		result = json_array();
		size_t n = json_array_size(json_object_get(params, "items"));
		for (size_t i = 0; i < (n ? n : 1); i++)
			json_array_append(result, l->settings);
	} else if (!strcmp(method, "workspace/applyEdit")) {
		result = json_pack("{s:b}", "applied", 0);
	} else if (!strcmp(method, "workspace/workspaceFolders")) {
		result = json_array();
	}
	json_t *msg = result ? json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id, "result", result)
			     : json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", id, "error", "code",
					 -32601, "message", "method not supported by leakbench");
	return send_json(l, msg, err);
}

static int handle(struct lsp *l, json_t *msg, struct lb_error *err)
{
	l->received++;
	l->last_activity = now_mono();
	json_t *id = json_object_get(msg, "id");
	const char *method = json_string_value(json_object_get(msg, "method"));
	json_t *params = json_object_get(msg, "params");
	if (method && id)
		return answer(l, id, method, params, err);
	if (method) {
		if (!strcmp(method, "$/progress")) {
			const char *kind = json_string_value(json_object_get(json_object_get(params, "value"), "kind"));
			/* a token never created is accepted too (pylsp does that) */
			struct token *t = token_of(l, json_object_get(params, "token"));
			if (!t)
				return lb_error_oom(err);
			if (kind && !strcmp(kind, "begin"))
				t->begun = 1, t->ended = 0;
			else if (kind && !strcmp(kind, "end"))
				t->ended = 1;
			return 0;
		}
		if (!strcmp(method, "textDocument/publishDiagnostics")) {
			const char *uri = json_string_value(json_object_get(params, "uri"));
			struct seen *d = uri ? note(&l->diags, &l->n_diags, uri) : NULL;
			if (uri && !d)
				return lb_error_oom(err);
			if (d) {
				d->seq = l->received;
				d->count++;
				json_t *v = json_object_get(params, "version");
				d->version = json_is_integer(v) ? (int)json_integer_value(v) : -1;
				if (count_diagnostics(d, json_object_get(params, "diagnostics")))
					return lb_error_oom(err);
			}
		}
		struct seen *s = note(&l->notes, &l->n_notes, method);
		if (!s)
			return lb_error_oom(err);
		s->seq = l->received;
		s->count++;
		s->nonempty = json_is_array(params) ? json_array_size(params) > 0 : params != NULL;
		if (!strcmp(method, "kick/start"))
			l->last_kick_start = l->received;
		if (!strcmp(method, "kick/done") && s->nonempty)
			l->last_kick_done = l->received;
		return 0;
	}
	if (json_is_integer(id)) {
		long rid = (long)json_integer_value(id);
		for (size_t i = 0; i < l->n_pending; i++)
			if (l->pending[i].id == rid && !l->pending[i].answered) {
				l->pending[i].answered = 1;
				l->pending[i].result = json_incref(json_object_get(msg, "result"));
				l->pending[i].error = json_incref(json_object_get(msg, "error"));
				return 0;
			}
	}
	return 0; /* an answer to nothing we asked: ignore */
}

int lsp_framer_feed(struct lsp_framer *f, const char *data, size_t len, struct lb_error *err)
{
	if (!len)
		return 0;
	if (f->n + len + 1 > f->cap) {
		size_t ncap = (f->n + len + 1) * 2;
		char *p = realloc(f->buf, ncap);
		if (!p)
			return lb_error_oom(err);
		f->buf = p;
		f->cap = ncap;
	}
	memcpy(f->buf + f->n, data, len);
	f->n += len;
	f->buf[f->n] = '\0';
	return 0;
}

void lsp_framer_release(struct lsp_framer *f)
{
	free(f->buf);
	f->buf = NULL;
	f->n = f->cap = 0;
}

int lsp_framer_next(struct lsp_framer *f, json_t **msg, struct lb_error *err)
{
	*msg = NULL;
	const char *who = f->who ? f->who : "the server";
	char *end = f->n ? memmem(f->buf, f->n, "\r\n\r\n", 4) : NULL;
	if (!end) {
		if (f->n > MAX_HEADER)
			return lb_error_set(err, LB_EIO, "%s wrote a malformed header (no blank line in %d bytes): "
					    "'%.60s'", who, MAX_HEADER, f->buf);
		return 0;
	}
	long length = -1;
	for (char *line = f->buf; line < end;) {
		char *eol = memmem(line, (size_t)(end - line) + 2, "\r\n", 2);
		char *colon = memchr(line, ':', (size_t)(eol - line));
		if (!colon)
			return lb_error_set(err, LB_EIO, "%s wrote a malformed header line: '%.*s'", who,
					    (int)(eol - line > 60 ? 60 : eol - line), line);
		if ((size_t)(colon - line) == 14 && !strncasecmp(line, "Content-Length", 14)) {
			char *num_end;
			size_t max = f->max_body ? f->max_body : LSP_MAX_MESSAGE;
			errno = 0;
			length = strtol(colon + 1, &num_end, 10);
			if (num_end == colon + 1 || length < 0)
				return lb_error_set(err, LB_EIO, "%s wrote a bad Content-Length: '%.*s'", who,
						    (int)(eol - line), line);
			if (errno == ERANGE || (unsigned long)length > max)
				return lb_error_set(err, LB_EIO, "%s announced a message of %.*s bytes, more than the "
						    "largest taken (%zu bytes; the scenario's max-message sets it)",
						    who, (int)(eol - colon - 2 > 24 ? 24 : eol - colon - 2), colon + 2, max);
		}
		line = eol + 2;
	}
	if (length < 0)
		return lb_error_set(err, LB_EIO, "%s wrote a header without Content-Length: '%.60s'", who, f->buf);
	size_t head = (size_t)(end - f->buf) + 4;
	if (f->n - head < (size_t)length)
		return 0;
	json_error_t je;
	*msg = json_loadb(f->buf + head, (size_t)length, 0, &je);
	if (!*msg)
		return lb_error_set(err, LB_EIO, "%s wrote invalid JSON (%s): '%.60s'", who, je.text, f->buf + head);
	memmove(f->buf, f->buf + head + length, f->n - head - (size_t)length);
	f->n -= head + (size_t)length;
	return 1;
}

/* Read and handle messages until `until` (monotonic) or until one arrives when `once`. */
static int pump(struct lsp *l, double until, int once, struct lb_error *err)
{
	for (;;) {
		json_t *msg;
		int rc = lsp_framer_next(&l->in, &msg, err);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			rc = handle(l, msg, err);
			json_decref(msg);
			if (rc || once)
				return rc;
			continue;
		}
		double now = now_mono();
		if (now >= until)
			return 0;
		char *data;
		size_t len;
		if ((rc = proc_take(l->p, until - now, &data, &len, err))) {
			if (rc == LB_EIO && l->in.n)
				return lb_error_set(err, LB_EIO, "the server ended in the middle of a message "
								 "(a body shorter than its Content-Length?)");
			return rc == LB_EIO ? lb_error_set(err, LB_EIO, "the server has exited") : rc;
		}
		rc = lsp_framer_feed(&l->in, data, len, err);
		free(data);
		if (rc)
			return rc;
	}
}

/* The condition a wait waits for: 1 when met. */
typedef int (*cond_fn)(struct lsp *l, const void *arg);

static int wait_for(struct lsp *l, cond_fn cond, const void *arg, double timeout_s, const char *what,
		    struct lb_error *err)
{
	double until = now_mono() + timeout_s;
	for (;;) {
		if (cond(l, arg))
			return 0;
		double now = now_mono();
		if (now >= until)
			return lb_error_set(err, LB_ETIMEOUT, "waited %gs for %s: it did not come", timeout_s, what);
		/* wake at least every 50 ms: quiet periods end by time, not by messages */
		int rc = pump(l, fmin(until, now + 0.05), 1, err);
		if (rc)
			return lb_error_prefix(err, "waiting for %s: ", what);
	}
}

struct resp_arg {
	long id;
};

static int have_response(struct lsp *l, const void *arg)
{
	long id = ((const struct resp_arg *)arg)->id;
	for (size_t i = 0; i < l->n_pending; i++)
		if (l->pending[i].id == id)
			return l->pending[i].answered;
	return 1; /* unknown id: nothing to wait for */
}

int lsp_wait_response(struct lsp *l, long id, json_t **result, double timeout_s, struct lb_error *err)
{
	if (result)
		*result = NULL;
	struct resp_arg a = {id};
	char what[160] = "a response";
	for (size_t i = 0; i < l->n_pending; i++)
		if (l->pending[i].id == id)
			snprintf(what, sizeof(what), "the response to %s (id %ld)", l->pending[i].method, id);
	int rc = wait_for(l, have_response, &a, timeout_s, what, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < l->n_pending; i++) {
		struct pending *p = &l->pending[i];
		if (p->id != id)
			continue;
		if (p->error) {
			rc = lb_error_set(err, LB_EINVAL, "the server answered %s with an error: %s", p->method,
					  json_string_value(json_object_get(p->error, "message")) ?: "?");
		} else if (result) {
			*result = p->result;
			p->result = NULL;
		}
		snprintf(l->last_wait, sizeof(l->last_wait), "response to %s (id %ld)", p->method, id);
		free(p->method);
		json_decref(p->result);
		json_decref(p->error);
		l->pending[i] = l->pending[--l->n_pending];
		return rc;
	}
	return 0;
}

struct idle_arg {
	double quiet;
};

static int is_idle(struct lsp *l, const void *arg)
{
	for (size_t i = 0; i < l->n_tokens; i++)
		if (l->tokens[i].begun && !l->tokens[i].ended)
			return 0;
	for (size_t i = 0; i < l->n_pending; i++)
		if (!l->pending[i].answered)
			return 0;
	return now_mono() - l->last_activity >= ((const struct idle_arg *)arg)->quiet;
}

int lsp_wait_idle(struct lsp *l, double quiet_s, double timeout_s, struct lb_error *err)
{
	struct idle_arg a = {quiet_s};
	int rc = wait_for(l, is_idle, &a, timeout_s, "idle (every progress ended, nothing outstanding, quiet)", err);
	if (rc) {
		size_t open = 0;
		for (size_t i = 0; i < l->n_tokens; i++)
			open += l->tokens[i].begun && !l->tokens[i].ended;
		if (rc == LB_ETIMEOUT)
			lb_error_prefix(err, "%zu progress token%s still open; ", open, open == 1 ? "" : "s");
		return rc;
	}
	snprintf(l->last_wait, sizeof(l->last_wait), "idle: all progress ended, %gs quiet", quiet_s);
	return 0;
}

struct diag_arg {
	const char *uri;
	long after;
	int version;
};

static int have_diags(struct lsp *l, const void *arg)
{
	const struct diag_arg *a = arg;
	for (size_t i = 0; i < l->n_diags; i++)
		if (!strcmp(l->diags[i].key, a->uri))
			return l->diags[i].seq > a->after &&
			       (a->version < 0 || l->diags[i].version < 0 || l->diags[i].version >= a->version);
	return 0;
}

int lsp_wait_diagnostics(struct lsp *l, const char *uri, long after, int version, double timeout_s,
			 struct lb_error *err)
{
	struct diag_arg a = {uri, after, version};
	char what[600];
	snprintf(what, sizeof(what), "diagnostics for %s", uri);
	int rc = wait_for(l, have_diags, &a, timeout_s, what, err);
	if (!rc)
		snprintf(l->last_wait, sizeof(l->last_wait), "publishDiagnostics for %s", uri);
	return rc;
}

struct note_arg {
	const char *method;
	long after;
};

static int have_note(struct lsp *l, const void *arg)
{
	const struct note_arg *a = arg;
	if (!strcmp(a->method, "kick/done")) /* the kick the edit started, not a cancelled one */
		return l->last_kick_start > a->after && l->last_kick_done > l->last_kick_start;
	for (size_t i = 0; i < l->n_notes; i++)
		if (!strcmp(l->notes[i].key, a->method))
			return l->notes[i].seq > a->after;
	return 0;
}

int lsp_wait_notification(struct lsp *l, const char *method, long after, double timeout_s,
			  struct lb_error *err)
{
	struct note_arg a = {method, after};
	char what[300];
	snprintf(what, sizeof(what), "the notification %s", method);
	int rc = wait_for(l, have_note, &a, timeout_s, what, err);
	if (!rc)
		snprintf(l->last_wait, sizeof(l->last_wait), "notification %s", method);
	return rc;
}

struct count_arg {
	const char *method, *uri;
	long n;
};

static int have_count(struct lsp *l, const void *arg)
{
	const struct count_arg *a = arg;
	const struct seen *arr = a->uri ? l->diags : l->notes;
	size_t n = a->uri ? l->n_diags : l->n_notes;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(arr[i].key, a->uri ? a->uri : a->method))
			return arr[i].count >= a->n;
	return 0;
}

int lsp_wait_count(struct lsp *l, const char *method, const char *uri, long n, double timeout_s,
		   struct lb_error *err)
{
	struct count_arg a = {method, uri, n};
	char what[700];
	snprintf(what, sizeof(what), "%s number %ld%s%s", uri ? "diagnostics" : method, n, uri ? " for " : "",
		 uri ? uri : "");
	int rc = wait_for(l, have_count, &a, timeout_s, what, err);
	if (!rc)
		snprintf(l->last_wait, sizeof(l->last_wait), "%.500s", what);
	return rc;
}

int lsp_serve(struct lsp *l, double seconds, struct lb_error *err)
{
	return pump(l, now_mono() + seconds, 0, err);
}

int lsp_initialize(struct lsp *l, const char *root_uri, json_t *init_options, double timeout_s,
		   struct lb_error *err)
{
	json_t *caps = json_pack(
		"{s:{s:b, s:b, s:{s:b}, s:{s:b}, s:b}, s:{s:{s:b, s:b}, s:{s:b}, s:{s:[s,s]},"
		" s:{}, s:{}, s:{}, s:{}}, s:{s:b}}",
		"workspace", "configuration", 1, "applyEdit", 1, "didChangeConfiguration", "dynamicRegistration", 1,
		"didChangeWatchedFiles", "dynamicRegistration", 1, "workspaceFolders", 0, "textDocument",
		"synchronization", "didSave", 1, "dynamicRegistration", 0, "publishDiagnostics",
		"versionSupport", 1, "hover", "contentFormat", "markdown", "plaintext", "completion",
		"definition", "documentSymbol", "codeAction", "window", "workDoneProgress", 1);
	json_t *params = json_pack("{s:i, s:s, s:o, s:s}", "processId", (int)getpid(), "rootUri", root_uri,
				   "capabilities", caps, "trace", "off");
	if (!params)
		return lb_error_oom(err);
	if (init_options)
		json_object_set(params, "initializationOptions", init_options);
	long id;
	json_t *result = NULL;
	int rc = lsp_request(l, "initialize", params, &id, err);
	if (!rc)
		rc = lsp_wait_response(l, id, &result, timeout_s, err);
	json_decref(result);
	if (!rc)
		rc = lsp_notify(l, "initialized", json_object(), err);
	return rc ? lb_error_prefix(err, "initialize: ") : 0;
}

int lsp_shutdown(struct lsp *l, double timeout_s, struct lb_error *err)
{
	long id;
	int rc = lsp_request(l, "shutdown", NULL, &id, err);
	if (!rc)
		rc = lsp_wait_response(l, id, NULL, timeout_s, err);
	if (!rc)
		rc = lsp_notify(l, "exit", NULL, err);
	return rc ? lb_error_prefix(err, "shutdown: ") : 0;
}
