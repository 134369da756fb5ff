/*
 * http.c - libcurl through dlopen (see http.h).
 */
#include "runners/http.h"

#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

int http_open(struct http_lib *l, struct lb_error *err)
{
	memset(l, 0, sizeof(*l));
	if (!(l->handle = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)))
		return lb_error_set(err, LB_EIO, "cannot load libcurl (install libcurl4): %s", dlerror());
	/* the POSIX way to take a function from dlsym: through the pointer's own storage */
	static const struct {
		const char *name;
		size_t at;
	} fns[] = {
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
	for (size_t i = 0; i < sizeof(fns) / sizeof(*fns); i++) {
		void *f = dlsym(l->handle, fns[i].name);
		if (!f) {
			dlclose(l->handle);
			l->handle = NULL;
			return lb_error_set(err, LB_EIO, "libcurl.so.4 has no %s", fns[i].name);
		}
		memcpy((char *)l + fns[i].at, &f, sizeof(f));
	}
	if (l->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		dlclose(l->handle);
		l->handle = NULL;
		return lb_error_set(err, LB_EIO, "libcurl could not start");
	}
	return 0;
}

void http_close(struct http_lib *l)
{
	if (!l->handle)
		return;
	l->global_cleanup();
	dlclose(l->handle); /* RTLD_NODELETE: it stays loaded for the next use */
	l->handle = NULL;
}
