/*
 * test_notify.c - webhook notifications against a real HTTP server on 127.0.0.1: retried
 * with backoff through 500s, given up with one clear message when the server is gone,
 * never retried on a 4xx, and the URL (with its token) never in a message.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/notify.h"
#include "tests/helpers.h"

static int requests(const char *dir)
{
	int n = 0;
	char path[700];
	for (;; n++) {
		snprintf(path, sizeof(path), "%s/request-%d.txt", dir, n);
		if (access(path, F_OK))
			return n;
	}
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

Test(notify, retries_through_server_errors_then_delivers, .timeout = 60)
{
	char *dir = scratch_dir(), url[200];
	int port;
	pid_t server = http_server(dir, 2, 500, &port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hooks/secret-token-123", port);
	struct notify_target t = {.url = url, .from = "$HOOK", .retries = 3, .timeout = 5};
	struct lb_error err = {0};
	cr_assert_eq(notify_send(&t, "{\"text\": \"leak at abc123\"}", &err), 0, "%s", err.msg);
	stop(server);
	cr_assert_eq(requests(dir), 3, "two 500s, then delivered");
	char path[700];
	snprintf(path, sizeof(path), "%s/request-2.txt", dir);
	char *req = slurp_file(path);
	cr_assert(req && strstr(req, "POST /hooks/secret-token-123") && strstr(req, "application/json") &&
		      strstr(req, "{\"text\": \"leak at abc123\"}"),
		  "%s", req);
	free(req);
	rm_rf(dir);
	free(dir);
}

Test(notify, a_server_that_is_down_costs_one_message_without_the_url, .timeout = 60)
{
	char *dir = scratch_dir(), url[200];
	int port;
	pid_t server = http_server(dir, 0, 500, &port);
	stop(server); /* nothing listens there now */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hooks/secret-token-123", port);
	struct notify_target t = {.url = url, .from = "$HOOK", .retries = 2, .timeout = 2};
	struct lb_error err = {0};
	cr_assert_eq(notify_send(&t, "{}", &err), LB_EIO);
	cr_assert(strstr(err.msg, "the webhook ($HOOK) did not take the message"), "%s", err.msg);
	cr_assert(!strstr(err.msg, "secret-token") && !strstr(err.msg, "/hooks"), "no URL in: %s", err.msg);
	/* a 4xx is final: one request, no retry */
	server = http_server(dir, 9, 404, &port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hooks/secret-token-123", port);
	cr_assert_eq(notify_send(&t, "{}", &err), LB_EIO);
	stop(server);
	cr_assert(strstr(err.msg, "it answered HTTP 404"), "%s", err.msg);
	cr_assert_eq(requests(dir), 1, "no retry after a 404");
	rm_rf(dir);
	free(dir);
}
