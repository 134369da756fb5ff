/*
 * cmd_exec.c - `leakbench exec`: measure a program several times, store every run, print
 * the median, min and max of the headline metrics.
 *
 * Order of work: open the database (a bad --db fails before anything runs), probe the
 * target's RTS once (a refusal fails before anything is stored), capture the environment
 * once, then run and store each repeat in its own transaction, so an interrupted exec keeps
 * the repeats that finished.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/text.h"
#include "harness/cli.h"
#include "harness/cmd.h"
#include "harness/measure.h"
#include "results/store.h"

#define N_HEADLINE 16 /* room for lb_headlines */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* values[m][r]: metric m of repeat r (NaN when the run has no such figure). */
static void print_summary(double values[][64], int nruns, int nok)
{
	if (!nok) {
		printf("\nno run ended normally: no figures to sum up (leakbench show RUN says why)\n");
		return;
	}
	printf("\n%-12s %14s %14s %14s   (over %d ok run%s)\n", "metric", "median", "min", "max", nok,
	       nok == 1 ? "" : "s");
	for (size_t m = 0; m < N_HEADLINE && lb_headlines[m].name; m++) {
		double v[64];
		int n = 0;
		for (int r = 0; r < nruns; r++)
			if (!isnan(values[m][r]))
				v[n++] = values[m][r];
		if (!n)
			continue; /* not measured in any run (a step slope; RTS figures with --no-rts) */
		const char *name = lb_headlines[m].name;
		char a[32], b[32], c[32];
		qsort(v, (size_t)n, sizeof(*v), cmp_double);
		double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
		printf("%-12s %14s %14s %14s\n", lb_headlines[m].label, text_metric(name, med, a, sizeof(a)),
		       text_metric(name, v[0], b, sizeof(b)), text_metric(name, v[n - 1], c, sizeof(c)));
	}
}

