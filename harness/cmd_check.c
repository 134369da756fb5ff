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
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/digest.h"
#include "harness/cli.h"
#include "harness/cmd.h"
#include "harness/decide.h"
#include "harness/target.h"
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

int cmd_check(int argc, char **argv)
{
	const char *rev = NULL, *baseline = NULL;
	struct decide_opts d;
	decide_opts_init(&d);
	const struct cli_option options[] = {
		{"rev", CLI_STRING, &rev, "REV", "the revision (default: the commit checked out here, else the branch)"},
		{"baseline", CLI_STRING, &baseline, "REV",
		 "what it is judged against (default: the target's baseline, else the newest measured ancestor)"},
		{"metric", CLI_APPEND, &d.metric_words, "NAME", "judge this metric (repeatable; default: the headline ones and stored leak shapes)"},
		{"leak", CLI_FLAG, &d.leak, NULL, "judge the scenario's expectations only (a leak within the run)"},
		{"repeat", CLI_INT, &d.repeat, "N", "runs a side to begin with (default: the scenario's, at least 5)"},
		{"max-repeat", CLI_INT, &d.max_repeat, "N", "runs a side at most while the answer is unknown (default 20)"},
		DECIDE_OPTIONS(d),
		OPT_END,
	};
	const struct cli_command cmd = {
		"check", "check [--rev REV] [--baseline REV] [--scenario NAME] [--metric NAME]... [options]",
		"Is a revision good or bad against a baseline?  Exit 0/1/125 for `git bisect run`.",
		"The revision and the baseline are built and measured as needed (stored runs are\n"
		"reused).  It is bad when a chosen metric regressed against the baseline (see\n"
		"`leakbench compare`) or most of its runs break one of the scenario's expectations.\n"
		"While a metric's verdict is unknown, five more runs a side are made, up to --max-repeat.\n"
		"  git bisect start BAD GOOD && git bisect run leakbench check --config /path/leakbench.ini\n"
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
	struct judge_report rep = {0};
	char here[LB_SHA_HEX + 1];
	if (nargs || (d.leak && d.metric_words)) {
		fprintf(stderr, "leakbench check: %s (usage: %s)\n", nargs ? "unexpected argument" : "--metric or --leak, not both",
			cmd.usage);
		memset(&s, 0, sizeof(s));
		goto out;
	}
	if (decide_session_open(&s, "check", &d))
		goto out;
	const struct cfg_target *t = s.t;
	const char *scn = s.scs[0].sc->name;
	if (!rev && rev_worktree_head(".", here) == 0)
		rev = here;
	if (target_open(&repo, s.cfg, t, rev ? rev : t->branch ? t->branch : "HEAD", &c, &err) ||
	    store_open(&st, s.once.db, &err) ||
	    (baseline || t->baseline ? rev_resolve(repo, baseline ? baseline : t->baseline, &base, &err)
				     : find_baseline(repo, st, t->name, scn, &c, &base, &err))) {
		cli_error("check", &err);
		goto out;
	}
	s.x.repo = repo;
	s.x.st = st;
	printf("check %s at %.12s (%s) against %.12s (%s), scenario %s\n", t->name, c.sha, c.subject, base.sha,
	       base.subject, scn);
	char why[600] = "";
	enum decide_outcome o = decide_revision(&s.x, &base, &c, 0, &rep, why, sizeof(why));
	if (rep.n_rows)
		judge_print_text(stdout, &rep, t->name, base.sha, c.sha, scn, isatty(STDOUT_FILENO));
	static const char *const said[] = {"good", "bad", "cannot be tested", "cannot be tested", "error", "interrupted"};
	printf("\n%.12s is %s: %s\n", c.sha, said[o], why);
	code = o == DECIDE_GOOD ? CHECK_GOOD : o == DECIDE_BAD ? CHECK_BAD
			       : o == DECIDE_SKIP || o == DECIDE_UNDECIDED ? CHECK_SKIP
									   : CHECK_ERROR;
out:
	judge_report_free(&rep);
	rev_commit_free(&c);
	rev_commit_free(&base);
	rev_close(repo);
	store_close(st);
	decide_session_close(&s);
	cli_free(&cmd);
	return code;
}
