/*
 * file.c - whole-file reads, grown by doubling, bounded by `max`.
 */
#include "base/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

char *file_read(const char *path, size_t max, size_t *len, struct lb_error *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		lb_error_set(err, errno == ENOENT ? LB_ENOTFOUND : LB_EIO, "%s: %s", path, strerror(errno));
		return NULL;
	}
	size_t cap = 4096, n = 0, got;
	char *buf = malloc(cap);
	while (buf && (!max || n < max) && (got = fread(buf + n, 1, (max && max - n < cap - n - 1) ? max - n : cap - n - 1, f)) > 0) {
		n += got;
		if (cap - n < 2) {
			char *p = realloc(buf, cap * 2);
			if (!p) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = p;
			cap *= 2;
		}
	}
	int bad = ferror(f);
	fclose(f);
	if (!buf) {
		lb_error_oom(err);
		return NULL;
	}
	if (bad) {
		free(buf);
		lb_error_set(err, LB_EIO, "%s: read error", path);
		return NULL;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

int file_remove_tree(const char *path)
{
	struct stat sb;
	if (lstat(path, &sb) < 0)
		return errno == ENOENT ? 0 : -1;
	return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int file_mkdirs(const char *path, struct lb_error *err)
{
	char buf[4096];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return lb_error_set(err, LB_EINVAL, "path too long: %.100s...", path);
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, 0755) < 0 && errno != EEXIST)
				return lb_error_set(err, LB_EIO, "cannot create directory %s: %s", buf,
						    strerror(errno));
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

char *file_part_name(const char *path)
{
	char *part = NULL;
	return asprintf(&part, "%s.part-%d", path, (int)getpid()) < 0 ? NULL : part;
}

int file_part_done(char *part, const char *path, int rc, struct lb_error *err)
{
	if (!rc && rename(part, path) != 0)
		rc = lb_error_set(err, LB_EIO, "%s: %s", path, strerror(errno));
	if (rc)
		unlink(part);
	free(part);
	return rc;
}
