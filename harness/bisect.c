/*
 * bisect.c - leakbench's own bisection (see bisect.h): the ends checked first (GOOD must be
 * good, BAD bad), then a midpoint at a time, each decided as `check` decides, every step
 * logged and the result stored in the bisects table.
 */
#include "harness/bisect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* The ends first: GOOD must be good (when the expectations judge: it may leak already), and
 * BAD bad against it. */
static int check_ends(struct decide_ctx *x, const struct rev_commit *g, const struct rev_commit *b, size_t n,
		      int leak, char *why, size_t size, struct lb_error *err)
{
	enum decide_outcome o;
	if (x->use_expectations) {
		x->use_metrics = 0;
		o = decide_revision(x, g, g, 0, NULL, why, size);
		x->use_metrics = !leak;
		if (o == DECIDE_BAD)
			return lb_error_set(err, LB_EINVAL, "the good revision %.12s already shows it: %s", g->sha, why);
		if (o != DECIDE_GOOD)
			return lb_error_set(err, o == DECIDE_INTR ? LB_EINTR : LB_EIO, "the good revision %.12s: %s", g->sha,
					    why);
	}
	o = decide_revision(x, g, b, n, NULL, why, size);
	if (o != DECIDE_BAD)
		return lb_error_set(err, o == DECIDE_INTR ? LB_EINTR : o == DECIDE_ERROR ? LB_EIO : LB_EINVAL,
				    "the bad revision %.12s does not show it against %.12s: %s", b->sha, g->sha, why);
	return 0;
}

/* Narrow (lo, hi) until they are neighbours or only skipped commits are left between;
 * every step goes to stdout and to `log`. */
static int narrow(struct decide_ctx *x, struct bisect_result *res, int *state, const long *stored, long *lo, long *hi,
		  long want, FILE *log, struct lb_error *err)
{
	static const char *const said[] = {"good", "bad", "skipped", "skipped"};
	char why[600];
	for (long i; *hi - *lo > 1 && (i = pick(state, stored, *lo, *hi, want)) >= 0;) {
		const struct rev_commit *c = &res->list[i - 1];
		enum decide_outcome o = decide_revision(x, &res->good, c, (size_t)i, NULL, why, sizeof(why));
		if (o == DECIDE_ERROR || o == DECIDE_INTR)
			return lb_error_set(err, o == DECIDE_INTR ? LB_EINTR : LB_EIO, "%.12s: %s", c->sha, why);
		printf("  %.12s %s: %s\n", c->sha, said[o], why);
		fflush(stdout);
		fprintf(log, "%s %s: %s\n", c->sha, said[o], why);
		state[i] = o == DECIDE_GOOD ? GOOD : o == DECIDE_BAD ? BAD : SKIPPED;
		if (o == DECIDE_GOOD)
			*lo = i;
		else if (o == DECIDE_BAD)
			*hi = i;
	}
	return 0;
}

/* Open the target's mirror and the database, resolve GOOD and list GOOD..BAD. */
static int open_range(struct decide_session *s, const char *good, const char *bad, struct bisect_result *res,
		      struct lb_error *err)
{
	char *range = NULL;
	const char *const ends[] = {good, bad};
	struct rev_commit got[2];
	memset(got, 0, sizeof(got));
	int rc = target_open_all(&res->repo, s->cfg, s->t, ends, 2, got, err); /* one fetch for either end */
	res->good = got[0];
	rev_commit_free(&got[1]);
	if (!rc && asprintf(&range, "%s..%s", res->good.sha, bad) < 0)
		rc = lb_error_oom(err);
	if (!rc)
		rc = rev_list(res->repo, range, &res->list, &res->n, err);
	free(range);
	if (!rc && res->n == 0)
		rc = lb_error_set(err, LB_EINVAL, "%s and %s are the same revision", good, bad);
	if (!rc)
		rc = store_open(&res->st, s->once.db, err);
	s->x.repo = res->repo;
	s->x.st = res->st;
	return rc;
}

