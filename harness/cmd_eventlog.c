/*
 * cmd_eventlog.c - `leakbench eventlog FILE`: what a GHC eventlog says about memory.
 *
 * The summary answers "how big did it get and when"; --census answers "what is it made of
 * and which part keeps growing" (Theil-Sen slope of each label's bytes per second and per
 * marker, robust to the odd census taken mid-burst); --series prints one series with a
 * sparkline; --json gives all of it to other tools.
 */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "harness/cli.h"
#include "harness/cmd.h"
#include "results/detect.h"
#include "runners/eventlog.h"

struct growth {
	uint32_t label;
	uint64_t last;           /* bytes at the last census */
	struct detect_slope per_s, per_marker;
	int have_s, have_marker;
};

static const char *end_name(enum evlog_end e)
{
	return e == EVLOG_COMPLETE ? "complete"
	       : e == EVLOG_NO_END ? "partial (no end marker: the program did not shut down)"
				   : "partial (cut inside an event, which was dropped)";
}

/* Text from the eventlog (the program's markers, labels, arguments) on the terminal: its
 * control characters escaped, so a marker holding ESC [2J cannot clear the screen. */
static void put_visible(const char *s)
{
	char *v = text_visible(s);
	fputs(v ? v : "?", stdout);
	free(v);
}

/* A label for display: -hi addresses are joined with their IPE entry. */
static void display_label(const struct evlog_summary *s, uint32_t id, char *buf, size_t size)
{
	const char *l = s->labels[id];
	char *joined = NULL, *v;
	if (s->breakdown == 8 && strncmp(l, "0x", 2) == 0) {
		const struct evlog_ipe *ipe = evlog_ipe_find(s, strtoull(l + 2, NULL, 16));
		if (ipe && asprintf(&joined, "%s %s (%s) %s", ipe->label && *ipe->label ? ipe->label : ipe->table_name,
				    ipe->ty_desc, ipe->module, ipe->srcloc) < 0)
			joined = NULL;
	}
	v = text_visible(joined ? joined : l);
	snprintf(buf, size, "%s", v ? v : "?");
	free(v);
	free(joined);
}

/* At most this many censuses, evenly spaced, go into a label's slope: a log with a census
 * every millisecond has thousands, and a Theil-Sen slope per label over all of them (80,000
 * sampled pairs each, 1,000 labels) took most of `--census`; 64 give 2,016 exact pairs, a
 * quarter of 128's, which still took two thirds of it.  A leak's slope over the run needs
 * no more points than that to stand out; the stored metrics have their own (expect.c). */
#define GROWTH_SAMPLES 64

/* Bytes of every label at the censuses a slope uses (0 where a census omits it), then
 * slopes.  Only those censuses are read: a matrix of every label at every census was 7 MB
 * of page faults on a census-heavy log, for 64 columns of it. */
static struct growth *census_growth(const struct evlog_summary *s)
{
	size_t L = s->n_labels, S = s->n_samples;
	size_t U = S > GROWTH_SAMPLES ? GROWTH_SAMPLES : S; /* the censuses used: j * (S - 1) / (U - 1) */
	struct growth *g = calloc(L ? L : 1, sizeof(*g));
	double *m = calloc(L * U + 1, sizeof(*m)), *t = malloc((U + 1) * sizeof(*t)), *k = malloc((U + 1) * sizeof(*k));
	if (!g || !m || !t || !k) {
		free(g);
		g = NULL;
		goto done;
	}
	size_t mi = 0;
	for (size_t j = 0; j < U; j++) {
		const struct evlog_sample *sm = &s->samples[U < S ? j * (S - 1) / (U - 1) : j];
		t[j] = (double)(sm->t - s->t_first) / 1e9;
		while (mi < s->n_markers && s->markers[mi].t <= sm->t)
			mi++;
		k[j] = (double)mi; /* markers passed so far */
		for (size_t r = sm->first; r < sm->first + sm->n; r++)
			m[s->rows[r].label * U + j] += (double)s->rows[r].bytes;
	}
	for (size_t l = 0; l < L; l++) {
		const double *col = &m[l * U];
		g[l].label = (uint32_t)l;
		g[l].last = U ? (uint64_t)col[U - 1] : 0;
		g[l].have_s = detect_theil_sen(t, col, U, &g[l].per_s) == 0;
		g[l].have_marker = s->n_markers && detect_theil_sen(k, col, U, &g[l].per_marker) == 0;
	}
done:
	free(m);
	free(t);
	free(k);
	return g;
}

