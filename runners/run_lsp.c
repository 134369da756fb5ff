/*
 * run_lsp.c - the LSP runner: one language server for the whole session, driven as an
 * editor would (runners/lsp.c is the client: framing, requests, the server's own requests
 * answered, the waits).
 *
 * `open`, `edit` and `close` keep the server's view of a document in step with the file
 * (an edit sends the whole new text at the next version); the position requests (hover,
 * completion, definition, code actions, symbols) wait for their answer; `wait` steps are
 * one function (lsp_wait_step); `send` replays a message written by hand or recorded.  The
 * session ends with shutdown and exit so the RTS writes its statistics.  The runner
 * remembers when the last edit was sent, so a wait can say how long the server took.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/text.h"
#include "runners/lsp.h"
#include "runners/runner.h"

/* An open document. */
struct doc {
	char *file; /* relative to the codebase */
	char *uri;
	int version;
	long edit_seq; /* messages received when its last change was sent */
};

struct lsp_run {
	struct session *s;
	struct lsp *lsp;   /* the client */
	struct doc *docs;  /* open documents */
	size_t n_docs;
	long last_request; /* id of the last request (wait response) */
	char *root_uri;    /* the codebase's URI, for {root} in a send */
	char **sent_keys;  /* the ids `send` steps had (compact JSON) ... */
	long *sent_ids;    /* ... and the ids the client gave those requests */
	size_t n_sent;
	long edit_seq;     /* messages received when the last edit was sent */
	double edit_time;  /* when it was sent (unix) */
	int errors_seen;   /* steps after which the server had errors published */
	int early;         /* waits answered sooner than a recheck can take (LSP_EARLY_SECONDS) */
};

/* A wait for an edit's result (kick/done, the file's diagnostics) answered this soon after
 * the edit is noted: a server that rechecks takes longer (real ghcide sent
 * kick/done 27-205 ms after a value edit of a leaf module; with a codebase it could not
 * load, within 10 ms every time, and the session measured nothing).  Counted in the run
 * metric early_waits, so a revision whose server stops loading the codebase shows. */
#define LSP_EARLY_SECONDS 0.015

static struct doc *doc_of(struct lsp_run *r, const char *file)
{
	for (size_t i = 0; i < r->n_docs; i++)
		if (!strcmp(r->docs[i].file, file))
			return &r->docs[i];
	return NULL;
}

static const char *language_of(const char *file)
{
	const char *dot = strrchr(file, '.');
	if (!dot)
		return "plaintext";
	static const char *const map[][2] = {{".hs", "haskell"}, {".lhs", "haskell"}, {".c", "c"},
					     {".h", "c"}, {".cpp", "cpp"}, {".py", "python"},
					     {".go", "go"}, {".rs", "rust"}, {".cabal", "cabal"}};
	for (size_t i = 0; i < sizeof(map) / sizeof(*map); i++)
		if (!strcmp(dot, map[i][0]))
			return map[i][1];
	return "plaintext";
}

static char *codebase_path(const struct session_opts *o, const char *file)
{
	char *p;
	return asprintf(&p, "%s/%s", o->codebase ? o->codebase : ".", file) < 0 ? NULL : p;
}

/* A document-position request; the scenario's LINE:COL are 1-based, LSP's 0-based. */
static json_t *position_params(const char *uri, const struct scn_step *s)
{
	json_t *pos = json_pack("{s:i, s:i}", "line", s->pos_line - 1, "character", s->pos_col - 1);
	if (s->kind == SCN_CODEACTION)
		return json_pack("{s:{s:s}, s:{s:O, s:o}, s:{s:[]}}", "textDocument", "uri", uri, "range", "start",
				 pos, "end", pos, "context", "diagnostics");
	json_t *p = json_pack("{s:{s:s}, s:o}", "textDocument", "uri", uri, "position", pos);
	return p;
}

/* The id the client gave the request a `send` step had as `key`; 0 if none. */
static long sent_id(const struct lsp_run *r, const char *key)
{
	for (size_t k = r->n_sent; k-- > 0;)
		if (!strcmp(r->sent_keys[k], key))
			return r->sent_ids[k];
	return 0;
}

