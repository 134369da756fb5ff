/*
 * test_run.c - `leakbench run` with the exec runner: a GHC program whose memory grows per
 * step fails a slope expectation that a flat one meets; the run, its steps, step metrics and
 * verdicts are stored; edits change a fresh generated codebase and revert restores it.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/helpers.h"

static char *write_scenario(const char *dir, const char *name, const char *text)
{
	char *path;
	cr_assert(asprintf(&path, "%s/%s", dir, name) > 0);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static const char *per_step =
	"scenario per-step\nrunner exec\nmark start\nrepeat 5\n  run %s {i}0000\n  mark step\nend\n"
	"expect slope live_bytes < 64KiB per step after start\n"
	"expect max_live_bytes < 1GiB\n";

static int run_mode(const char *dir, const char *db, const char *mode, struct lb_out *o)
{
	char text[512], name[64], bin[512];
	snprintf(text, sizeof(text), per_step, mode);
	snprintf(name, sizeof(name), "%s.scn", mode);
	char *scn = write_scenario(dir, name, text);
	int code = run_lb(o, NULL, "run", "--db", db, "--scenario", scn, "--program",
			  fixture("target", bin, sizeof(bin)), "--heap-interval", "1s", NULL);
	free(scn);
	return code;
}

Test(run, slope_expectation_fails_for_a_growing_program_and_holds_for_a_flat_one, .timeout = 180)
{
	char *dir = scratch_dir(), db[600];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	struct lb_out o;
	cr_assert_eq(run_mode(dir, db, "grow", &o), 1, "a failed expectation exits 1: %s%s", o.out, o.err);
	cr_assert(strstr(o.out, "FAIL line 8: slope live_bytes < 64KiB per step after start"), "%s", o.out);
	cr_assert(strstr(o.out, "slope of live_bytes = ") && strstr(o.out, "NOT < 65536 B"),
		  "the message has the measured value and the bound: %s", o.out);
	cr_assert(strstr(o.out, "ok   line 9: max_live_bytes < 1GiB"), "%s", o.out);
	cr_assert(strstr(o.out, "verdict: FAIL"), "%s", o.out);
	lb_out_free(&o);

	cr_assert_eq(run_mode(dir, db, "flat", &o), 0, "a flat program meets it: %s%s", o.out, o.err);
	cr_assert(strstr(o.out, "ok   line 8: slope live_bytes") && strstr(o.out, "verdict: ok"), "%s", o.out);
	lb_out_free(&o);

	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM runs WHERE scenario = 'per-step'"), 2.0);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM steps"), 2.0 * 11);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM step_metrics WHERE name = 'live_bytes'"), 2.0 * 5);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM expectations WHERE holds = 0"), 1.0);
	cr_assert_gt(db_scalar(db, "SELECT value FROM metrics m JOIN runs r ON r.id = m.run_id"
				   " WHERE m.name = 'live_bytes_slope_per_step' ORDER BY r.started_at LIMIT 1"),
		     100000.0, "the growing run's slope per step is stored as a metric");

	/* show explains it again from the database */
	cr_assert_eq(run_lb(&o, NULL, "runs", "--db", db, "--json", NULL), 0);
	json_t *runs = json_loads(o.out, 0, NULL);
	lb_out_free(&o);
	const char *grow_id = json_string_value(json_object_get(json_array_get(runs, 1), "id"));
	/* the run went fine, its expectation did not: runs says so, never just ok */
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(runs, 1), "verdict")), "FAIL");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(runs, 0), "verdict")), "ok");
	cr_assert_eq(run_lb(&o, NULL, "show", "--db", db, grow_id, NULL), 0);
	cr_assert(strstr(o.out, "FAIL line 8") && strstr(o.out, "grow 50000"), "%s", o.out);
	lb_out_free(&o);
	json_decref(runs);
	rm_rf(dir);
	free(dir);
}

