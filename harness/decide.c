/*
 * decide.c - one revision against a base: measure what is missing, judge, ask for more runs
 * when the answer is unclear (see decide.h).
 *
 * A revision is bad when a chosen metric regressed against the base, or when most of its
 * runs break one of the scenario's expectations (a leak needs no base to be seen).  It is
 * good when neither holds and no chosen metric is left unknown; unknown asks for five more
 * runs a side (Pinpoint's way) until the cap, then gives up as undecided.
 */
#include "harness/decide.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "base/digest.h"
#include "base/text.h"
#include "harness/cli.h"
#include "harness/context.h"
#include "harness/target.h"
#include "scenarios/scenario.h"

/* At least `want` runs of the scenario at `c`.  DECIDE_GOOD here means "measured". */
static enum decide_outcome ensure(struct decide_ctx *x, const struct rev_commit *c, size_t index, int want)
{
	size_t failed = x->tot.failed_builds, errors = x->tot.errors;
	long have = 0;
	struct lb_error err = {0};
	if (store_count_revision_runs(x->st, x->t->name, c->sha, x->sc->sc->name, &have, &err) == 0 && have >= want)
		return DECIDE_GOOD; /* measured enough already: nothing to say */
	int saved = x->sc->repeat;
	x->sc->repeat = want;
	sweep_revision(x->cfg, x->t, x->repo, c, x->st, x->sc, 1, 1, x->once, x->p, index, &x->tot);
	x->sc->repeat = saved;
	return x->tot.interrupted		 ? DECIDE_INTR
	       : x->tot.errors > errors		 ? DECIDE_ERROR
	       : x->tot.failed_builds > failed ? DECIDE_SKIP
					       : DECIDE_GOOD;
}

static int is_metric(const char *name, void *metric)
{
	return !strcmp(name, metric);
}

/* Whether a change of `metric` was accepted after `base` up to `c`: by `leakbench accept`
 * or a trailer of a commit built before (both stored), by a trailer of a commit between them
 * that was never built (a pull request's earlier commits), or by the context's trailers.
 * `at` says where ("at 1a2b3c4d5e6f"). */
static int accepted_between(struct decide_ctx *x, const char *base, const char *c, const char *metric, char *at,
			    size_t size)
{
	char *range = NULL;
	struct rev_commit *list = NULL;
	size_t n = 0;
	struct lb_error err = {0};
	int yes = 0;
	if (asprintf(&range, "%s..%s", base, c) >= 0 && rev_list(x->repo, range, &list, &n, &err) == 0)
		for (size_t i = 0; i < n && !yes; i++) {
			if (store_accepted(x->st, x->t->name, list[i].sha, metric, &yes, &err) || !yes)
				yes = target_accepted_metrics(list[i].message, is_metric, (void *)metric);
			if (yes)
				snprintf(at, size, "at %.12s", list[i].sha);
		}
	for (size_t i = 0; i < n; i++)
		rev_commit_free(&list[i]);
	free(list);
	free(range);
	if (!yes && x->trailers && (yes = target_accepted_metrics(x->trailers, is_metric, (void *)metric)))
		snprintf(at, size, "in %s", x->trailers_from ? x->trailers_from : "the trailers given");
	return yes;
}

