/*
 * eventlog.c - the eventlog reader (the summary pass is evsummary.c; both share
 * eventlog_int.h).
 *
 * Design choices:
 *  - The file streams through one window (a 16 MiB map of a regular file, slid on; a 1 MiB
 *    buffer refilled with read() for a pipe), and an event is "type, timestamp, payload
 *    pointer" into it, so the reader allocates nothing per event, runs at memory speed and
 *    holds one window of the file at a time, whatever its size.
 *  - Sizes come from the header's event-type table (65536 entries, filled once), never from
 *    a compiled-in table: that is what makes unknown and resized events safe.
 *  - Field reads inside a payload go through get_*() helpers that check the payload length,
 *    so a short (older) event yields "field absent", not a read past it.
 *  - The summary keeps series and census rows in growable arrays, sorted stably by time at
 *    the end (the file interleaves per-capability buffers out of time order).
 */
#include "runners/eventlog.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runners/eventlog_int.h"

static int hdr_error(struct evlog *ev, size_t at, const char *what, struct lb_error *err)
{
	return lb_error_set(err, LB_EINVAL, "%s: byte %zu: %s", ev->name, at, what);
}

static int parse_header(struct evlog *ev, struct lb_error *err)
{
	const uint8_t *b = ev->buf;
	size_t len = ev->win_end, p = 0;
	if (len < 8 || be32(b) != HDR_BEGIN)
		return hdr_error(ev, 0, "not a GHC eventlog (expected the header marker 'hdrb')", err);
	if (be32(b + 4) != HET_BEGIN)
		return hdr_error(ev, 4, "expected the event-type table marker 'hetb'", err);
	p = 8;
	for (;;) {
		if (len - p < 4)
			return hdr_error(ev, p, "the header is cut short (no 'hete')", err);
		uint32_t m = be32(b + p);
		if (m == HET_END) {
			p += 4;
			break;
		}
		if (m != ET_BEGIN)
			return hdr_error(ev, p, "expected an event-type record ('etb') or 'hete'", err);
		if (len - p < 4 + 2 + 2 + 4)
			return hdr_error(ev, p, "event-type record cut short", err);
		uint16_t id = be16(b + p + 4), size = be16(b + p + 6);
		uint32_t dlen = be32(b + p + 8);
		size_t q = p + 12;
		if (dlen > len - q || len - q - dlen < 4)
			return hdr_error(ev, p, "event-type description runs past the end", err);
		const uint8_t *desc = b + q;
		q += dlen;
		uint32_t xlen = be32(b + q);
		q += 4;
		if (xlen > len - q || len - q - xlen < 4)
			return hdr_error(ev, q - 4, "event-type extra data runs past the end", err);
		q += xlen;
		if (be32(b + q) != ET_END)
			return hdr_error(ev, q, "expected the end of an event-type record ('ete')", err);
		p = q + 4;
		if (ev->sizes[id] == EVLOG_UNDECLARED)
			ev->n_types++;
		ev->sizes[id] = size == 0xffff ? EVLOG_SIZE_VARIABLE : size;
		free(ev->descs[id]);
		ev->descs[id] = strndup((const char *)desc, dlen);
		if (!ev->descs[id])
			return lb_error_oom(err);
	}
	if (len - p < 8 || be32(b + p) != HDR_END)
		return hdr_error(ev, p, "expected the header end marker 'hdre'", err);
	if (be32(b + p + 4) != DATA_BEGIN)
		return hdr_error(ev, p + 4, "expected the data marker 'datb'", err);
	ev->pos = p + 8;
	return 0;
}

/* The mapped window slid on to start at or just before `from`; at the file's end (as it
 * is now: a file still being written is stat'ed again) it stays and eof is set. */
static int map_window(struct evlog *ev, size_t from, struct lb_error *err)
{
	struct stat sb;
	if (ev->win_end >= ev->file_len && fstat(ev->fd, &sb) == 0 && (size_t)sb.st_size > ev->file_len)
		ev->file_len = (size_t)sb.st_size;
	if (ev->map && ev->win_end >= ev->file_len) {
		ev->eof = 1;
		return 0;
	}
	size_t off = from & ~(MAP_ALIGN - 1), len = ev->file_len - off;
	if (len > MAP_WINDOW)
		len = MAP_WINDOW;
	void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, ev->fd, (off_t)off);
	if (m == MAP_FAILED)
		return lb_error_set(err, LB_EIO, "%s: mmap at byte %zu: %s", ev->name, off, strerror(errno));
	if (ev->map)
		munmap(ev->map, ev->map_len);
	ev->map = m;
	ev->map_len = len;
	ev->buf = m;
	ev->win_off = off;
	ev->win_end = off + len;
	ev->eof = ev->win_end >= ev->file_len;
	return 0;
}

