/*
 * report.c - the static dashboard (see report.h).
 *
 * Charts are SVG written here, one <circle> per revision with a <title> for the hover and an
 * <a> for the click, so a page works without any script and a test can count what is drawn.
 * Pages are written with stdio into a temporary folder; the folder is moved into place last.
 * A run's page shows only what was stored with the run, which never changes: the previous
 * site's page of a run is taken over (a hard link, no new file written) when it was written
 * by this build with the same commit links, so a nightly report writes the new runs' pages
 * only; of a 5,000-revision history's 15,000 run pages that was most of the time.
 */
#include "base/mem.h"
#include "results/report.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/digest.h"
#include "base/file.h"
#include "base/text.h"
#include "results/detect.h"
#include "results/judge.h"
#include "results/record.h"

/* --- writing HTML ---------------------------------------------------------------------- */

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++)
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
}

static void page_begin(FILE *f, const char *title)
{
	fputs("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>", f);
	esc(f, title);
	fputs("</title>\n<style>\n"
	      "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}\n"
	      "table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left;vertical-align:top}\n"
	      "tr:nth-child(even){background:#f5f5f5}.num{text-align:right;font-variant-numeric:tabular-nums}\n"
	      "code{font-size:90%}svg{background:#fcfcfc;border:1px solid #ddd}\n"
	      ".bad{color:#b00}.ok{color:#070}.muted{color:#777}\n"
	      "</style></head><body>\n<p class=\"muted\"><a href=\"index.html\">leakbench</a> · "
	      "<a href=\"regressions.html\">regressions</a></p>\n<h1>",
	      f);
	esc(f, title);
	fputs("</h1>\n", f);
}

static void page_end(FILE *f)
{
	time_t now = time(NULL);
	char when[40];
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime(&now));
	fprintf(f, "<p class=\"muted\">written by leakbench at %s</p>\n</body></html>\n", when);
}

/* A file name part: letters, digits, '.', '-' kept, the rest '_'. */
static void safe(char *out, size_t size, const char *s)
{
	size_t i = 0;
	for (; s && *s && i + 1 < size; s++)
		out[i++] = isalnum((unsigned char)*s) || *s == '.' || *s == '-' ? *s : '_';
	out[i] = '\0';
}

/* The commit link of a target, malloc'ed, or NULL. */
static char *commit_href(const struct report_link *links, size_t n, const char *target, const char *sha)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(links[i].target, target) && links[i].url)
			return text_replace(links[i].url, "{sha}", sha);
	return NULL;
}

/* --- charts ---------------------------------------------------------------------------- */

struct pt {
	double x, y;
	double lo, hi; /* the 95% interval of y (an exponent, a slope over time); NaN: none */
	char title[400];
	char href[300];
	int mark; /* 0 plain, 1 flagged, 2 accepted */
};

struct chart {
	int w, h, small;
	const char *metric;
	double band_lo, band_hi; /* NaN: none */
	const double *cuts;      /* x of vertical lines (changes of level, steps) */
	size_t n_cuts;
	const char *const *cut_labels; /* may be NULL */
	const char *x_first, *x_last;  /* what the left and right ends are (dates, seconds); may be NULL */
};

static void chart(FILE *f, const struct chart *c, const struct pt *p, size_t n)
{
	double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		x0 = fmin(x0, p[i].x), x1 = fmax(x1, p[i].x);
		y0 = fmin(y0, p[i].y), y1 = fmax(y1, p[i].y);
		if (!c->small && isfinite(p[i].lo) && isfinite(p[i].hi))
			y0 = fmin(y0, p[i].lo), y1 = fmax(y1, p[i].hi);
	}
	if (!isnan(c->band_lo))
		y0 = fmin(y0, c->band_lo), y1 = fmax(y1, c->band_hi);
	if (!n)
		x0 = 0, x1 = 1, y0 = 0, y1 = 1;
	if (x1 <= x0)
		x1 = x0 + 1;
	if (y1 <= y0)
		y1 = y0 + fmax(1, fabs(y0) * 0.01), y0 -= fmax(1, fabs(y0) * 0.01);
	int left = c->small ? 2 : 70, right = 8, top = 8, bottom = c->small ? 2 : 20;
	double sx = (c->w - left - right) / (x1 - x0), sy = (c->h - top - bottom) / (y1 - y0);