Test(run, edits_change_a_fresh_codebase_and_revert_restores_it, .timeout = 120)
{
	char *dir = scratch_dir(), db[600];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	char *scn = write_scenario(dir, "edit.scn",
				   "runner exec\ncodebase generate modules=6 layers=2 seed=3\n"
				   "edit L0/M0.hs append \"-- EDITED {i}\\n\"\n"
				   "edit L0/M0.hs replace /^module L0\\.M0/ \"module L0.M0 {- replaced -}\"\n"
				   "edit L0/M0.hs insert 1 \"-- FIRST LINE\\n\"\n"
				   "run L0/M0.hs\n"
				   "edit L0/M0.hs revert\n"
				   "run L0/M0.hs\n");
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "run", "--db", db, "--scenario", scn, "--program", "cat", "--no-rts",
			    "--artifacts", dir, NULL),
		     0, "%s%s", o.out, o.err);
	lb_out_free(&o);
	char path[700];
	/* the artifacts of steps 4 and 6 (as run prints them): cat's stdout */
	char cmd[900];
	snprintf(cmd, sizeof(cmd), "sqlite3 %s \"SELECT path FROM artifacts WHERE kind = 'step-004-stdout'\"", db);
	FILE *p = popen(cmd, "r");
	cr_assert(fgets(path, sizeof(path), p));
	pclose(p);
	path[strcspn(path, "\n")] = '\0';
	char *edited = slurp_file(path);
	cr_assert(edited && strncmp(edited, "-- FIRST LINE\n", 14) == 0, "insert before line 1: %s", edited);
	cr_assert(strstr(edited, "module L0.M0 {- replaced -} where") && strstr(edited, "-- EDITED 0\n") == NULL,
		  "replace and append (outside a repeat {i} stays as written): %s", edited);
	cr_assert(strstr(edited, "-- EDITED {i}\n"), "%s", edited);
	free(edited);
	snprintf(cmd, sizeof(cmd), "sqlite3 %s \"SELECT path FROM artifacts WHERE kind = 'step-006-stdout'\"", db);
	p = popen(cmd, "r");
	cr_assert(fgets(path, sizeof(path), p));
	pclose(p);
	path[strcspn(path, "\n")] = '\0';
	char *reverted = slurp_file(path);
	cr_assert(reverted && strncmp(reverted, "-- generated by leakbench", 25) == 0 &&
			  !strstr(reverted, "EDITED") && !strstr(reverted, "replaced"),
		  "revert restores the generated file: %.200s", reverted);
	free(reverted);
	free(scn);
	rm_rf(dir);
	free(dir);
}

static void link_in(const char *dir, const char *name, const char *target)
{
	char at[700];
	snprintf(at, sizeof(at), "%s/%s", dir, name);
	cr_assert_eq(symlink(target, at), 0, "%s", at);
}

/* A codebase holding symbolic links out of it: an edit through a link to a file, or
 * creating a file in a linked folder, would write into the user's files.  Both are refused
 * with the file named, the outside stays unchanged, and a link inside the codebase works. */
