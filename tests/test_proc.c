/*
 * test_proc.c - process supervision with real GHC programs: timeouts kill the whole group
 * (grandchildren too, SIGKILL when SIGTERM is ignored), peak RSS is that child's own, RSS
 * sampling sees growth, a Ctrl-C stops the target, and a missing program is named.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runners/proc.h"
#include "tests/helpers.h"

static void run_target(const char *dir, char *const *argv, double timeout, double sample,
		       struct proc_result *res)
{
	char out[512], errp[512];
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(errp, sizeof(errp), "%s/err", dir);
	struct proc_spec spec = {.argv = argv, .stdout_path = out, .stderr_path = errp,
				 .timeout_s = timeout, .grace_s = 1, .sample_s = sample};
	struct lb_error err = {0};
	cr_assert_eq(proc_run(&spec, res, &err), 0, "%s", err.msg);
}

Test(proc, timeout_kills_the_whole_group, .timeout = 60)
{
	char *dir = scratch_dir(), bin[512];
	char *argv[] = {(char *)fixture("target", bin, sizeof(bin)), "hang", NULL};
	struct proc_result res;
	run_target(dir, argv, 1.0, 0, &res);
	cr_assert_eq(res.end, PROC_TIMEOUT);
	cr_assert_eq(res.signal, SIGTERM);
	cr_assert_geq(res.wall_s, 1.0);
	cr_assert_lt(res.wall_s, 10.0);
	char path[600];
	snprintf(path, sizeof(path), "%s/out", dir);
	char *out = slurp_file(path);
	cr_assert(out && strstr(out, "hanging"), "stdout went to its file");
	free(out);
	proc_result_free(&res);
	rm_rf(dir);
	free(dir);
}

Test(proc, children_left_behind_are_killed, .timeout = 60)
{
	char *dir = scratch_dir(), bin[512];
	char *argv[] = {(char *)fixture("target", bin, sizeof(bin)), "orphan", NULL};
	struct proc_result res;
	run_target(dir, argv, 30, 0, &res);
	cr_assert_eq(res.end, PROC_EXITED);
	cr_assert_eq(res.exit_code, 0);
	cr_assert_lt(res.wall_s, 10.0, "the sleep it left behind is not waited for");
	cr_assert_eq(res.killed_leftovers, 1, "its sleep child was found and killed");
	proc_result_free(&res);
	rm_rf(dir);
	free(dir);
}

Test(proc, sigterm_ignored_means_sigkill_after_grace, .timeout = 60)
{
	char *dir = scratch_dir(), bin[512];
	char *argv[] = {(char *)fixture("target", bin, sizeof(bin)), "stubborn", NULL};
	struct proc_result res;
	run_target(dir, argv, 0.5, 0, &res);
	cr_assert_eq(res.end, PROC_TIMEOUT);
	cr_assert_eq(res.signal, SIGKILL);
	cr_assert_geq(res.wall_s, 1.5, "grace of 1 s after the 0.5 s timeout (%.3f)", res.wall_s);
	proc_result_free(&res);
	rm_rf(dir);
	free(dir);
}

Test(proc, no_process_of_the_group_survives, .timeout = 60)
{
	/* Run the hanging fixture in a child of ours so we know its pgid (= its pid). */
	char *dir = scratch_dir(), bin[512];
	fixture("target", bin, sizeof(bin));
	pid_t helper = fork();
	if (helper == 0) {
		char *argv[] = {bin, "hang", NULL};
		struct proc_spec spec = {.argv = argv, .timeout_s = 1.0, .grace_s = 1};
		struct proc_result res;
		struct lb_error err;
		int rc = proc_run(&spec, &res, &err);
		_exit(rc == 0 && res.end == PROC_TIMEOUT ? 0 : 1);
	}
	/* find the fixture: a process whose parent is `helper` */
	pid_t target = 0;
	for (int i = 0; i < 500 && !target; i++) {
		char path[64], buf[4096];
		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)helper, (int)helper);
		FILE *f = fopen(path, "r");
		if (f) {
			if (fgets(buf, sizeof(buf), f))
				target = (pid_t)atoi(buf);
			fclose(f);
		}
		if (!target)
			usleep(10000);
	}
	cr_assert_gt(target, 0, "the fixture started");
	usleep(300000);
	cr_assert_geq(proc_group_alive(target), 2, "the fixture and its sleep share a group");
	int status;
	waitpid(helper, &status, 0);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert_eq(proc_group_alive(target), 0, "nothing of the group is left");
	rm_rf(dir);
	free(dir);
}

