/*
 * history.c - the history that survives: a copy of the results database published with
 * the site (site/leakbench.db, a compact snapshot), and a database that is missing (a CI
 * cache evicted) restored from it (`history-from` in the config) before anything is
 * measured, so one lost cache never costs the nights measured before it.  What `nightly`
 * does every night, and `check` before a pull request's runs.
 */
#include "harness/history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/cli.h"
#include "runners/fetch.h"

int history_restore(const struct cfg *cfg, const char *cmd)
{
	if (!cfg->history_from || access(cfg->database, F_OK) == 0)
		return 0;
	struct lb_error err = {0};
	char *url = NULL;
	if (asprintf(&url, "%s%s", strstr(cfg->history_from, "://") ? "" : "file://", cfg->history_from) < 0)
		return 1;
	printf("== no database at %s: restoring the published history from %s\n", cfg->database, url);
	int rc = fetch_url(url, cfg->database, &err);
	struct store *st = NULL;
	if (!rc && store_open(&st, cfg->database, &err)) { /* a database of this schema, or upgradable */
		rc = err.code;
		lb_error_prefix(&err, "the restored history: ");
		unlink(cfg->database);
	}
	long runs = 0;
	if (!rc)
		store_count_runs(st, &runs, &err);
	store_close(st);
	free(url);
	if (rc == LB_ENOTFOUND) {
		printf("nothing published there yet: a new history begins\n");
		return 0;
	}
	if (rc) {
		cli_error(cmd, &err);
		return 1;
	}
	printf("restored %ld runs\n", runs);
	return 0;
}

int history_publish(const struct cfg *cfg, struct store *st, const char *site, const char *cmd)
{
	if (!cfg->publish_database)
		return 0;
	struct lb_error err = {0};
	char *path = NULL;
	if (asprintf(&path, "%s/leakbench.db", site) < 0)
		return 1;
	int rc = store_snapshot(st, path, &err);
	if (rc)
		cli_error(cmd, &err);
	else
		printf("database published with the site: %s\n", path);
	free(path);
	return rc != 0;
}
