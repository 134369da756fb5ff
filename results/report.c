/*
 * report.c - the static dashboard (see report.h): the index, each metric's trend, the
 * regressions page, and the site written whole into a temporary folder that is moved into
 * place last.  Pages, escaping and the chart are report_html.c's; a run's page is
 * report_run.c's; two revisions side by side report_compare.c's.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "base/text.h"
#include "results/detect.h"
#include "results/record.h"
#include "results/report_int.h"

/* --- one target, one scenario, one metric ---------------------------------------------- */

#define TREND_TABLE_ROWS 200

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
		double before = prev;
		prev = med[i];
		char *href = report_commit_href(s->links, s->n_links, target, revs[i].sha);
		snprintf(q->href, sizeof(q->href), "%s", href ? href : "");
		free(href);
		for (size_t k = 0; k < s->flags.n; k++) {
			const struct judge_flag *fl = &s->flags.v[k];
			if (!strcmp(fl->target, target) && !strcmp(fl->scenario, scenario) && !strcmp(fl->after, revs[i].sha) &&
			    !strcmp(fl->what, metric)) {
				q->mark = fl->accepted ? 2 : 1;
				/* a flagged point opens what grew between the two revisions */
				report_compare_name(target, scenario, fl->before, fl->after, q->href, sizeof(q->href));
			}
		}
		if (store_value_has(acc, n_acc, revs[i].sha))
			q->mark = 2;
		if (!q->mark)
			continue;
		/* a hover title for the index's small chart, which draws the marked points only (the
		 * trend page's chart makes its own tooltips from the data) */
		char v[32], when[24] = "";
		time_t at = (time_t)revs[i].author_time;
		strftime(when, sizeof(when), "%Y-%m-%d", gmtime(&at));
		int n_title = snprintf(q->title, sizeof(q->title), "%.12s %s\n%s  %s", revs[i].sha, when, revs[i].subject,
				       text_metric(metric, med[i], v, sizeof(v)));
		if (!isnan(before) && before != 0 && n_title > 0 && (size_t)n_title < sizeof(q->title))
			snprintf(q->title + n_title, sizeof(q->title) - (size_t)n_title, " (%+.1f%%)",
				 100 * (med[i] / before - 1));
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
	if (!rc && !(f = report_open_page(s, name, err)))
		rc = err->code;
	if (!rc) {
		char title[400];
		snprintf(title, sizeof(title), "%s · %s · %s", target, scenario, metric);
		report_page_begin(s, f, title);
		char first_day[40] = "", last_day[40] = "";
		for (size_t i = 0; i < n; i++) /* the dates of the first and last revisions drawn */
			if (!isnan(med[i])) {
				time_t at = (time_t)revs[i].author_time;
				strftime(first_day[0] ? last_day : first_day, 40, "%Y-%m-%d", gmtime(&at));
			}
		double band_lo, band_hi;
		band(med, n, metric, &band_lo, &band_hi);
		rc = report_trend_chart(f, metric, revs, p, np, cuts, labels, n_sh, band_lo, band_hi, err);
		fprintf(f, "<p class=\"muted\">x: revisions in commit order, %s to %s; drag to zoom, shift-drag to pan, the "
			   "range under the chart to brush, double-click to see all. The blue band: the era's median within its "
			   "noise threshold; dashed lines: changes of level; red: flagged (click: what grew), green: accepted. "
			   "Hover a point for its commit, value and change, click to open it.",
			first_day, last_day[0] ? last_day : first_day);
		fputs(lo ? " Vertical bars: each revision's 95% interval (the median of its runs' bounds).</p>\n" : "</p>\n", f);
		/* the newest revisions in a table (the chart has all of them): a page of a long
		 * history stays small */
		if (np > TREND_TABLE_ROWS)
			fprintf(f, "<p class=\"muted\">The newest %d of %zu revisions:</p>\n", TREND_TABLE_ROWS, np);
		fprintf(f, "<table><tr><th>revision</th><th>date</th><th>subject</th><th class=\"num\">median</th>%s<th>runs</th></tr>\n",
			lo ? "<th class=\"num\">95% interval</th>" : "");
		for (size_t i = n, rows = 0; i-- > 0 && rows < TREND_TABLE_ROWS;) {
			if (isnan(med[i]))
				continue;
			rows++;
			char v[32], when[24];
			time_t at = (time_t)revs[i].author_time;
			strftime(when, sizeof(when), "%Y-%m-%d", gmtime(&at));
			char *href = report_commit_href(s->links, s->n_links, target, revs[i].sha);
			fputs("<tr><td><code>", f);
			if (href) {
				fputs("<a href=\"", f);
				report_esc(f, href);
				fputs("\">", f);
			}
			fprintf(f, "%.12s", revs[i].sha);
			fputs(href ? "</a>" : "", f);
			free(href);
			fprintf(f, "</code></td><td>%s</td><td>", when);
			report_esc(f, revs[i].subject);
			fprintf(f, "</td><td class=\"num\">%s</td>", text_metric(metric, med[i], v, sizeof(v)));
			if (lo) {
				char a[32], b[32];
				fprintf(f, "<td class=\"num interval\">[%s, %s]</td>", text_metric(metric, lo[i], a, sizeof(a)),
					text_metric(metric, hi[i], b, sizeof(b)));
			}
			fputs("<td>", f);
			for (size_t k = 0; k < h->n_runs[i]; k++) {
				report_run_link(s, f, h->runs[i][k].key, k + 1);
				fputc(' ', f);
			}
			fputs("</td></tr>\n", f);
		}
		fputs("</table>\n", f);
		int crc = report_close_page(f, err);
		rc = rc ? rc : crc;
	}
	free(sh);
	free(cuts);
	free(labels);
	return rc;
}

