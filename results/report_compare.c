/*
 * report_compare.c - "what grew": one page per flagged change and per bisection, the two
 * revisions side by side.  After a flag a maintainer's first questions are which metrics
 * moved and which closure types grew; the page answers both from the stored runs: every
 * metric judged as `compare` does (change, interval, p, verdict), the census labels ranked
 * by how much their peak grew with each side's growth per checkpoint, and the live bytes of
 * each side step by step on one chart with the scenario's marks.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "base/mem.h"
#include "base/text.h"
#include "results/record.h"
#include "results/report_int.h"

void report_compare_name(const char *target, const char *scenario, const char *base, const char *cand, char *out,
			 size_t size)
{
	char a[128], b[128];
	report_safe(a, sizeof(a), target);
	report_safe(b, sizeof(b), scenario);
	snprintf(out, size, "c-%s-%s-%.12s-%.12s.html", a, b, base, cand);
}

/* A run's `mark` steps: where they are (the step, from 1) and their names (malloc'ed). */
struct step_marks {
	double *x;
	char **label;
	size_t n;
};

static void step_marks_free(struct step_marks *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->label[i]);
	free(m->x), free(m->label);
}

/* The live bytes at each step of the first ok one of a revision's runs (x: the step, from
 * 1), and its marks when `marks` is not NULL; *np 0 when it has none. */
static int step_series(struct site *s, const struct store_value *runs, size_t n_runs, struct pt **p, size_t *np,
		       struct step_marks *marks, struct lb_error *err)
{
	*p = NULL, *np = 0;
	int rc = 0, found = 0;
	for (size_t r = 0; !rc && r < n_runs && !found; r++) {
		struct lb_run run;
		if ((rc = store_get_run(s->st, runs[r].key, &run, err)))
			break;
		if (run.status == LB_RUN_OK && run.n_steps) {
			found = 1;
			if (!(*p = calloc(run.n_steps, sizeof(**p))) ||
			    (marks && (!(marks->x = calloc(run.n_steps, sizeof(*marks->x))) ||
				       !(marks->label = calloc(run.n_steps, sizeof(*marks->label))))))
				rc = lb_error_oom(err);
			for (size_t i = 0; !rc && i < run.n_steps; i++) {
				double v = record_step_metric(&run, (int)i, "live_bytes");
				if (isfinite(v))
					(*p)[(*np)++] = (struct pt){.x = (double)(i + 1), .y = v, .lo = NAN, .hi = NAN};
				if (marks && !strcmp(run.steps[i].kind, "mark")) {
					if (!(marks->label[marks->n] = lb_strdup(run.steps[i].detail, err)))
						rc = err->code;
					else
						marks->x[marks->n++] = (double)(i + 1);
				}
			}
		}
		record_free(&run);
	}
	return rc;
}

static void bytes_cell(FILE *f, double v)
{
	char b[32];
	fprintf(f, "<td class=\"num\">%s</td>", isnan(v) ? "-" : text_bytes(v, b, sizeof(b)));
}

static void metrics_table(FILE *f, const struct judge_report *rep)
{
	fputs("<h2>every metric</h2>\n<table><tr><th>metric</th><th class=\"num\">base</th><th class=\"num\">new</th>"
	      "<th class=\"num\">change</th><th>95% interval</th><th class=\"num\">p</th><th>verdict</th></tr>\n",
	      f);
	for (size_t i = 0; i < rep->n_rows; i++) {
		const struct judge_row *r = &rep->rows[i];
		char b[32], n[32], c[32], lo[32], hi[32];
		judge_format_change(r, r->change, c, sizeof(c));
		judge_format_change(r, r->lo, lo, sizeof(lo));
		judge_format_change(r, r->hi, hi, sizeof(hi));
		const char *v = detect_verdict_name(r->c.verdict);
		fprintf(f, "<tr class=\"%s\"><td>", r->c.verdict == DETECT_REGRESSION ? "bad" : "");
		report_esc(f, r->metric);
		fprintf(f, "</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td>[%s, %s]</td>"
			   "<td class=\"num\">%.3g</td><td>%s (%zu vs %zu runs)</td></tr>\n",
			text_metric(r->metric, r->base, b, sizeof(b)), text_metric(r->metric, r->cand, n, sizeof(n)), c, lo, hi,
			r->change >= 0 ? r->c.p_up : r->c.p_down, v, r->m, r->n);
	}
	fputs("</table>\n", f);
}

static void census_table(FILE *f, struct judge_report *rep)
{
	fputs("<h2>what grew: census labels, those that grew at every checkpoint first</h2>\n", f);
	if (!rep->n_labels) {
		fputs("<p class=\"muted\">No heap census in either revision's runs (run them with one: the default).</p>\n", f);
		return;
	}
	qsort(rep->labels, rep->n_labels, sizeof(*rep->labels), judge_label_by_growth);
	fputs("<table class=\"census\"><tr><th>label</th><th class=\"num\">base peak</th><th class=\"num\">new peak</th>"
	      "<th class=\"num\">grew by</th><th class=\"num\">base per checkpoint</th>"
	      "<th class=\"num\">new per checkpoint</th></tr>\n",
	      f);
	for (size_t i = 0; i < rep->n_labels && i < 15; i++) {
		const struct judge_label *l = &rep->labels[i];
		fputs("<tr><td class=\"label\">", f);
		report_esc(f, l->label);
		fputs("</td>", f);
		bytes_cell(f, l->base);
		bytes_cell(f, l->cand);
		char d[40], b[32];
		snprintf(d, sizeof(d), "%s%s", l->cand >= l->base ? "+" : "-", text_bytes(fabs(l->cand - l->base), b, sizeof(b)));
		fprintf(f, "<td class=\"num\">%s</td>", d);
		bytes_cell(f, l->base_growth);
		bytes_cell(f, l->cand_growth);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n<p class=\"muted\">Per checkpoint: the label's Theil-Sen growth where it grew in a run that "
	      "leaked (- where it did not); those come first, fastest first, then the rest by how much their peak grew. "
	      "Peak: the median over each side's runs of the label's largest census.</p>\n",
	      f);
}

