/*
 * cmd_record.c - `leakbench record --out FILE -- SERVER ARGS`: sit between an editor and an
 * LSP server and write down the session, so `leakbench run --replay FILE` can play the
 * editor's part again against any build of the server.
 *
 * The editor starts leakbench as if it were the server.  Bytes are passed on untouched the
 * moment they arrive, in both directions (a proxy must never change what either side
 * sees); beside that, each direction is cut into messages by its own framer and every
 * message becomes one JSON line:
 *     {"dir":"c2s"|"s2c", "t":SECONDS_SINCE_START, "msg":{...}}
 * after a first line {"recording":1, "argv":[...], "cwd":"...", "started_at":UNIX}.  Lines are
 * flushed as they are written, so a session that ends badly keeps what it had.  A direction
 * that stops being LSP is written down once as {"dir":..., "t":..., "error":"..."} and is
 * then passed on without being recorded.
 *
 * The server's stderr goes to leakbench's stderr (the editor's server log).  The session
 * ends when the editor closes our stdin (the server then gets its stdin closed and 10 s to
 * exit before its process group is stopped) or when the server exits.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness/cli.h"
#include "harness/cmd.h"
#include "runners/lsp.h"
#include "runners/proc.h"

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One direction of the session. */
struct leg {
	const char *dir; /* "c2s" or "s2c" */
	struct lsp_framer framer;
	int broken;      /* it stopped being LSP: pass on, record no more */
	long messages;
};

struct recorder {
	FILE *out;
	const char *path;
	double t0;
	int write_failed;
};

static void write_line(struct recorder *rec, json_t *line)
{
	if (rec->write_failed || !line) {
		json_decref(line);
		return;
	}
	if (json_dumpf(line, rec->out, JSON_COMPACT | JSON_REAL_PRECISION(12)) < 0 || fputc('\n', rec->out) == EOF || fflush(rec->out)) {
		/* the editor's session goes on: only the recording is lost, and we say so once */
		fprintf(stderr, "leakbench record: writing %s: %s; the session goes on unrecorded\n", rec->path,
			strerror(errno));
		rec->write_failed = 1;
	}
	json_decref(line);
}

