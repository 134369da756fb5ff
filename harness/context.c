/*
 * context.c - what the analysis commands (compare, check, bisect, regressions, accept)
 * start from: the config when there is one, the target, the database.  One place, so each
 * command finds them the same way and says the same thing when one is missing.
 */
#include "harness/context.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/text.h"
#include "harness/cli.h"
#include "results/judge.h"

int cmd_context_open(struct cmd_context *x, const char *cmd, const char *config, const char *target, const char *db,
		     int flags)
{
	memset(x, 0, sizeof(*x));
	struct lb_error err = {0};
	const char *path = config ? config : "leakbench.ini";
	if ((config || (flags & CMD_NEED_CONFIG) || access(path, F_OK) == 0) && cfg_load(&x->cfg, path, &err)) {
		cli_error(cmd, &err);
		return err.code == LB_ENOMEM ? LB_EXIT_ERROR : LB_EXIT_USAGE;
	}
	if (x->cfg && !target && x->cfg->n_targets == 1 && !(flags & CMD_ANY_TARGET))
		target = x->cfg->targets[0].name;
	if (!target && !(flags & CMD_ANY_TARGET)) {
		fprintf(stderr, "leakbench %s: which target? give --target NAME%s\n", cmd,
			x->cfg ? " (the config has several)" : "");
		cmd_context_close(x);
		return LB_EXIT_USAGE;
	}
	if (x->cfg && target && !(x->t = cfg_target(x->cfg, target, &err))) {
		cli_error(cmd, &err);
		cmd_context_close(x);
		return LB_EXIT_USAGE;
	}
	x->target = target;
	x->db = db ? db : x->cfg ? x->cfg->database : LB_DEFAULT_DB;
	if (!(x->st = cmd_context_store(cmd, x->db))) {
		int missing = access(x->db, F_OK) != 0;
		cmd_context_close(x);
		return missing ? LB_EXIT_USAGE : LB_EXIT_ERROR;
	}
	return 0;
}

void cmd_context_close(struct cmd_context *x)
{
	store_close(x->st);
	cfg_free(x->cfg);
	memset(x, 0, sizeof(*x));
}

int cmd_metrics(const char *cmd, char *words, char ***out)
{
	*out = NULL;
	if (words && !(*out = text_split_words(words))) {
		fprintf(stderr, "leakbench %s: out of memory\n", cmd);
		return -1;
	}
	for (size_t i = 0; *out && (*out)[i]; i++)
		if (!judge_known_metric((*out)[i])) {
			fprintf(stderr,
				"leakbench %s: unknown metric '%s' (the headline ones are max_live_bytes, allocated_bytes, "
				"max_mem_in_use_bytes, peak_rss_bytes, gc_cpu_seconds, wall_seconds, "
				"live_bytes_slope_per_step; any rts.* or eventlog.* figure, or a leak shape a scenario "
				"stores: exponent:METRIC:MARK, slope:METRIC:UNIT, peak:METRIC:MARK)\n",
				cmd, (*out)[i]);
			return -1;
		}
	return 0;
}

struct store *cmd_context_store(const char *cmd, const char *path)
{
	if (access(path, F_OK) != 0) {
		fprintf(stderr,
			"leakbench %s: no database at %s (measure something with `leakbench exec` "
			"first, or choose one with --db FILE)\n",
			cmd, path);
		return NULL;
	}
	struct store *st;
	struct lb_error err = {0};
	if (store_open(&st, path, &err)) {
		cli_error(cmd, &err);
		return NULL;
	}
	return st;
}

int cmd_merge_file(const char *cmd, struct store *st, const char *path, struct store_merge_counts *added)
{
	struct store *in = cmd_context_store(cmd, path);
	if (!in)
		return -1;
	store_close(in);
	struct lb_error err = {0};
	if (store_merge(st, path, added, &err)) {
		cli_error(cmd, &err);
		return -1;
	}
	return 0;
}
