/*
 * test_replay.c - `leakbench record` between a real editor-side client (leakbench's own LSP
 * client, talking through the recorder's stdin/stdout) and the fixture server, then
 * `leakbench run --replay` of that recording against the server with and without its leak.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "runners/lsp.h"
#include "runners/proc.h"
#include "tests/helpers.h"

#define EDITS 12

static size_t count_lines(const char *text, const char *a, const char *b)
{
	size_t n = 0;
	for (const char *l = text; l && *l;) {
		const char *eol = strchr(l, '\n');
		size_t len = eol ? (size_t)(eol - l) : strlen(l);
		if (memmem(l, len, a, strlen(a)) && (!b || memmem(l, len, b, strlen(b))))
			n++;
		l = eol ? eol + 1 : NULL;
	}
	return n;
}

/* Be the editor: open a leaf module, edit it EDITS times (each awaited by kick/done), hover,
 * and say goodbye, all through `leakbench record`.  The recording goes to `out`. */
static void record_session(const char *dir, const char *cb, const char *out)
{
	char bin[512], err_path[600], path[700];
	fixture("lspfix", bin, sizeof(bin));
	snprintf(err_path, sizeof(err_path), "%s/record.stderr", dir);
	char *argv[] = {getenv("LEAKBENCH_BIN"), "record", "--out", (char *)out, "--", bin, "--test", NULL};
	cr_assert_not_null(argv[0], "LEAKBENCH_BIN is not set");
	struct proc_spec spec = {.argv = argv, .cwd = cb, .stderr_path = err_path, .timeout_s = 120,
				 .interactive = 1};
	struct proc *p;
	struct lsp *l;
	struct lb_error err = {0};
	cr_assert_eq(proc_start(&p, &spec, &err), 0, "%s", err.msg);
	cr_assert_eq(lsp_new(&l, p, NULL, &err), 0);
	char *root = lsp_uri(cb), *uri;
	snprintf(path, sizeof(path), "%s/L0/M0.hs", cb);
	uri = lsp_uri(path);
	char *text = file_read(path, 0, NULL, &err);
	cr_assert_not_null(text, "%s", err.msg);
	cr_assert_eq(lsp_initialize(l, root, NULL, 30, &err), 0, "%s", err.msg);
	long after = lsp_received_count(l);
	cr_assert_eq(lsp_notify(l, "textDocument/didOpen",
				json_pack("{s:{s:s, s:s, s:i, s:s}}", "textDocument", "uri", uri, "languageId", "haskell",
					  "version", 1, "text", text),
				&err),
		     0, "%s", err.msg);
	cr_assert_eq(lsp_wait_notification(l, "kick/done", after, 30, &err), 0, "%s", err.msg);
	for (int v = 2; v <= EDITS + 1; v++) {
		char *more;
		cr_assert(asprintf(&more, "%s-- edit %d\n", text, v) > 0);
		free(text);
		text = more;
		after = lsp_received_count(l);
		cr_assert_eq(lsp_notify(l, "textDocument/didChange",
					json_pack("{s:{s:s, s:i}, s:[{s:s}]}", "textDocument", "uri", uri, "version", v,
						  "contentChanges", "text", text),
					&err),
			     0, "%s", err.msg);
		cr_assert_eq(lsp_wait_notification(l, "kick/done", after, 30, &err), 0, "%s", err.msg);
	}
	long id;
	cr_assert_eq(lsp_request(l, "textDocument/hover",
				 json_pack("{s:{s:s}, s:{s:i, s:i}}", "textDocument", "uri", uri, "position", "line", 1,
					   "character", 7),
				 &id, &err),
		     0, "%s", err.msg);
	cr_assert_eq(lsp_wait_response(l, id, NULL, 30, &err), 0, "%s", err.msg);
	cr_assert_eq(lsp_shutdown(l, 30, &err), 0, "%s", err.msg);
	struct proc_result res;
	cr_assert_eq(proc_finish(p, &res, &err), 0, "%s", err.msg);
	char *log = slurp_file(err_path);
	cr_assert_eq(res.end, PROC_EXITED, "%s", log);
	cr_assert_eq(res.exit_code, 0, "the recorder passes on the server's exit status: %s", log);
	cr_assert(log && strstr(log, "editor and") && strstr(log, "server messages written to"), "%s", log);
	free(log);
	proc_result_free(&res);
	lsp_free(l);
	free(text);
	free(root);
	free(uri);
}

static char *make_codebase(const char *dir)
{
	char *cb;
	cr_assert(asprintf(&cb, "%s/cb", dir) > 0);
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "gen", "codebase", "--modules", "30", "--layers", "3", "--out", cb, NULL), 0,
		     "%s", o.err);
	lb_out_free(&o);
	return cb;
}

