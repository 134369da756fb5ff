/*
 * dynlib.c - libraries loaded by the commands that use them (see dynlib.h).
 */
#include "base/dynlib.h"

#include <dlfcn.h>
#include <string.h>

int dynlib_open(void **handle, const char *soname, const char *package, void *table, const struct dynlib_fn *fns,
		size_t n, struct lb_error *err)
{
	if (!(*handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)))
		return lb_error_set(err, LB_EIO, "cannot load %s (install %s): %s", soname, package, dlerror());
	for (size_t i = 0; i < n; i++) {
		void *f = dlsym(*handle, fns[i].name);
		if (!f) {
			dynlib_close(handle);
			return lb_error_set(err, LB_EIO, "%s has no %s", soname, fns[i].name);
		}
		/* the POSIX way to take a function from dlsym: through the pointer's own storage */
		memcpy((char *)table + fns[i].at, &f, sizeof(f));
	}
	return 0;
}

void dynlib_close(void **handle)
{
	if (*handle)
		dlclose(*handle);
	*handle = NULL;
}
