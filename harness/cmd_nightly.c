/*
 * cmd_nightly.c - `leakbench nightly`: the job a CI schedule runs every night.
 *
 * For each configured target: fetch and measure what is new (`sweep --new`); then look at
 * the whole history (`regressions`' scan), pick out what was flagged at a revision measured
 * tonight, bisect those (when the config says `bisect = yes` and commits lie between the
 * flagged pair), write the dashboard, and sum it up, as Markdown for the CI job's page when
 * $GITHUB_STEP_SUMMARY is set.  The steps are the library functions behind `sweep`
 * (sweep_target) and `bisect` (bisect_run), so a nightly does exactly what a maintainer
 * would do by hand, and a bisection's result comes back to it rather than being read again
 * from a database that other jobs may be writing.
 *
 * Exit status: 0 nothing new flagged, 1 a new regression or leak, 3 leakbench could not do
 * its part somewhere (the rest still ran and the site is still written), 130 interrupted.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/text.h"
#include "harness/bisect.h"
#include "harness/cli.h"
#include "harness/cmd.h"
#include "harness/config.h"
#include "harness/context.h"
#include "harness/history.h"
#include "harness/notify.h"
#include "harness/rev.h"
#include "harness/sweep.h"
#include "results/judge.h"
#include "results/report.h"
#include "scenarios/scenario.h"

/* Where [notify] says to post, or url NULL (with a warning when the variable is missing). */
static struct notify_target webhook(const struct cfg *cfg, char *from, size_t size)
{
	struct notify_target t = {.retries = cfg->notify.retries, .timeout = 10, .from = from};
	if (cfg->notify.webhook_env) {
		snprintf(from, size, "$%s", cfg->notify.webhook_env);
		t.url = cfg->notify.webhook_secret;
		if (!t.url || !*t.url) {
			printf("warning: [notify] webhook-env names %s, which is not set: no notifications tonight\n", from);
			t.url = NULL;
		}
	} else if (cfg->notify.webhook) {
		snprintf(from, size, "the config's webhook");
		t.url = cfg->notify.webhook;
	}
	return t;
}

/* The message about one newly flagged change. */
static char *message(const struct cfg *cfg, const struct judge_flag *f, const char *first_bad, const char *site)
{
	const struct cfg_target *t = NULL;
	for (size_t i = 0; i < cfg->n_targets; i++)
		if (!strcmp(cfg->targets[i].name, f->target))
			t = &cfg->targets[i];
	char *link = t && t->commit_url ? text_replace(t->commit_url, "{sha}", first_bad ? first_bad : f->after) : NULL;
	char dashboard[1200];
	snprintf(dashboard, sizeof(dashboard), "%s/regressions.html", site);
	char text[800];
	snprintf(text, sizeof(text), "leakbench: %s %s in %s/%s at %.12s (%s): %s", f->what,
		 strcmp(f->what, "expectations") ? "regressed" : "broken", f->target, f->scenario,
		 first_bad ? first_bad : f->after, f->subject, f->detail);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "text", text, "target", f->target,
			      "scenario", f->scenario, "metric", f->what, "change", f->detail, "from", f->before, "commit",
			      f->after, "subject", f->subject, "dashboard", dashboard);
	if (o && first_bad)
		json_object_set_new(o, "first_bad_commit", json_string(first_bad));
	if (o && link)
		json_object_set_new(o, "commit_url", json_string(link));
	char *out = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
	json_decref(o);
	free(link);
	return out;
}

/* Post one change; a webhook that is down costs a warning, never the night's work. */
static void notify_flag(const struct cfg *cfg, const struct notify_target *hook, const struct judge_flag *f,
			const char *first_bad, const char *site)
{
	if (!hook->url && !cfg->notify.command)
		return;
	struct lb_error err = {0};
	char *json = message(cfg, f, first_bad, site);
	if (!json)
		printf("warning: out of memory writing the notification\n");
	else if (hook->url && notify_send(hook, json, &err))
		printf("warning: %s\n", err.msg);
	else if (hook->url)
		printf("notified %s\n", hook->from);
	if (json && cfg->notify.command && notify_command(cfg->notify.command, json, &err))
		printf("warning: %s\n", err.msg);
	else if (json && cfg->notify.command)
		printf("notified the notify command\n");
	free(json);
}

