/*
 * cmd_check.c - `leakbench check`: is this revision good or bad against a baseline?  Built
 * and measured as needed, judged on the chosen metrics and the scenario's expectations.
 *
 * The exit status is what `git bisect run` understands: 0 good, 1 bad, 125 cannot be
 * tested (it does not build, or the runs cannot tell even at --max-repeat), and 128 for a
 * usage or harness error, which makes git stop the bisection instead of calling a commit
 * bad for leakbench's own trouble.  Inside a bisection --rev defaults to the commit checked
 * out in the current directory.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/digest.h"
#include "base/file.h"
#include "harness/cli.h"
#include "harness/cmd.h"
#include "harness/decide.h"
#include "harness/history.h"
#include "harness/target.h"
#include "results/report.h"
#include "scenarios/scenario.h"

enum { CHECK_GOOD = 0, CHECK_BAD = 1, CHECK_SKIP = 125, CHECK_ERROR = 128 };

/* The newest first-parent ancestor of the revision with runs of the scenario that mostly
 * keep its expectations. */
struct seen_arg {
	struct store *st;
	const char *target, *scenario;
	char sha[LB_SHA_HEX + 1];
	struct lb_error err;
};

static int seen(const char *sha, void *arg)
{
	struct seen_arg *a = arg;
	long n = 0, failing = 0, total = 0;
	if (store_count_revision_runs(a->st, a->target, sha, a->scenario, &n, &a->err) ||
	    store_expectation_failures(a->st, a->target, sha, a->scenario, &failing, &total, &a->err))
		return 1;
	int fit = n > 0 && failing * 2 <= total; /* measured, and not itself breaking the expectations */
	if (fit)
		memcpy(a->sha, sha, LB_SHA_HEX + 1);
	return fit;
}

static int find_baseline(struct rev_repo *repo, struct store *st, const char *target, const char *scenario,
			 const struct rev_commit *c, struct rev_commit *base, struct lb_error *err)
{
	char parent[LB_SHA_HEX + 1];
	if (!c->parents[0])
		return lb_error_set(err, LB_EINVAL, "%.12s is a root commit: give --baseline REV", c->sha);
	snprintf(parent, sizeof(parent), "%.40s", c->parents);
	struct seen_arg a = {.st = st, .target = target, .scenario = scenario};
	struct rev_commit *list = NULL;
	size_t n = 0;
	int found = 0, rc = rev_list_since(repo, parent, seen, &a, &list, &n, &found, err);
	for (size_t i = 0; i < n; i++)
		rev_commit_free(&list[i]);
	free(list);
	if (!rc && a.err.code)
		*err = a.err, rc = err->code;
	if (!rc && !found)
		rc = lb_error_set(err, LB_EINVAL,
				  "no revision before %.12s has runs of %s: give --baseline REV (or `baseline` in the config)",
				  c->sha, scenario);
	return rc ? rc : rev_resolve(repo, a.sha, base, err);
}

/* What check writes for a pull request: the Markdown comparison (a job summary, a comment)
 * and the comparison page beside it. */
struct check_out {
	FILE *md;
	const char *site, *site_url;
	const struct cfg_target *t;
	const struct decide_ctx *x;
	struct store *st;
};

static const char *const said[] = {"good", "bad", "untestable", "untestable", "error", "interrupted"};

/* One scenario's part of the Markdown, and its page of what grew.  1 when the page could
 * not be written. */
static int check_write(const struct check_out *w, const char *scn, const struct rev_commit *base,
		       const struct rev_commit *c, const struct judge_report *rep, enum decide_outcome o, const char *why)
{
	struct lb_error err = {0};
	char page[700] = "";
	int trouble = 0;
	if (w->site && o != DECIDE_ERROR && o != DECIDE_INTR) { /* an error may have left nothing to compare */
		struct report_link link = {w->t->name, w->t->commit_url};
		if (report_compare_write(w->st, w->site, &link, 1, w->t->name, scn, base->sha, c->sha, page, sizeof(page),
					 &err)) {
			cli_error("check", &err);
			page[0] = '\0';
			trouble = 1;
		} else {
			printf("what grew: %s/%s\n", w->site, page);
		}
	}
	if (!w->md)
		return trouble;
	struct judge_report shown = {0};
	struct judge_req q = {.target = w->t->name, .base = base->sha, .cand = c->sha, .scenario = scn,
			      .metrics = w->x->metrics, .thresholds = w->x->thresholds, .n_thresholds = w->x->n_thresholds};
	if (!rep->n_rows && judge_revisions(w->st, &q, &shown, &err) == 0)
		rep = &shown; /* decided by the expectations: the metrics are still worth seeing */
	if (rep->n_rows)
		judge_print_markdown(w->md, rep, w->t->name, base->sha, c->sha, scn);
	else
		fprintf(w->md, "### leakbench: %s, scenario `%s`: `%.12s` → `%.12s`\n", w->t->name, scn, base->sha, c->sha);
	fprintf(w->md, "\n**%s**: %s\n", said[o], why);
	if (page[0] && w->site_url)
		fprintf(w->md, "\nWhat grew: [%s](%s/%s)\n", page, w->site_url, page);
	else if (page[0])
		fprintf(w->md, "\nWhat grew: `%s/%s`\n", w->site, page);
	fputc('\n', w->md);
	judge_report_free(&shown);
	return trouble;
}

