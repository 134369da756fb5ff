/*
 * mem.h - the two allocation habits every folder shares: growing an array by doubling
 * (git's ALLOC_GROW, with an error instead of dying) and copying a string with the error
 * reported through the one error channel.
 *
 * An array is three plain things side by side: the pointer, how many are used, how many
 * fit.  LB_GROW makes room for `need` elements; the caller then stores and counts them.  On
 * failure nothing changes (the old array is still valid and still the caller's to free).
 */
#ifndef LB_MEM_H
#define LB_MEM_H

#include <stddef.h>

#include "base/error.h"

/* Room for at least `need` elements of `size` bytes in the array whose pointer is at
 * `arrp` (a `T **`), capacity *cap: doubled, at least 16.  0, or LB_ENOMEM in err. */
int mem_grow(void *arrp, size_t *cap, size_t need, size_t size, struct lb_error *err);

/* The usual call: LB_GROW(run->steps, run->n_steps + 1, run->cap_steps, err).  The room
 * there is already is seen here, without a call: an eventlog's census rows go through it
 * millions of times. */
#define LB_GROW(arr, need, cap, err) \
	((size_t)(need) <= (cap) ? 0 : mem_grow(&(arr), &(cap), (need), sizeof(*(arr)), (err)))

/* strdup that reports through `err`; NULL in gives NULL out with no error. */
char *lb_strdup(const char *s, struct lb_error *err);

#endif
