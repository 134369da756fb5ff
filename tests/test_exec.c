/*
 * test_exec.c - `leakbench exec`, `runs` and `show` as a user runs them: the real binary,
 * real GHC programs, a real database file.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runners/proc.h"
#include "runners/rts.h"
#include "tests/helpers.h"

struct ctx {
	char *dir;
	char db[512];
};

static void setup(struct ctx *c)
{
	c->dir = scratch_dir();
	snprintf(c->db, sizeof(c->db), "%s/results.db", c->dir);
}

static void teardown(struct ctx *c)
{
	rm_rf(c->dir);
	free(c->dir);
}

static double metric_of_run(const char *db, int nth, const char *name)
{
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "SELECT m.value FROM metrics m JOIN runs r ON r.id = m.run_id WHERE m.name = '%s'"
		 " ORDER BY r.started_at LIMIT 1 OFFSET %d",
		 name, nth);
	return db_scalar(db, sql);
}

static json_t *show_json(const struct ctx *c, const char *id)
{
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "show", "--db", c->db, "--json", id, NULL), 0, "show: %s", o.err);
	json_error_t je;
	json_t *j = json_loads(o.out, 0, &je);
	cr_assert(j, "show --json prints JSON: %s", je.text);
	lb_out_free(&o);
	return j;
}

/* The id of the newest run, from `leakbench runs --json`. */
static char *newest_id(const struct ctx *c)
{
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "runs", "--db", c->db, "--json", NULL), 0, "%s", o.err);
	json_t *arr = json_loads(o.out, 0, NULL);
	cr_assert(json_is_array(arr) && json_array_size(arr) > 0);
	char *id = strdup(json_string_value(json_object_get(json_array_get(arr, 0), "id")));
	json_decref(arr);
	lb_out_free(&o);
	return id;
}

Test(exec, stores_exactly_the_allocation_a_direct_run_reports, .timeout = 180)
{
	struct ctx c;
	setup(&c);
	char bin[512], stats[600], out[600];
	fixture("target", bin, sizeof(bin));
	/* the direct run: only -t --machine-readable */
	snprintf(stats, sizeof(stats), "%s/direct-stats.txt", c.dir);
	snprintf(out, sizeof(out), "%s/direct.out", c.dir);
	char targ[620];
	snprintf(targ, sizeof(targ), "-t%s", stats);
	char *argv[] = {bin, "alloc", "300000", "+RTS", targ, "--machine-readable", "-RTS", NULL};
	struct proc_spec spec = {.argv = argv, .stdout_path = out, .timeout_s = 60};
	struct proc_result res;
	struct lb_error err = {0};
	cr_assert_eq(proc_run(&spec, &res, &err), 0, "%s", err.msg);
	proc_result_free(&res);
	struct rts_stats st;
	cr_assert_eq(rts_stats_parse_file(&st, stats, &err), 0, "%s", err.msg);
	double direct;
	cr_assert_eq(rts_stats_number(&st, "allocated_bytes", &direct), 0);
	rts_stats_free(&st);

	struct lb_out o;
	int code = run_lb(&o, NULL, "exec", "--db", c.db, "--repeat", "2", "--", bin, "alloc", "300000",
			  NULL);
	cr_assert_eq(code, 0, "exec failed: %s%s", o.out, o.err);
	cr_assert(strstr(o.out, "allocated") && strstr(o.out, "median"), "summary table: %s", o.out);
	lb_out_free(&o);
	for (int i = 0; i < 2; i++) {
		double stored = metric_of_run(c.db, i, "allocated_bytes");
		cr_assert_eq(stored, direct,
			     "run %d stored allocated_bytes %.0f; the direct run reported %.0f", i,
			     stored, direct);
	}
	/* the program's own GHC.Stats, read just before it exits */
	char *id = newest_id(&c);
	json_t *j = show_json(&c, id);
	const char *stdout_path = NULL;
	json_t *a;
	size_t k;
	json_array_foreach(json_object_get(j, "artifacts"), k, a)
		if (strcmp(json_string_value(json_object_get(a, "kind")), "stdout") == 0)
			stdout_path = json_string_value(json_object_get(a, "path"));
	cr_assert(stdout_path);
	char *text = slurp_file(stdout_path);
	const char *p = text ? strstr(text, "ghc_stats allocated_bytes ") : NULL;
	cr_assert(p, "the fixture printed its GHC.Stats");
	double own = atof(p + strlen("ghc_stats allocated_bytes "));
	cr_assert_lt(fabs(own - direct) / direct, 0.005, "GHC.Stats %.0f vs RTS %.0f", own, direct);
	cr_assert(strstr(json_string_value(json_object_get(j, "rts_flags")), "-hT"),
		  "the measurement flags are stored with the run");
	free(text);
	free(id);
	json_decref(j);
	teardown(&c);
}