static int cmp_last(const void *a, const void *b)
{
	uint64_t x = ((const struct growth *)a)->last, y = ((const struct growth *)b)->last;
	return (x < y) - (x > y);
}

static int cmp_slope(const void *a, const void *b)
{
	const struct growth *x = a, *y = b;
	double sx = x->have_s ? x->per_s.slope : -INFINITY, sy = y->have_s ? y->per_s.slope : -INFINITY;
	return (sx < sy) - (sx > sy);
}

static void print_summary(const char *path, const struct evlog_summary *s)
{
	char a[32], b[32], c[32];
	printf("eventlog   %s (%s)\n", path, text_bytes((double)s->file_bytes, a, sizeof(a)));
	printf("state      %s\n", end_name(s->end));
	printf("runtime    ");
	put_visible(s->rts_id ? s->rts_id : "(no RTS identifier)");
	if (s->args) {
		printf("\nprogram   ");
		for (char **p = s->args; *p; p++) {
			putchar(' ');
			put_visible(*p);
		}
	}
	printf("\n");
	printf("duration   %.3f s, %" PRIu64 " events\n", (double)(s->t_last - s->t_first) / 1e9,
	       s->n_events);
	printf("GCs        %" PRIu64 " (%" PRIu64 " major)\n", s->gcs, s->major_gcs);
	printf("peak live  %s    peak heap %s    peak blocks %s\n",
	       text_bytes(s->live.n ? (double)s->peak_live : NAN, a, sizeof(a)),
	       text_bytes(s->heap.n ? (double)s->peak_heap : NAN, b, sizeof(b)),
	       text_bytes(s->blocks.n ? (double)s->peak_blocks : NAN, c, sizeof(c)));
	printf("allocated  %s    copied %s\n",
	       text_bytes(s->alloc.n ? (double)s->allocated_bytes : NAN, a, sizeof(a)),
	       text_bytes((double)s->copied_bytes, b, sizeof(b)));
	if (s->heap_profile)
		printf("census     %zu samples, %s, every %.3f s, %zu labels\n", s->n_samples,
		       evlog_breakdown_flag(s->breakdown), (double)s->sampling_ns / 1e9, s->n_labels);
	printf("markers    %zu", s->n_markers);
	for (size_t i = 0; i < s->n_markers && i < 10; i++) {
		fputs(i ? ", " : ": ", stdout);
		put_visible(s->markers[i].text);
		printf("@%.3fs", (double)(s->markers[i].t - s->t_first) / 1e9);
	}
	printf("%s\n", s->n_markers > 10 ? ", ..." : "");
	if (s->n_messages_total)
		printf("messages   %llu%s\n", (unsigned long long)s->n_messages_total,
		       s->n_messages_total > s->n_messages ? " (the first 10000 kept)" : "");
}

