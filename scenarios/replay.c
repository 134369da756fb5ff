/*
 * replay.c - turning a recorded LSP session (`leakbench record`) into a scenario that
 * plays the editor's part again.
 *
 * The design choice: a replay is an ordinary scenario, written in the scenario language and
 * parsed by the same parser, so it is measured, stored, aligned and shown like any other
 * run, and a user can read (and keep, and edit) exactly what was replayed: it is saved in
 * the run's folder as replay.scn.
 *
 * What the editor did is re-sent in order (`send`), with the recording's root URI written
 * as {root}, so the messages point into the codebase being served now.  The editor's own
 * handshake (initialize, initialized, shutdown, exit) and its answers to the server's
 * requests are left to the LSP runner, which does both itself.  Before each message the
 * replay waits for what the editor had seen before sending it in the original: the
 * responses to its requests (by the recorded id, which the runner maps to its own), the
 * n-th publishDiagnostics for a file and the n-th kick/done (by count, since a server
 * publishes when it likes), then the editor's think time (cut to --max-pause).
 */
#include "scenarios/replay.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Something the editor had seen before its next message. */
struct await {
	enum { AW_RESPONSE, AW_DIAGNOSTICS, AW_KICK } kind;
	char *key;  /* the request id as compact JSON; the file relative to the root */
	long count; /* diagnostics, kick: how many had come by then */
};

struct replay {
	const char *path;
	FILE *out;        /* the scenario text */
	char *root;       /* the recording's root URI, without a trailing '/' */
	char **requests;  /* ids (compact JSON) of the requests the replay sends */
	size_t n_requests;
	struct diag {
		char *file;   /* a file that got diagnostics */
		long count;   /* how many so far */
	} *diags;
	size_t n_diag;
	long kicks;
	struct await *awaits; /* seen since the last message sent */
	size_t n_awaits;
	double last_sent, last_seen; /* recording times */
	long sent;
	double max_pause;
};

static int push(void **arr, size_t *n, size_t size)
{
	void *p = realloc(*arr, (*n + 1) * size);
	if (!p)
		return -1;
	*arr = p;
	memset((char *)p + *n * size, 0, size);
	(*n)++;
	return 0;
}