Test(replay, record_then_replay_with_and_without_the_leak, .timeout = 300)
{
	char *dir = scratch_dir(), rec[600], db[600], bin[512];
	char *cb = make_codebase(dir);
	snprintf(rec, sizeof(rec), "%s/session.jsonl", dir);
	snprintf(db, sizeof(db), "%s/r.db", dir);
	record_session(dir, cb, rec);

	/* the recording: a header, then every message of both sides, each a JSON line */
	char *text = slurp_file(rec);
	cr_assert_not_null(text);
	cr_assert(strncmp(text, "{\"recording\":1,\"argv\":[", 23) == 0, "%.200s", text);
	cr_assert_eq(count_lines(text, "\"dir\":\"c2s\"", "textDocument/didChange"), EDITS);
	cr_assert_eq(count_lines(text, "\"dir\":\"c2s\"", "\"method\":\"initialize\""), 1);
	cr_assert_eq(count_lines(text, "\"dir\":\"c2s\"", "\"method\":\"exit\""), 1);
	cr_assert_geq(count_lines(text, "\"dir\":\"s2c\"", "\"method\":\"kick/done\""), EDITS + 1);
	cr_assert_geq(count_lines(text, "\"dir\":\"s2c\"", "workspace/configuration"), 1,
		      "the server's own requests are recorded too");
	cr_assert_eq(count_lines(text, "\"error\"", NULL), 0);
	free(text);

	/* replayed against the same server, then against it with its leak switched on.  The
	 * recorded editor never paused, so no idle GC can give a figure: like a user measuring a
	 * real server's busy session, the measurement overrides the server's built-in -A128M
	 * (as ghcide's) with a small allocation area, so its own GCs give every step one */
	double live[2], slope[2];
	for (int leak = 0; leak < 2; leak++) {
		struct lb_out o;
		int code = run_lb(&o, NULL, "run", "--replay", rec, "--codebase", cb, "--db", db, "--program",
				  fixture("lspfix", bin, sizeof(bin)), "--args", leak ? "--test --leak" : "--test", "--rts",
				  "-A1m", NULL);
		cr_assert_eq(code, 0, "%s%s", o.out, o.err);
		cr_assert(strstr(o.out, "scenario replay-session (lsp runner"), "%s", o.out);
		cr_assert(strstr(o.out, "textDocument/didChange L0/M0.hs"), "%s", o.out);
		cr_assert(strstr(o.out, "response to textDocument/hover"), "%s", o.out);
		lb_out_free(&o);
		char sql[300];
		snprintf(sql, sizeof(sql),
			 "SELECT value FROM metrics WHERE name = 'max_live_bytes' AND run_id = "
			 "(SELECT id FROM runs ORDER BY id DESC LIMIT 1)");
		live[leak] = db_scalar(db, sql);
		snprintf(sql, sizeof(sql),
			 "SELECT value FROM metrics WHERE name = 'live_bytes_slope_per_step' AND run_id = "
			 "(SELECT id FROM runs ORDER BY id DESC LIMIT 1)");
		slope[leak] = db_scalar(db, sql);
	}
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM runs WHERE status = 'ok' AND scenario = 'replay-session'"), 2.0);
	/* didOpen, the edits, the hover: each sent in order, each waited for as in the original */
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM steps WHERE kind = 'send'"), 2.0 * (EDITS + 2));
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM steps WHERE kind = 'wait' AND note LIKE 'kick/done number %'"),
		     2.0 * (EDITS + 1));
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM steps WHERE note LIKE 'waited%'"), 0.0,
		     "no wait ran out of time");
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM artifacts WHERE kind = 'replay.scn'"), 2.0);
	/* the leak is what the replay shows: every old ModuleEnv stays alive */
	cr_log_info("replay: max live %.0f B, slope %.0f B/step; with the leak %.0f B, %.0f B/step", live[0],
		    slope[0], live[1], slope[1]);
	cr_assert_lt(slope[0], 16 * 1024.0, "live bytes per step without the leak: %.0f B", slope[0]);
	cr_assert_gt(slope[1], 64 * 1024.0, "live bytes per step with the leak: %.0f B", slope[1]);
	/* (max live bytes differ too, but by less than they vary with GC timing on a busy machine) */
	free(cb);
	rm_rf(dir);
	free(dir);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

