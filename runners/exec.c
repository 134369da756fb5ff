/*
 * exec.c - the exec runner.
 *
 * Design choices:
 *  - leakbench's +RTS block goes right after argv[0], before the user's arguments: a `--RTS`
 *    among the user's arguments would otherwise hand our flags to the program itself, and a
 *    user's own `+RTS` block later on the line still wins over ours, as GHC users expect.
 *  - The probe (`+RTS ... --info`) costs one exec and no run of main, and catches every
 *    refusal before anything is measured or stored.  The RTS handles --info as soon as it
 *    meets it, so refusals that only print an error (and would exit later) are read from
 *    stderr rather than from the exit status.
 */
#include "base/mem.h"
#include "runners/exec.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/text.h"
#include "runners/collect.h"
#include "runners/proc.h"

/* argv[0], the +RTS block, then the rest. */
static char **full_argv(const struct exec_opts *o, char **rts, size_t nrts)
{
	size_t n = 0;
	while (o->argv[n])
		n++;
	char **argv = calloc(n + nrts + 1, sizeof(*argv));
	if (!argv)
		return NULL;
	size_t k = 0;
	argv[k++] = o->argv[0];
	for (size_t i = 0; i < nrts; i++)
		argv[k++] = rts[i];
	for (size_t i = 1; i < n; i++)
		argv[k++] = o->argv[i];
	argv[k] = NULL;
	return argv;
}