/* whole pixels: a tenth of one is invisible, and printing floats was a fifth of a long
 * history's report */
#define X(v) ((int)lround(left + ((v) - x0) * sx))
#define Y(v) ((int)lround(c->h - bottom - ((v) - y0) * sy))
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" class=\"chart\">\n", c->w, c->h);
	if (!isnan(c->band_lo))
		fprintf(f, "<rect class=\"band\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#e3eefc\"/>\n", left,
			Y(c->band_hi), c->w - left - right, Y(c->band_lo) - Y(c->band_hi));
	for (size_t i = 0; i < c->n_cuts; i++) {
		fprintf(f, "<line class=\"cut\" x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#c80\" "
			   "stroke-dasharray=\"3,3\"/>\n",
			X(c->cuts[i]), X(c->cuts[i]), top, c->h - bottom);
		if (c->cut_labels && !c->small) {
			fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"9\" fill=\"#a60\">", X(c->cuts[i]) + 2, top + 8);
			esc(f, c->cut_labels[i]);
			fputs("</text>\n", f);
		}
	}
	if (n > 1) {
		fputs("<polyline fill=\"none\" stroke=\"#58a\" stroke-width=\"1\" points=\"", f);
		for (size_t i = 0; i < n; i++)
			fprintf(f, "%d,%d ", X(p[i].x), Y(p[i].y));
		fputs("\"/>\n", f);
	}
	for (size_t i = 0; i < n && !c->small; i++)
		if (isfinite(p[i].lo) && isfinite(p[i].hi))
			fprintf(f, "<line class=\"interval\" x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#8ab\"/>\n",
				X(p[i].x), X(p[i].x), Y(p[i].lo), Y(p[i].hi));
	for (size_t i = 0; i < n; i++) {
		if (c->small && !p[i].mark)
			continue;
		const char *colour = p[i].mark == 1 ? "#c00" : p[i].mark == 2 ? "#090" : "#258";
		if (p[i].href[0]) {
			fputs("<a href=\"", f);
			esc(f, p[i].href);
			fputs("\">", f);
		}
		fprintf(f, "<circle class=\"%s\" cx=\"%d\" cy=\"%d\" r=\"%d\" fill=\"%s\">",
			p[i].mark == 1 ? "point flagged" : p[i].mark == 2 ? "point accepted" : "point", X(p[i].x),
			Y(p[i].y), c->small ? 2 : p[i].mark ? 5 : 3, colour);
		if (p[i].title[0]) {
			fputs("<title>", f);
			esc(f, p[i].title);
			fputs("</title>", f);
		}
		fputs("</circle>", f);
		fputs(p[i].href[0] ? "</a>\n" : "\n", f);
	}
	if (!c->small) {
		char a[32], b[32];
		fprintf(f, "<text x=\"2\" y=\"%d\" font-size=\"10\">%s</text>\n", top + 8, text_metric(c->metric, y1, a, sizeof(a)));
		fprintf(f, "<text x=\"2\" y=\"%d\" font-size=\"10\">%s</text>\n", c->h - bottom,
			text_metric(c->metric, y0, b, sizeof(b)));
		if (c->x_first) {
			fprintf(f, "<text class=\"xlabel\" x=\"%d\" y=\"%d\" font-size=\"10\">", left, c->h - 4);
			esc(f, c->x_first);
			fputs("</text>\n", f);
		}
		if (c->x_last) {
			fprintf(f, "<text class=\"xlabel\" x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">",
				c->w - right, c->h - 4);
			esc(f, c->x_last);
			fputs("</text>\n", f);
		}
	}
	fputs("</svg>\n", f);
#undef X
#undef Y
}

/* --- one target, one scenario, one metric ---------------------------------------------- */

/* The per-revision medians of a metric over the revisions (NaN where none). */
static int medians(struct store *st, const char *target, const char *scenario, const char *metric,
		   const struct store_revision_row *revs, size_t n, double *out, struct lb_error *err)
{
	struct store_value *rows;
	size_t m;
	int rc = store_metric_history(st, target, scenario, metric, &rows, &m, err);
	if (rc)
		return rc;
	double *v = malloc((m + 1) * sizeof(*v));
	if (!v) {
		free(rows);
		return lb_error_oom(err);
	}
	for (size_t i = 0; i < n; i++)
		out[i] = NAN;
	/* both lists are in revision order: one walk pairs each revision's rows with it */
	for (size_t j = 0, r = 0; j < m && r < n;) {
		size_t k = 0, g = j;
		for (; g < m && !strcmp(rows[g].key, rows[j].key); g++)
			v[k++] = rows[g].value;
		while (r < n && strcmp(revs[r].sha, rows[j].key))
			r++;
		if (r < n)
			out[r] = detect_median(v, k);
		j = g;
	}
	free(rows);
	free(v);
	return 0;
}

