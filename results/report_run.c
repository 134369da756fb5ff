/*
 * report_run.c - a run's page of the dashboard: live bytes and heap over time with the
 * scenario's marks, the RSS leakbench sampled, the census's largest closure types as
 * stacked areas, the steps, expectations, metrics and artifacts.  A run has a page when a
 * page of the site links it (report_run_link records each link; report_linked_run_pages
 * writes those, once each): a long history's site is not thousands of pages nothing leads
 * to.  What is stored of a run never changes, so the page the previous site has of it is
 * taken over (a hard link, no new file written) when this build wrote it with the same
 * commit links.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/digest.h"
#include "base/file.h"
#include "base/mem.h"
#include "base/text.h"
#include "results/detect.h"
#include "results/record.h"
#include "results/report_int.h"

/* --- one run ----------------------------------------------------------------------------- */

static void series_chart(FILE *f, const struct lb_run *run, const char *name, const double *cuts, size_t n_cuts,
			 const char *const *labels)
{
	const struct lb_series *se = record_series(run, name);
	if (!se || !se->n)
		return;
	struct pt *p = calloc(se->n, sizeof(*p));
	if (!p)
		return;
	for (size_t i = 0; i < se->n; i++)
		p[i].x = se->p[i].t, p[i].y = se->p[i].v;
	fprintf(f, "<h2>%s over time (s)</h2>\n", name);
	struct chart c = {.w = 960, .h = 260, .metric = name, .band_lo = NAN, .band_hi = NAN, .cuts = cuts,
			  .n_cuts = n_cuts, .cut_labels = labels};
	report_chart(f, &c, p, se->n);
	free(p);
}

/* The resident set size leakbench sampled from /proc while the run went (its rss-samples
 * artifact, when the file is still there). */
static void rss_chart(FILE *f, const struct lb_run *run)
{
	const char *path = NULL;
	for (size_t i = 0; i < run->n_artifacts; i++)
		if (!strcmp(run->artifacts[i].kind, "rss-samples"))
			path = run->artifacts[i].path;
	char *text = path ? file_read(path, 0, NULL, NULL) : NULL;
	size_t n = 0, cap = 0;
	struct pt *p = NULL;
	for (char *line = text ? strchr(text, '\n') : NULL; line && line[1]; line = strchr(line + 1, '\n')) {
		double t, v;
		if (sscanf(line + 1, "%lf %lf", &t, &v) != 2)
			continue;
		if (LB_GROW(p, n + 1, cap, NULL))
			break;
		memset(&p[n], 0, sizeof(p[n]));
		p[n].x = t, p[n++].y = v;
	}
	if (n) {
		fputs("<h2>resident set size over time (s), sampled from /proc</h2>\n", f);
		struct chart c = {.w = 960, .h = 200, .metric = "rss_bytes", .band_lo = NAN, .band_hi = NAN};
		report_chart(f, &c, p, n);
	}
	free(p);
	free(text);
}

