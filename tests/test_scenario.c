/*
 * test_scenario.c - the scenario language: every directive and step parsed into what a
 * runner needs, repeats unrolled with {i}, and every kind of mistake reported with its
 * file, line and column.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "scenarios/scenario.h"
#include "tests/helpers.h"

static struct scn_scenario *parse_ok(const char *text)
{
	struct scn_scenario *sc;
	struct lb_error err = {0};
	cr_assert_eq(scn_parse_string(&sc, text, "t.scn", &err), 0, "%s", err.msg);
	return sc;
}

/* Parse `text`, expect failure, and check the message starts with "t.scn:LINE:COL: " and
 * contains `needle`. */
static void parse_err(const char *text, int line, int col, const char *needle)
{
	struct scn_scenario *sc;
	struct lb_error err = {0};
	cr_assert_eq(scn_parse_string(&sc, text, "t.scn", &err), LB_EINVAL, "should fail: %s", text);
	char want[64];
	snprintf(want, sizeof(want), "t.scn:%d:%d: ", line, col);
	cr_assert(strncmp(err.msg, want, strlen(want)) == 0, "want %s... got: %s", want, err.msg);
	cr_assert(strstr(err.msg, needle), "want '%s' in: %s", needle, err.msg);
}

Test(scenario, the_design_example_parses)
{
	struct scn_scenario *sc = parse_ok(
		"# HLS must not retain old HscEnvs while one module is edited.\n"
		"scenario edit-leaf\n"
		"runner lsp\n"
		"codebase generate modules=120 layers=12 include-paths=8\n"
		"rts -A4m -I0.2   # idle GC settles\n"
		"open L11/M0.hs\n"
		"wait idle\n"
		"mark warm\n"
		"repeat 40\n"
		"  edit L0/M0.hs append \"-- edit {i}\\n\"\n"
		"  wait typecheck L0/M0.hs          # HLS in --test mode\n"
		"  settle 300ms\n"
		"  hover L11/M0.hs 3:1\n"
		"  mark edit\n"
		"end\n"
		"expect slope live_bytes < 8KiB per edit after warm\n"
		"expect census \"HscEnv\" count <= 150 after warm\n"
		"expect max_live_bytes < 400MiB\n");
	cr_assert_str_eq(sc->name, "edit-leaf");
	cr_assert_eq(sc->runner, SCN_RUNNER_LSP);
	cr_assert_eq(sc->codebase.kind, SCN_CODEBASE_GENERATE);
	cr_assert_eq(sc->codebase.n_params, 3);
	cr_assert_str_eq(sc->codebase.params[2], "include-paths=8");
	cr_assert_str_eq(sc->rts, "-A4m -I0.2");
	cr_assert_eq(sc->n_steps, 3 + 40 * 5);
	const struct scn_step *e7 = &sc->steps[3 + 6 * 5]; /* the 7th edit */
	cr_assert_eq(e7->kind, SCN_EDIT);
	cr_assert_eq(e7->edit, SCN_EDIT_APPEND);
	cr_assert_str_eq(e7->text, "-- edit 7\n", "{i} and \\n are expanded");
	cr_assert_eq(e7->iteration, 7);
	cr_assert_eq(sc->steps[3 + 5 * 0 + 1].wait, SCN_WAIT_TYPECHECK);
	cr_assert_float_eq(sc->steps[3 + 2].seconds, 0.3, 1e-12);
	cr_assert_eq(sc->steps[3 + 3].pos_line, 3);
	cr_assert_eq(sc->steps[3 + 3].pos_col, 1);
	cr_assert_eq(sc->n_expects, 3);
	cr_assert_eq(sc->expects[0].kind, SCN_EXPECT_SLOPE);
	cr_assert_eq(sc->expects[0].bound, 8192.0);
	cr_assert_str_eq(sc->expects[0].per, "edit");
	cr_assert_str_eq(sc->expects[0].after, "warm");
	cr_assert_eq(sc->expects[1].kind, SCN_EXPECT_CENSUS);
	cr_assert_str_eq(sc->expects[1].label, "HscEnv");
	cr_assert_eq(sc->expects[1].census_bytes, 0);
	cr_assert_eq(sc->expects[1].op, SCN_LE);
	cr_assert_eq(sc->expects[2].bound, 400.0 * 1048576);
	cr_assert_str_eq(sc->expects[2].source, "max_live_bytes < 400MiB");
	scn_free(sc);
}

