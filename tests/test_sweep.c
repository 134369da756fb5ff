/*
 * test_sweep.c - `sweep` and `merge` as a user runs them: a real git repository made here
 * with libgit2 holds the fixture LSP server over eight commits (commit 3 does not build,
 * commit 5 switches the leak on, commit 8 changes only a comment); each revision is built by
 * GHC and measured against a real server process; results go to real SQLite files.
 */
#include <criterion/criterion.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/text.h"
#include "tests/helpers.h"
#include "tests/history.h"

/* The revisions (sha, in history's order) that have runs in `db`. */
static char *swept(const char *db)
{
	return db_text(db, "SELECT group_concat(sha, ' ') FROM (SELECT DISTINCT r.sha FROM runs u JOIN revisions r"
			   " ON r.id = u.revision_id ORDER BY r.author_time)");
}

/* What identifies each stored run apart from its id: revision, scenario, repeat. */
static char *run_keys(const char *db)
{
	return db_text(db, "SELECT group_concat(k, ' ') FROM (SELECT r.sha || ':' || u.scenario || ':' ||"
			   " u.repeat_index AS k FROM runs u JOIN revisions r ON r.id = u.revision_id ORDER BY k)");
}

static void sweep(struct lb_out *o, const char *dir, int want, const char *a, const char *b, const char *c,
		  const char *d)
{
	char *args[] = {"sweep", "--target", "fix", (char *)a, (char *)b, (char *)c, (char *)d, NULL};
	int code = run_lbv(o, dir, args);
	cr_assert_eq(code, want, "sweep %s %s %s %s: exit %d\n%s\n%s", a, b ? b : "", c ? c : "", d ? d : "", code,
		     o->out, o->err);
}

/* A new commit that mends the leak: --new measures it and only it, then nothing. */
static char *sweep_new_after_a_mend(git_repository *repo, const char *dir, char *text)
{
	struct lb_out o;
	text = history_swap(text, "(\"--leak\" `elem` args || True)", "(\"--leak\" `elem` args)");
	git_commit_file(repo, "nine: the leak mended", "lspfix.hs", text, NULL);
	sweep(&o, dir, 0, "--new", "--scenario", "edits.scn", NULL);
	cr_assert(strstr(o.out, "1 revision of HEAD since the last one measured"), "%s", o.out);
	cr_assert(strstr(o.out, "1 measured (1 runs, 0 failing)"), "%s", o.out);
	lb_out_free(&o);
	sweep(&o, dir, 0, "--new", NULL, NULL, NULL);
	cr_assert(strstr(o.out, "0 revisions of HEAD since the last one measured"), "%s", o.out);
	lb_out_free(&o);
	return text;
}

