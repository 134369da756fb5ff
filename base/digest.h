/*
 * digest.h - SHA-256 of files and strings (OpenSSL's libcrypto does the hashing).
 * Output is lowercase hex, 64 characters plus NUL.
 */
#ifndef LB_DIGEST_H
#define LB_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

int digest_file(const char *path, char out[65], int64_t *bytes, struct lb_error *err);
int digest_buffer(const void *buf, size_t len, char out[65], struct lb_error *err);

#endif
