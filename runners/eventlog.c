/*
 * eventlog.c - the eventlog reader and its one-pass summary.
 *
 * Design choices:
 *  - The file streams through one 1 MiB window refilled with read(), and an event is
 *    "type, timestamp, payload pointer" into it, so the reader allocates nothing per event,
 *    runs at disk speed and holds 1 MiB of the file at a time, whatever its size.
 *  - Sizes come from the header's event-type table (65536 entries, filled once), never from
 *    a compiled-in table: that is what makes unknown and resized events safe.
 *  - Field reads inside a payload go through get_*() helpers that check the payload length,
 *    so a short (older) event yields "field absent", not a read past it.
 *  - The summary keeps series and census rows in growable arrays, sorted stably by time at
 *    the end (the file interleaves per-capability buffers out of time order).
 */
#include "base/mem.h"
#include "runners/eventlog.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDR_BEGIN 0x68647262u /* hdrb */
#define HET_BEGIN 0x68657462u /* hetb */
#define HET_END 0x68657465u   /* hete */
#define HDR_END 0x68647265u   /* hdre */
#define DATA_BEGIN 0x64617462u /* datb */
#define ET_BEGIN 0x65746200u  /* etb\0 */
#define ET_END 0x65746500u    /* ete\0 */

/* Files are read through a window of this size, refilled with read(): in a virtual machine
 * that is several times faster than walking a memory map of the page cache (4 KiB pages,
 * a TLB miss every few events), and the memory used does not grow with the file. */
#define WINDOW (1u << 20)
/* The most one event can take: type, timestamp, length, 65535 bytes of payload. */
#define MAX_EVENT (12u + 65535u)

