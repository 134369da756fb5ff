/*
 * http.h - libcurl, loaded by the commands that use it (a download, a webhook) when they
 * first do (base/dynlib.h): linked in the usual way, it and the twenty libraries it pulls
 * in (TLS, Kerberos, LDAP, RTMP, ...) cost every leakbench process about 5 ms before main().
 */
#ifndef LB_HTTP_H
#define LB_HTTP_H

#include <curl/curl.h>

#include "base/error.h"

/* The functions leakbench calls, from libcurl.so.4.  Call them through the struct:
 * l.easy_setopt(c, CURLOPT_URL, url). */
struct http_lib {
	void *handle;
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_reset)(CURL *);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	CURLcode (*global_init)(long);
	void (*global_cleanup)(void);
};

/* libcurl loaded (or found loaded) and its global state set up for this use; an LB_EIO
 * naming what is missing when it cannot be (libcurl4 not installed). */
int http_open(struct http_lib *l, struct lb_error *err);
/* The end of this use (libcurl's global state released when no other use holds it). */
void http_close(struct http_lib *l);

#endif