Test(scenario, every_step_and_directive)
{
	struct scn_scenario *sc = parse_ok(
		"runner lsp\n"
		"codebase dir \"/srv/code base\"\n"
		"program haskell-language-server\n"
		"args --lsp --debug\n"
		"env HLS_FLAG=1\n"
		"timeout 2m\n"
		"open A.hs\nclose A.hs\n"
		"edit A.hs insert 3 \"x = 1\\n\"\n"
		"edit A.hs replace /foo\\/bar [0-9]+/ \"baz \\\"q\\\" \\\\\"\n"
		"edit A.hs write \"module A where\\n\"\n"
		"edit A.hs revert\n"
		"wait diagnostics A.hs\nwait queue\nwait notification kick/done\nwait response\nwait 1.5s\n"
		"completion A.hs 1:2\ndefinition A.hs 3:4\nsymbols A.hs\ncodeaction A.hs 5:6\n");
	cr_assert_str_eq(sc->codebase.dir, "/srv/code base");
	cr_assert_str_eq(sc->program, "haskell-language-server");
	cr_assert_eq(sc->n_args, 2);
	cr_assert_str_eq(sc->args[1], "--debug");
	cr_assert_str_eq(sc->env[0], "HLS_FLAG=1");
	cr_assert_eq(sc->timeout, 120.0);
	cr_assert_eq(sc->n_steps, 15);
	cr_assert_eq(sc->steps[2].edit_line, 3);
	cr_assert_str_eq(sc->steps[3].regex, "foo/bar [0-9]+", "\\/ is the delimiter, kept as /");
	cr_assert_str_eq(sc->steps[3].text, "baz \"q\" \\");
	cr_assert_eq(sc->steps[5].edit, SCN_EDIT_REVERT);
	cr_assert_eq(sc->steps[8].wait, SCN_WAIT_NOTIFICATION);
	cr_assert_str_eq(sc->steps[8].name, "kick/done");
	cr_assert_eq(sc->steps[10].seconds, 1.5);
	cr_assert_eq(sc->steps[14].kind, SCN_CODEACTION);
	scn_free(sc);

	sc = parse_ok("runner ghci\ncompile-errors fail\ncodebase tarball https://example.org/c.tar.gz sha256="
		      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
		      "load Main\nreload\neval map (+1) [1,2,3]   # a comment\neval \"length \\\"x\\\"\"\n"
		      "wait prompt\n");
	cr_assert_eq(sc->codebase.kind, SCN_CODEBASE_TARBALL);
	cr_assert(sc->compile_errors_fail);
	cr_assert_str_eq(sc->steps[0].name, "Main");
	cr_assert_str_eq(sc->steps[2].text, "map (+1) [1,2,3]");
	cr_assert_str_eq(sc->steps[3].text, "length \"x\"");
	scn_free(sc);

	sc = parse_ok("runner exec\nrepeat 2\n  repeat 3\n    run -O0 M{i}.hs\n  end\n  mark size{i}\nend\n"
		      "expect census \"THUNK\" bytes < 1 MiB between size1 size2\n");
	cr_assert_eq(sc->n_steps, 2 * (3 + 1));
	cr_assert_str_eq(sc->steps[2].args[1], "M3.hs", "inner {i} is the inner iteration");
	cr_assert_eq(sc->steps[2].iteration, 3);
	cr_assert_str_eq(sc->steps[7].name, "size2", "outer {i} is the outer iteration");
	cr_assert_eq(sc->expects[0].census_bytes, 1);
	cr_assert_eq(sc->expects[0].bound, 1048576.0, "a unit may follow the number after a space");
	cr_assert_str_eq(sc->expects[0].until, "size2");
	scn_free(sc);
}