/* The per-revision medians of a metric's interval (METRIC_lo, METRIC_hi, as an exponent or
 * a slope over time stores them); *found says whether any revision has one. */
static int interval_medians(struct store *st, const char *target, const char *scenario, const char *metric,
			    const struct store_revision_row *revs, size_t n, double *lo, double *hi, int *found,
			    struct lb_error *err)
{
	char a[200], b[200];
	*found = 0;
	if (strncmp(metric, "exponent:", 9) && strncmp(metric, "slope:", 6))
		return 0;
	snprintf(a, sizeof(a), "%s_lo", metric);
	snprintf(b, sizeof(b), "%s_hi", metric);
	int rc = medians(st, target, scenario, a, revs, n, lo, err);
	if (!rc)
		rc = medians(st, target, scenario, b, revs, n, hi, err);
	for (size_t i = 0; !rc && i < n; i++)
		*found |= isfinite(lo[i]) && isfinite(hi[i]);
	return rc;
}

struct site {
	struct store *st;
	const char *dir;
	const char *prev;     /* the site being replaced (its run pages may be taken over) */
	char stamp[160];      /* the first line of a run page: what wrote it, with which links */
	const struct report_link *links;
	size_t n_links;
	struct judge_flags flags; /* everything flagged, all targets */
	struct report_summary *sum;
};

static FILE *open_page(struct site *s, const char *name, struct lb_error *err)
{
	char *path;
	if (asprintf(&path, "%s/%s", s->dir, name) < 0) {
		lb_error_oom(err);
		return NULL;
	}
	FILE *f = fopen(path, "w");
	if (!f)
		lb_error_set(err, LB_EIO, "writing %s: %s", path, strerror(errno));
	free(path);
	if (f)
		s->sum->pages++;
	return f;
}

static int close_page(FILE *f, struct lb_error *err)
{
	page_end(f);
	int bad = ferror(f);
	if (fclose(f) != 0 || bad)
		return lb_error_set(err, LB_EIO, "writing a page of the site: %s", strerror(errno));
	return 0;
}

/* The points of a metric's trend, with hover text, links and marks. */
static int trend_points(struct site *s, const char *target, const char *scenario, const char *metric,
			const struct store_revision_row *revs, size_t n, const double *med, struct pt *p, size_t *np,
			struct lb_error *err)
{
	*np = 0;
	double prev = NAN;
	struct store_value *acc;
	size_t n_acc;
	if (store_accepted_revisions(s->st, target, metric, &acc, &n_acc, err))
		return err->code;
	for (size_t i = 0; i < n; i++) {
		if (isnan(med[i]))
			continue;
		struct pt *q = &p[(*np)++];
		memset(q, 0, sizeof(*q));
		q->lo = q->hi = NAN;
		q->x = (double)i;
		q->y = med[i];
		char v[32], when[24] = "";
		time_t at = (time_t)revs[i].author_time;
		strftime(when, sizeof(when), "%Y-%m-%d", gmtime(&at));
		int n_title = snprintf(q->title, sizeof(q->title), "%.12s %s\n%s  %s", revs[i].sha, when, revs[i].subject,
				       text_metric(metric, med[i], v, sizeof(v)));
		if (!isnan(prev) && prev != 0 && n_title > 0 && (size_t)n_title < sizeof(q->title))
			snprintf(q->title + n_title, sizeof(q->title) - (size_t)n_title, " (%+.1f%%)",
				 100 * (med[i] / prev - 1));
		prev = med[i];
		char *href = commit_href(s->links, s->n_links, target, revs[i].sha);
		snprintf(q->href, sizeof(q->href), "%s", href ? href : "");
		free(href);
		for (size_t k = 0; k < s->flags.n; k++) {
			const struct judge_flag *fl = &s->flags.v[k];
			if (!strcmp(fl->target, target) && !strcmp(fl->scenario, scenario) && !strcmp(fl->after, revs[i].sha) &&
			    !strcmp(fl->what, metric))
				q->mark = fl->accepted ? 2 : 1;
		}
		if (store_value_has(acc, n_acc, revs[i].sha))
			q->mark = 2;
	}
	free(acc);
	return 0;
}