Test(exec, growing_and_flat_programs_are_told_apart, .timeout = 180)
{
	struct ctx c;
	setup(&c);
	char bin[512];
	fixture("target", bin, sizeof(bin));
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "exec", "--db", c.db, "--repeat", "1", "--", bin, "grow",
			    "300000", NULL),
		     0, "%s", o.err);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, NULL, "exec", "--db", c.db, "--repeat", "1", "--", bin, "flat",
			    "300000", NULL),
		     0, "%s", o.err);
	lb_out_free(&o);
	double grow_live = metric_of_run(c.db, 0, "max_live_bytes");
	double flat_live = metric_of_run(c.db, 1, "max_live_bytes");
	double grow_rss = metric_of_run(c.db, 0, "peak_rss_bytes");
	double flat_rss = metric_of_run(c.db, 1, "peak_rss_bytes");
	cr_assert_gt(grow_live, 20.0 * flat_live, "max live: growing %.0f vs flat %.0f", grow_live,
		     flat_live);
	cr_assert_gt(grow_rss, 3.0 * flat_rss, "peak RSS: growing %.0f vs flat %.0f", grow_rss,
		     flat_rss);
	teardown(&c);
}

/* A program linked with -rtsopts=some (GHC's default) refuses -t and the eventlog but takes
 * -S, its statistics on stderr: leakbench measures it with that and says so, instead of
 * falling back to OS figures only. */
Test(exec, rtsopts_some_is_measured_with_what_its_rts_takes, .timeout = 60)
{
	struct ctx c;
	setup(&c);
	char bin[512];
	fixture("target-some", bin, sizeof(bin));
	struct lb_out o;
	int code = run_lb(&o, NULL, "exec", "--db", c.db, "--repeat", "2", "--", bin, "alloc", "100000", NULL);
	cr_assert_eq(code, 0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "-rtsopts=some") && strstr(o.out, "takes only -S") && strstr(o.out, "relink with -rtsopts"),
		  "names the cause and what is measured: %s", o.out);
	cr_assert(strstr(o.out, "(stdout, stderr, rss.tsv)"), "%s", o.out);
	lb_out_free(&o);
	cr_assert_eq(db_scalar(c.db, "SELECT count(*) FROM runs WHERE status = 'ok'"), 2.0);
	cr_assert_gt(metric_of_run(c.db, 0, "allocated_bytes"), 1e6, "the RTS's own figures, from stderr");
	cr_assert_gt(metric_of_run(c.db, 0, "max_live_bytes"), 0.0);
	cr_assert_eq(db_scalar(c.db, "SELECT count(DISTINCT run_id) FROM series WHERE name = 'live_bytes'"), 2.0,
		     "live bytes after each major GC, from the -S lines");
	cr_assert_eq(db_scalar(c.db, "SELECT count(*) FROM runs WHERE rts_flags = '-S'"), 2.0,
		     "the flags it was measured with are stored");

	/* --rts with --no-rts would be dropped silently: a usage error */
	code = run_lb(&o, NULL, "exec", "--db", c.db, "--no-rts", "--rts", "-s", "--", bin, "alloc", "10", NULL);
	cr_assert_eq(code, 2, "%s%s", o.out, o.err);
	cr_assert(strstr(o.err, "--rts '-s' cannot be given with --no-rts"), "%s", o.err);
	lb_out_free(&o);
	/* and --no-rts measures it with OS figures only */
	code = run_lb(&o, NULL, "exec", "--db", c.db, "--no-rts", "--repeat", "1", "--", bin, "alloc",
		      "10", NULL);
	cr_assert_eq(code, 0, "%s", o.err);
	lb_out_free(&o);
	cr_assert_eq(db_scalar(c.db, "SELECT count(*) FROM runs"), 3.0);
	cr_assert_eq(db_scalar(c.db, "SELECT count(*) FROM metrics m JOIN runs r ON r.id = m.run_id"
				     " WHERE r.rts_flags = '' AND m.name = 'allocated_bytes'"),
		     0.0, "no RTS figures without the RTS");
	teardown(&c);
}