/* A `send` step: a message written by hand or replayed from a recording.  A request gets
 * the client's next id (the original is remembered for `wait response ID` and for a later
 * $/cancelRequest naming it); a document change counts as an edit for the waits after it. */
static int send_step(struct lsp_run *r, const struct scn_step *s, struct lb_error *err)
{
	char *text = text_replace(s->text, "{root}", r->root_uri);
	json_t *msg = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	if (!msg)
		return text ? lb_error_set(err, LB_EINVAL, "the message is not JSON once {root} is put in")
			    : lb_error_oom(err);
	const char *method = json_string_value(json_object_get(msg, "method"));
	json_t *params = json_incref(json_object_get(msg, "params"));
	int rc;
	if (!strcmp(method, "$/cancelRequest") && params) {
		char *key = json_dumps(json_object_get(params, "id"), JSON_ENCODE_ANY | JSON_COMPACT);
		long id = key ? sent_id(r, key) : 0;
		free(key);
		if (id)
			json_object_set_new(params, "id", json_integer(id));
	}
	if (!strncmp(method, "textDocument/did", 16)) {
		r->edit_seq = lsp_received_count(r->lsp);
		r->edit_time = session_now();
	}
	if (s->name) {
		char **keys = realloc(r->sent_keys, (r->n_sent + 1) * sizeof(*keys));
		long *ids = keys ? realloc(r->sent_ids, (r->n_sent + 1) * sizeof(*ids)) : NULL;
		if (keys)
			r->sent_keys = keys;
		if (ids)
			r->sent_ids = ids;
		if (!keys || !ids || !(keys[r->n_sent] = strdup(s->name))) {
			json_decref(params);
			json_decref(msg);
			return lb_error_oom(err);
		}
		rc = lsp_request(r->lsp, method, params, &r->last_request, err);
		ids[r->n_sent++] = r->last_request;
	} else {
		rc = lsp_notify(r->lsp, method, params, err);
	}
	json_decref(msg);
	return rc;
}

/* The part of a URI under the codebase ("L5/M0.hs" for ROOT/L5/M0.hs). */
static const char *in_codebase(const struct lsp_run *r, const char *uri)
{
	size_t n = strlen(r->root_uri);
	return uri && !strncmp(uri, r->root_uri, n) && uri[n] == '/' ? uri + n + 1 : uri;
}

/* HLS's `test` request (--test mode): WaitForIdeRule typecheck FILE, or WaitForShakeQueue.
 * A typecheck answered false, or an error answer, fails the step with the answer and the
 * server's first error: the session did not do what the scenario claims. */
static int test_request(struct lsp_run *r, const struct scn_step *s, const char *uri, size_t i, struct lb_run *run,
			struct lb_error *err)
{
	json_t *params = s->wait == SCN_WAIT_QUEUE ? json_pack("{s:s}", "tag", "WaitForShakeQueue")
						   : json_pack("{s:s, s:[s,s]}", "tag", "WaitForIdeRule", "contents",
							       "typecheck", uri);
	long id, errors, warnings;
	json_t *result = NULL;
	const char *first;
	int rc = lsp_request(r->lsp, "test", params, &id, err);
	if (!rc)
		rc = lsp_wait_response(r->lsp, id, &result, r->s->sc->timeout, err);
	if (rc && rc != LB_EINVAL)
		return rc;
	char why[sizeof(err->msg) + 200];
	int failed = rc || json_is_false(result);
	lsp_diagnostics(r->lsp, &errors, &warnings, &first);
	if (rc) /* the server answered with an error */
		snprintf(why, sizeof(why), "%s", err->msg);
	else if (failed)
		snprintf(why, sizeof(why), "the server says %s does not typecheck (WaitForIdeRule answered false)%s%s",
			 s->file, first ? "; its first error: " : "", first ? in_codebase(r, first) : "");
	else
		snprintf(why, sizeof(why), "%s", lsp_last_wait(r->lsp));
	json_decref(result);
	return failed ? record_step_failed(run, i, why, err) : record_step_note(run, i, why, err);
}

