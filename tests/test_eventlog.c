/*
 * test_eventlog.c - the eventlog reader on eventlogs made by real GHC programs in the test,
 * on the ghc-events corpus (GHC 8.2 to 9.x, checked against its reference decodings), on
 * small eventlogs written here byte by byte from the format, and on damaged files.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/text.h"
#include "results/detect.h"
#include "runners/eventlog.h"
#include "runners/proc.h"
#include "runners/rts.h"
#include "tests/helpers.h"

/* --- writing eventlogs by hand ------------------------------------------------------- */

struct buf {
	unsigned char *p;
	size_t n, cap;
};

static void put(struct buf *b, const void *data, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, data, n);
	b->n += n;
}

static void put_be(struct buf *b, uint64_t v, int bytes)
{
	unsigned char tmp[8];
	for (int i = 0; i < bytes; i++)
		tmp[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
	put(b, tmp, (size_t)bytes);
}

static void header_begin(struct buf *b)
{
	put(b, "hdrbhetb", 8);
}

static void event_type(struct buf *b, uint16_t id, uint16_t size, const char *desc)
{
	put(b, "etb\0", 4);
	put_be(b, id, 2);
	put_be(b, size, 2);
	put_be(b, strlen(desc), 4);
	put(b, desc, strlen(desc));
	put_be(b, 0, 4);
	put(b, "ete\0", 4);
}

static void header_end(struct buf *b)
{
	put(b, "hetehdredatb", 12);
}

static void event(struct buf *b, uint16_t id, uint64_t t, const void *payload, size_t n, int variable)
{
	put_be(b, id, 2);
	put_be(b, t, 8);
	if (variable)
		put_be(b, n, 2);
	put(b, payload, n);
}

/* A payload of u32 capset then u64 value. */
static void heap_payload(unsigned char out[12], uint64_t v)
{
	memset(out, 0, 4);
	for (int i = 0; i < 8; i++)
		out[4 + i] = (unsigned char)(v >> (8 * (7 - i)));
}

static struct evlog_summary *summarise_buf(const struct buf *b, int expect_rc)
{
	struct evlog *ev;
	struct evlog_summary *s = NULL;
	struct lb_error err = {0};
	cr_assert_eq(evlog_open_buffer(&ev, b->p, b->n, "hand.eventlog", &err), 0, "%s", err.msg);
	int rc = evlog_summarise(ev, &s, &err);
	cr_assert_eq(rc, expect_rc, "summarise: %d %s", rc, err.msg);
	evlog_free(ev);
	return s;
}

Test(eventlog, older_and_newer_sizes_unknown_ids_and_trailing_bytes)
{
	struct buf b = {0};
	header_begin(&b);
	event_type(&b, EV_HEAP_LIVE, 20, "Current heap live data (newer: 8 more bytes)");
	event_type(&b, EV_GC_STATS_GHC, 50, "GC statistics (older: no balanced copied)");
	event_type(&b, 250, 5, "An event from the future");
	event_type(&b, EV_USER_MARKER, 0xffff, "User marker");
	event_type(&b, EV_HEAP_INFO_GHC, 38, "Heap static parameters");
	header_end(&b);
	unsigned char info[38] = {0};
	info[5] = 2; /* two generations */
	event(&b, EV_HEAP_INFO_GHC, 1, info, sizeof(info), 0);
	unsigned char live[20] = {0};
	heap_payload(live, 123456);
	memset(live + 12, 0xAB, 8);
	event(&b, EV_HEAP_LIVE, 100, live, sizeof(live), 0);
	event(&b, 250, 150, "\x01\x02\x03\x04\x05", 5, 0);
	unsigned char gs[50] = {0};
	gs[5] = 1;                 /* generation 1: major */
	gs[6 + 7] = 200;           /* copied = 200 */
	gs[22 + 6] = 1;            /* frag = 256 */
	event(&b, EV_GC_STATS_GHC, 200, gs, sizeof(gs), 0);
	event(&b, EV_USER_MARKER, 300, "warm\0trailing bytes from a newer GHC", 37, 1);
	heap_payload(live, 654321);
	event(&b, EV_HEAP_LIVE, 400, live, sizeof(live), 0);
	put_be(&b, 0xffff, 2);

	struct evlog_summary *s = summarise_buf(&b, 0);
	cr_assert_eq(s->end, EVLOG_COMPLETE);
	cr_assert_eq(s->n_events, 6);
	cr_assert_eq(s->n_unknown, 0);
	cr_assert_eq(s->counts[250], 1, "the unknown event was skipped by its declared size");
	cr_assert_eq(s->live.n, 2);
	cr_assert_eq(s->live.p[0].v, 123456, "longer HEAP_LIVE: the known field is read");
	cr_assert_eq(s->live.p[1].v, 654321, "and the event after the extra bytes too");
	cr_assert_eq(s->copied_bytes, 200, "older 50-byte GC_STATS is read");
	cr_assert_eq(s->max_frag_bytes, 256);
	cr_assert_eq(s->major_gcs, 1);
	cr_assert_eq(s->n_markers, 1);
	cr_assert_str_eq(s->markers[0].text, "warm", "trailing bytes after the NUL are ignored");
	evlog_summary_free(s);
	free(b.p);
}

Test(eventlog, undeclared_id_is_an_error_naming_the_offset)
{
	struct buf b = {0};
	header_begin(&b);
	event_type(&b, EV_HEAP_LIVE, 12, "Current heap live data");
	header_end(&b);
	unsigned char live[12];
	heap_payload(live, 1);
	event(&b, EV_HEAP_LIVE, 1, live, 12, 0);
	size_t bad = b.n;
	event(&b, 77, 2, live, 12, 0);
	struct evlog *ev;
	struct evlog_summary *s;
	struct lb_error err = {0};
	cr_assert_eq(evlog_open_buffer(&ev, b.p, b.n, "hand.eventlog", &err), 0);
	cr_assert_eq(evlog_summarise(ev, &s, &err), LB_EINVAL);
	char want[64];
	snprintf(want, sizeof(want), "byte %zu: event id 77 is not declared", bad);
	cr_assert(strstr(err.msg, want) && strstr(err.msg, "hand.eventlog"), "%s", err.msg);
	evlog_free(ev);
	free(b.p);
}

/* A marker is the program's own text: `leakbench eventlog` prints its control characters
 * escaped, so a marker cannot clear the screen or write the clipboard (OSC 52). */
Test(eventlog, marker_text_cannot_drive_the_terminal)
{
	struct buf b = {0};
	header_begin(&b);
	event_type(&b, EV_USER_MARKER, 0xffff, "User marker");
	header_end(&b);
	const char text[] = "warm\x1b[2J\x1b]52;c;cHduZWQ=\x07";
	event(&b, EV_USER_MARKER, 300, text, sizeof(text), 1);
	put_be(&b, 0xffff, 2);
	char *dir = scratch_dir(), path[600];
	snprintf(path, sizeof(path), "%s/m.eventlog", dir);
	FILE *f = fopen(path, "wb");
	cr_assert(f && fwrite(b.p, 1, b.n, f) == b.n && fclose(f) == 0);
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "eventlog", path, NULL), 0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "markers    1: warm\\x1b[2J\\x1b]52;c;cHduZWQ=\\x07@"), "%s", o.out);
	cr_assert(!strchr(o.out, '\x1b') && !strchr(o.out, '\x07'), "%s", o.out);
	lb_out_free(&o);
	free(b.p);
	rm_rf(dir);
	free(dir);
}