static const char *subject_of(const struct store_revision_row *revs, size_t n, const char *sha)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(revs[i].sha, sha))
			return revs[i].subject;
	return "";
}

int report_compare_page(struct site *s, const char *target, const char *scenario, const char *base, const char *cand,
			struct lb_error *err)
{
	char name[700], *path = NULL;
	report_compare_name(target, scenario, base, cand, name, sizeof(name));
	if (asprintf(&path, "%s/%s", s->dir, name) < 0)
		return lb_error_oom(err);
	int done = access(path, F_OK) == 0; /* one page per pair, however often it is flagged */
	free(path);
	if (done)
		return 0;
	struct judge_report rep = {0};
	struct judge_req q = {.target = target, .base = base, .cand = cand, .scenario = scenario, .max_labels = SIZE_MAX};
	int jr = judge_revisions(s->st, &q, &rep, err);
	if (jr && jr != LB_ENOTFOUND)
		return jr;
	struct store_revision_row *revs = NULL;
	size_t n_revs = 0;
	struct pt *a = NULL, *b = NULL;
	size_t na = 0, nb = 0;
	struct step_marks marks = {0};
	struct store_value *runs[2] = {NULL, NULL}; /* each side's, for its chart and its links */
	size_t n_runs[2] = {0, 0};
	FILE *f = NULL;
	int rc = store_measured_revisions(s->st, target, scenario, &revs, &n_revs, err);
	if (!rc)
		rc = store_runs_of_revision(s->st, target, base, scenario, &runs[0], &n_runs[0], err);
	if (!rc)
		rc = store_runs_of_revision(s->st, target, cand, scenario, &runs[1], &n_runs[1], err);
	if (!rc)
		rc = step_series(s, runs[0], n_runs[0], &a, &na, &marks, err);
	if (!rc)
		rc = step_series(s, runs[1], n_runs[1], &b, &nb, NULL, err);
	if (!rc && !(f = report_open_page(s, name, err)))
		rc = err->code;
	if (!rc) {
		char title[400];
		snprintf(title, sizeof(title), "%s · %s: %.12s → %.12s", target, scenario, base, cand);
		report_page_begin(s, f, title);
		const char *const shas[] = {base, cand}, *const sides[] = {"base", "new"};
		fputs("<table>\n", f);
		for (int k = 0; k < 2; k++) {
			char *href = report_commit_href(s->links, s->n_links, target, shas[k]);
			fprintf(f, "<tr><td>%s</td><td><code>", sides[k]);
			if (href) {
				fputs("<a href=\"", f);
				report_esc(f, href);
				fputs("\">", f);
			}
			report_esc(f, shas[k]);
			fputs(href ? "</a>" : "", f);
			fputs("</code></td><td>", f);
			report_esc(f, subject_of(revs, n_revs, shas[k]));
			fputs("</td><td>runs:", f);
			free(href);
			for (size_t r = 0; r < n_runs[k]; r++) {
				fputc(' ', f);
				report_run_link(s, f, runs[k][r].key, r + 1);
			}
			fputs("</td></tr>\n", f);
		}
		fputs("</table>\n", f);
		census_table(f, &rep);
		if (jr == LB_ENOTFOUND)
			fputs("<p class=\"muted\">No metric that both revisions measured.</p>\n", f);
		else
			metrics_table(f, &rep);
		fputs("<h2>live bytes at each step</h2>\n", f);
		if (na || nb) {
			struct chart c = {.w = 960, .h = 280, .metric = "live_bytes", .band_lo = NAN, .band_hi = NAN,
					  .cuts = marks.x, .n_cuts = marks.n, .cut_labels = (const char *const *)marks.label,
					  .second = b, .n_second = nb};
			report_chart(f, &c, a, na);
			fputs("<p class=\"muted\">Blue: the base's first ok run; orange: the new one's; x: the scenario's "
			      "steps, its marks dashed. Each figure is the live bytes after the step's last major GC.</p>\n",
			      f);
		} else {
			fputs("<p class=\"muted\">Neither side stored live bytes per step.</p>\n", f);
		}
		rc = report_close_page(f, err);
	}
	step_marks_free(&marks);
	free(runs[0]), free(runs[1]);
	free(a), free(b), free(revs);
	judge_report_free(&rep);
	return rc;
}

int report_compare_write(struct store *st, const char *dir, const struct report_link *links, size_t n_links,
			 const char *target, const char *scenario, const char *base, const char *cand, char *name,
			 size_t size, struct lb_error *err)
{
	struct report_summary sum = {0};
	struct site s = {.st = st, .dir = dir, .links = links, .n_links = n_links, .sum = &sum, .pages_only = 1};
	char *path = NULL;
	report_compare_name(target, scenario, base, cand, name, size);
	int rc = file_mkdirs(dir, err);
	if (!rc && asprintf(&path, "%s/%s", dir, name) < 0)
		rc = lb_error_oom(err);
	if (!rc && unlink(path) && errno != ENOENT)
		rc = lb_error_set(err, LB_EIO, "replacing %s: %s", path, strerror(errno));
	free(path);
	/* with the pages of the runs it links: a pull request's artifact has both sides' runs */
	if (!rc && !(rc = report_run_page_stamp(&s, err)) && !(rc = report_compare_page(&s, target, scenario, base, cand, err)))
		rc = report_linked_run_pages(&s, err);
	free(s.linked.id);
	return rc;
}
