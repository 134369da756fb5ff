/*
 * digest.h - SHA-256 of files and strings (OpenSSL's libcrypto does the hashing).
 * Output is lowercase hex, 64 characters plus NUL.  Also the length of a git object id, the
 * other hex digest every folder handles.
 */
#ifndef LB_DIGEST_H
#define LB_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* A git object id (a commit, a tree) in hex: SHA-1, 40 characters; buffers take one more. */
#define LB_SHA_HEX 40
/* A SHA-256 in hex, what digest_* write; buffers take one more. */
#define LB_DIGEST_HEX 64

int digest_file(const char *path, char out[LB_DIGEST_HEX + 1], int64_t *bytes, struct lb_error *err);
int digest_buffer(const void *buf, size_t len, char out[LB_DIGEST_HEX + 1], struct lb_error *err);

#endif
