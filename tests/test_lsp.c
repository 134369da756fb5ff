/*
 * test_lsp.c - the LSP runner against real servers: our HLS-like fixture (with and without
 * its leak, and misbehaving on purpose) and servers nobody here wrote (clangd, pylsp).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/helpers.h"

static char *shipped(const char *name)
{
	char *p;
	const char *root = getenv("LEAKBENCH_ROOT");
	cr_assert(asprintf(&p, "%s/scenarios/%s", root ? root : ".", name) > 0);
	return p;
}

static char *write_file(const char *dir, const char *name, const char *text)
{
	char *path;
	cr_assert(asprintf(&path, "%s/%s", dir, name) > 0);
	FILE *f = fopen(path, "w");
	cr_assert(f, "%s", path);
	fputs(text, f);
	fclose(f);
	return path;
}

Test(lsp, fixture_without_its_leak_passes_lsp_edit_leaf, .timeout = 240)
{
	char *dir = scratch_dir(), db[600], bin[512];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	char *scn = shipped("lsp-edit-leaf.scn");
	struct lb_out o;
	int code = run_lb(&o, NULL, "run", "--db", db, "--scenario", scn, "--program",
			  fixture("lspfix", bin, sizeof(bin)), NULL);
	cr_assert_eq(code, 0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "ok   line 33: slope live_bytes") && strstr(o.out, "ok   line 34: census"), "%s", o.out);
	cr_assert(strstr(o.out, "checkpoints: 40 of 40 measured"), "%s", o.out);
	lb_out_free(&o);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM steps WHERE kind = 'hover'"), 40.0);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM steps WHERE kind = 'wait' AND note = 'notification kick/done'"),
		     40.0, "the run log says which condition ended each wait");
	cr_assert_gt(db_scalar(db, "SELECT count(*) FROM step_metrics WHERE name = 'done_seconds'"), 39.0);
	/* the server goes on indexing after kick/done (as ghcide does); each settle waits until it
	 * is quiet, so every checkpoint gets its idle GC (a plain pause left 8 of 40) */
	cr_assert_eq(db_scalar(db, "SELECT value FROM metrics WHERE name = 'checkpoints_measured'"), 40.0);
	cr_assert_eq(db_scalar(db, "SELECT value FROM metrics WHERE name = 'early_waits'"), 0.0,
		     "a server that typechecks is not answered too soon");
	/* the steady figure: the median of the checkpoints' live bytes */
	double settled = db_scalar(db, "SELECT value FROM metrics WHERE name = 'settled_live_bytes'");
	const char *at_checkpoints = "FROM step_metrics m JOIN steps s ON s.run_id = m.run_id AND s.step = m.step"
				     " WHERE m.name = 'live_bytes' AND s.kind = 'settle' AND s.iteration > 0";
	char sql[400];
	snprintf(sql, sizeof(sql), "SELECT min(m.value) %s", at_checkpoints);
	double lo = db_scalar(db, sql);
	snprintf(sql, sizeof(sql), "SELECT max(m.value) %s", at_checkpoints);
	cr_assert(settled >= lo && settled <= db_scalar(db, sql), "settled_live_bytes %.0f within the checkpoints' %.0f..",
		  settled, lo);
	free(scn);
	rm_rf(dir);
	free(dir);
}

Test(lsp, fixture_with_its_leak_fails_slope_and_census, .timeout = 240)
{
	char *dir = scratch_dir(), db[600], bin[512];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	char *scn = shipped("lsp-edit-leaf.scn");
	struct lb_out o;
	int code = run_lb(&o, NULL, "run", "--db", db, "--scenario", scn, "--program",
			  fixture("lspfix", bin, sizeof(bin)), "--args", "--test --leak", NULL);
	cr_assert_eq(code, 1, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "FAIL line 33: slope live_bytes") && strstr(o.out, "FAIL line 34: census"), "%s", o.out);
	lb_out_free(&o);
	/* the census shows the type growing per edit: later steps hold more ModuleEnv */
	double early = db_scalar(db, "SELECT max(bytes) FROM census WHERE label = 'main:Main.ModuleEnv'"
				     " AND step BETWEEN 0 AND 60");
	double late = db_scalar(db, "SELECT max(bytes) FROM census WHERE label = 'main:Main.ModuleEnv'"
				    " AND step > 150");
	cr_assert_gt(late, 2 * early, "ModuleEnv bytes early %.0f, late %.0f", early, late);
	free(scn);
	rm_rf(dir);
	free(dir);
}

