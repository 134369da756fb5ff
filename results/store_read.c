/*
 * store_read.c - reading back what the store holds: run lists and counts, one run whole
 * (its scenario parts, series, census and marks, by id or a unique prefix of it),
 * revisions and builds.
 */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/digest.h"
#include "base/mem.h"
#include "results/store_int.h"


static double col_double_or_nan(sqlite3_stmt *s, int col)
{
	return sqlite3_column_type(s, col) == SQLITE_NULL ? NAN : sqlite3_column_double(s, col);
}

static void fill_run_row(sqlite3_stmt *s, void *p)
{
	struct store_run_row *row = p;
	st_copy_col(row->id, sizeof(row->id), s, 0);
	st_copy_col(row->started, sizeof(row->started), s, 1);
	st_copy_col(row->program, sizeof(row->program), s, 2);
	st_copy_col(row->scenario, sizeof(row->scenario), s, 3);
	st_copy_col(row->status, sizeof(row->status), s, 4);
	row->allocated_bytes = col_double_or_nan(s, 5);
	row->max_live_bytes = col_double_or_nan(s, 6);
	row->wall_seconds = col_double_or_nan(s, 7);
	st_copy_col(row->verdict, sizeof(row->verdict), s, 8);
}

int store_list_runs(struct store *st, enum store_runs_which which, size_t limit, struct store_run_row **rows, size_t *n,
		    struct lb_error *err)
{
	*rows = NULL;
	*n = 0;
	sqlite3_stmt *s;
	if (st_prepare(st,
		    "SELECT r.id, datetime(r.started_at, 'unixepoch', 'localtime'), r.program,"
		    " coalesce(r.scenario, ''), r.status,"
		    " (SELECT value FROM metrics WHERE run_id = r.id AND name = 'allocated_bytes'),"
		    " (SELECT value FROM metrics WHERE run_id = r.id AND name = 'max_live_bytes'),"
		    " r.wall_seconds,"
		    " (SELECT CASE WHEN min(holds) = 0 THEN 'FAIL' WHEN min(holds) < 0 THEN 'INCONCLUSIVE'"
		    "  WHEN count(*) > 0 THEN 'ok' ELSE '' END FROM expectations WHERE run_id = r.id)"
		    " FROM runs r WHERE ?2 = 0 OR r.revision_id IS NULL"
		    " ORDER BY r.started_at DESC, r.id DESC LIMIT ?1",
		    &s, err))
		return err->code;
	sqlite3_bind_int64(s, 1, limit ? (sqlite3_int64)limit : -1);
	sqlite3_bind_int(s, 2, which == STORE_RUNS_AD_HOC);
	return st_collect(st, s, rows, n, sizeof(**rows), fill_run_row, "listing runs", err);
}

int store_count_runs(struct store *st, long *out, struct lb_error *err)
{
	sqlite3_stmt *s;
	if (st_prepare(st, "SELECT count(*) FROM runs", &s, err))
		return err->code;
	int rc = sqlite3_step(s);
	*out = rc == SQLITE_ROW ? (long)sqlite3_column_int64(s, 0) : 0;
	st_finish(st, s);
	return rc == SQLITE_ROW ? 0 : st_db_error(st, err, "counting runs");
}

int store_put_revision(struct store *st, const char *target, const char *repo, const struct store_revision *rv,
		       struct lb_error *err)
{
	sqlite3_stmt *s;
	if (st_exec(st, "BEGIN IMMEDIATE", err))
		return err->code;
	int rc = st_prepare(st, "INSERT INTO targets (name, repo) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET repo = excluded.repo",
			 &s, err);
	if (!rc) {
		st_bind_text(s, 1, target);
		st_bind_text(s, 2, repo);
		rc = st_step_done(st, s, err, "storing the target");
	}
	if (!rc && !(rc = st_prepare(st,
				  "INSERT OR IGNORE INTO revisions (target_id, sha, parents, author, author_time, subject)"
				  " VALUES ((SELECT id FROM targets WHERE name = ?), ?, ?, ?, ?, ?)",
				  &s, err))) {
		st_bind_text(s, 1, target);
		st_bind_text(s, 2, rv->sha);
		st_bind_text(s, 3, rv->parents ? rv->parents : "");
		st_bind_text(s, 4, rv->author);
		sqlite3_bind_double(s, 5, rv->author_time);
		st_bind_text(s, 6, rv->subject);
		rc = st_step_done(st, s, err, "storing the revision");
	}
	if (rc) {
		struct lb_error ignored = {0};
		st_exec(st, "ROLLBACK", &ignored);
		return rc;
	}
	return st_exec(st, "COMMIT", err);
}

