/*
 * mem.c - array growth and string copies with errors reported, not fatal.
 *
 * The pointer is read and written with memcpy, so one function serves every element type
 * without type-punning through a `void **`.
 */
#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

int mem_grow(void *arrp, size_t *cap, size_t need, size_t size, struct lb_error *err)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 16;
	while (ncap < need)
		ncap *= 2;
	void *arr;
	memcpy(&arr, arrp, sizeof(arr));
	void *p = realloc(arr, ncap * size);
	if (!p)
		return lb_error_oom(err);
	memcpy(arrp, &p, sizeof(p));
	*cap = ncap;
	return 0;
}

char *lb_strdup(const char *s, struct lb_error *err)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		lb_error_oom(err);
	return d;
}
