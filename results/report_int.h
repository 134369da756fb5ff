/*
 * report_int.h - the dashboard's insides, shared by its files only: report.c (the index,
 * the trends, the regressions, the site as a whole), report_html.c (pages, escaping, the
 * SVG chart), report_run.c (a run's page), report_trend.c (a trend drawn by dygraphs) and
 * report_compare.c (two revisions side by side).  Callers use results/report.h.
 */
#ifndef LB_REPORT_INT_H
#define LB_REPORT_INT_H

#include <stdio.h>

#include "results/judge.h"
#include "results/record.h"
#include "results/report.h"

/* --- charts: one SVG, a point per revision or sample ----------------------------------- */

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
	const struct pt *second;       /* another series over the same axes (a comparison); may be NULL */
	size_t n_second;
};

void report_chart(FILE *f, const struct chart *c, const struct pt *p, size_t n);

/* --- the site being written ------------------------------------------------------------ */

struct site {
	struct store *st;
	const char *dir;
	const char *prev;     /* the site being replaced (its run pages may be taken over) */
	int pages_only;       /* a few pages (check --site), no index or regressions to lead to */
	char stamp[160];      /* the first line of a run page: what wrote it, with which links */
	const struct report_link *links;
	size_t n_links;
	struct judge_flags flags; /* everything flagged, all targets */
	struct report_summary *sum;
	/* The runs the pages link, as each link is written (duplicates and all): the site's run
	 * pages are these and no others, so every page is reachable and a history of 5,000
	 * revisions does not mean 15,000 run pages nobody links.  `bad`: a link that could not
	 * be kept (LB_ENOMEM, or LB_EINVAL for an id longer than a run id). */
	struct {
		char (*id)[LB_RUN_ID_LEN + 1];
		size_t n, cap;
		int bad;
	} linked;
};

/* Text for HTML: & < > " ' escaped. */
void report_esc(FILE *f, const char *s);
/* The head of a page (its title escaped) and, in a whole dashboard, the navigation. */
void report_page_begin(const struct site *s, FILE *f, const char *title);
/* A file name part: letters, digits, '.', '-' kept, the rest '_'. */
void report_safe(char *out, size_t size, const char *s);
/* The commit link of a target, malloc'ed, or NULL. */
char *report_commit_href(const struct report_link *links, size_t n, const char *target, const char *sha);
/* A new page NAME in the site (counted), or NULL with err set. */
FILE *report_open_page(struct site *s, const char *name, struct lb_error *err);
/* The foot of the page, then closed; an error if anything could not be written. */
int report_close_page(FILE *f, struct lb_error *err);

/* The page of run `id` (r-ID.html), or the previous site's when it still holds. */
int report_run_page(struct site *s, const char *id, struct lb_error *err);
/* A link to run `id`'s page reading `number` (its place among its revision's runs; 0: the
 * id's first 12 characters), the run counted among those whose pages the site must have. */
void report_run_link(struct site *s, FILE *f, const char *id, size_t number);
/* The pages of every run linked so far, once each (shared among the machine's cores when
 * there are many); the list is emptied. */
int report_linked_run_pages(struct site *s, struct lb_error *err);
/* What a run page depends on besides its run, into s->stamp. */
int report_run_page_stamp(struct site *s, struct lb_error *err);

/* A metric's trend as an interactive chart (dygraphs): the points (x: the revision's index
 * in revs), the changes of level at `cuts`, the noise band (NaN: none). */
int report_trend_chart(FILE *f, const char *metric, const struct store_revision_row *revs, const struct pt *p, size_t np,
		       const double *cuts, const char *const *cut_labels, size_t n_cuts, double band_lo, double band_hi,
		       struct lb_error *err);
/* Several metrics of one scenario on one chart (dygraphs): values[m * n + i] is metric m
 * at revs[i] (NaN: none), each series drawn as times its first figure on a log axis, the
 * first `shown` visible, a checkbox per series. */
int report_overlay_chart(FILE *f, const struct store_revision_row *revs, size_t n, const char *const *metrics,
			 size_t n_metrics, const double *values, size_t shown, struct lb_error *err);
/* The charting library's files (Makefile: xxd of Debian's libjs-dygraphs), written beside
 * the pages. */
extern unsigned char report_dygraph_js[], report_dygraph_css[];
extern unsigned int report_dygraph_js_len, report_dygraph_css_len;

/* The page comparing two revisions of a scenario ("what grew": metrics, census labels by
 * growth, live bytes per step), named by report_compare_name; written once per report. */
int report_compare_page(struct site *s, const char *target, const char *scenario, const char *base, const char *cand,
			struct lb_error *err);

#endif
