/*
 * cmd_bisect.c - `leakbench bisect --good G --bad B`: the first bad commit of a regression or
 * a leak, found by leakbench itself over the first-parent commits of G..B (harness/bisect.h
 * does the search; this file is its command line and its exit status).
 */
#include <stdio.h>
#include <string.h>

#include "harness/bisect.h"
#include "harness/cli.h"
#include "harness/cmd.h"

int cmd_bisect(int argc, char **argv)
{
	const char *good = NULL, *bad = NULL;
	struct decide_opts d;
	decide_opts_init(&d);
	const struct cli_option options[] = {
		{"good", CLI_STRING, &good, "REV", "a revision without the regression (required)"},
		{"bad", CLI_STRING, &bad, "REV", "a later revision with it (required)"},
		{"metric", CLI_STRING, &d.metric_words, "NAME", "bisect this metric's regression only"},
		{"leak", CLI_FLAG, &d.leak, NULL, "bisect the scenario's expectations only (a leak within the run)"},
		{"repeat", CLI_INT, &d.repeat, "N", "runs per revision to begin with (default: the scenario's, at least 5)"},
		{"max-repeat", CLI_INT, &d.max_repeat, "N", "runs per revision at most while unclear (default 20)"},
		DECIDE_OPTIONS(d),
		OPT_END,
	};
	const struct cli_command cmd = {
		"bisect", "bisect --good REV --bad REV [--scenario NAME] [--metric NAME | --leak] [options]",
		"Find the first bad commit between a good and a bad revision.",
		"Each step measures a first-parent commit of GOOD..BAD (reusing stored runs and cached\n"
		"builds) and judges it against GOOD as `leakbench check` does: by default on the\n"
		"headline metrics, the leak shapes the scenario stored (exponent:, slope:, peak:) and\n"
		"its expectations, with --metric on that metric, with\n"
		"--leak on the expectations.  Commits that do not build are skipped.  The result (the\n"
		"commit, its evidence against the last good one, what the search cost) is printed and\n"
		"stored.\n"
		"Exit status: 0 found, 1 inconclusive (only unbuildable or undecided commits were left),\n"
		"2 usage (GOOD not an ancestor of BAD, GOOD already bad, BAD not bad), 3 harness error,\n"
		"130 interrupted.",
		options, 0};
	int first, nargs, parsed = cli_parse(&cmd, argc, argv, &first, &nargs);
	if (parsed != CLI_GO_ON)
		return parsed;
	int code = LB_EXIT_USAGE;
	struct lb_error err = {0};
	struct decide_session s;
	struct bisect_result res = {0};
	memset(&s, 0, sizeof(s));
	const char *why_usage = nargs ? "unexpected argument" : !good || !bad ? "--good and --bad are required"
					: d.metric_words && d.leak ? "--metric or --leak, not both" : NULL;
	if (why_usage) {
		fprintf(stderr, "leakbench bisect: %s (usage: %s)\n", why_usage, cmd.usage);
		goto out;
	}
	const char *metric = d.metric_words;
	if (decide_session_open(&s, "bisect", &d))
		goto out;
	s.x.use_expectations = !metric; /* --metric: that metric alone */
	int rc = bisect_run(&s, good, bad, d.leak, metric, &res, &err);
	if (rc) {
		cli_error("bisect", &err);
		code = rc == LB_EINVAL ? LB_EXIT_USAGE : rc == LB_EINTR ? LB_EXIT_INTR : LB_EXIT_ERROR;
		goto out;
	}
	bisect_print(&s, &res, d.leak);
	code = res.found ? LB_EXIT_OK : LB_EXIT_FAIL;
out:
	bisect_result_free(&res);
	decide_session_close(&s);
	cli_free(&cmd);
	return code;
}
