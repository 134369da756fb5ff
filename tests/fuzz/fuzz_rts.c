/*
 * fuzz_rts.c - libFuzzer harness: any text as RTS statistics (`+RTS -t --machine-readable`,
 * `-s`, `-S` per-GC lines), as leakbench reads them from a run's rts-stats.txt.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "runners/rts.h"
#include "tests/fuzz/fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	if (!text)
		return 0;
	struct rts_stats st;
	struct lb_error err = {0};
	if (rts_stats_parse(&st, text, "fuzz", &err) == 0) {
		double v;
		rts_stats_number(&st, "max_live_bytes", &v);
		rts_stats_free(&st);
	}
	free(text);
	return 0;
}
