/*
 * cmd_merge.c - `leakbench merge OUT IN...`: gather the databases of several sweeps (the
 * shards of one CI run, or machines measuring different targets) into one.
 *
 * Rows are matched by what identifies them everywhere (target name, revision sha, build
 * cache key, run id), so merging is idempotent and the order of the inputs does not matter.
 * Each input goes in its own transaction: a bad input is reported and leaves OUT as it was.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/cli.h"
#include "harness/cmd.h"
#include "harness/context.h"
#include "results/store.h"

int cmd_merge(int argc, char **argv)
{
	const struct cli_option options[] = {{NULL, 0, NULL, NULL, NULL}};
	const struct cli_command cmd = {
		"merge", "merge OUT IN...", "Copy the revisions, builds and runs of databases IN into OUT.",
		"OUT is created when it does not exist.  Targets are matched by name, revisions by\n"
		"target and sha, builds by their cache key, runs by id: merging a database twice\n"
		"adds nothing.  Exit status: 0 all merged, 2 usage, 3 an input could not be merged\n"
		"(the others still are).",
		options, 0};
	int first, nargs, parsed = cli_parse(&cmd, argc, argv, &first, &nargs);
	if (parsed != CLI_GO_ON)
		return parsed;
	if (nargs < 2) {
		fprintf(stderr, "leakbench merge: give OUT and at least one IN (usage: %s)\n", cmd.usage);
		return LB_EXIT_USAGE;
	}
	const char *out = argv[first];
	char out_real[PATH_MAX] = "";
	int have_out = realpath(out, out_real) != NULL;
	for (int i = first + 1; i < first + nargs; i++) {
		char in_real[PATH_MAX];
		if (have_out && realpath(argv[i], in_real) && strcmp(in_real, out_real) == 0) {
			fprintf(stderr, "leakbench merge: %s is OUT itself\n", argv[i]);
			return LB_EXIT_USAGE;
		}
	}
	struct store *st;
	struct lb_error err = {0};
	if (store_open(&st, out, &err)) {
		cli_error("merge", &err);
		return LB_EXIT_ERROR;
	}
	int code = LB_EXIT_OK;
	for (int i = first + 1; i < first + nargs; i++) {
		struct store_merge_counts added;
		if (cmd_merge_file("merge", st, argv[i], &added)) {
			code = LB_EXIT_ERROR;
			continue;
		}
		printf("%s: %ld revision%s, %ld build%s, %ld run%s added\n", argv[i], added.revisions,
		       added.revisions == 1 ? "" : "s", added.builds, added.builds == 1 ? "" : "s", added.runs,
		       added.runs == 1 ? "" : "s");
	}
	store_close(st);
	return code;
}