/* The census's five largest labels as stacked areas over the samples. */
static void census_chart(FILE *f, const struct lb_run *run)
{
	if (!run->n_census || !run->n_census_labels)
		return;
	size_t nl = run->n_census_labels, top[5], nt = 0;
	int64_t *peak = calloc(nl, sizeof(*peak));
	int max_sample = 0;
	if (!peak)
		return;
	for (size_t i = 0; i < run->n_census; i++) {
		const struct lb_census_row *r = &run->census[i];
		if (r->label < nl && r->bytes > peak[r->label])
			peak[r->label] = r->bytes;
		if (r->sample > max_sample)
			max_sample = r->sample;
	}
	for (; nt < 5; nt++) {
		size_t best = nl;
		for (size_t l = 0; l < nl; l++) {
			int taken = 0;
			for (size_t k = 0; k < nt; k++)
				taken |= top[k] == l;
			if (!taken && peak[l] > 0 && (best == nl || peak[l] > peak[best]))
				best = l;
		}
		if (best == nl)
			break;
		top[nt] = best;
	}
	size_t ns = (size_t)max_sample + 1;
	double *t = calloc(ns, sizeof(*t)), *stack = calloc(ns * (nt + 1), sizeof(*stack));
	if (!t || !stack || !nt) {
		free(peak), free(t), free(stack);
		return;
	}
	for (size_t i = 0; i < run->n_census; i++) {
		const struct lb_census_row *r = &run->census[i];
		t[r->sample] = r->t;
		for (size_t k = 0; k < nt; k++)
			if (r->label == top[k])
				stack[(size_t)r->sample * (nt + 1) + k + 1] = (double)r->bytes;
	}
	double ymax = 1;
	for (size_t s = 0; s < ns; s++) {
		for (size_t k = 1; k <= nt; k++)
			stack[s * (nt + 1) + k] += stack[s * (nt + 1) + k - 1];
		ymax = fmax(ymax, stack[s * (nt + 1) + nt]);
	}
	double t0 = t[0], t1 = fmax(t[ns - 1], t0 + 1e-9);
	const int w = 960, h = 260, left = 70;
	static const char *const colours[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f"};
	fputs("<h2>heap census: the five largest closure types, stacked</h2>\n", f);
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" class=\"census\">\n", w, h + 20);
	for (size_t k = nt; k >= 1; k--) {
		fprintf(f, "<polygon class=\"area\" fill=\"%s\" fill-opacity=\"0.8\" points=\"", colours[k - 1]);
		for (size_t s = 0; s < ns; s++)
			fprintf(f, "%ld,%ld ", lround(left + (t[s] - t0) / (t1 - t0) * (w - left - 8)),
				lround(h - stack[s * (nt + 1) + k] / ymax * (h - 10)));
		for (size_t s = ns; s-- > 0;)
			fprintf(f, "%ld,%ld ", lround(left + (t[s] - t0) / (t1 - t0) * (w - left - 8)),
				lround(h - stack[s * (nt + 1) + k - 1] / ymax * (h - 10)));
		fputs("\"><title>", f);
		report_esc(f, run->census_labels[top[k - 1]]);
		fputs("</title></polygon>\n", f);
	}
	char a[32];
	fprintf(f, "<text x=\"2\" y=\"18\" font-size=\"10\">%s</text>\n</svg>\n<p>", text_metric("bytes", ymax, a, sizeof(a)));
	for (size_t k = 0; k < nt; k++) {
		fprintf(f, "<span style=\"color:%s\">■</span> ", colours[k]);
		report_esc(f, run->census_labels[top[k]]);
		fputs(" &nbsp; ", f);
	}
	fputs("</p>\n", f);
	free(peak), free(t), free(stack);
}

/* The previous site's page of run `id` linked into the new site, when its first line is
 * this report's stamp; 1 when it was. */
static int take_over_run_page(struct site *s, const char *id)
{
	char *old = NULL, *new = NULL, line[sizeof(s->stamp) + 2];
	int done = 0;
	if (s->prev && asprintf(&old, "%s/r-%s.html", s->prev, id) >= 0 &&
	    asprintf(&new, "%s/r-%s.html", s->dir, id) >= 0) {
		FILE *f = fopen(old, "r");
		done = f && fgets(line, sizeof(line), f) && !strcmp(line, s->stamp);
		if (f)
			fclose(f);
		done = done && link(old, new) == 0;
	}
	free(old);
	free(new);
	if (done) {
		s->sum->pages++;
		s->sum->runs++;
		s->sum->reused++;
	}
	return done;
}