int bisect_run(struct decide_session *s, const char *good, const char *bad, int leak, const char *metric,
	       struct bisect_result *res, struct lb_error *err)
{
	memset(res, 0, sizeof(*res));
	struct decide_ctx *x = &s->x;
	int rc = open_range(s, good, bad, res, err);
	if (rc)
		return rc;
	size_t n = res->n;
	const char *scn = s->scs[0].sc->name;
	/* index 0 is GOOD, 1..n the range; state and stored runs per index */
	int *state = calloc(n + 1, sizeof(*state));
	long *stored = calloc(n + 1, sizeof(*stored));
	char *log = NULL, why[600];
	size_t log_len = 0;
	FILE *lf = NULL;
	if (!state || !stored) {
		rc = lb_error_oom(err);
		goto out;
	}
	for (size_t i = 1; !rc && i <= n; i++)
		rc = store_count_revision_runs(res->st, s->t->name, res->list[i - 1].sha, scn, &stored[i], err);
	if (rc)
		goto out;
	s->p.n = s->p.left = n + 1;
	printf("bisect %s over %zu commits after %.12s up to %.12s, scenario %s, judged on %s\n", s->t->name, n,
	       res->good.sha, res->list[n - 1].sha, scn,
	       leak ? "its expectations" : metric ? metric : "the headline metrics, leak shapes and expectations");
	fflush(stdout);
	if ((rc = check_ends(x, &res->good, &res->list[n - 1], n, leak, why, sizeof(why), err)))
		goto out;
	state[0] = GOOD;
	state[n] = BAD;
	long lo = 0, hi = (long)n;
	if (!(lf = open_memstream(&log, &log_len))) {
		rc = lb_error_oom(err);
		goto out;
	}
	fprintf(lf, "%s good\n%s bad: %s\n", res->good.sha, res->list[n - 1].sha, why);
	rc = narrow(x, res, state, stored, &lo, &hi, s->scs[0].repeat, lf, err);
	fclose(lf);
	lf = NULL;
	if (rc)
		goto out;
	res->last_good = lo ? &res->list[lo - 1] : &res->good;
	res->first_bad = &res->list[hi - 1];
	res->found = hi - lo == 1;
	res->span = hi - lo;
	res->builds = x->tot.built;
	res->runs = x->tot.runs;
	struct store_bisect sb = {.target = s->t->name, .scenario = scn,
				  .criterion = leak ? "expectations" : metric ? metric : "headline",
				  .good = res->good.sha, .bad = res->list[n - 1].sha,
				  .result = res->found ? res->first_bad->sha : NULL, .log = log,
				  .builds = (long)res->builds, .runs = (long)res->runs};
	rc = store_put_bisect(res->st, &sb, err);
out:
	if (lf)
		fclose(lf);
	free(log);
	free(state);
	free(stored);
	return rc;
}

void bisect_print(struct decide_session *s, const struct bisect_result *res, int leak)
{
	const struct rev_commit *last_good = res->last_good, *first_bad = res->first_bad;
	const char *scn = s->scs[0].sc->name;
	if (res->found) {
		char when[32];
		time_t at = (time_t)first_bad->author_time;
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", gmtime(&at));
		printf("\nfirst bad commit: %s\n  %s\n  %s, %s UTC\n", first_bad->sha, first_bad->subject,
		       first_bad->author, when);
	} else {
		printf("\ninconclusive: the first bad commit is one of %ld after %.12s up to %.12s (the others between "
		       "do not build or stayed unclear)\n",
		       res->span, last_good->sha, first_bad->sha);
	}
	/* the evidence: the first bad commit against the last good one */
	struct lb_error err = {0};
	struct judge_report rep = {0};
	struct judge_req q = {.target = s->t->name, .base = last_good->sha, .cand = first_bad->sha, .scenario = scn,
			      .metrics = s->x.metrics, .thresholds = s->cfg->thresholds,
			      .n_thresholds = s->cfg->n_thresholds};
	if (!leak && judge_revisions(res->st, &q, &rep, &err) == 0)
		judge_print_text(stdout, &rep, s->t->name, last_good->sha, first_bad->sha, scn, isatty(STDOUT_FILENO));
	judge_report_free(&rep);
	if (s->x.use_expectations) {
		long fb = 0, tb = 0, fg = 0, tg = 0;
		store_expectation_failures(res->st, s->t->name, first_bad->sha, scn, &fb, &tb, &err);
		store_expectation_failures(res->st, s->t->name, last_good->sha, scn, &fg, &tg, &err);
		printf("\nexpectations of %s broken in %ld of %ld runs of %.12s, %ld of %ld of %.12s\n", scn, fb, tb,
		       first_bad->sha, fg, tg, last_good->sha);
	}
	printf("\nthe search cost %zu build%s and %zu run%s\n", res->builds, res->builds == 1 ? "" : "s", res->runs,
	       res->runs == 1 ? "" : "s");
}

void bisect_result_free(struct bisect_result *res)
{
	for (size_t i = 0; i < res->n; i++)
		rev_commit_free(&res->list[i]);
	free(res->list);
	rev_commit_free(&res->good);
	rev_close(res->repo);
	store_close(res->st);
	memset(res, 0, sizeof(*res));
}
