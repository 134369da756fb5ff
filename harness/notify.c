/*
 * notify.c - a webhook POST with retries (see notify.h).
 */
#include "harness/notify.h"

#include "runners/http.h"
#include "runners/proc.h"

#include <stdlib.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

int notify_send(const struct notify_target *t, const char *json, struct lb_error *err)
{
	if (!t->url || !*t->url)
		return 0;
	struct http_lib l;
	if (http_open(&l, err))
		return err->code;
	CURL *c = l.easy_init();
	struct curl_slist *headers = l.slist_append(NULL, "Content-Type: application/json");
	char why[CURL_ERROR_SIZE + 64] = "";
	int rc = LB_EIO;
	for (int attempt = 0; c && headers && attempt <= t->retries; attempt++) {
		if (attempt) {
			double wait = 0.5 * (double)(1 << (attempt - 1));
			struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
			nanosleep(&ts, NULL);
		}
		char curl_err[CURL_ERROR_SIZE] = "";
		l.easy_reset(c);
		l.easy_setopt(c, CURLOPT_URL, t->url);
		l.easy_setopt(c, CURLOPT_POSTFIELDS, json);
		l.easy_setopt(c, CURLOPT_HTTPHEADER, headers);
		l.easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)((t->timeout > 0 ? t->timeout : 10) * 1000));
		l.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		l.easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
		l.easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
		l.easy_setopt(c, CURLOPT_USERAGENT, "leakbench");
		CURLcode cc = l.easy_perform(c);
		long status = 0;
		l.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (cc == CURLE_OK && status >= 200 && status < 300) {
			rc = 0;
			break;
		}
		if (cc == CURLE_OK)
			snprintf(why, sizeof(why), "it answered HTTP %ld", status);
		else /* curl's own words name the host at most, never the path or query with the token */
			snprintf(why, sizeof(why), "%s", l.easy_strerror(cc));
		if (cc == CURLE_OK && status >= 400 && status < 500)
			break; /* the request itself is wrong: asking again will not help */
	}
	if (rc)
		lb_error_set(err, LB_EIO, "the webhook (%s) did not take the message: %s", t->from,
			     why[0] ? why : "out of memory");
	if (headers)
		l.slist_free_all(headers);
	if (c)
		l.easy_cleanup(c);
	http_close(&l);
	return rc;
}

int notify_command(const char *command, const char *json, struct lb_error *err)
{
	char path[] = "/tmp/leakbench-message-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return lb_error_set(err, LB_EIO, "notify command: cannot write the message");
	size_t len = strlen(json);
	int bad = write(fd, json, len) != (ssize_t)len;
	close(fd);
	char *script = NULL;
	int rc = 0;
	if (bad || asprintf(&script, "exec <%s\n%s", path, command) < 0) {
		rc = lb_error_set(err, LB_EIO, "notify command: cannot write the message");
	} else {
		char *argv[] = {"/bin/sh", "-c", script, NULL};
		struct proc_spec spec = {.argv = argv, .timeout_s = 60};
		struct proc_result pr;
		if (!(rc = proc_run(&spec, &pr, err))) {
			if (pr.end != PROC_EXITED || pr.exit_code != 0)
				rc = lb_error_set(err, LB_EIO, "the notify command failed (%s %d)",
						  pr.end == PROC_EXITED ? "exit status" : "signal",
						  pr.end == PROC_EXITED ? pr.exit_code : pr.signal);
			proc_result_free(&pr);
		}
	}
	unlink(path);
	free(script);
	return rc;
}
