/*
 * build.h - one revision of a target built by its recipe, and cached.
 *
 * The cache key is SHA-256 of target, tree id, toolchain and recipe: the same tree built the
 * same way is built once, whatever commit it came from.  The recipe runs (through /bin/sh,
 * since it is a command line the user wrote) in a fresh checkout of the revision, with a
 * timeout, its output kept as the build's log; the program must then be in {out}.  A failed
 * build is cached too (so a sweep does not retry it every night) and reported as failed.
 * A lock file per key keeps two leakbench processes from building the same key at once: the
 * second waits and then finds the first one's result.
 */
#ifndef LB_BUILD_H
#define LB_BUILD_H

#include "base/digest.h"
#include "base/error.h"
#include "harness/rev.h"

struct build_req {
	const char *cache;     /* the cache folder */
	const char *target;
	const char *recipe;    /* {src} {out} {jobs} are filled in */
	const char *toolchain; /* may be NULL */
	const char *program;   /* relative to {out} */
	char *const *env;      /* KEY=VALUE for the recipe, NULL-terminated; may be NULL */
	double timeout;        /* seconds */
};

struct build_result {
	char key[LB_DIGEST_HEX + 1];
	int ok;                /* the program is there */
	int cached;            /* nothing ran: an earlier build's result */
	int timed_out;
	char *binary;          /* absolute path of the program (ok) */
	char binary_hash[LB_DIGEST_HEX + 1];  /* its SHA-256 (ok) */
	char *log;             /* the build's log */
	double seconds;        /* how long the recipe ran */
	char *why;             /* not ok: one line */
};

/* Build commit `c` of repository `r` (or find it built).  Returns 0 when there is a result,
 * ok or failed; an error only when leakbench itself could not do its part. */
int build_get(const struct build_req *q, struct rev_repo *r, const struct rev_commit *c, struct build_result *res,
	      struct lb_error *err);
void build_result_free(struct build_result *res);

#endif