/* The band of the current era: its median, times e^(+-tau). */
static void band(const double *med, size_t n, const char *metric, double *lo, double *hi)
{
	*lo = *hi = NAN;
	double *l = malloc((n + 1) * sizeof(*l));
	size_t k = 0;
	if (!l)
		return;
	for (size_t i = 0; i < n; i++)
		if (!isnan(med[i]) && med[i] > 0)
			l[k++] = log(med[i]);
	if (k >= 3 && !strstr(metric, "slope")) {
		double tau = detect_noise_threshold(l, k, log1p(0.02)); /* before the median sorts l */
		double m = detect_median(l, k);
		*lo = exp(m - tau);
		*hi = exp(m + tau);
	}
	free(l);
}

/* One target and scenario's measured revisions, with each one's runs: what every metric
 * page of the scenario lists, read once. */
struct history {
	const char *target, *scenario;
	struct store_revision_row *revs;
	size_t n;
	struct store_value **runs; /* runs[i]: the runs of revs[i], n_runs[i] of them */
	size_t *n_runs;
};

static int metric_page(struct site *s, const struct history *h, const char *metric, const double *med,
		       const double *lo, const double *hi, const struct pt *p, size_t np, const char *name,
		       struct lb_error *err)
{
	const char *target = h->target, *scenario = h->scenario;
	const struct store_revision_row *revs = h->revs;
	size_t n = h->n;
	struct judge_shift *sh = NULL;
	size_t n_sh = 0;
	double *cuts = NULL;
	const char **labels = NULL;
	FILE *f = NULL;
	int rc = judge_trend(s->st, target, scenario, metric, &sh, &n_sh, err);
	if (!rc && (!(cuts = calloc(n_sh + 1, sizeof(*cuts))) || !(labels = calloc(n_sh + 1, sizeof(*labels)))))
		rc = lb_error_oom(err);
	for (size_t i = 0; !rc && i < n_sh; i++)
		for (size_t r = 0; r < n; r++)
			if (!strcmp(revs[r].sha, sh[i].sha)) {
				cuts[i] = (double)r - 0.5;
				labels[i] = sh[i].change > 0 ? "level up" : "level down";
			}
	if (!rc && !(f = open_page(s, name, err)))
		rc = err->code;
	if (!rc) {
		char title[400];
		snprintf(title, sizeof(title), "%s · %s · %s", target, scenario, metric);
		page_begin(f, title);
		char first_day[40] = "", last_day[40] = "";
		for (size_t i = 0; i < n; i++) /* the dates of the first and last revisions drawn */
			if (!isnan(med[i])) {
				time_t at = (time_t)revs[i].author_time;
				strftime(first_day[0] ? last_day : first_day, 40, "%Y-%m-%d", gmtime(&at));
			}
		struct chart c = {.w = 960, .h = 320, .metric = metric, .cuts = cuts, .n_cuts = n_sh,
				  .cut_labels = labels, .x_first = first_day, .x_last = last_day[0] ? last_day : NULL};
		band(med, n, metric, &c.band_lo, &c.band_hi);
		chart(f, &c, p, np);
		fputs("<p class=\"muted\">x: revisions in commit order (oldest left); the blue band: the era's median "
		      "within its noise threshold; dashed lines: changes of level; red: flagged, green: accepted. "
		      "Hover a point for its commit, click to open it.",
		      f);
		fputs(lo ? " Vertical bars: each revision's 95% interval (the median of its runs' bounds).</p>\n" : "</p>\n", f);
		fprintf(f, "<table><tr><th>revision</th><th>date</th><th>subject</th><th class=\"num\">median</th>%s<th>runs</th></tr>\n",
			lo ? "<th class=\"num\">95% interval</th>" : "");
		for (size_t i = n; i-- > 0;) {
			if (isnan(med[i]))
				continue;
			char v[32], when[24];
			time_t at = (time_t)revs[i].author_time;
			strftime(when, sizeof(when), "%Y-%m-%d", gmtime(&at));
			char *href = commit_href(s->links, s->n_links, target, revs[i].sha);
			fputs("<tr><td><code>", f);
			if (href) {
				fputs("<a href=\"", f);
				esc(f, href);
				fputs("\">", f);
			}
			fprintf(f, "%.12s", revs[i].sha);
			fputs(href ? "</a>" : "", f);
			free(href);
			fprintf(f, "</code></td><td>%s</td><td>", when);
			esc(f, revs[i].subject);
			fprintf(f, "</td><td class=\"num\">%s</td>", text_metric(metric, med[i], v, sizeof(v)));
			if (lo) {
				char a[32], b[32];
				fprintf(f, "<td class=\"num interval\">[%s, %s]</td>", text_metric(metric, lo[i], a, sizeof(a)),
					text_metric(metric, hi[i], b, sizeof(b)));
			}
			fputs("<td>", f);
			for (size_t k = 0; k < h->n_runs[i]; k++)
				fprintf(f, "<a href=\"r-%s.html\">%zu</a> ", h->runs[i][k].key, k + 1);
			fputs("</td></tr>\n", f);
		}
		fputs("</table>\n", f);
		int crc = close_page(f, err);
		rc = rc ? rc : crc;
	}
	free(sh);
	free(cuts);
	free(labels);
	return rc;
}