/* Every metric of the scenario on one chart, linked from the index under its table: what
 * moved together at a change (live bytes and the heap, or the GC's time with them). */
static int overlay_page(struct site *s, FILE *idx, const struct history *h, const char *const *metrics, size_t n_m,
			const double *all, struct lb_error *err)
{
	char name[600], a[128], b[128], title[400];
	report_safe(a, sizeof(a), h->target), report_safe(b, sizeof(b), h->scenario);
	snprintf(name, sizeof(name), "o-%s-%s.html", a, b);
	FILE *f = report_open_page(s, name, err);
	if (!f)
		return err->code;
	snprintf(title, sizeof(title), "%s · %s · every metric", h->target, h->scenario);
	report_page_begin(s, f, title);
	int rc = report_overlay_chart(f, h->revs, h->n, metrics, n_m, all, n_m < 3 ? n_m : 3, err);
	fputs("<p class=\"muted\">Each metric as times its figure at the first revision measured, on a log scale, so "
	      "figures of any unit share the axis; tick a metric to draw it. Hover a revision for each metric's own "
	      "figure. Drag to zoom, shift-drag to pan, the range under the chart to brush.</p>\n",
	      f);
	int crc = report_close_page(f, err);
	if (!rc && !crc)
		fprintf(idx, "<p><a href=\"%s\">every metric on one chart</a></p>\n", name);
	return rc ? rc : crc;
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
				fputc(' ', idx);
				report_run_link(s, idx, u[j].key, k + 1);
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
	report_esc(idx, target);
	fputs("</h2>\n", idx);
	for (size_t k = 0; k < n_scn && !rc; k++) {
		const char *scenario = scn[k].key;
		struct store_revision_row *revs;
		size_t n;
		char **metrics = NULL; /* what the scan judges and the trends draw: read once */
		if ((rc = store_measured_revisions(s->st, target, scenario, &revs, &n, err)))
			break;
		if ((rc = judge_default_metrics(s->st, target, scenario, &metrics, err)) ||
		    (rc = judge_scan(s->st, target, scenario, (const char *const *)metrics, &s->flags, err))) {
			judge_metrics_free(metrics);
			free(revs);
			break;
		}
		fputs("<h3>", idx);
		report_esc(idx, scenario);
		fprintf(idx, " <span class=\"muted\">(%zu revisions)</span></h3>\n<table>\n", n);
		size_t n_m = 0;
		while (metrics[n_m])
			n_m++;
		double *all = malloc((n_m * n + 1) * sizeof(*all)); /* every metric's medians: the overlay */
		double *med = calloc(n + 1, sizeof(*med)), *lo = calloc(n + 1, sizeof(*lo)), *hi = calloc(n + 1, sizeof(*hi));
		struct pt *p = calloc(n + 1, sizeof(*p));
		struct history h = {target, scenario, revs, n, calloc(n + 1, sizeof(*h.runs)), calloc(n + 1, sizeof(size_t))};
		if (!med || !lo || !hi || !p || !h.runs || !h.n_runs || !all)
			rc = lb_error_oom(err);
		for (size_t i = 0; !rc && i < n; i++)
			rc = store_runs_of_revision(s->st, target, revs[i].sha, scenario, &h.runs[i], &h.n_runs[i], err);
		for (size_t m = 0; !rc && metrics[m]; m++) {
			const char *metric = metrics[m];
			size_t np = 0;
			int with_interval = 0;
			if ((rc = medians(s->st, target, scenario, metric, revs, n, med, err)) ||
			    (rc = trend_points(s, target, scenario, metric, revs, n, med, p, &np, err)) ||
			    (rc = interval_medians(s->st, target, scenario, metric, revs, n, lo, hi, &with_interval, err)))
				break;
			memcpy(all + m * n, med, n * sizeof(*med));
			if (!np)
				continue;
			for (size_t j = 0; with_interval && j < np; j++)
				p[j].lo = lo[(size_t)p[j].x], p[j].hi = hi[(size_t)p[j].x];
			char name[600], a[128], b[128], c[128], v[32];
			report_safe(a, sizeof(a), target), report_safe(b, sizeof(b), scenario), report_safe(c, sizeof(c), metric);
			snprintf(name, sizeof(name), "m-%s-%s-%s.html", a, b, c);
			if ((rc = metric_page(s, &h, metric, med, with_interval ? lo : NULL, with_interval ? hi : NULL, p, np,
					      name, err)))
				break;
			size_t flagged = 0;
			for (size_t i = 0; i < np; i++)
				flagged += p[i].mark == 1;
			fprintf(idx, "<tr><td><a href=\"%s\">%s</a></td><td>", name, metric);
			struct chart ch = {.w = 240, .h = 40, .small = 1, .metric = metric, .band_lo = NAN, .band_hi = NAN};
			report_chart(idx, &ch, p, np);
			fprintf(idx, "</td><td class=\"num\">%s</td><td>%s</td></tr>\n",
				text_metric(metric, p[np - 1].y, v, sizeof(v)), flagged ? "<span class=\"bad\">flagged</span>" : "");
		}
		fputs("</table>\n", idx);
		if (!rc && n_m > 1)
			rc = overlay_page(s, idx, &h, (const char *const *)metrics, n_m, all, err);
		for (size_t i = 0; i < s->flags.n; i++) {
			const struct judge_flag *fl = &s->flags.v[i];
			if (strcmp(fl->target, target) || strcmp(fl->scenario, scenario) || strcmp(fl->what, "expectations"))
				continue;
			fprintf(idx, "<p class=\"%s\">expectations: <code>%.12s</code> ", fl->accepted ? "ok" : "bad", fl->after);
			report_esc(idx, fl->subject);
			fputs(" — ", idx);
			report_esc(idx, fl->detail);
			fputs(" (<a href=\"regressions.html\">regressions</a>)</p>\n", idx);
		}
		if (!rc)
			rc = unjudged_list(s, idx, &h, err);
		for (size_t i = 0; h.runs && i < n; i++)
			free(h.runs[i]);
		free(h.runs);
		free(h.n_runs);
		free(med), free(lo), free(hi), free(all);
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
	FILE *f = report_open_page(s, "regressions.html", err);
	if (!f)
		return err->code;
	report_page_begin(s, f, "regressions");
	if (s->flags.n) /* qsort wants an array, even of nothing */
		qsort(s->flags.v, s->flags.n, sizeof(*s->flags.v), judge_flag_newest_first);
	if (!s->flags.n)
		fputs("<p>Nothing flagged.</p>\n", f);
	else
		fputs("<table><tr><th>target</th><th>scenario</th><th>what</th><th>from</th><th>to</th><th>subject</th>"
		      "<th>evidence</th><th></th></tr>\n",
		      f);
	int rc = 0;
	for (size_t i = 0; i < s->flags.n && !rc; i++) {
		const struct judge_flag *fl = &s->flags.v[i];
		const char *const shas[] = {fl->before, fl->after};
		char page[700];
		report_compare_name(fl->target, fl->scenario, fl->before, fl->after, page, sizeof(page));
		if ((rc = report_compare_page(s, fl->target, fl->scenario, fl->before, fl->after, err)))
			break;
		fprintf(f, "<tr class=\"%s\"><td>", fl->accepted ? "accepted" : "flagged");
		report_esc(f, fl->target);
		fputs("</td><td>", f);
		report_esc(f, fl->scenario);
		fputs("</td><td>", f);
		report_esc(f, fl->what);
		fputs("</td>", f);
		for (int k = 0; k < 2; k++) {
			char *href = report_commit_href(s->links, s->n_links, fl->target, shas[k]);
			fputs("<td><code>", f);
			if (href) {
				fputs("<a href=\"", f);
				report_esc(f, href);
				fputs("\">", f);
			}
			fprintf(f, "%.12s%s</code></td>", shas[k], href ? "</a>" : "");
			free(href);
		}
		fputs("<td>", f);
		report_esc(f, fl->subject);
		fputs("</td><td>", f);
		report_esc(f, fl->detail);
		fputs(fl->accepted ? " <span class=\"ok\">(accepted)</span>" : "", f);
		fprintf(f, "</td><td><a class=\"grew\" href=\"%s\">what grew</a></td></tr>\n", page);
	}
	if (s->flags.n)
		fputs("</table>\n", f);
	s->sum->flagged = s->flags.n;
	struct store_bisect_row *b = NULL;
	size_t nb = 0;
	if (!rc)
		rc = store_list_bisects(s->st, &b, &nb, err);
	if (!rc && nb) {
		fputs("<h2>bisections</h2>\n<table><tr><th>target</th><th>scenario</th><th>judged on</th><th>good</th>"
		      "<th>bad</th><th>first bad commit</th><th>cost</th><th></th></tr>\n",
		      f);
		for (size_t i = 0; i < nb && !rc; i++) {
			char page[700] = "", before[LB_SHA_HEX + 1];
			/* what grew between the last good revision the bisection measured and the first bad */
			if (b[i].result[0] &&
			    !(rc = store_measured_before(s->st, b[i].target, b[i].scenario, b[i].result, before, err)) &&
			    before[0]) {
				report_compare_name(b[i].target, b[i].scenario, before, b[i].result, page, sizeof(page));
				rc = report_compare_page(s, b[i].target, b[i].scenario, before, b[i].result, err);
			}
			fputs("<tr><td>", f);
			report_esc(f, b[i].target);
			fputs("</td><td>", f);
			report_esc(f, b[i].scenario);
			fputs("</td><td>", f);
			report_esc(f, b[i].criterion);
			fprintf(f, "</td><td><code>%.12s</code></td><td><code>%.12s</code></td><td><code>%s</code></td>"
				   "<td>%ld builds, %ld runs</td><td>",
				b[i].good, b[i].bad, b[i].result[0] ? b[i].result : "inconclusive", b[i].builds, b[i].runs);
			if (page[0])
				fprintf(f, "<a class=\"grew\" href=\"%s\">what grew</a>", page);
			fputs("</td></tr>\n", f);
		}
		fputs("</table>\n", f);
	}
	free(b);
	int crc = report_close_page(f, err);
	return rc ? rc : crc;
}

/* --- the site ------------------------------------------------------------------------------ */

/* Runs measured by hand (`exec`, or `run` with no target's revision): the newest
 * AD_HOC_ROWS on the index, each linked to its page, so a developer's own runs have their
 * live bytes over time and census on the dashboard too. */
enum { AD_HOC_ROWS = 100 };

static int ad_hoc_section(struct site *s, FILE *idx, struct lb_error *err)
{
	struct store_run_row *runs = NULL;
	size_t n = 0;
	int rc = store_list_runs(s->st, STORE_RUNS_AD_HOC, AD_HOC_ROWS + 1, &runs, &n, err);
	if (!rc && n) {
		fputs("<h2>runs outside a target</h2>\n<p class=\"muted\">", idx);
		if (n > AD_HOC_ROWS)
			fprintf(idx, "The newest %d runs", AD_HOC_ROWS);
		else
			fputs("The runs", idx);
		fputs(" <code>leakbench exec</code> and <code>leakbench run</code> measured of no target's revision:</p>\n"
		      "<table><tr><th>run</th><th>started</th><th>program</th><th>scenario</th><th>status</th>"
		      "<th>expectations</th><th class=\"num\">max live</th><th class=\"num\">wall</th></tr>\n",
		      idx);
		for (size_t i = 0; i < n && i < AD_HOC_ROWS; i++) {
			const struct store_run_row *r = &runs[i];
			char live[32] = "-", wall[32] = "-";
			if (!isnan(r->max_live_bytes))
				text_bytes(r->max_live_bytes, live, sizeof(live));
			if (!isnan(r->wall_seconds))
				snprintf(wall, sizeof(wall), "%.2f s", r->wall_seconds);
			fputs("<tr><td><code>", idx);
			report_run_link(s, idx, r->id, 0);
			fprintf(idx, "</code></td><td>%s</td><td><code>", r->started);
			report_esc(idx, r->program);
			fputs("</code></td><td>", idx);
			report_esc(idx, r->scenario[0] ? r->scenario : "-");
			fprintf(idx, "</td><td class=\"%s\">", strcmp(r->status, "ok") ? "bad" : "ok");
			report_esc(idx, r->status);
			fprintf(idx, "</td><td class=\"%s\">", !strcmp(r->verdict, "FAIL") ? "bad" : "");
			report_esc(idx, r->verdict[0] ? r->verdict : "-");
			fprintf(idx, "</td><td class=\"num\">%s</td><td class=\"num\">%s</td></tr>\n", live, wall);
		}
		fputs("</table>\n", idx);
	}
	free(runs);
	return rc;
}

/* One of the charting library's files into the site. */
static int write_asset(const char *dir, const char *name, const unsigned char *bytes, size_t n, struct lb_error *err)
{
	char *path = NULL;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return lb_error_oom(err);
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(bytes, 1, n, f) == n;
	if (f && fclose(f) != 0)
		ok = 0;
	int rc = ok ? 0 : lb_error_set(err, LB_EIO, "writing %s: %s", path, strerror(errno));
	free(path);
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
	size_t n_targets = 0;
	FILE *idx = NULL;
	int rc = 0, reading = 0;
	if (mkdir(tmp, 0755) < 0) {
		rc = lb_error_set(err, LB_EIO, "%s: %s", tmp, strerror(errno));
		goto done;
	}
	if ((rc = report_run_page_stamp(&s, err)) || (rc = write_asset(tmp, "dygraph.min.js", report_dygraph_js, report_dygraph_js_len, err)) ||
	    (rc = write_asset(tmp, "dygraph.min.css", report_dygraph_css, report_dygraph_css_len, err)) ||
	    (rc = store_read_begin(st, err)))
		goto done;
	reading = 1;
	if ((rc = store_targets(st, &targets, &n_targets, err)))
		goto done;
	if (!(idx = report_open_page(&s, "index.html", err))) {
		rc = err->code;
		goto done;
	}
	report_page_begin(&s, idx, "leakbench");
	if (!n_targets)
		fputs("<p>No runs of a configured target yet: <code>leakbench sweep</code> makes some.</p>\n", idx);
	for (size_t i = 0; i < n_targets && !rc; i++)
		rc = target_section(&s, idx, targets[i].key, err);
	if (!rc)
		rc = ad_hoc_section(&s, idx, err);
	int crc = report_close_page(idx, err);
	rc = rc ? rc : crc;
	if (!rc)
		rc = regressions_page(&s, err);
	if (!rc)
		rc = report_linked_run_pages(&s, err);
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
	free(s.linked.id);
	free(targets);
	free(tmp);
	free(old);
	return rc;
}