static void print_census(const struct evlog_summary *s, struct growth *g, int top)
{
	if (!s->n_samples) {
		printf("no heap census in this eventlog (run the program with +RTS -hT -l)\n");
		return;
	}
	char lab[256], a[32], b[32];
	const struct evlog_sample *last = &s->samples[s->n_samples - 1];
	printf("census at %.3f s (the last of %zu), %s, total %s:\n",
	       (double)(last->t - s->t_first) / 1e9, s->n_samples, evlog_breakdown_flag(s->breakdown),
	       text_bytes((double)last->total, a, sizeof(a)));
	qsort(g, s->n_labels, sizeof(*g), cmp_last);
	for (size_t i = 0; i < s->n_labels && (int)i < top && g[i].last; i++) {
		display_label(s, g[i].label, lab, sizeof(lab));
		printf("  %12s  %s\n", text_bytes((double)g[i].last, a, sizeof(a)), lab);
	}
	qsort(g, s->n_labels, sizeof(*g), cmp_slope);
	printf("\nfastest growing (Theil-Sen slope, 95%% interval):\n");
	printf("  %14s  %24s  %14s  %s\n", "per second", "interval", "per marker", "label");
	for (size_t i = 0; i < s->n_labels && (int)i < top; i++) {
		if (!g[i].have_s)
			continue;
		char lo[32], hi[32], pm[32] = "-";
		display_label(s, g[i].label, lab, sizeof(lab));
		if (g[i].have_marker)
			text_bytes(g[i].per_marker.slope, pm, sizeof(pm));
		printf("  %12s/s  [%10s, %10s]  %14s  %s\n", text_bytes(g[i].per_s.slope, a, sizeof(a)),
		       text_bytes(g[i].per_s.lo, lo, sizeof(lo)), text_bytes(g[i].per_s.hi, hi, sizeof(hi)),
		       pm, lab);
		(void)b;
	}
}

static const struct evlog_series *pick_series(const struct evlog_summary *s, const char *name)
{
	if (strcmp(name, "live") == 0)
		return &s->live;
	if (strcmp(name, "heap") == 0)
		return &s->heap;
	if (strcmp(name, "blocks") == 0)
		return &s->blocks;
	if (strcmp(name, "alloc") == 0)
		return &s->alloc;
	return NULL;
}

static void print_series(const struct evlog_summary *s, const struct evlog_series *se, const char *name)
{
	char a[32];
	printf("%-12s %16s\n", "t (s)", name);
	double *v = malloc((se->n + 1) * sizeof(*v));
	for (size_t i = 0; i < se->n; i++) {
		printf("%-12.3f %16" PRIu64 "  %s\n", (double)(se->p[i].t - s->t_first) / 1e9, se->p[i].v,
		       text_bytes((double)se->p[i].v, a, sizeof(a)));
		if (v)
			v[i] = (double)se->p[i].v;
	}
	char spark[3 * 72 + 1];
	if (v && se->n)
		printf("\n%s  (%zu points)\n", cli_sparkline(v, se->n, 72, spark, sizeof(spark)), se->n);
	else
		printf("(no points: %s)\n", strcmp(name, "live") == 0 ? "no major GC was logged; was -l "
									"given with the g class?"
								      : "nothing logged");
	free(v);
}

static json_t *marks_json(const struct evlog_summary *s, const struct evlog_mark *m, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:f, s:s}", "t", (double)(m[i].t - s->t_first) / 1e9,
						   "text", m[i].text));
	return a;
}

/* jansson writes a dump token by token; through fwrite that was a fifth of `--json` on a
 * census-heavy log, so tokens are gathered here and written 64 KiB at a time. */
struct out_buf {
	FILE *f;
	size_t n;
	char b[1 << 16];
};

/* Room for `need` bytes at the buffer's end (written out first when there is not). */
static char *room(struct out_buf *o, size_t need)
{
	if (o->n + need > sizeof(o->b)) {
		fwrite(o->b, 1, o->n, o->f);
		o->n = 0;
	}
	return o->b + o->n;
}

static int buffered(const char *text, size_t size, void *data)
{
	struct out_buf *o = data;
	room(o, size);
	if (size > sizeof(o->b))
		return fwrite(text, 1, size, o->f) == size ? 0 : -1;
	memcpy(o->b + o->n, text, size);
	o->n += size;
	return 0;
}

static void put(struct out_buf *o, const char *text)
{
	buffered(text, strlen(text), o);
}

/* v in decimal at w (room for 20 bytes); returns its length.  By hand: snprintf per
 * census row or series point was most of --json. */
static size_t put_u64(char *w, uint64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	size_t n = (size_t)(tmp + sizeof(tmp) - p);
	memcpy(w, p, n);
	return n;
}

/* ns nanoseconds as seconds at w, exactly (the digits of the count, trailing zeros dropped,
 * at least one decimal: 2.0, 0.002146649); room for 32 bytes; returns the length. */
