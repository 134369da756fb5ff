/*
 * sweep.c - one revision measured: the build, the missing runs, the progress line (see
 * sweep.h).  A failed build is a result; a harness error is counted and reported, and the
 * caller decides whether to go on.
 */
#include "harness/sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/text.h"
#include "harness/cli.h"
#include "harness/target.h"
#include "scenarios/scenario.h"

double sweep_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *sweep_hms(double s, char *buf, size_t size)
{
	long t = lround(s);
	if (t >= 3600)
		snprintf(buf, size, "%ldh%02ldm", t / 3600, t / 60 % 60);
	else
		snprintf(buf, size, "%ldm%02lds", t / 60, t % 60);
	return buf;
}

void sweep_progress_show(const struct sweep_progress *p, size_t i, const char *sha, const char *phase)
{
	char el[32], eta[32] = "?";
	double elapsed = sweep_now() - p->start;
	if (p->measured)
		sweep_hms(elapsed / (double)p->measured * (double)p->left, eta, sizeof(eta));
	sweep_hms(elapsed, el, sizeof(el));
	if (p->tty)
		fprintf(stderr, "\r\033[K[%zu/%zu] %.12s %s  elapsed %s  ETA %s", i + 1, p->n, sha, phase, el, eta);
	else
		printf("[%zu/%zu] %.12s %s (elapsed %s, ETA %s)\n", i + 1, p->n, sha, phase, el, eta);
	fflush(p->tty ? stderr : stdout);
}

/* Before a line of results: take the progress line off the terminal. */
void sweep_progress_clear(const struct sweep_progress *p)
{
	if (p->tty)
		fprintf(stderr, "\r\033[K");
}

/* One revision: build it, then run each scenario's missing repeats. */
void sweep_revision(const struct cfg *cfg, const struct cfg_target *t, struct rev_repo *repo,
		      const struct rev_commit *c, struct store *st, struct sweep_scenario *scs, size_t n_sc,
		      int resume, struct run_once *once, struct sweep_progress *p, size_t i, struct sweep_totals *tot)
{
	struct lb_error err = {0};
	int todo = 0;
	for (size_t s = 0; s < n_sc; s++) {
		long stored = 0;
		if (resume && store_count_revision_runs(st, t->name, c->sha, scs[s].sc->name, &stored, &err)) {
			sweep_progress_clear(p);
			fprintf(stderr, "leakbench sweep: %s\n", err.msg);
			tot->errors++;
			return;
		}
		scs[s].stored = (int)stored;
		todo += stored < scs[s].repeat;
	}
	if (!todo) {
		sweep_progress_clear(p);
		printf("%.12s  stored already  %s\n", c->sha, c->subject);
		tot->skipped++;
		return;
	}
	sweep_progress_show(p, i, c->sha, "building");
	struct target_build tb;
	if (target_build(cfg, t, repo, c, st, &tb, &err)) {
		sweep_progress_clear(p);
		fprintf(stderr, "leakbench sweep: %.12s: %s\n", c->sha, err.msg);
		tot->errors++;
		return;
	}
	tot->built += !tb.build.cached;
	if (!tb.build.ok) {
		sweep_progress_clear(p);
		printf("%.12s  build failed%s: %s (log: %s)  %s\n", c->sha, tb.build.cached ? " (cached)" : "",
		       tb.build.why ? tb.build.why : "?", tb.build.log, c->subject);
		tot->failed_builds++;
		build_result_free(&tb.build);
		return;
	}
	once->program = tb.build.binary;
	once->revision = c->sha;
	once->build_id = tb.build.key;
	char line[512];
	int used = tb.build.cached ? snprintf(line, sizeof(line), "%.12s  cached build", c->sha)
				   : snprintf(line, sizeof(line), "%.12s  built in %.1f s", c->sha, tb.build.seconds);
	for (size_t s = 0; s < n_sc && !tot->interrupted; s++) {
		struct run_outcome oc;
		once->outcome = &oc;
		once->command = scs[s].sc->path;
		int ok = 0, ran = 0;
		double live = NAN;
		for (int r = scs[s].stored; r < scs[s].repeat; r++) {
			sweep_progress_show(p, i, c->sha, "running");
			once->repeat_index = r;
			int code = run_scenario_once(scs[s].sc, once);
			ran++;
			ok += code == LB_EXIT_OK;
			tot->runs += code == LB_EXIT_OK || code == LB_EXIT_FAIL;
			tot->failed_runs += code == LB_EXIT_FAIL;
			tot->errors += code == LB_EXIT_ERROR || code == LB_EXIT_USAGE;
			if (!isnan(oc.max_live_bytes))
				live = isnan(live) ? oc.max_live_bytes : fmax(live, oc.max_live_bytes);
			if (code == LB_EXIT_INTR) {
				tot->interrupted = 1;
				break;
			}
		}
		char b[32] = "-";
		if (!isnan(live))
			text_bytes(live, b, sizeof(b));
		if (ran && used < (int)sizeof(line))
			used += snprintf(line + used, sizeof(line) - (size_t)used, "; %s: %d/%d ok, max live %s",
					 scs[s].sc->name, ok, ran, b);
	}
	sweep_progress_clear(p);
	printf("%s  %s\n", line, c->subject);
	if (tb.same_as[0])
		printf("%14sbinary byte-identical to the build of %.12s: the same program, measured again\n", "",
		       tb.same_as);
	tot->measured++;
	p->measured++;
	build_result_free(&tb.build);
}


/* The scenarios to run: --scenario, else every configured one meant for this target. */
int sweep_pick_scenarios(const char *name, const struct cfg *c, const struct cfg_target *t, int repeat,
			  struct sweep_scenario **out, size_t *n, struct lb_error *err)
{
	*out = calloc(name ? 1 : c->n_scenarios + 1, sizeof(**out));
	*n = 0;
	if (!*out)
		return lb_error_oom(err);
	if (name) {
		(*out)[0].repeat = repeat;
		int rc = cmd_find_scenario(name, c, &(*out)[0].sc, &(*out)[0].repeat, err);
		*n = rc ? 0 : 1;
		(*out)[0].repeat = (*out)[0].repeat > 0 ? (*out)[0].repeat : 1;
		return rc;
	}
	for (size_t i = 0; i < c->n_scenarios; i++) {
		const struct cfg_scenario *cs = &c->scenarios[i];
		int mine = cs->n_targets == 0;
		for (size_t j = 0; j < cs->n_targets; j++)
			mine |= strcmp(cs->targets[j], t->name) == 0;
		if (!mine)
			continue;
		struct sweep_scenario *s = &(*out)[(*n)++];
		s->repeat = repeat > 0 ? repeat : cs->repeat > 0 ? cs->repeat : 1;
		int rc = scn_parse_file(&s->sc, cs->file, err);
		if (rc) {
			(*n)--;
			return rc;
		}
	}
	if (*n == 0)
		return lb_error_set(err, LB_EINVAL, "%s: no [scenario] is meant for target %s: give --scenario NAME", c->path,
				    t->name);
	return 0;
}

