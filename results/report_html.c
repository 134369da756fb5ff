/*
 * report_html.c - what every page of the dashboard is made of: escaping, a page's head and
 * foot, file names, commit links, and the SVG chart (one <circle> per point with a <title>
 * for the hover and an <a> for the click, so a page works without any script and a test can
 * count what is drawn).
 */
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
#include "base/mem.h"
#include "base/text.h"
#include "results/detect.h"
#include "results/record.h"
#include "results/report_int.h"

/* --- writing HTML ---------------------------------------------------------------------- */

void report_esc(FILE *f, const char *s)
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

void report_page_begin(const struct site *s, FILE *f, const char *title)
{
	fputs("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>", f);
	report_esc(f, title);
	fputs("</title>\n<style>\n"
	      "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}\n"
	      "table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left;vertical-align:top}\n"
	      "tr:nth-child(even){background:#f5f5f5}.num{text-align:right;font-variant-numeric:tabular-nums}\n"
	      "code{font-size:90%}svg{background:#fcfcfc;border:1px solid #ddd}\n"
	      ".bad{color:#b00}.ok{color:#070}.muted{color:#777}\n"
	      "</style></head><body>\n",
	      f);
	if (!s->pages_only)
		fputs("<p class=\"muted\"><a href=\"index.html\">leakbench</a> · <a href=\"regressions.html\">regressions</a></p>\n",
		      f);
	fputs("<h1>", f);
	report_esc(f, title);
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
void report_safe(char *out, size_t size, const char *s)
{
	size_t i = 0;
	for (; s && *s && i + 1 < size; s++)
		out[i++] = isalnum((unsigned char)*s) || *s == '.' || *s == '-' ? *s : '_';
	out[i] = '\0';
}

/* The commit link of a target, malloc'ed, or NULL. */
char *report_commit_href(const struct report_link *links, size_t n, const char *target, const char *sha)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(links[i].target, target) && links[i].url)
			return text_replace(links[i].url, "{sha}", sha);
	return NULL;
}

/* --- charts ---------------------------------------------------------------------------- */



void report_chart(FILE *f, const struct chart *c, const struct pt *p, size_t n)
{
	double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		x0 = fmin(x0, p[i].x), x1 = fmax(x1, p[i].x);
		y0 = fmin(y0, p[i].y), y1 = fmax(y1, p[i].y);
		if (!c->small && isfinite(p[i].lo) && isfinite(p[i].hi))
			y0 = fmin(y0, p[i].lo), y1 = fmax(y1, p[i].hi);
	}
	for (size_t i = 0; i < c->n_second; i++) {
		x0 = fmin(x0, c->second[i].x), x1 = fmax(x1, c->second[i].x);
		y0 = fmin(y0, c->second[i].y), y1 = fmax(y1, c->second[i].y);
	}
	if (!isnan(c->band_lo))
		y0 = fmin(y0, c->band_lo), y1 = fmax(y1, c->band_hi);
	if (!n && !c->n_second)
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
			report_esc(f, c->cut_labels[i]);
			fputs("</text>\n", f);
		}
	}
	if (c->n_second > 1) { /* the other side of a comparison, under the first */
		fputs("<polyline class=\"second\" fill=\"none\" stroke=\"#d80\" stroke-width=\"2\" points=\"", f);
		for (size_t i = 0; i < c->n_second; i++)
			fprintf(f, "%d,%d ", X(c->second[i].x), Y(c->second[i].y));
		fputs("\"/>\n", f);
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
			report_esc(f, p[i].href);
			fputs("\">", f);
		}
		fprintf(f, "<circle class=\"%s\" cx=\"%d\" cy=\"%d\" r=\"%d\" fill=\"%s\">",
			p[i].mark == 1 ? "point flagged" : p[i].mark == 2 ? "point accepted" : "point", X(p[i].x),
			Y(p[i].y), c->small ? 2 : p[i].mark ? 5 : 3, colour);
		if (p[i].title[0]) {
			fputs("<title>", f);
			report_esc(f, p[i].title);
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
			report_esc(f, c->x_first);
			fputs("</text>\n", f);
		}
		if (c->x_last) {
			fprintf(f, "<text class=\"xlabel\" x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">",
				c->w - right, c->h - 4);
			report_esc(f, c->x_last);
			fputs("</text>\n", f);
		}
	}
	fputs("</svg>\n", f);
#undef X
#undef Y
}

FILE *report_open_page(struct site *s, const char *name, struct lb_error *err)
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

int report_close_page(FILE *f, struct lb_error *err)
{
	page_end(f);
	int bad = ferror(f);
	if (fclose(f) != 0 || bad)
		return lb_error_set(err, LB_EIO, "writing a page of the site: %s", strerror(errno));
	return 0;
}
