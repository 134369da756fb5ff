/*
 * codebase.h - the sample codebase a scenario runs against, made fresh for every run: a
 * generated one (scenarios/codegen), or a copy of a directory, so edits never touch the
 * original and runs never see each other's leftovers.
 */
#ifndef LB_CODEBASE_H
#define LB_CODEBASE_H

#include "base/error.h"
#include "scenarios/scenario.h"

/* Make the codebase `cb` in `dest` (a new directory).  `where` names the scenario for
 * messages; `cache` is where fetched tarballs are kept.  SCN_CODEBASE_NONE does nothing and
 * returns 0. */
int codebase_prepare(const struct scn_codebase *cb, const char *dest, const char *where, const char *cache,
		     struct lb_error *err);

/* Copy the tree at `src` to `dest` (regular files, directories and symlinks); a `dest`
 * inside `src` (a run's artifacts under the codebase it copies) is left out of the copy. */
int codebase_copy_tree(const char *src, const char *dest, struct lb_error *err);

#endif