/* A misbehaving server: the run ends within its timeout, stored as crashed with the reason,
 * and nothing of the server is left running. */
static void fault(const char *mode, const char *reason)
{
	char *dir = scratch_dir(), db[600], bin[512], args[200], tag[64];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	snprintf(tag, sizeof(tag), "leakbench-fault-%s-%d", mode, (int)getpid());
	snprintf(args, sizeof(args), "--test --fault %s %s", mode, tag);
	char *scn = write_file(dir, "fault.scn",
			       "runner lsp\ncodebase generate modules=4 layers=2\ntimeout 5s\n"
			       "open L1/M0.hs\nwait idle\nhover L1/M0.hs 1:1\nsymbols L1/M0.hs\n");
	struct lb_out o;
	int code = run_lb(&o, NULL, "run", "--db", db, "--scenario", scn, "--program",
			  fixture("lspfix", bin, sizeof(bin)), "--args", args, NULL);
	cr_assert_eq(code, 1, "%s: a broken server fails the run (%d): %s%s", mode, code, o.out, o.err);
	lb_out_free(&o);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM runs WHERE status = 'crashed'"), 1.0, "%s: stored", mode);
	char sql[300];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM runs WHERE reason LIKE '%%%s%%'", reason);
	cr_assert_eq(db_scalar(db, sql), 1.0, "%s: the reason says '%s'", mode, reason);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM steps WHERE kind = 'hover' AND failed = 1"), 1.0);
	/* nothing of it survives */
	int alive = procs_with(tag);
	cr_assert_eq(alive, 0, "%s: no process of the server is left", mode);
	free(scn);
	rm_rf(dir);
	free(dir);
}

/* The first report's pattern on a 3-component cabal codebase: a definition moves between
 * modules and its downstream use follows, ten times each way.  Without the leak nothing
 * grows and no step leaves an error; with it every move keeps its environments. */
Test(lsp, a_definition_moved_again_and_again_across_components, .timeout = 240)
{
	char *dir = scratch_dir(), db[600], bin[512];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	char *scn = shipped("lsp-move-definition.scn");
	struct lb_out o;
	int code = run_lb(&o, NULL, "run", "--db", db, "--scenario", scn, "--program", fixture("lspfix", bin, sizeof(bin)),
			  NULL);
	cr_assert_eq(code, 0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "checkpoints: 20 of 20 measured") && strstr(o.out, "ok   line 54: diagnostics errors"),
		  "%s", o.out);
	lb_out_free(&o);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM steps WHERE kind = 'wait' AND failed = 1"), 0.0);
	code = run_lb(&o, NULL, "run", "--db", db, "--scenario", scn, "--program", fixture("lspfix", bin, sizeof(bin)),
		      "--args", "--test --leak", NULL);
	cr_assert_eq(code, 1, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "FAIL line 52: slope live_bytes"), "%s", o.out);
	lb_out_free(&o);
	free(scn);
	rm_rf(dir);
	free(dir);
}

/* What real ghcide did with a cradle that names no targets: it published "Could not find
 * module" for every import of the codebase, answered the `test` request false and sent
 * kick/done at once.  Such a run must not say ok: the typecheck wait fails its step with
 * the server's first error, and the diagnostics expectation fails too. */
