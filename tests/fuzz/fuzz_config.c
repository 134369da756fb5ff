/*
 * fuzz_config.c - libFuzzer harness: any text as leakbench.ini (inih's reader, every
 * section and key leakbench knows, the checks after).
 */
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "harness/config.h"
#include "tests/fuzz/fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	struct cfg *c = NULL;
	struct lb_error err = {0};
	if (cfg_load(&c, path, &err) == 0)
		cfg_free(c);
	close(fd);
	return 0;
}
