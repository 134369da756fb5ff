/*
 * eventlog_int.h - the eventlog reader's insides, shared by its two files only: eventlog.c
 * (the header, the window, iteration) and evsummary.c (the one-pass summary).  Nothing
 * else includes it; callers use runners/eventlog.h.
 *
 * The cursor and the payload readers are inline here because the summary pass runs them
 * for every event: a call per event would cost more than the work it does.
 */
#ifndef LB_EVENTLOG_INT_H
#define LB_EVENTLOG_INT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runners/eventlog.h"

#define HDR_BEGIN 0x68647262u /* hdrb */
#define HET_BEGIN 0x68657462u /* hetb */
#define HET_END 0x68657465u   /* hete */
#define HDR_END 0x68647265u   /* hdre */
#define DATA_BEGIN 0x64617462u /* datb */
#define ET_BEGIN 0x65746200u  /* etb\0 */
#define ET_END 0x65746500u    /* ete\0 */

/* A regular file is read through a window of the file mapped with MAP_POPULATE, slid on by
 * mapping the next one: the page tables are filled in one call rather than a fault a page,
 * and nothing is copied (read() into a buffer spent 15% of a census-heavy pass copying, and a
 * map faulted in page by page was slower still).  What the window holds is page cache, so
 * the memory used does not grow with the file.  Anything else (a pipe, a file that cannot be
 * mapped) goes through a buffer of WINDOW bytes refilled with read().  A mapped file cut
 * short by another process while it is read would raise SIGBUS: eventlogs are read once
 * their program is done writing them. */
#define MAP_WINDOW ((size_t)16 << 20)
#define MAP_ALIGN ((size_t)1 << 16) /* a window starts at a multiple of this (of the page size) */
#define WINDOW (1u << 20)
/* The most one event can take: type, timestamp, length, 65535 bytes of payload. */
#define MAX_EVENT (12u + 65535u)

struct evlog {
	const uint8_t *buf; /* the window: bytes [win_off, win_end) of the file */
	size_t win_off, win_end;
	size_t file_len;
	int fd;             /* -1: a caller's buffer, all of it in the window */
	int eof;            /* nothing more to read into the window */
	uint8_t *own;       /* the window's storage when reading a file with read() */
	void *map;          /* the window when the file is mapped (own is NULL then) */
	size_t map_len;
	char *name;
	int32_t *sizes; /* 65536 entries: bytes, EVLOG_SIZE_VARIABLE or EVLOG_UNDECLARED */
	char **descs;   /* 65536 entries, NULL when undeclared */
	size_t n_types;
	size_t pos;
	int done;
	enum evlog_end end;
	int cur_cap;
	size_t block_end;
	int skip_rows;  /* evlog_skip_census_rows */
};

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t be32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return __builtin_bswap32(v);
}

static inline uint64_t be64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return __builtin_bswap64(v);
}

/* Bounds-checked field reads within a payload: 0 when the field is there. */
static inline int get16(const struct evlog_event *e, uint32_t off, uint16_t *v)
{
	if (off + 2 > e->len)
		return -1;
	*v = be16(e->payload + off);
	return 0;
}

static inline int get32(const struct evlog_event *e, uint32_t off, uint32_t *v)
{
	if (off + 4 > e->len)
		return -1;
	*v = be32(e->payload + off);
	return 0;
}

static inline int get64(const struct evlog_event *e, uint32_t off, uint64_t *v)
{
	if (off + 8 > e->len)
		return -1;
	*v = be64(e->payload + off);
	return 0;
}

/* A NUL-terminated string at *off (or the rest of the payload when the NUL is missing);
 * advances *off past it.  Returns a malloc'ed copy, or NULL when out of memory or past the
 * end. */
