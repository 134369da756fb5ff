/*
 * fuzz_eventlog.c - libFuzzer harness: any bytes as a GHC eventlog (header, events, the
 * summary every command builds from them).  `make fuzz` runs it; see the README.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "runners/eventlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evlog *ev;
	struct lb_error err = {0};
	if (evlog_open_buffer(&ev, data, size, "fuzz", &err) != 0)
		return 0;
	struct evlog_summary *s = NULL;
	if (evlog_summarise(ev, &s, &err) == 0) {
		struct evlog_window *w = NULL;
		size_t n = 0;
		if (evlog_marker_windows(s, &w, &n, &err) == 0) {
			struct evlog_step *st = calloc(n + 1, sizeof(*st));
			if (st)
				evlog_align(s, w, n, st); /* per-step figures, as a run takes them */
			free(st);
			free(w);
		}
		evlog_summary_free(s);
	}
	evlog_free(ev);
	return 0;
}
