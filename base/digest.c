/*
 * digest.c - SHA-256 through libcrypto's EVP interface, streaming files in 64 KiB chunks so
 * hashing a multi-gigabyte eventlog costs no memory.
 */
#include "base/digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

static void to_hex(const unsigned char *md, unsigned len, char out[LB_DIGEST_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	for (unsigned i = 0; i < len && i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

int digest_buffer(const void *buf, size_t len, char out[LB_DIGEST_HEX + 1], struct lb_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	if (!EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL))
		return lb_error_set(err, LB_EIO, "sha256 failed");
	to_hex(md, mdlen, out);
	return 0;
}

int digest_file(const char *path, char out[LB_DIGEST_HEX + 1], int64_t *bytes, struct lb_error *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return lb_error_set(err, errno == ENOENT ? LB_ENOTFOUND : LB_EIO, "%s: %s", path,
				    strerror(errno));
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(ctx);
		fclose(f);
		return lb_error_set(err, LB_EIO, "sha256 init failed");
	}
	unsigned char buf[65536];
	int64_t total = 0;
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		EVP_DigestUpdate(ctx, buf, n);
		total += (int64_t)n;
	}
	int rc = 0;
	if (ferror(f)) {
		rc = lb_error_set(err, LB_EIO, "%s: read error", path);
	} else {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned mdlen = 0;
		EVP_DigestFinal_ex(ctx, md, &mdlen);
		to_hex(md, mdlen, out);
		if (bytes)
			*bytes = total;
	}
	EVP_MD_CTX_free(ctx);
	fclose(f);
	return rc;
}
