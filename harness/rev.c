/*
 * rev.c - revisions with libgit2.
 *
 * One bare mirror per repository (refspec "+refs/ * : refs/ *" without the spaces, so every branch and tag of the
 * origin is a ref here) lives in the cache and is fetched, never re-cloned.  A revision is
 * materialised by checking its tree out into a fresh folder (libgit2's target_directory;
 * the mirror itself has no work tree), so any number of revisions can be built side by side.
 * Submodules are gitlinks in that tree: each is mirrored the same way (its URL from the
 * revision's own .gitmodules, relative URLs resolved against the parent's) and its commit
 * checked out into place, recursively.
 */
#include "base/digest.h"
#include "base/mem.h"
#include "harness/rev.h"

#include <ctype.h>
#include <errno.h>
#include <git2.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/dynlib.h"
#include "base/file.h"
#include "base/text.h"
#include "runners/exec.h"

/* The libgit2 functions rev.c calls.  libgit2 is loaded when a revision is first asked for
 * (base/dynlib.h): linked, it and what it pulls in (Kerberos, TLS, SSH, libcrypto) cost every
 * leakbench process 1.6 ms before main(), a tenth of reading an eventlog, which uses none of
 * it.  Each is called through the table as G->git_NAME(...), typed as the header declares it. */
#define GIT_FNS(X) \
	X(git_commit_id) X(git_commit_free) X(git_oid_tostr) \
	X(git_repository_free) X(git_commit_lookup) X(git_tree_walk) \
	X(git_tree_entry_name) X(git_tree_entry_id) X(git_tree_entry_filemode) \
	X(git_revwalk_free) X(git_repository_open_bare) X(git_oid_tostr_s) \
	X(git_libgit2_shutdown) X(git_libgit2_init) X(git_tree_free) \
	X(git_revwalk_sorting) X(git_revwalk_simplify_first_parent) X(git_revwalk_push) \
	X(git_revwalk_next) X(git_revwalk_new) X(git_revwalk_hide) \
	X(git_revparse_single) X(git_repository_open_ext) X(git_remote_lookup) \
	X(git_remote_free) X(git_remote_fetch) X(git_remote_create_with_fetchspec) \
	X(git_reference_name_to_id) X(git_oid_fromstr) X(git_oid_cmp) \
	X(git_object_peel) X(git_object_free) X(git_merge_base) \
	X(git_graph_descendant_of) X(git_error_last) X(git_config_open_ondisk) \
	X(git_config_get_entry) X(git_config_free) X(git_config_foreach_match) \
	X(git_config_entry_free) X(git_commit_tree_id) X(git_commit_tree) \
	X(git_commit_parentcount) X(git_commit_parent_id) X(git_commit_message) \
	X(git_commit_author) X(git_clone) X(git_blob_rawsize) \
	X(git_blob_rawcontent) X(git_blob_lookup) X(git_blob_free)

struct git_lib {
	void *handle;
#define GIT_FIELD(f) __typeof__(f) *f;
	GIT_FNS(GIT_FIELD)
#undef GIT_FIELD
};

#define GIT_SONAME "libgit2.so." LIBGIT2_SOVERSION

static int git_lib_open(struct git_lib *G, struct lb_error *err)
{
	static const struct dynlib_fn fns[] = {
#define GIT_ROW(f) {#f, offsetof(struct git_lib, f)},
		GIT_FNS(GIT_ROW)
#undef GIT_ROW
	};
	memset(G, 0, sizeof(*G));
	if (dynlib_open(&G->handle, GIT_SONAME, "libgit2-" LIBGIT2_SOVERSION, G, fns, sizeof(fns) / sizeof(*fns), err))
		return err->code;
	G->git_libgit2_init();
	return 0;
}

static void git_lib_close(struct git_lib *G)
{
	if (!G->handle)
		return;
	G->git_libgit2_shutdown();
	dynlib_close(&G->handle);
}

struct rev_repo {
	struct git_lib lib;
	git_repository *repo;
	char *cache, *name, *url;
};

