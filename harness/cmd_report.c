/*
 * cmd_report.c - `leakbench report [--out DIR]`: the static dashboard from the database
 * (results/report.c writes it; this command finds the database, the folder and each
 * target's commit links in the config).
 */
#include <stdio.h>
#include <stdlib.h>

#include "harness/cli.h"
#include "harness/cmd.h"
#include "harness/context.h"
#include "results/report.h"

int cmd_report(int argc, char **argv)
{
	const char *out = NULL, *config = NULL, *db = NULL;
	const struct cli_option options[] = {
		{"out", CLI_STRING, &out, "DIR", "where the site goes (default: the config's site, else site/)"},
		OPT_CONFIG_IF_ANY(config),
		OPT_DB_OF_CONFIG_IF_ANY(db),
		OPT_END,
	};
	const struct cli_command cmd = {
		"report", "report [--out DIR]", "Write the static dashboard: trends, regressions, runs.",
		"index.html shows a small chart per target, scenario and headline metric (and leak\n"
		"shape: an exponent, a slope over time, a peak, with its interval); each links\n"
		"to the metric's trend (zoom and pan over the revisions, hover one for its commit,\n"
		"value and change, click to open the commit through the target's commit-url);\n"
		"regressions.html lists what the history flags and the bisections, each with a page\n"
		"of what grew; a run the site links (the newest 200 revisions' runs in each trend,\n"
		"both sides of each page of what grew, the newest 100 runs measured by hand on\n"
		"the index) has a page with its live bytes, heap and census over time.\n"
		"The site is HTML, SVG and the charting library (dygraphs) beside them, with no\n"
		"server and no network: open it from disk or any static host.\n"
		"It is written beside DIR and moved into place, so DIR is never half written.",
		options, 0};
	int first, nargs, parsed = cli_parse(&cmd, argc, argv, &first, &nargs);
	if (parsed != CLI_GO_ON)
		return parsed;
	if (nargs) {
		fprintf(stderr, "leakbench report: unexpected argument '%s' (usage: %s)\n", argv[first], cmd.usage);
		return LB_EXIT_USAGE;
	}
	struct cmd_context x;
	int code = cmd_context_open(&x, "report", config, NULL, db, CMD_ANY_TARGET);
	if (code)
		return code;
	size_t n = x.cfg ? x.cfg->n_targets : 0;
	struct report_link *links = calloc(n + 1, sizeof(*links));
	struct report_summary sum;
	struct lb_error err = {0};
	code = LB_EXIT_ERROR;
	if (!links)
		goto out;
	for (size_t i = 0; i < n; i++)
		links[i] = (struct report_link){x.cfg->targets[i].name, x.cfg->targets[i].commit_url};
	if (!out)
		out = x.cfg ? x.cfg->site : "site";
	if (report_write(x.st, out, links, n, &sum, &err)) {
		cli_error("report", &err);
		goto out;
	}
	printf("wrote %s/index.html: %zu pages (%zu runs, %zu of them unchanged since the last report), %zu flagged\n", out,
	       sum.pages, sum.runs, sum.reused, sum.flagged);
	code = LB_EXIT_OK;
out:
	free(links);
	cmd_context_close(&x);
	return code;
}