/* --- index ------------------------------------------------------------------------------ */

/* Runs that could not be judged (too few checkpoints measured for a leak verdict, an
 * expectation inconclusive) are neither ok nor flagged: listed apart, by revision, each
 * linked to its page, so a reader sees that a revision's figures are missing a verdict. */
static int unjudged_list(struct site *s, FILE *idx, const struct history *h, struct lb_error *err)
{
	struct store_value *u;
	size_t nu;
	int rc = store_unjudged_runs(s->st, h->target, h->scenario, &u, &nu, err);
	if (rc || !nu) {
		free(u);
		return rc;
	}
	fprintf(idx, "<p class=\"muted\">inconclusive: %zu run%s could not be judged (too few checkpoints measured"
		     " or an expectation inconclusive):", nu, nu == 1 ? "" : "s");
	for (size_t i = 0; i < h->n; i++) {
		int first = 1;
		for (size_t k = 0; k < h->n_runs[i]; k++)
			for (size_t j = 0; j < nu; j++) {
				if (strcmp(u[j].key, h->runs[i][k].key))
					continue;
				if (first)
					fprintf(idx, " <code>%.12s</code>", h->revs[i].sha);
				fprintf(idx, " <a href=\"r-%s.html\">%zu</a>", u[j].key, k + 1);
				first = 0;
			}
	}
	fputs("</p>\n", idx);
	free(u);
	return 0;
}