Test(lsp, a_codebase_the_server_cannot_load_is_not_ok, .timeout = 120)
{
	char *dir = scratch_dir(), db[600], bin[512], cb[600];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	snprintf(cb, sizeof(cb), "%s/cb", dir);
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "gen", "codebase", "--out", cb, "--modules", "12", "--layers", "3", NULL), 0,
		     "%s", o.err);
	lb_out_free(&o);
	char text[1200];
	snprintf(text, sizeof(text),
		 "runner lsp\nargs --test\ncodebase dir \"%s\"\nopen L2/M0.hs\nwait notification kick/done\n"
		 "wait typecheck L2/M0.hs\nmark loaded\nhover L2/M0.hs 3:1\nexpect diagnostics errors == 0\n",
		 cb);
	char *scn = write_file(dir, "load.scn", text);
	/* the generated cradle lists every module: the session does what it claims */
	int code = run_lb(&o, NULL, "run", "--db", db, "--scenario", scn, "--program", fixture("lspfix", bin, sizeof(bin)),
			  NULL);
	cr_assert_eq(code, 0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "ok   line 9: diagnostics errors == 0") && strstr(o.out, "errors: at most 0"), "%s",
		  o.out);
	lb_out_free(&o);
	/* the include path alone, as the first shipped cradle had */
	free(write_file(cb, "hie.yaml", "cradle:\n  direct:\n    arguments:\n      - \"-i.\"\n"));
	code = run_lb(&o, NULL, "run", "--db", db, "--scenario", scn, "--program", fixture("lspfix", bin, sizeof(bin)),
		      NULL);
	cr_assert_eq(code, 1, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "the server says L2/M0.hs does not typecheck (WaitForIdeRule answered false); its first "
				"error: L2/M0.hs:"),
		  "%s", o.out);
	cr_assert(strstr(o.out, "Could not find module \xe2\x80\x98L1.M"), "the server's own words: %s", o.out);
	cr_assert(strstr(o.out, "FAIL line 9: diagnostics errors == 0") && strstr(o.out, "errors: at most 4 at a step"),
		  "%s", o.out);
	cr_assert(strstr(o.out, "verdict: FAIL"), "%s", o.out);
	cr_assert(strstr(o.out, "early waits: 1 wait for an edit's result answered too soon for a recheck"), "%s", o.out);
	lb_out_free(&o);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM runs WHERE status = 'crashed'"), 1.0, "stored, as failed");
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM steps WHERE failed = 1 AND kind = 'wait'"), 1.0);
	cr_assert_eq(db_scalar(db, "SELECT max(value) FROM step_metrics WHERE name = 'diagnostics_errors'"), 4.0);
	/* kick/done at once after the open: noted, and counted per run */
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM steps WHERE kind = 'wait' AND note LIKE "
				   "'notification kick/done; answered % ms after the edit, too soon for a recheck%'"),
		     1.0);
	cr_assert_eq(db_scalar(db, "SELECT m.value FROM metrics m JOIN runs r ON r.id = m.run_id "
				   "WHERE m.name = 'early_waits' AND r.status = 'crashed'"),
		     1.0);
	cr_assert_eq(db_scalar(db, "SELECT m.value FROM metrics m JOIN runs r ON r.id = m.run_id "
				   "WHERE m.name = 'early_waits' AND r.status = 'ok'"),
		     0.0, "the loaded codebase's run: none early");
	free(scn);
	rm_rf(dir);
	free(dir);
}

/* The fixture with a switch that makes a shape of leak, then without it: the run with it
 * exits 1 with "FAIL <what>" in its output, the one without exits 0 with "ok   <what>";
 * both outputs hold `also`.  `option` (or NULL) is one more for `run`. */
static void with_and_without(const char *db, const char *scn, const char *with, const char *without, const char *what,
			     const char *also, const char *option)
{
	const char *args[] = {with, without};
	char bin[512];
	for (int k = 0; k < 2; k++) {
		struct lb_out o;
		int code = run_lb(&o, NULL, "run", "--db", db, "--scenario", scn, "--program",
				  fixture("lspfix", bin, sizeof(bin)), "--args", args[k], option, NULL);
		cr_assert_eq(code, k ? 0 : 1, "%s: %s%s", args[k], o.out, o.err);
		const char *at = strstr(o.out, what);
		cr_assert(at && at - o.out >= 5 && !strncmp(at - 5, k ? "ok   " : "FAIL ", 5) && strstr(o.out, also), "%s: %s",
			  args[k], o.out);
		lb_out_free(&o);
	}
}