/* Percent-decode a URI path part into a malloc'ed string. */
static char *uri_decode(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;
	for (; out && *s; s++) {
		unsigned v;
		if (*s == '%' && sscanf(s + 1, "%2x", &v) == 1 && s[1] && s[2]) {
			*o++ = (char)v;
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	if (out)
		*o = '\0';
	return out;
}

/* The file a URI names relative to the root, decoded; NULL when it is outside. */
static char *relative(const struct replay *rp, const char *uri)
{
	size_t rl = strlen(rp->root);
	if (strncmp(uri, rp->root, rl) != 0 || uri[rl] != '/' || !uri[rl + 1])
		return NULL;
	return uri_decode(uri + rl + 1);
}

/* `text` with the root URI replaced by {root} wherever a path boundary follows it. */
static char *rootless(const struct replay *rp, const char *text)
{
	size_t rl = strlen(rp->root), n = 0;
	for (const char *p = text; (p = strstr(p, rp->root)); p += rl)
		n++;
	char *out = malloc(strlen(text) + n * 6 + 1), *o = out;
	for (const char *p = text; out && *p;) {
		if (!strncmp(p, rp->root, rl) && (p[rl] == '/' || p[rl] == '"')) {
			o += sprintf(o, "{root}");
			p += rl;
		} else {
			*o++ = *p++;
		}
	}
	if (out)
		*o = '\0';
	return out;
}

static int add_await(struct replay *rp, int kind, const char *key, long count)
{
	/* a later count for the same file (or kick) supersedes the earlier one */
	for (size_t i = 0; i < rp->n_awaits; i++)
		if ((int)rp->awaits[i].kind == kind && kind != AW_RESPONSE &&
		    (kind == AW_KICK || !strcmp(rp->awaits[i].key, key))) {
			rp->awaits[i].count = count;
			return 0;
		}
	char *k = key ? strdup(key) : NULL;
	if ((key && !k) || push((void **)&rp->awaits, &rp->n_awaits, sizeof(*rp->awaits))) {
		free(k);
		return -1;
	}
	rp->awaits[rp->n_awaits - 1] = (struct await){kind, k, count};
	return 0;
}

/* Write the waits for what the editor had seen, then its think time. */
static void flush_awaits(struct replay *rp, double next_t)
{
	for (size_t i = 0; i < rp->n_awaits; i++) {
		const struct await *a = &rp->awaits[i];
		if (a->kind == AW_RESPONSE) {
			fprintf(rp->out, "wait response %s\n", a->key);
		} else if (a->kind == AW_KICK) {
			fprintf(rp->out, "wait notification kick/done count %ld\n", a->count);
		} else {
			json_t *js = json_string(a->key); /* a "string" in the scenario language */
			char *q = js ? json_dumps(js, JSON_ENCODE_ANY) : NULL;
			fprintf(rp->out, "wait diagnostics %s count %ld\n", q ? q : "\"?\"", a->count);
			free(q);
			json_decref(js);
		}
		free(a->key);
	}
	rp->n_awaits = 0;
	double think = next_t - fmax(rp->last_sent, rp->last_seen);
	if (!isnan(next_t) && think >= 0.001)
		fprintf(rp->out, "wait %.0fms\n", fmin(think, rp->max_pause) * 1000);
}

static long *diag_count(struct replay *rp, const char *file)
{
	for (size_t i = 0; i < rp->n_diag; i++)
		if (!strcmp(rp->diags[i].file, file))
			return &rp->diags[i].count;
	char *f = strdup(file);
	if (!f || push((void **)&rp->diags, &rp->n_diag, sizeof(*rp->diags))) {
		free(f);
		return NULL;
	}
	rp->diags[rp->n_diag - 1].file = f;
	return &rp->diags[rp->n_diag - 1].count;
}

static int is_request(const struct replay *rp, const char *key)
{
	for (size_t i = 0; i < rp->n_requests; i++)
		if (!strcmp(rp->requests[i], key))
			return 1;
	return 0;
}

/* What the server said: note what the editor will have seen. */
static int server_message(struct replay *rp, json_t *msg, double t)
{
	const char *method = json_string_value(json_object_get(msg, "method"));
	json_t *id = json_object_get(msg, "id");
	int rc = 0;
	if (!method && id) {
		char *key = json_dumps(id, JSON_ENCODE_ANY | JSON_COMPACT);
		if (!key)
			return -1;
		if (is_request(rp, key))
			rc = add_await(rp, AW_RESPONSE, key, 0);
		free(key);
	} else if (method && !id && !strcmp(method, "textDocument/publishDiagnostics")) {
		const char *uri = json_string_value(json_object_get(json_object_get(msg, "params"), "uri"));
		char *file = uri ? relative(rp, uri) : NULL;
		if (!file)
			return 0; /* outside the codebase: nothing to wait for here */
		long *c = diag_count(rp, file);
		rc = c ? add_await(rp, AW_DIAGNOSTICS, file, ++*c) : -1;
		free(file);
	} else if (method && !id && !strcmp(method, "kick/done")) {
		rc = add_await(rp, AW_KICK, NULL, ++rp->kicks);
	} else {
		return 0;
	}
	rp->last_seen = t;
	return rc;
}

/* What the editor said: the handshake and its answers are the runner's; the rest is sent. */
static int editor_message(struct replay *rp, json_t *msg, double t)
{
	const char *method = json_string_value(json_object_get(msg, "method"));
	json_t *id = json_object_get(msg, "id");
	if (!method)
		return 0; /* an answer to the server: the runner gives its own */
	static const char *const own[] = {"initialize", "initialized", "shutdown", "exit"};
	for (size_t i = 0; i < sizeof(own) / sizeof(*own); i++)
		if (!strcmp(method, own[i]))
			return 0;
	flush_awaits(rp, t);
	char *text = json_dumps(msg, JSON_COMPACT), *body = text ? rootless(rp, text) : NULL;
	free(text);
	if (!body)
		return -1;
	fprintf(rp->out, "send %s\n", body);
	free(body);
	if (id) {
		char *key = json_dumps(id, JSON_ENCODE_ANY | JSON_COMPACT);
		if (!key || push((void **)&rp->requests, &rp->n_requests, sizeof(char *))) {
			free(key);
			return -1;
		}
		rp->requests[rp->n_requests - 1] = key;
	}
	rp->last_sent = t;
	rp->sent++;
	return 0;
}

/* The root the editor opened, from initialize: rootUri, rootPath, or the first folder. */
static char *root_of(json_t *params)
{
	const char *uri = json_string_value(json_object_get(params, "rootUri"));
	json_t *folders = json_object_get(params, "workspaceFolders");
	if (!uri && json_array_size(folders))
		uri = json_string_value(json_object_get(json_array_get(folders, 0), "uri"));
	char *r = NULL;
	if (uri)
		r = strdup(uri);
	else if (json_string_value(json_object_get(params, "rootPath")) &&
		 asprintf(&r, "file://%s", json_string_value(json_object_get(params, "rootPath"))) < 0)
		r = NULL;
	size_t n = r ? strlen(r) : 0;
	while (n > 7 && r[n - 1] == '/')
		r[--n] = '\0';
	return r;
}

static int bad_line(const char *path, long line, const char *what, struct lb_error *err)
{
	return lb_error_set(err, LB_EINVAL, "%s:%ld: %s (expected {\"dir\":\"c2s\"|\"s2c\", \"t\":SECONDS, "
			    "\"msg\":{...}} as `leakbench record` writes)", path, line, what);
}

/* One pass over the recording: header, initialize, settings; every message in order. */
static int read_lines(struct replay *rp, FILE *in, json_t **header, json_t **init_params, json_t **settings,
		      struct lb_error *err)
{
	char *line = NULL;
	size_t cap = 0;
	long lineno = 0;
	ssize_t len;
	int rc = 0;
	char *config_ids[8]; /* the server's workspace/configuration requests, to find the answer */
	size_t n_config = 0;
	while (!rc && (len = getline(&line, &cap, in)) >= 0) {
		lineno++;
		if (len <= 1)
			continue;
		json_error_t je;
		json_t *j = json_loads(line, 0, &je);
		if (!json_is_object(j)) {
			char what[200];
			snprintf(what, sizeof(what), "not a JSON object%s%s", j ? "" : ": ", j ? "" : je.text);
			json_decref(j);
			rc = bad_line(rp->path, lineno, what, err);
			break;
		}
		if (json_object_get(j, "recording")) {
			if (!*header)
				*header = json_incref(j);
			json_decref(j);
			continue;
		}
		const char *dir = json_string_value(json_object_get(j, "dir"));
		json_t *t = json_object_get(j, "t"), *msg = json_object_get(j, "msg");
		if (!dir || (strcmp(dir, "c2s") && strcmp(dir, "s2c")))
			rc = bad_line(rp->path, lineno, "\"dir\" is missing or not c2s/s2c", err);
		else if (json_object_get(j, "error"))
			; /* that side stopped being LSP there: what follows of it was not recorded */
		else if (!json_is_number(t))
			rc = bad_line(rp->path, lineno, "\"t\" is missing or not a number", err);
		else if (!json_is_object(msg))
			rc = bad_line(rp->path, lineno, "\"msg\" is missing or not an object", err);
		if (rc || json_object_get(j, "error")) {
			json_decref(j);
			continue;
		}
		double tv = json_number_value(t);
		const char *method = json_string_value(json_object_get(msg, "method"));
		json_t *id = json_object_get(msg, "id");
		char *key = id ? json_dumps(id, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
		if (!strcmp(dir, "c2s") && method && !strcmp(method, "initialize") && !*init_params) {
			*init_params = json_incref(json_object_get(msg, "params"));
			if (!(rp->root = root_of(*init_params)))
				rc = bad_line(rp->path, lineno, "initialize names no root (rootUri, rootPath or "
								"workspaceFolders)", err);
		} else if (!strcmp(dir, "s2c") && method && key && !strcmp(method, "workspace/configuration") &&
			   n_config < sizeof(config_ids) / sizeof(*config_ids)) {
			config_ids[n_config++] = key;
			key = NULL;
		} else if (!strcmp(dir, "c2s") && !method && key && !*settings) {
			/* the first request this answers (a server may reuse an id: one answer, one
			 * reference) */
			for (size_t i = 0; i < n_config && !*settings; i++)
				if (!strcmp(config_ids[i], key) &&
				    json_is_object(json_array_get(json_object_get(msg, "result"), 0)))
					*settings = json_incref(json_array_get(json_object_get(msg, "result"), 0));
		}
		free(key);
		if (!rc && !rp->root && strcmp(dir, "s2c") != 0 && method)
			rc = bad_line(rp->path, lineno, "the editor sent something before initialize", err);
		else if (!rc && rp->root && !strcmp(dir, "c2s") && editor_message(rp, msg, tv))
			rc = lb_error_oom(err);
		else if (!rc && rp->root && !strcmp(dir, "s2c") && server_message(rp, msg, tv))
			rc = lb_error_oom(err);
		json_decref(j);
	}
	if (!rc && ferror(in))
		rc = lb_error_set(err, LB_EIO, "%s: reading: %s", rp->path, strerror(errno));
	for (size_t i = 0; i < n_config; i++)
		free(config_ids[i]);
	free(line);
	return rc;
}

int replay_scenario(const char *path, const struct replay_opts *o, char **text, struct lb_error *err)
{
	*text = NULL;
	FILE *in = fopen(path, "r");
	if (!in)
		return lb_error_set(err, LB_EINVAL, "%s: cannot read the recording: %s", path, strerror(errno));
	size_t body_len = 0, out_len = 0;
	char *body = NULL, *out = NULL;
	struct replay rp = {.path = path, .max_pause = o->max_pause > 0 ? o->max_pause : 5, .last_sent = NAN,
			    .last_seen = NAN};
	rp.out = open_memstream(&body, &body_len);
	json_t *header = NULL, *init = NULL, *settings = NULL;
	int rc = rp.out ? read_lines(&rp, in, &header, &init, &settings, err) : lb_error_oom(err);
	fclose(in);
	if (rp.out) {
		if (!rc)
			flush_awaits(&rp, NAN); /* what came before the editor said goodbye */
		fclose(rp.out);
	}
	char *root_path = NULL;
	if (!rc && !rp.root)
		rc = lb_error_set(err, LB_EINVAL, "%s: no initialize request: is this a recording of an LSP session "
				  "(leakbench record)?", path);
	else if (!rc && !rp.sent)
		rc = lb_error_set(err, LB_EINVAL, "%s: the editor sent nothing after initialize: nothing to replay",
				  path);
	if (!rc && !o->codebase) {
		struct stat sb;
		root_path = strncmp(rp.root, "file://", 7) == 0 ? uri_decode(rp.root + 7) : NULL;
		if (!root_path || stat(root_path, &sb) < 0 || !S_ISDIR(sb.st_mode))
			rc = lb_error_set(err, LB_EINVAL, "%s: the recording's root %s is not a directory here; give "
					  "--codebase DIR (the tree as it was when the recording began)", path, rp.root);
	}
	FILE *f = rc ? NULL : open_memstream(&out, &out_len);
	if (f) {
		const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		fprintf(f, "# the editor's part of %s, replayed: %ld messages, the waits before each one for\n"
			   "# what the editor had seen, and its pauses (cut to %gs)\n",
			path, rp.sent, rp.max_pause);
		fprintf(f, "scenario replay-%.*s\nrunner lsp\n",
			(int)(strstr(base, ".") ? (size_t)(strstr(base, ".") - base) : strlen(base)), base);
		json_t *cb = json_string(o->codebase ? o->codebase : root_path);
		char *q = cb ? json_dumps(cb, JSON_ENCODE_ANY) : NULL;
		fprintf(f, "codebase dir %s\n", q ? q : "\".\"");
		free(q);
		json_decref(cb);
		json_t *argv = json_object_get(header, "argv");
		int plain = json_array_size(argv) > 0;
		for (size_t i = 0; i < json_array_size(argv); i++) {
			const char *a = json_string_value(json_array_get(argv, i));
			plain &= a && *a && !strpbrk(a, " \t\"#");
		}
		if (plain) {
			fprintf(f, "program \"%s\"\n", json_string_value(json_array_get(argv, 0)));
			if (json_array_size(argv) > 1) {
				fprintf(f, "args");
				for (size_t i = 1; i < json_array_size(argv); i++)
					fprintf(f, " %s", json_string_value(json_array_get(argv, i)));
				fprintf(f, "\n");
			}
		}
		fprintf(f, "timeout %gs\n", o->timeout > 0 ? o->timeout : 60);
		json_t *io = json_object_get(init, "initializationOptions");
		char *s = settings ? json_dumps(settings, JSON_COMPACT) : NULL;
		char *i = json_is_object(io) ? json_dumps(io, JSON_COMPACT) : NULL;
		if (s)
			fprintf(f, "settings %s\n", s);
		if (i)
			fprintf(f, "init-options %s\n", i);
		free(s);
		free(i);
		fprintf(f, "\n%s", body ? body : "");
		if (fclose(f) != 0)
			rc = lb_error_oom(err);
	} else if (!rc) {
		rc = lb_error_oom(err);
	}
	if (!rc)
		*text = out;
	else
		free(out);
	free(body);
	free(root_path);
	free(rp.root);
	for (size_t k = 0; k < rp.n_requests; k++)
		free(rp.requests[k]);
	free(rp.requests);
	for (size_t k = 0; k < rp.n_diag; k++)
		free(rp.diags[k].file);
	free(rp.diags);
	for (size_t k = 0; k < rp.n_awaits; k++)
		free(rp.awaits[k].key);
	free(rp.awaits);
	json_decref(header);
	json_decref(init);
	json_decref(settings);
	return rc;
}
