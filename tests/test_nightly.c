/*
 * test_nightly.c - `make demo` as a test: the demo script builds a twelve-commit history of
 * the fixture server (leak switched on at commit 7), measures commit 4 as "last night", then
 * runs `leakbench nightly --every 4`, which must flag the leak, bisect it to commit 7, write
 * the dashboard and the CI job's Markdown summary.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/helpers.h"

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
	snprintf(cmd, sizeof(cmd),
		 "cd %s && LEAKBENCH=%s LEAKBENCH_PUBLISH=%s/pub sh ci/cron/leakbench-nightly.sh %s/demo > %s/cron.out 2>&1", getenv("LEAKBENCH_ROOT"),
		 getenv("LEAKBENCH_BIN"), dir, dir, dir);
	status = system(cmd);
	snprintf(path, sizeof(path), "%s/cron.out", dir);
	out = slurp_file(path);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s", out);
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
