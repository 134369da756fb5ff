/*
 * cmd_regressions.c - `leakbench regressions`: what the stored history flags, newest first.
 *
 * Every pair of adjacent measured revisions of each target and scenario is compared as
 * `compare` does; a metric that regressed is listed with its change, interval and p, and a
 * revision whose runs mostly break the scenario's expectations where its predecessor's did
 * not is listed as a broken expectation.  Accepted changes are shown as such and do not count
 * for the exit status.  A change is flagged only with enough runs a side to be significant
 * (5 for p <= 0.01): a history of single runs flags nothing here, whatever it looks like.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/cmd.h"
#include "harness/context.h"
#include "results/judge.h"

struct flagged {
	char target[160], scenario[160], what[64];
	char before[41], after[41], subject[120];
	double when;
	char detail[200];
	int accepted;
};

struct flag_list {
	struct flagged *v;
	size_t n;
};

static struct flagged *add(struct flag_list *l)
{
	struct flagged *g = realloc(l->v, (l->n + 1) * sizeof(*g));
	if (!g)
		return NULL;
	l->v = g;
	memset(&g[l->n], 0, sizeof(*g));
	return &g[l->n++];
}

/* A new entry for the change from revision a to b. */
static struct flagged *add_change(struct flag_list *l, const char *target, const char *scenario,
				  const struct store_revision_row *a, const struct store_revision_row *b)
{
	struct flagged *f = add(l);
	if (!f)
		return NULL;
	snprintf(f->target, sizeof(f->target), "%s", target);
	snprintf(f->scenario, sizeof(f->scenario), "%s", scenario);
	memcpy(f->before, a->sha, 41);
	memcpy(f->after, b->sha, 41);
	snprintf(f->subject, sizeof(f->subject), "%s", b->subject);
	f->when = b->author_time;
	return f;
}

static int newest_first(const void *a, const void *b)
{
	const struct flagged *x = a, *y = b;
	return (x->when < y->when) - (x->when > y->when);
}

/* One scenario of one target: its adjacent measured revisions. */
static int scan(struct store *st, const char *target, const char *scenario, const char *const *metrics,
		struct flag_list *out, struct lb_error *err)
{
	struct store_revision_row *revs;
	size_t n;
	int rc = store_measured_revisions(st, target, scenario, &revs, &n, err);
	for (size_t i = 1; !rc && i < n; i++) {
		const struct store_revision_row *a = &revs[i - 1], *b = &revs[i];
		struct judge_report rep;
		struct judge_req q = {.target = target, .base = a->sha, .cand = b->sha, .scenario = scenario,
				      .metrics = metrics};
		int jr = judge_revisions(st, &q, &rep, err);
		if (jr == LB_ENOTFOUND)
			continue; /* no metric both measured (failed runs, say) */
		if ((rc = jr))
			break;
		for (size_t k = 0; k < rep.n_rows && !rc; k++) {
			const struct judge_row *r = &rep.rows[k];
			if (r->c.verdict != DETECT_REGRESSION)
				continue;
			struct flagged *f = add_change(out, target, scenario, a, b);
			if (!f) {
				rc = lb_error_oom(err);
				break;
			}
			snprintf(f->what, sizeof(f->what), "%s", r->metric);
			if (r->log)
				snprintf(f->detail, sizeof(f->detail), "%+.1f%% [%+.1f%%, %+.1f%%] p %.3g, %zu vs %zu runs",
					 100 * r->change, 100 * r->lo, 100 * r->hi, r->c.p_up, r->m, r->n);
			else
				snprintf(f->detail, sizeof(f->detail), "%+.0f [%+.0f, %+.0f] p %.3g, %zu vs %zu runs",
					 r->change, r->lo, r->hi, r->c.p_up, r->m, r->n);
			rc = store_accepted(st, target, b->sha, r->metric, &f->accepted, err);
		}
		judge_report_free(&rep);
		long fa = 0, ta = 0, fb = 0, tb = 0;
		if (!rc && !(rc = store_expectation_failures(st, target, a->sha, scenario, &fa, &ta, err)) &&
		    !(rc = store_expectation_failures(st, target, b->sha, scenario, &fb, &tb, err)) && ta && tb &&
		    fa * 2 <= ta && fb * 2 > tb) {
			struct flagged *f = add_change(out, target, scenario, a, b);
			if (!f) {
				rc = lb_error_oom(err);
				break;
			}
			snprintf(f->what, sizeof(f->what), "expectations");
			snprintf(f->detail, sizeof(f->detail), "broken in %ld of %ld runs (%ld of %ld before)", fb, tb, fa, ta);
		}
	}
	/* the trend: changes of level over single-run nights too */
	const char *const *names = metrics ? metrics : judge_headline;
	for (size_t m = 0; !rc && names[m]; m++) {
		struct judge_shift *sh;
		size_t n_sh;
		if ((rc = judge_trend(st, target, scenario, names[m], &sh, &n_sh, err)))
			break;
		for (size_t i = 0; i < n_sh && !rc; i++) {
			const struct judge_shift *j = &sh[i];
			const struct store_revision_row *a = NULL, *b = NULL;
			for (size_t r = 0; r < n; r++) {
				if (!strcmp(revs[r].sha, j->before_sha))
					a = &revs[r];
				if (!strcmp(revs[r].sha, j->sha))
					b = &revs[r];
			}
			int seen = 0;
			for (size_t f = 0; f < out->n; f++)
				seen |= !strcmp(out->v[f].after, j->sha) && !strcmp(out->v[f].what, j->metric);
			if (j->change <= 0 || !a || !b || seen)
				continue;
			struct flagged *f = add_change(out, target, scenario, a, b);
			if (!f) {
				rc = lb_error_oom(err);
				break;
			}
			snprintf(f->what, sizeof(f->what), "%s", j->metric);
			if (j->log)
				snprintf(f->detail, sizeof(f->detail),
					 "trend: %+.1f%% (level %.4g -> %.4g over %zu and %zu revisions), p %.2g", 100 * j->change,
					 j->before, j->after, j->points_before, j->points_after, j->p);
			else
				snprintf(f->detail, sizeof(f->detail),
					 "trend: %+.0f (level %.4g -> %.4g over %zu and %zu revisions), p %.2g", j->change,
					 j->before, j->after, j->points_before, j->points_after, j->p);
			rc = store_accepted(st, target, j->sha, j->metric, &f->accepted, err);
		}
		free(sh);
	}
	free(revs);
	return rc;
}