Test(run, edits_never_write_outside_the_codebase_through_links, .timeout = 60)
{
	char *dir = scratch_dir(), db[600], cb[600], outside[600], path[700];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	snprintf(cb, sizeof(cb), "%s/cb", dir);
	snprintf(outside, sizeof(outside), "%s/elsewhere", dir);
	cr_assert_eq(mkdir(cb, 0755), 0);
	cr_assert_eq(mkdir(outside, 0755), 0);
	free(write_scenario(outside, "x", "precious\n"));
	free(write_scenario(cb, "A.hs", "module A where\n"));
	snprintf(path, sizeof(path), "%s/x", outside);
	link_in(cb, "link.hs", path);
	link_in(cb, "sub", outside);
	link_in(cb, "inner.hs", "A.hs");
	const char *edits[] = {"edit link.hs append \"pwned\\n\"", "edit sub/new.hs write \"pwned\\n\""};
	const char *names[] = {"cannot edit link.hs: it resolves to ", "cannot edit sub/new.hs: it resolves to "};
	for (int k = 0; k < 2; k++) {
		char text[1000];
		snprintf(text, sizeof(text), "runner exec\ncodebase dir \"%s\"\n%s\nrun inner.hs\n", cb, edits[k]);
		char *scn = write_scenario(dir, "link.scn", text);
		struct lb_out o;
		int code = run_lb(&o, NULL, "run", "--db", db, "--scenario", scn, "--program", "cat", "--no-rts", NULL);
		cr_assert_eq(code, 1, "%s%s", o.out, o.err);
		cr_assert(strstr(o.out, names[k]) && strstr(o.out, "outside the run's copy of the codebase"), "%s%s",
			  o.out, o.err);
		lb_out_free(&o);
		free(scn);
	}
	char *x = slurp_file(path);
	cr_assert_str_eq(x, "precious\n", "the file outside is unchanged");
	free(x);
	snprintf(path, sizeof(path), "%s/new.hs", outside);
	cr_assert_neq(access(path, F_OK), 0, "no file was created outside");
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM runs WHERE status = 'crashed'"), 2.0, "stored, as failed");
	/* a link that stays inside the codebase is edited like any file */
	char text[1000];
	snprintf(text, sizeof(text), "runner exec\ncodebase dir \"%s\"\nedit inner.hs append \"-- ok\\n\"\nrun A.hs\n", cb);
	char *scn = write_scenario(dir, "inner.scn", text);
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "run", "--db", db, "--scenario", scn, "--program", "cat", "--no-rts", NULL), 0,
		     "%s%s", o.out, o.err);
	lb_out_free(&o);
	free(scn);
	rm_rf(dir);
	free(dir);
}

Test(run, scenario_errors_exit_2_with_file_line_column)
{
	char *dir = scratch_dir();
	char *scn = write_scenario(dir, "bad.scn", "runner exec\nrun x\nexpect max_live_bytes < 3 parsecs\n");
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "run", "--scenario", scn, "--program", "true", NULL), 2);
	char want[700];
	snprintf(want, sizeof(want), "%s:3:27: unknown unit 'parsecs'", scn);
	cr_assert(strstr(o.err, want), "%s", o.err);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, NULL, "run", "--scenario", scn, NULL), 2);
	lb_out_free(&o);
	free(scn);
	scn = write_scenario(dir, "ghci.scn", "runner ghci\nreload\n");
	cr_assert_eq(run_lb(&o, NULL, "run", "--scenario", scn, "--program", "true", "--no-rts", "--db",
			    "/dev/null/x.db", NULL),
		     3);
	lb_out_free(&o);
	free(scn);
	rm_rf(dir);
	free(dir);
}

Test(run, a_real_ghci_session_with_ten_reload_cycles, .timeout = 240)
{
	char *dir = scratch_dir(), db[600];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	char *scn = write_scenario(dir, "ghci.scn",
				   "scenario ghci-cycles\nrunner ghci\nprogram ghc\n"
				   "codebase generate modules=8 layers=2 seed=2\nrts -I0.1\n"
				   "load Main\nsettle 700ms\nmark warm\n"
				   "repeat 10\n"
				   "  edit L0/M0.hs append \"\\nextra{i} :: Int\\nextra{i} = {i}\\n\"\n"
				   "  reload\n  settle 700ms\n  mark cycle\nend\n"
				   "edit L0/M0.hs append \"\\nthis is not Haskell\\n\"\nreload\n"
				   "eval 6 * 7\n"
				   "expect slope live_bytes < 1MiB per cycle after warm\n"
				   "expect max_live_bytes < 1MiB\n");
	struct lb_out o;
	/* With Debian's GHC 9.0 (no eventlog support) run says so and per-GC lines (-S) stand
	 * in; with GHC >= 9.4 the eventlog gives the same figures */
	int code = run_lb(&o, NULL, "run", "--db", db, "--scenario", scn, NULL);
	cr_assert_eq(code, 1, "the impossible expectation fails: %s%s", o.out, o.err);
	cr_assert(strstr(o.out, "ok   line 18: slope live_bytes < 1MiB per cycle after warm"), "%s", o.out);
	cr_assert(strstr(o.out, "FAIL line 19: max_live_bytes < 1MiB") && strstr(o.out, "max_live_bytes = ") &&
			  strstr(o.out, "NOT < 1048576 B"),
		  "the failure names the measured value and the bound: %s", o.out);
	lb_out_free(&o);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM steps WHERE kind = 'reload'"), 11.0);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM step_metrics sm JOIN steps s"
				   " ON s.run_id = sm.run_id AND s.step = sm.step"
				   " WHERE sm.name = 'live_bytes' AND s.kind = 'settle' AND s.iteration > 0"),
		     10.0, "a live-bytes figure for each of the 10 cycles");
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM steps WHERE note LIKE 'compilation failed%'"), 1.0,
		     "the broken edit is recorded on its reload step");
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM steps WHERE failed = 1"), 0.0,
		     "a compile error is not a failed step");
	cr_assert_gt(db_scalar(db, "SELECT value FROM metrics WHERE name = 'allocated_bytes'"), 1e6);
	free(scn);
	rm_rf(dir);
	free(dir);
}

