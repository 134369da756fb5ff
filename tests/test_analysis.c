/*
 * test_analysis.c - compare, check and bisect as a user runs them, on real git histories
 * built here and real GHC builds: a small program whose allocation doubles at one commit
 * (a metric regression), and the fixture LSP server whose leak switches on at commit 5.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <git2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/text.h"
#include "tests/helpers.h"
#include "tests/history.h"

static const char alloc_config[] =
	"[leakbench]\n"
	"database = a.db\n"
	"cache = cache\n"
	"\n"
	"[target alloc]\n"
	"repo = src\n"
	"build = ghc -v0 -O0 -rtsopts -eventlog -outputdir {out}/o -o {out}/alloc {src}/alloc.hs\n"
	"program = alloc\n"
	"runner = exec\n"
	"commit-url = https://example.org/alloc/commit/{sha}\n"
	"\n"
	"[scenario count]\n"
	"file = count.scn\n"
	"repeat = 5\n";

static const char alloc_src[] = "main :: IO ()\nmain = print (sum [1 .. n])\n  where n = 300000 :: Integer\n";

/* DIR/src: a repository whose first commit ("one") is alloc_src, its sha in first; db gets
 * DIR/a.db (the config's database). */
static git_repository *alloc_repo(const char *dir, char db[700], char first[41])
{
	char src[600];
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(db, 700, "%s/a.db", dir);
	git_libgit2_init();
	git_repository *repo;
	cr_assert_eq(git_repository_init(&repo, src, 0), 0);
	git_commit_file(repo, "one", "alloc.hs", alloc_src, first);
	return repo;
}