static char *path_in(const char *dir, const char *name)
{
	char *p;
	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

int exec_probe(const struct exec_opts *o, const char *scratch_dir, struct rts_stats *info,
	       struct lb_error *err)
{
	memset(info, 0, sizeof(*info));
	if (o->no_rts)
		return 0;
	if (file_mkdirs(scratch_dir, err))
		return err->code;
	char *out = path_in(scratch_dir, "probe.stdout"), *errp = path_in(scratch_dir, "probe.stderr");
	char *stats = path_in(scratch_dir, "probe.stats"), *ev = path_in(scratch_dir, "probe.eventlog");
	char **rts = NULL, **argv = NULL;
	size_t nrts = 0;
	char *text = NULL, *etext = NULL;
	int rc;
	if (!out || !errp || !stats || !ev) {
		rc = lb_error_oom(err);
		goto done;
	}
	struct rts_measure m = {stats, o->eventlog ? ev : NULL, o->heap_profile, o->heap_interval_s,
				o->rts_extra, o->per_gc, o->rts_limited};
	if ((rc = rts_build_args(&m, 1, &rts, &nrts, err)))
		goto done;
	/* --info makes the RTS exit before main: the program's own arguments do not matter */
	char *pargv[] = {o->argv[0], NULL};
	struct exec_opts po = *o;
	po.argv = pargv;
	if (!(argv = full_argv(&po, rts, nrts))) {
		rc = lb_error_oom(err);
		goto done;
	}
	struct proc_spec spec = {.argv = argv, .stdout_path = out, .stderr_path = errp,
				 .timeout_s = 30, .grace_s = 1, .cwd = o->cwd, .env = o->env};
	struct proc_result res;
	if ((rc = proc_run(&spec, &res, err)))
		goto done;
	proc_result_free(&res);
	etext = file_read(errp, 65536, NULL, NULL);
	if ((rc = rts_check_refusal(etext, o->argv[0], err)))
		goto done;
	text = file_read(out, 1 << 20, NULL, NULL);
	struct lb_error perr;
	if (res.end != PROC_EXITED || res.exit_code != 0 || !text ||
	    rts_stats_parse(info, text, "+RTS --info", &perr) || info->format != RTS_FMT_INFO) {
		rts_stats_free(info);
		const char *why = etext && *etext ? etext : "";
		size_t wl = strcspn(why, "\n");
		rc = lb_error_set(err, LB_EINVAL,
				  "%s did not answer `+RTS --info` like a GHC-built program%s%.*s%s; "
				  "to measure a program that is not built by GHC use --no-rts",
				  o->argv[0], wl ? " (it said: " : "", (int)(wl > 200 ? 200 : wl), why,
				  wl ? ")" : "");
		goto done;
	}
	if (etext && *etext) {
		/* accepted, but the RTS complained about something: refuse to guess */
		size_t wl = strcspn(etext, "\n");
		rc = lb_error_set(err, LB_ERTS, "%s's runtime complained about the RTS options: %.*s",
				  o->argv[0], (int)(wl > 300 ? 300 : wl), etext);
		rts_stats_free(info);
	}
done:
	/* the probe leaves nothing behind */
	for (char **p = (char *[]){out, errp, stats, ev}, **e = p + 4; p < e; p++)
		if (*p)
			remove(*p);
	free(out);
	free(errp);
	free(stats);
	free(ev);
	free(text);
	free(etext);
	free(argv);
	rts_argv_free(rts);
	return rc;
}

static char *json_argv(char *const *argv)
{
	json_t *a = json_array();
	for (size_t i = 0; a && argv[i]; i++)
		json_array_append_new(a, json_string(argv[i]));
	char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	return s;
}

/* The line of `text` that says why a program failed: the first "<prog>: ..." line (how GHC
 * programs report `error` and uncaught exceptions, before any call stack), else the last
 * non-empty line. */
static void why_line(const char *text, const char *program, char *out, size_t size)
{
	out[0] = '\0';
	if (!text)
		return;
	const char *base = strrchr(program, '/');
	base = base ? base + 1 : program;
	size_t bl = strlen(base);
	const char *last = NULL, *last_end = NULL;
	for (const char *p = text; *p;) {
		const char *eol = strchr(p, '\n');
		const char *end = eol ? eol : p + strlen(p);
		if (end > p && strncmp(p, base, bl) == 0 && p[bl] == ':' && p[bl + 1] == ' ') {
			snprintf(out, size, "%.*s", (int)(end - p), p);
			return;
		}
		const char *q = p;
		while (q < end && (*q == ' ' || *q == '\r'))
			q++;
		if (q < end) {
			last = p;
			last_end = end;
		}
		p = eol ? eol + 1 : end;
	}
	if (last)
		snprintf(out, size, "%.*s", (int)(last_end - last), last);
}

static int set_status(struct lb_run *run, const struct proc_result *res, const char *stderr_path,
		      const struct exec_opts *o, struct lb_error *err)
{
	const char *program = o->argv[0];
	double timeout_s = o->timeout_s;
	char reason[512] = "";
	switch (res->end) {
	case PROC_EXITED:
		run->exit_code = res->exit_code;
		if (o->ok_exits ? o->ok_exits[res->exit_code & 255] : res->exit_code == 0) {
			run->status = LB_RUN_OK;
			return 0;
		}
		run->status = LB_RUN_CRASHED;
		{
			char *text = file_read(stderr_path, 1 << 20, NULL, NULL), line[300];
			why_line(text, program, line, sizeof(line));
			free(text);
			snprintf(reason, sizeof(reason), "exited with status %d%s%s", res->exit_code,
				 line[0] ? ": " : "", line);
		}
		break;
	case PROC_SIGNALED:
		run->status = LB_RUN_CRASHED;
		run->signal = res->signal;
		snprintf(reason, sizeof(reason), "killed by signal %d (%s)", res->signal,
			 strsignal(res->signal));
		break;
	case PROC_TIMEOUT:
		run->status = LB_RUN_TIMEOUT;
		run->signal = res->signal;
		snprintf(reason, sizeof(reason), "killed after the %gs timeout (%s)", timeout_s,
			 res->signal == SIGKILL ? "SIGKILL: it ignored SIGTERM" : "SIGTERM");
		break;
	}
	run->partial = 1;
	free(run->reason);
	run->reason = text_visible(reason); /* it quotes the program's stderr: for terminals */
	return run->reason ? 0 : lb_error_oom(err);
}

static int write_samples(const char *path, const struct proc_result *res, struct lb_error *err)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return lb_error_set(err, LB_EIO, "cannot create %s: %s", path, strerror(errno));
	fprintf(f, "t_seconds\trss_bytes\n");
	for (size_t i = 0; i < res->n_samples; i++)
		fprintf(f, "%.3f\t%llu\n", res->samples[i].t,
			(unsigned long long)res->samples[i].rss_bytes);
	if (fclose(f) != 0)
		return lb_error_set(err, LB_EIO, "writing %s failed", path);
	return 0;
}

/* The RSS samples as a series (seconds since the spawn): the one per-step memory figure a
 * program that is not a GHC program has (clangd, pylsp), and the OS's view of one that is. */
static int rss_series(struct lb_run *run, const struct proc_result *res, struct lb_error *err)
{
	if (!res->n_samples)
		return 0;
	struct lb_point *p = malloc(res->n_samples * sizeof(*p));
	if (!p)
		return lb_error_oom(err);
	for (size_t i = 0; i < res->n_samples; i++)
		p[i] = (struct lb_point){res->samples[i].t, (double)res->samples[i].rss_bytes};
	return record_add_series(run, "rss_bytes", "bytes", p, res->n_samples, err);
}