/* The collection GHCi makes as it exits belongs to no step: a session that ends with a
 * checkpoint has that checkpoint's figure like every other (it showed 7 MiB against 17 for
 * the others when the -S lines were timed from the spawn instead of the RTS's start).  And
 * GHCi without an eventlog still gets a census, from its .hp file. */
Test(run, the_exit_gc_of_ghci_is_in_no_step_and_its_census_is_read, .timeout = 180)
{
	char *dir = scratch_dir(), db[600];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	char *scn = write_scenario(dir, "ghci.scn",
				   "runner ghci\nprogram ghc\ncodebase generate modules=8 layers=2 seed=2\nrts -I0.1\n"
				   "load Main\nsettle 700ms\nmark warm\nrepeat 4\n"
				   "  edit L0/M0.hs append \"\\nextra{i} :: Int\\nextra{i} = {i}\\n\"\n  reload\n  settle 700ms\n"
				   "  edit L0/M0.hs revert\n  reload\n  settle 700ms\n  mark cycle\nend\n"
				   "expect census /\\.HscEnv$/ bytes < 64MiB after warm\n");
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "run", "--db", db, "--scenario", scn, NULL), 0, "%s%s", o.out, o.err);
	/* Debian's GHCi has no eventlog: its census comes from the .hp file it writes anyway,
	 * each sample placed at the GC it was taken in */
	cr_assert(strstr(o.out, "ok   line 17: census /\\.HscEnv$/ bytes < 64MiB after warm") &&
			  strstr(o.out, "census /\\.HscEnv$/ peaks at "),
		  "%s", o.out);
	lb_out_free(&o);
	cr_assert_gt(db_scalar(db, "SELECT count(DISTINCT sample) FROM census"), 1.0);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM census WHERE step < 0"), 0.0, "every sample is in a step");
	cr_assert_gt(db_scalar(db, "SELECT count(*) FROM census WHERE label LIKE '%.HscEnv'"), 0.0);
	const char *settles = "FROM step_metrics m JOIN steps s ON s.run_id = m.run_id AND s.step = m.step"
			      " WHERE m.name = 'live_bytes' AND s.kind = 'settle'";
	char sql[400];
	snprintf(sql, sizeof(sql), "SELECT count(*) %s", settles);
	cr_assert_eq(db_scalar(db, sql), 9.0, "every checkpoint has a figure");
	snprintf(sql, sizeof(sql), "SELECT m.value %s ORDER BY s.step DESC LIMIT 1", settles);
	double last = db_scalar(db, sql);
	snprintf(sql, sizeof(sql), "SELECT min(m.value) FROM (SELECT m.value, s.step %s ORDER BY s.step DESC LIMIT 8 OFFSET 1)"
		 " m", settles);
	double others = db_scalar(db, sql);
	cr_assert_gt(last, 0.8 * others, "the last checkpoint %.0f B, the others at least %.0f B", last, others);
	free(scn);
	rm_rf(dir);
	free(dir);
}