Test(analysis, compare_check_and_bisect_see_a_doubled_allocation, .timeout = 300)
{
	char *dir = scratch_dir(), sha[4][41], db[700];
	git_repository *repo = alloc_repo(dir, db, sha[1]);
	char *v = history_swap(strdup(alloc_src), "main :: IO ()", "-- counting\nmain :: IO ()");
	git_commit_file(repo, "two: a comment", "alloc.hs", v, sha[2]);
	v = history_swap(v, "300000", "600000");
	git_commit_file(repo, "three: twice the numbers", "alloc.hs", v, sha[3]);
	free(v);
	write_file(dir, "leakbench.ini", alloc_config);
	write_file(dir, "count.scn", "scenario count\nrunner exec\nrun\n");
	char list[200];
	snprintf(list, sizeof(list), "%s\n%s\n%s\n", sha[1], sha[2], sha[3]);
	write_file(dir, "revs.txt", list);
	struct lb_out o;
	cr_assert_eq(run_lb(&o, dir, "sweep", "--target", "alloc", "--list", "revs.txt", NULL), 0, "%s%s", o.out, o.err);
	lb_out_free(&o);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM runs"), 15);

	/* a comment changes nothing; twice the numbers, about twice the allocation */
	char b[16], c[16], n[16];
	snprintf(b, sizeof(b), "%.10s", sha[1]);
	snprintf(c, sizeof(c), "%.10s", sha[2]);
	snprintf(n, sizeof(n), "%.10s", sha[3]);
	cr_assert_eq(run_lb(&o, dir, "compare", b, c, "--metric", "allocated_bytes", NULL), 0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "allocated_bytes") && strstr(o.out, "same"), "%s", o.out);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, dir, "compare", b, n, "--json", NULL), 1, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "\"metric\": \"allocated_bytes\""), "%s", o.out);
	const char *row = strstr(o.out, "\"metric\": \"allocated_bytes\"");
	const char *verdict = strstr(row, "\"verdict\"");
	cr_assert(verdict && !strncmp(verdict, "\"verdict\": \"regression\"", 23), "%s", row);
	double change = strtod(strstr(row, "\"change\": ") + 10, NULL);
	cr_assert(change > 0.5 && change < 1.5, "allocation about doubles: %g", change);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, dir, "compare", b, n, "--markdown", "--metric", "allocated_bytes", NULL), 1);
	cr_assert(strstr(o.out, "| `allocated_bytes` |") && strstr(o.out, "**regression**"), "%s", o.out);
	lb_out_free(&o);

	/* check: exit 1 for the doubling, 0 for the comment, the baseline found by itself */
	cr_assert_eq(run_lb(&o, dir, "check", "--rev", n, "--baseline", b, "--metric", "allocated_bytes", NULL), 1,
		     "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "is bad: allocated_bytes +"), "%s", o.out);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, dir, "check", "--rev", c, "--metric", "allocated_bytes", NULL), 0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "against ") && strstr(o.out, "is good"), "%s", o.out);
	lb_out_free(&o);

	/* bisect from what the sweep stored: nothing to build or run */
	cr_assert_eq(run_lb(&o, dir, "bisect", "--good", b, "--bad", n, "--metric", "allocated_bytes", NULL), 0, "%s%s",
		     o.out, o.err);
	char want[80];
	snprintf(want, sizeof(want), "first bad commit: %s", sha[3]);
	cr_assert(strstr(o.out, want) && strstr(o.out, "three: twice the numbers"), "%s", o.out);
	cr_assert(strstr(o.out, "the search cost 0 builds and 0 runs"), "%s", o.out);
	lb_out_free(&o);

	/* the history flags the doubling until it is accepted */
	cr_assert_eq(run_lb(&o, dir, "regressions", "--metric", "allocated_bytes", NULL), 1, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "allocated_bytes") && strstr(o.out, "three: twice the numbers") &&
		      strstr(o.out, "1 flagged, 0 of them accepted"),
		  "%s", o.out);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, dir, "accept", "--rev", n, "--metric", "allocated_bytes", "--reason", "more numbers", NULL),
		     0, "%s%s", o.out, o.err);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, dir, "regressions", "--metric", "allocated_bytes", NULL), 0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "(accepted)"), "%s", o.out);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, dir, "check", "--rev", n, "--baseline", b, "--metric", "allocated_bytes", NULL), 0,
		     "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "but for a change accepted at"), "%s", o.out);
	lb_out_free(&o);
	/* a Metric-Increase trailer accepts as the commit is measured */
	v = history_swap(strdup(alloc_src), "300000", "1200000");
	char four[41];
	git_commit_file(repo, "four: four times\n\nMetric-Increase: allocated_bytes\n", "alloc.hs", v, four);
	free(v);
	cr_assert_eq(run_lb(&o, dir, "check", "--rev", four, "--metric", "allocated_bytes", NULL), 0, "%s%s", o.out,
		     o.err);
	cr_assert(strstr(o.out, "but for a change accepted at"), "%s", o.out);
	lb_out_free(&o);

	/* bad requests: a clear error, nothing changed */
	double runs = db_scalar(db, "SELECT count(*) FROM runs"), bisects = db_scalar(db, "SELECT count(*) FROM bisects");
	cr_assert_eq(run_lb(&o, dir, "compare", b, n, "--metric", "max_leak", NULL), 2);
	cr_assert(strstr(o.err, "unknown metric 'max_leak'"), "%s", o.err);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, dir, "compare", "no-such-tag", n, NULL), 2);
	cr_assert(strstr(o.err, "unknown revision 'no-such-tag'"), "%s", o.err);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, dir, "bisect", "--good", n, "--bad", b, NULL), 2);
	cr_assert(strstr(o.err, "is not an ancestor"), "%s", o.err);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, dir, "bisect", "--good", b, "--bad", c, "--metric", "allocated_bytes", NULL), 2);
	cr_assert(strstr(o.err, "does not show it"), "%s", o.err);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, dir, "bisect", "--good", b, "--bad", n, "--scenario", "nosuch", NULL), 2);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, dir, "check", "--rev", n, "--metric", "max_leak", NULL), 128);
	lb_out_free(&o);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM runs"), runs);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM bisects"), bisects);
	git_repository_free(repo);
	git_libgit2_shutdown();
	rm_rf(dir);
	free(dir);
}

/* What a pull request's CI job does (ci/github/leakbench-pr.yml): its head checked against
 * the merge base on two scenarios, runs alternating between the two, the comparison as
 * Markdown with links to the pages of what grew; a Metric-Increase line in the pull
 * request's description, or in a commit of it that was never built, accepts the change. */
/* A program whose work grows with a state file (as a cache on the machine grows): its runs
 * allocate more one after another whatever revision they measure.  Two revisions that build
 * it byte-identical differ by that drift alone, which the history must not flag. */