Test(proc, peak_rss_is_that_childs_own, .timeout = 120)
{
	char *dir = scratch_dir(), bin[512];
	fixture("target", bin, sizeof(bin));
	char *big[] = {bin, "grow", "600000", NULL}, *small[] = {bin, "flat", "10", NULL};
	struct proc_result a, b;
	run_target(dir, big, 60, 0.02, &a);
	run_target(dir, small, 60, 0, &b);
	cr_assert_eq(a.end, PROC_EXITED);
	cr_assert_eq(b.end, PROC_EXITED);
	cr_assert_gt(a.peak_rss_bytes, 60u << 20, "the growing run peaks high (%llu)",
		     (unsigned long long)a.peak_rss_bytes);
	cr_assert_lt(b.peak_rss_bytes * 4, a.peak_rss_bytes,
		     "a small run after a big one reports its own peak (%llu vs %llu), not the "
		     "maximum over all children",
		     (unsigned long long)b.peak_rss_bytes, (unsigned long long)a.peak_rss_bytes);
	cr_assert_gt(a.n_samples, 3, "RSS was sampled (%zu samples)", a.n_samples);
	cr_assert_gt(a.sampled_peak_rss, 30u << 20);
	cr_assert_leq(a.sampled_peak_rss, a.peak_rss_bytes + (4u << 20),
		      "samples cannot exceed the true peak by more than a page-table's slack");
	proc_result_free(&a);
	proc_result_free(&b);
	rm_rf(dir);
	free(dir);
}

Test(proc, missing_program_is_named)
{
	char *argv[] = {"/nonexistent/prog-xyz", NULL};
	struct proc_spec spec = {.argv = argv, .timeout_s = 5};
	struct proc_result res;
	struct lb_error err = {0};
	cr_assert_eq(proc_run(&spec, &res, &err), LB_ENOTFOUND);
	cr_assert(strstr(err.msg, "/nonexistent/prog-xyz") && strstr(err.msg, "No such file"), "%s",
		  err.msg);
}

Test(proc, interrupt_stops_the_target, .timeout = 60)
{
	char bin[512];
	fixture("target", bin, sizeof(bin));
	pid_t helper = fork();
	if (helper == 0) {
		char *argv[] = {bin, "stubborn", NULL};
		struct proc_spec spec = {.argv = argv, .timeout_s = 30, .grace_s = 0.5};
		struct proc_result res;
		struct lb_error err = {0};
		int rc = proc_run(&spec, &res, &err);
		_exit(rc == LB_EINTR && strstr(err.msg, "interrupted") ? 0 : 1);
	}
	usleep(500000);
	kill(helper, SIGINT);
	int status;
	waitpid(helper, &status, 0);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "proc_run returned LB_EINTR after stopping the target (status %d)", status);
}