int store_put_build(struct store *st, const struct store_build *b, struct lb_error *err)
{
	sqlite3_stmt *s;
	if (st_prepare(st,
		    "INSERT OR IGNORE INTO builds (id, target_id, revision_id, tree_id, toolchain, recipe_hash, status,"
		    " log_path, binary_path, binary_hash, started_at, seconds) VALUES (?1,"
		    " (SELECT id FROM targets WHERE name = ?2),"
		    " (SELECT r.id FROM revisions r JOIN targets t ON t.id = r.target_id WHERE t.name = ?2 AND r.sha = ?3),"
		    " ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
		    &s, err))
		return err->code;
	st_bind_text(s, 1, b->id);
	st_bind_text(s, 2, b->target);
	st_bind_text(s, 3, b->sha);
	st_bind_text(s, 4, b->tree);
	st_bind_text(s, 5, b->toolchain);
	st_bind_text(s, 6, b->recipe_hash);
	st_bind_text(s, 7, b->status);
	st_bind_text(s, 8, b->log_path);
	st_bind_text(s, 9, b->binary_path);
	st_bind_text(s, 10, b->binary_hash);
	sqlite3_bind_double(s, 11, b->started_at);
	sqlite3_bind_double(s, 12, b->seconds);
	return st_step_done(st, s, err, "storing the build");
}