/* Feed bytes seen on one leg; record every whole message. */
static void observe(struct recorder *rec, struct leg *leg, const char *data, size_t len)
{
	if (leg->broken)
		return;
	struct lb_error err = {0};
	double t = round((now_mono() - rec->t0) * 1e6) / 1e6; /* microseconds are plenty */
	int rc = lsp_framer_feed(&leg->framer, data, len, &err);
	json_t *msg;
	while (!rc && (rc = lsp_framer_next(&leg->framer, &msg, &err)) == 1) {
		write_line(rec, json_pack("{s:s, s:f, s:o}", "dir", leg->dir, "t", t, "msg", msg));
		leg->messages++;
		rc = 0;
	}
	if (rc < 0) {
		write_line(rec, json_pack("{s:s, s:f, s:s}", "dir", leg->dir, "t", t, "error", err.msg));
		fprintf(stderr, "leakbench record: %s; passing it on unrecorded\n", err.msg);
		leg->broken = 1;
		lsp_framer_release(&leg->framer);
	}
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int cmd_record(int argc, char **argv)
{
	const char *out_path = NULL;
	const struct cli_option options[] = {
		{"out", CLI_STRING, &out_path, "FILE", "where the session goes, one JSON message per line (required)"},
		OPT_END,
	};
	const struct cli_command cmd = {
		"record", "record --out FILE -- SERVER [ARGS...]",
		"Sit between an editor and an LSP server and write the session down for --replay.",
		"Configure the editor to start `leakbench record --out FILE -- SERVER ARGS` as its\n"
		"language server.  Everything is passed on unchanged; each message is also written to\n"
		"FILE as {\"dir\":\"c2s\"|\"s2c\",\"t\":SECONDS,\"msg\":{...}}.  The server's stderr goes to\n"
		"ours.  Exit status: the server's, or 3 when it could not be started.",
		options, 1};
	int first, nargs, parsed = cli_parse(&cmd, argc, argv, &first, &nargs);
	if (parsed != CLI_GO_ON)
		return parsed;
	if (!out_path || nargs < 1) {
		fprintf(stderr, "leakbench record: %s (usage: %s)\n",
			!out_path ? "--out FILE is required" : "which server? give it after --", cmd.usage);
		return LB_EXIT_USAGE;
	}
	char **server = argv + first;
	server[nargs] = NULL;
	struct recorder rec = {.path = out_path};
	if (!(rec.out = fopen(out_path, "w"))) {
		fprintf(stderr, "leakbench record: cannot write %s: %s\n", out_path, strerror(errno));
		return LB_EXIT_USAGE;
	}
	struct timespec wall;
	clock_gettime(CLOCK_REALTIME, &wall);
	char cwd[PATH_MAX];
	json_t *jargv = json_array();
	for (int i = 0; i < nargs; i++)
		json_array_append_new(jargv, json_string(server[i]));
	write_line(&rec, json_pack("{s:i, s:o, s:s, s:f}", "recording", 1, "argv", jargv, "cwd",
				   getcwd(cwd, sizeof(cwd)) ? cwd : "", "started_at",
				   (double)wall.tv_sec + (double)wall.tv_nsec / 1e9));
	rec.t0 = now_mono();

	struct proc_spec spec = {.argv = server, .stderr_path = "/dev/stderr", .interactive = 1, .grace_s = 2};
	struct proc *p = NULL;
	struct lb_error err = {0};
	if (proc_start(&p, &spec, &err)) {
		cli_error("record", &err);
		fclose(rec.out);
		return LB_EXIT_ERROR;
	}
	struct leg c2s = {.dir = "c2s", .framer = {.who = "the editor"}};
	struct leg s2c = {.dir = "s2c", .framer = {.who = "the server"}};
	proc_watch(p, STDIN_FILENO);
	int rc = 0, editor_gone = 0;
	double quit_by = 0;
	for (;;) {
		char *data = NULL;
		size_t len = 0;
		/* after the editor left: the server has 10 s to go on its own */
		double wait = editor_gone ? quit_by - now_mono() : 3600;
		if (editor_gone && wait <= 0) {
			proc_stop(p);
			break;
		}
		rc = proc_take(p, wait, &data, &len, &err);
		if (rc) {
			free(data);
			if (rc == LB_EIO)
				rc = 0; /* the server ended */
			break;
		}
		if (len) {
			observe(&rec, &s2c, data, len);
			if (write_all(STDOUT_FILENO, data, len) < 0 && !editor_gone) {
				editor_gone = 1; /* the editor no longer listens */
				quit_by = now_mono() + 10;
			}
		}
		free(data);
		if (!editor_gone && proc_watched(p)) {
			char buf[65536];
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf) - 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				editor_gone = 1;
				quit_by = now_mono() + 10;
				proc_watch(p, -1);
				continue;
			}
			observe(&rec, &c2s, buf, (size_t)n);
			/* no NUL can be in LSP's JSON, so text is what proc_send takes */
			if (memchr(buf, '\0', (size_t)n)) {
				fprintf(stderr, "leakbench record: the editor sent a NUL byte; that is not LSP\n");
				proc_stop(p);
				break;
			}
			buf[n] = '\0';
			if ((rc = proc_send(p, buf, 30, &err)))
				break;
		}
	}
	if (rc && rc != LB_EINTR)
		cli_error("record", &err);
	struct proc_result res;
	struct lb_error ferr = {0};
	int frc = proc_finish(p, &res, &ferr);
	lsp_framer_release(&c2s.framer);
	lsp_framer_release(&s2c.framer);
	fclose(rec.out);
	fprintf(stderr, "leakbench record: %ld editor and %ld server messages written to %s\n", c2s.messages,
		s2c.messages, out_path);
	if (rc == LB_EINTR || frc == LB_EINTR)
		return LB_EXIT_INTR;
	if (frc) {
		cli_error("record", &ferr);
		return LB_EXIT_ERROR;
	}
	int code = res.end == PROC_EXITED ? res.exit_code : LB_EXIT_ERROR;
	proc_result_free(&res);
	return rc ? LB_EXIT_ERROR : code;
}
