/*
 * evsummary.c - the eventlog's one-pass summary (evlog_summarise) and what reads it: the
 * heap series, census samples and rows by label, marks and messages, cost centres and
 * info-table provenance, the wall clock, and the windows and alignment built on them.
 *
 * Series and census rows go into growable arrays, sorted stably by time at the end (the
 * file interleaves per-capability buffers out of time order); labels are interned once.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>

#include "base/mem.h"
#include "runners/eventlog.h"
#include "runners/eventlog_int.h"

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

/* Label interning: open addressing over indices into s->labels.  A census lists much the
 * same labels in much the same order every time, so before any hashing the label that
 * followed the previous row's label last time (or began the last census) is tried: on a
 * census-heavy log nearly every row is found so, with one length check and one memcmp. */
struct intern {
	uint32_t *slots; /* label index + 1; 0 = empty */
	size_t cap;
	size_t cap_labels;
	uint32_t *len;   /* per label: its length */
	uint32_t *succ;  /* per label: the label after it last time, + 1; 0 none */
	size_t cap_meta;
	long last;       /* the current census's previous row's label; -1 at its start */
	long first;      /* the label that began the last census; -1 none */
	uint32_t *quick; /* QUICK slots by quick_slot(): a label index + 1 seen there last, 0 none */
};

/* When the successor guess misses (a census lists the same labels in blocks whose order
 * changes: one row in four on a threaded program's -hT log), a direct-mapped table keyed
 * by the row's own bytes finds the label without scanning for its end or hashing all of it:
 * the room (the rest of the payload), its first and last eight bytes.  Whatever it gives is
 * checked with is_label, so a collision only costs the full lookup. */
#define QUICK 16384u

/* FNV-1a over 8 bytes at a time (then the tail byte by byte): labels are read once per
 * census row, and a byte-at-a-time hash was a quarter of the pass's instructions. */
static uint64_t label_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 1099511628211ull;
		h ^= h >> 29;
	}
	for (; i < n; i++)
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
			size_t h = label_hash(s->labels[i], in->len[i]) & (ncap - 1);
			while (slots[h])
				h = (h + 1) & (ncap - 1);
			slots[h] = (uint32_t)i + 1;
		}
		free(in->slots);
		in->slots = slots;
		in->cap = ncap;
	}
	size_t h = label_hash(str, n) & (in->cap - 1);
	while (in->slots[h]) {
		uint32_t i = in->slots[h] - 1;
		if (in->len[i] == n && memcmp(s->labels[i], str, n) == 0)
			return i;
		h = (h + 1) & (in->cap - 1);
	}
	if (LB_GROW(s->labels, s->n_labels + 1, in->cap_labels, NULL))
		return -1;
	if (in->cap_meta < in->cap_labels) {
		uint32_t *len = realloc(in->len, in->cap_labels * sizeof(*len));
		if (len)
			in->len = len;
		uint32_t *succ = len ? realloc(in->succ, in->cap_labels * sizeof(*succ)) : NULL;
		if (!succ)
			return -1;
		in->succ = succ;
		in->cap_meta = in->cap_labels;
	}
	char *copy = strndup(str, n);
	if (!copy)
		return -1;
	s->labels[s->n_labels] = copy;
	in->len[s->n_labels] = (uint32_t)n;
	in->succ[s->n_labels] = 0;
	in->slots[h] = (uint32_t)s->n_labels + 1;
	return (long)s->n_labels++;
}

/* Whether n bytes agree, 8 at a time: labels are short, and a call to memcmp per census
 * row cost more than the comparing. */