Test(analysis, revisions_of_one_binary_are_never_flagged_against_each_other, .timeout = 300)
{
	char *dir = scratch_dir(), sha[3][41], db[700], src[1200];
	snprintf(src, sizeof(src),
		 "import Control.Exception\n"
		 "main :: IO ()\n"
		 "main = do\n"
		 "  r <- try (readFile \"%s/runs\") :: IO (Either IOException String)\n"
		 "  let k = either (const 0) read r :: Integer\n"
		 "  k `seq` writeFile \"%s/runs\" (show (k + 1))\n"
		 "  print (sum [1 .. 100000 * (k + 1)])\n",
		 dir, dir);
	char srcdir[700];
	snprintf(srcdir, sizeof(srcdir), "%s/src", dir);
	snprintf(db, sizeof(db), "%s/a.db", dir);
	git_libgit2_init();
	git_repository *repo;
	cr_assert_eq(git_repository_init(&repo, srcdir, 0), 0);
	git_commit_file(repo, "one", "alloc.hs", src, sha[1]);
	char *v = history_swap(strdup(src), "main :: IO ()", "-- a comment\nmain :: IO ()");
	git_commit_file(repo, "two: a comment", "alloc.hs", v, sha[2]);
	free(v);
	write_file(dir, "leakbench.ini", alloc_config);
	write_file(dir, "count.scn", "scenario count\nrunner exec\nrun\n");
	struct lb_out o;
	char list[200];
	snprintf(list, sizeof(list), "%s\n%s\n", sha[1], sha[2]);
	write_file(dir, "revs.txt", list);
	cr_assert_eq(run_lb(&o, dir, "sweep", "--target", "alloc", "--list", "revs.txt", NULL), 0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "byte-identical to the build of"), "%s", o.out);
	lb_out_free(&o);
	cr_assert_eq(db_scalar(db, "SELECT count(DISTINCT binary_hash) FROM builds"), 1.0, "one program twice");
	/* the drift is there, larger than any floor: the second revision's runs came later */
	char q[600];
	snprintf(q, sizeof(q),
		 "SELECT min(m.value) / (SELECT max(m2.value) FROM metrics m2 JOIN runs u2 ON u2.id = m2.run_id JOIN"
		 " revisions r2 ON r2.id = u2.revision_id WHERE r2.sha = '%s' AND m2.name = 'allocated_bytes')"
		 " FROM metrics m JOIN runs u ON u.id = m.run_id JOIN revisions r ON r.id = u.revision_id"
		 " WHERE r.sha = '%s' AND m.name = 'allocated_bytes'",
		 sha[1], sha[2]);
	double ratio = db_scalar(db, q);
	cr_assert(ratio > 1.05, "every run of the second revision allocated more than any of the first: %g", ratio);
	cr_assert_eq(run_lb(&o, dir, "regressions", "--metric", "allocated_bytes", NULL), 0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "nothing flagged"), "%s", o.out);
	lb_out_free(&o);
	/* nor does check call the second bad, on any metric: git bisect run would go astray */
	char base[16];
	snprintf(base, sizeof(base), "%.12s", sha[1]);
	cr_assert_eq(run_lb(&o, dir, "check", "--rev", "HEAD", "--baseline", base, NULL), 0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "is good: its binary is byte-identical to that of"), "%s", o.out);
	lb_out_free(&o);
	git_repository_free(repo);
	git_libgit2_shutdown();
	rm_rf(dir);
	free(dir);
}

