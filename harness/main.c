/*
 * main.c - leakbench's entry point: the command table and dispatch.
 *
 * This is the only table of commands; `leakbench help` lists it, an unknown name is
 * answered with the nearest one, and everything else happens in cmd_NAME().
 */
#include <stdio.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/cmd.h"
#include "runners/guard.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
	int starts; /* it starts processes (builds, runs, servers, page writers): run it under the guard */
};

static const struct command commands[] = {
	{"init", cmd_init, "write a commented leakbench.ini and an example scenario", 0},
	{"exec", cmd_exec, "run a GHC-built program several times under measurement and store it", 1},
	{"run", cmd_run, "carry out a scenario, measure every step, judge its expectations", 1},
	{"sweep", cmd_sweep, "build and measure a target over a range of revisions (or what is new)", 1},
	{"merge", cmd_merge, "gather the databases of several sweeps (CI shards) into one", 0},
	{"compare", cmd_compare, "two revisions' stored runs side by side: change, interval, verdict per metric", 0},
	{"check", cmd_check, "is a revision good or bad against a baseline (exit 0/1/125, for git bisect run)", 1},
	{"bisect", cmd_bisect, "find the first bad commit of a regression or a leak between two revisions", 1},
	{"regressions", cmd_regressions, "what the stored history flags, newest first", 0},
	{"accept", cmd_accept, "mark a measured change as intended (the metric is judged against it from then on)", 0},
	{"report", cmd_report, "write the static dashboard: trends, regressions, runs", 1},
	{"nightly", cmd_nightly, "sweep what is new for every target, flag, bisect, write the dashboard", 1},
	{"runs", cmd_runs, "list the stored runs, newest first", 0},
	{"show", cmd_show, "everything stored about one run: metrics, artifacts, environment", 0},
	{"eventlog", cmd_eventlog, "what a GHC eventlog says: GCs, live bytes, heap, census, markers", 0},
	{"scenario", cmd_scenario, "check a scenario file and show the steps it will run", 0},
	{"gen", cmd_gen, "write a generated Haskell codebase (layered, breadth x depth, include paths)", 0},
	{"record", cmd_record, "sit between an editor and an LSP server; write the session down for run --replay", 1},
	{"help", NULL, "this list, or `leakbench help COMMAND` for one command", 0},
};
#define N_COMMANDS (sizeof(commands) / sizeof(*commands))

static void usage(FILE *out)
{
	fprintf(out, "usage: leakbench [--version] [--help] <command> [options]\n\n"
		     "leakbench finds memory regressions in Haskell tooling: it runs GHC-built\n"
		     "programs under the RTS's own measurement and stores every figure in SQLite.\n\n"
		     "commands:\n");
	int width = 0;
	for (size_t i = 0; i < N_COMMANDS; i++)
		width = (int)strlen(commands[i].name) > width ? (int)strlen(commands[i].name) : width;
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-*s %s\n", width, commands[i].name, commands[i].summary);
	fprintf(out, "\n'leakbench <command> --help' shows a command's options.\n");
}

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int unknown_command(const char *name)
{
	const char *names[N_COMMANDS];
	for (size_t i = 0; i < N_COMMANDS; i++)
		names[i] = commands[i].name;
	const char *near = cli_nearest(name, names, N_COMMANDS);
	if (near)
		fprintf(stderr, "leakbench: unknown command '%s' (did you mean '%s'?)\n", name, near);
	else
		fprintf(stderr, "leakbench: unknown command '%s' (see 'leakbench help')\n", name);
	return LB_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return LB_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
		printf("leakbench %s\n", LEAKBENCH_VERSION);
		return LB_EXIT_OK;
	}
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
		usage(stdout);
		return LB_EXIT_OK;
	}
	if (strcmp(name, "help") == 0) {
		if (argc < 3) {
			usage(stdout);
			return LB_EXIT_OK;
		}
		const struct command *c = find(argv[2]);
		if (!c)
			return unknown_command(argv[2]);
		if (!c->fn) {
			usage(stdout);
			return LB_EXIT_OK;
		}
		char *hargv[] = {argv[2], "--help", NULL};
		return c->fn(2, hargv);
	}
	if (name[0] == '-') {
		const char *top[] = {"version", "help"};
		const char *near = cli_nearest(name + (name[1] == '-' ? 2 : 1), top, 2);
		fprintf(stderr, "leakbench: unknown option '%s'%s%s%s\n", name,
			near ? " (did you mean '--" : " (see 'leakbench help')", near ? near : "",
			near ? "'?)" : "");
		return LB_EXIT_USAGE;
	}
	const struct command *c = find(name);
	if (!c)
		return unknown_command(name);
	/* under a guardian, so nothing this run starts outlives it, however it ends (even
	 * kill -9); before anything is started or printed, since the guardian is this pid.  A
	 * command that starts nothing goes without: the guardian's fork and its search of /proc
	 * for strays at the end were a tenth of reading an eventlog. */
	if (c->starts && strcmp(argv[argc - 1], "--help") != 0)
		guard_start();
	return c->fn(argc - 1, argv + 1);
}