static inline char *get_cstr(const struct evlog_event *e, uint32_t *off)
{
	if (*off > e->len)
		return NULL;
	const uint8_t *s = e->payload + *off;
	size_t room = e->len - *off;
	const uint8_t *nul = memchr(s, 0, room);
	size_t n = nul ? (size_t)(nul - s) : room;
	*off += (uint32_t)n + (nul ? 1 : 0);
	return strndup((const char *)s, n);
}

/* Read on into the window from the file, keeping its bytes from `keep_from` (absolute). */
int evlog_refill(struct evlog *ev, size_t keep_from, struct lb_error *err);

/* The reader's position, kept apart from struct evlog so the summary pass can hold it in
 * registers: nothing it calls can reach a local cursor, whereas every store through a
 * pointer might alias the reader's fields and force them back to memory. */
struct cursor {
	const uint8_t *base; /* holds the file's bytes from win_off */
	size_t win_off, win_end, pos, block_end;
	const int32_t *sizes;
	int cap, eof;
};

static inline void cursor_load(struct cursor *c, const struct evlog *ev)
{
	*c = (struct cursor){ev->buf, ev->win_off, ev->win_end, ev->pos, ev->block_end, ev->sizes,
			     ev->cur_cap, ev->eof};
}

static inline void cursor_store(const struct cursor *c, struct evlog *ev)
{
	ev->pos = c->pos;
	ev->block_end = c->block_end;
	ev->cur_cap = c->cap;
}

/* The slow path: slide the window on so that a whole event fits, then reload the cursor. */
static inline int cursor_refill(struct cursor *c, struct evlog *ev, struct lb_error *err)
{
	cursor_store(c, ev);
	if (evlog_refill(ev, c->pos, err))
		return err->code;
	cursor_load(c, ev);
	return 0;
}

/* The next event: 1, or 0 at the end with *end set, or an error.  The payload points into the
 * window: valid until the next call. */
static inline __attribute__((always_inline)) int cursor_next(struct cursor *c, struct evlog *ev,
							      struct evlog_event *e, enum evlog_end *end,
							      struct lb_error *err)
{
	if (c->win_end - c->pos < MAX_EVENT && !c->eof && cursor_refill(c, ev, err))
		return err->code;
	const size_t pos = c->pos, left = c->win_end - pos;
	if (left < 2) {
		*end = left == 0 ? EVLOG_NO_END : EVLOG_CUT_IN_EVENT;
		return 0;
	}
	const uint8_t *p = c->base + (pos - c->win_off);
	uint16_t type = be16(p);
	if (type == 0xffff) {
		*end = EVLOG_COMPLETE;
		return 0;
	}
	if (left < 10) {
		*end = EVLOG_CUT_IN_EVENT;
		return 0;
	}
	int32_t size = c->sizes[type];
	size_t hdr = 10;
	uint32_t plen;
	if (size >= 0 && size != EVLOG_SIZE_VARIABLE) {
		plen = (uint32_t)size;
	} else if (size == EVLOG_SIZE_VARIABLE) {
		if (left < 12) {
			*end = EVLOG_CUT_IN_EVENT;
			return 0;
		}
		plen = be16(p + 10);
		hdr = 12;
	} else {
		return lb_error_set(err, LB_EINVAL,
				    "%s: byte %zu: event id %u is not declared in the header "
				    "(damaged file?)",
				    ev->name, pos, type);
	}
	if (left - hdr < plen) {
		*end = EVLOG_CUT_IN_EVENT;
		return 0;
	}
	if (pos >= c->block_end)
		c->cap = -1;
	e->type = type;
	e->t = be64(p + 2);
	e->payload = p + hdr;
	e->len = plen;
	e->offset = pos;
	c->pos = pos + hdr + plen;
	if (type == EV_BLOCK_MARKER && plen >= 14) {
		/* block_size counts from the marker's own first byte */
		c->block_end = pos + be32(e->payload);
		uint16_t cap = be16(e->payload + 12);
		c->cap = cap == 0xffff ? -1 : cap;
	}
	e->cap = c->cap;
	return 1;
}

#endif
