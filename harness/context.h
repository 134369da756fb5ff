/*
 * context.h - the config, target and database an analysis command works on.
 */
#ifndef LB_CONTEXT_H
#define LB_CONTEXT_H

#include "harness/config.h"
#include "results/store.h"

struct cmd_context {
	struct cfg *cfg;              /* NULL without a config */
	const struct cfg_target *t;   /* NULL without a config */
	const char *target;
	const char *db;
	struct store *st;             /* an existing database */
};

enum {
	CMD_NEED_CONFIG = 1, /* the config must be there */
	CMD_ANY_TARGET = 2,  /* no target needed (x->target may stay NULL) */
};

/* Load `config` (or leakbench.ini when it exists, or must), choose the target (--target,
 * else the config's only one), open the database (--db, else the config's, else
 * leakbench.db; it must exist).  Returns 0, or the exit code after printing why. */
int cmd_context_open(struct cmd_context *x, const char *cmd, const char *config, const char *target, const char *db,
		     int flags);
void cmd_context_close(struct cmd_context *x);

/* --metric words (space separated; NULL: none given) as a NULL-terminated list, each a
 * metric leakbench can judge.  Returns 0 (*out NULL when none were given), or -1 after
 * printing why as "leakbench CMD: ...".  Free *out (the words point into `words`). */
int cmd_metrics(const char *cmd, char *words, char ***out);

/* Open an existing database, refusing to create one: NULL after saying why on stderr as
 * "leakbench CMD: ...". */
struct store *cmd_context_store(const char *cmd, const char *path);

/* The database at `path` merged into st (store_merge), after opening it the usual way,
 * which checks it is a leakbench database and upgrades an older one: 0, or -1 after
 * printing why as "leakbench CMD: ...".  What `merge` and `nightly --merge` do per file. */
int cmd_merge_file(const char *cmd, struct store *st, const char *path, struct store_merge_counts *added);

#endif
