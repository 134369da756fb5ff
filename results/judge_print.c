/*
 * judge_print.c - a comparison of two revisions (results/judge.h) written for people and
 * for programs: a text table (coloured on a terminal), Markdown (a pull request, a CI job's
 * summary) or JSON.  What compare prints, and check and bisect as their evidence.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>

#include <stdint.h>
#include <stdlib.h>

#include "base/text.h"
#include "results/judge.h"
#include "results/report.h"

const char *judge_format_change(const struct judge_row *r, double v, char *buf, size_t size)
{
	if (isinf(v))
		snprintf(buf, size, "%s", v < 0 ? "-inf" : "+inf");
	else if (r->log)
		snprintf(buf, size, "%+.1f%%", 100 * v);
	else
		text_metric_change(r->metric, v, buf, size);
	return buf;
}

static const char *threshold(const struct judge_row *r, char *buf, size_t size)
{
	if (r->log)
		snprintf(buf, size, "%.1f%%", 100 * r->tau);
	else
		text_metric(r->metric, r->tau, buf, size);
	return buf;
}

void judge_print_text(FILE *out, const struct judge_report *rep, const char *target, const char *base, const char *cand,
		      const char *scenario, int colour)
{
	fprintf(out, "compare %s, scenario %s: %.12s (base) -> %.12s\n\n", target, scenario, base, cand);
	fprintf(out, "%-26s %12s %12s %9s  %-22s %8s %9s  %s\n", "metric", "base", "new", "change", "95% interval", "p",
	       "threshold", "verdict");
	for (size_t i = 0; i < rep->n_rows; i++) {
		const struct judge_row *r = &rep->rows[i];
		char b[32], n[32], c[32], lo[32], hi[32], iv[70], tau[32];
		snprintf(iv, sizeof(iv), "[%s, %s]", judge_format_change(r, r->lo, lo, sizeof(lo)),
			 judge_format_change(r, r->hi, hi, sizeof(hi)));
		double p = r->change >= 0 ? r->c.p_up : r->c.p_down;
		const char *v = detect_verdict_name(r->c.verdict);
		const char *on = !colour ? ""
				 : r->c.verdict == DETECT_REGRESSION ? "\033[31m"
				 : r->c.verdict == DETECT_IMPROVEMENT ? "\033[32m"
				 : r->c.verdict == DETECT_UNKNOWN ? "\033[33m" : "";
		fprintf(out, "%-26s %12s %12s %9s  %-22s %8.3g %9s  %s%s%s (%zu vs %zu runs)\n", r->metric,
		       text_metric(r->metric, r->base, b, sizeof(b)), text_metric(r->metric, r->cand, n, sizeof(n)),
		       judge_format_change(r, r->change, c, sizeof(c)), iv, p, threshold(r, tau, sizeof(tau)),
		       on, v, *on ? "\033[0m" : "", r->m, r->n);
	}
	if (rep->unknowns)
		fprintf(out, "\nunknown: the runs cannot tell yet; more repeats a side would (sweep --resume --repeat N)\n");
	if (rep->n_labels) {
		fprintf(out, "\ncensus labels whose bytes changed most (median of each run's peak)\n");
		for (size_t i = 0; i < rep->n_labels; i++) {
			const struct judge_label *l = &rep->labels[i];
			char b[32], n[32], d[32];
			double diff = l->cand - l->base;
			fprintf(out, "  %-44s %10s -> %-10s %s%s\n", l->label, text_bytes(l->base, b, sizeof(b)),
			       text_bytes(l->cand, n, sizeof(n)), diff < 0 ? "-" : "+", text_bytes(fabs(diff), d, sizeof(d)));
		}
	}
}

/* Text in a Markdown table cell: a '|' would end the cell. */
static void cell(FILE *out, const char *s)
{
	for (; s && *s; s++)
		fputs(*s == '|' ? "\\|" : *s == '\n' ? " " : (char[]){*s, 0}, out);
}

void judge_print_markdown(FILE *out, const struct judge_report *rep, const char *target, const char *base, const char *cand,
			   const char *scenario)
{
	fprintf(out, "### leakbench: %s, scenario `%s`: `%.12s` → `%.12s`\n\n", target, scenario, base, cand);
	fprintf(out, "| metric | base | new | change | 95%% interval | p | threshold | verdict |\n");
	fprintf(out, "|---|---:|---:|---:|---|---:|---:|---|\n");
	for (size_t i = 0; i < rep->n_rows; i++) {
		const struct judge_row *r = &rep->rows[i];
		char b[32], n[32], c[32], lo[32], hi[32], tau[32];
		fprintf(out, "| `%s` | %s | %s | %s | [%s, %s] | %.3g | %s | %s%s%s |\n", r->metric,
		       text_metric(r->metric, r->base, b, sizeof(b)), text_metric(r->metric, r->cand, n, sizeof(n)),
		       judge_format_change(r, r->change, c, sizeof(c)), judge_format_change(r, r->lo, lo, sizeof(lo)),
		       judge_format_change(r, r->hi, hi, sizeof(hi)),
		       r->change >= 0 ? r->c.p_up : r->c.p_down, threshold(r, tau, sizeof(tau)),
		       r->c.verdict == DETECT_REGRESSION ? "**" : "", detect_verdict_name(r->c.verdict),
		       r->c.verdict == DETECT_REGRESSION ? "**" : "");
	}
	if (rep->n_labels) {
		fprintf(out, "\n| census label | base | new |\n|---|---:|---:|\n");
		for (size_t i = 0; i < rep->n_labels; i++) {
			char b[32], n[32];
			fputs("| `", out);
			cell(out, rep->labels[i].label); /* a constructor such as base:GHC.Base.:| */
			fprintf(out, "` | %s | %s |\n", text_bytes(rep->labels[i].base, b, sizeof(b)),
				text_bytes(rep->labels[i].cand, n, sizeof(n)));
		}
	}
}

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