Test(eventlog, no_end_marker_and_cut_in_event_keep_complete_events)
{
	struct buf b = {0};
	header_begin(&b);
	event_type(&b, EV_HEAP_LIVE, 12, "Current heap live data");
	header_end(&b);
	unsigned char live[12];
	for (int i = 1; i <= 3; i++) {
		heap_payload(live, (uint64_t)i * 1000);
		event(&b, EV_HEAP_LIVE, (uint64_t)i, live, 12, 0);
	}
	struct evlog_summary *s = summarise_buf(&b, 0);
	cr_assert_eq(s->end, EVLOG_NO_END);
	cr_assert_eq(s->live.n, 3);
	evlog_summary_free(s);
	b.n -= 5; /* cut inside the third event */
	s = summarise_buf(&b, 0);
	cr_assert_eq(s->end, EVLOG_CUT_IN_EVENT);
	cr_assert_eq(s->live.n, 2, "only the cut event is dropped");
	cr_assert_eq(s->live.p[1].v, 2000);
	evlog_summary_free(s);
	free(b.p);

	struct evlog *ev;
	struct lb_error err = {0};
	cr_assert_eq(evlog_open_buffer(&ev, "hdrbXXXX", 8, "junk", &err), LB_EINVAL);
	cr_assert(strstr(err.msg, "junk: byte 4"), "%s", err.msg);
	cr_assert_eq(evlog_open_buffer(&ev, "not an eventlog", 15, "junk", &err), LB_EINVAL);
	cr_assert(strstr(err.msg, "not a GHC eventlog"), "%s", err.msg);
}

