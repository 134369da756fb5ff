/*
 * cmd_scenario.c - `leakbench scenario FILE`: check a scenario and show what it will do.
 *
 * Parses the file exactly as `leakbench run` will, so a mistake is found before any
 * program starts, and prints the plan: runner, codebase, the steps after repeats are
 * unrolled, and the expectations with their bounds in plain units.
 */
#include <stdio.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/cmd.h"
#include "scenarios/scenario.h"

static void print_step(const struct scn_step *s)
{
	printf("  %4d  %-10s", s->line, scn_step_name(s->kind));
	if (s->file)
		printf(" %s", s->file);
	if (s->kind == SCN_EDIT) {
		static const char *const kinds[] = {"append", "insert", "replace", "write", "revert"};
		printf(" %s", kinds[s->edit]);
		if (s->edit == SCN_EDIT_INSERT)
			printf(" %d", s->edit_line);
		if (s->regex)
			printf(" /%s/", s->regex);
	}
	if (s->kind == SCN_WAIT || s->kind == SCN_SETTLE) {
		static const char *const waits[] = {"idle", "diagnostics", "prompt", "", "typecheck",
						    "queue", "notification", "response"};
		if (s->kind == SCN_SETTLE || s->wait == SCN_WAIT_DURATION)
			printf(" %gs", s->seconds);
		else
			printf(" %s", waits[s->wait]);
	}
	if (s->pos_line)
		printf(" %d:%d", s->pos_line, s->pos_col);
	if (s->name)
		printf(" %s", s->name);
	for (size_t i = 0; i < s->n_args; i++)
		printf(" %s", s->args[i]);
	if (s->text) {
		printf(" \"");
		for (const char *c = s->text; *c && c - s->text < 60; c++)
			fputs(*c == '\n' ? "\\n" : (char[]){*c, 0}, stdout);
		printf("%s\"", strlen(s->text) > 60 ? "..." : "");
	}
	if (s->iteration)
		printf("   (iteration %d)", s->iteration);
	printf("\n");
}

int cmd_scenario(int argc, char **argv)
{
	int steps = 0;
	const struct cli_option options[] = {
		{"steps", CLI_FLAG, &steps, NULL, "list every step after repeats are unrolled"},
		OPT_END,
	};
	const struct cli_command cmd = {
		"scenario", "scenario [--steps] FILE.scn",
		"Check a scenario file and show what it will do.",
		"Errors are reported as FILE:LINE:COLUMN: what was expected.  The language is\n"
		"described in the README (section \"The scenario language\").",
		options, 0};
	int first, nargs, parsed = cli_parse(&cmd, argc, argv, &first, &nargs);
	if (parsed != CLI_GO_ON)
		return parsed;
	if (nargs != 1) {
		fprintf(stderr, "leakbench scenario: %s (usage: leakbench scenario [--steps] FILE.scn)\n",
			nargs ? "one file at a time" : "which scenario? give its file");
		return LB_EXIT_USAGE;
	}
	struct scn_scenario *sc;
	struct lb_error err = {0};
	if (scn_parse_file(&sc, argv[first], &err)) {
		cli_error("scenario", &err);
		return err.code == LB_ENOMEM ? LB_EXIT_ERROR : LB_EXIT_USAGE;
	}
	static const char *const cb[] = {"(none)", "generate", "dir", "tarball"};
	printf("scenario  %s (%s)\nrunner    %s\ncodebase  %s", sc->name, sc->path,
	       scn_runner_name(sc->runner), cb[sc->codebase.kind]);
	for (size_t i = 0; i < sc->codebase.n_params; i++)
		printf(" %s", sc->codebase.params[i]);
	if (sc->codebase.dir)
		printf(" %s", sc->codebase.dir);
	if (sc->codebase.url)
		printf(" %s sha256=%s", sc->codebase.url, sc->codebase.sha256);
	printf("\n");
	if (sc->program)
		printf("program   %s\n", sc->program);
	if (sc->rts)
		printf("rts       %s\n", sc->rts);
	printf("timeout   %gs per wait and step\nsteps     %zu\n", sc->timeout, sc->n_steps);
	if (steps)
		for (size_t i = 0; i < sc->n_steps; i++)
			print_step(&sc->steps[i]);
	printf("expect    %zu\n", sc->n_expects);
	for (size_t i = 0; i < sc->n_expects; i++)
		printf("  %4d  %s\n", sc->expects[i].line, sc->expects[i].source);
	scn_free(sc);
	return LB_EXIT_OK;
}
