/*
 * fuzz_lsp.c - libFuzzer harness: any bytes as what a language server writes, cut into
 * Content-Length frames in pieces of every size (as they arrive from a pipe).
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "runners/lsp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	/* the first byte chooses the piece size, the bound a small max-message */
	size_t piece = (size_t)data[0] % 64 + 1;
	struct lsp_framer f = {.max_body = 1 << 16};
	struct lb_error err = {0};
	int rc = 0;
	for (size_t at = 1; at < size && rc >= 0; at += piece) {
		size_t n = size - at < piece ? size - at : piece;
		if ((rc = lsp_framer_feed(&f, (const char *)data + at, n, &err)) < 0)
			break;
		json_t *msg;
		while ((rc = lsp_framer_next(&f, &msg, &err)) == 1)
			json_decref(msg);
	}
	lsp_framer_release(&f);
	return 0;
}
