/*
 * run_ghci.c - the GHCi runner: one `ghc --interactive` (or any GHCi-like REPL) for the
 * whole session, driven through a prompt of its own.
 *
 * The prompt is set first (`:set prompt`), so every command's answer is exactly what came
 * before the next prompt; each command and its answer go to transcript.txt.  A `load`,
 * `reload` or expression that fails to compile is noted on its step (failed only with
 * `compile-errors fail`: an edit may break the code on purpose).  `wait` and `settle` keep
 * reading GHCi's output while it is idle (its idle GC runs then).  `:quit` at the end lets
 * the RTS write its statistics.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runners/proc.h"
#include "runners/runner.h"

#define GHCI_PROMPT "<<leakbench-ghci-prompt>>"

struct ghci {
	FILE *transcript; /* every command and answer */
	char *path;       /* its path */
};

/* The first line of GHCi's answer that names an error, for the step's note. */
static void first_error(const char *out, char *buf, size_t size)
{
	buf[0] = '\0';
	for (const char *p = out; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		if (memmem(p, n, "error", 5)) {
			snprintf(buf, size, "%.*s", (int)n, p);
			return;
		}
		p = eol ? eol + 1 : NULL;
	}
}

/* One GHCi command: send it, wait for the prompt, judge the answer.  Command and answer go
 * to `transcript` (the session's record of what GHCi said). */
static int ghci_command(struct proc *p, const struct scn_scenario *sc, const char *cmd, size_t step,
			FILE *transcript, struct lb_run *run, struct lb_error *err)
{
	char *answer = NULL;
	int rc = proc_send(p, cmd, sc->timeout, err);
	if (!rc)
		rc = proc_expect(p, GHCI_PROMPT, sc->timeout, &answer, err);
	if (transcript) {
		fprintf(transcript, "ghci> %s%s", cmd, answer ? answer : "");
		fflush(transcript);
	}
	if (!rc && answer && strstr(answer, "Failed, ")) {
		char line[300], note[400];
		first_error(answer, line, sizeof(line));
		snprintf(note, sizeof(note), "compilation failed%s%s", line[0] ? ": " : "", line);
		/* recorded, not fatal unless the scenario says so: an edit may break the code
		 * on purpose */
		rc = sc->compile_errors_fail ? record_step_failed(run, step, note, err)
					     : record_step_note(run, step, note, err);
	} else if (!rc && answer && strstr(answer, "<interactive>") && strstr(answer, "error")) {
		rc = record_step_note(run, step, "the expression did not compile", err);
	}
	free(answer);
	return rc;
}

static int ghci_start(struct session *s, struct lb_error *err)
{
	struct ghci *g = calloc(1, sizeof(*g));
	if (!g)
		return lb_error_oom(err);
	s->state = g;
	if (asprintf(&g->path, "%s/transcript.txt", s->dir) > 0)
		g->transcript = fopen(g->path, "w");
	double t = s->sc->timeout;
	int rc = proc_send(s->p, ":set prompt \"" GHCI_PROMPT "\"\n", t, err);
	if (!rc)
		rc = proc_expect(s->p, GHCI_PROMPT, t, NULL, err);
	if (!rc)
		rc = proc_send(s->p, ":set prompt-cont \"\"\n", t, err);
	if (!rc)
		rc = proc_expect(s->p, GHCI_PROMPT, t, NULL, err);
	return rc ? lb_error_prefix(err, "starting GHCi: ") : 0;
}

static int ghci_act(struct session *s, const struct scn_step *st, size_t i, struct lb_run *run,
		    struct lb_error *err)
{
	struct ghci *g = s->state;
	switch (st->kind) {
	case SCN_EDIT:
		return session_edit(s, st, err);
	case SCN_WAIT:
	case SCN_SETTLE:
		if (st->kind == SCN_WAIT && st->wait == SCN_WAIT_PROMPT)
			return 0; /* every GHCi command already waits for its prompt */
		return proc_idle(s->p, st->seconds, err);
	case SCN_LOAD:
	case SCN_RELOAD:
	case SCN_EVAL: {
		char *cmd;
		int n = st->kind == SCN_LOAD	 ? asprintf(&cmd, ":load %s\n", st->name)
			: st->kind == SCN_RELOAD ? asprintf(&cmd, ":reload\n")
						 : asprintf(&cmd, "%s\n", st->text);
		if (n < 0)
			return lb_error_oom(err);
		int rc = ghci_command(s->p, s->sc, cmd, i, g->transcript, run, err);
		free(cmd);
		return rc;
	}
	default:
		return 0; /* mark: a point in time */
	}
}

static int ghci_stop(struct session *s, struct lb_error *err)
{
	return proc_send(s->p, ":quit\n", s->sc->timeout, err);
}

static int ghci_end(struct session *s, struct lb_run *sub, int keep, struct lb_error *err)
{
	struct ghci *g = s->state;
	int rc = 0;
	if (g && g->transcript) {
		fclose(g->transcript);
		if (keep)
			rc = record_add_artifact(sub, "ghci-transcript", g->path, err);
	}
	if (g)
		free(g->path);
	free(g);
	s->state = NULL;
	return rc;
}

static char *const ghci_args[] = {"--interactive", "-ignore-dot-ghci", NULL};

const struct runner_ops runner_ghci = {.name = "ghci", .dir = "ghci", .default_args = ghci_args,
				       .start = ghci_start, .act = ghci_act, .stop = ghci_stop, .end = ghci_end};
