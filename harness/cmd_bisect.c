/*
 * cmd_bisect.c - `leakbench bisect --good G --bad B`: the first bad commit of a regression or
 * a leak, found by leakbench itself over the first-parent commits of G..B.
 *
 * Every step is `check`'s decision against G (harness/decide.c), so stored runs and cached
 * builds are reused and an unclear step gets more runs.  The midpoint prefers a revision
 * already measured near the middle (a sweep's, or an earlier bisection's), then the middle
 * itself, so bisections over overlapping ranges share their work.  A revision that does not
 * build is skipped (its neighbour nearest the middle is taken instead); if every candidate
 * left is skipped, the answer is the range they span.  The bisection is stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness/cli.h"
#include "harness/cmd.h"
#include "harness/decide.h"
#include "harness/target.h"
#include "scenarios/scenario.h"

enum { UNTESTED, GOOD, BAD, SKIPPED };

/* The next revision to test in (lo, hi): a measured one in the middle third nearest the
 * middle, else the untested, unskipped one nearest the middle; -1 when none is left. */
static long pick(const int *state, const long *stored, long lo, long hi, long want)
{
	double mid = (double)(lo + hi) / 2;
	long best = -1;
	double span = (double)(hi - lo) / 6; /* the middle third: mid +- (hi - lo) / 6 */
	for (int pass = 0; pass < 2 && best < 0; pass++)
		for (long i = lo + 1; i < hi; i++) {
			if (state[i] != UNTESTED || (pass == 0 && (stored[i] < want || i < mid - span || i > mid + span)))
				continue;
			double d = i - mid, bd = best - mid;
			/* nearest the middle; on a tie the later one (the middle of an odd gap, rounded up) */
			if (best < 0 || d * d < bd * bd || (d * d == bd * bd && i > best))
				best = i;
		}
	return best;
}

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
	struct rev_repo *repo = NULL;
	struct rev_commit g = {0}, *list = NULL;
	size_t n = 0;
	struct store *st = NULL;
	char *log = NULL, *range = NULL;
	int *state = NULL;
	long *stored = NULL;
	size_t log_len = 0;
	struct judge_report rep = {0};
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
	const struct cfg_target *t = s.t;
	struct decide_ctx *x = &s.x;
	x->use_expectations = !metric; /* --metric: that metric alone */
	if (target_open(&repo, s.cfg, t, good, &g, &err) || asprintf(&range, "%s..%s", g.sha, bad) < 0 ||
	    rev_list(repo, range, &list, &n, &err)) {
		fprintf(stderr, "leakbench bisect: %s\n", err.msg[0] ? err.msg : "out of memory");
		code = err.code == LB_EINVAL ? LB_EXIT_USAGE : LB_EXIT_ERROR;
		goto out;
	}
	if (n == 0) {
		fprintf(stderr, "leakbench bisect: %s and %s are the same revision\n", good, bad);
		goto out;
	}
	code = LB_EXIT_ERROR;
	if (store_open(&st, s.once.db, &err)) {
		fprintf(stderr, "leakbench bisect: %s\n", err.msg);
		goto out;
	}
	x->repo = repo;
	x->st = st;
	/* index 0 is GOOD, 1..n the range; state and stored runs per index */
	state = calloc(n + 1, sizeof(*state));
	stored = calloc(n + 1, sizeof(*stored));
	if (!state || !stored)
		goto out;
	const char *scn = s.scs[0].sc->name;
	for (size_t i = 1; i <= n; i++)
		if (store_count_revision_runs(st, t->name, list[i - 1].sha, scn, &stored[i], &err)) {
			fprintf(stderr, "leakbench bisect: %s\n", err.msg);
			goto out;
		}
	s.p.n = s.p.left = n + 1;
	printf("bisect %s over %zu commits after %.12s up to %.12s, scenario %s, judged on %s\n", t->name, n, g.sha,
	       list[n - 1].sha, scn, leak ? "its expectations" : metric ? metric : "the headline metrics and expectations");
	fflush(stdout);
	char why[600];
	/* the ends first: GOOD must be good, BAD bad */
	if (x->use_expectations) {
		x->use_metrics = 0;
		enum decide_outcome o = decide_revision(x, &g, &g, 0, NULL, why, sizeof(why));
		x->use_metrics = !leak;
		if (o == DECIDE_BAD) {
			fprintf(stderr, "leakbench bisect: the good revision %.12s already shows it: %s\n", g.sha, why);
			code = LB_EXIT_USAGE;
			goto out;
		}
		if (o != DECIDE_GOOD) {
			fprintf(stderr, "leakbench bisect: the good revision %.12s: %s\n", g.sha, why);
			code = o == DECIDE_INTR ? LB_EXIT_INTR : LB_EXIT_ERROR;
			goto out;
		}
	}
	state[0] = GOOD;
	enum decide_outcome o = decide_revision(x, &g, &list[n - 1], n, NULL, why, sizeof(why));
	if (o != DECIDE_BAD) {
		fprintf(stderr, "leakbench bisect: the bad revision %.12s does not show it against %.12s: %s\n",
			list[n - 1].sha, g.sha, why);
		code = o == DECIDE_INTR ? LB_EXIT_INTR : o == DECIDE_ERROR ? LB_EXIT_ERROR : LB_EXIT_USAGE;
		goto out;
	}
	state[n] = BAD;
	long lo = 0, hi = (long)n, want = s.scs[0].repeat;
	FILE *lf = open_memstream(&log, &log_len);
	if (!lf)
		goto out;
	fprintf(lf, "%s good\n%s bad: %s\n", g.sha, list[n - 1].sha, why);
	for (long i; hi - lo > 1 && (i = pick(state, stored, lo, hi, want)) >= 0;) {
		o = decide_revision(x, &g, &list[i - 1], (size_t)i, NULL, why, sizeof(why));
		static const char *const said[] = {"good", "bad", "skipped", "skipped"};
		if (o == DECIDE_ERROR || o == DECIDE_INTR) {
			fprintf(stderr, "leakbench bisect: %.12s: %s\n", list[i - 1].sha, why);
			code = o == DECIDE_INTR ? LB_EXIT_INTR : LB_EXIT_ERROR;
			fclose(lf);
			goto out;
		}
		printf("  %.12s %s: %s\n", list[i - 1].sha, said[o], why);
		fflush(stdout);
		fprintf(lf, "%s %s: %s\n", list[i - 1].sha, said[o], why);
		state[i] = o == DECIDE_GOOD ? GOOD : o == DECIDE_BAD ? BAD : SKIPPED;
		if (o == DECIDE_GOOD)
			lo = i;
		else if (o == DECIDE_BAD)
			hi = i;
	}
	fclose(lf);
	const struct rev_commit *last_good = lo ? &list[lo - 1] : &g, *first_bad = &list[hi - 1];
	int found = hi - lo == 1;
	struct store_bisect sb = {.target = t->name, .scenario = scn,
				  .criterion = leak ? "expectations" : metric ? metric : "headline",
				  .good = g.sha, .bad = list[n - 1].sha, .result = found ? first_bad->sha : NULL,
				  .log = log, .builds = (long)x->tot.built, .runs = (long)x->tot.runs};
	if (store_put_bisect(st, &sb, &err)) {
		fprintf(stderr, "leakbench bisect: %s\n", err.msg);
		goto out;
	}
	if (found) {
		char when[32];
		time_t at = (time_t)first_bad->author_time;
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", gmtime(&at));
		printf("\nfirst bad commit: %s\n  %s\n  %s, %s UTC\n", first_bad->sha, first_bad->subject,
		       first_bad->author, when);
	} else {
		printf("\ninconclusive: the first bad commit is one of %ld after %.12s up to %.12s (the others between "
		       "do not build or stayed unclear)\n",
		       hi - lo, last_good->sha, first_bad->sha);
	}
	/* the evidence: the first bad commit against the last good one */
	struct judge_req q = {.target = t->name, .base = last_good->sha, .cand = first_bad->sha, .scenario = scn,
			      .metrics = x->metrics, .thresholds = s.cfg->thresholds, .n_thresholds = s.cfg->n_thresholds};
	if (!leak && judge_revisions(st, &q, &rep, &err) == 0)
		compare_print_text(&rep, t->name, last_good->sha, first_bad->sha, scn, isatty(STDOUT_FILENO));
	if (x->use_expectations) {
		long fb = 0, tb = 0, fg = 0, tg = 0;
		store_expectation_failures(st, t->name, first_bad->sha, scn, &fb, &tb, &err);
		store_expectation_failures(st, t->name, last_good->sha, scn, &fg, &tg, &err);
		printf("\nexpectations of %s broken in %ld of %ld runs of %.12s, %ld of %ld of %.12s\n", scn, fb, tb,
		       first_bad->sha, fg, tg, last_good->sha);
	}
	printf("\nthe search cost %zu build%s and %zu run%s\n", x->tot.built, x->tot.built == 1 ? "" : "s", x->tot.runs,
	       x->tot.runs == 1 ? "" : "s");
	code = found ? LB_EXIT_OK : LB_EXIT_FAIL;
out:
	judge_report_free(&rep);
	for (size_t i = 0; i < n; i++)
		rev_commit_free(&list[i]);
	free(list);
	rev_commit_free(&g);
	rev_close(repo);
	store_close(st);
	free(log);
	free(range);
	free(state);
	free(stored);
	decide_session_close(&s);
	cli_free(&cmd);
	return code;
}