static int target_section(struct site *s, FILE *idx, const char *target, struct lb_error *err)
{
	struct store_value *scn;
	size_t n_scn;
	int rc = store_scenarios_of(s->st, target, &scn, &n_scn, err);
	if (rc)
		return rc;
	fputs("<h2>", idx);
	esc(idx, target);
	fputs("</h2>\n", idx);
	for (size_t k = 0; k < n_scn && !rc; k++) {
		const char *scenario = scn[k].key;
		struct store_revision_row *revs;
		size_t n;
		if ((rc = store_measured_revisions(s->st, target, scenario, &revs, &n, err)))
			break;
		if ((rc = judge_scan(s->st, target, scenario, NULL, &s->flags, err))) {
			free(revs);
			break;
		}
		fputs("<h3>", idx);
		esc(idx, scenario);
		fprintf(idx, " <span class=\"muted\">(%zu revisions)</span></h3>\n<table>\n", n);
		double *med = calloc(n + 1, sizeof(*med)), *lo = calloc(n + 1, sizeof(*lo)), *hi = calloc(n + 1, sizeof(*hi));
		char **metrics = NULL;
		struct pt *p = calloc(n + 1, sizeof(*p));
		struct history h = {target, scenario, revs, n, calloc(n + 1, sizeof(*h.runs)), calloc(n + 1, sizeof(size_t))};
		if (!med || !lo || !hi || !p || !h.runs || !h.n_runs)
			rc = lb_error_oom(err);
		for (size_t i = 0; !rc && i < n; i++)
			rc = store_runs_of_revision(s->st, target, revs[i].sha, scenario, &h.runs[i], &h.n_runs[i], err);
		if (!rc)
			rc = judge_default_metrics(s->st, target, scenario, &metrics, err);
		for (size_t m = 0; !rc && metrics[m]; m++) {
			const char *metric = metrics[m];
			size_t np = 0;
			int with_interval = 0;
			if ((rc = medians(s->st, target, scenario, metric, revs, n, med, err)) ||
			    (rc = trend_points(s, target, scenario, metric, revs, n, med, p, &np, err)) ||
			    (rc = interval_medians(s->st, target, scenario, metric, revs, n, lo, hi, &with_interval, err)))
				break;
			if (!np)
				continue;
			for (size_t j = 0; with_interval && j < np; j++)
				p[j].lo = lo[(size_t)p[j].x], p[j].hi = hi[(size_t)p[j].x];
			char name[600], a[128], b[128], c[128], v[32];
			safe(a, sizeof(a), target), safe(b, sizeof(b), scenario), safe(c, sizeof(c), metric);
			snprintf(name, sizeof(name), "m-%s-%s-%s.html", a, b, c);
			if ((rc = metric_page(s, &h, metric, med, with_interval ? lo : NULL, with_interval ? hi : NULL, p, np,
					      name, err)))
				break;
			size_t flagged = 0;
			for (size_t i = 0; i < np; i++)
				flagged += p[i].mark == 1;
			fprintf(idx, "<tr><td><a href=\"%s\">%s</a></td><td>", name, metric);
			struct chart ch = {.w = 240, .h = 40, .small = 1, .metric = metric, .band_lo = NAN, .band_hi = NAN};
			chart(idx, &ch, p, np);
			fprintf(idx, "</td><td class=\"num\">%s</td><td>%s</td></tr>\n",
				text_metric(metric, p[np - 1].y, v, sizeof(v)), flagged ? "<span class=\"bad\">flagged</span>" : "");
		}
		fputs("</table>\n", idx);
		for (size_t i = 0; i < s->flags.n; i++) {
			const struct judge_flag *fl = &s->flags.v[i];
			if (strcmp(fl->target, target) || strcmp(fl->scenario, scenario) || strcmp(fl->what, "expectations"))
				continue;
			fprintf(idx, "<p class=\"%s\">expectations: <code>%.12s</code> ", fl->accepted ? "ok" : "bad", fl->after);
			esc(idx, fl->subject);
			fputs(" — ", idx);
			esc(idx, fl->detail);
			fputs(" (<a href=\"regressions.html\">regressions</a>)</p>\n", idx);
		}
		if (!rc)
			rc = unjudged_list(s, idx, &h, err);
		for (size_t i = 0; h.runs && i < n; i++)
			free(h.runs[i]);
		free(h.runs);
		free(h.n_runs);
		free(med), free(lo), free(hi);
		judge_metrics_free(metrics);
		free(p);
		free(revs);
	}
	free(scn);
	return rc;
}

/* --- regressions ------------------------------------------------------------------------ */

