/*
 * fetch.h - a sample codebase from a URL (`codebase tarball URL sha256=HEX`): downloaded
 * once through libcurl (curl_global_init is main's) into the cache, checked against its
 * SHA-256, unpacked, and reused by every later run.  This is how a real HLS setup gets Cabal or lsp-types sources as its
 * sample codebase.
 *
 * Nothing half-done ever sits in the cache: the download goes to a temporary name and is
 * unpacked into a temporary folder, which is moved into place only once the checksum and
 * the unpacking succeeded.
 */
#ifndef LB_FETCH_H
#define LB_FETCH_H

#include "base/error.h"

/* The unpacked tree of the tarball at `url` whose SHA-256 is `sha256` (64 hex digits), as
 * a malloc'ed path under CACHE/codebases/; downloaded and unpacked when not there yet.  A
 * single top-level folder in the tarball (as `git archive` and Hackage make) is the tree.
 * A checksum mismatch is LB_EINVAL showing both sums; a failed download LB_EIO. */
int fetch_tarball(const char *cache, const char *url, const char *sha256, char **tree, struct lb_error *err);

/* The file at `url` (https://, http://, file://) into `path`, through a temporary name so
 * `path` is whole or untouched.  Nothing at the URL (HTTP 404, no such file) is
 * LB_ENOTFOUND; any other failure LB_EIO. */
int fetch_url(const char *url, const char *path, struct lb_error *err);

#endif
