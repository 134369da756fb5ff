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
#include <unistd.h>

#include "base/file.h"
#include "base/mem.h"
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
			cli_error("sweep", &err);
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
int sweep_pick_scenarios(const char *names, const struct cfg *c, const struct cfg_target *t, int repeat,
			  struct sweep_scenario **out, size_t *n, struct lb_error *err)
{
	size_t listed = 1;
	for (const char *p = names; p && *p; p++)
		listed += *p == '\n';
	*out = calloc(names ? listed : c->n_scenarios + 1, sizeof(**out));
	*n = 0;
	if (!*out)
		return lb_error_oom(err);
	for (const char *p = names; p && *p; p += strcspn(p, "\n"), p += *p == '\n') {
		char name[1024];
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(p, "\n"), p);
		struct sweep_scenario *s = &(*out)[*n];
		s->repeat = repeat;
		int rc = cfg_find_scenario(name, c, &s->sc, &s->repeat, err);
		if (rc)
			return rc;
		s->repeat = s->repeat > 0 ? s->repeat : 1;
		++*n;
	}
	if (names)
		return 0;
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

/* The commits a --list file names, one per line (blank lines and # comments skipped). */
static int list_from_file(struct rev_repo *r, const char *path, struct rev_commit **list, size_t *n,
			  struct lb_error *err)
{
	*list = NULL;
	*n = 0;
	char *text = file_read(path, 0, NULL, err);
	if (!text)
		return err->code;
	int rc = 0, line = 0;
	size_t cap = 0;
	for (char *p = text, *next; p && *p && !rc; p = next) {
		line++;
		next = strchr(p, '\n');
		if (next)
			*next++ = '\0';
		p += strspn(p, " \t");
		char *end = p + strcspn(p, " \t\r#");
		*end = '\0';
		if (!*p)
			continue;
		if ((rc = LB_GROW(*list, *n + 1, cap, err)))
			break;
		if ((rc = rev_resolve(r, p, &(*list)[*n], err)) == 0)
			(*n)++;
		else
			lb_error_prefix(err, "%s:%d: ", path, line);
	}
	free(text);
	if (!rc && *n == 0)
		rc = lb_error_set(err, LB_EINVAL, "%s: names no revision (one per line expected)", path);
	return rc;
}

/* Keep list[i] for which keep(i) holds, in order; free the rest. */
static void list_filter(struct rev_commit *list, size_t *n, int every, int shard_k, int shard_n)
{
	size_t kept = 0, total = *n;
	for (size_t i = 0, j = 0; i < total; i++) {
		/* every k-th counted back from the newest, so the newest is always measured */
		int keep = (total - 1 - i) % (size_t)every == 0;
		if (keep) {
			keep = shard_n == 0 || j % (size_t)shard_n == (size_t)(shard_k - 1);
			j++;
		}
		if (keep)
			list[kept++] = list[i];
		else
			rev_commit_free(&list[i]);
	}
	*n = kept;
}

/* sweep --new stops walking back at the first revision with runs stored. */
struct known_arg {
	struct store *st;
	const char *target;
	struct lb_error err;
};

static int known(const char *sha, void *arg)
{
	struct known_arg *k = arg;
	long n = 0;
	return store_count_revision_runs(k->st, k->target, sha, NULL, &n, &k->err) || n > 0;
}

/* What the revision list is: RANGE, --new or --list. */
static int revisions_to_sweep(struct rev_repo *repo, const struct cfg_target *t, struct store *st, const char *range,
			      int new, const char *list_file, struct rev_commit **list, size_t *n, struct lb_error *err)
{
	if (list_file)
		return list_from_file(repo, list_file, list, n, err);
	if (!new)
		return rev_list(repo, range, list, n, err);
	/* walking back the branch's first parents, not "after the newest author date": squash
	 * merges and rebases make author dates go backwards */
	const char *branch = t->branch ? t->branch : "HEAD";
	struct known_arg k = {.st = st, .target = t->name};
	int found, rc = rev_list_since(repo, branch, known, &k, list, n, &found, err);
	if (!rc && k.err.code) {
		*err = k.err;
		rc = err->code;
	}
	if (rc || found) {
		if (!rc)
			printf("%zu revision%s of %s since the last one measured\n", *n, *n == 1 ? "" : "s", branch);
		return rc;
	}
	/* nothing of this branch measured yet: begin with its tip */
	printf("nothing of %s measured yet: --new begins with its tip\n", branch);
	for (size_t i = 0; i + 1 < *n; i++)
		rev_commit_free(&(*list)[i]);
	if (*n > 1)
		(*list)[0] = (*list)[*n - 1];
	*n = *n ? 1 : 0;
	return 0;
}