Test(scenario, errors_name_line_and_column)
{
	parse_err("runner lsp\nfrobnicate A.hs\n", 2, 1, "unknown keyword 'frobnicate'");
	parse_err("runner lsps\n", 1, 8, "unknown runner 'lsps'");
	parse_err("runner exec\nrepeat many\nend\n", 2, 8, "expected how many times to repeat");
	parse_err("runner exec\nrepeat 3\n  run x\n", 2, 1, "this repeat has no 'end'");
	parse_err("runner exec\nend\n", 2, 1, "'end' without a repeat");
	parse_err("runner exec\nrepeat 2\nend\n", 3, 1, "has no steps");
	parse_err("runner lsp\nopen A.hs\nexpect max_live_bytes < 400MB\n", 3, 28, "unknown unit 'MB'");
	parse_err("runner lsp\nopen A.hs\nexpect max_live_bytes ~ 4\n", 3, 23, "expected a comparison");
	parse_err("runner lsp\nsettle 3KiB\n", 2, 8, "is a duration");
	parse_err("runner lsp\nopen ../../etc/passwd\n", 2, 6, "escapes the codebase");
	parse_err("runner lsp\nedit /etc/passwd write \"x\"\n", 2, 6, "the path '/etc/passwd' escapes the codebase");
	parse_err("runner exec\nrun\nexpect max_live_byte < 1GiB\n", 3, 8,
		  "unknown metric 'max_live_byte' (did you mean 'max_live_bytes'?)");
	parse_err("runner exec\nrun\nmark a\nexpect slope live_byte < 1KiB per a\n", 4, 14,
		  "unknown per-step metric 'live_byte' (did you mean 'live_bytes'?)");
	parse_err("runner lsp\nedit A/../../B.hs write \"x\"\n", 2, 6, "escapes the codebase");
	parse_err("runner lsp\nedit A.hs append \"unterminated\n", 2, 18, "not closed");
	parse_err("runner lsp\nedit A.hs append \"bad \\q escape\"\n", 2, 23, "unknown escape '\\q'");
	parse_err("runner lsp\nedit A.hs prepend \"x\"\n", 2, 11, "expected append, insert");
	parse_err("runner lsp\nedit A.hs replace \"x\" \"y\"\n", 2, 19, "expected a /regex/");
	parse_err("runner lsp\nhover A.hs 3\n", 2, 12, "expected a position LINE:COLUMN");
	parse_err("runner lsp\nwait forever\n", 2, 6, "cannot wait for 'forever'");
	parse_err("runner lsp\nopen A.hs extra\n", 2, 11, "unexpected 'extra'");
	parse_err("open A.hs\n", 1, 1, "no runner");
	parse_err("runner ghci\nhover A.hs 1:1\n", 2, 1, "cannot be done by the ghci runner");
	parse_err("runner ghci\nwait idle\n", 2, 1, "does not apply to the ghci runner");
	parse_err("runner lsp\nopen A.hs\nexpect slope live_bytes < 1KiB per edit\n", 3, 1,
		  "no step `mark edit`");
	parse_err("runner lsp\nexpect slope live_bytes < 1KiB after x\n", 2, 32, "expected 'per STEP'");
	parse_err("runner lsp\nexpect census HscEnv count < 3\n", 2, 15, "label as a \"string\"");
	parse_err("runner lsp\nexpect census \"H\" size < 3\n", 2, 19, "expected count or bytes");
	parse_err("runner lsp\nexpect census /[/ bytes < 3\n", 2, 15, "/[/ is not a POSIX extended regular expression");
	parse_err("runner lsp\nexpect diagnostics bugs == 0\n", 2, 20, "expected errors or warnings");
	parse_err("runner ghci\nreload\nexpect diagnostics errors == 0\n", 3, 1, "needs `runner lsp`");
	parse_err("runner lsp\ncodebase generate modules=10 colour=red\n", 2, 30,
		  "unknown generator parameter 'colour'");
	parse_err("runner lsp\ncodebase generate modules=many\n", 2, 19, "modules=many: expected a whole number");
	parse_err("runner lsp\ncodebase generate layered\n", 2, 19, "expected KEY=VALUE");
	parse_err("runner lsp\ncodebase tarball http://x sha256=abc\n", 2, 27, "64 hex digits");
	parse_err("runner lsp\nenv NOVALUE\n", 2, 5, "expected KEY=VALUE");
	parse_err("runner ghci\ncompile-errors ignore\n", 2, 16, "expected fail or note");
	parse_err("runner exec\nexit-codes 0,x\n", 2, 12, "expected exit statuses from 0 to 255");
	parse_err("runner exec\nrun\nmark c\nexpect peak live_bytes <= 1.5 per c\n", 4, 27, "expected a ratio");
	parse_err("runner exec\nrun\nmark c\nexpect peak rss_bytes <= 1.5x per c\n", 4, 13, "a peak is of live_bytes or heap");
	parse_err("runner exec\nrun\nmark size 0\n", 3, 11, "greater than 0");
	parse_err("runner lsp\nopen A.hs\nexpect slope live_bytes < 1KiB per fortnight\n", 3, 1,
		  "no step `mark fortnight`");
	parse_err("runner lsp\n\"string\"\n", 2, 1, "expected a directive or a step");
}

/* Hostile input (issue 16): a form feed or a vertical tab where a word could end once made
 * the lexer read an empty word forever; nested repeats of a long text asked for gigabytes.
 * Each now gets an answer at once (the test's timeout would catch a hang). */
Test(scenario, hostile_input_gets_an_answer, .timeout = 20)
{
	struct scn_scenario *sc = parse_ok("runner exec\nrun \f\nrun \v x\f\n");
	cr_assert_eq(sc->n_steps, 2);
	cr_assert_eq(sc->steps[0].n_args, 0, "a form feed is a blank");
	cr_assert_eq(sc->steps[1].n_args, 1);
	cr_assert_str_eq(sc->steps[1].args[0], "x");
	scn_free(sc);
	size_t n = 50000;
	char *text = malloc(n + 200);
	cr_assert_not_null(text);
	int k = sprintf(text, "runner exec\nrepeat 100\n  repeat 100\n    run \"");
	memset(text + k, 'x', n);
	strcpy(text + k + n, "\"\n  end\nend\n");
	parse_err(text, 6, 1, "the repeat of line 2 unrolls to 478 MiB of steps (at most 256 MiB");
	free(text);
}