/* Growth with time: a server that keeps a little every time it wakes while idle grows per
 * minute with no edit at all; a slope per minute over every major GC after `warm` sees it
 * (and is stored as slope:live_bytes:minute), and holds for the same server without it. */
Test(lsp, an_idle_server_that_grows_per_minute, .timeout = 120)
{
	char *dir = scratch_dir(), db[600];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	char *scn = write_file(dir, "idle.scn",
			       "runner lsp\nargs --test\ncodebase generate modules=12 layers=3 seed=1\nrts -I0.2\n"
			       "open L2/M0.hs\nwait idle\nsettle 1s\nmark warm\n"
			       "repeat 5\n  wait 2s\n  settle 500ms\n  mark idle\nend\n"
			       "expect slope live_bytes < 64KiB per minute after warm\n");
	with_and_without(db, scn, "--test --idle-leak", "--test --idle-timer", "line 14: slope live_bytes < 64KiB per minute",
			 " per minute (95% interval", NULL);
	cr_assert_gt(db_scalar(db, "SELECT m.value FROM metrics m JOIN runs r ON r.id = m.run_id"
				   " WHERE m.name = 'slope:live_bytes:minute' ORDER BY r.started_at LIMIT 1"),
		     128 * 1024.0, "the leak, per minute, stored");
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM metrics WHERE name = 'slope:live_bytes:minute_lo'"), 2.0);
	free(scn);
	rm_rf(dir);
	free(dir);
}

/* Growth with size: a server whose every module keeps its own copy of a graph of all the
 * open modules grows with the square of their number, which no fixed-size session shows;
 * opening 3, 6, 12 and 24 modules with their counts as the marks' values, the exponent of
 * live bytes over the count sees it (exponent:live_bytes:modules), and the same server
 * without the switch grows about linearly. */
Test(lsp, a_module_graph_that_grows_with_the_square_of_the_modules, .timeout = 180)
{
	char *dir = scratch_dir(), db[600], text[2000];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	size_t len = (size_t)snprintf(text, sizeof(text), "runner lsp\nargs --test\ncodebase generate modules=24 layers=1 "
								   "seed=1\nrts -I0.2\nmark start\n");
	for (int m = 0, size = 3; m < 24; m++) {
		len += (size_t)snprintf(text + len, sizeof(text) - len, "open L0/M%d.hs\n", m);
		if (m + 1 == size) {
			len += (size_t)snprintf(text + len, sizeof(text) - len, "wait idle\nsettle 1s\nmark modules %d\n", size);
			size *= 2;
		}
	}
	snprintf(text + len, sizeof(text) - len, "expect exponent live_bytes <= 1.3 per modules after start\n");
	char *scn = write_file(dir, "graph.scn", text);
	with_and_without(db, scn, "--test --module-graph", "--test", "line 42: exponent live_bytes", "4 sizes",
			 "--no-heap-profile");
	double square = db_scalar(db, "SELECT m.value FROM metrics m JOIN runs r ON r.id = m.run_id"
				      " WHERE m.name = 'exponent:live_bytes:modules' ORDER BY r.started_at LIMIT 1");
	double linear = db_scalar(db, "SELECT m.value FROM metrics m JOIN runs r ON r.id = m.run_id"
				      " WHERE m.name = 'exponent:live_bytes:modules' ORDER BY r.started_at DESC LIMIT 1");
	cr_assert(square > 1.4 && linear > 0.6 && linear < 1.2, "exponents %.3f with the graph, %.3f without", square,
		  linear);
	free(scn);
	rm_rf(dir);
	free(dir);
}