struct evlog {
	const uint8_t *buf; /* the window: bytes [win_off, win_end) of the file */
	size_t win_off, win_end;
	size_t file_len;
	int fd;             /* -1: a caller's buffer, all of it in the window */
	int eof;            /* nothing more to read into the window */
	uint8_t *own;       /* the window's storage when reading a file */
	char *name;
	int32_t *sizes; /* 65536 entries: bytes, EVLOG_SIZE_VARIABLE or EVLOG_UNDECLARED */
	char **descs;   /* 65536 entries, NULL when undeclared */
	size_t n_types;
	size_t pos;
	int done;
	enum evlog_end end;
	int cur_cap;
	size_t block_end;
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
static char *get_cstr(const struct evlog_event *e, uint32_t *off)
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

/* Read on into the window from the file, keeping its bytes from `keep_from` (absolute). */
static int refill(struct evlog *ev, size_t keep_from, struct lb_error *err)
{
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
	return refill(ev, ev->win_end, err);
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
	if (!(ev->own = malloc(WINDOW))) {
		evlog_free(ev);
		return lb_error_oom(err);
	}
	ev->buf = ev->own;
	if (fill(ev, err)) { /* the header must fit in the first window */
		evlog_free(ev);
		return err->code;
	}
	if (parse_header(ev, err)) {
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
	if (ev->descs)
		for (size_t i = 0; i < 65536; i++)
			free(ev->descs[i]);
	free(ev->descs);
	free(ev->sizes);
	free(ev->name);
	free(ev);
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


/* The reader's position, kept apart from struct evlog so the summary pass can hold it in
 * registers: nothing it calls can reach a local cursor, whereas every store through a
 * pointer might alias the reader's fields and force them back to memory. */
struct cursor {
	const uint8_t *base; /* holds the file's bytes from win_off */
	size_t win_off, win_end, pos, block_end;
	const int32_t *sizes;
	int cap, eof;
};

static void cursor_load(struct cursor *c, const struct evlog *ev)
{
	*c = (struct cursor){ev->buf, ev->win_off, ev->win_end, ev->pos, ev->block_end, ev->sizes,
			     ev->cur_cap, ev->eof};
}

static void cursor_store(const struct cursor *c, struct evlog *ev)
{
	ev->pos = c->pos;
	ev->block_end = c->block_end;
	ev->cur_cap = c->cap;
}

/* The slow path: slide the window on so that a whole event fits, then reload the cursor. */
static int cursor_refill(struct cursor *c, struct evlog *ev, struct lb_error *err)
{
	cursor_store(c, ev);
	if (refill(ev, c->pos, err))
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

/* --- summary ----------------------------------------------------------------------------- */

static int push_point(struct evlog_series *s, uint64_t t, uint64_t v)
{
	if (LB_GROW(s->p, s->n + 1, s->cap, NULL))
		return -1;
	s->p[s->n++] = (struct evlog_point){t, v};
	return 0;
}

/* Stable merge sort: events of equal time keep their file order. */
static void msort_rec(char *a, char *tmp, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n < 2)
		return;
	size_t h = n / 2;
	msort_rec(a, tmp, h, size, cmp);
	msort_rec(a + h * size, tmp, n - h, size, cmp);
	if (cmp(a + (h - 1) * size, a + h * size) <= 0)
		return; /* already in order: the common case */
	size_t i = 0, j = h, k = 0;
	while (i < h && j < n) {
		if (cmp(a + j * size, a + i * size) < 0)
			memcpy(tmp + k++ * size, a + j++ * size, size);
		else
			memcpy(tmp + k++ * size, a + i++ * size, size);
	}
	while (i < h)
		memcpy(tmp + k++ * size, a + i++ * size, size);
	while (j < n)
		memcpy(tmp + k++ * size, a + j++ * size, size);
	memcpy(a, tmp, n * size);
}

static int stable_sort(void *a, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n < 2)
		return 0;
	/* one capability's events arrive in time order: most arrays need no sorting at all */
	size_t i = 1;
	while (i < n && cmp((char *)a + (i - 1) * size, (char *)a + i * size) <= 0)
		i++;
	if (i == n)
		return 0;
	char *tmp = malloc(n * size);
	if (!tmp)
		return -1;
	msort_rec(a, tmp, n, size, cmp);
	free(tmp);
	return 0;
}

static int cmp_u64_first(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Label interning: open addressing over indices into s->labels. */
struct intern {
	uint32_t *slots; /* label index + 1; 0 = empty */
	size_t cap;
	size_t cap_labels;
};

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
	return h;
}

static long intern(struct intern *in, struct evlog_summary *s, const char *str, size_t n)
{
	if ((s->n_labels + 1) * 2 > in->cap) {
		size_t ncap = in->cap ? in->cap * 2 : 256;
		uint32_t *slots = calloc(ncap, sizeof(*slots));
		if (!slots)
			return -1;
		for (size_t i = 0; i < s->n_labels; i++) {
			size_t h = fnv1a(s->labels[i], strlen(s->labels[i])) & (ncap - 1);
			while (slots[h])
				h = (h + 1) & (ncap - 1);
			slots[h] = (uint32_t)i + 1;
		}
		free(in->slots);
		in->slots = slots;
		in->cap = ncap;
	}
	size_t h = fnv1a(str, n) & (in->cap - 1);
	while (in->slots[h]) {
		const char *l = s->labels[in->slots[h] - 1];
		if (strncmp(l, str, n) == 0 && l[n] == '\0')
			return in->slots[h] - 1;
		h = (h + 1) & (in->cap - 1);
	}
	if (LB_GROW(s->labels, s->n_labels + 1, in->cap_labels, NULL))
		return -1;
	char *copy = strndup(str, n);
	if (!copy)
		return -1;
	s->labels[s->n_labels] = copy;
	in->slots[h] = (uint32_t)s->n_labels + 1;
	return (long)s->n_labels++;
}

struct alloc_ev {
	uint64_t t;
	int cap;
	uint64_t v;
};

struct cc_def {
	uint32_t id;
	char *name;
};

/* Working state of one summarising pass. */
struct pass {
	struct evlog_summary *s;
	struct intern in;
	size_t cap_markers, cap_messages, cap_samples, cap_rows, cap_ipes;
	struct alloc_ev *allocs;
	size_t n_allocs, cap_allocs;
	struct cc_def *ccs;
	size_t n_ccs, cap_ccs;
	long open_sample; /* index of the census being filled, -1 none */
	size_t text_n, text_cap; /* the text arena: marks hold offsets until the end */
	uint64_t gc_stats_count, gc_stats_major;
};

/* Marker and message texts go into one arena (a program may log millions of messages: one
 * malloc each would dominate the pass).  Until the pass ends, a mark's `text` holds its
 * offset in the arena, because the arena moves as it grows. */
static int add_mark(struct pass *ps, struct evlog_mark **arr, size_t *n, size_t *cap, uint64_t t,
		    const struct evlog_event *e)
{
	if (LB_GROW(*arr, *n + 1, *cap, NULL))
		return -1;
	size_t len = e->len;
	const uint8_t *nul = memchr(e->payload, 0, len);
	if (nul)
		len = (size_t)(nul - e->payload); /* a newer GHC may append fields after a NUL */
	if (ps->text_n + len + 1 > ps->text_cap) {
		size_t ncap = (ps->text_n + len + 1) * 2 + 4096;
		char *p = realloc(ps->s->text, ncap);
		if (!p)
			return -1;
		ps->s->text = p;
		ps->text_cap = ncap;
	}
	memcpy(ps->s->text + ps->text_n, e->payload, len);
	ps->s->text[ps->text_n + len] = '\0';
	(*arr)[(*n)++] = (struct evlog_mark){t, (char *)(uintptr_t)ps->text_n};
	ps->text_n += len + 1;
	return 0;
}

static void fix_marks(struct evlog_mark *m, size_t n, char *arena)
{
	for (size_t i = 0; i < n; i++)
		m[i].text = arena + (uintptr_t)m[i].text;
}

static int begin_sample(struct pass *ps, uint64_t t, uint64_t era)
{
	struct evlog_summary *s = ps->s;
	if (LB_GROW(s->samples, s->n_samples + 1, ps->cap_samples, NULL))
		return -1;
	s->samples[s->n_samples] = (struct evlog_sample){t, era, s->n_rows, 0, 0};
	ps->open_sample = (long)s->n_samples++;
	return 0;
}

static int add_row(struct pass *ps, uint64_t t, const char *label, size_t n, uint64_t bytes)
{
	struct evlog_summary *s = ps->s;
	if (ps->open_sample < 0 && begin_sample(ps, t, 0))
		return -1;
	long id = intern(&ps->in, s, label, n);
	if (id < 0 || LB_GROW(s->rows, s->n_rows + 1, ps->cap_rows, NULL))
		return -1;
	s->rows[s->n_rows++] = (struct evlog_row){(uint32_t)id, bytes};
	struct evlog_sample *sm = &s->samples[ps->open_sample];
	sm->n++;
	sm->total += bytes;
	return 0;
}

static const char *cc_name(const struct pass *ps, uint32_t id)
{
	for (size_t i = ps->n_ccs; i-- > 0;) /* definitions are few; recent ones first */
		if (ps->ccs[i].id == id)
			return ps->ccs[i].name;
	return NULL;
}

static int on_event(struct pass *ps, const struct evlog_event *e)
{
	struct evlog_summary *s = ps->s;
	uint64_t v = 0;
	uint32_t u32 = 0;
	uint16_t u16 = 0;
	switch (e->type) {
	case EV_HEAP_LIVE:
		if (get64(e, 4, &v) == 0) {
			if (push_point(&s->live, e->t, v))
				return -1;
			if (v > s->peak_live)
				s->peak_live = v;
		}
		return 0;
	case EV_HEAP_SIZE:
		if (get64(e, 4, &v) == 0) {
			if (push_point(&s->heap, e->t, v))
				return -1;
			if (v > s->peak_heap)
				s->peak_heap = v;
		}
		return 0;
	case EV_BLOCKS_SIZE:
		if (get64(e, 4, &v) == 0) {
			if (push_point(&s->blocks, e->t, v))
				return -1;
			if (v > s->peak_blocks)
				s->peak_blocks = v;
		}
		return 0;
	case EV_HEAP_ALLOCATED:
		if (get64(e, 4, &v) == 0) {
			if (LB_GROW(ps->allocs, ps->n_allocs + 1, ps->cap_allocs, NULL))
				return -1;
			ps->allocs[ps->n_allocs++] = (struct alloc_ev){e->t, e->cap, v};
		}
		return 0;
	case EV_GC_STATS_GHC: {
		uint64_t copied = 0, frag = 0;
		if (get16(e, 4, &u16) == 0) {
			ps->gc_stats_count++;
			if (s->n_generations > 0 && u16 == s->n_generations - 1)
				ps->gc_stats_major++;
		}
		if (get64(e, 6, &copied) == 0)
			s->copied_bytes += copied;
		if (get64(e, 22, &frag) == 0 && frag > s->max_frag_bytes)
			s->max_frag_bytes = frag;
		return 0;
	}
	case EV_HEAP_INFO_GHC:
		if (get16(e, 4, &u16) == 0)
			s->n_generations = u16;
		return 0;
	case EV_USER_MARKER:
		return add_mark(ps, &s->markers, &s->n_markers, &ps->cap_markers, e->t, e);
	case EV_USER_MSG:
		if (s->n_messages_total++ >= EVLOG_MAX_MESSAGES)
			return 0;
		return add_mark(ps, &s->messages, &s->n_messages, &ps->cap_messages, e->t, e);
	case EV_WALL_CLOCK_TIME:
		if (get64(e, 4, &v) == 0 && get32(e, 12, &u32) == 0 && !s->have_wall_clock) {
			s->have_wall_clock = 1;
			s->wall_sec = (int64_t)v;
			s->wall_nsec = u32;
			s->wall_t = e->t;
		}
		return 0;
	case EV_RTS_IDENTIFIER:
		if (e->len >= 4 && !s->rts_id) {
			s->rts_id = strndup((const char *)e->payload + 4, e->len - 4);
			if (!s->rts_id)
				return -1;
		}
		return 0;
	case EV_PROGRAM_ARGS: {
		if (e->len < 4 || s->args)
			return 0;
		size_t n = 0;
		for (uint32_t i = 4; i < e->len; i++)
			n += e->payload[i] == '\0';
		s->args = calloc(n + 2, sizeof(char *));
		if (!s->args)
			return -1;
		uint32_t off = 4;
		for (size_t k = 0; off < e->len && k < n + 1; k++)
			if (!(s->args[k] = get_cstr(e, &off)))
				return -1;
		return 0;
	}
	case EV_HEAP_PROF_BEGIN:
		s->heap_profile = 1;
		if (get64(e, 1, &v) == 0)
			s->sampling_ns = v;
		if (get32(e, 9, &u32) == 0)
			s->breakdown = u32;
		return 0;
	case EV_HEAP_PROF_COST_CENTRE: {
		uint32_t off = 4;
		if (get32(e, 0, &u32))
			return 0;
		char *label = get_cstr(e, &off), *mod = get_cstr(e, &off), *name = NULL;
		if (!label || !mod || asprintf(&name, "%s.%s", mod, label) < 0 ||
		    LB_GROW(ps->ccs, ps->n_ccs + 1, ps->cap_ccs, NULL)) {
			free(label);
			free(mod);
			if (name)
				free(name);
			return -1;
		}
		free(label);
		free(mod);
		ps->ccs[ps->n_ccs++] = (struct cc_def){u32, name};
		return 0;
	}
	case EV_HEAP_PROF_SAMPLE_BEGIN:
		return begin_sample(ps, e->t, get64(e, 0, &v) == 0 ? v : 0);
	case EV_HEAP_BIO_PROF_SAMPLE_BEGIN: {
		uint64_t era = 0, t = e->t;
		get64(e, 0, &era);
		get64(e, 8, &t);
		return begin_sample(ps, t, era);
	}
	case EV_HEAP_PROF_SAMPLE_END:
		ps->open_sample = -1;
		return 0;
	case EV_HEAP_PROF_SAMPLE_STRING: {
		if (get64(e, 1, &v))
			return 0;
		const char *label = (const char *)e->payload + 9;
		size_t room = e->len - 9;
		const char *nul = memchr(label, 0, room);
		return add_row(ps, e->t, label, nul ? (size_t)(nul - label) : room, v);
	}
	case EV_HEAP_PROF_SAMPLE_COST_CENTRE: {
		uint8_t depth;
		if (get64(e, 1, &v) || e->len < 10)
			return 0;
		depth = e->payload[9];
		char buf[32];
		const char *name = NULL;
		if (depth > 0 && get32(e, 10, &u32) == 0)
			name = cc_name(ps, u32);
		if (!name) {
			snprintf(buf, sizeof(buf), depth ? "cc %u" : "(no cost centre)", u32);
			name = buf;
		}
		return add_row(ps, e->t, name, strlen(name), v);
	}
	case EV_IPE: {
		if (get64(e, 0, &v))
			return 0;
		if (LB_GROW(s->ipes, s->n_ipes + 1, ps->cap_ipes, NULL))
			return -1;
		struct evlog_ipe *ipe = &s->ipes[s->n_ipes];
		memset(ipe, 0, sizeof(*ipe));
		ipe->addr = v;
		uint32_t off = 8;
		char **fields[] = {&ipe->table_name, &ipe->closure_desc, &ipe->ty_desc, &ipe->label,
				   &ipe->module, &ipe->srcloc};
		for (size_t i = 0; i < 6; i++)
			*fields[i] = off < e->len ? get_cstr(e, &off) : strdup("");
		s->n_ipes++;
		for (size_t i = 0; i < 6; i++)
			if (!*fields[i])
				return -1;
		return 0;
	}
	default:
		return 0;
	}
}

static int cmp_ipe(const void *a, const void *b)
{
	uint64_t x = ((const struct evlog_ipe *)a)->addr, y = ((const struct evlog_ipe *)b)->addr;
	return (x > y) - (x < y);
}

/* Allocation: per capability, HEAP_ALLOCATED is a running total; the program's total at
 * time t is the sum over capabilities of each one's latest value. */
static int finish_alloc(struct pass *ps)
{
	struct evlog_summary *s = ps->s;
	if (stable_sort(ps->allocs, ps->n_allocs, sizeof(*ps->allocs), cmp_u64_first))
		return -1;
	int max_cap = -1;
	for (size_t i = 0; i < ps->n_allocs; i++)
		if (ps->allocs[i].cap > max_cap)
			max_cap = ps->allocs[i].cap;
	/* slot 0 is "no capability", slot c+1 is capability c */
	uint64_t *latest = calloc((size_t)max_cap + 2, sizeof(*latest));
	if (!latest)
		return -1;
	if (ps->n_allocs && (s->alloc.p = malloc(ps->n_allocs * sizeof(*s->alloc.p))))
		s->alloc.cap = ps->n_allocs;
	uint64_t total = 0;
	for (size_t i = 0; i < ps->n_allocs; i++) {
		const struct alloc_ev *a = &ps->allocs[i];
		uint64_t *l = &latest[a->cap + 1];
		if (a->v >= *l) { /* running totals never go down: ignore stale repeats */
			total += a->v - *l;
			*l = a->v;
		}
		if (push_point(&s->alloc, a->t, total)) {
			free(latest);
			return -1;
		}
	}
	s->allocated_bytes = total;
	free(latest);
	return 0;
}

static int cmp_sample(const void *a, const void *b)
{
	uint64_t x = ((const struct evlog_sample *)a)->t, y = ((const struct evlog_sample *)b)->t;
	return (x > y) - (x < y);
}

static int cmp_mark(const void *a, const void *b)
{
	uint64_t x = ((const struct evlog_mark *)a)->t, y = ((const struct evlog_mark *)b)->t;
	return (x > y) - (x < y);
}

int evlog_summarise(struct evlog *ev, struct evlog_summary **out, struct lb_error *err)
{
	*out = NULL;
	struct evlog_summary *s = calloc(1, sizeof(*s));
	if (!s)
		return lb_error_oom(err);
	struct pass ps = {.s = s, .open_sample = -1};
	s->t_first = UINT64_MAX;
	s->file_bytes = ev->file_len;
	/* Reserve the big arrays for the most a file this size can hold (a GC writes ~100 bytes
	 * of events per point kept): malloc only reserves address space, pages are touched as
	 * points arrive, and growing by realloc would copy and fault every page again. */
	size_t guess = ev->file_len / 96 + 256;
	struct evlog_series *big[] = {&s->live, &s->heap, &s->blocks};
	for (size_t i = 0; i < 3; i++)
		if ((big[i]->p = malloc(guess * sizeof(*big[i]->p))))
			big[i]->cap = guess;
	if ((ps.allocs = malloc(guess * sizeof(*ps.allocs))))
		ps.cap_allocs = guess;
	struct evlog_event e;
	int rc;
	/* Most events (scheduler, GC phases) only need counting: one table lookup decides, so
	 * the common case does not go through the switch's indirect jump. */
	static const unsigned char wanted[256] = {
		[EV_HEAP_LIVE] = 1, [EV_HEAP_SIZE] = 1, [EV_BLOCKS_SIZE] = 1, [EV_HEAP_ALLOCATED] = 1,
		[EV_GC_STATS_GHC] = 1, [EV_HEAP_INFO_GHC] = 1, [EV_USER_MARKER] = 1, [EV_USER_MSG] = 1,
		[EV_WALL_CLOCK_TIME] = 1, [EV_RTS_IDENTIFIER] = 1, [EV_PROGRAM_ARGS] = 1,
		[EV_HEAP_PROF_BEGIN] = 1, [EV_HEAP_PROF_COST_CENTRE] = 1, [EV_HEAP_PROF_SAMPLE_BEGIN] = 1,
		[EV_HEAP_BIO_PROF_SAMPLE_BEGIN] = 1, [EV_HEAP_PROF_SAMPLE_END] = 1,
		[EV_HEAP_PROF_SAMPLE_STRING] = 1, [EV_HEAP_PROF_SAMPLE_COST_CENTRE] = 1, [EV_IPE] = 1,
	};
	uint64_t t_first = UINT64_MAX, t_last = 0, n_events = 0;
	struct cursor cur;
	enum evlog_end end = ev->end;
	cursor_load(&cur, ev);
	rc = ev->done ? 0 : 1;
	while (rc == 1 && (rc = cursor_next(&cur, ev, &e, &end, err)) == 1) {
		n_events++;
		t_first = e.t < t_first ? e.t : t_first;
		t_last = e.t > t_last ? e.t : t_last;
		if (e.type >= 256) {
			s->n_unknown++;
			continue;
		}
		s->counts[e.type]++;
		if (wanted[e.type] && on_event(&ps, &e)) {
			rc = lb_error_oom(err);
			break;
		}
	}
	cursor_store(&cur, ev);
	if (rc != 1) {
		ev->done = 1;
		ev->end = end;
	}
	s->n_events = n_events;
	s->t_first = t_first;
	s->t_last = t_last;
	fix_marks(s->markers, s->n_markers, s->text);
	fix_marks(s->messages, s->n_messages, s->text);
	if (rc == 0) {
		s->end = ev->end;
		s->gcs = ps.gc_stats_count ? ps.gc_stats_count : s->counts[EV_GC_START];
		s->major_gcs = ps.gc_stats_major ? ps.gc_stats_major : s->live.n;
		if (s->t_first == UINT64_MAX)
			s->t_first = 0;
		if (finish_alloc(&ps) ||
		    stable_sort(s->live.p, s->live.n, sizeof(*s->live.p), cmp_u64_first) ||
		    stable_sort(s->heap.p, s->heap.n, sizeof(*s->heap.p), cmp_u64_first) ||
		    stable_sort(s->blocks.p, s->blocks.n, sizeof(*s->blocks.p), cmp_u64_first) ||
		    stable_sort(s->markers, s->n_markers, sizeof(*s->markers), cmp_mark) ||
		    stable_sort(s->messages, s->n_messages, sizeof(*s->messages), cmp_mark) ||
		    stable_sort(s->samples, s->n_samples, sizeof(*s->samples), cmp_sample))
			rc = lb_error_oom(err);
		else if (s->n_ipes)
			qsort(s->ipes, s->n_ipes, sizeof(*s->ipes), cmp_ipe);
	}
	free(ps.in.slots);
	free(ps.allocs);
	for (size_t i = 0; i < ps.n_ccs; i++)
		free(ps.ccs[i].name);
	free(ps.ccs);
	if (rc) {
		evlog_summary_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void evlog_summary_free(struct evlog_summary *s)
{
	if (!s)
		return;
	free(s->rts_id);
	if (s->args)
		for (char **a = s->args; *a; a++)
			free(*a);
	free(s->args);
	free(s->live.p);
	free(s->heap.p);
	free(s->blocks.p);
	free(s->alloc.p);
	free(s->markers);
	free(s->messages);
	free(s->text);
	for (size_t i = 0; i < s->n_labels; i++)
		free(s->labels[i]);
	free(s->labels);
	free(s->samples);
	free(s->rows);
	for (size_t i = 0; i < s->n_ipes; i++) {
		struct evlog_ipe *p = &s->ipes[i];
		free(p->table_name);
		free(p->closure_desc);
		free(p->ty_desc);
		free(p->label);
		free(p->module);
		free(p->srcloc);
	}
	free(s->ipes);
	free(s);
}

const struct evlog_ipe *evlog_ipe_find(const struct evlog_summary *s, uint64_t addr)
{
	struct evlog_ipe key = {.addr = addr};
	if (!s->n_ipes)
		return NULL;
	return bsearch(&key, s->ipes, s->n_ipes, sizeof(*s->ipes), cmp_ipe);
}

const char *evlog_breakdown_flag(uint32_t b)
{
	static const char *const flags[] = {"?", "-hc", "-hm", "-hd", "-hy", "-hr", "-hb", "-hT", "-hi", "-he"};
	return b < sizeof(flags) / sizeof(*flags) ? flags[b] : "?";
}

double evlog_unix_time(const struct evlog_summary *s, uint64_t t)
{
	if (!s->have_wall_clock)
		return NAN;
	return (double)s->wall_sec + (double)s->wall_nsec / 1e9 +
	       ((double)t - (double)s->wall_t) / 1e9;
}

int evlog_time_of(const struct evlog_summary *s, double unix_seconds, uint64_t *t)
{
	if (!s->have_wall_clock)
		return -1;
	double sync = (double)s->wall_sec + (double)s->wall_nsec / 1e9;
	double ns = (double)s->wall_t + (unix_seconds - sync) * 1e9;
	*t = ns <= 0 ? 0 : (uint64_t)ns;
	return 0;
}

/* Index of the last point with time <= t, or -1. */
static long last_at_or_before(const struct evlog_series *s, uint64_t t)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->p[mid].t <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

static uint64_t peak_in(const struct evlog_series *s, uint64_t a, uint64_t b)
{
	uint64_t peak = 0;
	for (long i = last_at_or_before(s, b); i >= 0 && s->p[i].t >= a; i--)
		if (s->p[i].v > peak)
			peak = s->p[i].v;
	return peak;
}

void evlog_align(const struct evlog_summary *s, const struct evlog_window *w, size_t n,
		 struct evlog_step *out)
{
	for (size_t k = 0; k < n; k++) {
		struct evlog_step *st = &out[k];
		memset(st, 0, sizeof(*st));
		long i = last_at_or_before(&s->live, w[k].end);
		if (i >= 0 && s->live.p[i].t >= w[k].start) {
			st->have_live = 1;
			st->live_after = s->live.p[i].v;
		}
		st->peak_live = peak_in(&s->live, w[k].start, w[k].end);
		st->peak_heap = peak_in(&s->heap, w[k].start, w[k].end);
		long a = last_at_or_before(&s->alloc, w[k].start), b = last_at_or_before(&s->alloc, w[k].end);
		uint64_t va = a >= 0 ? s->alloc.p[a].v : 0, vb = b >= 0 ? s->alloc.p[b].v : 0;
		st->allocated = vb - va;
		st->census = -1;
		uint64_t best = UINT64_MAX;
		for (size_t j = 0; j < s->n_samples; j++) {
			uint64_t t = s->samples[j].t;
			if (t < w[k].start)
				continue;
			uint64_t d = t > w[k].end ? t - w[k].end : w[k].end - t;
			if (d < best) {
				best = d;
				st->census = (long)j;
			}
		}
	}
}

int evlog_marker_windows(const struct evlog_summary *s, struct evlog_window **out, size_t *n,
			 struct lb_error *err)
{
	*out = NULL;
	*n = s->n_markers;
	if (!s->n_markers)
		return 0;
	struct evlog_window *w = malloc(s->n_markers * sizeof(*w));
	if (!w)
		return lb_error_oom(err);
	for (size_t i = 0; i < s->n_markers; i++) {
		w[i].start = s->markers[i].t;
		w[i].end = i + 1 < s->n_markers ? s->markers[i + 1].t : s->t_last;
	}
	*out = w;
	return 0;
}