Test(sweep, eight_commits_resume_shards_merge_and_new, .timeout = 900)
{
	char *dir = scratch_dir(), sha[9][41], range[100], full[700], s1[700], s2[700], m[700];
	git_libgit2_init();
	char *text;
	git_repository *repo = history_make(dir, sha, &text);
	write_file(dir, "leakbench.ini", history_config);
	history_write_scenario(dir);
	snprintf(range, sizeof(range), "%.12s..HEAD", sha[0]);
	snprintf(full, sizeof(full), "%s/full.db", dir);
	snprintf(s1, sizeof(s1), "%s/s1.db", dir);
	snprintf(s2, sizeof(s2), "%s/s2.db", dir);
	snprintf(m, sizeof(m), "%s/m.db", dir);

	/* the whole range: 7 revisions measured, 1 failed build, the leak's runs fail */
	struct lb_out o;
	sweep(&o, dir, 1, range, NULL, NULL, NULL);
	cr_assert(strstr(o.out, "sweeping fix: 8 revisions"), "%s", o.out);
	cr_assert(strstr(o.out, "7 measured (7 runs, 4 failing), 1 build failed"), "%s", o.out);
	cr_assert(strstr(o.out, "build failed: the build command failed") && strstr(o.out, "lspfix.hs:") &&
		      strstr(o.out, "error"),
		  "the failed build names GHC's error line:\n%s", o.out);
	char same[80];
	snprintf(same, sizeof(same), "byte-identical to the build of %.12s", sha[7]);
	cr_assert(strstr(o.out, same), "commit 8 changes a comment only:\n%s", o.out);
	lb_out_free(&o);
	cr_assert_eq(db_scalar(full, "SELECT count(*) FROM revisions"), 8);
	cr_assert_eq(db_scalar(full, "SELECT count(*) FROM runs WHERE revision_id IS NOT NULL AND target_id IS NOT NULL"
				     " AND build_id IS NOT NULL"),
		     7);
	cr_assert_eq(db_scalar(full, "SELECT count(*) FROM builds b JOIN revisions r ON r.id = b.revision_id"
				     " WHERE b.status = 'failed' AND r.subject = 'three: does not build'"),
		     1);
	cr_assert_eq(db_scalar(full, "SELECT count(*) FROM builds WHERE status = 'ok'"), 7);
	cr_assert_eq(db_scalar(full, "SELECT count(DISTINCT binary_hash) FROM builds WHERE status = 'ok'"), 6,
		     "seven and eight are one program");
	char *failing = db_text(full, "SELECT group_concat(substr(r.subject, 1, 4), ' ') FROM (SELECT r.subject"
				      " FROM expectations e JOIN runs u ON u.id = e.run_id JOIN revisions r"
				      " ON r.id = u.revision_id WHERE e.holds = 0 ORDER BY r.author_time) r");
	cr_assert_str_eq(failing, "five six seve eigh", "the leak fails from commit 5 on, and only there");
	free(failing);
	/* and is seen without the expectation too: the live bytes per edit and a census label */
	char *leaking = db_text(full, "SELECT group_concat(substr(r.subject, 1, 4), ' ') FROM (SELECT r.subject FROM metrics m"
				      " JOIN runs u ON u.id = m.run_id JOIN revisions r ON r.id = u.revision_id"
				      " WHERE m.name = 'leak_suspected' AND m.value = 1 ORDER BY r.author_time) r");
	cr_assert_str_eq(leaking, "five six seve eigh", "leak_suspected from commit 5 on, and only there");
	free(leaking);
	/* what grows is named from the census, which a loaded machine samples less evenly: at least
	 * one leaking run names it, and only leaking runs do */
	double naming = db_scalar(full, "SELECT count(DISTINCT m.run_id) FROM metrics m WHERE m.name LIKE 'census_growth:%'"
					" AND EXISTS (SELECT 1 FROM metrics s WHERE s.run_id = m.run_id AND"
					" s.name = 'leak_suspected' AND s.value = 1)");
	cr_assert(naming >= 1, "a growing closure type named in a leaking run");
	cr_assert_eq(db_scalar(full, "SELECT count(DISTINCT run_id) FROM metrics WHERE name LIKE 'census_growth:%'"), naming);
	char *all = swept(full), *keys = run_keys(full);
	for (int i = 1; i <= 8; i++)
		cr_assert_eq(strstr(all, sha[i]) != NULL, i != 3, "commit %d %s", i, all);

	/* again with --resume: nothing built, nothing run */
	sweep(&o, dir, 0, range, "--resume", NULL, NULL);
	cr_assert(strstr(o.out, "0 measured (0 runs, 0 failing), 1 build failed, 7 stored already"), "%s", o.out);
	cr_assert(strstr(o.out, "build failed (cached)"), "%s", o.out);
	cr_assert(!strstr(o.out, "built in"), "%s", o.out);
	lb_out_free(&o);
	cr_assert_eq(db_scalar(full, "SELECT count(*) FROM runs"), 7);
	cr_assert_eq(db_scalar(full, "SELECT count(*) FROM builds"), 8);
	sweep(&o, dir, 0, range, "--resume", "--every", "3");
	cr_assert(strstr(o.out, "sweeping fix: 3 revisions (of 8 listed)"), "%s", o.out);
	cr_assert(strstr(o.out, "3 stored already"), "%s", o.out);
	lb_out_free(&o);
	char list[200];
	snprintf(list, sizeof(list), "# two of them\n%.10s\n\n  %s  # the leak's first\n", sha[2], sha[5]);
	write_file(dir, "revs.txt", list);
	sweep(&o, dir, 0, "--list", "revs.txt", "--resume", NULL);
	cr_assert(strstr(o.out, "2 revisions (of 2 listed)") && strstr(o.out, "2 stored already"), "%s", o.out);
	lb_out_free(&o);

	/* two shards cover the range once between them; their merge is the full sweep */
	sweep(&o, dir, 1, range, "--shard", "1/2", "--db=s1.db");
	cr_assert(strstr(o.out, "4 revisions (of 8 listed, shard 1/2)"), "%s", o.out);
	cr_assert(!strstr(o.out, "built in"), "the builds are cached: %s", o.out);
	lb_out_free(&o);
	sweep(&o, dir, 1, range, "--shard", "2/2", "--db=s2.db");
	lb_out_free(&o);
	char *one = swept(s1), *two = swept(s2);
	for (int i = 1; i <= 8; i++)
		cr_assert_eq((strstr(one, sha[i]) != NULL) + (strstr(two, sha[i]) != NULL), i != 3,
			     "commit %d: shard 1 [%s] shard 2 [%s]", i, one, two);
	cr_assert_eq(run_lb(&o, dir, "merge", "m.db", "s1.db", "s2.db", NULL), 0, "%s", o.err);
	lb_out_free(&o);
	char *merged = swept(m), *merged_keys = run_keys(m);
	cr_assert_str_eq(merged, all);
	cr_assert_str_eq(merged_keys, keys);
	const char *rows = "SELECT (SELECT count(*) FROM runs) || ' ' || (SELECT count(*) FROM steps) || ' ' ||"
			   " (SELECT count(*) FROM step_metrics) || ' ' || (SELECT count(*) FROM metrics) || ' ' ||"
			   " (SELECT count(*) FROM census) || ' ' || (SELECT count(*) FROM builds) || ' ' ||"
			   " (SELECT count(*) FROM revisions) || ' ' || (SELECT count(*) FROM expectations)";
	char *before = db_text(m, rows);
	cr_assert_eq(db_scalar(m, "SELECT count(*) FROM steps"),
		     db_scalar(s1, "SELECT count(*) FROM steps") + db_scalar(s2, "SELECT count(*) FROM steps"));
	cr_assert_eq(run_lb(&o, dir, "merge", "m.db", "s2.db", "s1.db", NULL), 0, "%s", o.err);
	cr_assert(strstr(o.out, "s1.db: 0 revisions, 0 builds, 0 runs added"), "%s", o.out);
	lb_out_free(&o);
	char *after = db_text(m, rows);
	cr_assert_str_eq(after, before, "merging twice changes nothing");

	text = sweep_new_after_a_mend(repo, dir, text);
	free(text), free(all), free(keys), free(one), free(two), free(merged), free(merged_keys), free(before), free(after);
	git_repository_free(repo);
	git_libgit2_shutdown();
	rm_rf(dir);
	free(dir);
}

