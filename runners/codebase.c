/*
 * codebase.c - preparing a scenario's codebase.
 */
#include "runners/codebase.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runners/fetch.h"

#include "scenarios/codegen.h"

static int copy_file(const char *src, const char *dst, mode_t mode, struct lb_error *err)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return lb_error_set(err, LB_EIO, "cannot read %s: %s", src, strerror(errno));
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode & 0777);
	if (out < 0) {
		close(in);
		return lb_error_set(err, LB_EIO, "cannot create %s: %s", dst, strerror(errno));
	}
	char buf[65536];
	ssize_t n;
	int rc = 0;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			rc = lb_error_set(err, LB_EIO, "writing %s: %s", dst, strerror(errno));
			break;
		}
	if (n < 0)
		rc = lb_error_set(err, LB_EIO, "reading %s: %s", src, strerror(errno));
	close(in);
	if (close(out) != 0 && !rc)
		rc = lb_error_set(err, LB_EIO, "writing %s: %s", dst, strerror(errno));
	return rc;
}

/* The copy itself; `top` is the destination folder (device, inode): a source that holds its
 * own copy's destination (the run's artifacts inside the codebase) would copy forever. */
static int copy_tree(const char *src, const char *dest, const struct stat *top, struct lb_error *err)
{
	struct stat sb;
	if (lstat(src, &sb) < 0)
		return lb_error_set(err, errno == ENOENT ? LB_ENOTFOUND : LB_EIO, "%s: %s", src, strerror(errno));
	if (S_ISLNK(sb.st_mode)) {
		char target[4096];
		ssize_t n = readlink(src, target, sizeof(target) - 1);
		if (n < 0)
			return lb_error_set(err, LB_EIO, "%s: %s", src, strerror(errno));
		target[n] = '\0';
		if (symlink(target, dest) < 0)
			return lb_error_set(err, LB_EIO, "cannot create %s: %s", dest, strerror(errno));
		return 0;
	}
	if (S_ISREG(sb.st_mode))
		return copy_file(src, dest, sb.st_mode, err);
	if (!S_ISDIR(sb.st_mode))
		return 0; /* sockets, devices: not part of a codebase */
	if (top && sb.st_dev == top->st_dev && sb.st_ino == top->st_ino)
		return 0; /* the copy being made */
	if (mkdir(dest, 0755) < 0 && errno != EEXIST)
		return lb_error_set(err, LB_EIO, "cannot create %s: %s", dest, strerror(errno));
	struct stat made;
	if (!top && stat(dest, &made) == 0)
		top = &made;
	DIR *d = opendir(src);
	if (!d)
		return lb_error_set(err, LB_EIO, "%s: %s", src, strerror(errno));
	struct dirent *de;
	int rc = 0;
	while (!rc && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *s = NULL, *t = NULL;
		if (asprintf(&s, "%s/%s", src, de->d_name) < 0 || asprintf(&t, "%s/%s", dest, de->d_name) < 0)
			rc = lb_error_oom(err);
		else
			rc = copy_tree(s, t, top, err);
		free(s);
		free(t);
	}
	closedir(d);
	return rc;
}

int codebase_copy_tree(const char *src, const char *dest, struct lb_error *err)
{
	return copy_tree(src, dest, NULL, err);
}

int codebase_prepare(const struct scn_codebase *cb, const char *dest, const char *where, const char *cache,
		     struct lb_error *err)
{
	switch (cb->kind) {
	case SCN_CODEBASE_NONE:
		return 0;
	case SCN_CODEBASE_GENERATE: {
		struct gen_params p;
		gen_defaults(&p);
		char prefix[600];
		snprintf(prefix, sizeof(prefix), "%s:%d: codebase generate ", where, cb->line);
		for (size_t i = 0; i < cb->n_params; i++) {
			char *kv = strdup(cb->params[i]);
			if (!kv)
				return lb_error_oom(err);
			char *eq = strchr(kv, '=');
			*eq = '\0';
			int rc = gen_param_set(&p, kv, eq + 1, prefix, err);
			free(kv);
			if (rc)
				return rc;
		}
		if (gen_params_check(&p, err))
			return lb_error_prefix(err, "%s:%d: codebase generate: ", where, cb->line);
		return gen_codebase(&p, dest, NULL, err);
	}
	case SCN_CODEBASE_DIR: {
		struct stat sb;
		if (stat(cb->dir, &sb) < 0 || !S_ISDIR(sb.st_mode))
			return lb_error_set(err, LB_EINVAL, "%s:%d: codebase dir %s: not a directory", where, cb->line,
					    cb->dir);
		return codebase_copy_tree(cb->dir, dest, err);
	}
	case SCN_CODEBASE_TARBALL: {
		char *tree;
		int rc = fetch_tarball(cache, cb->url, cb->sha256, &tree, err);
		if (rc) {
			lb_error_prefix(err, "%s:%d: codebase tarball: ", where, cb->line);
			return rc;
		}
		rc = codebase_copy_tree(tree, dest, err);
		free(tree);
		return rc;
	}
	}
	return 0;
}
