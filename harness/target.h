/*
 * target.h - a configured target at one revision: its commit recorded, its binary built
 * (or found in the cache), the build recorded, and an identical binary of another revision
 * recognised.  What `run --target --rev` and `sweep` do before measuring.
 */
#ifndef LB_TARGET_H
#define LB_TARGET_H

#include "base/digest.h"
#include "harness/build.h"
#include "harness/config.h"
#include "harness/rev.h"
#include "results/store.h"

/* The target's mirror and `rev` in it as *commit; a revision the mirror does not know
 * yet makes it fetch once and ask again. */
int target_open(struct rev_repo **out, const struct cfg *c, const struct cfg_target *t, const char *rev,
		struct rev_commit *commit, struct lb_error *err);
/* The same for several revisions at once (a revision and its base, two ends of a range):
 * one fetch when any of them is not known yet. */
int target_open_all(struct rev_repo **out, const struct cfg *c, const struct cfg_target *t, const char *const *revs,
		    size_t n, struct rev_commit *commits, struct lb_error *err);

/* A revision named on the command line, as a full sha: through the target's mirror when
 * the config has the target (branches, tags, HEAD~3), else as a unique prefix of a stored
 * sha.  `t` may be NULL. */
int target_resolve(const struct cfg *c, const struct cfg_target *t, struct store *st, const char *target,
		   const char *spec, char sha[LB_SHA_HEX + 1], struct lb_error *err);

/* Each metric a commit message (or a pull request's description) accepts a change of:
 * "Metric-Increase: a, b" lines, GHC's way (also "Metric Increase:").  `each` is called
 * with every name; the first non-zero it returns stops the walk and is returned. */
int target_accepted_metrics(const char *message, int (*each)(const char *name, void *arg), void *arg);

struct target_build {
	struct build_result build;
	char same_as[LB_SHA_HEX + 1]; /* an earlier revision with a byte-identical binary, or "" */
};

/* Record the commit, build it (or take the cached build), record the build.  A failed build
 * is a result (build.ok = 0), not an error. */
int target_build(const struct cfg *c, const struct cfg_target *t, struct rev_repo *repo,
		 const struct rev_commit *commit, struct store *st, struct target_build *out, struct lb_error *err);

#endif