int cmd_regressions(int argc, char **argv)
{
	const char *target = NULL, *scenario = NULL, *config = NULL, *db = NULL;
	char *metric_words = NULL;
	const struct cli_option options[] = {
		{"target", CLI_STRING, &target, "NAME", "only this target (default: every target with runs)"},
		{"scenario", CLI_STRING, &scenario, "NAME", "only this scenario"},
		{"metric", CLI_APPEND, &metric_words, "NAME", "only these metrics (repeatable; default: the headline ones)"},
		{"config", CLI_STRING, &config, "FILE", "the config (default leakbench.ini, when there is one)"},
		{"db", CLI_STRING, &db, "FILE", "the results database (default: the config's, else leakbench.db)"},
		{NULL, 0, NULL, NULL, NULL},
	};
	const struct cli_command cmd = {
		"regressions", "regressions [--target NAME] [--scenario NAME] [--metric NAME]...",
		"What the stored history flags, newest first.",
		"Adjacent measured revisions of every target and scenario are compared as `compare`\n"
		"does (5 runs a side are needed for a change to be significant); broken expectations\n"
		"are listed where a revision's runs mostly break them and its predecessor's did not.\n"
		"Exit status: 0 nothing flagged (or all of it accepted), 1 something is, 2 usage, 3 error.",
		options, 0};
	int nargs, first = cli_parse(&cmd, argc, argv, &nargs);
	if (first < 0) {
		cli_free(&cmd);
		return first == -1 ? LB_EXIT_OK : -first;
	}
	int code = LB_EXIT_USAGE;
	struct cmd_context x = {0};
	struct flag_list fl = {0};
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
		fprintf(stderr, "leakbench regressions: %s\n", err.msg);
		goto out;
	}
	for (size_t i = 0; i < n_t; i++) {
		free(scenarios);
		scenarios = NULL;
		if (store_scenarios_of(x.st, targets[i].key, &scenarios, &n_s, &err)) {
			fprintf(stderr, "leakbench regressions: %s\n", err.msg);
			goto out;
		}
		for (size_t j = 0; j < n_s; j++)
			if ((!scenario || !strcmp(scenario, scenarios[j].key)) &&
			    scan(x.st, targets[i].key, scenarios[j].key, (const char *const *)metrics, &fl, &err)) {
				fprintf(stderr, "leakbench regressions: %s\n", err.msg);
				goto out;
			}
	}
	qsort(fl.v, fl.n, sizeof(*fl.v), newest_first);
	size_t open = 0;
	for (size_t i = 0; i < fl.n; i++)
		open += !fl.v[i].accepted;
	if (!fl.n)
		printf("nothing flagged in %s\n", x.db);
	for (size_t i = 0; i < fl.n; i++) {
		const struct flagged *f = &fl.v[i];
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
