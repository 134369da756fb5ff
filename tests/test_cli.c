/*
 * test_cli.c - the command line as a user meets it: help, version, typos answered with the
 * nearest name and exit status 2.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli.h"
#include "tests/helpers.h"
#include "tests/history.h"

Test(cli, unknown_command_suggests_the_nearest)
{
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "exce", NULL), 2);
	cr_assert_str_eq(o.err, "leakbench: unknown command 'exce' (did you mean 'exec'?)\n");
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, NULL, "frobnicate", NULL), 2);
	cr_assert(strstr(o.err, "unknown command 'frobnicate'") && !strstr(o.err, "did you mean"));
	lb_out_free(&o);
}

Test(cli, unknown_option_suggests_the_nearest)
{
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "exec", "--repat", "3", "--", "true", NULL), 2);
	cr_assert_str_eq(o.err, "leakbench exec: unknown option '--repat' (did you mean '--repeat'?)\n");
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, NULL, "runs", "--jsno", NULL), 2);
	cr_assert(strstr(o.err, "did you mean '--json'"), "%s", o.err);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, NULL, "--versoin", NULL), 2);
	cr_assert(strstr(o.err, "did you mean '--version'"), "%s", o.err);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, NULL, "exec", "--timeout", "soon", "--", "true", NULL), 2);
	cr_assert(strstr(o.err, "--timeout expects a duration"), "%s", o.err);
	lb_out_free(&o);
}

Test(cli, every_command_has_help)
{
	const char *cmds[] = {"exec", "runs", "show", "eventlog", "scenario", "gen"};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(*cmds); i++) {
		struct lb_out o;
		cr_assert_eq(run_lb(&o, NULL, cmds[i], "--help", NULL), 0);
		cr_assert(strstr(o.out, "usage: leakbench ") && strstr(o.out, "--help"), "%s", o.out);
		lb_out_free(&o);
		cr_assert_eq(run_lb(&o, NULL, "help", cmds[i], NULL), 0);
		cr_assert(strstr(o.out, "usage: leakbench "), "%s", o.out);
		lb_out_free(&o);
	}
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "help", NULL), 0);
	cr_assert(strstr(o.out, "exec") && strstr(o.out, "runs") && strstr(o.out, "show"));
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, NULL, "--version", NULL), 0);
	cr_assert(strncmp(o.out, "leakbench ", 10) == 0, "%s", o.out);
	lb_out_free(&o);
}

Test(cli, reading_a_missing_database_says_so)
{
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "runs", "--db", "/nonexistent/x.db", NULL), 3);
	cr_assert(strstr(o.err, "no database at /nonexistent/x.db"), "%s", o.err);
	lb_out_free(&o);
}

Test(cli, nearest_name_threshold)
{
	const char *names[] = {"exec", "runs", "show", "sweep", "bisect"};
	cr_assert_str_eq(cli_nearest("bisekt", names, 5), "bisect");
	cr_assert_str_eq(cli_nearest("shwo", names, 5), "show");
	cr_assert_null(cli_nearest("compile", names, 5));
}

/* The CI files users copy (ci/github, ci/gitlab) are YAML of the right shape whose shell
 * steps bash accepts; a broken one is named with what is wrong. */
Test(cli, the_ci_workflows_parse_and_their_shell_is_valid)
{
	char cmd[2400];
	const char *root = getenv("LEAKBENCH_ROOT");
	snprintf(cmd, sizeof(cmd), "cd %s && python3 tests/ci_step.py --lint ci/github/*.yml ci/gitlab/*.yml 2>&1; echo exit $?",
		 root);
	char *out = command_output(cmd);
	cr_assert(out && strstr(out, "ci/github/leakbench-pr.yml: ok") && strstr(out, "ci/gitlab/leakbench-mr.gitlab-ci.yml: ok") &&
		      strstr(out, "ci/github/leakbench-nightly-matrix.yml: ok, 2 jobs") &&
		      strstr(out, "ci/gitlab/leakbench-nightly-matrix.gitlab-ci.yml: ok, 3 jobs") && strstr(out, "exit 0"),
		  "%s", out);
	free(out);
	char *dir = scratch_dir();
	write_file(dir, "bad.yml", "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: |\n          if true; then echo\n");
	write_file(dir, "worse.yml", "jobs: [\n");
	snprintf(cmd, sizeof(cmd), "python3 %s/tests/ci_step.py --lint %s/bad.yml 2>&1; echo exit $?", root, dir);
	out = command_output(cmd);
	cr_assert(out && strstr(out, "bad.yml: job a, step 1: bash -n:") && strstr(out, "exit 1"), "%s", out);
	free(out);
	snprintf(cmd, sizeof(cmd), "python3 %s/tests/ci_step.py --lint %s/worse.yml 2>&1; echo exit $?", root, dir);
	out = command_output(cmd);
	cr_assert(out && strstr(out, "worse.yml: not YAML") && strstr(out, "exit 1"), "%s", out);
	free(out);
	rm_rf(dir);
	free(dir);
}

/* libgit2, libcurl and libcrypto are loaded by what uses them (a revision, a download, a
 * hash), not by every process: the loader's own account (LD_DEBUG=files) of a command that
 * needs none of them names the linked libraries (SQLite) and not those. */
Test(cli, a_command_loads_only_the_libraries_it_uses)
{
	char scn[600];
	const char *root = getenv("LEAKBENCH_ROOT");
	snprintf(scn, sizeof(scn), "%s/scenarios/ghci-reload.scn", root ? root : ".");
	setenv("LD_DEBUG", "files", 1);
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "scenario", scn, NULL), 0, "%s", o.err);
	cr_assert(strstr(o.err, "file=libsqlite3.so"), "the loader's account: %.2000s", o.err);
	cr_assert(!strstr(o.err, "file=libgit2") && !strstr(o.err, "file=libcurl") && !strstr(o.err, "file=libcrypto"),
		  "%.4000s", o.err);
	lb_out_free(&o);
	unsetenv("LD_DEBUG");
}