static size_t put_seconds(char *w, uint64_t ns)
{
	size_t n = put_u64(w, ns / 1000000000u);
	uint64_t frac = ns % 1000000000u;
	w[n++] = '.';
	int digits = 9;
	while (digits > 1 && frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	for (int q = digits; q-- > 0; frac /= 10)
		w[n + (size_t)q] = (char)('0' + frac % 10);
	return n + (size_t)digits;
}

/* A series as [[T, V], ...], one point a line, streamed like the census samples. */
static void series_stream(struct out_buf *o, const struct evlog_summary *s, const struct evlog_series *se)
{
	put(o, "[");
	for (size_t i = 0; i < se->n; i++) {
		char *w = room(o, 64), *at = w;
		memcpy(w, i ? ",\n  [" : "\n  [", i ? 5 : 4);
		w += i ? 5 : 4;
		w += put_seconds(w, se->p[i].t - s->t_first);
		*w++ = ',';
		*w++ = ' ';
		w += put_u64(w, se->p[i].v);
		*w++ = ']';
		o->n += (size_t)(w - at);
	}
	put(o, se->n ? "\n ]" : "]");
}

/* The census samples, [{"t": T, "total": N, "bytes": {LABEL: N, ...}}, ...], streamed: a
 * census-heavy log has millions of rows, and a jansson value for each (allocated, hashed
 * into its object, written, freed) made --json ten times slower than reading the log.  The
 * labels are encoded by jansson, once each, as `"LABEL": ` padded with NULs to whole words
 * (`keys`, `key_len` without the padding), so a row is written straight into the buffer by
 * word copies and digits: a call to memcpy for each piece of a row was a tenth of it. */
static void samples_json(struct out_buf *o, const struct evlog_summary *s, char *const *keys, const size_t *key_len)
{
	put(o, "[");
	for (size_t j = 0; j < s->n_samples; j++) {
		const struct evlog_sample *sm = &s->samples[j];
		char *w = room(o, 128), *at = w;
		w += sprintf(w, "%s{\"t\": ", j ? ",\n  " : "\n  ");
		w += put_seconds(w, sm->t - s->t_first);
		memcpy(w, ", \"total\": ", 11);
		w += 11;
		w += put_u64(w, sm->total);
		memcpy(w, ", \"bytes\": {", 12);
		o->n += (size_t)(w + 12 - at);
		for (size_t r = sm->first; r < sm->first + sm->n; r++) {
			uint32_t l = s->rows[r].label;
			size_t words = (key_len[l] + 7) / 8;
			w = room(o, 2 + words * 8 + 24);
			if (r > sm->first) {
				*w++ = ',';
				*w++ = ' ';
			}
			for (size_t q = 0; q < words; q++)
				memcpy(w + 8 * q, keys[l] + 8 * q, 8);
			w += key_len[l];
			w += put_u64(w, s->rows[r].bytes);
			o->n = (size_t)(w - o->b);
		}
		put(o, "}}");
	}
	put(o, s->n_samples ? "\n ]" : "]");
}

/* The document: every value through jansson but the series and the census samples. */
static void write_json(struct out_buf *o, json_t *j, const struct evlog_summary *s, char *const *keys,
		       const size_t *key_len)
{
	const char *key;
	json_t *v;
	size_t n = 0;
	put(o, "{");
	json_object_foreach(j, key, v) {
		put(o, n++ ? ",\n \"" : "\n \"");
		put(o, key); /* leakbench's own key names: plain ASCII */
		put(o, "\": ");
		if (!strcmp(key, "series")) { /* {"live": [...], ...}, each streamed */
			static const char *const names[] = {"live", "heap", "blocks", "alloc"};
			const struct evlog_series *ser[] = {&s->live, &s->heap, &s->blocks, &s->alloc};
			for (size_t i = 0; i < 4; i++) {
				put(o, i ? ",\n \"" : "{\n \"");
				put(o, names[i]);
				put(o, "\": ");
				series_stream(o, s, ser[i]);
			}
			put(o, "\n}");
			continue;
		}
		if (strcmp(key, "census")) {
			json_dump_callback(v, buffered, o, JSON_INDENT(1) | JSON_REAL_PRECISION(12) | JSON_ENCODE_ANY);
			continue;
		}
		put(o, "{\"breakdown\": ");
		json_dump_callback(json_object_get(v, "breakdown"), buffered, o, JSON_ENCODE_ANY);
		put(o, ", \"interval_s\": ");
		json_dump_callback(json_object_get(v, "interval_s"), buffered, o, JSON_REAL_PRECISION(12) | JSON_ENCODE_ANY);
		put(o, ", \"samples\": ");
		samples_json(o, s, keys, key_len);
		put(o, ", \"growth\": ");
		json_dump_callback(json_object_get(v, "growth"), buffered, o, JSON_INDENT(1) | JSON_REAL_PRECISION(12));
		put(o, "}");
	}
	put(o, "\n}\n");
}

static json_t *summary_json(const char *path, const struct evlog_summary *s, const struct growth *g)
{
	json_t *labels = json_array(), *growth = json_array();
	for (size_t i = 0; i < s->n_labels; i++) {
		char lab[256];
		display_label(s, (uint32_t)i, lab, sizeof(lab));
		json_array_append_new(labels, json_string(lab));
	}
	for (size_t i = 0; g && i < s->n_labels; i++)
		if (g[i].have_s)
			json_array_append_new(
				growth, json_pack("{s:s, s:I, s:f, s:f, s:f, s:o}", "label",
						  json_string_value(json_array_get(labels, g[i].label)),
						  "last_bytes", (json_int_t)g[i].last, "slope_per_s",
						  g[i].per_s.slope, "lo_per_s", g[i].per_s.lo, "hi_per_s",
						  g[i].per_s.hi, "slope_per_marker",
						  g[i].have_marker ? json_real(g[i].per_marker.slope) : json_null()));
	json_t *args = json_array();
	for (char **p = s->args; p && *p; p++)
		json_array_append_new(args, json_string(*p));
	json_t *j = json_pack(
		"{s:s, s:I, s:s, s:b, s:s?, s:o, s:I, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "file",
		path, "bytes", (json_int_t)s->file_bytes, "state",
		s->end == EVLOG_COMPLETE ? "complete" : s->end == EVLOG_NO_END ? "no-end-marker" : "cut-in-event",
		"partial", s->end != EVLOG_COMPLETE, "rts", s->rts_id, "args", args, "events",
		(json_int_t)s->n_events, "duration_s", (double)(s->t_last - s->t_first) / 1e9, "gcs",
		(json_int_t)s->gcs, "major_gcs", (json_int_t)s->major_gcs, "peak_live_bytes",
		(json_int_t)s->peak_live, "peak_heap_bytes", (json_int_t)s->peak_heap,
		"peak_blocks_bytes", (json_int_t)s->peak_blocks, "allocated_bytes",
		(json_int_t)s->allocated_bytes, "copied_bytes", (json_int_t)s->copied_bytes);
	if (s->have_wall_clock)
		json_object_set_new(j, "start_unix", json_real(evlog_unix_time(s, s->t_first)));
	json_object_set_new(j, "series", json_null()); /* its place: written by series_stream */
	json_object_set_new(j, "markers", marks_json(s, s->markers, s->n_markers));
	json_object_set_new(j, "messages", marks_json(s, s->messages, s->n_messages));
	json_object_set_new(j, "census", json_pack("{s:s, s:f, s:o}", "breakdown", evlog_breakdown_flag(s->breakdown),
						   "interval_s", (double)s->sampling_ns / 1e9, "growth", growth));
	json_decref(labels);
	return j;
}

int cmd_eventlog(int argc, char **argv)
{
	int census = 0, top = 15, json = 0;
	const char *series = NULL;
	const struct cli_option options[] = {
		{"census", CLI_FLAG, &census, NULL,
		 "the heap census: largest labels at the last sample, and the fastest growing"},
		{"top", CLI_INT, &top, "N", "how many labels --census lists (default 15)"},
		{"series", CLI_STRING, &series, "NAME",
		 "print one series with a sparkline: live, heap, blocks or alloc"},
		{"json", CLI_FLAG, &json, NULL, "everything as one JSON object"},
		OPT_END,
	};
	const struct cli_command cmd = {
		"eventlog", "eventlog [options] FILE.eventlog",
		"What a GHC eventlog says about memory: GCs, live bytes, heap, allocation, census.",
		"Reads eventlogs from any GHC version (8.x to 9.x), complete or cut short (a killed\n"
		"program: the complete events are read and the file is reported partial).  Make one\n"
		"with `PROG +RTS -l -hT -i0.1 -RTS`.",
		options, 0};
	int first, nargs, parsed = cli_parse(&cmd, argc, argv, &first, &nargs);
	if (parsed != CLI_GO_ON)
		return parsed;
	if (nargs != 1) {
		fprintf(stderr, "leakbench eventlog: %s (usage: leakbench eventlog [options] FILE)\n",
			nargs ? "one file at a time" : "which eventlog? give its path");
		return LB_EXIT_USAGE;
	}
	const struct evlog_series *se = NULL;
	if (series) {
		const char *names[] = {"live", "heap", "blocks", "alloc"};
		const char *near = cli_nearest(series, names, 4);
		if (!near || strcmp(near, series) != 0) {
			fprintf(stderr, "leakbench eventlog: --series %s: expected live, heap, blocks or alloc%s%s%s\n",
				series, near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
			return LB_EXIT_USAGE;
		}
	}
	const char *path = argv[first];
	struct lb_error err = {0};
	struct evlog *ev;
	struct evlog_summary *s = NULL;
	if (evlog_open(&ev, path, &err) == 0 && !census && !json)
		evlog_skip_census_rows(ev); /* the summary and a series read no census row */
	if (!ev || evlog_summarise(ev, &s, &err)) {
		cli_error("eventlog", &err);
		if (ev)
			evlog_free(ev);
		return err.code == LB_ENOMEM || err.code == LB_EIO ? LB_EXIT_ERROR : LB_EXIT_USAGE;
	}
	evlog_free(ev);
	if (series)
		se = pick_series(s, series);
	struct growth *g = (census || json) ? census_growth(s) : NULL;
	if (json) {
		json_t *j = summary_json(path, s, g);
		char **keys = calloc(s->n_labels + 1, sizeof(*keys));
		size_t *key_len = calloc(s->n_labels + 1, sizeof(*key_len));
		int oom = !keys || !key_len;
		for (size_t i = 0; !oom && i < s->n_labels; i++) { /* each label as JSON text, once */
			char lab[256];
			display_label(s, (uint32_t)i, lab, sizeof(lab));
			json_t *t = json_string(lab);
			char *text = t ? json_dumps(t, JSON_ENCODE_ANY) : NULL;
			json_decref(t);
			size_t n = text ? strlen(text) : 3;
			if ((keys[i] = calloc((n + 2 + 7) / 8 + 1, 8))) { /* `"LABEL": `, whole words */
				memcpy(keys[i], text ? text : "\"?\"", n);
				memcpy(keys[i] + n, ": ", 2);
				key_len[i] = n + 2;
			}
			free(text);
			oom |= !keys[i];
		}
		struct out_buf ob = {.f = stdout};
		if (!oom)
			write_json(&ob, j, s, keys, key_len);
		else
			fprintf(stderr, "leakbench eventlog: out of memory\n");
		fwrite(ob.b, 1, ob.n, stdout);
		for (size_t i = 0; keys && i < s->n_labels; i++)
			free(keys[i]);
		free(keys);
		free(key_len);
		json_decref(j);
	} else if (se) {
		print_series(s, se, series);
	} else {
		print_summary(path, s);
		if (census && g) {
			printf("\n");
			print_census(s, g, top);
		}
	}
	free(g);
	evlog_summary_free(s);
	return LB_EXIT_OK;
}