/* The first column of the first row of a query with up to three text parameters. */
int st_query_one(struct store *st, const char *sql, const char *a, const char *b, const char *c, char *out,
		     size_t size, struct lb_error *err)
{
	sqlite3_stmt *s;
	if (st_prepare(st, sql, &s, err))
		return err->code;
	st_bind_text(s, 1, a);
	st_bind_text(s, 2, b);
	st_bind_text(s, 3, c);
	int rc = sqlite3_step(s);
	out[0] = '\0';
	if (rc == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(out, size, "%s", (const char *)sqlite3_column_text(s, 0));
	st_finish(st, s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : st_db_error(st, err, "reading the database");
}

int store_revision_with_binary(struct store *st, const char *target, const char *hash, const char *not_sha,
			       char sha[LB_SHA_HEX + 1], struct lb_error *err)
{
	return st_query_one(st,
			 "SELECT r.sha FROM builds b JOIN revisions r ON r.id = b.revision_id JOIN targets t"
			 " ON t.id = b.target_id WHERE t.name = ?1 AND b.binary_hash = ?2 AND r.sha <> ?3"
			 " AND b.status = 'ok' ORDER BY b.started_at LIMIT 1",
			 target, hash, not_sha, sha, LB_SHA_HEX + 1, err);
}

static char *col_dup(sqlite3_stmt *s, int col, int *oom)
{
	const unsigned char *v = sqlite3_column_text(s, col);
	if (!v)
		return NULL;
	char *d = strdup((const char *)v);
	if (!d)
		*oom = 1;
	return d;
}

/* Resolve an id prefix to exactly one run id. */
static int resolve_id(struct store *st, const char *prefix, char out[LB_RUN_ID_LEN + 1],
		      struct lb_error *err)
{
	size_t len = strlen(prefix);
	if (len == 0 || len > LB_RUN_ID_LEN)
		return lb_error_set(err, LB_EINVAL, "'%s' is not a run id (26 characters, or a prefix)",
				    prefix);
	char up[LB_RUN_ID_LEN + 2];
	for (size_t i = 0; i < len; i++)
		up[i] = (char)(prefix[i] >= 'a' && prefix[i] <= 'z' ? prefix[i] - 32 : prefix[i]);
	up[len] = '\0';
	sqlite3_stmt *s;
	/* substr comparison rather than LIKE/GLOB so that no character of the prefix is special;
	 * the range first, so the primary key finds the few candidates (ids are ULIDs: digits
	 * and capitals, all below '~') instead of a scan of every run */
	if (st_prepare(st, "SELECT id FROM runs WHERE id >= ?2 AND id < ?2 || '~' AND substr(id, 1, ?1) = ?2 LIMIT 2",
		       &s, err))
		return err->code;
	sqlite3_bind_int(s, 1, (int)len);
	sqlite3_bind_text(s, 2, up, -1, SQLITE_TRANSIENT);
	int found = 0, rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (found++ == 0)
			st_copy_col(out, LB_RUN_ID_LEN + 1, s, 0);
	}
	st_finish(st, s);
	if (rc != SQLITE_DONE)
		return st_db_error(st, err, "looking up a run");
	if (found == 0)
		return lb_error_set(err, LB_ENOTFOUND, "%s: no run with id '%s' (see `leakbench runs`)",
				    st->path, prefix);
	if (found > 1)
		return lb_error_set(err, LB_EINVAL, "run id prefix '%s' is ambiguous: give more characters",
				    prefix);
	return 0;
}

/* Steps, step metrics and verdicts of run `id` into `run`. */
static int load_scenario_parts(struct store *st, const char *id, struct lb_run *run, struct lb_error *err)
{
	sqlite3_stmt *s;
	int rc;
	if (st_prepare(st,
		    "SELECT line, iteration, kind, detail, started_at, ended_at, failed, note FROM steps"
		    " WHERE run_id = ? ORDER BY step",
		    &s, err))
		return err->code;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (record_add_step(run, sqlite3_column_int(s, 0), sqlite3_column_int(s, 1),
				    (const char *)sqlite3_column_text(s, 2),
				    (const char *)sqlite3_column_text(s, 3), sqlite3_column_double(s, 4),
				    sqlite3_column_double(s, 5), err) ||
		    (sqlite3_column_int(s, 6) &&
		     record_step_failed(run, run->n_steps - 1, (const char *)sqlite3_column_text(s, 7), err))) {
			st_finish(st, s);
			return err->code;
		}
	}
	st_finish(st, s);
	if (rc != SQLITE_DONE)
		return st_db_error(st, err, "reading steps");
	if (st_prepare(st, "SELECT step, name, value, unit FROM step_metrics WHERE run_id = ? ORDER BY step, name",
		    &s, err))
		return err->code;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (record_add_step_metric(run, sqlite3_column_int(s, 0), (const char *)sqlite3_column_text(s, 1),
					   sqlite3_column_double(s, 2), (const char *)sqlite3_column_text(s, 3),
					   err)) {
			st_finish(st, s);
			return err->code;
		}
	st_finish(st, s);
	if (rc != SQLITE_DONE)
		return st_db_error(st, err, "reading step metrics");
	if (st_prepare(st, "SELECT line, source, holds, coalesce(value, 'nan'), message FROM expectations"
			" WHERE run_id = ? ORDER BY seq",
		    &s, err))
		return err->code;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		double v = sqlite3_column_type(s, 3) == SQLITE_TEXT ? NAN : sqlite3_column_double(s, 3);
		if (record_add_verdict(run, sqlite3_column_int(s, 0), (const char *)sqlite3_column_text(s, 1),
				       sqlite3_column_int(s, 2), v, (const char *)sqlite3_column_text(s, 4), err)) {
			st_finish(st, s);
			return err->code;
		}
	}
	st_finish(st, s);
	if (rc != SQLITE_DONE)
		return st_db_error(st, err, "reading expectations");
	return 0;
}