int judge_print_json(FILE *out, const struct judge_report *rep, const char *target, const char *base, const char *cand,
		      const char *scenario)
{
	json_t *rows = json_array(), *labels = json_array();
	for (size_t i = 0; i < rep->n_rows; i++) {
		const struct judge_row *r = &rep->rows[i];
		json_array_append_new(
			rows, json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:s, s:I, s:I}", "metric",
					r->metric, "base", num(r->base), "new", num(r->cand), "change", num(r->change),
					"lo", num(r->lo), "hi", num(r->hi), "p_up", num(r->c.p_up), "p_down",
					num(r->c.p_down), "threshold", num(r->tau), "ratio", r->log, "verdict",
					detect_verdict_name(r->c.verdict), "base_runs", (json_int_t)r->m, "new_runs",
					(json_int_t)r->n));
	}
	for (size_t i = 0; i < rep->n_labels; i++)
		json_array_append_new(labels, json_pack("{s:s, s:f, s:f}", "label", rep->labels[i].label, "base",
							rep->labels[i].base, "new", rep->labels[i].cand));
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:i}", "target", target, "base", base, "new", cand,
			      "scenario", scenario, "metrics", rows, "census", labels, "regressions", rep->regressions);
	int rc = !o || json_dumpf(o, out, JSON_INDENT(2)) != 0;
	fputc('\n', out);
	json_decref(o);
	return rc;
}


int judge_print_flags_markdown(FILE *out, struct store *st, const struct judge_flags *fl, struct lb_error *err)
{
	size_t open = 0;
	for (size_t i = 0; i < fl->n; i++)
		open += !fl->v[i].accepted;
	fprintf(out, "### leakbench: %zu flagged, %zu of them accepted\n\n", fl->n, fl->n - open);
	if (!fl->n)
		return 0;
	fprintf(out, "| target | scenario | what | from | to | subject | evidence |\n|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < fl->n; i++) {
		const struct judge_flag *f = &fl->v[i];
		fputs("| ", out);
		cell(out, f->target);
		fputs(" | ", out);
		cell(out, f->scenario);
		fputs(" | ", out);
		cell(out, f->what);
		fprintf(out, " | `%.12s` | `%.12s` | ", f->before, f->after);
		cell(out, f->subject);
		fputs(" | ", out);
		cell(out, f->detail);
		fprintf(out, "%s |\n", f->accepted ? " (accepted)" : "");
	}
	fprintf(out, "\n#### What grew\n\n");
	for (size_t i = 0; i < fl->n; i++) {
		const struct judge_flag *f = &fl->v[i];
		struct judge_report rep;
		struct judge_req q = {.target = f->target, .base = f->before, .cand = f->after, .scenario = f->scenario,
				      .max_labels = SIZE_MAX};
		int rc = judge_revisions(st, &q, &rep, err);
		if (rc == LB_ENOTFOUND)
			continue;
		if (rc)
			return rc;
		char page[700];
		report_compare_name(f->target, f->scenario, f->before, f->after, page, sizeof(page));
		fprintf(out, "- `%.12s` → `%.12s` (%s, `%s`; the dashboard's `%s`):", f->before, f->after, f->target,
			f->scenario, page);
		if (rep.n_labels)
			qsort(rep.labels, rep.n_labels, sizeof(*rep.labels), judge_label_by_growth);
		size_t shown = 0;
		for (size_t k = 0; k < rep.n_labels && shown < 3; k++) {
			char a[32], b[32], d[32];
			const struct judge_label *l = &rep.labels[k];
			if (!isfinite(l->cand_growth) && l->cand <= l->base)
				break;
			fprintf(out, "%s `%s` %s → %s (+%s)", shown++ ? "," : "", l->label, text_bytes(l->base, a, sizeof(a)),
				text_bytes(l->cand, b, sizeof(b)), text_bytes(l->cand - l->base, d, sizeof(d)));
		}
		fprintf(out, "%s\n", shown ? "" : " no census label grew");
		judge_report_free(&rep);
	}
	return 0;
}