static double tv_seconds(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* A non-profiled RTS writes the -hT census also as <program>.hp into the working directory,
 * and before GHC 9.4 it refuses -po to put it elsewhere.  Move the file this run wrote into
 * its artifact folder so runs neither litter the user's directory nor clobber each other's
 * file.  `since` is the run's start: an older file is someone else's and is left alone. */
static int adopt_heap_file(struct lb_run *run, const char *program, const char *cwd,
			   const char *run_dir, double since, struct lb_error *err)
{
	const char *base = strrchr(program, '/');
	base = base ? base + 1 : program;
	char from[4200], *to = NULL;
	snprintf(from, sizeof(from), "%s%s%s.hp", cwd ? cwd : "", cwd ? "/" : "", base);
	struct stat sb;
	if (stat(from, &sb) != 0 || (double)sb.st_mtime + 1.0 < since)
		return 0;
	if (asprintf(&to, "%s/heap.hp", run_dir) < 0)
		return lb_error_oom(err);
	int rc = 0;
	if (rename(from, to) == 0)
		rc = record_add_artifact(run, "heap-profile", to, err);
	free(to);
	return rc;
}

/* A run under way: its paths and its process. */
struct exec_live {
	const struct exec_opts *o;
	char *run_dir, *out, *errp, *stats, *ev, *samples;
	char **rts, **argv;
	struct proc *p;
	int hp_lock; /* the working directory, locked while its PROG.hp is this run's; -1 */
};

/* The RTS names the census file after the program, in the working directory, and GHC < 9.4
 * does not let it be named otherwise: two runs from one directory at once would write the
 * same file and take each other's.  The directory is locked (flock, advisory, only
 * leakbench asks) from the spawn until the file is adopted, so such runs take turns; the
 * wait is bounded by the run's own timeout. */
static int lock_heap_dir(struct exec_live *l, const struct exec_opts *o, struct lb_error *err)
{
	const char *dir = o->cwd ? o->cwd : ".";
	l->hp_lock = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->hp_lock < 0)
		return lb_error_set(err, LB_EIO, "%s: %s", dir, strerror(errno));
	double bound = o->timeout_s > 0 ? o->timeout_s + (o->grace_s > 0 ? o->grace_s : 2) + 10 : 1e9;
	for (double waited = 0; flock(l->hp_lock, LOCK_EX | LOCK_NB) < 0; waited += 0.05) {
		if (errno != EWOULDBLOCK)
			return lb_error_set(err, LB_EIO, "locking %s: %s", dir, strerror(errno));
		if (waited > bound)
			return lb_error_set(err, LB_ETIMEOUT,
					    "another leakbench run kept %s (where the heap profile goes) for %.0fs", dir,
					    waited);
		usleep(50000);
	}
	return 0;
}

static void live_free(struct exec_live *l)
{
	if (!l)
		return;
	free(l->run_dir);
	free(l->out);
	free(l->errp);
	free(l->stats);
	free(l->ev);
	free(l->samples);
	free(l->argv);
	rts_argv_free(l->rts);
	if (l->hp_lock >= 0)
		close(l->hp_lock); /* releases the lock */
	free(l);
}

int exec_start(const struct exec_opts *o, const char *run_dir, struct lb_run *run, int interactive,
	       struct exec_live **out, struct lb_error *err)
{
	*out = NULL;
	if (file_mkdirs(run_dir, err))
		return err->code;
	struct exec_live *l = calloc(1, sizeof(*l));
	if (!l)
		return lb_error_oom(err);
	l->o = o;
	l->hp_lock = -1;
	l->run_dir = strdup(run_dir);
	l->out = path_in(run_dir, "stdout");
	l->errp = path_in(run_dir, "stderr");
	l->stats = path_in(run_dir, "rts-stats.txt");
	l->ev = path_in(run_dir, "events.eventlog");
	l->samples = path_in(run_dir, "rss.tsv");
	size_t nrts = 0;
	int rc = 0;
	if (!l->run_dir || !l->out || !l->errp || !l->stats || !l->ev || !l->samples) {
		rc = lb_error_oom(err);
		goto fail;
	}
	if (!o->no_rts) {
		struct rts_measure m = {l->stats, o->eventlog ? l->ev : NULL, o->heap_profile,
					o->heap_interval_s, o->rts_extra, o->per_gc, o->rts_limited};
		if ((rc = rts_build_args(&m, 0, &l->rts, &nrts, err)))
			goto fail;
	}
	if (!(l->argv = full_argv(o, l->rts, nrts)) || !(run->program = lb_strdup(o->argv[0], err)) ||
	    !(run->command = json_argv(l->argv)) || !(run->artifact_dir = lb_strdup(run_dir, err)) ||
	    !(run->rts_flags = l->rts ? rts_args_string(l->rts, nrts) : lb_strdup("", err))) {
		rc = lb_error_oom(err);
		goto fail;
	}
	struct proc_spec spec = {.argv = l->argv, .stdout_path = l->out, .stderr_path = l->errp,
				 .timeout_s = o->timeout_s, .grace_s = o->grace_s,
				 .sample_s = o->sample_s, .cwd = o->cwd, .env = o->env, .interactive = interactive};
	if (!o->no_rts && o->heap_profile && (rc = lock_heap_dir(l, o, err)))
		goto fail;
	if ((rc = proc_start(&l->p, &spec, err)))
		goto fail;
	*out = l;
	return 0;
fail:
	live_free(l);
	return rc;
}