/* Series, census rows and markers of run `id` into `run`. */
static int load_timeline(struct store *st, const char *id, struct lb_run *run, struct lb_error *err)
{
	sqlite3_stmt *s;
	int rc;
	if (st_prepare(st, "SELECT name, unit, t_seconds, value FROM series WHERE run_id = ? ORDER BY name, seq",
		    &s, err))
		return err->code;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
	struct lb_point *pts = NULL;
	size_t n = 0, cap = 0;
	char name[128] = "", unit[32] = "";
	for (;;) {
		rc = sqlite3_step(s);
		const char *nm = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) : NULL;
		if (n && (!nm || strcmp(nm, name) != 0)) { /* a series ends */
			if (record_add_series(run, name, unit, pts, n, err)) {
				st_finish(st, s);
				return err->code;
			}
			pts = NULL;
			n = cap = 0;
		}
		if (rc != SQLITE_ROW)
			break;
		snprintf(name, sizeof(name), "%s", nm);
		st_copy_col(unit, sizeof(unit), s, 1);
		if (LB_GROW(pts, n + 1, cap, err)) {
			free(pts);
			st_finish(st, s);
			return err->code;
		}
		pts[n++] = (struct lb_point){sqlite3_column_double(s, 2), sqlite3_column_double(s, 3)};
	}
	st_finish(st, s);
	free(pts);
	if (rc != SQLITE_DONE)
		return st_db_error(st, err, "reading series");

	if (st_prepare(st, "SELECT t_seconds, kind, text FROM markers WHERE run_id = ? ORDER BY seq", &s, err))
		return err->code;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct lb_mark *m = realloc(run->marks, (run->n_marks + 1) * sizeof(*m));
		if (!m) {
			st_finish(st, s);
			return lb_error_oom(err);
		}
		run->marks = m;
		int oom = 0;
		m[run->n_marks] = (struct lb_mark){sqlite3_column_double(s, 0),
						   strcmp((const char *)sqlite3_column_text(s, 1), "message") == 0,
						   col_dup(s, 2, &oom)};
		run->n_marks++;
		if (oom) {
			st_finish(st, s);
			return lb_error_oom(err);
		}
	}
	st_finish(st, s);
	if (rc != SQLITE_DONE)
		return st_db_error(st, err, "reading markers");

	/* census: labels are interned again on the way back */
	if (st_prepare(st,
		    "SELECT coalesce(step, -1), sample, t_seconds, label, bytes FROM census"
		    " WHERE run_id = ? ORDER BY sample, rowid",
		    &s, err))
		return err->code;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
	size_t cap_rows = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *label = (const char *)sqlite3_column_text(s, 3);
		size_t li = 0;
		while (li < run->n_census_labels && strcmp(run->census_labels[li], label) != 0)
			li++;
		if (li == run->n_census_labels) {
			char **nl = realloc(run->census_labels, (li + 1) * sizeof(*nl));
			if (!nl || !(nl[li] = strdup(label))) {
				if (nl)
					run->census_labels = nl;
				st_finish(st, s);
				return lb_error_oom(err);
			}
			run->census_labels = nl;
			run->n_census_labels++;
		}
		if (LB_GROW(run->census, run->n_census + 1, cap_rows, err)) {
			st_finish(st, s);
			return err->code;
		}
		run->census[run->n_census++] = (struct lb_census_row){
			sqlite3_column_int(s, 1), sqlite3_column_int(s, 0), sqlite3_column_double(s, 2),
			(uint32_t)li, sqlite3_column_int64(s, 4)};
	}
	st_finish(st, s);
	if (rc != SQLITE_DONE)
		return st_db_error(st, err, "reading the census");
	return load_scenario_parts(st, id, run, err);
}

