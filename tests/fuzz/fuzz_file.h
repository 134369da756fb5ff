/*
 * fuzz_file.h - the input as the parsers take it: NUL-terminated text (a scenario, RTS
 * statistics), or for those that read a path (the config, a recording) an anonymous
 * in-memory file, named by /proc/self/fd/N.
 */
#ifndef LB_FUZZ_FILE_H
#define LB_FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The input and a NUL after it, malloc'ed; NULL when out of memory. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (text) {
		memcpy(text, data, size);
		text[size] = '\0';
	}
	return text;
}

/* The path of a memory file holding the input (in `path`), its fd returned; -1 on failure. */
static inline int fuzz_file(const uint8_t *data, size_t size, char *path, size_t path_size)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	snprintf(path, path_size, "/proc/self/fd/%d", fd);
	return fd;
}

#endif