Test(proc, an_interactive_program_is_driven_through_its_pipes, .timeout = 30)
{
	char *argv[] = {"cat", NULL};
	struct proc_spec spec = {.argv = argv, .interactive = 1, .timeout_s = 20, .sample_s = 0.05};
	struct proc *p;
	struct lb_error err = {0};
	cr_assert_eq(proc_start(&p, &spec, &err), 0, "%s", err.msg);
	char *before = NULL;
	cr_assert_eq(proc_send(p, "hello world\nREADY> ", 5, &err), 0, "%s", err.msg);
	cr_assert_eq(proc_expect(p, "READY> ", 5, &before, &err), 0, "%s", err.msg);
	cr_assert_str_eq(before, "hello world\n");
	free(before);
	cr_assert_eq(proc_expect(p, "NEVER", 0.3, &before, &err), LB_ETIMEOUT);
	cr_assert(strstr(err.msg, "did not answer within 0.3s"), "%s", err.msg);
	free(before);
	struct proc_result res;
	cr_assert_eq(proc_finish(p, &res, &err), 0, "%s", err.msg);
	cr_assert_eq(res.end, PROC_EXITED, "closing its stdin ends cat");
	cr_assert_eq(res.exit_code, 0);
	cr_assert_gt(res.wall_s, 0.3);
	proc_result_free(&res);

	char *argv2[] = {"sh", "-c", "echo bye", NULL};
	struct proc_spec spec2 = {.argv = argv2, .interactive = 1, .timeout_s = 20};
	cr_assert_eq(proc_start(&p, &spec2, &err), 0, "%s", err.msg);
	cr_assert_eq(proc_expect(p, "PROMPT", 5, &before, &err), LB_EIO, "it ends before the prompt");
	cr_assert_str_eq(before, "bye\n", "what it said is handed back");
	free(before);
	cr_assert_eq(proc_finish(p, &res, &err), 0);
	proc_result_free(&res);
}

/* Wait until `n` processes (at least `n` when `at_least`) have `needle` in their command
 * line (10 s at most). */
static int await_procs(const char *needle, int n, int at_least)
{
	for (int i = 0; i < 1000; i++) {
		int k = procs_with(needle);
		if (k == n || (at_least && k > n))
			return 1;
		usleep(10000);
	}
	return 0;
}

/* Nothing leakbench starts outlives it: kill -9 of the process a user sees (the guardian)
 * or of leakbench itself (its child), and the measured program is gone within seconds;
 * a helper that left its group with setsid() is stopped when its run ends. */
Test(proc, nothing_outlives_leakbench, .timeout = 120)
{
	char *dir = scratch_dir(), db[600];
	snprintf(db, sizeof(db), "%s/k.db", dir);
	for (int victim = 0; victim < 2; victim++) {
		char arg[64];
		snprintf(arg, sizeof(arg), "sleep 30%d.%d", victim, (int)getpid());
		char *args[] = {"exec", "--no-rts", "--db", db, "--", "sh", "-c", arg, NULL};
		pid_t shown = spawn_lb(dir, victim ? "leakbench" : "guardian", args);
		/* the guardian, leakbench and the program (and perhaps sh) carry the number */
		cr_assert(await_procs(arg + 6, 3, 1), "the program started");
		pid_t target = shown;
		if (victim) { /* leakbench itself: the guardian's only child */
			char path[64], buf[64] = "";
			snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)shown, (int)shown);
			FILE *f = fopen(path, "r");
			cr_assert(f && fgets(buf, sizeof(buf), f), "the guardian has a child");
			fclose(f);
			target = (pid_t)atoi(buf);
		}
		cr_assert_eq(kill(target, SIGKILL), 0);
		int status;
		waitpid(shown, &status, 0);
		cr_assert(await_procs(arg + 6, 0, 0), "%s: the program outlived a killed %s", arg,
			  victim ? "leakbench" : "guardian");
	}
	char arg[64], num[32];
	snprintf(num, sizeof(num), "309.%d", (int)getpid());
	snprintf(arg, sizeof(arg), "setsid sleep %s & echo left", num);
	struct lb_out o;
	cr_assert_eq(run_lb(&o, dir, "exec", "--no-rts", "--db", db, "--repeat", "1", "--", "sh", "-c", arg, NULL),
		     0, "%s%s", o.out, o.err);
	lb_out_free(&o);
	cr_assert(await_procs(num, 0, 0), "the helper that called setsid() was stopped with its run");
	rm_rf(dir);
	free(dir);
}
