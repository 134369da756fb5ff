/*
 * eventlog.h - reading GHC's binary eventlog (shared/reference/eventlog-and-rts-stats.md).
 *
 * What a reader guarantees:
 *  - bounds-checked: every read is checked against the mapped file; damaged bytes give an
 *    error naming the byte offset, never a read past the buffer;
 *  - tolerant of versions: events the reader does not know are skipped by the size the
 *    header declares; a known event longer than the layout it knows (newer GHC) has its extra
 *    bytes ignored, a shorter one (older GHC) is read as the older layout; an event id the
 *    header does not declare is an error;
 *  - honest about damage: a file without its end marker (a killed program) yields every
 *    complete event and says it is partial; a file cut inside an event drops that event only;
 *  - events come in file order, which is NOT time order (per-capability buffers interleave);
 *    the summary sorts what it keeps by time.
 *
 * Life cycle: evlog_open (or evlog_open_buffer) -> evlog_next ... -> evlog_free, or
 * evlog_summarise for everything leakbench uses in one pass.
 */
#ifndef LB_EVENTLOG_H
#define LB_EVENTLOG_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* Event ids leakbench reads (the full table is in the reference). */
enum {
	EV_GC_START = 9,
	EV_GC_END = 10,
	EV_BLOCK_MARKER = 18,
	EV_USER_MSG = 19,
	EV_LOG_MSG = 16,
	EV_RTS_IDENTIFIER = 29,
	EV_PROGRAM_ARGS = 30,
	EV_WALL_CLOCK_TIME = 43,
	EV_HEAP_ALLOCATED = 49,
	EV_HEAP_SIZE = 50,
	EV_HEAP_LIVE = 51,
	EV_HEAP_INFO_GHC = 52,
	EV_GC_STATS_GHC = 53,
	EV_USER_MARKER = 58,
	EV_BLOCKS_SIZE = 91,
	EV_HEAP_PROF_BEGIN = 160,
	EV_HEAP_PROF_COST_CENTRE = 161,
	EV_HEAP_PROF_SAMPLE_BEGIN = 162,
	EV_HEAP_PROF_SAMPLE_COST_CENTRE = 163,
	EV_HEAP_PROF_SAMPLE_STRING = 164,
	EV_HEAP_PROF_SAMPLE_END = 165,
	EV_HEAP_BIO_PROF_SAMPLE_BEGIN = 166,
	EV_IPE = 169,
};

#define EVLOG_SIZE_VARIABLE 0xffff
/* Messages (traceEvent) are free text a program may emit millions of times; the summary keeps
 * the first this many and counts the rest, so its memory follows the series, not the file. */
#define EVLOG_MAX_MESSAGES 10000
#define EVLOG_UNDECLARED (-1)

enum evlog_end {
	EVLOG_COMPLETE = 0,     /* ended with its end-of-data marker */
	EVLOG_NO_END = 1,       /* ended at an event boundary without the marker: partial */
	EVLOG_CUT_IN_EVENT = 2, /* ended inside an event, which was dropped: partial */
};

struct evlog;

struct evlog_event {
	uint16_t type;
	uint64_t t;        /* ns since the RTS started */
	int cap;           /* from the enclosing block marker; -1 for none / the global buffer */
	const uint8_t *payload;
	uint32_t len;      /* payload bytes */
	uint64_t offset;   /* of the event in the file */
};

/* Open `path` and read its header.  The file is streamed through a 1 MiB window (read(),
 * not mmap: faster in a virtual machine, and memory does not grow with the file); the
 * header must fit in the first window.  Free with evlog_free. */
int evlog_open(struct evlog **out, const char *path, struct lb_error *err);
/* The same over bytes the caller keeps alive until evlog_free; `name` is for messages. */
int evlog_open_buffer(struct evlog **out, const void *buf, size_t len, const char *name,
		      struct lb_error *err);
void evlog_free(struct evlog *ev);

/* The next event in file order: 1 with *e filled, 0 at the end (see evlog_end_state), or a
 * negative error.  e->payload points into the reader's window: it stays valid until the
 * next evlog_next (copy what you keep). */
int evlog_next(struct evlog *ev, struct evlog_event *e, struct lb_error *err);
enum evlog_end evlog_end_state(const struct evlog *ev);

/* The size the header declares for `type`: bytes, EVLOG_SIZE_VARIABLE, or EVLOG_UNDECLARED.
 * evlog_type_desc gives its description (for display only: it changes between versions). */
int evlog_declared_size(const struct evlog *ev, uint16_t type);
const char *evlog_type_desc(const struct evlog *ev, uint16_t type);
size_t evlog_n_types(const struct evlog *ev);
uint64_t evlog_file_size(const struct evlog *ev);

/* --- the summary: everything leakbench uses, from one pass --------------------------- */

struct evlog_point {
	uint64_t t; /* ns since RTS start */
	uint64_t v;
};

struct evlog_mark {
	uint64_t t;
	char *text;
};

struct evlog_ipe {
	uint64_t addr;
	char *table_name, *closure_desc, *ty_desc, *label, *module, *srcloc;
};

