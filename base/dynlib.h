/*
 * dynlib.h - a shared library loaded when a command first needs it, its functions copied
 * into the caller's table.  Linked in the usual way, every library costs every leakbench
 * process its loading and relocation before main(): libcurl and the twenty libraries it
 * pulls in about 5 ms, libcrypto 1.2 ms, although only fetching and hashing use them.
 * Loaded with RTLD_NODELETE, so the loader keeps a library once loaded and opening it again
 * is a lookup; leakbench keeps no state of its own for it: each user opens, uses, closes.
 */
#ifndef LB_DYNLIB_H
#define LB_DYNLIB_H

#include <stddef.h>

#include "base/error.h"

/* One function: its name in the library, and where its pointer goes in the caller's table
 * (offsetof the table's field). */
struct dynlib_fn {
	const char *name;
	size_t at;
};

/* Load `soname` (or find it loaded) and fill `table` with the n functions of `fns`;
 * *handle gets the library's handle for dynlib_close.  An LB_EIO naming the library and the
 * Debian package that has it (`package`) when it is missing, or naming the function it
 * lacks. */
int dynlib_open(void **handle, const char *soname, const char *package, void *table, const struct dynlib_fn *fns,
		size_t n, struct lb_error *err);
/* Done with it (it stays loaded: RTLD_NODELETE); *handle is NULL after. */
void dynlib_close(void **handle);

#endif
