/*
 * measure.c - the shared start of a measurement.
 */
#include "harness/measure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runners/hostenv.h"

void measure_defaults(struct measure_cli *m)
{
	memset(m, 0, sizeof(*m));
	m->timeout = 600;
	m->grace = 2;
	m->heap_interval = 0.1;
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

int measure_begin(struct measure_start *ms, const char *db, struct exec_opts *o,
		  const char *artifacts, struct lb_error *err)
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