static int is_new(const struct store_value *since, size_t n, const char *sha)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(since[i].key, sha))
			return 1;
	return 0;
}

/* What is new for target t: sweep_target with --new --every K [--shard K/N]; 0 done, 1
 * trouble, 130 interrupted. */
static int sweep_new(const struct cfg *cfg, const struct cfg_target *t, int every, int shard_k, int shard_n)
{
	struct lb_error err = {0};
	struct sweep_scenario *scs = NULL;
	size_t n_sc = 0;
	struct sweep_totals tot = {0};
	int rc = sweep_pick_scenarios(NULL, cfg, t, 0, &scs, &n_sc, &err);
	if (!rc) {
		struct sweep_req q = {.cfg = cfg, .t = t, .scs = scs, .n_sc = n_sc, .new = 1, .every = every,
				      .shard_k = shard_k, .shard_n = shard_n, .db = cfg->database};
		measure_defaults(&q.mc);
		fflush(stdout);
		rc = sweep_target(&q, &tot, &err);
		fflush(stdout);
	}
	if (rc)
		cli_error("nightly", &err);
	for (size_t i = 0; i < n_sc; i++)
		scn_free(scs[i].sc);
	free(scs);
	int code = rc ? LB_EXIT_ERROR : sweep_exit_code(&tot);
	return code == LB_EXIT_INTR ? LB_EXIT_INTR : code == LB_EXIT_ERROR;
}

/* Bisect the commits between a flagged pair (`--leak --repeat 1` for broken expectations:
 * one run a revision tells; `--metric` for a metric).  `first_bad` gets the commit when
 * one was found.  Returns 1 when leakbench could not do its part, else 0. */
static int bisect_flag(const char *path, const struct judge_flag *f, char *first_bad, size_t size, FILE *md)
{
	int leak = !strcmp(f->what, "expectations");
	const char *metric = leak ? NULL : f->what;
	struct decide_session s;
	struct bisect_result res = {0};
	struct lb_error err = {0};
	struct decide_opts d;
	decide_opts_init(&d);
	d.config = path, d.target = f->target, d.scenarios = (char *)f->scenario, d.metric_words = (char *)metric;
	d.repeat = leak, d.leak = leak; /* a leak: one run a revision tells */
	memset(&s, 0, sizeof(s));
	fflush(stdout);
	int trouble = 0;
	if (decide_session_open(&s, "nightly", &d)) {
		trouble = 1;
	} else {
		s.x.use_expectations = !metric;
		int rc = bisect_run(&s, f->before, f->after, leak, metric, &res, &err);
		if (rc) {
			fprintf(stderr, "leakbench nightly: bisecting: %s\n", err.msg);
			trouble = rc != LB_EINVAL; /* a pair that cannot be bisected is an answer */
		} else {
			bisect_print(&s, &res, leak);
			if (res.found) {
				snprintf(first_bad, size, "%s", res.first_bad->sha);
				if (md)
					fprintf(md, "  - first bad commit: `%s` (%zu builds, %zu runs)\n", res.first_bad->sha,
						res.builds, res.runs);
			}
		}
	}
	fflush(stdout);
	bisect_result_free(&res);
	decide_session_close(&s);
	return trouble;
}

/* The history scan of every scenario of every target into *flags; 1 when some could not
 * be read. */