/* --- eventlogs made by real GHC programs ------------------------------------------- */

/* Run a fixture with `rts` flags (+ -ol<dir>/x.eventlog) and summarise its eventlog. */
static struct evlog_summary *run_and_read(const char *dir, char **argv_tail, const char *fixture_name,
					  const char *rts_flags, double *t_alloc)
{
	char bin[512], ev_path[600], stats[600], ol[620], tf[620];
	fixture(fixture_name, bin, sizeof(bin));
	snprintf(ev_path, sizeof(ev_path), "%s/x.eventlog", dir);
	snprintf(stats, sizeof(stats), "%s/stats.txt", dir);
	snprintf(ol, sizeof(ol), "-ol%s", ev_path);
	snprintf(tf, sizeof(tf), "-t%s", stats);
	char *argv[32];
	size_t n = 0;
	argv[n++] = bin;
	for (char **p = argv_tail; *p; p++)
		argv[n++] = *p;
	argv[n++] = "+RTS";
	argv[n++] = tf;
	argv[n++] = "--machine-readable";
	argv[n++] = ol;
	char flags[256];
	snprintf(flags, sizeof(flags), "%s", rts_flags);
	for (char *cur = flags, *tok; (tok = text_word(&cur, " "));)
		argv[n++] = strdup(tok);
	argv[n++] = "-RTS";
	argv[n] = NULL;
	/* in the scratch folder: a -hT run also writes <prog>.hp where it runs */
	struct proc_spec spec = {.argv = argv, .timeout_s = 120, .cwd = dir};
	struct proc_result res;
	struct lb_error err = {0};
	cr_assert_eq(proc_run(&spec, &res, &err), 0, "%s", err.msg);
	cr_assert_eq(res.end, PROC_EXITED);
	proc_result_free(&res);
	if (t_alloc) {
		struct rts_stats st;
		cr_assert_eq(rts_stats_parse_file(&st, stats, &err), 0, "%s", err.msg);
		cr_assert_eq(rts_stats_number(&st, "allocated_bytes", t_alloc), 0);
		rts_stats_free(&st);
	}
	struct evlog *ev;
	struct evlog_summary *s;
	cr_assert_eq(evlog_open(&ev, ev_path, &err), 0, "%s", err.msg);
	cr_assert_eq(evlog_summarise(ev, &s, &err), 0, "%s", err.msg);
	evlog_free(ev);
	return s;
}

/* Bytes of `label` in census sample j. */
static double label_bytes(const struct evlog_summary *s, size_t j, const char *label)
{
	double b = 0;
	for (size_t r = s->samples[j].first; r < s->samples[j].first + s->samples[j].n; r++)
		if (strcmp(s->labels[s->rows[r].label], label) == 0)
			b += (double)s->rows[r].bytes;
	return b;
}

static void foo_slope(const struct evlog_summary *s, struct detect_slope *out)
{
	double x[4096], y[4096];
	size_t n = s->n_samples < 4096 ? s->n_samples : 4096;
	for (size_t j = 0; j < n; j++) {
		x[j] = (double)s->samples[j].t / 1e9;
		y[j] = label_bytes(s, j, "main:Main.Foo");
	}
	cr_assert_eq(detect_theil_sen(x, y, n, out), 0);
}

