/*
 * measure.c - the shared start of a measurement.
 */
#include "harness/measure.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "results/store.h"
#include "runners/hostenv.h"

void measure_defaults(struct measure_cli *m)
{
	memset(m, 0, sizeof(*m));
	m->timeout = 600;
	m->grace = 2;
	m->heap_interval = -1; /* automatic: see choose_census_interval */
	m->sample = 0.1;
}

struct exec_opts measure_exec_opts(const struct measure_cli *m, char *const *argv)
{
	return (struct exec_opts){.argv = argv, .no_rts = m->no_rts, .eventlog = !m->no_eventlog,
				  .heap_profile = !m->no_heap, .heap_interval_s = m->heap_interval,
				  .rts_extra = m->rts, .timeout_s = m->timeout, .grace_s = m->grace,
				  .sample_s = m->sample};
}

int measure_check(const struct measure_cli *m, const char *cmd)
{
	if (m->no_rts && m->rts) {
		fprintf(stderr, "leakbench %s: --rts '%s' cannot be given with --no-rts (no RTS flags reach the "
				"program); drop one (see 'leakbench %s --help')\n",
			cmd, m->rts, cmd);
		return LB_EXIT_USAGE;
	}
	return 0;
}

char *measure_artifacts_dir(const char *db, const char *given)
{
	if (given)
		return strdup(given);
	const char *slash = strrchr(db, '/');
	char *out;
	if (asprintf(&out, "%.*sleakbench-artifacts", slash ? (int)(slash - db + 1) : 0, db) < 0)
		return NULL;
	return out;
}

/* The census interval.  A non-profiled RTS takes each census in a major collection of its
 * own, so a census costs what a major GC of the program costs, and `-i` counts mutator
 * time: a program holding 100+ MiB live spent most of its time in censuses at -i0.1 (9.0 s
 * against 5.1 s).  From the newest run of the same measurement: every 5 major-GC times
 * (so censuses take at most a fifth of the mutator's time), yet 6 censuses over its
 * mutator time (which varies: at least 5 come), and never more often than 0.1 s (the RTS's
 * own default).  Without such a run, 0.1 s; the interval is stored with each run's flags. */
static void choose_census_interval(struct measure_start *ms, struct exec_opts *o, const char *target,
				   const char *scenario)
{
	o->heap_interval_s = 0.1;
	snprintf(ms->census_why, sizeof(ms->census_why), "no earlier run of it to learn from");
	struct store_census_history h;
	struct lb_error herr = {0};
	if (store_census_history(ms->store, target, scenario, o->argv[0], &h, &herr) != 0 || !(h.major_gcs > 0) ||
	    !(h.mutator_seconds > 0))
		return;
	double pause = h.major_gc_seconds / h.major_gcs;
	/* down to a step of a ladder, so the flags stay the same from run to run while the
	 * figures they are learned from wobble, and compare equal across revisions */
	static const double ladder[] = {0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 7, 10};
	double want = fmin(5 * pause, h.mutator_seconds / 6);
	size_t k = 0;
	while (k + 1 < sizeof(ladder) / sizeof(*ladder) && ladder[k + 1] <= want)
		k++;
	o->heap_interval_s = ladder[k];
	/* and the last run's own interval while it is no dearer than that and no more than
	 * twice as long (so the flags do not follow every wobble of the figures) */
	if (h.interval >= ladder[k] && h.interval <= 2 * ladder[k])
		o->heap_interval_s = h.interval;
	snprintf(ms->census_why, sizeof(ms->census_why),
		 "its last run: %.2f s of mutator time, %.0f ms a major GC", h.mutator_seconds, pause * 1000);
}

int measure_begin(struct measure_start *ms, const char *db, struct exec_opts *o, const char *target,
		  const char *scenario, const char *artifacts, struct lb_error *err)
{
	memset(ms, 0, sizeof(*ms));
	char *scratch = NULL;
	if (asprintf(&scratch, "%s/.probe-%d", artifacts, (int)getpid()) < 0)
		return lb_error_oom(err);
	int rc = store_open(&ms->store, db, err) ? err->code : exec_probe(o, scratch, &ms->info, err);
	if (rc == LB_ERTSLIMITED) {
		/* what such an RTS still takes: -S, its statistics on stderr */
		struct exec_opts lim = *o;
		lim.rts_limited = 1, lim.eventlog = 0, lim.heap_profile = 0, lim.per_gc = 0;
		struct lb_error lerr = {0};
		if (exec_probe(&lim, scratch, &ms->info, &lerr) == 0) {
			printf("note: %s was linked with -rtsopts=some (GHC's default): its RTS takes only -S, so "
			       "leakbench measures its statistics and per-GC live bytes from stderr, without an "
			       "eventlog or a census (relink with -rtsopts for those)\n",
			       o->argv[0]);
			fflush(stdout);
			*o = lim;
			rc = 0;
		}
	}
	if (!rc && hostenv_capture(&ms->env, o->no_rts ? NULL : &ms->info, LEAKBENCH_VERSION, err))
		rc = err->code;
	snprintf(ms->census_why, sizeof(ms->census_why), "as given");
	if (!rc && !o->no_rts && o->heap_profile && o->heap_interval_s < 0)
		choose_census_interval(ms, o, target, scenario);
	if (!rc && !o->no_rts && o->heap_profile)
		ms->census_interval = o->heap_interval_s;
	rmdir(scratch);
	free(scratch);
	if (rc)
		measure_end(ms);
	return rc;
}

void measure_end(struct measure_start *ms)
{
	store_close(ms->store);
	record_env_free(&ms->env);
	rts_stats_free(&ms->info);
	memset(ms, 0, sizeof(*ms));
}