static int scan(const struct cfg *cfg, struct store *st, struct judge_flags *flags)
{
	struct lb_error err = {0};
	int trouble = 0;
	for (size_t i = 0; i < cfg->n_targets; i++) {
		struct store_value *scn = NULL;
		size_t n_scn = 0;
		if (store_scenarios_of(st, cfg->targets[i].name, &scn, &n_scn, &err)) {
			cli_error("nightly", &err);
			trouble = 1;
		}
		for (size_t k = 0; k < n_scn; k++)
			if (judge_scan(st, cfg->targets[i].name, scn[k].key, NULL, flags, &err)) {
				cli_error("nightly", &err);
				trouble = 1;
			}
		free(scn);
	}
	return trouble;
}

/* When commits lie between the flagged pair, find the first bad one among them. */
static int bisect_between(const struct cfg *cfg, const char *path, const struct judge_flag *f, char *first_bad,
			  size_t size, FILE *md)
{
	struct lb_error err = {0};
	struct rev_repo *repo = NULL;
	struct rev_commit *list = NULL;
	size_t n = 0;
	int trouble = 0;
	char range[2 * LB_SHA_HEX + 3];
	snprintf(range, sizeof(range), "%s..%s", f->before, f->after);
	const struct cfg_target *t = cfg_target(cfg, f->target, &err);
	if (t && rev_open(&repo, cfg->cache, t->name, t->repo, 0, &err) == 0 &&
	    rev_list(repo, range, &list, &n, &err) == 0 && n > 1) {
		printf("\n== bisecting %.12s..%.12s (%zu commits)\n", f->before, f->after, n);
		trouble = bisect_flag(path, f, first_bad, size, md);
	}
	for (size_t k = 0; k < n; k++)
		rev_commit_free(&list[k]);
	free(list);
	rev_close(repo);
	return trouble;
}

/* The dashboard; 1 when it could not be written. */
static int write_site(const struct cfg *cfg, struct store *st, const char *site, FILE *md)
{
	struct lb_error err = {0};
	struct report_link *links = calloc(cfg->n_targets + 1, sizeof(*links));
	struct report_summary sum = {0};
	for (size_t i = 0; links && i < cfg->n_targets; i++)
		links[i] = (struct report_link){cfg->targets[i].name, cfg->targets[i].commit_url};
	int trouble = !links || report_write(st, site, links, cfg->n_targets, &sum, &err);
	if (trouble) {
		cli_error("nightly", links ? &err : NULL);
	} else {
		printf("\ndashboard: %s/index.html (%zu pages)\n", site, sum.pages);
		if (md)
			fprintf(md, "\nDashboard written to `%s/index.html` (%zu pages, %zu flagged in all).\n", site, sum.pages,
				sum.flagged);
	}
	free(links);
	return trouble;
}

/* The matrix's final job: the shards' databases merged into the night's, and *started
 * moved back to the earliest run they added, so what they measured is tonight's.  1 when
 * some could not be merged (the rest still are). */
static int merge_shards(const struct cfg *cfg, char **files, int n, double *started)
{
	struct lb_error err = {0};
	struct store *st = NULL;
	if (store_open(&st, cfg->database, &err)) {
		cli_error("nightly", &err);
		return 1;
	}
	int trouble = 0;
	for (int i = 0; i < n; i++) {
		struct store_merge_counts added;
		if (cmd_merge_file("nightly", st, files[i], &added)) {
			trouble = 1;
			continue;
		}
		printf("%s: %ld revisions, %ld runs added\n", files[i], added.revisions, added.runs);
		if (added.runs && added.first_run < *started)
			*started = added.first_run;
	}
	store_close(st);
	return trouble;
}