Test(eventlog, census_shows_the_kept_constructor_growing_phase_by_phase, .timeout = 120)
{
	char *dir = scratch_dir();
	char *args[] = {"keep", "8", "20000", NULL};
	struct evlog_summary *s = run_and_read(dir, args, "census", "-l-agu -hT -i0.02", NULL);
	cr_assert_eq(s->end, EVLOG_COMPLETE);
	cr_assert_str_eq(evlog_breakdown_flag(s->breakdown), "-hT");
	cr_assert_geq(s->n_samples, 5, "census samples: %zu", s->n_samples);
	cr_assert_eq(s->n_markers, 8);
	for (size_t i = 0; i < 8; i++) {
		char want[32];
		snprintf(want, sizeof(want), "phase %zu", i + 1);
		cr_assert_str_eq(s->markers[i].text, want, "markers in order");
	}
	/* the last census before the final marker sees every Foo made by the phases that ended
	 * before it (24 bytes each; after the final marker the program consumes its list).  When
	 * censuses fall depends on the RTS's timer, so count the phases, not assume them. */
	size_t j = s->n_samples;
	while (j > 0 && s->samples[j - 1].t > s->markers[7].t)
		j--;
	cr_assert_gt(j, 0, "a census before the last phase ended");
	const struct evlog_sample *last_s = &s->samples[j - 1];
	size_t phases = 0;
	while (phases < s->n_markers && s->markers[phases].t <= last_s->t)
		phases++;
	double last = label_bytes(s, j - 1, "main:Main.Foo");
	cr_assert_geq(phases, 2, "censuses span several phases");
	cr_assert_geq(last, phases * 20000 * 24.0, "%zu x 20000 Foo of 24 bytes are live at the last census (%.0f)",
		      phases, last);
	struct detect_slope sl;
	foo_slope(s, &sl);
	cr_assert_gt(sl.lo, 0, "Foo grows: slope %.0f B/s, interval [%.0f, %.0f]", sl.slope, sl.lo, sl.hi);
	/* per step, with the program's own markers as step boundaries */
	struct evlog_window *w;
	size_t nw;
	struct lb_error err = {0};
	cr_assert_eq(evlog_marker_windows(s, &w, &nw, &err), 0);
	cr_assert_eq(nw, 8);
	struct evlog_step steps[8];
	evlog_align(s, w, nw, steps);
	cr_assert(steps[0].have_live && steps[6].have_live);
	cr_assert_gt(steps[6].live_after, 2 * steps[0].live_after,
		     "live bytes after step 7 (%llu) well above step 1 (%llu)",
		     (unsigned long long)steps[6].live_after, (unsigned long long)steps[0].live_after);
	for (size_t i = 0; i + 1 < nw; i++) {
		cr_assert_gt(steps[i].allocated, 0, "step %zu allocated", i);
		cr_assert_geq(steps[i].peak_live, steps[i].live_after);
		cr_assert_geq(steps[i].census, 0, "a census near the end of step %zu", i);
	}
	free(w);
	/* the same windows given in wall-clock time, as a runner records step boundaries */
	uint64_t back;
	double unix0 = evlog_unix_time(s, s->markers[2].t);
	cr_assert(unix0 > 1.6e9, "the eventlog carries its wall-clock time");
	cr_assert_eq(evlog_time_of(s, unix0, &back), 0);
	cr_assert_lt(back > s->markers[2].t ? back - s->markers[2].t : s->markers[2].t - back, 1000,
		     "wall clock and eventlog time convert both ways (within a microsecond)");
	evlog_summary_free(s);
	rm_rf(dir);
	free(dir);
}

Test(eventlog, census_of_dropped_values_stays_flat, .timeout = 120)
{
	char *dir = scratch_dir();
	char *args[] = {"drop", "8", "20000", NULL};
	struct evlog_summary *s = run_and_read(dir, args, "census", "-l-agu -hT -i0.02", NULL);
	cr_assert_geq(s->n_samples, 5);
	double peak = 0;
	for (size_t j = 0; j < s->n_samples; j++)
		if (label_bytes(s, j, "main:Main.Foo") > peak)
			peak = label_bytes(s, j, "main:Main.Foo");
	cr_assert_lt(peak, 20000 * 24.0, "dropped Foo never pile up (peak %.0f)", peak);
	uint64_t max_live = 0;
	for (size_t i = 0; i < s->live.n; i++)
		if (s->live.p[i].v > max_live)
			max_live = s->live.p[i].v;
	cr_assert_lt(max_live, 2u << 20, "live bytes stay small (%llu)", (unsigned long long)max_live);
	evlog_summary_free(s);
	rm_rf(dir);
	free(dir);
}