static int git_fail(const struct git_lib *G, struct lb_error *err, const char *fmt, const char *arg)
{
	const git_error *e = G->git_error_last();
	char what[600];
	snprintf(what, sizeof(what), fmt, arg);
	/* the network failing is leakbench not getting its work done (exit 3), not a mistake
	 * in what the user asked for (exit 2) */
	int net = e && (e->klass == GIT_ERROR_NET || e->klass == GIT_ERROR_SSL || e->klass == GIT_ERROR_SSH ||
			e->klass == GIT_ERROR_HTTP || e->klass == GIT_ERROR_OS);
	return lb_error_set(err, net ? LB_EIO : LB_EINVAL, "%s: %s", what, e && e->message ? e->message : "unknown libgit2 error");
}

static int mirror_remote(git_remote **out, git_repository *repo, const char *name, const char *url, void *payload)
{
	(void)name;
	const struct git_lib *G = payload;
	return G->git_remote_create_with_fetchspec(out, repo, "origin", url, "+refs/*:refs/*");
}

int rev_open(struct rev_repo **out, const char *cache, const char *name, const char *url, int fetch,
	     struct lb_error *err)
{
	*out = NULL;
	struct rev_repo *r = calloc(1, sizeof(*r));
	if (!r)
		return lb_error_oom(err);
	const struct git_lib *G = &r->lib;
	char *path = NULL, *tmp = NULL, *dir = NULL;
	int rc = git_lib_open(&r->lib, err);
	if (rc)
		goto out;
	if (!(r->cache = strdup(cache)) || !(r->name = strdup(name)) || !(r->url = strdup(url)) ||
	    asprintf(&dir, "%s/repos", cache) < 0 || asprintf(&path, "%s/%s.git", dir, name) < 0 ||
	    asprintf(&tmp, "%s/.%s.git.%d", dir, name, (int)getpid()) < 0) {
		rc = lb_error_oom(err);
		goto out;
	}
	struct stat sb;
	if (stat(path, &sb) == 0) {
		if (G->git_repository_open_bare(&r->repo, path) < 0) {
			rc = git_fail(G, err, "opening the mirror %s", path);
			goto out;
		}
		if (fetch) {
			git_remote *remote = NULL;
			git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
			fo.prune = GIT_FETCH_PRUNE;
			if (G->git_remote_lookup(&remote, r->repo, "origin") < 0 || G->git_remote_fetch(remote, NULL, &fo, NULL) < 0)
				rc = git_fail(G, err, "fetching %s", url);
			G->git_remote_free(remote);
		}
		goto out;
	}
	if ((rc = file_mkdirs(dir, err)))
		goto out;
	if (!strstr(url, "://") && !strchr(url, '@') && stat(url, &sb) < 0) {
		/* libgit2 would call a missing local path an "unsupported URL protocol" */
		rc = lb_error_set(err, LB_EINVAL, "cloning %s: no such directory (is the repo URL or path right?)", url);
		goto out;
	}
	git_clone_options co = GIT_CLONE_OPTIONS_INIT;
	co.bare = 1;
	co.remote_cb = mirror_remote;
	co.remote_cb_payload = (void *)G;
	if (G->git_clone(&r->repo, url, tmp, &co) < 0) {
		rc = git_fail(G, err, "cloning %s (is the repo URL or path right?)", url);
		file_remove_tree(tmp); /* leave nothing half-cloned behind */
		goto out;
	}
	G->git_repository_free(r->repo);
	r->repo = NULL;
	if (rename(tmp, path) < 0 && errno != ENOTEMPTY && errno != EEXIST) {
		rc = lb_error_set(err, LB_EIO, "moving the new mirror into %s: %s", path, strerror(errno));
		goto out;
	}
	if (G->git_repository_open_bare(&r->repo, path) < 0)
		rc = git_fail(G, err, "opening the mirror %s", path);
out:
	free(path);
	free(tmp);
	free(dir);
	if (rc) {
		rev_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

void rev_close(struct rev_repo *r)
{
	if (!r)
		return;
	if (r->lib.handle)
		r->lib.git_repository_free(r->repo);
	git_lib_close(&r->lib);
	free(r->cache);
	free(r->name);
	free(r->url);
	free(r);
}

void rev_commit_free(struct rev_commit *c)
{
	free(c->parents);
	free(c->author);
	free(c->subject);
	free(c->message);
	memset(c, 0, sizeof(*c));
}

static int fill(const struct git_lib *G, const git_commit *gc, struct rev_commit *c, struct lb_error *err)
{
	memset(c, 0, sizeof(*c));
	G->git_oid_tostr(c->sha, sizeof(c->sha), G->git_commit_id(gc));
	G->git_oid_tostr(c->tree, sizeof(c->tree), G->git_commit_tree_id(gc));
	unsigned np = G->git_commit_parentcount(gc);
	c->parents = calloc(np * (LB_SHA_HEX + 1) + 1, 1);
	for (unsigned i = 0; c->parents && i < np; i++) {
		char s[LB_SHA_HEX + 1];
		G->git_oid_tostr(s, sizeof(s), G->git_commit_parent_id(gc, i));
		strcat(strcat(c->parents, i ? " " : ""), s);
	}
	/* author and subject are shown (terminal, store, dashboard): control characters in
	 * them (ESC [2J, an OSC 52 clipboard write) are escaped here, once, for every reader */
	const git_signature *a = G->git_commit_author(gc);
	char *author = NULL, *subject = NULL;
	if (asprintf(&author, "%s <%s>", a->name ? a->name : "", a->email ? a->email : "") < 0)
		author = NULL;
	c->author = author ? text_visible(author) : NULL;
	c->author_time = (double)a->when.time;
	const char *msg = G->git_commit_message(gc);
	c->message = strdup(msg ? msg : "");
	subject = c->message ? strndup(c->message, strcspn(c->message, "\n")) : NULL;
	c->subject = subject ? text_visible(subject) : NULL;
	free(author);
	free(subject);
	if (!c->parents || !c->author || !c->message || !c->subject) {
		rev_commit_free(c);
		return lb_error_oom(err);
	}
	return 0;
}

static int lookup(struct rev_repo *r, const char *spec, git_commit **out, struct lb_error *err)
{
	const struct git_lib *G = &r->lib;
	git_object *obj = NULL, *peeled = NULL;
	if (G->git_revparse_single(&obj, r->repo, spec) < 0) {
		lb_error_set(err, LB_EINVAL, "target %s: unknown revision '%s' (not a branch, tag or commit of %s)", r->name,
			     spec, r->url);
		return err->code;
	}
	int rc = G->git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
	G->git_object_free(obj);
	if (rc < 0)
		return lb_error_set(err, LB_EINVAL, "target %s: '%s' does not name a commit", r->name, spec);
	*out = (git_commit *)peeled;
	return 0;
}

int rev_resolve(struct rev_repo *r, const char *spec, struct rev_commit *c, struct lb_error *err)
{
	const struct git_lib *G = &r->lib;
	git_commit *gc;
	int rc = lookup(r, spec, &gc, err);
	if (rc)
		return rc;
	rc = fill(G, gc, c, err);
	G->git_commit_free(gc);
	return rc;
}

int rev_merge_base(struct rev_repo *r, const char *a, const char *b, struct rev_commit *c, struct lb_error *err)
{
	const struct git_lib *G = &r->lib;
	git_commit *ca = NULL, *cb = NULL, *base = NULL;
	git_oid oid;
	int rc = lookup(r, a, &ca, err);
	if (!rc)
		rc = lookup(r, b, &cb, err);
	if (!rc && G->git_merge_base(&oid, r->repo, G->git_commit_id(ca), G->git_commit_id(cb)) < 0)
		rc = lb_error_set(err, LB_EINVAL, "target %s: '%s' and '%s' have no common ancestor", r->name, a, b);
	if (!rc && G->git_commit_lookup(&base, r->repo, &oid) < 0)
		rc = git_fail(G, err, "reading the merge base of '%s'", b);
	if (!rc)
		rc = fill(G, base, c, err);
	G->git_commit_free(ca);
	G->git_commit_free(cb);
	G->git_commit_free(base);
	return rc;
}

/* The first-parent commits from `b` back (not reaching `a`, when given), up to the first
 * one `stop` says to stop at (left out), oldest first in *list.  *stopped tells whether
 * `stop` ever said so. */
static int walk_back(struct rev_repo *r, const git_commit *b, const git_commit *a, int (*stop)(const char *, void *),
		     void *arg, int *stopped, struct rev_commit **list, size_t *n, struct lb_error *err)
{
	const struct git_lib *G = &r->lib;
	git_revwalk *walk = NULL;
	*stopped = 0;
	if (G->git_revwalk_new(&walk, r->repo) < 0)
		return git_fail(G, err, "walking the history of %.12s", G->git_oid_tostr_s(G->git_commit_id(b)));
	if (G->git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL) < 0 || G->git_revwalk_simplify_first_parent(walk) < 0 ||
	    G->git_revwalk_push(walk, G->git_commit_id(b)) < 0 || (a && G->git_revwalk_hide(walk, G->git_commit_id(a)) < 0)) {
		G->git_revwalk_free(walk);
		return git_fail(G, err, "walking the history of %.12s", G->git_oid_tostr_s(G->git_commit_id(b)));
	}
	git_oid oid;
	size_t cap = 0;
	int rc = 0;
	while (!rc && G->git_revwalk_next(&oid, walk) == 0) {
		char sha[GIT_OID_HEXSZ + 1];
		G->git_oid_tostr(sha, sizeof(sha), &oid);
		if (stop && stop(sha, arg)) {
			*stopped = 1;
			break;
		}
		git_commit *gc;
		if (G->git_commit_lookup(&gc, r->repo, &oid) < 0) {
			rc = git_fail(G, err, "reading commit %s", sha);
			break;
		}
		if ((rc = LB_GROW(*list, *n + 1, cap, err))) {
			G->git_commit_free(gc);
			break;
		}
		rc = fill(G, gc, &(*list)[*n], err);
		G->git_commit_free(gc);
		if (!rc)
			(*n)++;
	}
	G->git_revwalk_free(walk);
	/* the walk gives newest first: the caller wants history's order */
	for (size_t i = 0; !rc && i < *n / 2; i++) {
		struct rev_commit t = (*list)[i];
		(*list)[i] = (*list)[*n - 1 - i];
		(*list)[*n - 1 - i] = t;
	}
	return rc;
}

static void list_free(struct rev_commit **list, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		rev_commit_free(&(*list)[i]);
	free(*list);
	*list = NULL;
	*n = 0;
}

int rev_list(struct rev_repo *r, const char *range, struct rev_commit **list, size_t *n, struct lb_error *err)
{
	const struct git_lib *G = &r->lib;
	*list = NULL;
	*n = 0;
	const char *dots = strstr(range, "..");
	char *from = dots ? strndup(range, (size_t)(dots - range)) : NULL;
	const char *to = dots ? dots + 2 : range;
	git_commit *a = NULL, *b = NULL;
	int rc = 0, stopped;
	if (dots && (!*from || !*to)) {
		rc = lb_error_set(err, LB_EINVAL, "range '%s': expected A..B (both ends named)", range);
		goto out;
	}
	if ((from && (rc = lookup(r, from, &a, err))) || (rc = lookup(r, to, &b, err)))
		goto out;
	if (!from) {
		*list = calloc(1, sizeof(**list));
		rc = *list ? fill(G, b, *list, err) : lb_error_oom(err);
		*n = rc ? 0 : 1;
		goto out;
	}
	if (G->git_oid_cmp(G->git_commit_id(a), G->git_commit_id(b)) != 0 &&
	    G->git_graph_descendant_of(r->repo, G->git_commit_id(b), G->git_commit_id(a)) != 1) {
		rc = lb_error_set(err, LB_EINVAL, "range %s: %s is not an ancestor of %s", range, from, to);
		goto out;
	}
	rc = walk_back(r, b, a, NULL, NULL, &stopped, list, n, err);
out:
	if (rc)
		list_free(list, n);
	G->git_commit_free(a);
	G->git_commit_free(b);
	free(from);
	return rc;
}

int rev_list_since(struct rev_repo *r, const char *tip, int (*known)(const char *sha, void *arg), void *arg,
		   struct rev_commit **list, size_t *n, int *found, struct lb_error *err)
{
	const struct git_lib *G = &r->lib;
	*list = NULL;
	*n = 0;
	git_commit *b = NULL;
	int rc = lookup(r, tip, &b, err);
	if (!rc)
		rc = walk_back(r, b, NULL, known, arg, found, list, n, err);
	if (rc)
		list_free(list, n);
	G->git_commit_free(b);
	return rc;
}

/* A cache name for a submodule's URL: its last path part, made safe, plus a hash of all. */
static char *mirror_name(const char *url)
{
	unsigned long h = 5381;
	for (const char *c = url; *c; c++)
		h = h * 33 + (unsigned char)*c;
	const char *base = strrchr(url, '/') ? strrchr(url, '/') + 1 : url;
	char *name;
	if (asprintf(&name, "sub-%.40s-%08lx", base, h & 0xffffffffUL) < 0)
		return NULL;
	for (char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '-')
			*c = '_';
	return name;
}

/* "../foo.git" against the parent's URL. */
static char *resolve_url(const char *parent, const char *url)
{
	if (strncmp(url, "./", 2) && strncmp(url, "../", 3))
		return strdup(url);
	char *base = strdup(parent);
	if (!base)
		return NULL;
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		base[--n] = '\0';
	while (!strncmp(url, "./", 2) || !strncmp(url, "../", 3)) {
		if (url[1] == '.') {
			char *slash = strrchr(base, '/');
			if (slash)
				*slash = '\0';
			url += 3;
		} else {
			url += 2;
		}
	}
	char *out;
	if (asprintf(&out, "%s/%s", base, url) < 0)
		out = NULL;
	free(base);
	return out;
}

struct sub_walk {
	struct rev_repo *r;
	const char *dir;
	git_config *modules;
	struct lb_error *err;
	int rc;
};

struct sub_find {
	const char *path;
	char *name;
};

static int find_by_path(const git_config_entry *e, void *payload)
{
	struct sub_find *f = payload;
	size_t n = strlen(e->name);
	if (n > 5 && !strcmp(e->name + n - 5, ".path") && !strcmp(e->value, f->path) && !f->name)
		f->name = strndup(e->name + 10, n - 10 - 5); /* submodule.NAME.path */
	return 0;
}

static int sub_entry(const char *root, const git_tree_entry *entry, void *payload)
{
	struct sub_walk *w = payload;
	const struct git_lib *G = &w->r->lib;
	if (G->git_tree_entry_filemode(entry) != GIT_FILEMODE_COMMIT || w->rc)
		return 0;
	char *path = NULL, *key = NULL, *url = NULL, *abs_url = NULL, *name = NULL, *dest = NULL;
	struct sub_find f = {NULL, NULL};
	git_config_entry *ce = NULL;
	if (asprintf(&path, "%s%s", root, G->git_tree_entry_name(entry)) < 0) {
		w->rc = lb_error_oom(w->err);
		return -1;
	}
	f.path = path;
	if (w->modules)
		G->git_config_foreach_match(w->modules, "^submodule\\..*\\.path$", find_by_path, &f);
	if (!f.name || asprintf(&key, "submodule.%s.url", f.name) < 0 || G->git_config_get_entry(&ce, w->modules, key) < 0) {
		w->rc = lb_error_set(w->err, LB_EINVAL, "target %s: the submodule at %s has no url in .gitmodules",
				     w->r->name, path);
		goto done;
	}
	url = strdup(ce->value);
	abs_url = url ? resolve_url(w->r->url, url) : NULL;
	name = abs_url ? mirror_name(abs_url) : NULL;
	if (!name || asprintf(&dest, "%s/%s", w->dir, path) < 0) {
		w->rc = lb_error_oom(w->err);
		goto done;
	}
	char sha[LB_SHA_HEX + 1];
	G->git_oid_tostr(sha, sizeof(sha), G->git_tree_entry_id(entry));
	struct rev_repo *sub = NULL;
	struct rev_commit c;
	w->rc = rev_open(&sub, w->r->cache, name, abs_url, 0, w->err);
	if (!w->rc && rev_resolve(sub, sha, &c, w->err)) { /* not fetched yet: fetch once */
		rev_close(sub);
		sub = NULL;
		w->rc = rev_open(&sub, w->r->cache, name, abs_url, 1, w->err);
		if (!w->rc)
			w->rc = rev_resolve(sub, sha, &c, w->err);
	}
	if (!w->rc) {
		rmdir(dest); /* the parent's checkout leaves an empty folder for it */
		w->rc = rev_checkout(sub, &c, dest, w->err);
		rev_commit_free(&c);
	}
	if (w->rc)
		lb_error_prefix(w->err, "submodule %s: ", path);
	rev_close(sub);
done:
	G->git_config_entry_free(ce);
	free(f.name);
	free(path);
	free(key);
	free(url);
	free(abs_url);
	free(name);
	free(dest);
	return w->rc ? -1 : 0;
}

/* One entry of the tree into the folder: a blob as a file (its mode kept) or a symlink, a
 * subtree as a folder, a submodule as a folder its own checkout then fills. */
static int write_entry(const char *root, const git_tree_entry *entry, void *payload)
{
	struct sub_walk *w = payload;
	const struct git_lib *G = &w->r->lib;
	char *path = NULL;
	git_blob *blob = NULL;
	git_filemode_t mode = G->git_tree_entry_filemode(entry);
	if (asprintf(&path, "%s/%s%s", w->dir, root, G->git_tree_entry_name(entry)) < 0) {
		w->rc = lb_error_oom(w->err);
		return -1;
	}
	if (mode == GIT_FILEMODE_TREE || mode == GIT_FILEMODE_COMMIT) {
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			w->rc = lb_error_set(w->err, LB_EIO, "%s: %s", path, strerror(errno));
	} else if (G->git_blob_lookup(&blob, w->r->repo, G->git_tree_entry_id(entry)) < 0) {
		w->rc = git_fail(G, w->err, "reading %s", path);
	} else {
		const char *data = G->git_blob_rawcontent(blob);
		size_t n = (size_t)G->git_blob_rawsize(blob);
		if (mode == GIT_FILEMODE_LINK) {
			char *target = strndup(data, n);
			if (!target || symlink(target, path) < 0)
				w->rc = lb_error_set(w->err, LB_EIO, "%s: %s", path, target ? strerror(errno) : "out of memory");
			free(target);
		} else {
			FILE *f = fopen(path, "wb");
			int bad = !f || fwrite(data, 1, n, f) != n;
			if (f && fclose(f) != 0)
				bad = 1;
			if (bad || chmod(path, mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644) < 0)
				w->rc = lb_error_set(w->err, LB_EIO, "writing %s: %s", path, strerror(errno));
		}
	}
	G->git_blob_free(blob);
	free(path);
	return w->rc ? -1 : 0;
}

int rev_checkout(struct rev_repo *r, const struct rev_commit *c, const char *dir, struct lb_error *err)
{
	const struct git_lib *G = &r->lib;
	/* written by hand rather than git_checkout_tree: libgit2 refuses a tree holding
	 * submodules in a bare repository, and a build wants the blobs as committed anyway
	 * (what `git archive` gives), whatever a .gitattributes would filter */
	git_commit *gc = NULL;
	git_tree *tree = NULL;
	git_oid oid;
	int rc = 0;
	char *gm = NULL;
	struct sub_walk w = {r, dir, NULL, err, 0};
	if (G->git_oid_fromstr(&oid, c->sha) < 0 || G->git_commit_lookup(&gc, r->repo, &oid) < 0 ||
	    G->git_commit_tree(&tree, gc) < 0) {
		rc = git_fail(G, err, "reading commit %s", c->sha);
		goto out;
	}
	if ((rc = file_mkdirs(dir, err)))
		goto out;
	if (G->git_tree_walk(tree, GIT_TREEWALK_PRE, write_entry, &w) < 0) {
		rc = w.rc ? w.rc : git_fail(G, err, "checking out %s", c->sha);
		goto out;
	}
	if (asprintf(&gm, "%s/.gitmodules", dir) < 0) {
		rc = lb_error_oom(err);
		goto out;
	}
	if (access(gm, R_OK) == 0 && G->git_config_open_ondisk(&w.modules, gm) < 0)
		rc = git_fail(G, err, "reading %s", gm);
	if (!rc && G->git_tree_walk(tree, GIT_TREEWALK_PRE, sub_entry, &w) < 0)
		rc = w.rc ? w.rc : git_fail(G, err, "walking the tree of %s", c->sha);
out:
	free(gm);
	G->git_config_free(w.modules);
	G->git_tree_free(tree);
	G->git_commit_free(gc);
	return rc;
}

int rev_worktree_head(const char *dir, char sha[LB_SHA_HEX + 1])
{
	git_repository *repo = NULL;
	git_oid oid;
	struct git_lib lib, *G = &lib;
	struct lb_error err = {0};
	if (git_lib_open(G, &err))
		return -1;
	int rc = G->git_repository_open_ext(&repo, dir, 0, NULL) < 0 || G->git_reference_name_to_id(&oid, repo, "HEAD") < 0
			 ? -1
			 : 0;
	if (!rc)
		G->git_oid_tostr(sha, LB_SHA_HEX + 1, &oid);
	G->git_repository_free(repo);
	git_lib_close(G);
	return rc;
}