/* One heap census: rows [first, first + n) of summary->rows. */
struct evlog_sample {
	uint64_t t;
	uint64_t era;
	size_t first, n;
	uint64_t total; /* bytes over all rows */
};

struct evlog_row {
	uint32_t label; /* index into summary->labels */
	uint64_t bytes;
};

struct evlog_series {
	struct evlog_point *p;
	size_t n, cap;
};

struct evlog_summary {
	enum evlog_end end;
	uint64_t file_bytes;
	uint64_t n_events;
	uint64_t counts[256];   /* events per id for ids < 256 */
	uint64_t n_unknown;     /* events of ids leakbench does not interpret */
	uint64_t t_first, t_last; /* ns */

	char *rts_id;           /* "GHC-9.0.2 rts_l"; NULL if absent */
	char **args;            /* program arguments, NULL-terminated; NULL if absent */
	int have_wall_clock;
	int64_t wall_sec;       /* unix time at eventlog time wall_t */
	uint32_t wall_nsec;
	uint64_t wall_t;

	uint64_t gcs, major_gcs;
	int n_generations;      /* from HEAP_INFO_GHC; 0 if unknown */
	uint64_t copied_bytes;  /* sum of GC_STATS copied */
	uint64_t max_frag_bytes;
	uint64_t allocated_bytes; /* sum over capabilities of their last HEAP_ALLOCATED */
	uint64_t peak_live, peak_heap, peak_blocks;

	struct evlog_series live;   /* HEAP_LIVE, after each major GC */
	struct evlog_series heap;   /* HEAP_SIZE */
	struct evlog_series blocks; /* BLOCKS_SIZE (9.2+) */
	struct evlog_series alloc;  /* running total allocation, after each HEAP_ALLOCATED */

	struct evlog_mark *markers; /* traceMarker */
	size_t n_markers;
	struct evlog_mark *messages; /* traceEvent: the first EVLOG_MAX_MESSAGES of them */
	size_t n_messages;
	uint64_t n_messages_total;   /* all of them */

	int heap_profile;           /* a HEAP_PROF_BEGIN was seen */
	uint32_t breakdown;         /* 1 -hc, 2 -hm, 3 -hd, 4 -hy, 5 -hr, 6 -hb, 7 -hT, 8 -hi, 9 -he */
	uint64_t sampling_ns;
	char **labels;              /* interned census labels */
	size_t n_labels;
	struct evlog_sample *samples; /* in time order */
	size_t n_samples;
	struct evlog_row *rows;     /* NULL, n_rows 0, after evlog_skip_census_rows (the samples'
				     * counts and totals and the labels are still there) */
	size_t n_rows;

	struct evlog_ipe *ipes;     /* sorted by address */
	size_t n_ipes;

	char *text;                 /* one arena holding every marker's and message's text */
};

/* Read the whole log.  The events are not in time order in the file; every series, marker
 * list and sample list in the summary is sorted by time (stably).  Free with
 * evlog_summary_free. */
int evlog_summarise(struct evlog *ev, struct evlog_summary **out, struct lb_error *err);
/* Before evlog_summarise: keep no census rows (label and bytes of every row of every sample)
 * for a caller that reads only the samples' totals and the labels.  On a census-heavy log
 * the rows are most of the pass's memory, and faulting their pages in was a quarter of its
 * time. */
void evlog_skip_census_rows(struct evlog *ev);
void evlog_summary_free(struct evlog_summary *s);

/* The IPE entry for an info-table address, or NULL. */
const struct evlog_ipe *evlog_ipe_find(const struct evlog_summary *s, uint64_t addr);
/* The census breakdown as the RTS flag that chose it ("-hT"), or "?" */
const char *evlog_breakdown_flag(uint32_t breakdown);
/* Eventlog time -> unix seconds (needs the WALL_CLOCK_TIME event; NaN without it). */
double evlog_unix_time(const struct evlog_summary *s, uint64_t t);
/* Unix seconds -> eventlog time, for step boundaries the harness recorded by the wall clock.
 * Returns 0 and fills *t, or -1 without a WALL_CLOCK_TIME event.  Times before the RTS
 * started map to 0. */
int evlog_time_of(const struct evlog_summary *s, double unix_seconds, uint64_t *t);

/* --- per-step alignment ------------------------------------------------------------- */

struct evlog_window {
	uint64_t start, end; /* eventlog ns */
};

struct evlog_step {
	int have_live;          /* a major GC happened in the window */
	uint64_t live_after;    /* HEAP_LIVE of the last major GC in the window */
	uint64_t peak_live, peak_heap;
	uint64_t allocated;     /* allocation during the window */
	long census;            /* index of the census sample nearest the window's end, -1 none */
};

/* For each window, the step figures (out has n entries). */
void evlog_align(const struct evlog_summary *s, const struct evlog_window *w, size_t n,
		 struct evlog_step *out);
/* Windows between consecutive user markers (marker i to marker i+1; the last to the end of
 * the log).  *out is malloc'ed with s->n_markers entries. */
int evlog_marker_windows(const struct evlog_summary *s, struct evlog_window **out, size_t *n,
			 struct lb_error *err);

#endif