enum decide_outcome decide_revision(struct decide_ctx *x, const struct rev_commit *base, const struct rev_commit *c,
				    size_t index, struct judge_report *rep, char *why, size_t size)
{
	struct lb_error err = {0};
	struct judge_report local = {0}, *r = rep ? rep : &local;
	memset(r, 0, sizeof(*r));
	const char *scenario = x->sc->sc->name;
	int cap = x->max_repeat > x->sc->repeat ? x->max_repeat : x->sc->repeat;
	for (int want = x->sc->repeat, from = 1;; from = want + 1, want = want + 5 < cap ? want + 5 : cap) {
		/* the runs interleaved, one a side at a time, so drift on the machine touches both
		 * sides alike (a pull request's base and head measured fresh); a side with its runs
		 * stored already is not touched */
		for (int w = from; w <= want; w++) {
			enum decide_outcome o = ensure(x, base, index, w);
			if (o == DECIDE_SKIP)
				snprintf(why, size, "the base %.12s does not build", base->sha);
			if (o != DECIDE_GOOD)
				return o == DECIDE_SKIP ? DECIDE_ERROR : o;
			if ((o = ensure(x, c, index, w)) != DECIDE_GOOD) {
				snprintf(why, size, "%s", o == DECIDE_SKIP ? "it does not build" : "it could not be measured");
				return o;
			}
		}
		long failing = 0, total = 0;
		if (x->use_expectations &&
		    store_expectation_failures(x->st, x->t->name, c->sha, scenario, &failing, &total, &err)) {
			snprintf(why, size, "%s", err.msg);
			return DECIDE_ERROR;
		}
		if (x->use_expectations && total && failing * 2 > total) {
			snprintf(why, size, "%ld of its %ld runs of %s break an expectation or leak", failing, total, scenario);
			return DECIDE_BAD;
		}
		long unknown = 0;
		if (x->use_expectations &&
		    store_expectation_unknowns(x->st, x->t->name, c->sha, scenario, &unknown, &err)) {
			snprintf(why, size, "%s", err.msg);
			return DECIDE_ERROR;
		}
		if (x->use_expectations && total && (failing + unknown) * 2 > total) {
			/* neither good nor bad: too few checkpoints measured to say */
			snprintf(why, size, "%ld of its %ld runs of %s cannot be judged (too few checkpoints measured)",
				 unknown, total, scenario);
			return DECIDE_UNDECIDED;
		}
		if (!x->use_metrics) {
			snprintf(why, size, "its runs of %s keep their expectations and do not leak (%ld of %ld do not)",
				 scenario, failing, total);
			return DECIDE_GOOD;
		}
		char bin_base[LB_DIGEST_HEX + 1], bin_c[LB_DIGEST_HEX + 1];
		if (store_revision_binary(x->st, x->t->name, base->sha, scenario, bin_base, &err) ||
		    store_revision_binary(x->st, x->t->name, c->sha, scenario, bin_c, &err)) {
			snprintf(why, size, "%s", err.msg);
			return DECIDE_ERROR;
		}
		if (bin_base[0] && !strcmp(bin_base, bin_c)) { /* what differs is noise: nothing to judge */
			snprintf(why, size, "its binary is byte-identical to that of %.12s: no metric can have changed",
				 base->sha);
			return DECIDE_GOOD;
		}
		judge_report_free(r);
		struct judge_req q = {.target = x->t->name, .base = base->sha, .cand = c->sha, .scenario = scenario,
				      .metrics = x->metrics, .thresholds = x->thresholds,
				      .n_thresholds = x->n_thresholds};
		if (judge_revisions(x->st, &q, r, &err)) {
			snprintf(why, size, "%s", err.msg);
			return DECIDE_ERROR;
		}
		char accepted_at[LB_SHA_HEX + 600] = "";
		for (size_t i = 0; i < r->n_rows; i++)
			if (r->rows[i].c.verdict == DETECT_REGRESSION) {
				const struct judge_row *w = &r->rows[i];
				if (accepted_between(x, base->sha, c->sha, w->metric, accepted_at, sizeof(accepted_at)))
					continue; /* an intended change: not a regression */
				if (w->log)
					snprintf(why, size, "%s %+.1f%% [%+.1f%%, %+.1f%%] against %.12s, p %.3g", w->metric,
						 100 * w->change, 100 * w->lo, 100 * w->hi, base->sha, w->c.p_up);
				else
					snprintf(why, size, "%s %+.0f [%+.0f, %+.0f] against %.12s, p %.3g", w->metric,
						 w->change, w->lo, w->hi, base->sha, w->c.p_up);
				if (!rep)
					judge_report_free(&local);
				return DECIDE_BAD;
			}
		if (!r->unknowns || want >= cap) {
			if (r->unknowns)
				snprintf(why, size, "still unknown with %d runs a side (the cap: --max-repeat)", want);
			else if (accepted_at[0])
				snprintf(why, size, "no metric regressed against %.12s but for a change accepted %s",
					 base->sha, accepted_at);
			else
				snprintf(why, size, "no metric regressed against %.12s (%zu compared)", base->sha, r->n_rows);
			if (!rep)
				judge_report_free(&local);
			return r->unknowns ? DECIDE_UNDECIDED : DECIDE_GOOD;
		}
	}
}

void decide_opts_init(struct decide_opts *o)
{
	*o = (struct decide_opts){.max_repeat = 20};
	measure_defaults(&o->mc);
}

int decide_session_open(struct decide_session *s, const char *cmd, const struct decide_opts *o)
{
	const char *target = o->target;
	int repeat = o->repeat;
	memset(s, 0, sizeof(*s));
	struct lb_error err = {0};
	if (cmd_metrics(cmd, o->metric_words, &s->metrics))
		return -1;
	if (cfg_load(&s->cfg, o->config ? o->config : "leakbench.ini", &err) ||
	    !(s->t = target ? cfg_target(s->cfg, target, &err) : s->cfg->n_targets == 1 ? &s->cfg->targets[0] : NULL) ||
	    sweep_pick_scenarios(o->scenarios, s->cfg, s->t, repeat, &s->scs, &s->n_sc, &err)) {
		fprintf(stderr, "leakbench %s: %s\n", cmd, err.msg[0] ? err.msg : "which target? give --target NAME");
		return -1;
	}
	if (s->n_sc != 1 && !o->many) {
		fprintf(stderr, "leakbench %s: %zu scenarios are meant for %s: choose one with --scenario NAME\n", cmd,
			s->n_sc, s->t->name);
		return -1;
	}
	for (size_t i = 0; i < s->n_sc; i++)
		if (!repeat && !o->leak && s->scs[i].repeat < 5)
			s->scs[i].repeat = 5; /* fewer a side cannot reach p = 0.01 */
	if (s->t->args && (!(s->args = strdup(s->t->args)) || !(s->fixed = text_split_words(s->args)))) {
		fprintf(stderr, "leakbench %s: out of memory\n", cmd);
		return -1;
	}
	s->once = (struct run_once){.db = o->db ? o->db : s->cfg->database, .artifacts = o->artifacts, .cache = s->cfg->cache,
				    .args = s->fixed,
				    .mc = o->mc, .rts = s->t->rts, .env = s->t->env, .target = s->t->name, .quiet = 1};
	s->p = (struct sweep_progress){.tty = isatty(STDERR_FILENO) && !getenv("CI"), .start = sweep_now(), .n = 1,
				       .left = 1};
	s->x = (struct decide_ctx){.cfg = s->cfg, .t = s->t, .sc = &s->scs[0], .once = &s->once, .p = &s->p,
				   .metrics = (const char *const *)s->metrics, .use_metrics = !o->leak,
				   .use_expectations = 1, .max_repeat = o->max_repeat, .thresholds = s->cfg->thresholds,
				   .n_thresholds = s->cfg->n_thresholds};
	return 0;
}

void decide_session_close(struct decide_session *s)
{
	for (size_t i = 0; i < s->n_sc; i++)
		scn_free(s->scs[i].sc);
	free(s->scs);
	free(s->fixed);
	free(s->args);
	free(s->metrics);
	cfg_free(s->cfg);
	memset(s, 0, sizeof(*s));
}