/* One mistake per case: the exit status, words the error must have, and no database. */
struct bad_case {
	const char *what;
	const char *config_from, *config_to; /* a change to the config text, or NULL */
	const char *args[8];
	int code;
	const char *says, *also;
};

Test(sweep, bad_config_and_revisions_store_nothing, .timeout = 120)
{
	char *dir = scratch_dir(), src[600], db[700];
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(db, sizeof(db), "%s/full.db", dir);
	git_libgit2_init();
	git_repository *repo;
	cr_assert_eq(git_repository_init(&repo, src, 0), 0);
	git_commit_file(repo, "one", "lspfix.hs", "main = pure ()\n", NULL);
	history_write_scenario(dir);
	write_file(dir, "revs.txt", "HEAD\nno-such-tag\n");
	const struct bad_case cases[] = {
		{"unknown key", "build =", "bulid =", {"sweep", "--target", "fix", "HEAD"}, 2,
		 "leakbench.ini:7: unknown key 'bulid'", "did you mean 'build'"},
		{"missing build", "build =", "# build =", {"sweep", "--target", "fix", "HEAD"}, 2, "leakbench.ini:5:",
		 "build"},
		{"repo path missing", "repo = src", "repo = nowhere", {"sweep", "--target", "fix", "HEAD"}, 2, "nowhere",
		 "no such directory"},
		{"repo unreachable", "repo = src", "repo = http://127.0.0.1:9/fix.git", {"sweep", "--target", "fix", "HEAD"},
		 3, "127.0.0.1", NULL},
		{"bad ref", NULL, NULL, {"sweep", "--target", "fix", "no-such-tag..HEAD"}, 2,
		 "unknown revision 'no-such-tag'", NULL},
		{"bad ref in a list", NULL, NULL, {"sweep", "--target", "fix", "--list", "revs.txt"}, 2, "revs.txt:2:",
		 "no-such-tag"},
		{"bad ref for run", NULL, NULL, {"run", "--target", "fix", "--rev", "no-such-tag", "--scenario", "edits"}, 2,
		 "unknown revision 'no-such-tag'", NULL},
		{"unknown target", NULL, NULL, {"sweep", "--target", "fxi", "HEAD"}, 2, "fxi", "fix"},
		{"bad shard", NULL, NULL, {"sweep", "--target", "fix", "HEAD", "--shard", "3/2"}, 2, "--shard is K/N", NULL},
		{"no range", NULL, NULL, {"sweep", "--target", "fix"}, 2, "give one of RANGE, --new or --list", NULL},
		{"two ranges", NULL, NULL, {"sweep", "--target", "fix", "HEAD", "--new"}, 2, "give one of RANGE", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const struct bad_case *c = &cases[i];
		char *text = c->config_from ? text_replace(history_config, c->config_from, c->config_to) : strdup(history_config);
		write_file(dir, "leakbench.ini", text);
		free(text);
		struct lb_out o;
		int code = run_lbv(&o, dir, (char *const *)c->args);
		cr_assert_eq(code, c->code, "%s: exit %d\n%s%s", c->what, code, o.out, o.err);
		cr_assert(strstr(o.err, c->says) && (!c->also || strstr(o.err, c->also)), "%s: %s", c->what, o.err);
		int lines = 0; /* leakbench's own, not what a sanitizer adds */
		for (const char *l = o.err; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
			lines += strncmp(l, "leakbench ", 10) == 0;
		cr_assert_eq(lines, 1, "%s: one line of error: %s", c->what, o.err);
		cr_assert_neq(access(db, F_OK), 0, "%s: a database was made", c->what);
		lb_out_free(&o);
	}
	git_repository_free(repo);
	git_libgit2_shutdown();
	rm_rf(dir);
	free(dir);
}

/* A one-commit history in DIR/src (subject `subject`) whose build is `recipe` instead of
 * GHC, its leakbench.ini (with `from` replaced by `to` when from is not NULL) and the demo's
 * scenario; libgit2 is initialised.  For tests of the build and sweep machinery that need
 * no compiler. */
static git_repository *one_commit(const char *dir, const char *subject, const char *recipe, const char *from,
				  const char *to)
{
	char src[600];
	snprintf(src, sizeof(src), "%s/src", dir);
	git_libgit2_init();
	git_repository *repo;
	cr_assert_eq(git_repository_init(&repo, src, 0), 0);
	git_commit_file(repo, subject, "README", "the build copies the fixture server\n", NULL);
	char *text = text_replace(history_config, "ghc -v0 -O0 -threaded -rtsopts -eventlog -outputdir {out}/o -o {out}/lspfix {src}/lspfix.hs", recipe);
	if (from)
		text = history_swap(text, from, to);
	write_file(dir, "leakbench.ini", text);
	free(text);
	history_write_scenario(dir);
	return repo;
}

static void one_commit_done(git_repository *repo, char *dir)
{
	git_repository_free(repo);
	git_libgit2_shutdown();
	rm_rf(dir);
	free(dir);
}

Test(sweep, two_processes_build_one_revision_once, .timeout = 180)
{
	char *dir = scratch_dir(), fix[600], line[2400];
	/* a slow build that leaves a trace of each time it ran */
	snprintf(line, sizeof(line), "sleep 2; echo ran >> %s/builds.txt; cp %s {out}/lspfix", dir,
		 fixture("lspfix", fix, sizeof(fix)));
	git_repository *repo = one_commit(dir, "one", line, NULL, NULL);
	char *a[] = {"sweep", "--target", "fix", "HEAD", "--db", "a.db", NULL};
	char *b[] = {"sweep", "--target", "fix", "HEAD", "--db", "b.db", NULL};
	char cwd[600];
	cr_assert(getcwd(cwd, sizeof(cwd)));
	cr_assert_eq(chdir(dir), 0);
	pid_t pa = spawn_lb(dir, "a", a), pb = spawn_lb(dir, "b", b);
	cr_assert_eq(chdir(cwd), 0);
	int sa, sb;
	cr_assert_eq(waitpid(pa, &sa, 0), pa);
	cr_assert_eq(waitpid(pb, &sb, 0), pb);
	char path[700];
	snprintf(path, sizeof(path), "%s/a.out", dir);
	char *out_a = slurp_file(path);
	snprintf(path, sizeof(path), "%s/b.out", dir);
	char *out_b = slurp_file(path);
	cr_assert(WIFEXITED(sa) && WEXITSTATUS(sa) == 0 && WIFEXITED(sb) && WEXITSTATUS(sb) == 0, "%s\n%s", out_a, out_b);
	snprintf(path, sizeof(path), "%s/builds.txt", dir);
	char *builds = slurp_file(path);
	cr_assert_str_eq(builds, "ran\n", "the recipe ran once for the two sweeps");
	cr_assert((strstr(out_a, "built in") != NULL) + (strstr(out_b, "built in") != NULL) == 1, "%s\n%s", out_a, out_b);
	cr_assert((strstr(out_a, "cached build") != NULL) + (strstr(out_b, "cached build") != NULL) == 1, "%s\n%s",
		  out_a, out_b);
	free(builds), free(out_a), free(out_b);
	one_commit_done(repo, dir);
}

/* The webhook secret ([notify] webhook-env) never reaches code from a swept commit: the
 * build and the measured program are that code, and each writes down the environment it
 * got, and what it can read of leakbench's own (/proc/PPID/environ). */
Test(sweep, builds_and_programs_never_see_the_webhook_secret, .timeout = 180)
{
	char *dir = scratch_dir(), fix[600], line[2400];
	/* the program is a wrapper that writes its environment and its parent's down */
	snprintf(line, sizeof(line),
		 "env > %s/build-env.txt; printf '#!/bin/sh\\nenv > %s/program-env.txt\\n"
		 "tr \"\\\\\\\\0\" \"\\\\\\\\n\" < /proc/$PPID/environ > %s/parent-env.txt\\nexec %s \"$@\"\\n' > {out}/lspfix;"
		 " chmod +x {out}/lspfix",
		 dir, dir, dir, fixture("lspfix", fix, sizeof(fix)));
	git_repository *repo = one_commit(dir, "one", line, "[scenario edits]",
					  "[notify]\nwebhook-env = LB_TEST_WEBHOOK\n\n[scenario edits]");
	cr_assert_eq(setenv("LB_TEST_WEBHOOK", "http://127.0.0.1:9/hooks/SECRET-TOKEN-42", 1), 0);
	struct lb_out o;
	char *args[] = {"sweep", "--target", "fix", "HEAD", NULL};
	int code = run_lbv(&o, dir, args);
	unsetenv("LB_TEST_WEBHOOK");
	cr_assert_eq(code, 0, "%s%s", o.out, o.err);
	lb_out_free(&o);
	const char *seen[] = {"build-env.txt", "program-env.txt", "parent-env.txt"};
	for (int i = 0; i < 3; i++) {
		char path[700];
		snprintf(path, sizeof(path), "%s/%s", dir, seen[i]);
		char *env = slurp_file(path);
		cr_assert(env && strstr(env, "PATH="), "%s was written: %s", seen[i], env);
		cr_assert(!strstr(env, "SECRET-TOKEN-42"), "%s holds the secret:\n%s", seen[i], env);
		free(env);
	}
	one_commit_done(repo, dir);
}

/* {src} and {out} are shell words whatever the paths hold: a cache folder with a quote and
 * a command substitution in its name builds, and runs nothing it names.  A commit subject
 * with terminal escapes is printed with them escaped. */
Test(sweep, a_cache_path_with_a_quote_builds_and_a_subject_cannot_drive_the_terminal, .timeout = 180)
{
	char *dir = scratch_dir(), fix[600], line[2400];
	snprintf(line, sizeof(line), "test -d {src} && cp %s {out}/lspfix", fixture("lspfix", fix, sizeof(fix)));
	/* a subject that clears the screen and writes the clipboard (OSC 52) on a raw terminal */
	git_repository *repo = one_commit(dir, "one \x1b[2J\x1b]52;c;cHduZWQ=\x07 \xc2\x9b" "31m", line, "cache = cache",
					  "cache = it's a cache $(touch PWNED)");
	struct lb_out o;
	char *args[] = {"sweep", "--target", "fix", "HEAD", NULL};
	cr_assert_eq(run_lbv(&o, dir, args), 0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "built in"), "%s", o.out);
	cr_assert(strstr(o.out, "one \\x1b[2J\\x1b]52;c;cHduZWQ=\\x07 \\x9b31m"), "the subject escaped: %s", o.out);
	cr_assert(!strchr(o.out, '\x1b') && !strchr(o.out, '\x07') && !strstr(o.out, "\xc2\x9b"), "%s", o.out);
	lb_out_free(&o);
	char path[700];
	snprintf(path, sizeof(path), "%s/PWNED", dir);
	cr_assert_neq(access(path, F_OK), 0, "the name ran as a command");
	one_commit_done(repo, dir);
}

/* Growth with size as a regression: a program whose table grows linearly with its size
 * argument until commit 5 makes it grow as size^1.5 (the same size at the largest size, so
 * its max live bytes do not move: only the exponent shows it).  Five runs each of commits 1
 * and 8 are flagged by `regressions` on exponent:live_bytes:size, not on a headline metric;
 * `bisect --metric` names commit 5; the dashboard's trend page of the exponent shows each
 * revision's interval. */
static const char grow_hs[] =
	"import System.Environment\nimport System.Mem\n\n"
	"-- version 1\n"
	"main :: IO ()\nmain = do\n  [n] <- getArgs\n  let k = read n :: Int\n"
	"      cells = 2000 * k\n"
	"      table = [1 .. cells]\n  print (length table)\n  performMajorGC\n  print (sum table)\n";

Test(sweep, a_rising_exponent_is_flagged_bisected_and_drawn, .timeout = 600)
{
	char *dir = scratch_dir(), sha[9][41], src[600], db[700], list[700];
	git_libgit2_init();
	snprintf(src, sizeof(src), "%s/src", dir);
	git_repository *repo;
	cr_assert_eq(git_repository_init(&repo, src, 0), 0);
	git_commit_file(repo, "zero: readme", "README", "a table that grows with its size\n", sha[0]);
	char *v = strdup(grow_hs);
	for (int i = 1; i <= 8; i++) {
		char from[40], to[40], msg[80];
		snprintf(from, sizeof(from), "-- version %d", i - 1);
		snprintf(to, sizeof(to), "-- version %d", i);
		if (i > 1)
			v = history_swap(v, from, to);
		if (i == 5)
			v = history_swap(v, "cells = 2000 * k", "cells = round (141 * fromIntegral k ** 1.5 :: Double)");
		snprintf(msg, sizeof(msg), i == 5 ? "%d: a denser table" : "%d: version %d", i, i);
		git_commit_file(repo, msg, "grow.hs", v, sha[i]);
	}
	free(v);
	git_repository_free(repo);
	write_file(dir, "leakbench.ini",
		   "[leakbench]\ndatabase = grow.db\ncache = cache\n\n[target grow]\nrepo = src\n"
		   "build = ghc -v0 -O0 -rtsopts -eventlog -outputdir {out}/o -o {out}/grow {src}/grow.hs\n"
		   "program = grow\n\n[scenario sizes]\nfile = sizes.scn\n");
	write_file(dir, "sizes.scn",
		   "runner exec\nmark start\nrun 25\nmark size 25\nrun 50\nmark size 50\nrun 100\nmark size 100\n"
		   "run 200\nmark size 200\nexpect exponent live_bytes <= 3 per size after start\n");
	snprintf(list, sizeof(list), "%s/both.txt", dir);
	char both[100];
	snprintf(both, sizeof(both), "%s\n%s\n", sha[1], sha[8]);
	write_file(dir, "both.txt", both);
	snprintf(db, sizeof(db), "%s/grow.db", dir);

	struct lb_out o;
	char *sw[] = {"sweep", "--target", "grow", "--list", list, "--repeat", "5", "--no-heap-profile", NULL};
	int code = run_lbv(&o, dir, sw);
	cr_assert_eq(code, 0, "%s%s", o.out, o.err);
	lb_out_free(&o);
	double e1 = db_scalar(db, "SELECT avg(m.value) FROM metrics m JOIN runs u ON u.id = m.run_id JOIN revisions r"
				  " ON r.id = u.revision_id WHERE m.name = 'exponent:live_bytes:size' AND r.subject LIKE '1:%'");
	double e8 = db_scalar(db, "SELECT avg(m.value) FROM metrics m JOIN runs u ON u.id = m.run_id JOIN revisions r"
				  " ON r.id = u.revision_id WHERE m.name = 'exponent:live_bytes:size' AND r.subject LIKE '8:%'");
	cr_assert(e1 > 0.85 && e1 < 1.15 && e8 > 1.3 && e8 < 2, "exponents %.3f and %.3f", e1, e8);

	char *rg[] = {"regressions", NULL};
	code = run_lbv(&o, dir, rg);
	cr_assert_eq(code, 1, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "exponent:live_bytes:size") && strstr(o.out, "8: version 8"), "%s", o.out);
	cr_assert(!strstr(o.out, "max_live_bytes") && !strstr(o.out, "expectations"),
		  "only the exponent regressed: %s", o.out);
	lb_out_free(&o);

	char good[20], bad[20];
	snprintf(good, sizeof(good), "%.12s", sha[1]);
	snprintf(bad, sizeof(bad), "%.12s", sha[8]);
	char *bi[] = {"bisect", "--good", good, "--bad", bad, "--metric", "exponent:live_bytes:size", NULL};
	code = run_lbv(&o, dir, bi);
	cr_assert_eq(code, 0, "%s%s", o.out, o.err);
	char first[80];
	snprintf(first, sizeof(first), "%.12s", sha[5]);
	cr_assert(strstr(o.out, first) && strstr(o.out, "5: a denser table"), "%s", o.out);
	lb_out_free(&o);

	char *re[] = {"report", "--out", "site", NULL};
	code = run_lbv(&o, dir, re);
	cr_assert_eq(code, 0, "%s%s", o.out, o.err);
	lb_out_free(&o);
	char path[800];
	snprintf(path, sizeof(path), "%s/site/m-grow-sizes-exponent_live_bytes_size.html", dir);
	char *page = slurp_file(path);
	cr_assert(page, "%s: no trend page of the exponent", path);
	int flagged;
	cr_assert(strstr(page, "95% interval") && strstr(page, "\"bars\":true") && trend_points(page, 1, &flagged) > 0 &&
		      flagged >= 1,
		  "each revision's interval drawn, the change flagged: %s", page);
	free(page);
	snprintf(path, sizeof(path), "%s/site/index.html", dir);
	page = slurp_file(path);
	cr_assert(page && strstr(page, "exponent:live_bytes:size"), "%s", page);
	free(page);
	rm_rf(dir);
	free(dir);
}