/* Bad recordings: one clear error naming the file (and line), exit 2, nothing stored. */
Test(replay, bad_recordings_are_named_and_store_nothing, .timeout = 60)
{
	char *dir = scratch_dir(), rec[600], db[600];
	snprintf(rec, sizeof(rec), "%s/bad.jsonl", dir);
	snprintf(db, sizeof(db), "%s/r.db", dir);
	static const struct {
		const char *text, *want;
	} cases[] = {
		{"{\"recording\":1}\n{\"dir\":\"c2s\",\"t\":0,\"msg\":{\"id\":1,\"method\":\"initialize\",\"params\":"
		 "{\"rootUri\":\"file:///tmp\"}}}\nnot json\n",
		 "bad.jsonl:3: not a JSON object"},
		{"{\"dir\":\"sideways\",\"t\":0,\"msg\":{}}\n", "bad.jsonl:1: \"dir\" is missing or not c2s/s2c"},
		{"{\"dir\":\"c2s\",\"msg\":{}}\n", "bad.jsonl:1: \"t\" is missing"},
		{"{\"dir\":\"s2c\",\"t\":1,\"msg\":{\"method\":\"window/logMessage\"}}\n", "no initialize request"},
		{"{\"dir\":\"c2s\",\"t\":0,\"msg\":{\"id\":1,\"method\":\"initialize\",\"params\":{}}}\n",
		 "bad.jsonl:1: initialize names no root"},
		{"{\"dir\":\"c2s\",\"t\":0,\"msg\":{\"id\":1,\"method\":\"initialize\",\"params\":"
		 "{\"rootUri\":\"file:///no/such/leakbench/root\"}}}\n{\"dir\":\"c2s\",\"t\":1,\"msg\":"
		 "{\"method\":\"textDocument/didOpen\",\"params\":{}}}\n",
		 "is not a directory here; give --codebase DIR"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		write_text(rec, cases[i].text);
		struct lb_out o;
		int code = run_lb(&o, NULL, "run", "--replay", rec, "--db", db, "--program", "/bin/true", NULL);
		cr_assert_eq(code, 2, "case %zu: %s%s", i, o.out, o.err);
		cr_assert(strstr(o.err, cases[i].want), "case %zu: want '%s' in: %s", i, cases[i].want, o.err);
		cr_assert(strstr(o.err, "bad.jsonl"), "case %zu names the file: %s", i, o.err);
		lb_out_free(&o);
	}
	cr_assert_neq(access(db, F_OK), 0, "nothing was stored, not even an empty database");
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "run", "--replay", rec, "--scenario", "x.scn", NULL), 2);
	cr_assert(strstr(o.err, "give one"), "%s", o.err);
	lb_out_free(&o);
	rm_rf(dir);
	free(dir);
}

/* A recording whose server asked workspace/configuration twice with one id (the answer is
 * taken once: under `make test-asan` a second reference would be a leak), replayed with
 * its database, and so its artifacts, inside the recorded root (the codebase copy must
 * not copy itself forever). */
Test(replay, a_reused_request_id_and_artifacts_inside_the_root, .timeout = 60)
{
	char *dir = scratch_dir(), rec[600], db[600], bin[512], text[4000];
	snprintf(rec, sizeof(rec), "%s/two.jsonl", dir);
	snprintf(db, sizeof(db), "%s/r.db", dir);
	char a[600];
	snprintf(a, sizeof(a), "%s/A.hs", dir);
	write_text(a, "module A where\n");
	const char *config = "{\"dir\":\"s2c\",\"t\":0.3,\"msg\":{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":"
			     "\"workspace/configuration\",\"params\":{\"items\":[{\"section\":\"haskell\"}]}}}\n";
	snprintf(text, sizeof(text),
		 "{\"recording\":1}\n"
		 "{\"dir\":\"c2s\",\"t\":0,\"msg\":{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
		 "{\"rootUri\":\"file://%s\"}}}\n"
		 "{\"dir\":\"s2c\",\"t\":0.1,\"msg\":{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"capabilities\":{}}}}\n"
		 "{\"dir\":\"c2s\",\"t\":0.2,\"msg\":{\"jsonrpc\":\"2.0\",\"method\":\"initialized\",\"params\":{}}}\n"
		 "%s%s"
		 "{\"dir\":\"c2s\",\"t\":0.4,\"msg\":{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":[{\"checkProject\":false}]}}\n"
		 "{\"dir\":\"c2s\",\"t\":0.45,\"msg\":{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/didOpen\",\"params\":"
		 "{\"textDocument\":{\"uri\":\"file://%s\",\"languageId\":\"haskell\",\"version\":1,"
		 "\"text\":\"module A where\\n\"}}}}\n",
		 dir, config, config, a);
	write_text(rec, text);
	struct lb_out o;
	int code = run_lb(&o, NULL, "run", "--replay", rec, "--db", db, "--program", fixture("lspfix", bin, sizeof(bin)),
			  NULL);
	cr_assert_eq(code, 0, "%s%s", o.out, o.err);
	lb_out_free(&o);
	char *scn_path = db_text(db, "SELECT path FROM artifacts WHERE kind = 'replay.scn'");
	char *scn = slurp_file(scn_path);
	const char *at = scn ? strstr(scn, "settings {\"checkProject\":false}\n") : NULL;
	cr_assert(at && !strstr(at + 1, "settings "), "the answer, once: %s", scn);
	free(scn);
	free(scn_path);
	rm_rf(dir);
	free(dir);
}
