/*
 * http.c - libcurl through dlopen (see http.h).
 */
#include "runners/http.h"

#include <stddef.h>
#include <string.h>

#include "base/dynlib.h"

int http_open(struct http_lib *l, struct lb_error *err)
{
	memset(l, 0, sizeof(*l));
	static const struct dynlib_fn fns[] = {
		{"curl_easy_init", offsetof(struct http_lib, easy_init)},
		{"curl_easy_setopt", offsetof(struct http_lib, easy_setopt)},
		{"curl_easy_perform", offsetof(struct http_lib, easy_perform)},
		{"curl_easy_getinfo", offsetof(struct http_lib, easy_getinfo)},
		{"curl_easy_reset", offsetof(struct http_lib, easy_reset)},
		{"curl_easy_cleanup", offsetof(struct http_lib, easy_cleanup)},
		{"curl_easy_strerror", offsetof(struct http_lib, easy_strerror)},
		{"curl_slist_append", offsetof(struct http_lib, slist_append)},
		{"curl_slist_free_all", offsetof(struct http_lib, slist_free_all)},
		{"curl_global_init", offsetof(struct http_lib, global_init)},
		{"curl_global_cleanup", offsetof(struct http_lib, global_cleanup)},
	};
	if (dynlib_open(&l->handle, "libcurl.so.4", "libcurl4", l, fns, sizeof(fns) / sizeof(*fns), err))
		return err->code;
	if (l->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		dynlib_close(&l->handle);
		return lb_error_set(err, LB_EIO, "libcurl could not start");
	}
	return 0;
}

void http_close(struct http_lib *l)
{
	if (!l->handle)
		return;
	l->global_cleanup();
	dynlib_close(&l->handle); /* it stays loaded for the next use */
}
