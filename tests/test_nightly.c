/*
 * test_nightly.c - `make demo` as a test: the demo script builds a twelve-commit history of
 * the fixture server (leak switched on at commit 7), measures commit 4 as "last night", then
 * runs `leakbench nightly --every 4`, which must flag the leak, bisect it to commit 7, write
 * the dashboard and the CI job's Markdown summary.
 */
#include <criterion/criterion.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/helpers.h"
#include "tests/history.h"

/* ci/cron/leakbench-nightly.sh as cron runs it, with `env` (KEY=VALUE words) and `args`
 * (WORKDIR standing for the demo's folder); its exit status, *out what it printed. */
static int cron(const char *dir, const char *env, const char *args, char **out)
{
	char cmd[4000], path[700];
	const char *w = strstr(args, "WORKDIR");
	snprintf(cmd, sizeof(cmd), "cd %s && LEAKBENCH=%s %s sh ci/cron/leakbench-nightly.sh %.*s%s/demo%s > %s/cron.out 2>&1",
		 getenv("LEAKBENCH_ROOT"), getenv("LEAKBENCH_BIN"), env, (int)(w - args), args, dir, w + 7, dir);
	int status = system(cmd);
	snprintf(path, sizeof(path), "%s/cron.out", dir);
	*out = slurp_file(path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Test(nightly, the_demo_flags_the_leak_and_bisects_it, .timeout = 600)
{
	char *dir = scratch_dir(), cmd[2400], path[700], hook[200];
	int port;
	pid_t server = http_server(dir, 1, 503, &port); /* down once: the retry delivers */
	snprintf(hook, sizeof(hook), "http://127.0.0.1:%d/hooks/demo-secret-token", port);
	setenv("LEAKBENCH_DEMO_WEBHOOK", hook, 1);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && DEMO_DIR=%s/demo GITHUB_STEP_SUMMARY=%s/summary.md sh demo/demo.sh %s > %s/demo.out 2>&1",
		 getenv("LEAKBENCH_ROOT"), dir, dir, getenv("LEAKBENCH_BIN"), dir);
	int status = system(cmd);
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	snprintf(path, sizeof(path), "%s/demo.out", dir);
	char *out = slurp_file(path);
	cr_assert_eq(status, 0, "%s", out);
	cr_assert(strstr(out, "notified $LEAKBENCH_DEMO_WEBHOOK") && !strstr(out, "demo-secret-token"), "%s", out);
	snprintf(path, sizeof(path), "%s/request-1.txt", dir);
	char *req = slurp_file(path);
	cr_assert(req && strstr(req, "\"target\": \"fixture\"") && strstr(req, "\"first_bad_commit\"") &&
		      strstr(req, "\"metric\": \"expectations\""),
		  "the message after one 503: %s", req);
	free(req);
	cr_assert(strstr(out, "bisected it to") && strstr(out, "7: keep module environments"), "%s", out);
	cr_assert(strstr(out, "the search cost 2 builds"), "only 6 and 7 needed building: %s", out);
	snprintf(path, sizeof(path), "%s/summary.md", dir);
	char *md = slurp_file(path);
	cr_assert(md && strstr(md, "## leakbench nightly") && strstr(md, "first bad commit") &&
		      strstr(md, "expectations") && strstr(md, "- what grew: `"),
		  "%s", md);
	free(md);
	snprintf(path, sizeof(path), "%s/demo/site/index.html", dir);
	cr_assert_eq(access(path, R_OK), 0, "the dashboard is written");
	snprintf(path, sizeof(path), "%s/demo/site/regressions.html", dir);
	char *page = slurp_file(path);
	cr_assert(page && strstr(page, "keep module environments") && strstr(page, "bisections"), "%s", page);
	cr_assert(strstr(page, "class=\"grew\" href=\"c-fixture-edits-"), "flags and bisections link what grew: %s", page);
	free(page);
	/* what grew at the leak, as a browser shows it: the closure type the kept environments
	 * hold first, grown between the last good commit and commit 7 */
	const char *at = strstr(out, "demo: what grew at the leak: ");
	cr_assert(at, "%s", out);
	char grew[700], url[800], dom[700];
	snprintf(grew, sizeof(grew), "%.*s", (int)strcspn(at + 29, "\n"), at + 29);
	cr_assert(strstr(grew, "/site/c-fixture-edits-"), "%s", grew);
	snprintf(url, sizeof(url), "file://%s", grew);
	snprintf(dom, sizeof(dom), "%s/grew.html", dir);
	cr_assert_eq(chromium("--dump-dom", url, dom), 0);
	char *shown = slurp_file(dom);
	const char *first = shown ? strstr(shown, "<td class=\"label\">") : NULL;
	cr_assert(first && (!strncmp(first + 18, "ghc-prim:GHC.Types.:", 20) || !strncmp(first + 18, "main:Main.", 10)),
		  "the leak's closure type first: %.300s", first ? first : shown);
	cr_assert(strstr(shown, "7: keep module environments") && strstr(shown, "every metric") &&
		      strstr(shown, "class=\"second\""),
		  "both revisions, every metric, both sides' live bytes: %s", shown);
	free(shown);
	/* the same for a CI log or an issue comment */
	struct lb_out o;
	snprintf(path, sizeof(path), "%s/demo", dir);
	cr_assert_eq(run_lb(&o, path, "regressions", "--markdown", NULL), 1, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "| fixture | edits | expectations |") && strstr(o.out, "#### What grew") &&
		      strstr(o.out, "7: keep module environments") && strstr(o.out, "c-fixture-edits-"),
		  "%s", o.out);
	const char *what = strstr(o.out, "#### What grew");
	cr_assert(what && (strstr(what, "`ghc-prim:GHC.Types.:`") || strstr(what, "`main:Main.")), "%s", o.out);
	lb_out_free(&o);
	free(out);

	/* ci/cron/leakbench-nightly.sh the next night: nothing new, the site published; overlapping runs refused */
	snprintf(path, sizeof(path), "LEAKBENCH_PUBLISH=%s/pub", dir);
	status = cron(dir, path, "WORKDIR", &out);
	cr_assert_eq(status, 0, "%s", out);
	cr_assert(strstr(out, "nothing new") && strstr(out, "done, exit 0"), "%s", out);
	free(out);
	snprintf(path, sizeof(path), "%s/pub/index.html", dir);
	cr_assert_eq(access(path, R_OK), 0, "the site is published");
	snprintf(cmd, sizeof(cmd),
		 "cd %s && flock %s/demo/.nightly.lock sleep 3 & sleep 0.5; cd %s && LEAKBENCH=%s sh ci/cron/leakbench-nightly.sh %s/demo > %s/cron2.out 2>&1",
		 dir, dir, getenv("LEAKBENCH_ROOT"), getenv("LEAKBENCH_BIN"), dir, dir);
	status = system(cmd);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 75, "a second run while the first holds the lock");
	sleep(3);

	/* the same machine checks a branch (a pull request): commit 8 against commit 4, one more
	 * run a side, kept out of the nightly's history */
	char db[700], checks[700];
	snprintf(db, sizeof(db), "%s/demo/demo.db", dir);
	snprintf(checks, sizeof(checks), "%s/demo/checks/checks.db", dir);
	double nightly_runs = db_scalar(db, "SELECT count(*) FROM runs");
	status = cron(dir, "", "--check HEAD~8 HEAD~4 WORKDIR --leak --repeat 2", &out);
	cr_assert_eq(status, 1, "commit 8 leaks: %s", out);
	cr_assert(strstr(out, "done, exit 1") && strstr(out, "checks/HEAD_4.md"), "%s", out);
	free(out);
	snprintf(path, sizeof(path), "%s/demo/checks/HEAD_4.md", dir);
	md = slurp_file(path);
	cr_assert(md && strstr(md, "is **bad** against") && strstr(md, "break an expectation") &&
		      strstr(md, "What grew: `checks/HEAD_4/c-fixture-edits-"),
		  "%s", md);
	free(md);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM runs"), nightly_runs, "the nightly's history is untouched");
	cr_assert_eq(db_scalar(checks, "SELECT count(*) FROM runs"), nightly_runs + 2, "its runs and one more a side");

	/* a later night: the leak mended at 13 and back at 14; the webhook is down, a notify
	 * command takes the message, and the night's work is done all the same */
	snprintf(cmd, sizeof(cmd),
		 "cd %s/demo && echo 'command = cat > %s/message.json' >> leakbench.ini && cd demo-repo && "
		 "sed -i 's/(\"--leak\" `elem` args || True)/(\"--leak\" `elem` args)/' lspfix.hs && "
		 "git commit -qam '13: mend the leak' && "
		 "sed -i 's/(\"--leak\" `elem` args)/(\"--leak\" `elem` args || True)/' lspfix.hs && "
		 "git commit -qam '14: the leak is back'",
		 dir, dir);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	int dead;
	pid_t gone = http_server(dir, 0, 500, &dead);
	kill(gone, SIGKILL);
	waitpid(gone, NULL, 0);
	snprintf(hook, sizeof(hook), "http://127.0.0.1:%d/hooks/demo-secret-token", dead);
	setenv("LEAKBENCH_DEMO_WEBHOOK", hook, 1);
	snprintf(cmd, sizeof(cmd), "cd %s/demo && %s nightly > %s/night3.out 2>&1", dir, getenv("LEAKBENCH_BIN"), dir);
	status = system(cmd);
	unsetenv("LEAKBENCH_DEMO_WEBHOOK");
	snprintf(path, sizeof(path), "%s/night3.out", dir);
	out = slurp_file(path);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1, "a new leak flagged: %s", out);
	cr_assert(strstr(out, "warning: the webhook ($LEAKBENCH_DEMO_WEBHOOK) did not take the message") &&
		      strstr(out, "notified the notify command") && strstr(out, "dashboard:") &&
		      !strstr(out, "demo-secret-token"),
		  "%s", out);
	free(out);
	snprintf(path, sizeof(path), "%s/message.json", dir);
	char *msg = slurp_file(path);
	cr_assert(msg && strstr(msg, "14: the leak is back") && strstr(msg, "\"target\": \"fixture\""), "%s", msg);
	free(msg);
	rm_rf(dir);
	free(dir);
}

