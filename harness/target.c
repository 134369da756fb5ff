/*
 * target.c - from a configured target and a commit to a binary to measure.
 *
 * The commit is stored before the build starts, so a failed or interrupted build still has
 * its revision; the build is stored with its cache key as id, so the same tree built for two
 * commits is one build.  Identical binaries are found by hash: such revisions measure the
 * same program, which `sweep` says, and whose spread later calibrates noise.
 */
#include "harness/target.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/digest.h"

/* Every spec resolved into commits[] (each freed and cleared on failure). */
static int resolve_all(struct rev_repo *r, const char *const *revs, size_t n, struct rev_commit *commits,
		      struct lb_error *err)
{
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = rev_resolve(r, revs[i], &commits[i], err);
	for (size_t i = 0; rc && i < n; i++)
		rev_commit_free(&commits[i]), memset(&commits[i], 0, sizeof(commits[i]));
	return rc;
}

int target_open_all(struct rev_repo **out, const struct cfg *c, const struct cfg_target *t, const char *const *revs,
		    size_t n, struct rev_commit *commits, struct lb_error *err)
{
	int rc = rev_open(out, c->cache, t->name, t->repo, 0, err);
	if (rc || resolve_all(*out, revs, n, commits, err) == 0)
		return rc;
	rev_close(*out); /* one not known yet: fetch, then each must be */
	*out = NULL;
	if ((rc = rev_open(out, c->cache, t->name, t->repo, 1, err)) || !(rc = resolve_all(*out, revs, n, commits, err)))
		return rc;
	rev_close(*out);
	*out = NULL;
	return rc;
}

int target_open(struct rev_repo **out, const struct cfg *c, const struct cfg_target *t, const char *rev,
		struct rev_commit *commit, struct lb_error *err)
{
	return target_open_all(out, c, t, &rev, 1, commit, err);
}

int target_resolve(const struct cfg *c, const struct cfg_target *t, struct store *st, const char *target,
		   const char *spec, char sha[LB_SHA_HEX + 1], struct lb_error *err)
{
	if (!t)
		return store_find_revision(st, target, spec, sha, err);
	struct rev_repo *repo = NULL;
	struct rev_commit commit = {0};
	int rc = target_open(&repo, c, t, spec, &commit, err);
	if (!rc)
		memcpy(sha, commit.sha, LB_SHA_HEX + 1);
	rev_commit_free(&commit);
	rev_close(repo);
	return rc;
}

int target_accepted_metrics(const char *message, int (*each)(const char *name, void *arg), void *arg)
{
	static const char *const keys[] = {"Metric-Increase:", "Metric Increase:"};
	for (const char *line = message; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		for (size_t k = 0; k < 2; k++) {
			size_t kl = strlen(keys[k]);
			if (strncasecmp(line, keys[k], kl))
				continue;
			const char *p = line + kl, *end = p + strcspn(p, "\n");
			while (p < end) {
				p += strspn(p, " \t,\r");
				size_t w = strcspn(p, " \t,\r\n");
				if (w && p + w <= end) {
					char name[128];
					snprintf(name, sizeof(name), "%.*s", (int)w, p);
					int rc = each(name, arg);
					if (rc)
						return rc;
				}
				p += w ? w : 1;
			}
		}
	return 0;
}

struct trailer_arg {
	struct store *st;
	const char *target, *sha;
	struct lb_error *err;
};

static int store_trailer(const char *name, void *arg)
{
	struct trailer_arg *a = arg;
	return store_put_acceptance(a->st, a->target, a->sha, name, "Metric-Increase in the commit message", a->err);
}

int target_build(const struct cfg *c, const struct cfg_target *t, struct rev_repo *repo,
		 const struct rev_commit *commit, struct store *st, struct target_build *out, struct lb_error *err)
{
	memset(out, 0, sizeof(*out));
	struct store_revision sr = {commit->sha, commit->parents, commit->author, commit->subject, commit->author_time};
	int rc = store_put_revision(st, t->name, t->repo, &sr, err);
	struct trailer_arg ta = {st, t->name, commit->sha, err};
	if (!rc)
		rc = target_accepted_metrics(commit->message, store_trailer, &ta);
	if (rc)
		return rc;
	struct build_req q = {.cache = c->cache, .target = t->name, .recipe = t->build, .toolchain = t->toolchain,
			      .program = t->program, .env = t->env, .timeout = t->build_timeout};
	double started = (double)time(NULL);
	if ((rc = build_get(&q, repo, commit, &out->build, err)))
		return rc;
	char recipe_hash[LB_DIGEST_HEX + 1];
	if ((rc = digest_buffer(t->build, strlen(t->build), recipe_hash, err)))
		return rc;
	const struct build_result *b = &out->build;
	struct store_build sb = {.id = b->key, .target = t->name, .sha = commit->sha, .tree = commit->tree,
				 .toolchain = t->toolchain, .recipe_hash = recipe_hash,
				 .status = b->ok ? "ok" : b->timed_out ? "timeout" : "failed", .log_path = b->log,
				 .binary_path = b->binary, .binary_hash = b->ok ? b->binary_hash : NULL,
				 .started_at = started, .seconds = b->seconds};
	if (!(rc = store_put_build(st, &sb, err)) && b->ok)
		rc = store_revision_with_binary(st, t->name, b->binary_hash, commit->sha, out->same_as, err);
	if (rc)
		build_result_free(&out->build);
	return rc;
}