Test(exec, missing_eventlog_support_is_explained, .timeout = 60)
{
	struct ctx c;
	setup(&c);
	char bin[512];
	fixture("target-noeventlog", bin, sizeof(bin));
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "exec", "--db", c.db, "--", bin, "alloc", "10", NULL), 3);
	cr_assert(strstr(o.err, "-eventlog") && strstr(o.err, "--no-eventlog"), "%s", o.err);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, NULL, "exec", "--db", c.db, "--no-eventlog", "--repeat", "1", "--", bin,
			    "alloc", "1000", NULL),
		     0, "%s", o.err);
	lb_out_free(&o);
	cr_assert_gt(metric_of_run(c.db, 0, "allocated_bytes"), 0.0);
	teardown(&c);
}

Test(exec, a_program_that_never_exits_is_stored_as_timeout, .timeout = 60)
{
	struct ctx c;
	setup(&c);
	char bin[512];
	fixture("target", bin, sizeof(bin));
	struct lb_out o;
	int code = run_lb(&o, NULL, "exec", "--db", c.db, "--repeat", "1", "--timeout", "1s", "--", bin,
			  "hang", NULL);
	cr_assert_eq(code, 1, "exit 1 when a run fails (%d): %s", code, o.err);
	cr_assert(strstr(o.out, "timeout"), "%s", o.out);
	lb_out_free(&o);
	cr_assert_eq(db_scalar(c.db, "SELECT count(*) FROM runs WHERE status = 'timeout' AND partial = 1"),
		     1.0);
	cr_assert_eq(db_scalar(c.db, "SELECT signal FROM runs"), (double)SIGTERM);
	teardown(&c);
}

Test(exec, crashes_are_stored_with_signal_or_exit_code, .timeout = 60)
{
	struct ctx c;
	setup(&c);
	char bin[512];
	fixture("target", bin, sizeof(bin));
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "exec", "--db", c.db, "--repeat", "1", "--", bin, "segv", NULL), 1,
		     "%s", o.err);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, NULL, "exec", "--db", c.db, "--repeat", "1", "--", bin, "error", NULL),
		     1, "%s", o.err);
	lb_out_free(&o);
	cr_assert_eq(db_scalar(c.db, "SELECT count(*) FROM runs WHERE status = 'crashed' AND signal = 11"),
		     1.0);
	cr_assert_eq(db_scalar(c.db, "SELECT count(*) FROM runs WHERE status = 'crashed' AND "
				     "exit_code = 1 AND reason LIKE '%boom%'"),
		     1.0);
	teardown(&c);
}

Test(exec, two_execs_share_one_database, .timeout = 180)
{
	struct ctx c;
	setup(&c);
	char bin[512];
	fixture("target", bin, sizeof(bin));
	char *args[] = {"exec", "--db", c.db, "--repeat", "4", "--", bin, "alloc", "20000", NULL};
	pid_t a = spawn_lb(c.dir, "a", args), b = spawn_lb(c.dir, "b", args);
	int sa, sb;
	waitpid(a, &sa, 0);
	waitpid(b, &sb, 0);
	cr_assert(WIFEXITED(sa) && WEXITSTATUS(sa) == 0, "first exec failed");
	cr_assert(WIFEXITED(sb) && WEXITSTATUS(sb) == 0, "second exec failed");
	cr_assert_eq(db_scalar(c.db, "SELECT count(*) FROM runs"), 8.0);
	cr_assert_eq(db_scalar(c.db, "SELECT count(DISTINCT id) FROM runs"), 8.0);
	/* both write target.hp into the one directory: each run gets its own (once, one run
	 * kept the other's and the other had none) */
	cr_assert_eq(db_scalar(c.db, "SELECT count(DISTINCT run_id) FROM artifacts WHERE kind = 'heap-profile'"), 8.0,
		     "every run has its heap profile");
	teardown(&c);
}

/* Programs that end non-zero on purpose: a linter (Debian's shellcheck, a GHC program)
 * exits 1 when it finds something.  Without --ok-exit every run is crashed; with it the
 * runs are ok, their figures summarised, the exit status kept; the summary names only the
 * files the flags asked for. */