Test(analysis, a_pull_request_is_checked_against_its_merge_base, .timeout = 300)
{
	char *dir = scratch_dir(), sha[5][41], db[700], path[800];
	git_repository *repo = alloc_repo(dir, db, sha[1]);
	char *v = history_swap(strdup(alloc_src), "300000", "600000");
	git_commit_file(repo, "two: twice the numbers", "alloc.hs", v, sha[2]);
	v = history_swap(v, "600000", "1200000");
	git_commit_file(repo, "three: twice again\n\nMetric-Increase: allocated_bytes\n", "alloc.hs", v, sha[3]);
	v = history_swap(v, "main :: IO ()", "-- counting\nmain :: IO ()");
	git_commit_file(repo, "four: a comment", "alloc.hs", v, sha[4]);
	free(v);
	char config[1200];
	snprintf(config, sizeof(config), "%s\n[scenario count2]\nfile = count2.scn\nrepeat = 5\n", alloc_config);
	write_file(dir, "leakbench.ini", config);
	write_file(dir, "count.scn", "scenario count\nrunner exec\nrun\n");
	write_file(dir, "count2.scn", "scenario count2\nrunner exec\nrun\n");
	write_file(dir, "body.txt", "Counts further.\r\n\r\nMetric-Increase: allocated_bytes\r\n");

	/* the head doubles the allocation: bad on both scenarios, the Markdown says so */
	struct lb_out o;
	char *pr[] = {"check", "--rev", sha[2], "--branched-from", sha[1], "--metric", "allocated_bytes", "--scenario", "count",
		      "--scenario", "count2", "--markdown", "pr.md", "--site", "pr-site", "--site-url",
		      "https://example.org/pr/7", NULL};
	cr_assert_eq(run_lbv(&o, dir, pr), 1, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "is bad over 2 scenarios"), "%s", o.out);
	lb_out_free(&o);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM runs"), 20);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM (SELECT revision_id, lag(revision_id) OVER (ORDER BY started_at) "
				   "AS prev FROM runs WHERE scenario = 'count') WHERE revision_id = prev"),
		     0, "the base's and the head's runs alternate");
	snprintf(path, sizeof(path), "%s/pr.md", dir);
	char *md = slurp_file(path), page[200];
	snprintf(page, sizeof(page), "https://example.org/pr/7/c-alloc-count2-%.12s-%.12s.html", sha[1], sha[2]);
	cr_assert(md && !strncmp(md, "## leakbench: `", 15) && strstr(md, "is **bad** against") &&
		      strstr(md, "scenario `count`") && strstr(md, "scenario `count2`") &&
		      strstr(md, "| `allocated_bytes` |") && strstr(md, "**regression**") && strstr(md, page),
		  "%s", md);
	free(md);
	snprintf(path, sizeof(path), "%s/pr-site/c-alloc-count-%.12s-%.12s.html", dir, sha[1], sha[2]);
	char *html = slurp_file(path);
	cr_assert(html && strstr(html, "two: twice the numbers") && strstr(html, "allocated_bytes"), "%s", path);
	free(html);
	/* with the pages of both sides' runs it links: 5 a side in each of the two scenarios */
	char why[400] = "";
	size_t run_pages = 0;
	snprintf(path, sizeof(path), "%s/pr-site", dir);
	cr_assert_eq(site_check(path, &run_pages, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(run_pages, 20);

	/* the description accepts it: good, nothing measured again */
	char *accepted[] = {"check", "--rev", sha[2], "--baseline", sha[1], "--metric", "allocated_bytes", "--markdown",
			    "pr.md", "--trailers", "body.txt", NULL};
	cr_assert_eq(run_lbv(&o, dir, accepted), 0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "but for a change accepted in body.txt"), "%s", o.out);
	lb_out_free(&o);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM runs"), 20);
	snprintf(path, sizeof(path), "%s/pr.md", dir);
	md = slurp_file(path);
	cr_assert(md && strstr(md, "is **good** against") && strstr(md, "(alloc, 2 scenarios)"), "%s", md);
	free(md);

	/* the same through the GitHub workflow's own steps (ci/github/leakbench-pr.yml) */
	char cmd[1600];
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/leakbench-src && ln -s %s %s/leakbench-src/leakbench", dir,
		 getenv("LEAKBENCH_BIN"), dir);
	cr_assert_eq(system(cmd), 0);
	setenv("BASE_SHA", sha[1], 1);
	setenv("HEAD_SHA", sha[2], 1);
	setenv("LEAKBENCH_SCENARIOS", "--metric allocated_bytes", 1);
	setenv("LEAKBENCH_SITE_URL", "", 1);
	for (int meant = 0; meant <= 1; meant++) {
		setenv("DESCRIPTION", meant ? "Counts further.\r\n\r\nMetric-Increase: allocated_bytes\r\n" : "Counts further.", 1);
		char *said = NULL;
		snprintf(path, sizeof(path), "%s/output", dir);
		unlink(path);
		cr_assert_eq(ci_step("leakbench-pr.yml", "check", "leakbench check", dir, &said), 0, "%s", said);
		free(said);
		char *output = slurp_file(path);
		cr_assert(output && strstr(output, meant ? "status=0" : "status=1"), "%s", output);
		free(output);
		snprintf(path, sizeof(path), "%s/leakbench-pr.md", dir);
		md = slurp_file(path);
		cr_assert(md && strstr(md, meant ? "is **good** against" : "is **bad** against") &&
			      strstr(md, "https://github.com/example/hls/actions/runs/42") &&
			      strstr(md, "What grew: `leakbench-pr/c-alloc-count-"),
			  "%s", md);
		free(md);
		setenv("STATUS", meant ? "0" : "1", 1);
		cr_assert_eq(ci_step("leakbench-pr.yml", "check", "the verdict", dir, &said), meant ? 0 : 1, "%s", said);
		cr_assert(meant || strstr(said, "::error::leakbench: a regression"), "%s", said);
		free(said);
	}
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM runs"), 20, "the runs were there already");

	/* a commit of the pull request that was never built accepts it too */
	char want[80];
	snprintf(want, sizeof(want), "but for a change accepted at %.12s", sha[3]);
	cr_assert_eq(run_lb(&o, dir, "check", "--rev", sha[4], "--baseline", sha[2], "--metric", "allocated_bytes",
			    "--scenario", "count", NULL),
		     0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, want), "%s", o.out);
	lb_out_free(&o);
	snprintf(path, sizeof(path), "SELECT count(*) FROM revisions WHERE sha = '%s'", sha[3]);
	cr_assert_eq(db_scalar(db, path), 0, "commit three is not built");

	/* a base that does not build: trouble, said in the Markdown too */
	char broken[41];
	git_commit_file(repo, "five: does not build", "alloc.hs", "main = \n", broken);
	cr_assert_eq(run_lb(&o, dir, "check", "--rev", sha[4], "--baseline", broken, "--scenario", "count", "--markdown",
			    "broken.md", NULL),
		     128, "%s%s", o.out, o.err);
	char *said_broken = NULL;
	cr_assert(asprintf(&said_broken, "%s%s", o.out, o.err) > 0);
	lb_out_free(&o);
	snprintf(path, sizeof(path), "%s/broken.md", dir);
	md = slurp_file(path);
	cr_assert(md && strstr(md, "is **error** against") && strstr(md, "**error**: the base ") &&
		      strstr(md, "does not build"),
		  "%s\n%s", md, said_broken);
	free(md);
	free(said_broken);

	/* bad requests */
	cr_assert_eq(run_lb(&o, dir, "check", "--rev", sha[2], "--baseline", sha[1], "--trailers", "nosuch.txt", NULL), 128);
	cr_assert(strstr(o.err, "nosuch.txt"), "%s", o.err);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, dir, "check", "--rev", sha[2], "--baseline", sha[1], "--scenario", "count", "--scenario",
			    "nosuch", NULL),
		     128);
	cr_assert(strstr(o.err, "nosuch"), "%s", o.err);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, dir, "check", "--rev", sha[2], "--baseline", sha[1], "--branched-from", "master", NULL), 128);
	cr_assert(strstr(o.err, "--baseline or --branched-from, not both"), "%s", o.err);
	lb_out_free(&o);
	git_repository_free(repo);
	git_libgit2_shutdown();
	rm_rf(dir);
	free(dir);
}