/* Paths as people write them: an absolute program and codebase (once read as a /regex/), a
 * relative codebase beside the scenario file (not the caller's directory), a missing one
 * named with its line; and a scenario without a codebase works in an empty folder of its
 * own, never the caller's (a second run found what the first left there). */
Test(run, paths_are_paths_and_each_run_has_its_own_folder, .timeout = 60)
{
	char *dir = scratch_dir(), db[600], sub[600], cbx[700], path[800];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	snprintf(cbx, sizeof(cbx), "%s/cbx", sub);
	cr_assert_eq(mkdir(sub, 0755), 0);
	cr_assert_eq(mkdir(cbx, 0755), 0);
	free(write_scenario(cbx, "HERE", "a file of the codebase\n"));
	free(write_scenario(sub, "rel.scn", "runner exec\nprogram /bin/sh\ncodebase dir cbx\nrun -c \"ls; touch LEFT\"\n"));
	free(write_scenario(sub, "none.scn", "runner exec\nprogram /bin/sh\nrun -c \"ls; touch LEFT\"\n"));
	free(write_scenario(sub, "missing.scn", "runner exec\nprogram /bin/sh\n\ncodebase dir /no/such/codebase\nrun\n"));
	struct lb_out o;
	cr_assert_eq(run_lb(&o, dir, "run", "--db", db, "--scenario", "sub/rel.scn", "--no-rts", NULL), 0, "%s%s", o.out,
		     o.err);
	lb_out_free(&o);
	char *out = db_text(db, "SELECT path FROM artifacts WHERE kind = 'step-001-stdout'");
	char *listing = slurp_file(out);
	cr_assert(listing && strstr(listing, "HERE"), "the codebase beside the scenario: %s", listing);
	free(listing);
	free(out);
	cr_assert_eq(run_lb(&o, dir, "run", "--db", db, "--scenario", "sub/none.scn", "--no-rts", NULL), 0, "%s%s",
		     o.out, o.err);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, dir, "run", "--db", db, "--scenario", "sub/none.scn", "--no-rts", NULL), 0, "%s%s",
		     o.out, o.err);
	lb_out_free(&o);
	out = db_text(db, "SELECT a.path FROM artifacts a JOIN runs r ON r.id = a.run_id WHERE a.kind = 'step-001-stdout'"
			  " ORDER BY r.started_at DESC LIMIT 1");
	listing = slurp_file(out);
	cr_assert(listing && !*listing, "the second run starts in an empty folder: '%s'", listing);
	free(listing);
	free(out);
	snprintf(path, sizeof(path), "%s/LEFT", dir);
	cr_assert_neq(access(path, F_OK), 0, "nothing was written where leakbench was started");
	cr_assert_eq(run_lb(&o, dir, "run", "--db", db, "--scenario", "sub/missing.scn", "--no-rts", NULL), 2);
	cr_assert(strstr(o.err, "sub/missing.scn:4: codebase dir /no/such/codebase: not a directory"), "%s", o.err);
	lb_out_free(&o);
	rm_rf(dir);
	free(dir);
}

/* A simulation marks its own phases with traceMarker (`init-done`, then `iter` each
 * iteration): with `marks program` those are marks like `mark` steps, so "constant memory
 * per iteration after initialisation" can be written, its windows inside the one `run`
 * step; and the run stores the program's markers and series as `exec` does. */