/* Transient peaks: a server that holds a copy of every module's table across each rebuild
 * doubles its memory during the rebuild and comes back after, which the checkpoints alone
 * never show; the peak per cycle over the checkpoint before sees it (peak:live_bytes:cycle). */
Test(lsp, a_peak_during_each_rebuild, .timeout = 120)
{
	char *dir = scratch_dir(), db[600];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	char *scn = write_file(dir, "peak.scn",
			       "runner lsp\nargs --test\ncodebase generate modules=12 layers=3 seed=1\nrts -I0.2\n"
			       "open L2/M0.hs\nopen L0/M0.hs\nwait idle\nsettle 1s\nmark warm\n"
			       "repeat 5\n  edit L0/M0.hs replace /\\[x, [0-9]+\\]/ \"[x, {i}]\"\n"
			       "  wait notification kick/done\n  settle 1s\n  mark cycle\nend\n"
			       "expect peak live_bytes <= 1.8x per cycle after warm\n");
	/* no census: a census's own major GC can land in the middle of a rebuild's work and
	 * catch a peak of its own (2.8-3.6x seen), which is not what the switch makes */
	with_and_without(db, scn, "--test --reload-peak", "--test --reload-gc", "line 16: peak live_bytes",
			 "the checkpoint before it (the worst of ", "--no-heap-profile");
	cr_assert_gt(db_scalar(db, "SELECT m.value FROM metrics m JOIN runs r ON r.id = m.run_id"
				   " WHERE m.name = 'peak:live_bytes:cycle' ORDER BY r.started_at LIMIT 1"),
		     1.8);
	free(scn);
	rm_rf(dir);
	free(dir);
}

/* A pause that ends before the server is idle leaves checkpoints without a figure (the
 * fixture, like ghcide, indexes for a while after kick/done and has no idle GC during it):
 * a leak verdict from too few of them is inconclusive, never ok; settling until the server
 * is quiet measures every checkpoint and the verdict is made. */
Test(lsp, a_leak_verdict_from_too_few_checkpoints_is_inconclusive, .timeout = 180)
{
	char *dir = scratch_dir(), db[600], bin[512];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	const char *text = "runner lsp\nargs --test\ncodebase generate modules=12 layers=3 seed=1\nrts -I0.2\n"
			   "open L2/M0.hs\nopen L0/M0.hs\nwait idle\nsettle 1s\nmark warm\nrepeat 8\n"
			   "  edit L0/M0.hs replace /\\[x, [0-9]+\\]/ \"[x, {i}]\"\n  wait notification kick/done\n"
			   "  %s\n  mark edit\nend\nexpect slope live_bytes < 16KiB per edit after warm\n";
	char scn_text[800];
	snprintf(scn_text, sizeof(scn_text), text, "wait 200ms");
	char *scn = write_file(dir, "pause.scn", scn_text);
	struct lb_out o;
	int code = run_lb(&o, NULL, "run", "--db", db, "--scenario", scn, "--program", fixture("lspfix", bin, sizeof(bin)),
			  NULL);
	cr_assert_eq(code, 1, "never ok: %s%s", o.out, o.err);
	cr_assert(strstr(o.out, "INCONCLUSIVE line 16: slope live_bytes") && strstr(o.out, "is inconclusive: live_bytes "
												   "measured at"),
		  "%s", o.out);
	cr_assert(strstr(o.out, "verdict: inconclusive (1 of 1 expectation cannot be judged"), "%s", o.out);
	lb_out_free(&o);
	cr_assert_eq(db_scalar(db, "SELECT value FROM metrics WHERE name = 'leak_inconclusive'"), 1.0);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM metrics WHERE name = 'leak_suspected'"), 0.0,
		     "no leak verdict either way");
	cr_assert_eq(db_scalar(db, "SELECT holds FROM expectations"), -1.0);
	free(scn);
	snprintf(scn_text, sizeof(scn_text), text, "settle 1s");
	scn = write_file(dir, "settle.scn", scn_text);
	code = run_lb(&o, NULL, "run", "--db", db, "--scenario", scn, "--program", fixture("lspfix", bin, sizeof(bin)), NULL);
	cr_assert_eq(code, 0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "checkpoints: 8 of 8 measured") && strstr(o.out, "verdict: ok"), "%s", o.out);
	lb_out_free(&o);
	free(scn);
	rm_rf(dir);
	free(dir);
}

