/*
 * config.h - leakbench.ini: where results and caches live, the targets (a repository and
 * how to build it), the scenarios to run on them, and per-metric thresholds.
 *
 * Parsed with inih.  Every mistake is reported as FILE:LINE: what was wrong and what was
 * expected (an unknown key is answered with the nearest known one); nothing is half-loaded.
 * Relative paths (database, cache, site, a scenario's file, a repo given as a path) are
 * relative to the config file's folder, and are stored here already resolved.
 */
#ifndef LB_CONFIG_H
#define LB_CONFIG_H

#include <stddef.h>

#include "base/error.h"
#include "results/judge.h"

struct cfg_target {
	char *name;
	int line;          /* of its [target NAME] header */
	char *repo;        /* URL or absolute path */
	char *build;       /* shell command; {src} {out} {jobs} are filled in */
	char *program;     /* relative to {out} */
	char *args;        /* the target's fixed arguments, space separated; may be NULL */
	char *runner;      /* lsp, ghci, exec: what its scenarios are expected to use; may be NULL */
	char *rts;         /* extra RTS flags; may be NULL */
	char **env;        /* KEY=VALUE for the build and the runs, NULL-terminated */
	size_t n_env;
	char *toolchain;   /* what else the binary depends on (e.g. "ghc-9.6.4"); part of the cache key */
	double build_timeout; /* seconds */
	char *baseline;    /* a revision; may be NULL */
	char *branch;      /* what `sweep --new` follows (default HEAD) */
	char *commit_url;  /* the dashboard's link to a commit, with {sha}; may be NULL */
};

struct cfg_scenario {
	char *name;
	int line;
	char *file;        /* absolute */
	char **targets;    /* NULL-terminated; empty: every target */
	size_t n_targets;
	int repeat;
};


/* [notify]: where nightly reports what it newly flags. */
struct cfg_notify {
	char *webhook;     /* a URL; prefer webhook_env, so no token sits in the file */
	char *webhook_env; /* the name of an environment variable holding the URL */
	char *webhook_secret; /* its value, taken out of the environment at load (see cfg_load) */
	int retries;       /* after the first attempt (default 3) */
	char *command;     /* a shell command given each message on its standard input */
};

struct cfg {
	char *path;
	char *database, *cache, *site; /* absolute */
	int bisect;                    /* nightly bisects what it newly flags */
	int publish_database;          /* nightly puts a copy of the database into the site (default yes) */
	char *history_from;            /* where a published database is (a URL, or an absolute path):
					* nightly restores it when the database is missing; NULL: none */
	struct cfg_target *targets;
	size_t n_targets;
	struct cfg_scenario *scenarios;
	size_t n_scenarios;
	struct judge_threshold *thresholds; /* [thresholds] */
	struct cfg_notify notify;
	size_t n_thresholds;
};

/* Load and check `path`.  LB_ENOTFOUND when it does not exist, LB_EINVAL for a mistake in
 * it (FILE:LINE: ...).  The variable [notify] webhook-env names is moved into the config
 * (notify.webhook_secret) and erased from leakbench's environment, so that no child (a
 * build, a measured program, a notify command) inherits it, and /proc/PID/environ no
 * longer shows it. */
int cfg_load(struct cfg **out, const char *path, struct lb_error *err);
void cfg_free(struct cfg *c);

/* By name; NULL (and an error listing the known names) when there is none. */
const struct cfg_target *cfg_target(const struct cfg *c, const char *name, struct lb_error *err);
const struct cfg_scenario *cfg_scenario(const struct cfg *c, const char *name, struct lb_error *err);

/* A scenario named on the command line: a file, else a [scenario NAME] of the config (c may
 * be NULL), parsed into *sc (free with scn_free); *repeat, when 0, takes the config's. */
struct scn_scenario;
int cfg_find_scenario(const char *name, const struct cfg *c, struct scn_scenario **sc, int *repeat,
		      struct lb_error *err);

#endif
