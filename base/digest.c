/*
 * digest.c - SHA-256 through libcrypto's EVP interface, streaming files in 64 KiB chunks so
 * hashing a multi-gigabyte eventlog costs no memory.  libcrypto is loaded when something is
 * first hashed (base/dynlib.h): linked, it cost every process 1.2 ms before main(), and
 * reading an eventlog or listing runs hashes nothing.
 */
#include "base/digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/dynlib.h"

/* the library the headers describe: libcrypto.so.3 (OpenSSL 3), libcrypto.so.1.1 before */
#define LB_STR2(x) #x
#define LB_STR(x) LB_STR2(x)
#ifdef OPENSSL_SHLIB_VERSION
#define CRYPTO_SONAME "libcrypto.so." LB_STR(OPENSSL_SHLIB_VERSION)
#else
#define CRYPTO_SONAME "libcrypto.so." SHLIB_VERSION_NUMBER
#endif

struct crypto_lib {
	void *handle;
	__typeof__(EVP_Digest) *digest;
	__typeof__(EVP_sha256) *sha256;
	__typeof__(EVP_MD_CTX_new) *ctx_new;
	__typeof__(EVP_MD_CTX_free) *ctx_free;
	__typeof__(EVP_DigestInit_ex) *init;
	__typeof__(EVP_DigestUpdate) *update;
	__typeof__(EVP_DigestFinal_ex) *final;
};

static int crypto_open(struct crypto_lib *l, struct lb_error *err)
{
	static const struct dynlib_fn fns[] = {
		{"EVP_Digest", offsetof(struct crypto_lib, digest)},
		{"EVP_sha256", offsetof(struct crypto_lib, sha256)},
		{"EVP_MD_CTX_new", offsetof(struct crypto_lib, ctx_new)},
		{"EVP_MD_CTX_free", offsetof(struct crypto_lib, ctx_free)},
		{"EVP_DigestInit_ex", offsetof(struct crypto_lib, init)},
		{"EVP_DigestUpdate", offsetof(struct crypto_lib, update)},
		{"EVP_DigestFinal_ex", offsetof(struct crypto_lib, final)},
	};
	return dynlib_open(&l->handle, CRYPTO_SONAME, "libssl3", l, fns, sizeof(fns) / sizeof(*fns), err);
}

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
	struct crypto_lib l;
	if (crypto_open(&l, err))
		return err->code;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	int ok = l.digest(buf, len, md, &mdlen, l.sha256(), NULL);
	dynlib_close(&l.handle);
	if (!ok)
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
	struct crypto_lib l;
	if (crypto_open(&l, err)) {
		fclose(f);
		return err->code;
	}
	EVP_MD_CTX *ctx = l.ctx_new();
	if (!ctx || !l.init(ctx, l.sha256(), NULL)) {
		l.ctx_free(ctx);
		dynlib_close(&l.handle);
		fclose(f);
		return lb_error_set(err, LB_EIO, "sha256 init failed");
	}
	unsigned char buf[65536];
	int64_t total = 0;
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		l.update(ctx, buf, n);
		total += (int64_t)n;
	}
	int rc = 0;
	if (ferror(f)) {
		rc = lb_error_set(err, LB_EIO, "%s: read error", path);
	} else {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned mdlen = 0;
		l.final(ctx, md, &mdlen);
		to_hex(md, mdlen, out);
		if (bytes)
			*bytes = total;
	}
	l.ctx_free(ctx);
	dynlib_close(&l.handle);
	fclose(f);
	return rc;
}
