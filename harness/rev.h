/*
 * rev.h - a target's revisions, through libgit2: a bare mirror per target in the cache,
 * revisions resolved (branches, tags, short ids, HEAD~3), first-parent ranges, commit
 * metadata, and one revision's tree written out to a folder of its own (with submodules).
 */
#ifndef LB_REV_H
#define LB_REV_H

#include <stddef.h>

#include "base/digest.h"
#include "base/error.h"

struct rev_repo;

struct rev_commit {
	char sha[LB_SHA_HEX + 1];
	char tree[LB_SHA_HEX + 1];     /* the tree id: what a build depends on */
	char *parents;     /* space-separated shas; "" for a root commit */
	char *author;      /* "Name <email>" */
	double author_time; /* unix seconds */
	char *subject;     /* the message's first line */
	char *message;     /* the whole message (trailers such as Metric-Increase live there) */
};

/* The mirror of `url` (a URL or a local path) at CACHE/repos/NAME.git: cloned the first
 * time (into a temporary folder, then moved, so an interrupted clone leaves nothing), and
 * fetched again when `fetch` is set. */
int rev_open(struct rev_repo **out, const char *cache, const char *name, const char *url, int fetch,
	     struct lb_error *err);
void rev_close(struct rev_repo *r);

/* A branch, tag, (short) sha or any git revision expression, as a commit. */
int rev_resolve(struct rev_repo *r, const char *spec, struct rev_commit *c, struct lb_error *err);

/* Where `b` branched from `a` (their merge base, as `git merge-base A B`): the commit a pull
 * request from b into a is judged against. */
int rev_merge_base(struct rev_repo *r, const char *a, const char *b, struct rev_commit *c, struct lb_error *err);

/* The first-parent commits of "A..B" (after A, up to and including B), or of "B" alone
 * (just B), oldest first.  *list is malloc'ed: free each with rev_commit_free, then it.
 * A must be an ancestor of B. */
int rev_list(struct rev_repo *r, const char *range, struct rev_commit **list, size_t *n, struct lb_error *err);

/* The first-parent commits from `tip` back to (not including) the newest one `known` says
 * yes to, oldest first; *found = 0 when no commit on the way was known (then the list is
 * the whole first-parent history).  What `sweep --new` measures. */
int rev_list_since(struct rev_repo *r, const char *tip, int (*known)(const char *sha, void *arg), void *arg,
		   struct rev_commit **list, size_t *n, int *found, struct lb_error *err);

/* Write the commit's tree to `dir` (which must not exist yet), submodules included (each
 * mirrored in the cache like a target). */
int rev_checkout(struct rev_repo *r, const struct rev_commit *c, const char *dir, struct lb_error *err);

/* The commit checked out in the git work tree that holds `dir` (as inside `git bisect run`);
 * -1 when `dir` is in no repository or its HEAD is unborn. */
int rev_worktree_head(const char *dir, char sha[LB_SHA_HEX + 1]);

void rev_commit_free(struct rev_commit *c);

#endif