Test(eventlog, allocation_over_two_capabilities_matches_the_rts, .timeout = 120)
{
	char *dir = scratch_dir();
	char *args[] = {"par", "300000", NULL};
	double t_alloc = 0;
	struct evlog_summary *s = run_and_read(dir, args, "target-threaded", "-N2 -l-agu", &t_alloc);
	cr_assert_eq((double)s->allocated_bytes, t_alloc,
		     "eventlog total %llu vs -t allocated_bytes %.0f",
		     (unsigned long long)s->allocated_bytes, t_alloc);
	cr_assert(strstr(s->rts_id, "thr"), "%s", s->rts_id);
	evlog_summary_free(s);
	rm_rf(dir);
	free(dir);
}

Test(eventlog, every_prefix_of_a_real_eventlog_parses_as_partial, .timeout = 300)
{
	char *dir = scratch_dir();
	char *args[] = {"keep", "2", "2000", NULL};
	struct evlog_summary *whole = run_and_read(dir, args, "census", "-l -hT -i0.02", NULL);
	uint64_t events = whole->n_events;
	evlog_summary_free(whole);
	char path[600];
	snprintf(path, sizeof(path), "%s/x.eventlog", dir);
	char *data = slurp_file(path);
	size_t len = 0;
	FILE *f = fopen(path, "rb");
	fseek(f, 0, SEEK_END);
	len = (size_t)ftell(f);
	fclose(f);
	cr_assert_gt(len, 1000);
	size_t step = len / 3000 + 1, partial = 0;
	uint64_t prev = 0;
	for (size_t cut = 0; cut < len; cut += step) {
		struct evlog *ev;
		struct evlog_summary *s;
		struct lb_error err = {0};
		/* a private copy of exactly `cut` bytes, so ASan sees any read past it */
		unsigned char *copy = malloc(cut ? cut : 1);
		memcpy(copy, data, cut);
		if (evlog_open_buffer(&ev, copy, cut, "prefix", &err) == 0) {
			cr_assert_eq(evlog_summarise(ev, &s, &err), 0, "cut %zu: %s", cut, err.msg);
			cr_assert_neq(s->end, EVLOG_COMPLETE, "cut at %zu is partial", cut);
			cr_assert_geq(s->n_events, prev, "a longer prefix never yields fewer events");
			prev = s->n_events;
			partial++;
			evlog_summary_free(s);
			evlog_free(ev);
		} else {
			cr_assert(strstr(err.msg, "prefix: byte"), "header errors name the offset: %s", err.msg);
		}
		free(copy);
	}
	cr_assert_gt(partial, 100);
	cr_assert_leq(prev, events);

	/* random byte flips: an error with an offset or a summary, never a crash */
	unsigned seed = 12345;
	for (int round = 0; round < 300; round++) {
		unsigned char *copy = malloc(len);
		memcpy(copy, data, len);
		for (int k = 0; k < 8; k++) {
			seed = seed * 1103515245u + 12345u;
			copy[(seed >> 8) % len] ^= (unsigned char)(1u << (seed % 8));
		}
		struct evlog *ev;
		struct evlog_summary *s;
		struct lb_error err = {0};
		if (evlog_open_buffer(&ev, copy, len, "flipped", &err) == 0) {
			if (evlog_summarise(ev, &s, &err) == 0)
				evlog_summary_free(s);
			else
				cr_assert(strstr(err.msg, "flipped: byte"), "%s", err.msg);
			evlog_free(ev);
		}
		free(copy);
	}
	free(data);
	rm_rf(dir);
	free(dir);
}

/* --- the ghc-events corpus ------------------------------------------------------------ */

struct ref {
	size_t events, heap_rows, samples;
	uint64_t live[4096];
	size_t n_live;
};

/* Count what `ghc-events show` printed: event lines, HEAP_LIVE values, census rows. */
static int read_reference(const char *path, struct ref *r)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	memset(r, 0, sizeof(*r));
	char line[8192];
	int in_events = 0;
	while (fgets(line, sizeof(line), f)) {
		if (!in_events) {
			in_events = strncmp(line, "Events:", 7) == 0;
			continue;
		}
		char *p = line;
		if (*p < '0' || *p > '9')
			continue;
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p != ':')
			continue;
		r->events++;
		unsigned long long v;
		char *q = strstr(p, "live data in heap capset");
		if (q && sscanf(strchr(q, ':') + 1, " %llu bytes", &v) == 1 && r->n_live < 4096)
			r->live[r->n_live++] = v;
		if (strstr(p, ": heap prof sample ") || strstr(p, ": heap prof sample"))
			r->heap_rows++;
		if (strstr(p, "start heap prof sample"))
			r->samples++;
	}
	fclose(f);
	return 0;
}