Test(scenario, paths_stay_inside)
{
	cr_assert(scn_path_inside("A.hs"));
	cr_assert(scn_path_inside("src/./A.hs"));
	cr_assert(scn_path_inside("src/../B.hs"));
	cr_assert_not(scn_path_inside("../B.hs"));
	cr_assert_not(scn_path_inside("src/../../B.hs"));
	cr_assert_not(scn_path_inside("/abs/B.hs"));
	cr_assert_not(scn_path_inside("."));
	cr_assert_not(scn_path_inside(""));
}

Test(scenario, missing_file_is_named)
{
	struct scn_scenario *sc;
	struct lb_error err = {0};
	cr_assert_eq(scn_parse_file(&sc, "/nonexistent/x.scn", &err), LB_ENOTFOUND);
	cr_assert(strstr(err.msg, "/nonexistent/x.scn"), "%s", err.msg);
}

Test(scenario, command_checks_a_file_and_lists_the_plan)
{
	char *dir = scratch_dir(), path[512];
	snprintf(path, sizeof(path), "%s/reload.scn", dir);
	FILE *f = fopen(path, "w");
	fputs("scenario reload-loop\nrunner ghci\ncodebase generate modules=20 layers=4\n"
	      "load Main\nmark warm\nrepeat 3\n  edit L0/M0.hs append \"-- {i}\\n\"\n  reload\n"
	      "  mark cycle\nend\nexpect slope live_bytes < 4KiB per cycle after warm\n",
	      f);
	fclose(f);
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "scenario", "--steps", path, NULL), 0, "%s", o.err);
	cr_assert(strstr(o.out, "runner    ghci") && strstr(o.out, "steps     11") &&
			  strstr(o.out, "\"-- 3\\n\"") && strstr(o.out, "(iteration 3)") &&
			  strstr(o.out, "slope live_bytes < 4KiB per cycle after warm"),
		  "%s", o.out);
	lb_out_free(&o);
	f = fopen(path, "a");
	fputs("reload extra\n", f);
	fclose(f);
	cr_assert_eq(run_lb(&o, NULL, "scenario", path, NULL), 2);
	char want[600];
	snprintf(want, sizeof(want), "%s:12:8: unexpected 'extra'", path);
	cr_assert(strstr(o.err, want), "%s", o.err);
	lb_out_free(&o);
	rm_rf(dir);
	free(dir);
}

/* What a replay (and a hand-written message) uses: send, wait response ID, waits by count. */
Test(scenario, send_and_waits_by_id_and_count)
{
	struct scn_scenario *sc = parse_ok(
		"runner lsp\n"
		"send {\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"textDocument/hover\",\"params\":{\"x\":\"# not a comment\"}}\n"
		"send {\"method\":\"custom/ping\",\"id\":\"a\"}\n"
		"send {\"method\":\"$/cancelRequest\",\"params\":{\"id\":7}}\n"
		"wait response 7\n"
		"wait response \"a\"\n"
		"wait diagnostics \"src/A.hs\" count 3\n"
		"wait notification kick/done count 12\n"
		"wait notification kick/done\n");
	cr_assert_eq(sc->n_steps, 8);
	cr_assert_eq(sc->steps[0].kind, SCN_SEND);
	cr_assert_str_eq(sc->steps[0].name, "7");
	cr_assert(strstr(sc->steps[0].text, "# not a comment\"}}"), "%s", sc->steps[0].text);
	cr_assert_str_eq(sc->steps[1].name, "\"a\"");
	cr_assert_null(sc->steps[2].name, "a notification has no id");
	cr_assert_str_eq(sc->steps[3].name, "7");
	cr_assert_str_eq(sc->steps[4].name, "\"a\"");
	cr_assert_eq(sc->steps[5].count, 3);
	cr_assert_str_eq(sc->steps[5].file, "src/A.hs");
	cr_assert_eq(sc->steps[6].count, 12);
	cr_assert_eq(sc->steps[7].count, 0);
	scn_free(sc);
	parse_err("runner lsp\nsend {\"method\": }\n", 2, 17, "expected a JSON message after send");
	parse_err("runner lsp\nsend {\"id\":1,\"result\":null}\n", 2, 6, "a request or a notification");
	parse_err("runner lsp\nsend {\"id\":1,\"method\":\"m\"}\nwait response 2\n", 3, 1, "no earlier send has the id 2");
	parse_err("runner lsp\nwait response x\n", 2, 15, "the id of an earlier send");
	parse_err("runner lsp\nwait diagnostics A.hs count 0\n", 2, 29, "how many must have come");
	parse_err("runner ghci\nsend {\"method\":\"m\"}\n", 2, 1, "cannot be done by the ghci runner");
}