static int regressions_page(struct site *s, struct lb_error *err)
{
	FILE *f = open_page(s, "regressions.html", err);
	if (!f)
		return err->code;
	page_begin(f, "regressions");
	qsort(s->flags.v, s->flags.n, sizeof(*s->flags.v), judge_flag_newest_first);
	if (!s->flags.n)
		fputs("<p>Nothing flagged.</p>\n", f);
	else
		fputs("<table><tr><th>target</th><th>scenario</th><th>what</th><th>from</th><th>to</th><th>subject</th>"
		      "<th>evidence</th></tr>\n",
		      f);
	for (size_t i = 0; i < s->flags.n; i++) {
		const struct judge_flag *fl = &s->flags.v[i];
		const char *const shas[] = {fl->before, fl->after};
		fprintf(f, "<tr class=\"%s\"><td>", fl->accepted ? "accepted" : "flagged");
		esc(f, fl->target);
		fputs("</td><td>", f);
		esc(f, fl->scenario);
		fputs("</td><td>", f);
		esc(f, fl->what);
		fputs("</td>", f);
		for (int k = 0; k < 2; k++) {
			char *href = commit_href(s->links, s->n_links, fl->target, shas[k]);
			fputs("<td><code>", f);
			if (href) {
				fputs("<a href=\"", f);
				esc(f, href);
				fputs("\">", f);
			}
			fprintf(f, "%.12s%s</code></td>", shas[k], href ? "</a>" : "");
			free(href);
		}
		fputs("<td>", f);
		esc(f, fl->subject);
		fputs("</td><td>", f);
		esc(f, fl->detail);
		fputs(fl->accepted ? " <span class=\"ok\">(accepted)</span>" : "", f);
		fputs("</td></tr>\n", f);
	}
	if (s->flags.n)
		fputs("</table>\n", f);
	s->sum->flagged = s->flags.n;
	struct store_bisect_row *b;
	size_t nb;
	int rc = store_list_bisects(s->st, &b, &nb, err);
	if (!rc && nb) {
		fputs("<h2>bisections</h2>\n<table><tr><th>target</th><th>scenario</th><th>judged on</th><th>good</th>"
		      "<th>bad</th><th>first bad commit</th><th>cost</th></tr>\n",
		      f);
		for (size_t i = 0; i < nb; i++) {
			fputs("<tr><td>", f);
			esc(f, b[i].target);
			fputs("</td><td>", f);
			esc(f, b[i].scenario);
			fputs("</td><td>", f);
			esc(f, b[i].criterion);
			fprintf(f, "</td><td><code>%.12s</code></td><td><code>%.12s</code></td><td><code>%s</code></td>"
				   "<td>%ld builds, %ld runs</td></tr>\n",
				b[i].good, b[i].bad, b[i].result[0] ? b[i].result : "inconclusive", b[i].builds, b[i].runs);
		}
		fputs("</table>\n", f);
	}
	free(b);
	int crc = close_page(f, err);
	return rc ? rc : crc;
}

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
	chart(f, &c, p, se->n);
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
		chart(f, &c, p, n);
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
		esc(f, run->census_labels[top[k - 1]]);
		fputs("</title></polygon>\n", f);
	}
	char a[32];
	fprintf(f, "<text x=\"2\" y=\"18\" font-size=\"10\">%s</text>\n</svg>\n<p>", text_metric("bytes", ymax, a, sizeof(a)));
	for (size_t k = 0; k < nt; k++) {
		fprintf(f, "<span style=\"color:%s\">■</span> ", colours[k]);
		esc(f, run->census_labels[top[k]]);
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

static int run_page(struct site *s, const char *id, struct lb_error *err)
{
	if (take_over_run_page(s, id))
		return 0;
	struct lb_run run;
	int rc = store_get_run(s->st, id, &run, err);
	if (rc)
		return rc;
	char name[64];
	snprintf(name, sizeof(name), "r-%s.html", run.id);
	FILE *f = open_page(s, name, err);
	if (!f) {
		record_free(&run);
		return err->code;
	}
	fputs(s->stamp, f);
	char title[200];
	snprintf(title, sizeof(title), "run %s", run.id);
	page_begin(f, title);
	fputs("<table>\n<tr><td>program</td><td><code>", f);
	esc(f, run.program);
	fputs("</code></td></tr>\n<tr><td>scenario</td><td>", f);
	esc(f, run.scenario ? run.scenario : "-");
	fputs("</td></tr>\n<tr><td>target</td><td>", f);
	esc(f, run.target ? run.target : "-");
	if (run.revision) {
		char *href = commit_href(s->links, s->n_links, run.target ? run.target : "", run.revision);
		fputs(" at <code>", f);
		if (href) {
			fputs("<a href=\"", f);
			esc(f, href);
			fputs("\">", f);
		}
		esc(f, run.revision);
		fputs(href ? "</a>" : "", f);
		fputs("</code>", f);
		free(href);
	}
	fprintf(f, "</td></tr>\n<tr><td>status</td><td class=\"%s\">%s", run.status == LB_RUN_OK ? "ok" : "bad",
		record_status_name(run.status));
	if (run.reason) {
		fputs(": ", f);
		esc(f, run.reason);
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
			esc(f, st->kind);
			fputs("</td><td>", f);
			esc(f, st->detail);
			fprintf(f, "</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td>", a, b);
			esc(f, st->note ? st->note : "");
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
			esc(f, run.verdicts[i].source);
			fputs("</code><br>", f);
			esc(f, run.verdicts[i].message);
			fputs("</td></tr>\n", f);
		}
		fputs("</table>\n", f);
	}
	fputs("<h2>metrics</h2>\n<table>\n", f);
	for (size_t i = 0; i < run.n_metrics; i++) {
		char v[32];
		fputs("<tr><td>", f);
		esc(f, run.metrics[i].name);
		fprintf(f, "</td><td class=\"num\">%.10g</td><td>%s</td></tr>\n", run.metrics[i].value,
			strstr(run.metrics[i].name, "bytes") ? text_metric("bytes", run.metrics[i].value, v, sizeof(v)) : "");
	}
	fputs("</table>\n<h2>artifacts</h2>\n<ul>\n", f);
	for (size_t i = 0; i < run.n_artifacts; i++) {
		fputs("<li><a href=\"file://", f);
		esc(f, run.artifacts[i].path);
		fputs("\">", f);
		esc(f, run.artifacts[i].kind);
		fputs("</a></li>\n", f);
	}
	fputs("</ul>\n", f);
	record_free(&run);
	s->sum->runs++;
	return close_page(f, err);
}

