/*
 * edit.h - carrying out a scenario's `edit` steps on the codebase.
 *
 * The book remembers each file as it was before its first edit, so `revert` restores it
 * exactly.  Paths were checked by the parser to stay inside the codebase; the file is
 * resolved against the codebase root only, and an edit whose path resolves outside it
 * (through a symbolic link) is refused.
 */
#ifndef LB_EDIT_H
#define LB_EDIT_H

#include "base/error.h"
#include "scenarios/scenario.h"

struct edit_book;

/* Apply edit step `s` under `root`; *book is created on first use (free with
 * edit_book_free).  A replace whose regex matches nothing, an insert past the end, or a
 * missing file, or a path that resolves outside `root` is an error naming the file (the caller adds the scenario line).  Regexes are
 * POSIX extended with ^ and $ matching at line boundaries. */
int edit_apply(struct edit_book **book, const char *root, const struct scn_step *s,
	       struct lb_error *err);
void edit_book_free(struct edit_book *book);

#endif