Test(lsp, server_that_exits, .timeout = 60) { fault("die", "has exited"); }
Test(lsp, server_that_never_answers, .timeout = 60) { fault("mute", "waited 5s for the response to textDocument/hover"); }
Test(lsp, server_that_writes_a_bad_header, .timeout = 60) { fault("bad-header", "without Content-Length"); }
Test(lsp, server_that_writes_a_short_body, .timeout = 60) { fault("short-body", "in the middle of a message"); }

/* A server that does the whole session but never answers `shutdown`: the run is stored,
 * failed, with what it measured and why, and the server is stopped. */
Test(lsp, server_that_never_answers_shutdown_is_stored_failed, .timeout = 60)
{
	char *dir = scratch_dir(), db[600], bin[512];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	char *scn = write_file(dir, "fault.scn",
			       "runner lsp\ncodebase generate modules=4 layers=2\ntimeout 3s\n"
			       "open L1/M0.hs\nwait idle\nhover L1/M0.hs 1:1\nsettle 300ms\n");
	struct lb_out o;
	int code = run_lb(&o, NULL, "run", "--db", db, "--scenario", scn, "--program", fixture("lspfix", bin, sizeof(bin)),
			  "--args", "--test --fault no-shutdown", NULL);
	cr_assert_eq(code, 1, "%s%s", o.out, o.err);
	lb_out_free(&o);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM runs WHERE status = 'crashed' AND reason LIKE "
				   "'shutdown: waited 3s for the response to shutdown%'"),
		     1.0, "stored, with why");
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM steps WHERE failed = 0"), 4.0, "every step did its work");
	cr_assert_gt(db_scalar(db, "SELECT count(*) FROM metrics WHERE name = 'peak_rss_bytes'"), 0.0,
		     "what was measured is kept");
	free(scn);
	rm_rf(dir);
	free(dir);
}

/* A server that stops reading its input: a message that fills the pipe waits only the
 * scenario's timeout (3 s here, not a fixed 30 s), and the run is stored failed. */
Test(lsp, server_that_stops_reading_is_bounded_by_the_timeout, .timeout = 60)
{
	char *dir = scratch_dir(), db[600], bin[512], cb[600], big[700];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	snprintf(cb, sizeof(cb), "%s/cb", dir);
	cr_assert_eq(mkdir(cb, 0755), 0);
	snprintf(big, sizeof(big), "%s/Big.hs", cb);
	FILE *f = fopen(big, "w");
	fputs("module Big where\n", f);
	for (int i = 0; i < 20000; i++)
		fprintf(f, "x%d = %d -- more than a pipe holds\n", i, i);
	fclose(f);
	char text[1000];
	snprintf(text, sizeof(text), "runner lsp\ncodebase dir \"%s\"\ntimeout 3s\nopen Big.hs\nwait idle\n", cb);
	char *scn = write_file(dir, "deaf.scn", text);
	struct lb_out o;
	int code = run_lb(&o, NULL, "run", "--db", db, "--scenario", scn, "--program", fixture("lspfix", bin, sizeof(bin)),
			  "--args", "--fault deaf", NULL);
	cr_assert_eq(code, 1, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "did not read its input within 3s"), "%s%s", o.out, o.err);
	lb_out_free(&o);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM runs WHERE status = 'crashed'"), 1.0, "stored, as failed");
	cr_assert_lt(db_scalar(db, "SELECT wall_seconds FROM runs"), 20.0, "the scenario's timeout, not 30 s");
	free(scn);
	rm_rf(dir);
	free(dir);
}