struct proc *exec_proc(struct exec_live *l)
{
	return l->p;
}

int exec_finish(struct exec_live *l, struct lb_run *run, struct lb_error *err)
{
	const struct exec_opts *o = l->o;
	struct proc_result res = {0};
	char *etext = NULL, *hp = NULL;
	int adopted = 0;
	int rc = proc_finish(l->p, &res, err);
	l->p = NULL;
	if (rc)
		goto done;
	if (!o->no_rts) {
		etext = file_read(l->errp, 65536, NULL, NULL);
		if ((rc = rts_check_refusal(etext, o->argv[0], err)))
			goto done;
	}
	run->started_at = res.started_at;
	run->wall_seconds = res.wall_s;
	if ((rc = set_status(run, &res, l->errp, o, err)))
		goto done;
	/* without an eventlog, the .hp file is the only census there is */
	adopted = 1;
	if (!o->no_rts && o->heap_profile &&
	    ((rc = adopt_heap_file(run, o->argv[0], o->cwd, l->run_dir, res.started_at, err)) ||
	     (!o->eventlog && o->per_gc && !(hp = path_in(l->run_dir, "heap.hp")) && (rc = lb_error_oom(err)))))
		goto done;
	if (!o->no_rts &&
	    (rc = collect_rts(run, l->stats, l->errp, hp && access(hp, R_OK) == 0 ? hp : NULL, err)))
		goto done;
	if (!o->no_rts && o->eventlog && (rc = collect_eventlog(run, l->ev, err)))
		goto done;
	if ((rc = record_add_metric(run, "wall_seconds", res.wall_s, "s", err)) ||
	    (rc = record_add_metric(run, "peak_rss_bytes", (double)res.peak_rss_bytes, "bytes", err)) ||
	    (rc = record_add_metric(run, "user_cpu_seconds", tv_seconds(res.ru.ru_utime), "s", err)) ||
	    (rc = record_add_metric(run, "sys_cpu_seconds", tv_seconds(res.ru.ru_stime), "s", err)))
		goto done;
	if (res.n_samples &&
	    (rc = record_add_metric(run, "sampled_peak_rss_bytes", (double)res.sampled_peak_rss,
				    "bytes", err)))
		goto done;
	if ((rc = rss_series(run, &res, err)) || (rc = write_samples(l->samples, &res, err)) ||
	    (rc = record_add_artifact(run, "stdout", l->out, err)) ||
	    (rc = record_add_artifact(run, "stderr", l->errp, err)) ||
	    (rc = record_add_artifact(run, "rss-samples", l->samples, err)))
		goto done;
	struct stat sb;
	if (!o->no_rts && stat(l->stats, &sb) == 0 &&
	    (rc = record_add_artifact(run, "rts-stats", l->stats, err)))
		goto done;
	if (!o->no_rts && o->eventlog && stat(l->ev, &sb) == 0 &&
	    (rc = record_add_artifact(run, "eventlog", l->ev, err)))
		goto done;
done:
	/* also when the run failed or was interrupted: PROG.hp is never left behind */
	if (!adopted && !o->no_rts && o->heap_profile && res.started_at > 0) {
		struct lb_error herr = {0};
		adopt_heap_file(run, o->argv[0], o->cwd, l->run_dir, res.started_at, &herr);
	}
	free(hp);
	proc_result_free(&res);
	free(etext);
	live_free(l);
	return rc;
}

int exec_run(const struct exec_opts *o, const char *run_dir, struct lb_run *run,
	     struct lb_error *err)
{
	struct exec_live *l;
	int rc = exec_start(o, run_dir, run, 0, &l, err);
	return rc ? rc : exec_finish(l, run, err);
}
