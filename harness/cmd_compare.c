/*
 * cmd_compare.c - `leakbench compare BASE NEW`: two revisions' stored runs side by side, per
 * metric the medians, the change with its interval, the p-value, the threshold and the
 * verdict; then the census labels whose bytes changed most.  Text (coloured on a terminal),
 * --markdown (for a pull request or a CI summary) or --json.
 *
 * Nothing is measured here: compare reads what run and sweep stored.  Exit status 1 when a
 * metric regressed, so a script can act on it.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/text.h"
#include "harness/cli.h"
#include "harness/cmd.h"
#include "harness/context.h"
#include "harness/target.h"
#include "results/judge.h"

/* A change: a percentage for ratios, else in the metric's own terms. */
static const char *change(const struct judge_row *r, double v, char *buf, size_t size)
{
	if (isinf(v))
		snprintf(buf, size, "%s", v < 0 ? "-inf" : "+inf");
	else if (r->log)
		snprintf(buf, size, "%+.1f%%", 100 * v);
	else {
		char b[32];
		snprintf(buf, size, "%s%s", v < 0 ? "-" : "+", text_metric(r->metric, fabs(v), b, sizeof(b)));
	}
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

void compare_print_text(const struct judge_report *rep, const char *target, const char *base, const char *cand,
		       const char *scenario, int colour)
{
	printf("compare %s, scenario %s: %.12s (base) -> %.12s\n\n", target, scenario, base, cand);
	printf("%-26s %12s %12s %9s  %-22s %8s %9s  %s\n", "metric", "base", "new", "change", "95% interval", "p",
	       "threshold", "verdict");
	for (size_t i = 0; i < rep->n_rows; i++) {
		const struct judge_row *r = &rep->rows[i];
		char b[32], n[32], c[32], lo[32], hi[32], iv[70], tau[32];
		snprintf(iv, sizeof(iv), "[%s, %s]", change(r, r->lo, lo, sizeof(lo)), change(r, r->hi, hi, sizeof(hi)));
		double p = r->change >= 0 ? r->c.p_up : r->c.p_down;
		const char *v = detect_verdict_name(r->c.verdict);
		const char *on = !colour ? ""
				 : r->c.verdict == DETECT_REGRESSION ? "\033[31m"
				 : r->c.verdict == DETECT_IMPROVEMENT ? "\033[32m"
				 : r->c.verdict == DETECT_UNKNOWN ? "\033[33m" : "";
		printf("%-26s %12s %12s %9s  %-22s %8.3g %9s  %s%s%s (%zu vs %zu runs)\n", r->metric,
		       text_metric(r->metric, r->base, b, sizeof(b)), text_metric(r->metric, r->cand, n, sizeof(n)),
		       change(r, r->change, c, sizeof(c)), iv, p, threshold(r, tau, sizeof(tau)),
		       on, v, *on ? "\033[0m" : "", r->m, r->n);
	}
	if (rep->unknowns)
		printf("\nunknown: the runs cannot tell yet; more repeats a side would (sweep --resume --repeat N)\n");
	if (rep->n_labels) {
		printf("\ncensus labels whose bytes changed most (median of each run's peak)\n");
		for (size_t i = 0; i < rep->n_labels; i++) {
			const struct judge_label *l = &rep->labels[i];
			char b[32], n[32], d[32];
			double diff = l->cand - l->base;
			printf("  %-44s %10s -> %-10s %s%s\n", l->label, text_bytes(l->base, b, sizeof(b)),
			       text_bytes(l->cand, n, sizeof(n)), diff < 0 ? "-" : "+", text_bytes(fabs(diff), d, sizeof(d)));
		}
	}
}

static void print_markdown(const struct judge_report *rep, const char *target, const char *base, const char *cand,
			   const char *scenario)
{
	printf("### leakbench: %s, scenario `%s`: `%.12s` → `%.12s`\n\n", target, scenario, base, cand);
	printf("| metric | base | new | change | 95%% interval | p | threshold | verdict |\n");
	printf("|---|---:|---:|---:|---|---:|---:|---|\n");
	for (size_t i = 0; i < rep->n_rows; i++) {
		const struct judge_row *r = &rep->rows[i];
		char b[32], n[32], c[32], lo[32], hi[32], tau[32];
		printf("| `%s` | %s | %s | %s | [%s, %s] | %.3g | %s | %s%s%s |\n", r->metric,
		       text_metric(r->metric, r->base, b, sizeof(b)), text_metric(r->metric, r->cand, n, sizeof(n)),
		       change(r, r->change, c, sizeof(c)), change(r, r->lo, lo, sizeof(lo)), change(r, r->hi, hi, sizeof(hi)),
		       r->change >= 0 ? r->c.p_up : r->c.p_down, threshold(r, tau, sizeof(tau)),
		       r->c.verdict == DETECT_REGRESSION ? "**" : "", detect_verdict_name(r->c.verdict),
		       r->c.verdict == DETECT_REGRESSION ? "**" : "");
	}
	if (rep->n_labels) {
		printf("\n| census label | base | new |\n|---|---:|---:|\n");
		for (size_t i = 0; i < rep->n_labels; i++) {
			char b[32], n[32];
			printf("| `%s` | %s | %s |\n", rep->labels[i].label, text_bytes(rep->labels[i].base, b, sizeof(b)),
			       text_bytes(rep->labels[i].cand, n, sizeof(n)));
		}
	}
}

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static int print_json(const struct judge_report *rep, const char *target, const char *base, const char *cand,
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
	int rc = !o || json_dumpf(o, stdout, JSON_INDENT(2)) != 0;
	putchar('\n');
	json_decref(o);
	return rc;
}

int cmd_compare(int argc, char **argv)
{
	const char *target = NULL, *scenario = NULL, *config = NULL, *db = NULL;
	char *metric_words = NULL;
	int as_json = 0, as_markdown = 0;
	const struct cli_option options[] = {
		{"target", CLI_STRING, &target, "NAME", "the target (default: the config's only one)"},
		{"scenario", CLI_STRING, &scenario, "NAME", "the scenario (default: the newest both have runs of)"},
		{"metric", CLI_APPEND, &metric_words, "NAME", "compare this metric (repeatable; default: the headline ones)"},
		{"json", CLI_FLAG, &as_json, NULL, "print JSON"},
		{"markdown", CLI_FLAG, &as_markdown, NULL, "print a Markdown table (for a pull request or CI summary)"},
		{"config", CLI_STRING, &config, "FILE", "the config (default leakbench.ini, when there is one)"},
		{"db", CLI_STRING, &db, "FILE", "the results database (default: the config's, else leakbench.db)"},
		{NULL, 0, NULL, NULL, NULL},
	};
	const struct cli_command cmd = {
		"compare", "compare BASE NEW [--scenario NAME] [--metric NAME]... [--json | --markdown]",
		"Compare two revisions' stored runs: change, interval, verdict per metric.",
		"BASE and NEW are revisions of the target (a branch, tag or sha through its mirror when\n"
		"the config has it, else a prefix of a stored sha).  Each metric's change is the\n"
		"Hodges-Lehmann shift of NEW over BASE (a ratio for bytes and seconds) with its 95%\n"
		"interval; the verdict is regression or improvement when the one-sided Mann-Whitney\n"
		"p <= 0.01 and the change passes the threshold (the largest of the metric's floor, the\n"
		"config's [thresholds] and the noise in the target's history), same when the interval\n"
		"lies within the threshold, unknown when more runs are needed.\n"
		"Exit status: 0 no metric regressed, 1 one did, 2 usage, 3 the database could not be read.",
		options, 0};
	int nargs, first = cli_parse(&cmd, argc, argv, &nargs);
	if (first < 0)
		return first == -1 ? LB_EXIT_OK : -first;
	int code = LB_EXIT_USAGE;
	struct cmd_context x = {0};
	struct judge_report rep = {0};
	char **metrics = NULL, base[41], cand[41], sc[128];
	struct lb_error err = {0};
	if (nargs != 2 || (as_json && as_markdown)) {
		fprintf(stderr, "leakbench compare: %s (usage: %s)\n",
			nargs != 2 ? "give BASE and NEW" : "--json or --markdown, not both", cmd.usage);
		goto out;
	}
	if (cmd_metrics("compare", metric_words, &metrics))
		goto out;
	if ((code = cmd_context_open(&x, "compare", config, target, db, 0)))
		goto out;
	code = LB_EXIT_USAGE;
	if (target_resolve(x.cfg, x.t, x.st, x.target, argv[first], base, &err) ||
	    target_resolve(x.cfg, x.t, x.st, x.target, argv[first + 1], cand, &err)) {
		fprintf(stderr, "leakbench compare: %s\n", err.msg);
		goto out;
	}
	if (!scenario) {
		if (store_common_scenario(x.st, x.target, cand, base, sc, sizeof(sc), &err)) {
			fprintf(stderr, "leakbench compare: %s\n", err.msg);
			code = LB_EXIT_ERROR;
			goto out;
		}
		if (!sc[0]) {
			fprintf(stderr, "leakbench compare: %.12s and %.12s have no scenario with runs in common in %s\n",
				base, cand, x.db);
			goto out;
		}
		scenario = sc;
	}
	struct judge_req q = {.target = x.target, .base = base, .cand = cand, .scenario = scenario,
			      .metrics = (const char *const *)metrics, .thresholds = x.cfg ? x.cfg->thresholds : NULL,
			      .n_thresholds = x.cfg ? x.cfg->n_thresholds : 0};
	int rc = judge_revisions(x.st, &q, &rep, &err);
	if (rc) {
		fprintf(stderr, "leakbench compare: %s\n", err.msg);
		code = rc == LB_ENOTFOUND ? LB_EXIT_USAGE : LB_EXIT_ERROR;
		goto out;
	}
	if (as_json)
		rc = print_json(&rep, x.target, base, cand, scenario);
	else if (as_markdown)
		print_markdown(&rep, x.target, base, cand, scenario);
	else
		compare_print_text(&rep, x.target, base, cand, scenario, isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
	code = rc ? LB_EXIT_ERROR : rep.regressions ? LB_EXIT_FAIL : LB_EXIT_OK;
out:
	judge_report_free(&rep);
	cmd_context_close(&x);
	free(metrics);
	cli_free(&cmd);
	return code;
}