Test(run, the_programs_own_marks_are_marks, .timeout = 120)
{
	char *dir = scratch_dir(), db[600], bin[512];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	const char *text = "scenario sim\nrunner exec\nmarks program\nrun iterate 20 %s\n"
			   "expect slope live_bytes < 16KiB per iter after init-done\n";
	const char *modes[] = {"keep", "drop"};
	for (int k = 0; k < 2; k++) {
		char t[300];
		snprintf(t, sizeof(t), text, modes[k]);
		char *scn = write_scenario(dir, "sim.scn", t);
		struct lb_out o;
		int code = run_lb(&o, NULL, "run", "--db", db, "--scenario", scn, "--program", fixture("target", bin, sizeof(bin)),
				  NULL);
		cr_assert_eq(code, k ? 0 : 1, "%s: %s%s", modes[k], o.out, o.err);
		cr_assert(strstr(o.out, k ? "ok   line 5: slope live_bytes" : "FAIL line 5: slope live_bytes") &&
				  strstr(o.out, "20 of 20 steps measured"),
			  "%s: %s", modes[k], o.out);
		lb_out_free(&o);
		free(scn);
	}
	/* 2000 values kept per iteration: about 250 KB each */
	double slope = db_scalar(db, "SELECT value FROM expectations e JOIN runs r ON r.id = e.run_id ORDER BY r.started_at LIMIT 1");
	cr_assert(slope > 100000 && slope < 400000, "%.0f B per iteration", slope);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM markers WHERE text = 'iter'"), 40.0, "the markers are stored");
	cr_assert_eq(db_scalar(db, "SELECT count(DISTINCT run_id) FROM series WHERE name = 'live_bytes'"), 2.0,
		     "and the series");
	/* without `marks program` the program's marks are not marks */
	char *scn = write_scenario(dir, "nomarks.scn", "runner exec\nrun iterate 2 keep\nexpect slope live_bytes < 1KiB per iter\n");
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "run", "--db", db, "--scenario", scn, NULL), 2);
	cr_assert(strstr(o.err, "no step `mark iter`") && strstr(o.err, "marks program"), "%s", o.err);
	lb_out_free(&o);
	free(scn);
	rm_rf(dir);
	free(dir);
}

/* Growth with size: marks carry the sizes (mark size 101), and the exponent of live_bytes ~
 * size^K is judged with its interval; a table quadratic in its size fails a bound of 1.3
 * that a linear one meets (stored as exponent:live_bytes:size), and so do sizes the program
 * marks itself (traceMarker "size 400" with `marks program`). */
Test(run, the_exponent_of_growth_with_size, .timeout = 120)
{
	char *dir = scratch_dir(), db[600], bin[512];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	const char *shapes[] = {"square", "linear"};
	for (int k = 0; k < 2; k++) {
		char t[600];
		snprintf(t, sizeof(t),
			 "runner exec\nmark start\nrun table 50 %s\nmark size 50\nrun table 100 %s\nmark size 100\n"
			 "run table 200 %s\nmark size 200\nrun table 400 %s\nmark size 400\n"
			 "expect exponent live_bytes <= 1.3 per size after start\n",
			 shapes[k], shapes[k], shapes[k], shapes[k]);
		char *scn = write_scenario(dir, "size.scn", t);
		struct lb_out o;
		int code = run_lb(&o, NULL, "run", "--db", db, "--scenario", scn, "--program", fixture("target", bin, sizeof(bin)),
				  NULL);
		cr_assert_eq(code, k ? 0 : 1, "%s: %s%s", shapes[k], o.out, o.err);
		cr_assert(strstr(o.out, k ? "ok   line 11: exponent" : "FAIL line 11: exponent") &&
				  strstr(o.out, "live_bytes grows as size^") && strstr(o.out, "4 sizes"),
			  "%s: %s", shapes[k], o.out);
		lb_out_free(&o);
		free(scn);
	}
	double square = db_scalar(db, "SELECT m.value FROM metrics m JOIN runs r ON r.id = m.run_id"
				      " WHERE m.name = 'exponent:live_bytes:size' ORDER BY r.started_at LIMIT 1");
	cr_assert(square > 1.7 && square < 2.3, "a square table grows as size^%.2f", square);
	/* the program's own marks can carry the sizes: traceMarker "size 400" */
	for (int k = 0; k < 2; k++) {
		char t[300];
		snprintf(t, sizeof(t), "runner exec\nmarks program\nrun sizes %s\nexpect exponent live_bytes <= 1.3 per size\n",
			 shapes[k]);
		char *scn = write_scenario(dir, "psize.scn", t);
		struct lb_out o;
		int code = run_lb(&o, NULL, "run", "--db", db, "--scenario", scn, "--program", fixture("target", bin, sizeof(bin)),
				  NULL);
		cr_assert_eq(code, k ? 0 : 1, "%s: %s%s", shapes[k], o.out, o.err);
		cr_assert(strstr(o.out, k ? "ok   line 4: exponent" : "FAIL line 4: exponent") && strstr(o.out, "4 sizes"),
			  "%s: %s", shapes[k], o.out);
		lb_out_free(&o);
		free(scn);
	}
	/* an exponent needs marks that carry sizes */
	char *scn = write_scenario(dir, "nosize.scn", "runner exec\nrun table 5 linear\nmark size\n"
						       "expect exponent live_bytes <= 1.3 per size\n");
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "scenario", scn, NULL), 2);
	cr_assert(strstr(o.err, "an exponent needs sizes: give the `size` marks values (mark size 101)"), "%s", o.err);
	lb_out_free(&o);
	free(scn);
	rm_rf(dir);
	free(dir);
}