Test(analysis, bisect_names_the_leak_commit_and_git_bisect_run_agrees, .timeout = 600)
{
	char *dir = scratch_dir(), sha[9][41], *text, db[700];
	snprintf(db, sizeof(db), "%s/full.db", dir);
	git_libgit2_init();
	git_repository *repo = history_make(dir, sha, &text);
	free(text);
	write_file(dir, "leakbench.ini", history_config);
	history_write_scenario(dir);
	struct lb_out o;
	char *args[] = {"bisect", "--good", sha[1], "--bad", sha[8], "--leak", "--repeat", "1", NULL};
	cr_assert_eq(run_lbv(&o, dir, args), 0, "%s%s", o.out, o.err);
	char want[80];
	snprintf(want, sizeof(want), "first bad commit: %s", sha[5]);
	cr_assert(strstr(o.out, want) && strstr(o.out, "five: keep every module env"), "%s", o.out);
	char skipped[80];
	snprintf(skipped, sizeof(skipped), "%.12s skipped: it does not build", sha[3]);
	cr_assert(strstr(o.out, skipped), "commit 3 is skipped:\n%s", o.out);
	const char *cost = strstr(o.out, "the search cost ");
	cr_assert(cost, "%s", o.out);
	long builds = strtol(cost + 16, NULL, 10);
	cr_assert(builds >= 3 && builds <= 5, "ceil(log2 8) + 2 = 5 builds at most: %ld\n%s", builds, o.out);
	lb_out_free(&o);
	/* the same again: everything is stored */
	cr_assert_eq(run_lbv(&o, dir, args), 0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, want) && strstr(o.out, "the search cost 0 builds and 0 runs"), "%s", o.out);
	lb_out_free(&o);
	char sql[200];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM bisects WHERE result_sha = '%s' AND status = 'found'", sha[5]);
	cr_assert_eq(db_scalar(db, sql), 2);

	/* a good end that already shows the leak is refused, and nothing is stored */
	char *late[] = {"bisect", "--good", sha[6], "--bad", sha[8], "--leak", "--repeat", "1", NULL};
	cr_assert_eq(run_lbv(&o, dir, late), 2, "%s%s", o.out, o.err);
	cr_assert(strstr(o.err, "already shows it"), "%s", o.err);
	lb_out_free(&o);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM bisects"), 2);

	/* git bisect run with leakbench check reaches the same commit */
	char cmd[2400], out[700];
	snprintf(out, sizeof(out), "%s/git-bisect.out", dir);
	snprintf(cmd, sizeof(cmd),
		 "cd %s/src && git reset -q --hard && git bisect start %s %s >/dev/null && "
		 "git bisect run %s check --config %s/leakbench.ini --leak --repeat 1 --scenario edits > %s 2>&1",
		 dir, sha[8], sha[1], getenv("LEAKBENCH_BIN"), dir, out);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	char *said = slurp_file(out);
	snprintf(want, sizeof(want), "%s is the first bad commit", sha[5]);
	cr_assert(said && strstr(said, want), "%s", said);
	free(said);
	git_repository_free(repo);
	git_libgit2_shutdown();
	rm_rf(dir);
	free(dir);
}

