/*
 * fuzz_file.h - for the harnesses whose parser reads a path (the config, a recording): the
 * input as an anonymous in-memory file, named by /proc/self/fd/N.
 */
#ifndef LB_FUZZ_FILE_H
#define LB_FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

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
