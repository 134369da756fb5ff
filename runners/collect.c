/*
 * collect.c - what a finished run left behind, read into its record.
 *
 * Eventlog times are stored as seconds since the target's RTS started (the eventlog's own
 * clock); the run's start in unix time is in the record, and the eventlog's WALL_CLOCK_TIME
 * ties the two together when a later step needs wall-clock windows.
 */
#include "base/mem.h"
#include "runners/collect.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "runners/eventlog.h"
#include "runners/rts.h"


/* RTS statistics -> metrics: every key as rts.<key>, the headline ones by their own name. */
static int add_rts_metrics(struct lb_run *run, const struct rts_stats *st, struct lb_error *err)
{
	for (size_t i = 0; i < st->n_kv; i++) {
		double v;
		char *end;
		v = strtod(st->kv[i].value, &end);
		if (end == st->kv[i].value || *end)
			continue; /* not a number: nothing to store as a metric */
		char name[160];
		snprintf(name, sizeof(name), "rts.%s", st->kv[i].key);
		if (record_add_metric(run, name, v, rts_key_unit(st->kv[i].key), err))
			return err->code;
	}
	static const struct {
		const char *name, *key, *unit;
	} headline[] = {
		{"allocated_bytes", "allocated_bytes", "bytes"},
		{"max_live_bytes", "max_live_bytes", "bytes"},
		{"max_mem_in_use_bytes", "max_mem_in_use_bytes", "bytes"},
		{"gc_cpu_seconds", "GC_cpu_seconds", "s"},
		{"gc_wall_seconds", "GC_wall_seconds", "s"},
		{"copied_bytes", "copied_bytes", "bytes"},
		{"major_gcs", "major_gcs", "count"},
		{"gcs", "num_GCs", "count"},
	};
	for (size_t i = 0; i < sizeof(headline) / sizeof(*headline); i++) {
		double v;
		if (rts_stats_number(st, headline[i].key, &v) == 0 &&
		    record_add_metric(run, headline[i].name, v, headline[i].unit, err))
			return err->code;
	}
	return 0;
}

/* Read the statistics the RTS left: the -t file, or (when the user's --rts chose -s or -S
 * without a file, which replaces our -t) the summary on stderr. */
/* From `-S` lines: live bytes after every major GC (the oldest generation's collections),
 * timed by the RTS's own elapsed clock, like the eventlog's HEAP_LIVE series. */
static int add_gc_series(struct lb_run *run, const struct rts_stats *st, struct lb_error *err)
{
	int oldest = 0;
	for (size_t i = 0; i < st->n_gcs; i++)
		if (st->gcs[i].gen > oldest)
			oldest = st->gcs[i].gen;
	struct lb_point *p = malloc((st->n_gcs + 1) * sizeof(*p));
	if (!p)
		return lb_error_oom(err);
	size_t n = 0;
	for (size_t i = 0; i < st->n_gcs; i++)
		if (st->gcs[i].gen == oldest)
			p[n++] = (struct lb_point){st->gcs[i].total_wall, (double)st->gcs[i].live};
	if (!n) {
		free(p);
		return 0;
	}
	return record_add_series(run, "live_bytes", "bytes", p, n, err);
}

static int add_hp_census(struct lb_run *run, const char *hp_path, const struct rts_stats *st, struct lb_error *err);

int collect_rts(struct lb_run *run, const char *stats_path, const char *stderr_path, const char *hp_path,
		struct lb_error *err)
{
	struct rts_stats st;
	struct lb_error perr;
	int rc = rts_stats_parse_file(&st, stats_path, &perr);
	if (rc) {
		char *text = file_read(stderr_path, 4 << 20, NULL, NULL);
		rc = text && (strstr(text, "bytes allocated in the heap") || strstr(text, "<<ghc:"))
			     ? rts_stats_parse(&st, text, stderr_path, &perr)
			     : rc;
		free(text);
	}
	if (rc) {
		if (run->status == LB_RUN_OK) {
			/* it exited normally, so the RTS wrote its figures: not finding them is
			 * worth saying, though the OS figures still stand */
			run->partial = 1;
			free(run->reason);
			run->reason = lb_strdup(perr.msg, err);
		}
		return 0;
	}
	rc = add_rts_metrics(run, &st, err);
	if (!rc && st.n_gcs)
		rc = add_gc_series(run, &st, err);
	if (!rc && st.n_gcs && hp_path) /* no -S lines: nothing to time its samples by */
		rc = add_hp_census(run, hp_path, &st, err);
	rts_stats_free(&st);
	return rc;
}