/* After every step: the errors and warnings the server has published and not withdrawn,
 * as step metrics; the first time there are errors, the first one is noted on the step. */
static int count_diagnostics(struct lsp_run *r, size_t i, struct lb_run *run, struct lb_error *err)
{
	long errors, warnings;
	const char *first;
	lsp_diagnostics(r->lsp, &errors, &warnings, &first);
	if (record_add_step_metric(run, (int)i, "diagnostics_errors", (double)errors, "count", err) ||
	    record_add_step_metric(run, (int)i, "diagnostics_warnings", (double)warnings, "count", err))
		return err->code;
	if (errors && !r->errors_seen++) {
		char note[900];
		snprintf(note, sizeof(note), "the server reports %ld error%s, the first: %s", errors, errors == 1 ? "" : "s",
			 first ? in_codebase(r, first) : "?");
		return record_step_note_add(run, i, note, err);
	}
	return 0;
}

/* A checkpoint: until the server is quiet for the settle's duration (every progress it began
 * has ended, nothing of ours outstanding, no message), which is when a GHC server's idle GC
 * runs.  A real server goes on working after it says it is done (ghcide indexes for a while
 * after kick/done, reporting progress every 0.1 s), so a plain pause would end before any
 * GC and leave the checkpoint without a figure.  A server that never goes quiet within the
 * scenario's timeout is noted, not failed. */
static int settle(struct lsp_run *r, const struct scn_step *s, size_t i, struct lb_run *run, struct lb_error *err)
{
	int rc = lsp_wait_idle(r->lsp, s->seconds, r->s->sc->timeout, err);
	if (rc == LB_ETIMEOUT) {
		char note[sizeof(err->msg) + 100];
		snprintf(note, sizeof(note), "never quiet for %gs: %s", s->seconds, err->msg);
		return record_step_note(run, i, note, err);
	}
	return rc ? rc : record_step_note(run, i, lsp_last_wait(r->lsp), err);
}

/* How long after the edit a wait ended (done_seconds); one that waited for the edit's
 * result and ended too soon for a recheck gets a note saying so, and counts. */
static int early_wait(struct lsp_run *r, const struct scn_step *s, double done, size_t i, struct lb_run *run,
		      struct lb_error *err)
{
	int rc = record_add_step_metric(run, (int)i, "done_seconds", done, "s", err);
	/* not a typecheck: HLS's test request answers true or false itself (false fails the
	 * step), and real ghcide answers it in 5-15 ms for a small module it has loaded */
	int result = s->wait == SCN_WAIT_NOTIFICATION || s->wait == SCN_WAIT_DIAGNOSTICS;
	if (rc || !result || run->steps[i].failed) /* a failed step says why already */
		return rc;
	if (done < LSP_EARLY_SECONDS) {
		char note[200];
		snprintf(note, sizeof(note),
			 "answered %.0f ms after the edit, too soon for a recheck: did the server load the codebase?",
			 done * 1000);
		r->early++;
		rc = record_step_note_add(run, i, note, err);
	}
	return rc ? rc : record_add_metric(run, "early_waits", r->early, "count", err);
}

/* A `wait` step: until the server did what the step names (idle; diagnostics of the file,
 * or the n-th of them; typecheck or an empty queue through HLS's `test` request; a
 * notification; a response) or for a while, answering the server meanwhile.  The note says
 * which condition ended it; done_seconds how long after the last edit. */