int cmd_exec(int argc, char **argv)
{
	const char *db = LB_DEFAULT_DB, *artifacts = NULL;
	int repeat = 3;
	const char *ok_exit = NULL;
	unsigned char ok_exits[256];
	struct measure_cli mc;
	measure_defaults(&mc);
	const struct cli_option options[] = {
		OPT_DB(db),
		{"repeat", CLI_INT, &repeat, "N", "measured runs (default 3, at most 64)"},
		{"ok-exit", CLI_STRING, &ok_exit, "LIST",
		 "exit statuses that are a normal end (default 0; a linter: 0,1)"},
		MEASURE_OPTIONS(mc),
		OPT_ARTIFACTS(artifacts),
		OPT_END,
	};
	const struct cli_command cmd = {
		"exec", "exec [options] [--] PROGRAM [ARGS...]",
		"Run a GHC-built program several times under measurement and store each run.",
		"Each run gets +RTS -t<file> --machine-readable -l-agu -ol<file> -hT -i<secs> -RTS\n"
		"(each part can be turned off; --rts adds your own), its peak RSS from wait4 and\n"
		"its RSS sampled from /proc.  The program must be linked with -rtsopts (and, before\n"
		"GHC 9.4, -eventlog); leakbench checks this first and says how to fix it.  Prints\n"
		"the median, min and max of the headline metrics and where the artifacts are.\n"
		"Exit status: 0 every run ok, 1 a run crashed or timed out, 2 usage, 3 cannot measure.",
		options, 1};
	int first, nargs, parsed = cli_parse(&cmd, argc, argv, &first, &nargs);
	if (parsed != CLI_GO_ON)
		return parsed;
	if (measure_check(&mc, "exec")) {
		cli_free(&cmd);
		return LB_EXIT_USAGE;
	}
	int bad_exits = ok_exit && text_exit_codes(ok_exit, ok_exits);
	if (nargs < 1 || repeat < 1 || repeat > 64 || bad_exits) {
		fprintf(stderr, "leakbench exec: %s (see 'leakbench exec --help')\n",
			nargs < 1     ? "no program given: leakbench exec [options] -- PROGRAM [ARGS...]"
			: bad_exits ? "--ok-exit: expected exit statuses from 0 to 255 separated by commas (such as 0,1)"
				      : "--repeat must be between 1 and 64");
		cli_free(&cmd);
		return LB_EXIT_USAGE;
	}
	char **prog = argv + first;
	prog[nargs] = NULL; /* argv is NULL-terminated by C; positionals were compacted */

	struct exec_opts o = measure_exec_opts(&mc, prog);
	o.ok_exits = ok_exit ? ok_exits : NULL;
	struct lb_error err = {0};
	struct measure_start ms;
	char *art = measure_artifacts_dir(db, artifacts);
	int code = LB_EXIT_ERROR, nok = 0, nruns = 0, begun = 0;
	double values[N_HEADLINE][64];

	if (!art) {
		lb_error_oom(&err);
		goto fail;
	}
	if (measure_begin(&ms, db, &o, NULL, NULL, art, &err))
		goto fail;
	begun = 1;
	struct lb_environment env = ms.env;

	printf("measuring %s%s, %d run%s, database %s\n", prog[0],
	       mc.no_rts ? " (OS figures only)" : "", repeat, repeat == 1 ? "" : "s", db);
	if (env.ghc_version)
		printf("GHC %s, RTS way %s\n", env.ghc_version, env.rts_way ? env.rts_way : "?");
	if (ms.census_interval > 0)
		printf("heap census every %gs (%s)\n", ms.census_interval, ms.census_why);
	fflush(stdout); /* seen before the first run ends, also when stdout is a file */
	for (int i = 0; i < repeat; i++) {
		struct lb_run run;
		char *dir = NULL;
		if (record_init(&run, &err) || record_env_copy(&run.env, &env, &err))
			goto fail_run;
		run.repeat_index = i;
		if (asprintf(&dir, "%s/%s", art, run.id) < 0) {
			dir = NULL;
			lb_error_oom(&err);
			goto fail_run;
		}
		if (exec_run(&o, dir, &run, &err) || store_put_run(ms.store, &run, &err))
			goto fail_run;
		for (size_t m = 0; m < N_HEADLINE && lb_headlines[m].name; m++) {
			const struct lb_metric *mt = record_metric(&run, lb_headlines[m].name);
			values[m][i] = mt && run.status == LB_RUN_OK ? mt->value : NAN;
		}
		nruns++;
		nok += run.status == LB_RUN_OK;
		printf("run %d/%d  %s  %-7s %.3f s%s%s\n", i + 1, repeat, run.id,
		       record_status_name(run.status), run.wall_seconds, run.reason ? "  " : "",
		       run.reason ? run.reason : "");
		fflush(stdout);
		free(dir);
		record_free(&run);
		continue;
	fail_run:
		free(dir);
		record_free(&run);
		goto fail;
	}
	print_summary(values, nruns, nok);
	/* the files these runs have, as the measurement flags chose */
	printf("\nartifacts: %s/<run id>/ (stdout, stderr%s%s%s, rss.tsv)\n"
	       "details:   leakbench show <run id>%s%s\n",
	       art, o.no_rts || o.rts_limited ? "" : ", rts-stats.txt", o.no_rts || !o.eventlog ? "" : ", events.eventlog",
	       o.no_rts || !o.heap_profile ? "" : ", heap.hp",
	       strcmp(db, LB_DEFAULT_DB) ? " --db " : "", strcmp(db, LB_DEFAULT_DB) ? db : "");
	code = nok == nruns ? LB_EXIT_OK : LB_EXIT_FAIL;
	goto done;
fail:
	cli_error("exec", &err);
	if (nruns)
		fprintf(stderr, "leakbench exec: the %d run%s finished before this are stored\n", nruns,
			nruns == 1 ? "" : "s");
	code = err.code == LB_EINTR ? LB_EXIT_INTR : LB_EXIT_ERROR;
done:
	if (begun)
		measure_end(&ms);
	free(art);
	cli_free(&cmd);
	return code;
}