static inline uint64_t load64(const char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline uint32_t load32(const char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static inline int same_bytes(const char *a, const char *b, size_t n)
{
	if (n >= 8) { /* whole words, the last one overlapping the one before */
		for (size_t i = 0; i + 8 < n; i += 8)
			if (load64(a + i) != load64(b + i))
				return 0;
		return load64(a + n - 8) == load64(b + n - 8);
	}
	if (n >= 4)
		return load32(a) == load32(b) && load32(a + n - 4) == load32(b + n - 4);
	for (; n; a++, b++, n--)
		if (*a != *b)
			return 0;
	return 1;
}

/* Whether the label at `str` (at most `room` bytes) is label `id`. */
static inline int is_label(const struct intern *in, const struct evlog_summary *s, long id, const char *str, size_t room)
{
	size_t n = in->len[id];
	return n <= room && (n == room || str[n] == '\0') && same_bytes(s->labels[id], str, n);
}

/* The label at `str` (at most `room` bytes, NUL-terminated within them or ending there):
 * first the one the last census had after the previous row's, else by the hash.  (The one
 * the last census had at this row's place was tried too: it found 3% of the misses.) */
static __attribute__((noinline)) long intern_by_hash(struct intern *in, struct evlog_summary *s, const char *str,
						      size_t room)
{
	const char *nul = memchr(str, 0, room);
	return intern(in, s, str, nul ? (size_t)(nul - str) : room);
}

static inline size_t quick_slot(const char *str, size_t room)
{
	uint64_t a = 0, b = 0;
	if (room >= 8) {
		a = load64(str);
		b = load64(str + room - 8);
	} else
		memcpy(&a, str, room);
	uint64_t h = (a * 0x9e3779b97f4a7c15ull) ^ (b * 0xc2b2ae3d27d4eb4full) ^ room;
	return (size_t)(h >> 50) & (QUICK - 1);
}

static inline __attribute__((always_inline)) long intern_row(struct intern *in, struct evlog_summary *s,
							     const char *str, size_t room)
{
	long guess = in->last < 0 ? in->first : in->succ[in->last] ? (long)in->succ[in->last] - 1 : -1;
	long id = guess;
	if (guess < 0 || !is_label(in, s, guess, str, room)) {
		uint32_t *q = &in->quick[quick_slot(str, room)];
		if (*q && is_label(in, s, *q - 1, str, room))
			id = *q - 1;
		else if ((id = intern_by_hash(in, s, str, room)) < 0)
			return -1;
		else
			*q = (uint32_t)id + 1;
	}
	if (in->last < 0)
		in->first = id;
	else
		in->succ[in->last] = (uint32_t)id + 1;
	in->last = id;
	return id;
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
#define HUGE_PAGE ((size_t)2 << 20)

struct pass {
	struct evlog_summary *s;
	int skip_rows; /* the caller reads no census rows */
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
	ps->in.last = -1;
	return 0;
}

/* Room for as many census rows as the file could hold (a row's event takes at least 20
 * bytes), asked for once: pages nobody touches cost nothing, and the array never moves.  It
 * is marked for huge pages where the kernel gives them on request: a census-heavy log's
 * rows are tens of MB, and faulting them in 4 KiB at a time was a tenth of the pass. */
static int reserve_rows(struct pass *ps)
{
	size_t cap = ps->s->file_bytes / 20 + 16, bytes = cap * sizeof(*ps->s->rows);
	struct evlog_row *rows = NULL;
	if (bytes >= HUGE_PAGE && posix_memalign((void **)&rows, HUGE_PAGE, bytes) == 0)
		madvise(rows, bytes, MADV_HUGEPAGE); /* a hint: refused, the pages are small */
	else if (!(rows = malloc(bytes)))
		return -1;
	if (!rows)
		return -1;
	ps->s->rows = rows;
	ps->cap_rows = cap;
	return 0;
}

/* A census row: `label` is NUL-terminated within `room` bytes, or ends there. */
static inline __attribute__((always_inline)) int add_row(struct pass *ps, uint64_t t, const char *label, size_t room,
							  uint64_t bytes)
{
	struct evlog_summary *s = ps->s;
	if (ps->open_sample < 0 && begin_sample(ps, t, 0))
		return -1;
	long id = intern_row(&ps->in, s, label, room);
	if (id < 0)
		return -1;
	if (!ps->skip_rows) {
		if ((!ps->cap_rows && reserve_rows(ps)) || LB_GROW(s->rows, s->n_rows + 1, ps->cap_rows, NULL))
			return -1;
		s->rows[s->n_rows++] = (struct evlog_row){(uint32_t)id, bytes};
	}
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

/* A heap series point (live, heap size, blocks) and the series' peak. */
static int series_point(struct evlog_series *series, uint64_t *peak, const struct evlog_event *e)
{
	uint64_t v;
	if (get64(e, 4, &v))
		return 0;
	if (push_point(series, e->t, v))
		return -1;
	if (v > *peak)
		*peak = v;
	return 0;
}

static int on_gc_stats(struct pass *ps, const struct evlog_event *e)
{
	struct evlog_summary *s = ps->s;
	uint64_t copied = 0, frag = 0;
	uint16_t gen;
	if (get16(e, 4, &gen) == 0) {
		ps->gc_stats_count++;
		if (s->n_generations > 0 && gen == s->n_generations - 1)
			ps->gc_stats_major++;
	}
	if (get64(e, 6, &copied) == 0)
		s->copied_bytes += copied;
	if (get64(e, 22, &frag) == 0 && frag > s->max_frag_bytes)
		s->max_frag_bytes = frag;
	return 0;
}

static int on_program_args(struct evlog_summary *s, const struct evlog_event *e)
{
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

static int on_cost_centre(struct pass *ps, const struct evlog_event *e)
{
	uint32_t off = 4, id;
	if (get32(e, 0, &id))
		return 0;
	char *label = get_cstr(e, &off), *mod = get_cstr(e, &off), *name = NULL;
	int bad = !label || !mod || asprintf(&name, "%s.%s", mod, label) < 0 ||
		  LB_GROW(ps->ccs, ps->n_ccs + 1, ps->cap_ccs, NULL);
	free(label);
	free(mod);
	if (bad) {
		free(name);
		return -1;
	}
	ps->ccs[ps->n_ccs++] = (struct cc_def){id, name};
	return 0;
}

static int on_sample_string(struct pass *ps, const struct evlog_event *e)
{
	uint64_t v;
	if (get64(e, 1, &v))
		return 0;
	return add_row(ps, e->t, (const char *)e->payload + 9, e->len - 9, v);
}

static int on_sample_cost_centre(struct pass *ps, const struct evlog_event *e)
{
	uint64_t v;
	uint32_t id = 0;
	if (get64(e, 1, &v) || e->len < 10)
		return 0;
	uint8_t depth = e->payload[9];
	char buf[32];
	const char *name = NULL;
	if (depth > 0 && get32(e, 10, &id) == 0)
		name = cc_name(ps, id);
	if (!name) {
		snprintf(buf, sizeof(buf), depth ? "cc %u" : "(no cost centre)", id);
		name = buf;
	}
	return add_row(ps, e->t, name, strlen(name), v);
}

static int on_ipe(struct pass *ps, const struct evlog_event *e)
{
	struct evlog_summary *s = ps->s;
	uint64_t v;
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

static int on_event(struct pass *ps, const struct evlog_event *e)
{
	struct evlog_summary *s = ps->s;
	uint64_t v = 0;
	uint32_t u32 = 0;
	uint16_t u16 = 0;
	switch (e->type) {
	case EV_HEAP_LIVE:
		return series_point(&s->live, &s->peak_live, e);
	case EV_HEAP_SIZE:
		return series_point(&s->heap, &s->peak_heap, e);
	case EV_BLOCKS_SIZE:
		return series_point(&s->blocks, &s->peak_blocks, e);
	case EV_HEAP_ALLOCATED:
		if (get64(e, 4, &v) == 0) {
			if (LB_GROW(ps->allocs, ps->n_allocs + 1, ps->cap_allocs, NULL))
				return -1;
			ps->allocs[ps->n_allocs++] = (struct alloc_ev){e->t, e->cap, v};
		}
		return 0;
	case EV_GC_STATS_GHC:
		return on_gc_stats(ps, e);
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
		if (e->len >= 4 && !s->rts_id && !(s->rts_id = strndup((const char *)e->payload + 4, e->len - 4)))
			return -1;
		return 0;
	case EV_PROGRAM_ARGS:
		return on_program_args(s, e);
	case EV_HEAP_PROF_BEGIN:
		s->heap_profile = 1;
		if (get64(e, 1, &v) == 0)
			s->sampling_ns = v;
		if (get32(e, 9, &u32) == 0)
			s->breakdown = u32;
		return 0;
	case EV_HEAP_PROF_COST_CENTRE:
		return on_cost_centre(ps, e);
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
	case EV_HEAP_PROF_SAMPLE_STRING:
		return on_sample_string(ps, e);
	case EV_HEAP_PROF_SAMPLE_COST_CENTRE:
		return on_sample_cost_centre(ps, e);
	case EV_IPE:
		return on_ipe(ps, e);
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
	struct pass ps = {.s = s, .open_sample = -1, .in = {.last = -1, .first = -1}, .skip_rows = ev->skip_rows};
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
	if (!(ps.in.quick = calloc(QUICK, sizeof(*ps.in.quick)))) {
		free(ps.allocs);
		evlog_summary_free(s);
		return lb_error_oom(err);
	}
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
	free(ps.in.len);
	free(ps.in.succ);
	free(ps.in.quick);
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