int evlog_refill(struct evlog *ev, size_t keep_from, struct lb_error *err)
{
	if (!ev->own)
		return map_window(ev, keep_from, err);
	size_t keep = ev->win_end - keep_from;
	memmove(ev->own, ev->own + (keep_from - ev->win_off), keep);
	ev->win_off = keep_from;
	size_t n = keep;
	while (n < WINDOW) {
		ssize_t r = read(ev->fd, ev->own + n, WINDOW - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return lb_error_set(err, LB_EIO, "%s: read: %s", ev->name, strerror(errno));
		if (r == 0) {
			ev->eof = 1;
			break;
		}
		n += (size_t)r;
	}
	ev->win_end = ev->win_off + n;
	return 0;
}

static int fill(struct evlog *ev, struct lb_error *err)
{
	return evlog_refill(ev, ev->win_end, err);
}

static int reader_new(struct evlog **out, const char *name, struct lb_error *err)
{
	struct evlog *ev = calloc(1, sizeof(*ev));
	if (!ev || !(ev->name = strdup(name)) || !(ev->sizes = malloc(65536 * sizeof(int32_t))) ||
	    !(ev->descs = calloc(65536, sizeof(char *)))) {
		if (ev) {
			free(ev->name);
			free(ev->sizes);
		}
		free(ev);
		return lb_error_oom(err);
	}
	for (size_t i = 0; i < 65536; i++)
		ev->sizes[i] = EVLOG_UNDECLARED;
	ev->cur_cap = -1;
	ev->fd = -1;
	*out = ev;
	return 0;
}

int evlog_open_buffer(struct evlog **out, const void *buf, size_t len, const char *name,
		      struct lb_error *err)
{
	*out = NULL;
	struct evlog *ev;
	if (reader_new(&ev, name, err))
		return err->code;
	ev->buf = buf;
	ev->win_end = ev->file_len = len;
	ev->eof = 1;
	if (parse_header(ev, err)) {
		evlog_free(ev);
		return err->code;
	}
	*out = ev;
	return 0;
}

int evlog_open(struct evlog **out, const char *path, struct lb_error *err)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return lb_error_set(err, errno == ENOENT ? LB_ENOTFOUND : LB_EIO, "%s: %s", path,
				    strerror(errno));
	struct stat sb;
	if (fstat(fd, &sb) < 0) {
		close(fd);
		return lb_error_set(err, LB_EIO, "%s: %s", path, strerror(errno));
	}
	struct evlog *ev;
	if (reader_new(&ev, path, err)) {
		close(fd);
		return err->code;
	}
	ev->file_len = (size_t)sb.st_size;
	ev->fd = fd;
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	struct lb_error ignored = {0};
	if (!S_ISREG(sb.st_mode) || !ev->file_len || map_window(ev, 0, &ignored)) { /* read() instead */
		if (!(ev->own = malloc(WINDOW))) {
			evlog_free(ev);
			return lb_error_oom(err);
		}
		ev->buf = ev->own;
		if (fill(ev, err)) {
			evlog_free(ev);
			return err->code;
		}
	}
	if (parse_header(ev, err)) { /* the header must fit in the first window */
		evlog_free(ev);
		return err->code;
	}
	*out = ev;
	return 0;
}

void evlog_free(struct evlog *ev)
{
	if (!ev)
		return;
	if (ev->fd >= 0)
		close(ev->fd);
	free(ev->own);
	if (ev->map)
		munmap(ev->map, ev->map_len);
	if (ev->descs)
		for (size_t i = 0; i < 65536; i++)
			free(ev->descs[i]);
	free(ev->descs);
	free(ev->sizes);
	free(ev->name);
	free(ev);
}

void evlog_skip_census_rows(struct evlog *ev)
{
	ev->skip_rows = 1;
}

int evlog_declared_size(const struct evlog *ev, uint16_t type)
{
	return ev->sizes[type];
}

const char *evlog_type_desc(const struct evlog *ev, uint16_t type)
{
	return ev->descs[type];
}

size_t evlog_n_types(const struct evlog *ev)
{
	return ev->n_types;
}

uint64_t evlog_file_size(const struct evlog *ev)
{
	return ev->file_len;
}

enum evlog_end evlog_end_state(const struct evlog *ev)
{
	return ev->end;
}

int evlog_next(struct evlog *ev, struct evlog_event *e, struct lb_error *err)
{
	if (ev->done)
		return 0;
	struct cursor c;
	cursor_load(&c, ev);
	int rc = cursor_next(&c, ev, e, &ev->end, err);
	cursor_store(&c, ev);
	if (rc != 1)
		ev->done = 1;
	return rc;
}
