/*
 * cmd_runs.c - `leakbench runs`: what is stored, newest first, one line per run.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/text.h"
#include "harness/cli.h"
#include "harness/cmd.h"
#include "harness/context.h"
#include "results/store.h"

static json_t *num_or_null(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

int cmd_runs(int argc, char **argv)
{
	const char *db = LB_DEFAULT_DB;
	int limit = 20, all = 0, json = 0;
	const struct cli_option options[] = {
		OPT_DB(db),
		{"limit", CLI_INT, &limit, "N", "show the newest N runs (default 20)"},
		{"all", CLI_FLAG, &all, NULL, "show every run"},
		{"json", CLI_FLAG, &json, NULL, "a JSON array instead of the table"},
		OPT_END,
	};
	const struct cli_command cmd = {"runs", "runs [options]",
					"List the stored runs, newest first.", NULL, options, 0};
	int first, nargs, parsed = cli_parse(&cmd, argc, argv, &first, &nargs);
	if (parsed != CLI_GO_ON)
		return parsed;
	if (nargs > 0) {
		fprintf(stderr, "leakbench runs: unexpected argument '%s'\n", argv[first]);
		return LB_EXIT_USAGE;
	}
	struct store *st = cmd_context_store("runs", db);
	if (!st)
		return LB_EXIT_ERROR;
	struct store_run_row *rows;
	size_t n;
	struct lb_error err = {0};
	if (store_list_runs(st, STORE_RUNS_ALL, all ? 0 : (size_t)limit, &rows, &n, &err)) {
		cli_error("runs", &err);
		store_close(st);
		return LB_EXIT_ERROR;
	}
	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(
				arr, json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s?, s:o, s:o, s:o}", "id",
					       rows[i].id, "started", rows[i].started, "program",
					       rows[i].program, "scenario",
					       rows[i].scenario[0] ? rows[i].scenario : NULL, "status",
					       rows[i].status, "verdict", rows[i].verdict[0] ? rows[i].verdict : NULL,
					       "allocated_bytes",
					       num_or_null(rows[i].allocated_bytes), "max_live_bytes",
					       num_or_null(rows[i].max_live_bytes), "wall_seconds",
					       num_or_null(rows[i].wall_seconds)));
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(arr);
	} else if (n == 0) {
		printf("no runs stored in %s\n", db);
	} else {
		printf("%-26s  %-19s  %-7s  %-12s  %11s  %11s  %9s  %s\n", "ID", "STARTED", "STATUS", "EXPECTATIONS",
		       "ALLOCATED", "MAX LIVE", "WALL", "PROGRAM");
		for (size_t i = 0; i < n; i++) {
			char a[32], l[32], w[32] = "-";
			if (!isnan(rows[i].wall_seconds))
				snprintf(w, sizeof(w), "%.3f s", rows[i].wall_seconds);
			printf("%-26s  %-19s  %-7s  %-12s  %11s  %11s  %9s  %s\n", rows[i].id, rows[i].started,
			       rows[i].status, rows[i].verdict[0] ? rows[i].verdict : "-",
			       text_bytes(rows[i].allocated_bytes, a, sizeof(a)),
			       text_bytes(rows[i].max_live_bytes, l, sizeof(l)), w, rows[i].program);
		}
	}
	free(rows);
	store_close(st);
	return LB_EXIT_OK;
}