static int lsp_wait_step(struct lsp_run *r, const struct scn_step *s, const struct doc *d, const char *uri,
			 size_t i, struct lb_run *run, struct lb_error *err)
{
	const struct scn_scenario *sc = r->s->sc;
	struct lsp *l = r->lsp;
	int rc = 0;
	switch (s->wait) {
	case SCN_WAIT_IDLE:
		rc = lsp_wait_idle(l, 0.25, sc->timeout, err);
		break;
	case SCN_WAIT_DIAGNOSTICS:
		rc = s->count ? lsp_wait_count(l, NULL, uri, s->count, sc->timeout, err)
			      : lsp_wait_diagnostics(l, uri, d ? d->edit_seq : r->edit_seq,
						     d ? d->version : -1, sc->timeout, err);
		break;
	case SCN_WAIT_TYPECHECK:
	case SCN_WAIT_QUEUE:
		rc = test_request(r, s, uri, i, run, err);
		break;
	case SCN_WAIT_NOTIFICATION:
		rc = s->count ? lsp_wait_count(l, s->name, NULL, s->count, sc->timeout, err)
			      : lsp_wait_notification(l, s->name, r->edit_seq, sc->timeout, err);
		break;
	case SCN_WAIT_RESPONSE: {
		long id = s->name ? sent_id(r, s->name) : r->last_request;
		if (id)
			rc = lsp_wait_response(l, id, NULL, sc->timeout, err);
		r->last_request = 0;
		if (rc == LB_EINVAL && s->name) /* an error answer (a cancelled request, say) */
			rc = record_step_note(run, i, err->msg, err);
		break;
	}
	case SCN_WAIT_DURATION:
		rc = lsp_serve(l, s->seconds, err);
		break;
	case SCN_WAIT_PROMPT:
		break;
	}
	if (rc == LB_ETIMEOUT && s->count) {
		/* a count taken from another session (a recording): a server that publishes
		 * fewer times this time is not broken; a hung one fails at shutdown */
		return record_step_note(run, i, err->msg, err);
	}
	if (!rc && s->wait != SCN_WAIT_DURATION) {
		/* which condition ended the wait, and how long after the edit it was */
		rc = record_step_note(run, i, lsp_last_wait(l), err);
		if (!rc && r->edit_time > 0)
			rc = early_wait(r, s, session_now() - r->edit_time, i, run, err);
	}
	return rc;
}

static int lsp_act(struct session *ss, const struct scn_step *s, size_t i, struct lb_run *run,
		   struct lb_error *err)
{
	struct lsp_run *r = ss->state;
	const struct scn_scenario *sc = ss->sc;
	struct lsp *l = r->lsp;
	struct doc *d = s->file ? doc_of(r, s->file) : NULL;
	char *path = s->file ? codebase_path(ss->o, s->file) : NULL;
	char *uri = path ? lsp_uri(path) : NULL;
	int rc = 0;
	if (s->file && (!path || !uri)) {
		rc = lb_error_oom(err);
		goto done;
	}
	switch (s->kind) {
	case SCN_OPEN: {
		if (d)
			break; /* already open */
		char *text = file_read(path, 0, NULL, err);
		if (!text) {
			rc = err->code;
			break;
		}
		struct doc *nd = realloc(r->docs, (r->n_docs + 1) * sizeof(*nd));
		if (!nd) {
			free(text);
			rc = lb_error_oom(err);
			break;
		}
		r->docs = nd;
		nd[r->n_docs] = (struct doc){strdup(s->file), strdup(uri), 1, lsp_received_count(l)};
		r->n_docs++;
		r->edit_seq = lsp_received_count(l);
		r->edit_time = session_now();
		rc = lsp_notify(l, "textDocument/didOpen",
				json_pack("{s:{s:s, s:s, s:i, s:s}}", "textDocument", "uri", uri, "languageId",
					  language_of(s->file), "version", 1, "text", text),
				err);
		free(text);
		break;
	}
	case SCN_CLOSE:
		if (!d)
			break;
		rc = lsp_notify(l, "textDocument/didClose", json_pack("{s:{s:s}}", "textDocument", "uri", uri), err);
		free(d->file);
		free(d->uri);
		*d = r->docs[--r->n_docs];
		break;
	case SCN_EDIT:
		if ((rc = session_edit(ss, s, err)))
			goto done; /* its error names the file already */
		r->edit_seq = lsp_received_count(l);
		r->edit_time = session_now();
		if (d) { /* the editor sends the whole new text */
			char *text = file_read(path, 0, NULL, err);
			if (!text) {
				rc = err->code;
				break;
			}
			d->version++;
			d->edit_seq = r->edit_seq;
			rc = lsp_notify(l, "textDocument/didChange",
					json_pack("{s:{s:s, s:i}, s:[{s:s}]}", "textDocument", "uri", uri, "version",
						  d->version, "contentChanges", "text", text),
					err);
			free(text);
		}
		break;
	case SCN_WAIT:
		rc = lsp_wait_step(r, s, d, uri, i, run, err);
		break;
	case SCN_SETTLE:
		rc = settle(r, s, i, run, err);
		break;
	case SCN_SEND:
		rc = send_step(r, s, err);
		break;
	case SCN_HOVER:
	case SCN_COMPLETION:
	case SCN_DEFINITION:
	case SCN_CODEACTION:
	case SCN_SYMBOLS: {
		static const char *const methods[] = {
			[SCN_HOVER] = "textDocument/hover", [SCN_COMPLETION] = "textDocument/completion",
			[SCN_DEFINITION] = "textDocument/definition", [SCN_CODEACTION] = "textDocument/codeAction",
			[SCN_SYMBOLS] = "textDocument/documentSymbol"};
		json_t *params = s->kind == SCN_SYMBOLS ? json_pack("{s:{s:s}}", "textDocument", "uri", uri)
							: position_params(uri, s);
		rc = lsp_request(l, methods[s->kind], params, &r->last_request, err);
		if (!rc)
			rc = lsp_wait_response(l, r->last_request, NULL, sc->timeout, err);
		r->last_request = 0;
		break;
	}
	default:
		break;
	}
done:
	free(path);
	free(uri);
	if (!rc)
		rc = count_diagnostics(r, i, run, err);
	else if (rc != LB_EINTR && rc != LB_ENOMEM && s->kind != SCN_EDIT)
		lb_error_prefix(err, "%s: ", scn_step_name(s->kind));
	return rc;
}