/* A server announcing a 2 GB message and streaming 300 MB of it: refused at its header,
 * so leakbench's memory does not follow (it took 320 MB before); the run is stored failed. */
Test(lsp, server_that_announces_a_huge_message, .timeout = 60)
{
	fault("huge", "announced a message of 2000000000 bytes, more than the largest taken");
	struct rusage ru;
	cr_assert_eq(getrusage(RUSAGE_CHILDREN, &ru), 0);
	cr_assert_lt(ru.ru_maxrss, 100 * 1024, "leakbench or its server peaked at %ld KiB", ru.ru_maxrss);
}

/* A server nobody here wrote: edits, hovers and waits complete, OS figures are stored. */
static void foreign(const char *server, const char *args, const char *file, const char *text,
		    const char *extra_file, const char *extra_text, const char *edit)
{
	char *dir = scratch_dir(), db[600], cb[600];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	snprintf(cb, sizeof(cb), "%s/project", dir);
	cr_assert_eq(mkdir(cb, 0755), 0);
	free(write_file(cb, file, text));
	if (extra_file)
		free(write_file(cb, extra_file, extra_text));
	char scn_text[2000];
	snprintf(scn_text, sizeof(scn_text),
		 "runner lsp\ncodebase dir \"%s\"\ntimeout 60s\n"
		 "open %s\nwait diagnostics %s\nmark warm\n"
		 "repeat 3\n  edit %s append \"%s\"\n  wait diagnostics %s\n  settle 300ms\n  hover %s 1:5\n  mark edit\nend\n"
		 "completion %s 2:1\nsymbols %s\nclose %s\n"
		 "expect peak_rss_bytes < 2GiB\nexpect slope rss_bytes < 64MiB per edit after warm\n",
		 cb, file, file, file, edit, file, file, file, file, file);
	char *scn = write_file(dir, "foreign.scn", scn_text);
	struct lb_out o;
	int code = run_lb(&o, NULL, "run", "--db", db, "--scenario", scn, "--program", server, "--args", args,
			  "--no-rts", NULL);
	cr_assert_eq(code, 0, "%s completes the scenario: %s%s", server, o.out, o.err);
	lb_out_free(&o);
	cr_assert_gt(db_scalar(db, "SELECT value FROM metrics WHERE name = 'peak_rss_bytes'"), 1e6, "OS figures stored");
	/* not a GHC program: its per-step memory is the RSS sampled at each step, and no leak
	 * verdict is made from live bytes it does not have (unknown, not "no leak") */
	cr_assert_geq(db_scalar(db, "SELECT count(*) FROM step_metrics m JOIN steps s ON s.run_id = m.run_id AND s.step = m.step"
				    " WHERE m.name = 'rss_bytes' AND s.kind = 'settle'"),
		      3.0, "every checkpoint has its RSS");
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM metrics WHERE name = 'leak_suspected'"), 0.0);
	cr_assert_eq(db_scalar(db, "SELECT value FROM metrics WHERE name = 'leak_inconclusive'"), 1.0);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM steps WHERE kind = 'wait' AND note LIKE 'publishDiagnostics%'"),
		     4.0);
	free(scn);
	rm_rf(dir);
	free(dir);
}

Test(lsp, clangd_completes_a_scenario, .timeout = 180)
{
	if (access("/usr/bin/clangd", X_OK) != 0)
		cr_skip_test("clangd is not installed");
	foreign("clangd", "--background-index=false", "main.c",
		"int main(void) {\n  return 0;\n}\n", "compile_flags.txt", "-std=c17\n", "int x{i} = {i};\\n");
}

Test(lsp, pylsp_completes_a_scenario, .timeout = 180)
{
	if (access("/usr/bin/pylsp", X_OK) != 0)
		cr_skip_test("pylsp is not installed (Debian: python3-pylsp)");
	foreign("pylsp", "", "main.py", "import os\n\ndef main():\n    return os.getcwd()\n", NULL, NULL,
		"x{i} = {i}\\n");
}
