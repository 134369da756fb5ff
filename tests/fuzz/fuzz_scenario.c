/*
 * fuzz_scenario.c - libFuzzer harness: any text as a scenario file (lexer, repeats and their
 * bound, steps, expectations).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "scenarios/scenario.h"
#include "tests/fuzz/fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	if (!text)
		return 0;
	struct scn_scenario *sc = NULL;
	struct lb_error err = {0};
	if (scn_parse_string(&sc, text, "fuzz.scn", &err) == 0)
		scn_free(sc);
	free(text);
	return 0;
}