int report_run_page(struct site *s, const char *id, struct lb_error *err)
{
	if (take_over_run_page(s, id))
		return 0;
	struct lb_run run;
	int rc = store_get_run(s->st, id, &run, err);
	if (rc)
		return rc;
	char name[64];
	snprintf(name, sizeof(name), "r-%s.html", run.id);
	FILE *f = report_open_page(s, name, err);
	if (!f) {
		record_free(&run);
		return err->code;
	}
	/* the page (tens of KB) in one write rather than 4 KiB ones: 15,000 run pages of a first
	 * report were 75,000 write calls (glibc takes a size only with a buffer given) */
	char buf[1 << 16];
	setvbuf(f, buf, _IOFBF, sizeof(buf));
	fputs(s->stamp, f);
	char title[200];
	snprintf(title, sizeof(title), "run %s", run.id);
	report_page_begin(s, f, title);
	fputs("<table>\n<tr><td>program</td><td><code>", f);
	report_esc(f, run.program);
	fputs("</code></td></tr>\n<tr><td>scenario</td><td>", f);
	report_esc(f, run.scenario ? run.scenario : "-");
	fputs("</td></tr>\n<tr><td>target</td><td>", f);
	report_esc(f, run.target ? run.target : "-");
	if (run.revision) {
		char *href = report_commit_href(s->links, s->n_links, run.target ? run.target : "", run.revision);
		fputs(" at <code>", f);
		if (href) {
			fputs("<a href=\"", f);
			report_esc(f, href);
			fputs("\">", f);
		}
		report_esc(f, run.revision);
		fputs(href ? "</a>" : "", f);
		fputs("</code>", f);
		free(href);
	}
	fprintf(f, "</td></tr>\n<tr><td>status</td><td class=\"%s\">%s", run.status == LB_RUN_OK ? "ok" : "bad",
		record_status_name(run.status));
	if (run.reason) {
		fputs(": ", f);
		report_esc(f, run.reason);
	}
	fprintf(f, "</td></tr>\n<tr><td>wall</td><td>%.3f s, repeat %d</td></tr>\n</table>\n", run.wall_seconds,
		run.repeat_index);
	/* the steps on the series' clock: the eventlog's first event, by its wall clock */
	const struct lb_metric *delay = record_metric(&run, "eventlog.start_delay_seconds");
	double t0 = run.started_at + (delay ? delay->value : 0);
	double *cuts = calloc(run.n_steps + 1, sizeof(*cuts));
	const char **labels = calloc(run.n_steps + 1, sizeof(*labels));
	size_t nc = 0;
	for (size_t i = 0; cuts && labels && i < run.n_steps; i++)
		if (!strcmp(run.steps[i].kind, "mark")) {
			cuts[nc] = run.steps[i].start - t0;
			labels[nc++] = run.steps[i].detail;
		}
	series_chart(f, &run, "live_bytes", cuts, nc, labels);
	series_chart(f, &run, "heap_bytes", cuts, nc, labels);
	rss_chart(f, &run);
	census_chart(f, &run);
	free(cuts);
	free(labels);
	if (run.n_steps) {
		fputs("<h2>steps</h2>\n<table><tr><th>#</th><th>line</th><th>kind</th><th>detail</th>"
		      "<th class=\"num\">latency</th><th class=\"num\">live bytes</th><th>note</th></tr>\n",
		      f);
		for (size_t i = 0; i < run.n_steps; i++) {
			const struct lb_step *st = &run.steps[i];
			char a[32] = "", b[32];
			double lat = record_step_metric(&run, (int)i, "latency_seconds");
			if (!isnan(lat))
				snprintf(a, sizeof(a), "%.3f s", lat);
			text_metric("bytes", record_step_metric(&run, (int)i, "live_bytes"), b, sizeof(b));
			fprintf(f, "<tr%s><td>%zu</td><td>%d</td><td>", st->failed ? " class=\"bad\"" : "", i + 1, st->line);
			report_esc(f, st->kind);
			fputs("</td><td>", f);
			report_esc(f, st->detail);
			fprintf(f, "</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td>", a, b);
			report_esc(f, st->note ? st->note : "");
			fputs("</td></tr>\n", f);
		}
		fputs("</table>\n", f);
	}
	if (run.n_verdicts) {
		fputs("<h2>expectations</h2>\n<table>\n", f);
		for (size_t i = 0; i < run.n_verdicts; i++) {
			fprintf(f, "<tr><td class=\"%s\">%s</td><td>line %d: <code>",
				run.verdicts[i].holds == LB_VERDICT_HOLDS ? "ok" : "bad",
				record_verdict_name(run.verdicts[i].holds), run.verdicts[i].line);
			report_esc(f, run.verdicts[i].source);
			fputs("</code><br>", f);
			report_esc(f, run.verdicts[i].message);
			fputs("</td></tr>\n", f);
		}
		fputs("</table>\n", f);
	}
	fputs("<h2>metrics</h2>\n<table>\n", f);
	for (size_t i = 0; i < run.n_metrics; i++) {
		char v[32];
		fputs("<tr><td>", f);
		report_esc(f, run.metrics[i].name);
		double x = run.metrics[i].value;
		/* most figures are whole (bytes, counts): written as integers, exactly (%.10g wrote
		 * eleven digits or more as an exponent, 1.23456789e+10) */
		if (x == trunc(x) && fabs(x) < 1e15)
			fprintf(f, "</td><td class=\"num\">%lld</td><td>", (long long)x);
		else
			fprintf(f, "</td><td class=\"num\">%.10g</td><td>", x);
		fprintf(f, "%s</td></tr>\n", strstr(run.metrics[i].name, "bytes") ? text_metric("bytes", x, v, sizeof(v)) : "");
	}
	fputs("</table>\n<h2>artifacts</h2>\n<ul>\n", f);
	for (size_t i = 0; i < run.n_artifacts; i++) {
		fputs("<li><a href=\"file://", f);
		report_esc(f, run.artifacts[i].path);
		fputs("\">", f);
		report_esc(f, run.artifacts[i].kind);
		fputs("</a></li>\n", f);
	}
	fputs("</ul>\n", f);
	record_free(&run);
	s->sum->runs++;
	return report_close_page(f, err);
}