Test(eventlog, ghc_events_corpus_matches_its_references, .timeout = 120)
{
	const char *shared = getenv("LEAKBENCH_SHARED");
	char dirpath[600];
	snprintf(dirpath, sizeof(dirpath), "%s/testdata/ghc-events", shared ? shared : "../shared");
	DIR *d = opendir(dirpath);
	if (!d) {
		cr_skip_test("no ghc-events corpus at %s: skipped", dirpath);
		return;
	}
	struct dirent *de;
	int files = 0, with_ref = 0;
	static struct ref r;
	while ((de = readdir(d))) {
		size_t nl = strlen(de->d_name);
		if (nl < 9 || strcmp(de->d_name + nl - 9, ".eventlog") != 0)
			continue;
		char path[900], refpath[920];
		snprintf(path, sizeof(path), "%s/%s", dirpath, de->d_name);
		snprintf(refpath, sizeof(refpath), "%s.reference", path);
		struct evlog *ev;
		struct evlog_summary *s;
		struct lb_error err = {0};
		cr_assert_eq(evlog_open(&ev, path, &err), 0, "%s", err.msg);
		cr_assert_eq(evlog_summarise(ev, &s, &err), 0, "%s: %s", de->d_name, err.msg);
		evlog_free(ev);
		files++;
		if (strcmp(de->d_name, "testlog-part.eventlog") == 0)
			cr_assert_neq(s->end, EVLOG_COMPLETE, "the cut-short file is reported partial");
		if (read_reference(refpath, &r) == 0) {
			with_ref++;
			cr_assert_eq(s->n_events, r.events, "%s: %llu events, the reference has %zu",
				     de->d_name, (unsigned long long)s->n_events, r.events);
			cr_assert_eq(s->live.n, r.n_live, "%s: HEAP_LIVE count", de->d_name);
			for (size_t i = 0; i < r.n_live; i++)
				cr_assert_eq(s->live.p[i].v, r.live[i], "%s: HEAP_LIVE #%zu", de->d_name, i);
			cr_assert_eq(s->n_rows, r.heap_rows, "%s: %zu census rows, the reference has %zu",
				     de->d_name, s->n_rows, r.heap_rows);
			cr_assert_geq(s->n_samples, r.samples, "%s: census samples", de->d_name);
		}
		evlog_summary_free(s);
	}
	closedir(d);
	cr_assert_geq(files, 20, "the corpus was read (%d files)", files);
	cr_assert_geq(with_ref, 15);
}

/* --- `leakbench eventlog` as a user runs it -------------------------------------------- */

