/*
 * notify.h - telling people: a JSON message POSTed to a webhook (Slack, Matrix, Discord
 * and most chat tools take one), through libcurl (whose curl_global_init main does
 * once), retried with backoff.
 *
 * The URL usually carries a token, so it never appears in an error or a log: messages name
 * "the webhook" and, when it came from one, the environment variable.
 */
#ifndef LB_NOTIFY_H
#define LB_NOTIFY_H

#include "base/error.h"

struct notify_target {
	const char *url;   /* NULL: nothing to do */
	const char *from;  /* where the URL came from, for messages ("$LEAKBENCH_WEBHOOK", "the config") */
	int retries;       /* attempts after the first; waits 0.5 s, 1 s, 2 s ... between */
	double timeout;    /* seconds per attempt */
};

/* POST `json`.  Retries on a failed connection, a timeout or a 5xx answer; a 4xx answer is
 * final.  LB_EIO after the last attempt, with a message that names no URL. */
int notify_send(const struct notify_target *t, const char *json, struct lb_error *err);

/* Run `command` through /bin/sh with `json` on its standard input (a mailer, a chat
 * client, a script of your own), bounded by a minute.  LB_EIO when it fails. */
int notify_command(const char *command, const char *json, struct lb_error *err);

#endif
