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
	const char *target = NULL, *good = NULL, *bad = NULL, *scenario = NULL, *config = NULL, *db = NULL;
	const char *artifacts = NULL, *metric = NULL;
	int leak = 0, repeat = 0, max_repeat = 20;
	struct measure_cli mc;
	measure_defaults(&mc);
	const struct cli_option options[] = {
		{"target", CLI_STRING, &target, "NAME", "the target (default: the config's only one)"},
		{"good", CLI_STRING, &good, "REV", "a revision without the regression (required)"},
		{"bad", CLI_STRING, &bad, "REV", "a later revision with it (required)"},
		{"scenario", CLI_STRING, &scenario, "NAME", "the scenario (default: the one meant for the target)"},
		{"metric", CLI_STRING, &metric, "NAME", "bisect this metric's regression only"},
		{"leak", CLI_FLAG, &leak, NULL, "bisect the scenario's expectations only (a leak within the run)"},
		{"repeat", CLI_INT, &repeat, "N", "runs per revision to begin with (default: the scenario's, at least 5)"},
		{"max-repeat", CLI_INT, &max_repeat, "N", "runs per revision at most while unclear (default 20)"},
		{"config", CLI_STRING, &config, "FILE", "the config (default leakbench.ini)"},
		{"db", CLI_STRING, &db, "FILE", "the results database (default: the config's)"},
		{"artifacts", CLI_STRING, &artifacts, "DIR", "where the runs' files go"},
		MEASURE_OPTIONS(mc),
		{NULL, 0, NULL, NULL, NULL},
	};
	const struct cli_command cmd = {
		"bisect", "bisect --good REV --bad REV [--scenario NAME] [--metric NAME | --leak] [options]",
		"Find the first bad commit between a good and a bad revision.",
		"Each step measures a first-parent commit of GOOD..BAD (reusing stored runs and cached\n"
		"builds) and judges it against GOOD as `leakbench check` does: by default on the\n"
		"headline metrics and the scenario's expectations, with --metric on that metric, with\n"
		"--leak on the expectations.  Commits that do not build are skipped.  The result (the\n"
		"commit, its evidence against the last good one, what the search cost) is printed and\n"
		"stored.\n"
		"Exit status: 0 found, 1 inconclusive (only unbuildable or undecided commits were left),\n"
		"2 usage (GOOD not an ancestor of BAD, GOOD already bad, BAD not bad), 3 harness error,\n"
		"130 interrupted.",
		options, 0};
	int nargs, first = cli_parse(&cmd, argc, argv, &nargs);
	if (first < 0)
		return first == -1 ? LB_EXIT_OK : -first;
	int code = LB_EXIT_USAGE;
	struct lb_error err = {0};
	struct decide_session s;
	struct bisect_result res = {0};
	memset(&s, 0, sizeof(s));
	const char *why_usage = nargs ? "unexpected argument" : !good || !bad ? "--good and --bad are required"
					: metric && leak ? "--metric or --leak, not both" : NULL;
	if (why_usage) {
		fprintf(stderr, "leakbench bisect: %s (usage: %s)\n", why_usage, cmd.usage);
		goto out;
	}
	if (decide_session_open(&s, "bisect", config, target, scenario, (char *)metric, repeat, max_repeat, leak, db,
				artifacts, &mc))
		goto out;
	s.x.use_expectations = !metric; /* --metric: that metric alone */
	int rc = bisect_run(&s, good, bad, leak, metric, &res, &err);
	if (rc) {
		fprintf(stderr, "leakbench bisect: %s\n", err.msg);
		code = rc == LB_EINVAL ? LB_EXIT_USAGE : rc == LB_EINTR ? LB_EXIT_INTR : LB_EXIT_ERROR;
		goto out;
	}
	bisect_print(&s, &res, leak);
	code = res.found ? LB_EXIT_OK : LB_EXIT_FAIL;
out:
	bisect_result_free(&res);
	decide_session_close(&s);
	cli_free(&cmd);
	return code;
}
