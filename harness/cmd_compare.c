/*
 * cmd_compare.c - `leakbench compare BASE NEW`: two revisions' stored runs side by side, per
 * metric the medians, the change with its interval, the p-value, the threshold and the
 * verdict; then the census labels whose bytes changed most.  Text (coloured on a terminal),
 * --markdown (for a pull request or a CI summary) or --json.
 *
 * Nothing is measured here: compare reads what run and sweep stored.  Exit status 1 when a
 * metric regressed, so a script can act on it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/digest.h"
#include "harness/cli.h"
#include "harness/cmd.h"
#include "harness/context.h"
#include "harness/target.h"
#include "results/judge.h"

int cmd_compare(int argc, char **argv)
{
	const char *target = NULL, *scenario = NULL, *config = NULL, *db = NULL;
	char *metric_words = NULL;
	int as_json = 0, as_markdown = 0;
	const struct cli_option options[] = {
		OPT_TARGET(target),
		{"scenario", CLI_STRING, &scenario, "NAME", "the scenario (default: the newest both have runs of)"},
		{"metric", CLI_APPEND, &metric_words, "NAME", "compare this metric (repeatable; default: the headline ones and stored leak shapes)"},
		{"json", CLI_FLAG, &as_json, NULL, "print JSON"},
		{"markdown", CLI_FLAG, &as_markdown, NULL, "print a Markdown table (for a pull request or CI summary)"},
		OPT_CONFIG_IF_ANY(config),
		OPT_DB_OF_CONFIG_IF_ANY(db),
		OPT_END,
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
	int first, nargs, parsed = cli_parse(&cmd, argc, argv, &first, &nargs);
	if (parsed != CLI_GO_ON)
		return parsed;
	int code = LB_EXIT_USAGE;
	struct cmd_context x = {0};
	struct judge_report rep = {0};
	char **metrics = NULL, base[LB_SHA_HEX + 1], cand[LB_SHA_HEX + 1], sc[128];
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
		cli_error("compare", &err);
		goto out;
	}
	if (!scenario) {
		if (store_common_scenario(x.st, x.target, cand, base, sc, sizeof(sc), &err)) {
			cli_error("compare", &err);
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
		cli_error("compare", &err);
		code = rc == LB_ENOTFOUND ? LB_EXIT_USAGE : LB_EXIT_ERROR;
		goto out;
	}
	if (as_json)
		rc = judge_print_json(stdout, &rep, x.target, base, cand, scenario);
	else if (as_markdown)
		judge_print_markdown(stdout, &rep, x.target, base, cand, scenario);
	else
		judge_print_text(stdout, &rep, x.target, base, cand, scenario, isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
	code = rc ? LB_EXIT_ERROR : rep.regressions ? LB_EXIT_FAIL : LB_EXIT_OK;
out:
	judge_report_free(&rep);
	cmd_context_close(&x);
	free(metrics);
	cli_free(&cmd);
	return code;
}
