/*
 * cmd_sweep.c - `leakbench sweep --target NAME RANGE|--new|--list FILE`: build and measure
 * a target over many revisions, storing every run with its revision.
 *
 * The list of revisions is fixed before anything is built (first-parent commits of the
 * range, oldest first; then every k-th, then this shard's share), so a sweep split over n
 * CI jobs covers the range exactly once and the same command always means the same
 * revisions.  A failed build is a result (stored, reported, skipped), not a reason to stop;
 * a harness error on one revision is reported and the sweep goes on, since the next
 * revision may well work and a nightly job should get as far as it can.  Only an interrupt
 * stops it.  --resume leaves alone what is stored already: a revision with its repeats of
 * each scenario is not built or run again, one with fewer gets only the missing ones.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "base/text.h"
#include "harness/cli.h"
#include "harness/cmd.h"
#include "harness/config.h"
#include "harness/sweep.h"
#include "harness/target.h"
#include "scenarios/scenario.h"

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
		struct rev_commit *grown = realloc(*list, (*n + 1) * sizeof(**list));
		if (!grown) {
			rc = lb_error_oom(err);
			break;
		}
		*list = grown;
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

static int parse_shard(const char *s, int *k, int *n)
{
	char tail;
	return s && (sscanf(s, "%d/%d%c", k, n, &tail) != 2 || *n < 1 || *k < 1 || *k > *n) ? -1 : 0;
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

int cmd_sweep(int argc, char **argv)
{
	const char *target = NULL, *config = NULL, *scenario = NULL, *list_file = NULL, *shard = NULL;
	const char *db = NULL, *artifacts = NULL;
	int new = 0, every = 1, resume = 0, repeat = 0;
	struct measure_cli mc;
	measure_defaults(&mc);
	const struct cli_option options[] = {
		{"target", CLI_STRING, &target, "NAME", "the [target NAME] of the config to sweep (required)"},
		{"new", CLI_FLAG, &new, NULL, "instead of RANGE: from the newest stored revision to the target's branch"},
		{"list", CLI_STRING, &list_file, "FILE", "instead of RANGE: the revisions in FILE, one per line"},
		{"scenario", CLI_STRING, &scenario, "FILE|NAME",
		 "the scenario (default: every [scenario] meant for the target)"},
		{"every", CLI_INT, &every, "K", "every K-th revision, counted back from the newest (default 1)"},
		{"shard", CLI_STRING, &shard, "K/N", "only this CI job's share: the i-th revision when i % N = K-1"},
		{"resume", CLI_FLAG, &resume, NULL, "skip the runs already stored (per revision, scenario and repeat)"},
		{"repeat", CLI_INT, &repeat, "N", "runs per revision and scenario (default: the scenario's, else 1)"},
		{"config", CLI_STRING, &config, "FILE", "the config (default leakbench.ini)"},
		{"db", CLI_STRING, &db, "FILE", "the results database (default: the config's)"},
		{"artifacts", CLI_STRING, &artifacts, "DIR",
		 "where the runs' files go (default leakbench-artifacts/ beside the database)"},
		MEASURE_OPTIONS(mc),
		{NULL, 0, NULL, NULL, NULL},
	};
	const struct cli_command cmd = {
		"sweep", "sweep --target NAME (RANGE | --new | --list FILE) [--scenario NAME] [options]",
		"Build and measure a target over many revisions.",
		"RANGE is A..B (the first-parent commits after A up to B, oldest first) or one\n"
		"revision.  Each revision is built (or its cached build taken), then every scenario\n"
		"is run --repeat times and stored with the revision.  A revision that does not build\n"
		"is stored as a failed build and skipped.  Two revisions whose binaries are\n"
		"byte-identical are said to be; both are measured (their spread is noise).\n"
		"--shard K/N splits the list the same way on every machine: run N jobs with K = 1..N,\n"
		"then `leakbench merge` their databases.\n"
		"Exit status: 0 every revision built or stored as failing, every run ok; 1 some run\n"
		"failed (crashed, timed out, an expectation did not hold); 2 usage or config error;\n"
		"3 leakbench could not do its part on some revision; 130 interrupted.",
		options, 0};
	int nargs, first = cli_parse(&cmd, argc, argv, &nargs);
	if (first < 0)
		return first == -1 ? LB_EXIT_OK : -first;
	const char *range = nargs == 1 ? argv[first] : NULL;
	int shard_k = 0, shard_n = 0, code = LB_EXIT_USAGE;
	const char *why = !target				      ? "--target NAME is required"
			  : nargs > 1				      ? "one RANGE at most"
			  : (range != NULL) + new + (list_file != NULL) != 1 ? "give one of RANGE, --new or --list FILE"
			  : every < 1					      ? "--every is at least 1"
			  : parse_shard(shard, &shard_k, &shard_n)	      ? "--shard is K/N with 1 <= K <= N"
			  : repeat > 64					      ? "--repeat is at most 64"
									      : NULL;
	struct cfg *cfg = NULL;
	struct lb_error err = {0};
	struct store *st = NULL;
	struct rev_repo *repo = NULL;
	struct rev_commit *list = NULL;
	struct sweep_scenario *scs = NULL;
	size_t n = 0, n_sc = 0;
	char *args = NULL, **fixed = NULL;
	if (why) {
		fprintf(stderr, "leakbench sweep: %s (usage: %s)\n", why, cmd.usage);
		goto out;
	}
	const struct cfg_target *t = NULL;
	if (cfg_load(&cfg, config ? config : "leakbench.ini", &err) || !(t = cfg_target(cfg, target, &err)) ||
	    sweep_pick_scenarios(scenario, cfg, t, repeat, &scs, &n_sc, &err)) {
		fprintf(stderr, "leakbench sweep: %s\n", err.msg);
		code = err.code == LB_ENOMEM ? LB_EXIT_ERROR : LB_EXIT_USAGE;
		goto out;
	}
	if (!db)
		db = cfg->database;
	/* the database is opened first only when --new needs it: a bad range stores nothing */
	if (rev_open(&repo, cfg->cache, t->name, t->repo, 1, &err) || (new && store_open(&st, db, &err)) ||
	    revisions_to_sweep(repo, t, st, range, new, list_file, &list, &n, &err) ||
	    (!st && store_open(&st, db, &err))) {
		fprintf(stderr, "leakbench sweep: %s\n", err.msg);
		code = err.code == LB_EINVAL ? LB_EXIT_USAGE : LB_EXIT_ERROR;
		goto out;
	}
	size_t listed = n;
	list_filter(list, &n, every, shard_k, shard_n);
	printf("sweeping %s: %zu revision%s (of %zu listed%s%s), %zu scenario%s\n", t->name, n, n == 1 ? "" : "s",
	       listed, shard ? ", shard " : "", shard ? shard : "", n_sc, n_sc == 1 ? "" : "s");
	fflush(stdout);
	if (t->args && (!(args = strdup(t->args)) || !(fixed = text_split_words(args)))) {
		fprintf(stderr, "leakbench sweep: out of memory\n");
		code = LB_EXIT_ERROR;
		goto out;
	}
	struct run_once once = {.db = db, .artifacts = artifacts, .cache = cfg->cache, .args = fixed, .mc = mc, .rts = t->rts, .env = t->env,
				.target = t->name, .quiet = 1};
	struct sweep_progress p = {.tty = isatty(STDERR_FILENO) && !getenv("CI"), .start = sweep_now(), .n = n, .left = n};
	struct sweep_totals tot = {0};
	for (size_t i = 0; i < n && !tot.interrupted; i++, p.left--)
		sweep_revision(cfg, t, repo, &list[i], st, scs, n_sc, resume, &once, &p, i, &tot);
	sweep_progress_clear(&p);
	char el[32];
	printf("swept %zu revision%s in %s: %zu measured (%zu runs, %zu failing), %zu build%s failed, %zu stored "
	       "already%s\n",
	       n, n == 1 ? "" : "s", sweep_hms(sweep_now() - p.start, el, sizeof(el)), tot.measured, tot.runs, tot.failed_runs,
	       tot.failed_builds, tot.failed_builds == 1 ? "" : "s", tot.skipped,
	       tot.interrupted ? "; interrupted" : "");
	if (tot.errors)
		printf("%zu revision%s or run%s could not be measured: see the errors above\n", tot.errors,
		       tot.errors == 1 ? "" : "s", tot.errors == 1 ? "" : "s");
	code = tot.interrupted ? LB_EXIT_INTR
	       : tot.errors    ? LB_EXIT_ERROR
	       : tot.failed_runs ? LB_EXIT_FAIL
				 : LB_EXIT_OK;
out:
	for (size_t i = 0; i < n; i++)
		rev_commit_free(&list[i]);
	free(list);
	for (size_t i = 0; i < n_sc; i++)
		scn_free(scs[i].sc);
	free(scs);
	free(fixed);
	free(args);
	rev_close(repo);
	store_close(st);
	cfg_free(cfg);
	cli_free(&cmd);
	return code;
}