Test(eventlog, command_prints_summary_census_series_and_json, .timeout = 120)
{
	char *dir = scratch_dir();
	char *args[] = {"keep", "6", "20000", NULL};
	struct evlog_summary *s = run_and_read(dir, args, "census", "-l-agu -hT -i0.02", NULL);
	char path[600];
	snprintf(path, sizeof(path), "%s/x.eventlog", dir);
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "eventlog", path, NULL), 0, "%s", o.err);
	cr_assert(strstr(o.out, "state      complete") && strstr(o.out, "GHC-9") &&
			  strstr(o.out, "phase 1@") && strstr(o.out, "peak live"),
		  "%s", o.out);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, NULL, "eventlog", "--census", "--top", "3", path, NULL), 0, "%s", o.err);
	const char *grow = strstr(o.out, "fastest growing");
	cr_assert(grow, "%s", o.out);
	const char *foo = strstr(grow, "main:Main.Foo");
	cr_assert(foo, "Foo is among the 3 fastest growing: %s", o.out);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, NULL, "eventlog", "--series", "live", path, NULL), 0, "%s", o.err);
	cr_assert(strstr(o.out, "\u2588") && strstr(o.out, "points)"), "a sparkline: %s", o.out);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, NULL, "eventlog", "--series", "lve", path, NULL), 2);
	cr_assert(strstr(o.err, "did you mean 'live'"), "%s", o.err);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, NULL, "eventlog", "--json", path, NULL), 0, "%s", o.err);
	cr_assert(strstr(o.out, "\"markers\"") && strstr(o.out, "\"growth\"") &&
			  strstr(o.out, "\"partial\": false"),
		  "%.300s", o.out);
	/* what it says is what the reader read: every series point, every census row */
	json_error_t jerr;
	json_t *j = json_loads(o.out, 0, &jerr);
	cr_assert(j, "not JSON: %s (line %d)", jerr.text, jerr.line);
	const struct evlog_series *want[] = {&s->live, &s->heap, &s->alloc};
	const char *names[] = {"live", "heap", "alloc"};
	for (size_t k = 0; k < 3; k++) {
		json_t *a = json_object_get(json_object_get(j, "series"), names[k]);
		cr_assert_eq(json_array_size(a), want[k]->n, "%s", names[k]);
		cr_assert_gt(want[k]->n, 2, "%s has points", names[k]);
		for (size_t i = 0; i < want[k]->n; i++) {
			json_t *pt = json_array_get(a, i);
			double t = json_number_value(json_array_get(pt, 0)), t_want = (double)(want[k]->p[i].t - s->t_first) / 1e9;
			cr_assert(fabs(t - t_want) < 1e-12 && json_integer_value(json_array_get(pt, 1)) == (json_int_t)want[k]->p[i].v,
				  "%s point %zu: %.12g %lld", names[k], i, t, (long long)json_integer_value(json_array_get(pt, 1)));
		}
	}
	json_t *samples = json_object_get(json_object_get(j, "census"), "samples");
	cr_assert_eq(json_array_size(samples), s->n_samples);
	for (size_t i = 0; i < s->n_samples; i++) {
		json_t *sm = json_array_get(samples, i), *v;
		const char *label;
		json_int_t sum = 0;
		json_object_foreach(json_object_get(sm, "bytes"), label, v)
			sum += json_integer_value(v);
		cr_assert(sum == (json_int_t)s->samples[i].total && json_integer_value(json_object_get(sm, "total")) == sum &&
				  json_object_size(json_object_get(sm, "bytes")) == s->samples[i].n,
			  "census %zu", i);
	}
	json_decref(j);
	evlog_summary_free(s);
	lb_out_free(&o);
	char junk[600];
	snprintf(junk, sizeof(junk), "%s/junk.eventlog", dir);
	FILE *f = fopen(junk, "w");
	fputs("hello", f);
	fclose(f);
	cr_assert_eq(run_lb(&o, NULL, "eventlog", junk, NULL), 2);
	cr_assert(strstr(o.err, "junk.eventlog: byte 0: not a GHC eventlog"), "%s", o.err);
	lb_out_free(&o);
	rm_rf(dir);
	free(dir);
}