Test(run, census_of_each_step_is_stored_and_judged, .timeout = 120)
{
	char *dir = scratch_dir(), db[600], bin[512];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	char text[600];
	snprintf(text, sizeof(text),
		 "scenario census-steps\nrunner exec\nmark start\nrepeat 3\n  run keep 4 {i}0000\n  mark step\nend\n"
		 "expect census \"main:Main.Foo\" bytes < 64KiB after start\n"
		 "expect census \"main:Main.Foo\" bytes < 1GiB between start step\n"
		 "expect census /Main\\.Fo+$/ bytes < 1GiB after start\n"
		 "expect census \"main:Main.Fooo\" bytes < 1GiB\n");
	char *scn = write_scenario(dir, "census.scn", text);
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "run", "--db", db, "--scenario", scn, "--program",
			    fixture("census", bin, sizeof(bin)), "--heap-interval", "20ms", NULL),
		     1, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "FAIL line 8: census \"main:Main.Foo\" bytes < 64KiB after start") &&
			  strstr(o.out, "census \"main:Main.Foo\" peaks at "),
		  "%s", o.out);
	cr_assert(strstr(o.out, "ok   line 9:"), "%s", o.out);
	cr_assert(strstr(o.out, "ok   line 10:") && strstr(o.out, "census /Main\\.Fo+$/ peaks at"), "a /regex/ label: %s",
		  o.out);
	cr_assert(strstr(o.out, "FAIL line 11:") &&
			  strstr(o.out, "no census of this run has a label named \"main:Main.Fooo\"; the closest seen: "
					"main:Main.Foo"),
		  "a label no census has is named with the closest ones: %s", o.out);
	lb_out_free(&o);
	cr_assert_eq(db_scalar(db, "SELECT count(DISTINCT step) FROM census WHERE label = 'main:Main.Foo'"), 3.0,
		     "each run step's census is stored under its step");
	free(scn);
	rm_rf(dir);
	free(dir);
}

Test(run, the_scenario_env_reaches_the_program, .timeout = 60)
{
	char *dir = scratch_dir(), db[600];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	char *scn = write_scenario(dir, "env.scn", "runner exec\nenv LB_SCENARIO_VAR=from-the-scenario\nenv LB_OTHER=2\nrun\n");
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "run", "--db", db, "--scenario", scn, "--program", "env", "--no-rts", "--artifacts",
			    dir, NULL),
		     0, "%s%s", o.out, o.err);
	lb_out_free(&o);
	char *path = db_text(db, "SELECT path FROM artifacts WHERE kind = 'step-001-stdout'");
	char *printed = slurp_file(path);
	cr_assert(printed && strstr(printed, "\nLB_SCENARIO_VAR=from-the-scenario\n") && strstr(printed, "\nLB_OTHER=2\n"),
		  "%s: %s", path, printed);
	free(printed);
	free(path);
	free(scn);
	rm_rf(dir);
	free(dir);
}