Test(exec, a_linter_that_exits_1_on_purpose, .timeout = 60)
{
	if (access("/usr/bin/shellcheck", X_OK) != 0)
		cr_skip_test("shellcheck is not installed");
	struct ctx c;
	setup(&c);
	char script[600];
	snprintf(script, sizeof(script), "%s/lint.sh", c.dir);
	FILE *f = fopen(script, "w");
	fputs("#!/bin/sh\necho $1\n", f); /* SC2086: quote $1 */
	fclose(f);
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "exec", "--db", c.db, "--repeat", "1", "--no-rts", "--", "shellcheck", script, NULL),
		     1, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "crashed") && strstr(o.out, "exited with status 1"), "%s", o.out);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, NULL, "exec", "--db", c.db, "--repeat", "2", "--no-rts", "--ok-exit", "0,1", "--",
			    "shellcheck", script, NULL),
		     0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "(over 2 ok runs)") && strstr(o.out, "peak RSS"), "%s", o.out);
	cr_assert(strstr(o.out, "(stdout, stderr, rss.tsv)"), "no RTS files under --no-rts: %s", o.out);
	lb_out_free(&o);
	cr_assert_eq(db_scalar(c.db, "SELECT count(*) FROM runs WHERE status = 'ok' AND exit_code = 1"), 2.0);
	cr_assert_eq(run_lb(&o, NULL, "exec", "--db", c.db, "--ok-exit", "0,x", "--", "shellcheck", script, NULL), 2);
	cr_assert(strstr(o.err, "--ok-exit: expected exit statuses"), "%s", o.err);
	lb_out_free(&o);
	/* a scenario says it with exit-codes */
	char scn[600], text[1400];
	snprintf(scn, sizeof(scn), "%s/lint.scn", c.dir);
	snprintf(text, sizeof(text), "runner exec\nprogram shellcheck\nexit-codes 0,1\nrun \"%s\"\nrun \"%s\"\n", script, script);
	f = fopen(scn, "w");
	fputs(text, f);
	fclose(f);
	cr_assert_eq(run_lb(&o, NULL, "run", "--db", c.db, "--scenario", scn, "--no-rts", NULL), 0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "verdict: ok"), "%s", o.out);
	lb_out_free(&o);
	teardown(&c);
}

/* The census interval is learned from the last run of the same program: a program holding
 * 40 MiB live pays a major GC per census, so the second invocation takes censuses less
 * often than the first's -i0.1 (and says from what); a given --heap-interval is kept. */
Test(exec, the_census_interval_is_learned_from_the_last_run, .timeout = 120)
{
	struct ctx c;
	setup(&c);
	char bin[512];
	fixture("target", bin, sizeof(bin));
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "exec", "--db", c.db, "--repeat", "1", "--", bin, "steady", "1000000", "20000", NULL),
		     0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "heap census every 0.1s (no earlier run of it to learn from)"), "%s", o.out);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, NULL, "exec", "--db", c.db, "--repeat", "1", "--", bin, "steady", "1000000", "20000", NULL),
		     0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "s (its last run: ") && strstr(o.out, " ms a major GC)"), "%s", o.out);
	lb_out_free(&o);
	char *flags = db_text(c.db, "SELECT rts_flags FROM runs ORDER BY started_at DESC LIMIT 1");
	const char *i = strstr(flags, " -i");
	cr_assert(i && strtod(i + 3, NULL) >= 0.1 && strtod(i + 3, NULL) <= 10, "%s", flags);
	free(flags);
	cr_assert_eq(run_lb(&o, NULL, "exec", "--db", c.db, "--repeat", "1", "--heap-interval", "500ms", "--", bin, "alloc",
			    "1000", NULL),
		     0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "heap census every 0.5s (as given)"), "%s", o.out);
	lb_out_free(&o);
	teardown(&c);
}

/* Ctrl-C during a run: leakbench stops the program and exits 130, and the census file the
 * RTS had begun in the working directory goes with the run, not left there. */
Test(exec, an_interrupted_run_leaves_no_heap_profile_behind, .timeout = 60)
{
	struct ctx c;
	setup(&c);
	char bin[512], cwd[600], hp[700];
	fixture("target", bin, sizeof(bin));
	char *args[] = {"exec", "--db", c.db, "--repeat", "1", "--", bin, "hang", NULL};
	cr_assert(getcwd(cwd, sizeof(cwd)));
	cr_assert_eq(chdir(c.dir), 0);
	pid_t lb = spawn_lb(c.dir, "int", args);
	cr_assert_eq(chdir(cwd), 0);
	snprintf(hp, sizeof(hp), "%s/target.hp", c.dir);
	for (int i = 0; i < 500 && access(hp, F_OK) != 0; i++)
		usleep(10000);
	cr_assert_eq(access(hp, F_OK), 0, "the RTS began its census file");
	kill(lb, SIGINT);
	int st;
	waitpid(lb, &st, 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 130, "interrupted: status %d", st);
	cr_assert_neq(access(hp, F_OK), 0, "target.hp was left in the working directory");
	teardown(&c);
}

