/*
 * fuzz_replay.c - libFuzzer harness: any text as a recording (`leakbench record`'s JSON
 * lines) turned into a scenario, which is then parsed as `run --replay` would.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "scenarios/replay.h"
#include "scenarios/scenario.h"
#include "tests/fuzz/fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	/* a codebase that exists, so the recording's root need not */
	struct replay_opts o = {.codebase = "/tmp", .max_pause = 1, .timeout = 5};
	char *text = NULL;
	struct lb_error err = {0};
	if (replay_scenario(path, &o, &text, &err) == 0) {
		struct scn_scenario *sc = NULL;
		if (scn_parse_string(&sc, text, "replay.scn", &err) == 0)
			scn_free(sc);
		free(text);
	}
	close(fd);
	return 0;
}