/* --- the run pages the site links -------------------------------------------------------- */

void report_run_link(struct site *s, FILE *f, const char *id, size_t number)
{
	if (number)
		fprintf(f, "<a href=\"r-%s.html\">%zu</a>", id, number);
	else
		fprintf(f, "<a href=\"r-%s.html\">%.12s</a>", id, id);
	if (strlen(id) > LB_RUN_ID_LEN) {
		s->linked.bad = LB_EINVAL;
		return;
	}
	if (LB_GROW(s->linked.id, s->linked.n + 1, s->linked.cap, NULL)) {
		s->linked.bad = LB_ENOMEM;
		return;
	}
	strcpy(s->linked.id[s->linked.n++], id);
}

static int id_order(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The run pages, shared among the machine's cores when there are many (a first report of a
 * long history links 600 a scenario): up to RUN_WORKERS processes, each taking every W-th run.  A
 * child opens the database anew (SQLite connections must not cross a fork; the parent's is
 * left untouched), writes its pages, sends back its counts and any error through a pipe
 * and leaves with _exit (nothing of the parent's flushed twice).  Below RUN_PAGES_ALONE
 * runs one process writes them all. */
enum { RUN_WORKERS = 4, RUN_PAGES_ALONE = 400 };

struct run_share {
	size_t pages, runs, reused;
	int code;
	char msg[sizeof(((struct lb_error *)0)->msg)];
};

static int run_share(struct site *s, size_t n, size_t k, size_t w, struct lb_error *err)
{
	int rc = 0;
	for (size_t i = k; i < n && !rc; i += w)
		rc = report_run_page(s, s->linked.id[i], err);
	return rc;
}

int report_linked_run_pages(struct site *s, struct lb_error *err)
{
	if (s->linked.bad == LB_ENOMEM)
		return lb_error_oom(err);
	if (s->linked.bad)
		return lb_error_set(err, LB_EINVAL, "the database holds a run id longer than %d characters, which "
						      "leakbench never writes (a damaged or foreign database?)",
				    LB_RUN_ID_LEN);
	size_t n = 0;
	if (s->linked.n) /* qsort wants an array, even of nothing */
		qsort(s->linked.id, s->linked.n, sizeof(*s->linked.id), id_order);
	for (size_t i = 0; i < s->linked.n; i++)
		if (!n || strcmp(s->linked.id[i], s->linked.id[n - 1]))
			memmove(s->linked.id[n++], s->linked.id[i], sizeof(*s->linked.id));
	s->linked.n = 0;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t w = n < RUN_PAGES_ALONE || cores < 2 ? 1 : cores < RUN_WORKERS ? (size_t)cores : RUN_WORKERS;
	pid_t kids[RUN_WORKERS] = {0};
	int fds[RUN_WORKERS] = {0};
	size_t started = 1;
	fflush(NULL); /* nothing buffered is written by a child as well */
	for (; started < w; started++) {
		int pipefd[2];
		if (pipe(pipefd) < 0)
			break;
		pid_t pid = fork();
		if (pid < 0) {
			close(pipefd[0]), close(pipefd[1]);
			break;
		}
		if (pid == 0) {
			close(pipefd[0]);
			struct run_share out = {0};
			struct report_summary sum = {0};
			struct site mine = *s;
			struct lb_error cerr = {0};
			mine.sum = &sum;
			int crc = store_open(&mine.st, store_path(s->st), &cerr);
			if (!crc)
				crc = run_share(&mine, n, started, w, &cerr);
			out.pages = sum.pages, out.runs = sum.runs, out.reused = sum.reused, out.code = crc;
			snprintf(out.msg, sizeof(out.msg), "%s", cerr.msg);
			ssize_t wr = write(pipefd[1], &out, sizeof(out));
			_exit(wr == (ssize_t)sizeof(out) && !crc ? 0 : 1);
		}
		close(pipefd[1]);
		kids[started] = pid, fds[started] = pipefd[0];
	}
	/* the runs of workers that could not be started are this process's too */
	int rc = 0;
	for (size_t k = 0; k < w && !rc; k++)
		if (k == 0 || k >= started)
			rc = run_share(s, n, k, w, err);
	for (size_t k = 1; k < started; k++) {
		struct run_share got = {0};
		ssize_t r;
		while ((r = read(fds[k], &got, sizeof(got))) < 0 && errno == EINTR)
			;
		close(fds[k]);
		int status = 0;
		while (waitpid(kids[k], &status, 0) < 0 && errno == EINTR)
			;
		s->sum->pages += got.pages, s->sum->runs += got.runs, s->sum->reused += got.reused;
		if (rc)
			continue;
		if (r == (ssize_t)sizeof(got) && got.code)
			rc = lb_error_set(err, got.code, "%s", got.msg);
		else if (r != (ssize_t)sizeof(got) || !WIFEXITED(status) || WEXITSTATUS(status))
			rc = lb_error_set(err, LB_EIO, "a process writing run pages died (status %d)", status);
	}
	return rc;
}

/* What a run page depends on besides its run: the build that writes it (a rebuilt leakbench
 * may draw it differently), the commit links and whether it has the dashboard's navigation. */
int report_run_page_stamp(struct site *s, struct lb_error *err)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	if (!m)
		return lb_error_oom(err);
	for (size_t i = 0; i < s->n_links; i++)
		fprintf(m, "%s\t%s\n", s->links[i].target, s->links[i].url ? s->links[i].url : "");
	fclose(m);
	char hex[LB_DIGEST_HEX + 1];
	int rc = digest_buffer(text ? text : "", len, hex, err);
	free(text);
	if (!rc)
		snprintf(s->stamp, sizeof(s->stamp), "<!-- leakbench run page, built %s %s, links %.16s%s -->\n", __DATE__,
			 __TIME__, hex, s->pages_only ? ", no navigation" : "");
	return rc;
}