Test(analysis, regressions_finds_a_change_of_level_in_single_run_nights, .timeout = 300)
{
	char *dir = scratch_dir(), src[600];
	snprintf(src, sizeof(src), "%s/src", dir);
	git_libgit2_init();
	git_repository *repo;
	cr_assert_eq(git_repository_init(&repo, src, 0), 0);
	/* six nights: three at one allocation, three at twice it, each a different program */
	const char *msgs[] = {"night one", "night two", "night three", "night four: doubled",
			      "night five <script>alert(1)</script>", "night six"};
	for (int i = 0; i < 6; i++) {
		char text[200];
		snprintf(text, sizeof(text), "-- %d\nmain :: IO ()\nmain = print (sum [1 .. n])\n  where n = %d :: Integer\n",
			 i, i < 3 ? 300000 : 600000);
		git_commit_file(repo, msgs[i], "alloc.hs", text, NULL);
	}
	write_file(dir, "leakbench.ini", alloc_config);
	write_file(dir, "count.scn", "scenario count\nrunner exec\nrun\n");
	struct lb_out o;
	cr_assert_eq(run_lb(&o, dir, "sweep", "--target", "alloc", "HEAD~5..HEAD", "--repeat", "1", NULL), 0, "%s%s",
		     o.out, o.err);
	lb_out_free(&o);
	/* HEAD~5..HEAD leaves the first night out: sweep it too */
	cr_assert_eq(run_lb(&o, dir, "sweep", "--target", "alloc", "HEAD~5", "--repeat", "1", NULL), 0, "%s%s", o.out,
		     o.err);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, dir, "regressions", "--metric", "allocated_bytes", NULL), 1, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "night four: doubled") && strstr(o.out, "trend: +"), "%s", o.out);
	cr_assert(strstr(o.out, "1 flagged"), "one change of level, found once: %s", o.out);
	lb_out_free(&o);

	/* the dashboard: every revision drawn, the change marked, strings escaped, links made */
	cr_assert_eq(run_lb(&o, dir, "report", "--out", "site", NULL), 0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "(6 runs, ") && !strstr(o.out, " 0 flagged"), "%s", o.out);
	lb_out_free(&o);
	char path[800];
	snprintf(path, sizeof(path), "%s/site/m-alloc-count-allocated_bytes.html", dir);
	char *page = slurp_file(path);
	cr_assert(page, "%s", path);
	int flagged, points = trend_points(page, 1, &flagged);
	cr_assert_eq(points, 6, "a point per revision");
	cr_assert_eq(flagged, 1, "night four marked");
	cr_assert(strstr(page, "\"cuts\":[["), "the change of level drawn");
	cr_assert(strstr(page, "night five &lt;script&gt;alert(1)&lt;/script&gt;") && !strstr(page, "<script>alert") &&
		      strstr(page, "night five \\u003cscript>alert(1)\\u003c\\/script>"),
		  "a commit subject is text in the table and an escaped string in the chart's data, never markup");
	cr_assert(strstr(page, "href=\"https://example.org/alloc/commit/") && strstr(page, "https:\\/\\/example.org\\/alloc\\/commit\\/"),
		  "points and rows open their commit");
	free(page);
	snprintf(path, sizeof(path), "%s/site/regressions.html", dir);
	page = slurp_file(path);
	cr_assert(page && strstr(page, "night four: doubled") && strstr(page, "trend: +"), "%s", page);
	free(page);
	snprintf(path, sizeof(path), "%s/site/index.html", dir);
	page = slurp_file(path);
	cr_assert(page && strstr(page, "m-alloc-count-allocated_bytes.html") && strstr(page, "<svg"), "%s", page);
	free(page);
	/* a second report replaces the first whole, leaving nothing beside it; the runs' pages,
	 * which nothing new changes, are taken over, byte for byte */
	char cmd[700], *before, *after;
	snprintf(cmd, sizeof(cmd), "cat %s/site/r-*.html", dir);
	before = command_output(cmd);
	cr_assert_eq(run_lb(&o, dir, "report", "--out", "site", NULL), 0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "(6 runs, 6 of them unchanged since the last report)"), "%s", o.out);
	lb_out_free(&o);
	after = command_output(cmd);
	cr_assert(before && after && !strcmp(before, after));
	free(before), free(after);
	snprintf(cmd, sizeof(cmd), "test $(ls -d %s/site* | wc -l) -eq 1 && test $(ls %s/site/r-*.html | wc -l) -eq 6", dir,
		 dir);
	cr_assert_eq(system(cmd), 0, "one site folder, a page per run");
	/* other commit links: every run page is written anew */
	char *ini = text_replace(alloc_config, "https://example.org/alloc/commit/{sha}", "https://example.com/c/{sha}");
	write_file(dir, "leakbench.ini", ini);
	free(ini);
	cr_assert_eq(run_lb(&o, dir, "report", "--out", "site", NULL), 0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "(6 runs, 0 of them unchanged since the last report)"), "%s", o.out);
	lb_out_free(&o);
	snprintf(cmd, sizeof(cmd), "grep -l 'https://example.com/c/' %s/site/r-*.html | wc -l", dir);
	after = command_output(cmd);
	cr_assert(after && atoi(after) == 6, "%s", after);
	free(after);
	git_repository_free(repo);
	git_libgit2_shutdown();
	rm_rf(dir);
	free(dir);
}

