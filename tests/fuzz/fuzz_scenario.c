/*
 * fuzz_scenario.c - libFuzzer harness: any text as a scenario file (lexer, repeats and their
 * bound, steps, expectations).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scenarios/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct scn_scenario *sc = NULL;
	struct lb_error err = {0};
	if (scn_parse_string(&sc, text, "fuzz.scn", &err) == 0)
		scn_free(sc);
	free(text);
	return 0;
}
