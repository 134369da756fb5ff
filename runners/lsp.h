/*
 * lsp.h - a Language Server Protocol client over a supervised process's stdin/stdout.
 *
 * What it promises:
 *  - Content-Length framing, JSON-RPC 2.0 requests (with ids), responses and notifications
 *    (JSON through jansson);
 *  - the server's own requests are answered as soon as they arrive, whatever the client is
 *    waiting for: window/workDoneProgress/create and client/(un)registerCapability with
 *    null, workspace/configuration with the configured settings object per item,
 *    window/showMessageRequest with null, workspace/applyEdit with applied=false, anything
 *    else with MethodNotFound;
 *  - every wait is bounded and says which condition ended it (lsp_last_wait);
 *  - a server that dies, hangs or writes garbage (a bad header, invalid JSON, a body shorter
 *    than its Content-Length) gives an error naming it, never a hang.
 * It neither starts nor stops the process (runners/session.c does, through runners/exec.c).
 */
#ifndef LB_LSP_H
#define LB_LSP_H

#include <jansson.h>

#include "base/error.h"

struct lsp;
struct proc;

/* A client over `p` (started interactive).  `settings` (may be NULL: {}) is what
 * workspace/configuration gets for every item; the client keeps a reference. */
int lsp_new(struct lsp **out, struct proc *p, json_t *settings, struct lb_error *err);
/* The largest message the server may send (default LSP_MAX_MESSAGE; a larger one is
 * LB_EIO) and how long a message to it may wait for the server to read (default 30 s). */
void lsp_set_limits(struct lsp *l, size_t max_message, double timeout_s);
void lsp_free(struct lsp *l);

/* initialize (root URI, capabilities asking for work-done progress and configuration,
 * `init_options` may be NULL), wait for its answer, send initialized. */
int lsp_initialize(struct lsp *l, const char *root_uri, json_t *init_options, double timeout_s,
		   struct lb_error *err);

/* Send a request (params stolen); *id gets its id.  Send a notification (params stolen). */
int lsp_request(struct lsp *l, const char *method, json_t *params, long *id, struct lb_error *err);
int lsp_notify(struct lsp *l, const char *method, json_t *params, struct lb_error *err);

/* Waits.  Each serves the server's requests meanwhile and fails with LB_ETIMEOUT, naming
 * what was awaited, after `timeout_s`. */
/* The response to request `id`; *result gets a new reference to its result (may be NULL). */
int lsp_wait_response(struct lsp *l, long id, json_t **result, double timeout_s, struct lb_error *err);
/* Every progress token that began has ended (also tokens never created), no request of ours
 * is outstanding, and nothing came for `quiet_s`. */
int lsp_wait_idle(struct lsp *l, double quiet_s, double timeout_s, struct lb_error *err);
/* publishDiagnostics for `uri` received after the client's message number `after`
 * (lsp_sent_count at the edit), and for `version` or later when the server sends versions. */
int lsp_wait_diagnostics(struct lsp *l, const char *uri, long after, int version, double timeout_s,
			 struct lb_error *err);
/* Notification `method` received after message `after`; for kick/done: a non-empty one
 * after the last kick/start that followed `after`. */
int lsp_wait_notification(struct lsp *l, const char *method, long after, double timeout_s,
			  struct lb_error *err);
/* Until `n` notifications `method` have come since the start, or when `uri` is given, `n`
 * publishDiagnostics for it (a replay waits for what the recording saw, by count). */
int lsp_wait_count(struct lsp *l, const char *method, const char *uri, long n, double timeout_s,
		   struct lb_error *err);
/* Serve the server for `seconds` (a settle: the server may ask things meanwhile). */
int lsp_serve(struct lsp *l, double seconds, struct lb_error *err);

/* shutdown (awaited within timeout_s), then exit. */
int lsp_shutdown(struct lsp *l, double timeout_s, struct lb_error *err);

/* The diagnostics the server has published and not withdrawn, over every file: errors
 * (severity 1, or none given) and warnings (2).  *first (may be NULL) gets the first error,
 * "URI:LINE: message", borrowed until the next wait, or NULL when there is none. */
void lsp_diagnostics(const struct lsp *l, long *errors, long *warnings, const char **first);

/* How many messages the client has received so far: a wait "after" an edit passes the count
 * taken when the edit was sent. */
long lsp_received_count(const struct lsp *l);
/* What ended the last wait ("progress ended and 250 ms quiet", "diagnostics v3 for ..."). */
const char *lsp_last_wait(const struct lsp *l);

/* Content-Length framing of one direction of an LSP byte stream (the client's reader, and
 * `leakbench record`, which frames both directions). */
struct lsp_framer {
	char *buf;
	size_t n, cap;
	const char *who; /* whose bytes, for errors: "the server" (NULL), "the editor" */
	size_t max_body; /* the largest Content-Length taken; 0: LSP_MAX_MESSAGE */
};
/* The default bound of a message: what is buffered follows what the peer announces, so a
 * server announcing 2 GB must be refused before it is believed. */
#define LSP_MAX_MESSAGE ((size_t)64 << 20)
int lsp_framer_feed(struct lsp_framer *f, const char *data, size_t len, struct lb_error *err);
/* 1 with *msg (a new reference): a whole message was cut off; 0: more bytes are needed;
 * LB_EIO: the bytes are not LSP (bad header, no Content-Length, invalid JSON) or announce a
 * message larger than max_body. */
int lsp_framer_next(struct lsp_framer *f, json_t **msg, struct lb_error *err);
void lsp_framer_release(struct lsp_framer *f);

/* file:// URI of an absolute path, percent-encoding what must be; malloc'ed. */
char *lsp_uri(const char *abs_path);

#endif