/* A night split over a CI matrix, through ci/github/leakbench-nightly-matrix.yml's own steps:
 * two jobs sweep their shares of what is new on copies of last night's database, a final job
 * merges them and judges; the leak (from commit 5 on) is flagged as tonight's. */
Test(nightly, a_night_split_over_a_matrix_flags_what_one_machine_would, .timeout = 600)
{
	char *dir = scratch_dir(), sha[9][41], *text, cmd[6000], path[800], *said = NULL;
	git_libgit2_init();
	git_repository *repo = history_make(dir, sha, &text);
	free(text);
	history_write_scenario(dir);
	/* one workspace per job, each with the config (its database leakbench.db, as the
	 * workflow expects) and leakbench built beside it */
	char *c = history_swap(strdup(history_config), "database = full.db", "database = leakbench.db");
	c = history_swap(c, "repo = src", "repo = ../src");
	c = history_swap(c, "cache = cache", "cache = ../cache");
	c = history_swap(c, "file = edits.scn", "file = ../edits.scn");
	const char *const jobs[] = {"final", "shard1", "shard2"};
	char ws[3][700];
	for (int k = 0; k < 3; k++) {
		snprintf(ws[k], sizeof(ws[k]), "%s/%s", dir, jobs[k]);
		snprintf(cmd, sizeof(cmd), "mkdir -p %s/leakbench-src && ln -s %s %s/leakbench-src/leakbench", ws[k],
			 getenv("LEAKBENCH_BIN"), ws[k]);
		cr_assert_eq(system(cmd), 0);
		write_file(ws[k], "leakbench.ini", c);
	}
	free(c);
	struct lb_out o;
	cr_assert_eq(run_lb(&o, ws[0], "sweep", "--target", "fix", sha[4], NULL), 0, "%s%s", o.out, o.err); /* last night */
	lb_out_free(&o);
	setenv("SHARDS", "2", 1);
	for (int k = 1; k <= 2; k++) {
		snprintf(cmd, sizeof(cmd), "cp %s/leakbench.db %s/", ws[0], ws[k]); /* the cache restored */
		cr_assert_eq(system(cmd), 0);
		setenv("SHARD", k == 1 ? "1" : "2", 1);
		cr_assert_eq(ci_step("leakbench-nightly-matrix.yml", "shard", "leakbench nightly --shard", ws[k], &said), 0,
			     "%s", said);
		cr_assert(strstr(said, "2 revisions (of 4 listed, shard ") && strstr(said, "nightly: shard ") &&
			      !strstr(said, "dashboard"),
			  "a shard sweeps its share and stops: %s", said);
		free(said);
		snprintf(cmd, sizeof(cmd), "mkdir -p %s/shards && cp %s/shard/shard-%d.db %s/shards/", ws[0], ws[k], k, ws[0]);
		cr_assert_eq(system(cmd), 0, "the shard's database is where the upload takes it");
	}
	snprintf(path, sizeof(path), "%s/leakbench.db", ws[0]);
	cr_assert_eq(db_scalar(path, "SELECT count(*) FROM runs"), 1, "the shards wrote their own copies");

	/* the final job: merged, judged, written; the verdict fails the job */
	cr_assert_eq(ci_step("leakbench-nightly-matrix.yml", "nightly", "leakbench nightly --merge", ws[0], &said), 0, "%s",
		     said);
	char flagged[80];
	snprintf(flagged, sizeof(flagged), "-> %.12s", sha[5]);
	cr_assert(strstr(said, "shards/shard-1.db: 2 revisions, 2 runs added") && strstr(said, flagged) &&
		      strstr(said, "nightly: 1 new flagged") && strstr(said, "dashboard:"),
		  "%s", said);
	free(said);
	cr_assert_eq(db_scalar(path, "SELECT count(*) FROM runs"), 5);
	snprintf(path, sizeof(path), "%s/output", ws[0]);
	text = slurp_file(path);
	cr_assert(text && strstr(text, "status=1"), "%s", text);
	free(text);
	setenv("STATUS", "1", 1);
	setenv("SHARDS_RESULT", "success", 1);
	cr_assert_eq(ci_step("leakbench-nightly-matrix.yml", "nightly", "the verdict", ws[0], &said), 1, "%s", said);
	free(said);
	/* the same shards again (a rerun of the final job) bring nothing new to flag */
	cr_assert_eq(ci_step("leakbench-nightly-matrix.yml", "nightly", "leakbench nightly --merge", ws[0], &said), 0, "%s",
		     said);
	cr_assert(strstr(said, "nothing new") && strstr(said, "nightly: 0 new flagged"), "%s", said);
	free(said);

	cr_assert_eq(run_lb(&o, ws[0], "nightly", "--merge", NULL), 2);
	cr_assert(strstr(o.err, "--merge needs the shards' databases"), "%s", o.err);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, ws[0], "nightly", "--shard", "3/2", NULL), 2);
	cr_assert(strstr(o.err, "--shard is K/N"), "%s", o.err);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, ws[0], "nightly", "--merge", "shards/shard-1.db", "--shard", "1/2", NULL), 2);
	lb_out_free(&o);
	git_repository_free(repo);
	git_libgit2_shutdown();
	rm_rf(dir);
	free(dir);
}