static int lsp_start(struct session *s, struct lb_error *err)
{
	struct lsp_run *r = calloc(1, sizeof(*r));
	if (!r)
		return lb_error_oom(err);
	r->s = s;
	s->state = r;
	json_t *settings = s->sc->settings ? json_loads(s->sc->settings, 0, NULL) : NULL;
	json_t *init = s->sc->init_options ? json_loads(s->sc->init_options, 0, NULL) : NULL;
	r->root_uri = lsp_uri(s->o->codebase ? s->o->codebase : ".");
	int rc = r->root_uri ? lsp_new(&r->lsp, s->p, settings, err) : lb_error_oom(err);
	if (!rc)
		lsp_set_limits(r->lsp, (size_t)s->sc->max_message, s->sc->timeout);
	if (!rc)
		rc = lsp_initialize(r->lsp, r->root_uri, init, s->sc->timeout, err);
	json_decref(settings);
	json_decref(init);
	return rc;
}

static int lsp_stop(struct session *s, struct lb_error *err)
{
	struct lsp_run *r = s->state;
	return lsp_shutdown(r->lsp, s->sc->timeout, err);
}

static int lsp_end(struct session *s, struct lb_run *sub, int keep, struct lb_error *err)
{
	(void)sub, (void)keep, (void)err;
	struct lsp_run *r = s->state;
	if (!r)
		return 0;
	lsp_free(r->lsp);
	for (size_t i = 0; i < r->n_docs; i++) {
		free(r->docs[i].file);
		free(r->docs[i].uri);
	}
	free(r->docs);
	for (size_t i = 0; i < r->n_sent; i++)
		free(r->sent_keys[i]);
	free(r->sent_keys);
	free(r->sent_ids);
	free(r->root_uri);
	free(r);
	s->state = NULL;
	return 0;
}

const struct runner_ops runner_lsp = {.name = "lsp", .dir = "server", .start = lsp_start, .act = lsp_act,
				      .stop = lsp_stop, .end = lsp_end};