/* A series of the summary as lb_points, seconds since the eventlog's first event. */
static int add_series(struct lb_run *run, const char *name, const struct evlog_summary *s,
		      const struct evlog_series *se, struct lb_error *err)
{
	if (!se->n)
		return 0;
	struct lb_point *p = malloc(se->n * sizeof(*p));
	if (!p)
		return lb_error_oom(err);
	for (size_t i = 0; i < se->n; i++)
		p[i] = (struct lb_point){(double)(se->p[i].t - s->t_first) / 1e9, (double)se->p[i].v};
	return record_add_series(run, name, "bytes", p, se->n, err);
}

static int add_marks(struct lb_run *run, const struct evlog_summary *s, const struct evlog_mark *m,
		     size_t n, int is_message, struct lb_error *err)
{
	if (!n)
		return 0;
	struct lb_mark *all = realloc(run->marks, (run->n_marks + n) * sizeof(*all));
	if (!all)
		return lb_error_oom(err);
	run->marks = all;
	for (size_t i = 0; i < n; i++) {
		char *text = strdup(m[i].text);
		if (!text)
			return lb_error_oom(err);
		all[run->n_marks++] = (struct lb_mark){(double)(m[i].t - s->t_first) / 1e9, is_message, text};
	}
	return 0;
}

static int add_census(struct lb_run *run, const struct evlog_summary *s, struct lb_error *err)
{
	if (!s->n_rows)
		return 0;
	run->census_labels = calloc(s->n_labels, sizeof(char *));
	run->census = malloc(s->n_rows * sizeof(*run->census));
	if (!run->census_labels || !run->census)
		return lb_error_oom(err);
	for (size_t i = 0; i < s->n_labels; i++) {
		if (!(run->census_labels[i] = strdup(s->labels[i])))
			return lb_error_oom(err);
		run->n_census_labels++;
	}
	for (size_t j = 0; j < s->n_samples; j++) {
		const struct evlog_sample *sm = &s->samples[j];
		for (size_t r = sm->first; r < sm->first + sm->n; r++)
			run->census[run->n_census++] = (struct lb_census_row){
				(int)j, -1, (double)(sm->t - s->t_first) / 1e9, s->rows[r].label,
				(int64_t)s->rows[r].bytes};
	}
	return 0;
}

static void note(struct lb_run *run, const char *what, struct lb_error *err)
{
	run->partial = 1;
	if (run->reason)
		return; /* the first reason (a crash, a timeout) is the one that matters */
	run->reason = lb_strdup(what, err);
}

