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

int measure_begin(struct measure_start *ms, const char *db, const struct exec_opts *o,
		  const char *artifacts, struct lb_error *err)
{
	memset(ms, 0, sizeof(*ms));
	char *scratch = NULL;
	if (asprintf(&scratch, "%s/.probe-%d", artifacts, (int)getpid()) < 0)
		return lb_error_oom(err);
	int rc = 0;
	if (store_open(&ms->store, db, err) || exec_probe(o, scratch, &ms->info, err) ||
	    hostenv_capture(&ms->env, o->no_rts ? NULL : &ms->info, LEAKBENCH_VERSION, err))
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