/* A python3 http.server serving `dir` on 127.0.0.1 (a published site); *port gets its port. */
static pid_t serve_dir(const char *dir, int *port)
{
	for (int attempt = 0; attempt < 20; attempt++) {
		*port = 20000 + (int)((getpid() * 7919u + (unsigned)attempt * 104729u) % 40000u);
		pid_t pid = fork();
		cr_assert_geq(pid, 0);
		if (pid == 0) {
			char p[16];
			snprintf(p, sizeof(p), "%d", *port);
			int null = open("/dev/null", O_WRONLY);
			dup2(null, 1), dup2(null, 2);
			execlp("python3", "python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", dir, p, (char *)NULL);
			_exit(127);
		}
		for (int i = 0; i < 50; i++) { /* until it answers */
			char cmd[200];
			snprintf(cmd, sizeof(cmd), "curl -s -o /dev/null http://127.0.0.1:%d/ 2>/dev/null", *port);
			if (system(cmd) == 0)
				return pid;
			if (waitpid(pid, NULL, WNOHANG) == pid)
				break; /* the port was taken: another */
			usleep(100000);
		}
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	cr_assert_fail("no port for the test's web server");
	return -1;
}

/* History that survives: the nightly job publishes its database with the site; a night whose
 * CI cache lost the database restores the published one from the web before sweeping, so
 * it measures only what is new and the history is whole.  A published file that is not a
 * database stops the night (it must not publish one night's history over the real one). */
Test(analysis, a_night_without_its_database_restores_the_published_history, .timeout = 300)
{
	char *dir = scratch_dir(), src[600], pub[600], cfg[2000], db[700], cmd[4000];
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(pub, sizeof(pub), "%s/pub", dir);
	snprintf(db, sizeof(db), "%s/a.db", dir);
	mkdir(pub, 0755);
	int port;
	pid_t server = serve_dir(pub, &port);
	git_libgit2_init();
	git_repository *repo;
	cr_assert_eq(git_repository_init(&repo, src, 0), 0);
	git_commit_file(repo, "one", "alloc.hs", alloc_src, NULL);
	char *ini = text_replace(alloc_config, "cache = cache\n", "cache = cache\nsite = site\n");
	snprintf(cfg, sizeof(cfg), "%s[notify]\nwebhook-env = LB_HISTORY_HOOK\n", ini);
	free(ini);
	ini = text_replace(cfg, "site = site\n", "site = site\nhistory-from = http://127.0.0.1:PORT/leakbench.db\n");
	char portstr[16];
	snprintf(portstr, sizeof(portstr), "%d", port);
	char *with_port = text_replace(ini, "PORT", portstr);
	free(ini);
	write_file(dir, "leakbench.ini", with_port);
	free(with_port);
	write_file(dir, "count.scn", "scenario count\nrunner exec\nrun\n");
	setenv("LB_HISTORY_HOOK", "http://127.0.0.1:9/hooks/history-secret-token", 1);

	/* the first night: nothing published yet, a new history; the database goes with the site */
	struct lb_out o;
	cr_assert_eq(run_lb(&o, dir, "nightly", NULL), 0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "nothing published there yet: a new history begins") &&
		      strstr(o.out, "database published with the site:"),
		  "%s", o.out);
	lb_out_free(&o);
	snprintf(cmd, sizeof(cmd), "cp -R %s/site/. %s/ && rm -f %s %s-wal %s-shm", dir, pub, db, db, db); /* publish; evict */
	cr_assert_eq(system(cmd), 0);
	char path[800];
	snprintf(path, sizeof(path), "%s/leakbench.db", pub);
	char *bytes = slurp_file(path);
	cr_assert(bytes, "%s: the database is in the site", path);
	struct stat sb;
	stat(path, &sb);
	cr_assert(!memmem(bytes, (size_t)sb.st_size, "history-secret-token", 20), "the published copy carries no secret");
	free(bytes);

	/* the next night, without its database: restored, then only the new commit is measured */
	git_commit_file(repo, "two: a comment", "alloc.hs", "-- two\nmain :: IO ()\nmain = print (sum [1 .. 300000 :: Integer])\n",
			NULL);
	cr_assert_eq(run_lb(&o, dir, "nightly", NULL), 0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "restoring the published history from http://127.0.0.1:") && strstr(o.out, "restored 5 runs"),
		  "%s", o.out);
	cr_assert(strstr(o.out, "1 revision of HEAD since the last one measured"), "only what is new: %s", o.out);
	lb_out_free(&o);
	cr_assert_eq(db_scalar(db, "SELECT count(DISTINCT revision_id) FROM runs"), 2.0, "the history is whole");
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM runs"), 10.0);

	/* a published file that is not a database: the night stops, nothing is made or published */
	write_file(pub, "leakbench.db", "<html>not found</html>\n");
	snprintf(cmd, sizeof(cmd), "rm -f %s %s-wal %s-shm", db, db, db);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(run_lb(&o, dir, "nightly", NULL), 3, "%s%s", o.out, o.err);
	cr_assert(strstr(o.err, "the restored history:") && strstr(o.err, "not a database"), "%s", o.err);
	cr_assert_neq(access(db, F_OK), 0, "no database of one night");
	lb_out_free(&o);

	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	unsetenv("LB_HISTORY_HOOK");
	git_repository_free(repo);
	git_libgit2_shutdown();
	rm_rf(dir);
	free(dir);
}