int collect_eventlog(struct lb_run *run, const char *path, struct lb_error *err)
{
	struct evlog *ev;
	struct evlog_summary *s = NULL;
	struct lb_error rerr = {0};
	if (evlog_open(&ev, path, &rerr) || evlog_summarise(ev, &s, &rerr)) {
		if (rerr.code == LB_ENOMEM)
			return lb_error_oom(err);
		char msg[sizeof(rerr.msg) + 32];
		snprintf(msg, sizeof(msg), "eventlog unreadable: %s", rerr.msg);
		note(run, msg, err);
		evlog_free(ev);
		return 0;
	}
	evlog_free(ev);
	int rc = 0;
	if (s->end != EVLOG_COMPLETE)
		note(run, "the eventlog has no end marker (the program did not shut down normally)", err);
	const struct {
		const char *name, *unit;
		double v;
		int have;
	} m[] = {
		{"eventlog.peak_live_bytes", "bytes", (double)s->peak_live, s->live.n > 0},
		{"eventlog.peak_heap_bytes", "bytes", (double)s->peak_heap, s->heap.n > 0},
		{"eventlog.peak_blocks_bytes", "bytes", (double)s->peak_blocks, s->blocks.n > 0},
		{"eventlog.allocated_bytes", "bytes", (double)s->allocated_bytes, s->alloc.n > 0},
		{"eventlog.gcs", "count", (double)s->gcs, 1},
		{"eventlog.major_gcs", "count", (double)s->major_gcs, 1},
		{"eventlog.census_samples", "count", (double)s->n_samples, 1},
		{"eventlog.events", "count", (double)s->n_events, 1},
		{"eventlog.seconds", "s", (double)(s->t_last - s->t_first) / 1e9, 1},
		/* from the spawn to the eventlog's first event, by the eventlog's own wall clock:
		 * what ties the series' times to the harness's step windows (a loaded machine can
		 * take a good part of a second to get a program's RTS going) */
		{"eventlog.start_delay_seconds", "s", evlog_unix_time(s, s->t_first) - run->started_at,
		 s->have_wall_clock && run->started_at > 0 && fabs(evlog_unix_time(s, s->t_first) - run->started_at) < 60},
	};
	for (size_t i = 0; !rc && i < sizeof(m) / sizeof(*m); i++)
		if (m[i].have)
			rc = record_add_metric(run, m[i].name, m[i].v, m[i].unit, err);
	if (!rc)
		rc = add_series(run, "live_bytes", s, &s->live, err) ||
		     add_series(run, "heap_bytes", s, &s->heap, err) ||
		     add_series(run, "blocks_bytes", s, &s->blocks, err) ||
		     add_series(run, "allocated_bytes", s, &s->alloc, err) ||
		     add_marks(run, s, s->markers, s->n_markers, 0, err) ||
		     add_marks(run, s, s->messages, s->n_messages, 1, err) || add_census(run, s, err)
			     ? err->code
			     : 0;
	evlog_summary_free(s);
	return rc;
}

/* --- the census in a .hp file, for programs without an eventlog ------------------------- */

/* The .hp file times its samples by the mutator's CPU time (the census runs inside a major
 * GC, at the mutator time it had reached), not by the clock: GHCi idle for 30 s of a 35 s
 * session had 2.3 s of it.  Each -S line gives the process's CPU time, the GC's own share
 * (summed: the rest is the mutator's) and the elapsed time, so a sample is placed at the
 * elapsed time of the major GC whose mutator time is nearest its own. */
static double sample_elapsed(const struct rts_stats *st, double mut)
{
	double gc_sum = 0, best = INFINITY, at = NAN;
	int oldest = 0;
	for (size_t i = 0; i < st->n_gcs; i++)
		oldest = st->gcs[i].gen > oldest ? st->gcs[i].gen : oldest;
	for (size_t i = 0; i < st->n_gcs; i++) {
		gc_sum += st->gcs[i].gc_cpu;
		double m = st->gcs[i].total_cpu - gc_sum;
		if (st->gcs[i].gen == oldest && fabs(m - mut) < best) {
			best = fabs(m - mut);
			at = st->gcs[i].total_wall;
		}
	}
	return at;
}

/* The census of a .hp file into the run's census rows, each sample timed by `st`'s -S lines. */
static int add_hp_census(struct lb_run *run, const char *hp_path, const struct rts_stats *st, struct lb_error *err)
{
	FILE *f = fopen(hp_path, "r");
	if (!f)
		return 0;
	char *line = NULL;
	size_t cap = 0, cap_rows = run->n_census;
	ssize_t len;
	int sample = -1, rc = 0;
	double t = NAN;
	while (!rc && (len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		double s;
		if (sscanf(line, "BEGIN_SAMPLE %lf", &s) == 1) {
			t = sample_elapsed(st, s);
			sample++;
			continue;
		}
		char *tab = strrchr(line, '\t');
		if (sample < 0 || isnan(t) || !tab || !strncmp(line, "END_SAMPLE", 10))
			continue;
		*tab = '\0';
		char *end;
		long long bytes = strtoll(tab + 1, &end, 10);
		if (*end)
			continue; /* not a "label<TAB>bytes" row */
		long label = record_census_label(run, line, err);
		if (label < 0 || LB_GROW(run->census, run->n_census + 1, cap_rows, err)) {
			rc = err->code;
			break;
		}
		run->census[run->n_census++] = (struct lb_census_row){sample, -1, t, (uint32_t)label, (int64_t)bytes};
	}
	free(line);
	fclose(f);
	return rc;
}
