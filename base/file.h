/*
 * file.h - reading a whole (text) file, the one way every folder does it; making and
 * removing a tree of folders.
 */
#ifndef LB_FILE_H
#define LB_FILE_H

#include <stddef.h>

#include "base/error.h"

/* The first `max` bytes of `path` (0: all of it), NUL-terminated, malloc'ed; *len (if not
 * NULL) gets their count.  NULL on failure, with `err` (if not NULL) naming the file:
 * LB_ENOTFOUND, LB_EIO or LB_ENOMEM. */
char *file_read(const char *path, size_t max, size_t *len, struct lb_error *err);

/* Remove `path` and everything under it (symlinks are removed, not followed); a missing
 * path is fine.  Returns 0, or -1 with errno when something could not be removed. */
int file_remove_tree(const char *path);

/* mkdir -p: `path` and every missing parent (0755).  0, or LB_EIO naming the folder. */
int file_mkdirs(const char *path, struct lb_error *err);

/* A file written whole or not at all: write to file_part_name(PATH) (PATH.part-PID,
 * malloc'ed; NULL when out of memory), then file_part_done(part, PATH, rc, err): with rc 0
 * the part replaces PATH, else it is removed; part is freed; returns rc or rename's error. */
char *file_part_name(const char *path);
int file_part_done(char *part, const char *path, int rc, struct lb_error *err);

#endif