Test(exec, runs_and_show_report_what_is_stored, .timeout = 60)
{
	struct ctx c;
	setup(&c);
	char bin[512];
	fixture("target-threaded", bin, sizeof(bin));
	struct lb_out o;
	cr_assert_eq(run_lb(&o, c.dir, "exec", "--db", c.db, "--repeat", "1", "--rts", "-N2", "--", bin,
			    "alloc", "20000", NULL),
		     0, "%s", o.err);
	char hp[600];
	snprintf(hp, sizeof(hp), "%s/target-threaded.hp", c.dir);
	cr_assert_neq(access(hp, F_OK), 0, "no .hp file is left where the program ran");
	lb_out_free(&o);
	char *id = newest_id(&c);
	json_t *j = show_json(&c, id);
	json_t *m = json_object_get(j, "metrics");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(m, "allocated_bytes"), "unit")),
			 "bytes");
	cr_assert_eq(json_real_value(json_object_get(json_object_get(m, "rts.n_capabilities"), "value")),
		     2.0, "the threaded RTS's own keys are kept");
	json_t *env = json_object_get(j, "environment");
	cr_assert_str_eq(json_string_value(json_object_get(env, "ghc_version")), "9.0.2");
	cr_assert(strstr(json_string_value(json_object_get(env, "rts_way")), "thr"));
	cr_assert_eq(strlen(json_string_value(json_object_get(env, "fingerprint"))), 16);
	int has_eventlog = 0;
	json_t *a;
	size_t k;
	json_array_foreach(json_object_get(j, "artifacts"), k, a)
		if (strcmp(json_string_value(json_object_get(a, "kind")), "eventlog") == 0)
			has_eventlog = json_integer_value(json_object_get(a, "bytes")) > 0 &&
				       json_string_value(json_object_get(a, "sha256"));
	cr_assert(has_eventlog, "the eventlog is an artifact with its size and hash");
	int has_hp = 0;
	json_array_foreach(json_object_get(j, "artifacts"), k, a)
		has_hp |= strcmp(json_string_value(json_object_get(a, "kind")), "heap-profile") == 0;
	cr_assert(has_hp, "the .hp file the RTS wrote is moved into the run's artifacts");
	json_decref(j);

	cr_assert_eq(run_lb(&o, NULL, "runs", "--db", c.db, NULL), 0);
	cr_assert(strstr(o.out, id) && strstr(o.out, "ok"), "%s", o.out);
	lb_out_free(&o);
	char prefix[12];
	snprintf(prefix, sizeof(prefix), "%.10s", id);
	cr_assert_eq(run_lb(&o, NULL, "show", "--db", c.db, prefix, NULL), 0, "%s", o.err);
	cr_assert(strstr(o.out, "max_live_bytes") && strstr(o.out, "GHC 9.0.2"), "%s", o.out);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, NULL, "show", "--db", c.db, "NOSUCHRUN", NULL), 2);
	cr_assert(strstr(o.err, "no run with id 'NOSUCHRUN'"), "%s", o.err);
	lb_out_free(&o);
	free(id);
	teardown(&c);
}

Test(exec, eventlog_series_census_and_markers_are_stored_with_the_run, .timeout = 120)
{
	struct ctx c;
	setup(&c);
	char bin[512];
	fixture("census", bin, sizeof(bin));
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "exec", "--db", c.db, "--repeat", "1", "--heap-interval", "20ms",
			    "--", bin, "keep", "6", "20000", NULL),
		     0, "%s", o.err);
	lb_out_free(&o);
	cr_assert_eq(metric_of_run(c.db, 0, "eventlog.allocated_bytes"), metric_of_run(c.db, 0, "allocated_bytes"),
		     "the eventlog's allocation total is the RTS's");
	cr_assert_eq(metric_of_run(c.db, 0, "eventlog.peak_live_bytes"), metric_of_run(c.db, 0, "max_live_bytes"),
		     "peak HEAP_LIVE is max_live_bytes");
	char *id = newest_id(&c);
	json_t *j = show_json(&c, id);
	json_t *live = json_object_get(json_object_get(j, "series"), "live_bytes");
	cr_assert(json_array_size(live) >= 3, "the live-bytes series is stored");
	json_t *marks = json_object_get(j, "markers");
	cr_assert_eq(json_array_size(marks), 6);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(marks, 5), "text")), "phase 6");
	int foo_rows = 0;
	json_t *row;
	size_t k;
	json_array_foreach(json_object_get(j, "census"), k, row)
		foo_rows += strcmp(json_string_value(json_object_get(row, "label")), "main:Main.Foo") == 0;
	cr_assert_geq(foo_rows, 3, "census rows of Foo are stored (%d)", foo_rows);
	json_decref(j);
	cr_assert_eq(run_lb(&o, NULL, "show", "--db", c.db, id, NULL), 0);
	cr_assert(strstr(o.out, "live_bytes") && strstr(o.out, "phase 1@"), "%s", o.out);
	lb_out_free(&o);
	free(id);
	teardown(&c);
}