/* --- the site ------------------------------------------------------------------------------ */

/* What a run page depends on besides its run: the build that writes it (a rebuilt leakbench
 * may draw it differently) and the commit links. */
static int run_page_stamp(struct site *s, struct lb_error *err)
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
		snprintf(s->stamp, sizeof(s->stamp), "<!-- leakbench run page, built %s %s, links %.16s -->\n", __DATE__,
			 __TIME__, hex);
	return rc;
}

int report_write(struct store *st, const char *out, const struct report_link *links, size_t n_links,
		 struct report_summary *sum, struct lb_error *err)
{
	memset(sum, 0, sizeof(*sum));
	char *tmp = NULL, *old = NULL;
	if (asprintf(&tmp, "%s.tmp-%d", out, (int)getpid()) < 0 || asprintf(&old, "%s.old-%d", out, (int)getpid()) < 0) {
		free(tmp);
		return lb_error_oom(err);
	}
	file_remove_tree(tmp);
	struct site s = {.st = st, .dir = tmp, .prev = access(out, F_OK) == 0 ? out : NULL, .links = links,
			 .n_links = n_links, .sum = sum};
	struct store_value *targets = NULL;
	struct store_run_row *runs = NULL;
	size_t n_targets = 0, n_runs = 0;
	FILE *idx = NULL;
	int rc = 0, reading = 0;
	if (mkdir(tmp, 0755) < 0) {
		rc = lb_error_set(err, LB_EIO, "%s: %s", tmp, strerror(errno));
		goto done;
	}
	if ((rc = run_page_stamp(&s, err)) || (rc = store_read_begin(st, err)))
		goto done;
	reading = 1;
	if ((rc = store_targets(st, &targets, &n_targets, err)))
		goto done;
	if (!(idx = open_page(&s, "index.html", err))) {
		rc = err->code;
		goto done;
	}
	page_begin(idx, "leakbench");
	if (!n_targets)
		fputs("<p>No runs of a configured target yet: <code>leakbench sweep</code> makes some.</p>\n", idx);
	for (size_t i = 0; i < n_targets && !rc; i++)
		rc = target_section(&s, idx, targets[i].key, err);
	int crc = close_page(idx, err);
	rc = rc ? rc : crc;
	if (!rc)
		rc = regressions_page(&s, err);
	if (!rc)
		rc = store_list_runs(st, 0, &runs, &n_runs, err);
	for (size_t i = 0; i < n_runs && !rc; i++)
		rc = run_page(&s, runs[i].id, err);
	store_read_end(st);
	reading = 0;
	if (rc)
		goto done;
	/* into place: the old site aside, the new one in, the old one gone */
	int had = access(out, F_OK) == 0;
	if ((had && rename(out, old) < 0) || rename(tmp, out) < 0) {
		rc = lb_error_set(err, LB_EIO, "moving the site into %s: %s", out, strerror(errno));
		if (had)
			rename(old, out);
		goto done;
	}
	if (had)
		file_remove_tree(old);
done:
	if (reading)
		store_read_end(st);
	if (rc)
		file_remove_tree(tmp);
	free(s.flags.v);
	free(targets);
	free(runs);
	free(tmp);
	free(old);
	return rc;
}