int store_get_run(struct store *st, const char *id, struct lb_run *run, struct lb_error *err)
{
	memset(run, 0, sizeof(*run));
	char full[LB_RUN_ID_LEN + 1];
	if (resolve_id(st, id, full, err))
		return err->code;
	sqlite3_stmt *s;
	if (st_prepare(st,
		    "SELECT r.id, r.program, r.command, r.rts_flags, r.scenario, r.repeat_index,"
		    " r.status, coalesce(r.exit_code, -1), r.signal, r.reason, r.started_at,"
		    " r.wall_seconds, r.partial, r.artifact_dir,"
		    " e.id, e.host, e.kernel, e.cpu_model, e.cores, e.mem_bytes, e.ghc_version,"
		    " e.rts_way, e.leakbench_version, t.name, v.sha, r.build_id"
		    " FROM runs r JOIN environments e ON e.id = r.environment_id LEFT JOIN targets t ON t.id = r.target_id"
		    " LEFT JOIN revisions v ON v.id = r.revision_id WHERE r.id = ?",
		    &s, err))
		return err->code;
	sqlite3_bind_text(s, 1, full, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) != SQLITE_ROW) {
		st_finish(st, s);
		return st_db_error(st, err, "reading a run");
	}
	int oom = 0;
	st_copy_col(run->id, sizeof(run->id), s, 0);
	run->program = col_dup(s, 1, &oom);
	run->command = col_dup(s, 2, &oom);
	run->rts_flags = col_dup(s, 3, &oom);
	run->scenario = col_dup(s, 4, &oom);
	run->repeat_index = sqlite3_column_int(s, 5);
	const char *status = (const char *)sqlite3_column_text(s, 6);
	if (!status || record_status_parse(status, &run->status))
		run->status = LB_RUN_CRASHED;
	run->exit_code = sqlite3_column_int(s, 7);
	run->signal = sqlite3_column_int(s, 8);
	run->reason = col_dup(s, 9, &oom);
	run->started_at = sqlite3_column_double(s, 10);
	run->wall_seconds = sqlite3_column_double(s, 11);
	run->partial = sqlite3_column_int(s, 12);
	run->artifact_dir = col_dup(s, 13, &oom);
	st_copy_col(run->env.fingerprint, sizeof(run->env.fingerprint), s, 14);
	run->env.host = col_dup(s, 15, &oom);
	run->env.kernel = col_dup(s, 16, &oom);
	run->env.cpu_model = col_dup(s, 17, &oom);
	run->env.cores = sqlite3_column_int(s, 18);
	run->env.mem_bytes = sqlite3_column_int64(s, 19);
	run->env.ghc_version = col_dup(s, 20, &oom);
	run->env.rts_way = col_dup(s, 21, &oom);
	run->env.leakbench_version = col_dup(s, 22, &oom);
	run->target = col_dup(s, 23, &oom);
	run->revision = col_dup(s, 24, &oom);
	run->build_id = col_dup(s, 25, &oom);
	st_finish(st, s);
	if (oom) {
		record_free(run);
		return lb_error_oom(err);
	}

	int rc = 0;
	if (st_prepare(st, "SELECT name, value, unit FROM metrics WHERE run_id = ? ORDER BY name", &s,
		    err)) {
		record_free(run);
		return err->code;
	}
	sqlite3_bind_text(s, 1, full, -1, SQLITE_TRANSIENT);
	while (!rc && (rc = sqlite3_step(s)) == SQLITE_ROW)
		rc = record_append_metric(run, (const char *)sqlite3_column_text(s, 0), /* distinct: the key */
					  sqlite3_column_double(s, 1), (const char *)sqlite3_column_text(s, 2), err);
	st_finish(st, s);
	if (rc != SQLITE_DONE) {
		if (rc > 0)
			st_db_error(st, err, "reading metrics");
		record_free(run);
		return err->code;
	}

	rc = 0;
	if (st_prepare(st,
		    "SELECT kind, path, coalesce(sha256, ''), coalesce(bytes, -1) FROM artifacts"
		    " WHERE run_id = ? ORDER BY kind",
		    &s, err)) {
		record_free(run);
		return err->code;
	}
	sqlite3_bind_text(s, 1, full, -1, SQLITE_TRANSIENT);
	while (!rc && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		rc = record_add_artifact(run, (const char *)sqlite3_column_text(s, 0),
					 (const char *)sqlite3_column_text(s, 1), err);
		if (!rc) {
			struct lb_artifact *a = &run->artifacts[run->n_artifacts - 1];
			st_copy_col(a->sha256, sizeof(a->sha256), s, 2);
			a->bytes = sqlite3_column_int64(s, 3);
		}
	}
	st_finish(st, s);
	if (rc != SQLITE_DONE) {
		if (rc > 0)
			st_db_error(st, err, "reading artifacts");
		record_free(run);
		return err->code;
	}
	if (load_timeline(st, full, run, err)) {
		record_free(run);
		return err->code;
	}
	return 0;
}

int store_count_revision_runs(struct store *st, const char *target, const char *sha, const char *scenario, long *n,
			      struct lb_error *err)
{
	return st_count(st,
			"SELECT count(*) FROM runs u JOIN revisions r ON r.id = u.revision_id JOIN targets t"
			" ON t.id = r.target_id WHERE t.name = ?1 AND r.sha = ?2 AND (?3 IS NULL OR u.scenario = ?3)",
			target, sha, scenario, n, err);
}