int sweep_target(const struct sweep_req *q, struct sweep_totals *tot, struct lb_error *err)
{
	const struct cfg_target *t = q->t;
	struct store *st = NULL;
	struct rev_repo *repo = NULL;
	struct rev_commit *list = NULL;
	size_t n = 0;
	char *args = NULL, **fixed = NULL;
	memset(tot, 0, sizeof(*tot));
	/* the database is opened first only when --new needs it: a bad range stores nothing */
	int rc = rev_open(&repo, q->cfg->cache, t->name, t->repo, 1, err);
	if (!rc && q->new)
		rc = store_open(&st, q->db, err);
	if (!rc)
		rc = revisions_to_sweep(repo, t, st, q->range, q->new, q->list_file, &list, &n, err);
	if (!rc && !st)
		rc = store_open(&st, q->db, err);
	if (!rc && t->args && (!(args = strdup(t->args)) || !(fixed = text_split_words(args))))
		rc = lb_error_oom(err);
	if (rc)
		goto out;
	size_t listed = n;
	list_filter(list, &n, q->every, q->shard_k, q->shard_n);
	char shard[32] = "";
	if (q->shard_n)
		snprintf(shard, sizeof(shard), ", shard %d/%d", q->shard_k, q->shard_n);
	printf("sweeping %s: %zu revision%s (of %zu listed%s), %zu scenario%s\n", t->name, n, n == 1 ? "" : "s",
	       listed, shard, q->n_sc, q->n_sc == 1 ? "" : "s");
	fflush(stdout);
	struct run_once once = {.db = q->db, .artifacts = q->artifacts, .cache = q->cfg->cache, .args = fixed,
				.mc = q->mc, .rts = t->rts, .env = t->env, .target = t->name, .quiet = 1};
	struct sweep_progress p = {.tty = isatty(STDERR_FILENO) && !getenv("CI"), .start = sweep_now(), .n = n, .left = n};
	for (size_t i = 0; i < n && !tot->interrupted; i++, p.left--)
		sweep_revision(q->cfg, t, repo, &list[i], st, q->scs, q->n_sc, q->resume, &once, &p, i, tot);
	sweep_progress_clear(&p);
	char el[32];
	printf("swept %zu revision%s in %s: %zu measured (%zu runs, %zu failing), %zu build%s failed, %zu stored "
	       "already%s\n",
	       n, n == 1 ? "" : "s", sweep_hms(sweep_now() - p.start, el, sizeof(el)), tot->measured, tot->runs,
	       tot->failed_runs, tot->failed_builds, tot->failed_builds == 1 ? "" : "s", tot->skipped,
	       tot->interrupted ? "; interrupted" : "");
	if (tot->errors)
		printf("%zu revision%s or run%s could not be measured: see the errors above\n", tot->errors,
		       tot->errors == 1 ? "" : "s", tot->errors == 1 ? "" : "s");
out:
	for (size_t i = 0; i < n; i++)
		rev_commit_free(&list[i]);
	free(list);
	free(fixed);
	free(args);
	rev_close(repo);
	store_close(st);
	return rc;
}

int sweep_parse_shard(const char *s, int *k, int *n)
{
	char tail;
	return s && (sscanf(s, "%d/%d%c", k, n, &tail) != 2 || *n < 1 || *k < 1 || *k > *n) ? -1 : 0;
}

int sweep_exit_code(const struct sweep_totals *tot)
{
	return tot->interrupted ? LB_EXIT_INTR
	       : tot->errors	? LB_EXIT_ERROR
	       : tot->failed_runs ? LB_EXIT_FAIL
				  : LB_EXIT_OK;
}
