/*
 * cmd_regressions.c - `leakbench regressions`: what the stored history flags, newest first
 * (results/judge.c, judge_scan, does the looking): metrics that regressed between adjacent
 * revisions measured 5+ times, expectations newly broken, rises of level in a metric's trend
 * over single-run nights.  Accepted changes are shown as such and do not count for the exit
 * status.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/cmd.h"
#include "harness/context.h"
#include "results/judge.h"

int cmd_regressions(int argc, char **argv)
{
	const char *target = NULL, *scenario = NULL, *config = NULL, *db = NULL;
	char *metric_words = NULL;
	int markdown = 0;
	const struct cli_option options[] = {
		{"markdown", CLI_FLAG, &markdown, NULL, "Markdown for a CI log or an issue: the flags, then what grew at each"},
		{"target", CLI_STRING, &target, "NAME", "only this target (default: every target with runs)"},
		{"scenario", CLI_STRING, &scenario, "NAME", "only this scenario"},
		{"metric", CLI_APPEND, &metric_words, "NAME", "only these metrics (repeatable; default: the headline ones and stored leak shapes)"},
		OPT_CONFIG_IF_ANY(config),
		OPT_DB_OF_CONFIG_IF_ANY(db),
		OPT_END,
	};
	const struct cli_command cmd = {
		"regressions", "regressions [--target NAME] [--scenario NAME] [--metric NAME]... [--markdown]",
		"What the stored history flags, newest first.",
		"Adjacent measured revisions of every target and scenario are compared as `compare`\n"
		"does (5 runs a side are needed for a change to be significant); broken expectations\n"
		"are listed where a revision's runs mostly break them and its predecessor's did not.\n"
		"Exit status: 0 nothing flagged (or all of it accepted), 1 something is, 2 usage, 3 error.",
		options, 0};
	int first, nargs, parsed = cli_parse(&cmd, argc, argv, &first, &nargs);
	if (parsed != CLI_GO_ON)
		return parsed;
	int code = LB_EXIT_USAGE;
	struct cmd_context x = {0};
	struct judge_flags fl = {0};
	struct store_value *targets = NULL, *scenarios = NULL;
	size_t n_t = 0, n_s = 0;
	char **metrics = NULL;
	struct lb_error err = {0};
	if (nargs) {
		fprintf(stderr, "leakbench regressions: unexpected argument '%s' (usage: %s)\n", argv[first], cmd.usage);
		goto out;
	}
	if (cmd_metrics("regressions", metric_words, &metrics))
		goto out;
	/* without --target, every target with runs */
	if ((code = cmd_context_open(&x, "regressions", config, target, db, target ? 0 : CMD_ANY_TARGET)))
		goto out;
	code = LB_EXIT_ERROR;
	if (target) {
		if (!(targets = calloc(1, sizeof(*targets))))
			goto out;
		snprintf(targets[0].key, sizeof(targets[0].key), "%s", target);
		n_t = 1;
	} else if (store_targets(x.st, &targets, &n_t, &err)) {
		cli_error("regressions", &err);
		goto out;
	}
	for (size_t i = 0; i < n_t; i++) {
		free(scenarios);
		scenarios = NULL;
		if (store_scenarios_of(x.st, targets[i].key, &scenarios, &n_s, &err)) {
			cli_error("regressions", &err);
			goto out;
		}
		for (size_t j = 0; j < n_s; j++)
			if ((!scenario || !strcmp(scenario, scenarios[j].key)) &&
			    judge_scan(x.st, targets[i].key, scenarios[j].key, (const char *const *)metrics, &fl, &err)) {
				cli_error("regressions", &err);
				goto out;
			}
	}
	if (fl.n)
		qsort(fl.v, fl.n, sizeof(*fl.v), judge_flag_newest_first);
	size_t open = 0;
	for (size_t i = 0; i < fl.n; i++)
		open += !fl.v[i].accepted;
	if (markdown) {
		if (judge_print_flags_markdown(stdout, x.st, &fl, &err)) {
			cli_error("regressions", &err);
			goto out;
		}
		code = open ? LB_EXIT_FAIL : LB_EXIT_OK;
		goto out;
	}
	if (!fl.n)
		printf("nothing flagged in %s\n", x.db);
	for (size_t i = 0; i < fl.n; i++) {
		const struct judge_flag *f = &fl.v[i];
		printf("%-10s %-16s %-26s %.12s -> %.12s  %s%s\n%50s%s\n", f->target, f->scenario, f->what, f->before,
		       f->after, f->subject, f->accepted ? "  (accepted)" : "", "", f->detail);
	}
	if (fl.n)
		printf("\n%zu flagged, %zu of them accepted\n", fl.n, fl.n - open);
	code = open ? LB_EXIT_FAIL : LB_EXIT_OK;
out:
	free(fl.v);
	free(targets);
	free(scenarios);
	free(metrics);
	cmd_context_close(&x);
	cli_free(&cmd);
	return code;
}