int cmd_check(int argc, char **argv)
{
	const char *rev = NULL, *baseline = NULL, *branched = NULL, *markdown = NULL, *site = NULL, *site_url = NULL, *trailers = NULL;
	struct decide_opts d;
	decide_opts_init(&d);
	d.many = 1;
	const struct cli_option options[] = {
		{"rev", CLI_STRING, &rev, "REV", "the revision (default: the commit checked out here, else the branch)"},
		{"baseline", CLI_STRING, &baseline, "REV",
		 "what it is judged against (default: the target's baseline, else the newest measured ancestor)"},
		{"branched-from", CLI_STRING, &branched, "REF",
		 "judge it against where it branched from REF (git merge-base REF REV): a pull request's target branch"},
		{"metric", CLI_APPEND, &d.metric_words, "NAME", "judge this metric (repeatable; default: the headline ones and stored leak shapes)"},
		{"leak", CLI_FLAG, &d.leak, NULL, "judge the scenario's expectations only (a leak within the run)"},
		{"repeat", CLI_INT, &d.repeat, "N", "runs a side to begin with (default: the scenario's, at least 5)"},
		{"max-repeat", CLI_INT, &d.max_repeat, "N", "runs a side at most while the answer is unknown (default 20)"},
		{"markdown", CLI_STRING, &markdown, "FILE", "also write the comparison as Markdown to FILE (- for stdout): a pull request's comment"},
		{"site", CLI_STRING, &site, "DIR", "write each scenario's page of what grew into DIR"},
		{"site-url", CLI_STRING, &site_url, "URL", "where DIR will be published: the Markdown links the pages there"},
		{"trailers", CLI_STRING, &trailers, "FILE",
		 "Metric-Increase lines in FILE (a pull request's description) accept those metrics' changes too"},
		DECIDE_OPTIONS(d),
		OPT_END,
	};
	const struct cli_command cmd = {
		"check", "check [--rev REV] [--baseline REV] [--scenario NAME]... [--metric NAME]... [options]",
		"Is a revision good or bad against a baseline?  Exit 0/1/125 for `git bisect run`.",
		"The revision and the baseline are built and measured as needed (stored runs are\n"
		"reused; new runs alternate between the two).  It is bad when a chosen metric\n"
		"regressed against the baseline (see `leakbench compare`) or most of its runs break\n"
		"one of the scenario's expectations, unless a Metric-Increase line accepts that metric\n"
		"(in a commit after the baseline, or in --trailers FILE).  While a metric's verdict is\n"
		"unknown, five more runs a side are made, up to --max-repeat.  With several scenarios\n"
		"(--scenario repeated; default every one meant for the target) each is judged.\n"
		"  git bisect start BAD GOOD && git bisect run leakbench check --config /path/leakbench.ini\n"
		"  leakbench check --rev HEAD --branched-from master \\\n"
		"      --markdown comment.md --site pr-site --trailers description.txt   # a pull request\n"
		"Exit status: 0 good, 1 bad, 125 cannot be tested (does not build; still unknown; its runs\n"
		"cannot be judged: too few checkpoints measured), 128\n"
		"usage or harness error (git bisect run then stops).",
		options, 0, CHECK_ERROR};
	int first, nargs, parsed = cli_parse(&cmd, argc, argv, &first, &nargs);
	if (parsed != CLI_GO_ON)
		return parsed;
	int code = CHECK_ERROR;
	struct lb_error err = {0};
	struct decide_session s;
	struct rev_repo *repo = NULL;
	struct rev_commit c = {0}, base = {0};
	struct store *st = NULL;
	struct check_out w = {.site = site, .site_url = site_url};
	char *said_trailers = NULL;
	char here[LB_SHA_HEX + 1];
	memset(&s, 0, sizeof(s));
	if (nargs || (d.leak && d.metric_words) || (baseline && branched)) {
		fprintf(stderr, "leakbench check: %s (usage: %s)\n",
			nargs ? "unexpected argument" : baseline && branched ? "--baseline or --branched-from, not both"
									: "--metric or --leak, not both",
			cmd.usage);
		goto out;
	}
	if (trailers && !(said_trailers = file_read(trailers, 1 << 20, NULL, &err))) {
		cli_error("check", &err);
		goto out;
	}
	if (decide_session_open(&s, "check", &d))
		goto out;
	const struct cfg_target *t = s.t;
	if (!d.db && history_restore(s.cfg, "check")) /* a CI job without the cache: the published history */
		goto out;
	if (!rev && rev_worktree_head(".", here) == 0)
		rev = here;
	/* the revision and its base (or the branch it left) from the mirror, fetched once if needed */
	const char *const specs[] = {rev ? rev : t->branch ? t->branch : "HEAD",
				     baseline ? baseline : branched ? branched : t->baseline};
	struct rev_commit got[2];
	memset(got, 0, sizeof(got));
	int opened = target_open_all(&repo, s.cfg, t, specs, specs[1] ? 2 : 1, got, &err);
	c = got[0];
	if (!branched)
		base = got[1];
	else
		rev_commit_free(&got[1]); /* its merge base with the revision is the base */
	if (opened || store_open(&st, s.once.db, &err) || (branched && rev_merge_base(repo, branched, c.sha, &base, &err))) {
		cli_error("check", &err);
		goto out;
	}
	char *body = NULL; /* the scenarios' parts, put under the verdict at the end */
	size_t body_len = 0;
	if (markdown && !(w.md = open_memstream(&body, &body_len))) {
		fprintf(stderr, "leakbench check: out of memory\n");
		goto out;
	}
	w.t = t, w.st = st, w.x = &s.x;
	s.x.repo = repo;
	s.x.st = st;
	s.x.trailers = said_trailers;
	s.x.trailers_from = trailers;
	enum decide_outcome worst = DECIDE_GOOD;
	static const int rank[] = {[DECIDE_GOOD] = 0, [DECIDE_UNDECIDED] = 1, [DECIDE_SKIP] = 1, [DECIDE_BAD] = 2,
				   [DECIDE_ERROR] = 3, [DECIDE_INTR] = 4};
	int page_trouble = 0;
	for (size_t i = 0; i < s.n_sc && worst != DECIDE_INTR; i++) {
		const char *scn = s.scs[i].sc->name;
		struct judge_report rep = {0};
		char why[600] = "";
		enum decide_outcome o;
		s.x.sc = &s.scs[i];
		if (!baseline && !branched && !t->baseline) {
			rev_commit_free(&base);
			if (find_baseline(repo, st, t->name, scn, &c, &base, &err)) {
				cli_error("check", &err);
				if (w.md)
					fprintf(w.md, "### leakbench: %s, scenario `%s`\n\n**error**: %s\n\n", t->name, scn, err.msg);
				worst = DECIDE_ERROR;
				continue;
			}
		}
		printf("%scheck %s at %.12s (%s) against %.12s (%s), scenario %s\n", i ? "\n" : "", t->name, c.sha, c.subject,
		       base.sha, base.subject, scn);
		fflush(stdout);
		o = decide_revision(&s.x, &base, &c, 0, &rep, why, sizeof(why));
		if (rep.n_rows)
			judge_print_text(stdout, &rep, t->name, base.sha, c.sha, scn, isatty(STDOUT_FILENO));
		printf("\n%.12s is %s: %s\n", c.sha, said[o], why);
		page_trouble |= check_write(&w, scn, &base, &c, &rep, o, why);
		if (rank[o] > rank[worst])
			worst = o;
		judge_report_free(&rep);
	}
	if (page_trouble && rank[worst] < rank[DECIDE_ERROR])
		worst = DECIDE_ERROR;
	code = worst == DECIDE_GOOD ? CHECK_GOOD : worst == DECIDE_BAD ? CHECK_BAD
			       : worst == DECIDE_SKIP || worst == DECIDE_UNDECIDED ? CHECK_SKIP
										   : CHECK_ERROR;
	if (s.n_sc > 1)
		printf("\n%.12s is %s over %zu scenarios\n", c.sha, said[worst], s.n_sc);
	if (w.md) {
		fclose(w.md);
		w.md = NULL;
		FILE *f = strcmp(markdown, "-") ? fopen(markdown, "w") : stdout;
		if (f) {
			fprintf(f, "## leakbench: `%.12s` is **%s** against `%.12s` (%s, %zu scenario%s)\n\n%s", c.sha,
				said[worst], base.sha, t->name, s.n_sc, s.n_sc == 1 ? "" : "s", body ? body : "");
		}
		if (!f || (f != stdout && fclose(f)) || (f == stdout && fflush(f))) {
			fprintf(stderr, "leakbench check: writing %s: %s\n", markdown, strerror(errno));
			code = CHECK_ERROR;
		}
	}
	free(body);
out:
	if (w.md)
		fclose(w.md);
	free(said_trailers);
	rev_commit_free(&c);
	rev_commit_free(&base);
	rev_close(repo);
	store_close(st);
	decide_session_close(&s);
	cli_free(&cmd);
	return code;
}