int cmd_nightly(int argc, char **argv)
{
	const char *config = NULL, *out = NULL, *shard = NULL;
	int every = 1, no_bisect = 0, merge = 0, shard_k = 0, shard_n = 0;
	const struct cli_option options[] = {
		OPT_CONFIG(config),
		{"every", CLI_INT, &every, "K", "measure every K-th new revision (default 1; bisection fills the gaps)"},
		{"shard", CLI_STRING, &shard, "K/N", "one job of a matrix: sweep the K-th of N shares of what is new, then stop"},
		{"merge", CLI_FLAG, &merge, NULL, "the matrix's final job: merge the shards' DB files instead of sweeping"},
		{"no-bisect", CLI_FLAG, &no_bisect, NULL, "do not bisect tonight, whatever the config says"},
		{"out", CLI_STRING, &out, "DIR", "where the dashboard goes (default: the config's site)"},
		OPT_END,
	};
	const struct cli_command cmd = {
		"nightly", "nightly [--config FILE] [--every K] [--no-bisect] [--out DIR] [--shard K/N | --merge DB...]",
		"Sweep what is new for every target, flag, bisect, write the dashboard.",
		"A night too long for one machine is split over a CI matrix: N jobs each run\n"
		"`nightly --shard K/N` (K = 1..N) on a copy of the same database, which sweeps its share\n"
		"of what is new and stops; a final job runs `nightly --merge shard1.db ... shardN.db`,\n"
		"which merges them into the database instead of sweeping and goes on as every night\n"
		"(what they measured is tonight's).\n"
		"Exit status: 0 nothing new flagged, 1 a new regression or leak, 3 leakbench could not\n"
		"do its part somewhere (the rest still ran), 130 interrupted; a shard 0 or 3.  With\n"
		"$GITHUB_STEP_SUMMARY set, a Markdown summary is appended to it.",
		options, 0};
	int first, nargs, parsed = cli_parse(&cmd, argc, argv, &first, &nargs);
	if (parsed != CLI_GO_ON)
		return parsed;
	const char *wrong = (nargs && !merge)			       ? "unexpected argument (databases go with --merge)"
			    : merge && !nargs			       ? "--merge needs the shards' databases"
			    : merge && shard			       ? "--shard or --merge, not both"
			    : every < 1				       ? "--every is at least 1"
			    : sweep_parse_shard(shard, &shard_k, &shard_n) ? "--shard is K/N with 1 <= K <= N"
									: NULL;
	if (wrong) {
		fprintf(stderr, "leakbench nightly: %s (usage: %s)\n", wrong, cmd.usage);
		return LB_EXIT_USAGE;
	}
	const char *path = config ? config : "leakbench.ini";
	struct cfg *cfg = NULL;
	struct lb_error err = {0};
	if (cfg_load(&cfg, path, &err)) {
		cli_error("nightly", &err);
		return LB_EXIT_USAGE;
	}
	double started = (double)time(NULL) - 1; /* a run started tonight is at or after this */
	int harness_trouble = 0, interrupted = 0, code = LB_EXIT_ERROR;
	if (history_restore(cfg, "nightly")) {
		cfg_free(cfg);
		return LB_EXIT_ERROR;
	}
	if (merge) {
		printf("== merging %d shard%s\n", nargs, nargs == 1 ? "" : "s");
		harness_trouble |= merge_shards(cfg, argv + first, nargs, &started);
	}
	for (size_t i = 0; i < cfg->n_targets && !interrupted && !merge; i++) {
		printf("== %s: what is new%s%s\n", cfg->targets[i].name, shard ? ", shard " : "", shard ? shard : "");
		int c = sweep_new(cfg, &cfg->targets[i], every, shard_k, shard_n);
		interrupted = c == LB_EXIT_INTR;
		harness_trouble |= c == 1;
	}
	if (shard && !interrupted) { /* the final job judges, bisects and publishes */
		printf("nightly: shard %s swept%s\n", shard, harness_trouble ? "; leakbench could not do all of its part" : "");
		cfg_free(cfg);
		return harness_trouble ? LB_EXIT_ERROR : LB_EXIT_OK;
	}
	struct store *st = NULL;
	struct judge_flags flags = {0};
	struct store_value *since = NULL;
	size_t n_since = 0;
	FILE *md = NULL;
	if (interrupted) {
		code = LB_EXIT_INTR;
		goto out;
	}
	if (store_open(&st, cfg->database, &err)) {
		cli_error("nightly", &err);
		goto out;
	}
	/* what is flagged at a revision measured tonight */
	size_t n_new = 0;
	harness_trouble |= scan(cfg, st, &flags);
	const char *summary_path = getenv("GITHUB_STEP_SUMMARY");
	if (summary_path && *summary_path && !(md = fopen(summary_path, "a")))
		fprintf(stderr, "leakbench nightly: cannot append to $GITHUB_STEP_SUMMARY (%s)\n", summary_path);
	if (md)
		fprintf(md, "## leakbench nightly\n\n");
	char hook_from[160];
	struct notify_target hook = webhook(cfg, hook_from, sizeof(hook_from));
	char (*grew)[700] = calloc(2 * flags.n + 1, sizeof(*grew)); /* the "what grew" pages to point at */
	size_t n_grew = 0;
	printf("\n== flagged at a revision measured tonight\n");
	for (size_t i = 0; i < flags.n; i++) {
		struct judge_flag *f = &flags.v[i];
		/* the flags come target by target: what each measured tonight is read once */
		if (!i || strcmp(f->target, flags.v[i - 1].target)) {
			free(since);
			since = NULL;
			n_since = 0;
			if (store_revisions_measured_since(st, f->target, started, &since, &n_since, &err))
				harness_trouble = 1;
		}
		if (f->accepted || !is_new(since, n_since, f->after))
			continue;
		n_new++;
		printf("%s %s %s: %.12s -> %.12s %s\n    %s\n", f->target, f->scenario, f->what, f->before, f->after,
		       f->subject, f->detail);
		if (md)
			fprintf(md, "- **%s** `%s` `%s`: `%.12s` → `%.12s` %s — %s\n", f->target, f->scenario, f->what,
				f->before, f->after, f->subject, f->detail);
		char first_bad[LB_SHA_HEX + 1] = "";
		if (grew)
			report_compare_name(f->target, f->scenario, f->before, f->after, grew[n_grew++], sizeof(*grew));
		if (!cfg->bisect || no_bisect) {
			notify_flag(cfg, &hook, f, NULL, out ? out : cfg->site);
			continue;
		}
		harness_trouble |= bisect_between(cfg, path, f, first_bad, sizeof(first_bad), md);
		notify_flag(cfg, &hook, f, first_bad[0] ? first_bad : NULL, out ? out : cfg->site);
		char before[LB_SHA_HEX + 1]; /* the bisection's last good revision: its page is written too */
		if (grew && first_bad[0] && store_measured_before(st, f->target, f->scenario, first_bad, before, &err) == 0 &&
		    before[0])
			report_compare_name(f->target, f->scenario, before, first_bad, grew[n_grew++], sizeof(*grew));
	}
	if (!n_new)
		printf("nothing new\n");
	if (md && !n_new)
		fprintf(md, "Nothing new flagged.\n");
	int site_trouble = write_site(cfg, st, out ? out : cfg->site, md); /* whatever happened above */
	if (!site_trouble)
		site_trouble = history_publish(cfg, st, out ? out : cfg->site, "nightly");
	for (size_t i = 0; !site_trouble && i < n_grew; i++) {
		printf("what grew: %s/%s\n", out ? out : cfg->site, grew[i]);
		if (md)
			fprintf(md, "- what grew: `%s/%s`\n", out ? out : cfg->site, grew[i]);
	}
	harness_trouble |= site_trouble;
	free(grew);
	code = harness_trouble ? LB_EXIT_ERROR : n_new ? LB_EXIT_FAIL : LB_EXIT_OK;
	printf("nightly: %zu new flagged%s\n", n_new, harness_trouble ? "; leakbench could not do all of its part" : "");
out:
	if (md)
		fclose(md);
	free(since);
	free(flags.v);
	store_close(st);
	cfg_free(cfg);
	return code;
}
