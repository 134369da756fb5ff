/*
 * cmd_accept.c - `leakbench accept --rev R --metric M --reason TEXT`: a change is intended.
 *
 * From R on the metric is judged against R: check and bisect do not call the change a
 * regression, `regressions` lists it as accepted, and the metric's noise history starts
 * again at R.  A "Metric-Increase: M" line in R's commit message does the same when R is
 * swept (GHC's own convention).
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/digest.h"
#include "harness/cli.h"
#include "harness/cmd.h"
#include "harness/context.h"
#include "harness/target.h"
#include "results/judge.h"

int cmd_accept(int argc, char **argv)
{
	const char *target = NULL, *rev = NULL, *metric = NULL, *reason = NULL, *config = NULL, *db = NULL;
	const struct cli_option options[] = {
		OPT_TARGET(target),
		{"rev", CLI_STRING, &rev, "REV", "the revision whose change is intended (required)"},
		{"metric", CLI_STRING, &metric, "NAME", "the metric it changes (required)"},
		{"reason", CLI_STRING, &reason, "TEXT", "why (required; shown wherever the change is)"},
		OPT_CONFIG_IF_ANY(config),
		OPT_DB_OF_CONFIG_IF_ANY(db),
		OPT_END,
	};
	const struct cli_command cmd = {
		"accept", "accept --rev REV --metric NAME --reason TEXT [--target NAME]",
		"Mark a measured change as intended: the metric is judged against REV from then on.", NULL, options, 0};
	int first, nargs, parsed = cli_parse(&cmd, argc, argv, &first, &nargs);
	if (parsed != CLI_GO_ON)
		return parsed;
	if (nargs || !rev || !metric || !reason || !*reason) {
		fprintf(stderr, "leakbench accept: %s (usage: %s)\n",
			nargs ? "unexpected argument" : "--rev, --metric and --reason are required", cmd.usage);
		return LB_EXIT_USAGE;
	}
	char **known = NULL;
	int bad_metric = cmd_metrics("accept", (char *)metric, &known);
	free(known);
	if (bad_metric)
		return LB_EXIT_USAGE;
	struct cmd_context x;
	int code = cmd_context_open(&x, "accept", config, target, db, 0);
	if (code)
		return code;
	struct lb_error err = {0};
	char sha[LB_SHA_HEX + 1], stored[LB_SHA_HEX + 1];
	code = LB_EXIT_USAGE;
	if (target_resolve(x.cfg, x.t, x.st, x.target, rev, sha, &err) ||
	    store_find_revision(x.st, x.target, sha, stored, &err)) {
		fprintf(stderr, "leakbench accept: %s%s\n", err.msg,
			err.code == LB_ENOTFOUND ? " (measure it first: only a measured change can be accepted)" : "");
		goto out;
	}
	code = LB_EXIT_ERROR;
	if (store_put_acceptance(x.st, x.target, sha, metric, reason, &err)) {
		cli_error("accept", &err);
		goto out;
	}
	printf("accepted: %s of %s at %.12s (%s); it is judged against %.12s from now on\n", metric, x.target, sha,
	       reason, sha);
	code = LB_EXIT_OK;
out:
	cmd_context_close(&x);
	return code;
}