/* Same summary from the streaming reader (files, 1 MiB window) and from one buffer. */
static void same_summary(const char *path, size_t cut)
{
	char *data = slurp_file(path);
	FILE *f = fopen(path, "rb");
	fseek(f, 0, SEEK_END);
	size_t len = (size_t)ftell(f);
	fclose(f);
	if (cut && cut < len) {
		len = cut;
		f = fopen(path, "r+b");
		cr_assert_eq(ftruncate(fileno(f), (off_t)cut), 0);
		fclose(f);
	}
	struct evlog *a, *b;
	struct evlog_summary *sa, *sb;
	struct lb_error err = {0};
	cr_assert_eq(evlog_open(&a, path, &err), 0, "%s", err.msg);
	cr_assert_eq(evlog_summarise(a, &sa, &err), 0, "%s", err.msg);
	cr_assert_eq(evlog_open_buffer(&b, data, len, "buffer", &err), 0, "%s", err.msg);
	cr_assert_eq(evlog_summarise(b, &sb, &err), 0, "%s", err.msg);
	cr_assert_eq(sa->n_events, sb->n_events, "events: streamed %llu, buffered %llu",
		     (unsigned long long)sa->n_events, (unsigned long long)sb->n_events);
	cr_assert_eq(sa->end, sb->end);
	cr_assert_eq(memcmp(sa->counts, sb->counts, sizeof(sa->counts)), 0);
	cr_assert_eq(sa->allocated_bytes, sb->allocated_bytes);
	cr_assert_eq(sa->live.n, sb->live.n);
	cr_assert_eq(memcmp(sa->live.p, sb->live.p, sa->live.n * sizeof(*sa->live.p)), 0);
	cr_assert_eq(sa->n_rows, sb->n_rows);
	cr_assert_eq(sa->n_markers, sb->n_markers);
	cr_assert_eq(sa->n_messages_total, sb->n_messages_total);
	if (sa->n_messages)
		cr_assert_str_eq(sa->messages[sa->n_messages - 1].text, sb->messages[sb->n_messages - 1].text);
	/* the summary without its census rows: the same samples (counts, totals) and labels */
	struct evlog *c;
	struct evlog_summary *sc;
	cr_assert_eq(evlog_open(&c, path, &err), 0, "%s", err.msg);
	evlog_skip_census_rows(c);
	cr_assert_eq(evlog_summarise(c, &sc, &err), 0, "%s", err.msg);
	cr_assert(sc->rows == NULL && sc->n_rows == 0);
	cr_assert_eq(sc->n_labels, sa->n_labels);
	cr_assert_eq(sc->n_samples, sa->n_samples);
	for (size_t i = 0; i < sa->n_samples; i++)
		cr_assert(sc->samples[i].t == sa->samples[i].t && sc->samples[i].n == sa->samples[i].n &&
			  sc->samples[i].total == sa->samples[i].total, "sample %zu", i);
	evlog_summary_free(sc);
	evlog_free(c);
	evlog_summary_free(sa);
	evlog_summary_free(sb);
	evlog_free(a);
	evlog_free(b);
	free(data);
}

Test(eventlog, streaming_a_large_file_reads_what_one_buffer_reads, .timeout = 120)
{
	char *dir = scratch_dir(), bin[512], ev[600], ol[620];
	snprintf(ev, sizeof(ev), "%s/big.eventlog", dir);
	snprintf(ol, sizeof(ol), "-ol%s", ev);
	/* 36 MB: the map slides on twice (16 MiB windows), the read() buffer (1 MiB) 35 times */
	char *argv[] = {(char *)fixture("evgen", bin, sizeof(bin)), "1600000", "+RTS", "-l", "-hT", "-i0.01",
			"-A64k", ol, "-RTS", NULL};
	struct proc_spec spec = {.argv = argv, .timeout_s = 60, .cwd = dir};
	struct proc_result res;
	struct lb_error err = {0};
	cr_assert_eq(proc_run(&spec, &res, &err), 0, "%s", err.msg);
	proc_result_free(&res);
	struct stat sb;
	cr_assert_eq(stat(ev, &sb), 0);
	cr_assert_gt(sb.st_size, 32 << 20, "larger than two windows (%lld bytes)", (long long)sb.st_size);
	same_summary(ev, 0);
	/* through a pipe, which cannot be mapped: the read() buffer */
	char cmd[1400], fifo[620];
	snprintf(fifo, sizeof(fifo), "%s/pipe.eventlog", dir);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	snprintf(cmd, sizeof(cmd), "cat %s > %s &", ev, fifo);
	cr_assert_eq(system(cmd), 0);
	struct evlog *a, *b;
	struct evlog_summary *sa, *sb2;
	cr_assert_eq(evlog_open(&a, fifo, &err), 0, "%s", err.msg);
	cr_assert_eq(evlog_open(&b, ev, &err), 0, "%s", err.msg);
	cr_assert_eq(evlog_summarise(a, &sa, &err), 0, "%s", err.msg);
	cr_assert_eq(evlog_summarise(b, &sb2, &err), 0, "%s", err.msg);
	cr_assert(sa->n_events == sb2->n_events && sa->n_rows == sb2->n_rows && sa->peak_live == sb2->peak_live &&
			  sa->allocated_bytes == sb2->allocated_bytes && sa->end == EVLOG_COMPLETE,
		  "%llu events by pipe, %llu mapped", (unsigned long long)sa->n_events, (unsigned long long)sb2->n_events);
	evlog_summary_free(sa);
	evlog_summary_free(sb2);
	evlog_free(a);
	evlog_free(b);
	same_summary(ev, (size_t)sb.st_size - 777777); /* cut inside, past several windows */
	rm_rf(dir);
	free(dir);
}
