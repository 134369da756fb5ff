/*
 * store_history.c - the store across revisions: merging another database into this one,
 * and what the analysis reads (metric values and histories per revision, census peaks,
 * expectation failures, acceptances, bisections, what was measured when).
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

/* The merge, table by table.  Rows that point at other rows by integer id (targets,
 * revisions) are matched by what identifies them (a name, a target and sha); builds, runs
 * and environments have ids that are the same everywhere (a cache key, a ULID, a
 * fingerprint).  A run's own rows are copied only with the run, so nothing doubles.
 * `SELECT *` is safe for the child tables: both files were made by the same migrations. */
#define MAP_TARGET(col) "(SELECT m.id FROM main.targets m JOIN src.targets s ON s.name = m.name WHERE s.id = " col ")"
#define MAP_REVISION(col)                                                                                   \
	"(SELECT m.id FROM main.revisions m JOIN main.targets mt ON mt.id = m.target_id JOIN src.revisions s" \
	" ON s.sha = m.sha JOIN src.targets st ON st.id = s.target_id AND st.name = mt.name WHERE s.id = " col ")"
enum { COUNT_NONE, COUNT_REVISIONS, COUNT_BUILDS, COUNT_RUNS };
static const struct {
	int count; /* which of store_merge_counts this statement's changes are */
	const char *sql;
} merge_steps[] = {
	{COUNT_NONE, "INSERT INTO main.targets (name, repo, created_at) SELECT name, repo, created_at FROM src.targets"
	" WHERE name NOT IN (SELECT name FROM main.targets)"},
	{COUNT_REVISIONS, "INSERT OR IGNORE INTO main.revisions (target_id, sha, parents, author, author_time, subject)"
	" SELECT " MAP_TARGET("r.target_id") ", r.sha, r.parents, r.author, r.author_time, r.subject"
	" FROM src.revisions r ORDER BY r.id"},
	{COUNT_BUILDS, "INSERT OR IGNORE INTO main.builds (id, target_id, revision_id, tree_id, toolchain, recipe_hash, status,"
	" log_path, binary_path, binary_hash, started_at, seconds) SELECT b.id, " MAP_TARGET("b.target_id") ", "
	MAP_REVISION("b.revision_id") ", b.tree_id, b.toolchain, b.recipe_hash, b.status, b.log_path,"
	" b.binary_path, b.binary_hash, b.started_at, b.seconds FROM src.builds b"},
	{COUNT_NONE, "INSERT OR IGNORE INTO main.environments SELECT * FROM src.environments"},
	{COUNT_NONE, "CREATE TEMP TABLE merge_runs AS SELECT id FROM src.runs WHERE id NOT IN (SELECT id FROM main.runs)"},
	{COUNT_RUNS, "INSERT INTO main.runs (id, target_id, revision_id, build_id, environment_id, scenario, program, command,"
	" rts_flags, repeat_index, status, exit_code, signal, reason, partial, started_at, wall_seconds, artifact_dir)"
	" SELECT u.id, " MAP_TARGET("u.target_id") ", " MAP_REVISION("u.revision_id") ", u.build_id,"
	" u.environment_id, u.scenario, u.program, u.command, u.rts_flags, u.repeat_index, u.status, u.exit_code,"
	" u.signal, u.reason, u.partial, u.started_at, u.wall_seconds, u.artifact_dir"
	" FROM src.runs u WHERE u.id IN (SELECT id FROM temp.merge_runs)"},
	{COUNT_NONE, "INSERT INTO main.metrics SELECT * FROM src.metrics WHERE run_id IN (SELECT id FROM temp.merge_runs)"},
	{COUNT_NONE, "INSERT INTO main.step_metrics SELECT * FROM src.step_metrics WHERE run_id IN (SELECT id FROM temp.merge_runs)"},
	{COUNT_NONE, "INSERT INTO main.census SELECT * FROM src.census WHERE run_id IN (SELECT id FROM temp.merge_runs)"},
	{COUNT_NONE, "INSERT INTO main.artifacts SELECT * FROM src.artifacts WHERE run_id IN (SELECT id FROM temp.merge_runs)"},
	{COUNT_NONE, "INSERT INTO main.series SELECT * FROM src.series WHERE run_id IN (SELECT id FROM temp.merge_runs)"},
	{COUNT_NONE, "INSERT INTO main.markers SELECT * FROM src.markers WHERE run_id IN (SELECT id FROM temp.merge_runs)"},
	{COUNT_NONE, "INSERT INTO main.steps SELECT * FROM src.steps WHERE run_id IN (SELECT id FROM temp.merge_runs)"},
	{COUNT_NONE, "INSERT INTO main.expectations SELECT * FROM src.expectations WHERE run_id IN (SELECT id FROM temp.merge_runs)"},
	{COUNT_NONE, "INSERT INTO main.annotations (target_id, revision_id, metric, kind, reason, created_at)"
	" SELECT " MAP_TARGET("a.target_id") ", " MAP_REVISION("a.revision_id") ", a.metric, a.kind, a.reason,"
	" a.created_at FROM src.annotations a WHERE NOT EXISTS (SELECT 1 FROM main.annotations b WHERE"
	" b.target_id IS " MAP_TARGET("a.target_id") " AND b.revision_id IS " MAP_REVISION("a.revision_id")
	" AND b.metric IS a.metric AND b.kind = a.kind AND b.reason IS a.reason AND b.created_at = a.created_at)"},
	{COUNT_NONE, "INSERT INTO main.bisects (target_id, scenario, criterion, good_sha, bad_sha, result_sha, status,"
		     " builds, runs, log, created_at) SELECT " MAP_TARGET("b.target_id") ", b.scenario, b.criterion,"
		     " b.good_sha, b.bad_sha, b.result_sha, b.status, b.builds, b.runs, b.log, b.created_at FROM src.bisects b"
		     " WHERE NOT EXISTS (SELECT 1 FROM main.bisects m WHERE m.target_id = " MAP_TARGET("b.target_id")
		     " AND m.good_sha = b.good_sha AND m.bad_sha = b.bad_sha AND m.criterion = b.criterion"
		     " AND m.created_at = b.created_at)"},
	{COUNT_NONE, "DROP TABLE temp.merge_runs"},
};
#undef MAP_TARGET
#undef MAP_REVISION

static int first_added(struct store *st, double *first, struct lb_error *err)
{
	sqlite3_stmt *s;
	if (st_prepare(st, "SELECT min(started_at) FROM main.runs WHERE id IN (SELECT id FROM temp.merge_runs)", &s, err))
		return err->code;
	int rc = sqlite3_step(s) == SQLITE_ROW ? 0 : st_db_error(st, err, "reading the runs merged");
	if (!rc)
		*first = sqlite3_column_double(s, 0);
	st_finish(st, s);
	return rc;
}

int store_merge(struct store *st, const char *path, struct store_merge_counts *added, struct lb_error *err)
{
	memset(added, 0, sizeof(*added));
	sqlite3_stmt *s;
	if (st_prepare(st, "ATTACH ?1 AS src", &s, err))
		return err->code;
	st_bind_text(s, 1, path);
	if (st_step_done(st, s, err, "attaching")) {
		lb_error_prefix(err, "%s: ", path);
		return err->code;
	}
	int v = -1, rc = 0;
	if (st_prepare(st, "PRAGMA src.user_version", &s, err) == 0) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int(s, 0);
		st_finish(st, s);
	}
	if (v != STORE_SCHEMA_VERSION) {
		rc = v < 0 ? st_db_error(st, err, "reading the attached schema version")
			   : lb_error_set(err, LB_EINVAL, "%s: schema version %d, expected %d (open it with this leakbench first)",
					  path, v, STORE_SCHEMA_VERSION);
		goto detach;
	}
	if ((rc = st_exec(st, "BEGIN IMMEDIATE", err)))
		goto detach;
	for (size_t i = 0; i < sizeof(merge_steps) / sizeof(*merge_steps) && !rc; i++) {
		rc = st_exec(st, merge_steps[i].sql, err);
		long changed = sqlite3_changes(st->db);
		if (merge_steps[i].count == COUNT_REVISIONS)
			added->revisions = changed;
		else if (merge_steps[i].count == COUNT_BUILDS)
			added->builds = changed;
		else if (merge_steps[i].count == COUNT_RUNS)
			added->runs = changed;
		if (!rc && merge_steps[i].count == COUNT_RUNS && changed) /* what `nightly --merge` calls tonight's */
			rc = first_added(st, &added->first_run, err);
	}
	if (rc) {
		lb_error_prefix(err, "merging %s: ", path);
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_exec(st->db, "DROP TABLE IF EXISTS temp.merge_runs", NULL, NULL, NULL);
	} else
		rc = st_exec(st, "COMMIT", err);
detach:
	sqlite3_exec(st->db, "DETACH src", NULL, NULL, NULL);
	return rc;
}

/* --- what the analysis reads --------------------------------------------------------- */

/* Rows of (text, number) from a query with up to four text parameters. */
static void fill_value(sqlite3_stmt *s, void *p)
{
	struct store_value *v = p;
	st_copy_col(v->key, sizeof(v->key), s, 0);
	v->value = sqlite3_column_double(s, 1);
}

static int query_values(struct store *st, const char *sql, const char *const p[4], struct store_value **rows,
			size_t *n, struct lb_error *err)
{
	*rows = NULL;
	*n = 0;
	sqlite3_stmt *s;
	if (st_prepare(st, sql, &s, err))
		return err->code;
	for (int i = 0; i < 4; i++)
		st_bind_text(s, i + 1, p[i]);
	return st_collect(st, s, rows, n, sizeof(**rows), fill_value, "reading the database", err);
}

#define RUNS_OF "FROM runs u JOIN revisions r ON r.id = u.revision_id JOIN targets t ON t.id = r.target_id"

int store_find_revision(struct store *st, const char *target, const char *prefix, char sha[LB_SHA_HEX + 1], struct lb_error *err)
{
	struct store_value *rows;
	size_t n;
	char like[64];
	snprintf(like, sizeof(like), "%.40s%%", prefix);
	const char *p[4] = {target, like, NULL, NULL};
	int rc = query_values(st,
			      "SELECT r.sha, 0 FROM revisions r JOIN targets t ON t.id = r.target_id"
			      " WHERE t.name = ?1 AND r.sha LIKE lower(?2) LIMIT 2",
			      p, &rows, &n, err);
	if (rc)
		return rc;
	if (n == 1)
		snprintf(sha, LB_SHA_HEX + 1, "%.*s", LB_SHA_HEX, rows[0].key);
	free(rows);
	if (n == 0)
		return lb_error_set(err, LB_ENOTFOUND, "no stored revision of %s begins with '%s'", target, prefix);
	if (n > 1)
		return lb_error_set(err, LB_EINVAL, "'%s' names more than one stored revision of %s: give more of the sha",
				    prefix, target);
	return 0;
}

int store_metric_values(struct store *st, const char *target, const char *sha, const char *scenario,
			const char *metric, double **v, size_t *n, struct lb_error *err)
{
	struct store_value *rows;
	const char *p[4] = {target, sha, scenario, metric};
	int rc = query_values(st,
			      "SELECT u.id, m.value " RUNS_OF " JOIN metrics m ON m.run_id = u.id WHERE t.name = ?1"
			      " AND r.sha = ?2 AND u.scenario = ?3 AND m.name = ?4 AND u.status = 'ok' ORDER BY u.started_at",
			      p, &rows, n, err);
	*v = NULL;
	if (rc)
		return rc;
	*v = malloc((*n ? *n : 1) * sizeof(**v));
	if (!*v) {
		free(rows);
		return lb_error_oom(err);
	}
	for (size_t i = 0; i < *n; i++)
		(*v)[i] = rows[i].value;
	free(rows);
	return 0;
}

/* A copy of rows[0..n), malloc'ed (one more, so nothing is malloc(0)). */
static struct store_value *copy_values(const struct store_value *rows, size_t n)
{
	struct store_value *v = malloc((n + 1) * sizeof(*v));
	if (v && n)
		memcpy(v, rows, n * sizeof(*v));
	return v;
}

int store_metric_history(struct store *st, const char *target, const char *scenario, const char *metric,
			 struct store_value **rows, size_t *n, struct lb_error *err)
{
	const char *p[4] = {target, scenario, metric, NULL};
	char *key = NULL;
	if (st->reading && asprintf(&key, "%s\n%s\n%s", target, scenario, metric) < 0)
		key = NULL;
	for (size_t i = 0; key && i < ST_MEMO; i++)
		if (st->memo[i].key && !strcmp(st->memo[i].key, key)) {
			free(key);
			*n = st->memo[i].n;
			return (*rows = copy_values(st->memo[i].rows, *n)) ? 0 : lb_error_oom(err);
		}
	int rc = query_values(st,
			      "SELECT r.sha, m.value " RUNS_OF " JOIN metrics m ON m.run_id = u.id WHERE t.name = ?1"
			      " AND u.scenario = ?2 AND m.name = ?3 AND u.status = 'ok' ORDER BY r.author_time, r.id",
			      p, rows, n, err);
	struct store_value *kept = !rc && key ? copy_values(*rows, *n) : NULL;
	if (kept) {
		struct st_memo *m = &st->memo[st->memo_next++ % ST_MEMO];
		free(m->key), free(m->rows);
		*m = (struct st_memo){key, kept, *n};
		key = NULL;
	}
	free(key);
	return rc;
}

int store_shape_metrics(struct store *st, const char *target, const char *scenario, struct store_value **rows,
			size_t *n, struct lb_error *err)
{
	const char *p[4] = {target, scenario, NULL, NULL};
	return query_values(st,
			    "SELECT s.name, 0 FROM shape_metrics s JOIN targets t ON t.id = s.target_id WHERE t.name = ?1"
			    " AND s.scenario = ?2 ORDER BY s.name",
			    p, rows, n, err);
}

int store_census_peaks(struct store *st, const char *target, const char *sha, const char *scenario,
		       struct store_value **rows, size_t *n, struct lb_error *err)
{
	const char *p[4] = {target, sha, scenario, NULL};
	return query_values(st,
			    "SELECT c.label, max(c.bytes) " RUNS_OF " JOIN census c ON c.run_id = u.id WHERE t.name = ?1"
			    " AND r.sha = ?2 AND u.scenario = ?3 AND u.status = 'ok' GROUP BY u.id, c.label",
			    p, rows, n, err);
}

int store_common_scenario(struct store *st, const char *target, const char *sha, const char *other, char *out,
			  size_t size, struct lb_error *err)
{
	return st_query_one(st,
			 "SELECT u.scenario " RUNS_OF " WHERE t.name = ?1 AND r.sha = ?2 AND u.scenario IN"
			 " (SELECT u2.scenario FROM runs u2 JOIN revisions r2 ON r2.id = u2.revision_id"
			 " WHERE r2.target_id = t.id AND r2.sha = ?3) ORDER BY u.started_at DESC LIMIT 1",
			 target, sha, other, out, size, err);
}

int store_expectation_failures(struct store *st, const char *target, const char *sha, const char *scenario,
			       long *failing, long *total, struct lb_error *err)
{
	struct store_value *rows;
	size_t n;
	const char *p[4] = {target, sha, scenario, NULL};
	int rc = query_values(st,
			      "SELECT u.id, EXISTS (SELECT 1 FROM expectations e WHERE e.run_id = u.id AND e.holds = 0)"
			      " OR EXISTS (SELECT 1 FROM metrics m WHERE m.run_id = u.id AND m.name = 'leak_suspected'"
			      " AND m.value > 0) "
			      RUNS_OF " WHERE t.name = ?1 AND r.sha = ?2 AND u.scenario = ?3",
			      p, &rows, &n, err);
	*failing = *total = 0;
	for (size_t i = 0; !rc && i < n; i++)
		*failing += rows[i].value != 0;
	if (!rc)
		*total = (long)n;
	free(rows);
	return rc;
}

/* A run that could not be judged: an expectation inconclusive, or no leak verdict. */
#define UNJUDGED                                                                                  \
	" AND (EXISTS (SELECT 1 FROM expectations e WHERE e.run_id = u.id AND e.holds = -1)"     \
	" OR EXISTS (SELECT 1 FROM metrics m WHERE m.run_id = u.id AND m.name = 'leak_inconclusive'" \
	" AND m.value > 0))"

int store_expectation_unknowns(struct store *st, const char *target, const char *sha, const char *scenario,
			       long *unknown, struct lb_error *err)
{
	return st_count(st, "SELECT count(*) " RUNS_OF " WHERE t.name = ?1 AND r.sha = ?2 AND u.scenario = ?3" UNJUDGED,
			target, sha, scenario, unknown, err);
}

int store_unjudged_runs(struct store *st, const char *target, const char *scenario, struct store_value **rows,
			size_t *n, struct lb_error *err)
{
	const char *p[4] = {target, scenario, NULL, NULL};
	return query_values(st,
			    "SELECT u.id, u.started_at " RUNS_OF " WHERE t.name = ?1 AND u.scenario = ?2" UNJUDGED
			    " ORDER BY u.started_at",
			    p, rows, n, err);
}

int store_put_bisect(struct store *st, const struct store_bisect *b, struct lb_error *err)
{
	sqlite3_stmt *s;
	if (st_prepare(st,
		    "INSERT INTO bisects (target_id, scenario, criterion, good_sha, bad_sha, result_sha, status, builds,"
		    " runs, log) VALUES ((SELECT id FROM targets WHERE name = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
		    &s, err))
		return err->code;
	st_bind_text(s, 1, b->target);
	st_bind_text(s, 2, b->scenario);
	st_bind_text(s, 3, b->criterion);
	st_bind_text(s, 4, b->good);
	st_bind_text(s, 5, b->bad);
	st_bind_text(s, 6, b->result);
	st_bind_text(s, 7, b->result ? "found" : "inconclusive");
	sqlite3_bind_int64(s, 8, b->builds);
	sqlite3_bind_int64(s, 9, b->runs);
	st_bind_text(s, 10, b->log ? b->log : "");
	return st_step_done(st, s, err, "storing the bisection");
}

int store_put_acceptance(struct store *st, const char *target, const char *sha, const char *metric,
			 const char *reason, struct lb_error *err)
{
	sqlite3_stmt *s;
	if (st_prepare(st,
		    "INSERT INTO annotations (target_id, revision_id, metric, kind, reason)"
		    " SELECT t.id, r.id, ?3, 'accept', ?4 FROM revisions r JOIN targets t ON t.id = r.target_id"
		    " WHERE t.name = ?1 AND r.sha = ?2 AND NOT EXISTS (SELECT 1 FROM annotations a WHERE"
		    " a.revision_id = r.id AND a.metric = ?3 AND a.kind = 'accept' AND a.reason IS ?4)",
		    &s, err))
		return err->code;
	st_bind_text(s, 1, target);
	st_bind_text(s, 2, sha);
	st_bind_text(s, 3, metric);
	st_bind_text(s, 4, reason);
	return st_step_done(st, s, err, "storing the acceptance");
}

int store_accepted(struct store *st, const char *target, const char *sha, const char *metric, int *yes,
		   struct lb_error *err)
{
	long n;
	int rc = st_count(st,
			  "SELECT count(*) FROM annotations a JOIN revisions r ON r.id = a.revision_id JOIN targets t"
			  " ON t.id = r.target_id WHERE t.name = ?1 AND r.sha = ?2 AND a.metric = ?3 AND a.kind = 'accept'",
			  target, sha, metric, &n, err);
	*yes = n > 0;
	return rc;
}

int store_accepted_revisions(struct store *st, const char *target, const char *metric, struct store_value **rows,
			     size_t *n, struct lb_error *err)
{
	const char *p[4] = {target, metric, NULL, NULL};
	return query_values(st,
			    "SELECT DISTINCT r.sha, 1 FROM annotations a JOIN revisions r ON r.id = a.revision_id JOIN targets t"
			    " ON t.id = r.target_id WHERE t.name = ?1 AND a.metric = ?2 AND a.kind = 'accept'",
			    p, rows, n, err);
}

int store_value_has(const struct store_value *rows, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(rows[i].key, key))
			return 1;
	return 0;
}

/* The binary hash every run of revision REV in scenario SCN ran, when they all ran one (of a
 * build that worked), else NULL. */
#define RUNS_BINARY(REV, SCN)                                                                                   \
	"(SELECT CASE WHEN count(DISTINCT b.binary_hash) = 1 AND count(b.binary_hash) = count(*)"               \
	" THEN max(b.binary_hash) END FROM runs u LEFT JOIN builds b ON b.id = u.build_id AND b.status = 'ok'" \
	" WHERE u.revision_id = " REV " AND u.scenario = " SCN ")"

static void fill_revision_row(sqlite3_stmt *s, void *p)
{
	struct store_revision_row *r = p;
	st_copy_col(r->sha, sizeof(r->sha), s, 0);
	st_copy_col(r->subject, sizeof(r->subject), s, 1);
	r->author_time = sqlite3_column_double(s, 2);
	st_copy_col(r->binary, sizeof(r->binary), s, 3);
}

int store_measured_revisions(struct store *st, const char *target, const char *scenario,
			     struct store_revision_row **rows, size_t *n, struct lb_error *err)
{
	*rows = NULL;
	*n = 0;
	sqlite3_stmt *s;
	if (st_prepare(st,
		    "SELECT r.sha, r.subject, r.author_time, " RUNS_BINARY("r.id", "?2") " FROM revisions r JOIN targets t ON t.id = r.target_id"
		    " WHERE t.name = ?1 AND EXISTS (SELECT 1 FROM runs u WHERE u.revision_id = r.id AND u.scenario = ?2)"
		    " ORDER BY r.author_time, r.id",
		    &s, err))
		return err->code;
	st_bind_text(s, 1, target);
	st_bind_text(s, 2, scenario);
	return st_collect(st, s, rows, n, sizeof(**rows), fill_revision_row, "reading revisions", err);
}

int store_revision_binary(struct store *st, const char *target, const char *sha, const char *scenario,
			  char out[LB_DIGEST_HEX + 1], struct lb_error *err)
{
	return st_query_one(st,
			    "SELECT " RUNS_BINARY("r.id", "?3") " FROM revisions r JOIN targets t ON t.id = r.target_id"
			    " WHERE t.name = ?1 AND r.sha = ?2",
			    target, sha, scenario, out, LB_DIGEST_HEX + 1, err);
}

int store_measured_before(struct store *st, const char *target, const char *scenario, const char *sha,
			  char out[LB_SHA_HEX + 1], struct lb_error *err)
{
	struct store_revision_row *revs;
	size_t n;
	out[0] = '\0';
	int rc = store_measured_revisions(st, target, scenario, &revs, &n, err);
	for (size_t i = 1; !rc && i < n; i++)
		if (!strcmp(revs[i].sha, sha))
			memcpy(out, revs[i - 1].sha, LB_SHA_HEX + 1);
	free(revs);
	return rc;
}

int store_scenarios_of(struct store *st, const char *target, struct store_value **rows, size_t *n,
		       struct lb_error *err)
{
	const char *p[4] = {target, NULL, NULL, NULL};
	return query_values(st, "SELECT DISTINCT u.scenario, 0 " RUNS_OF " WHERE t.name = ?1 AND u.scenario IS NOT NULL"
				" ORDER BY u.scenario",
			    p, rows, n, err);
}

int store_targets(struct store *st, struct store_value **rows, size_t *n, struct lb_error *err)
{
	const char *p[4] = {NULL, NULL, NULL, NULL};
	return query_values(st, "SELECT t.name, 0 FROM targets t WHERE EXISTS (SELECT 1 FROM runs u WHERE u.target_id = t.id)"
				" ORDER BY t.name",
			    p, rows, n, err);
}

int store_runs_of_revision(struct store *st, const char *target, const char *sha, const char *scenario,
			   struct store_value **rows, size_t *n, struct lb_error *err)
{
	const char *p[4] = {target, sha, scenario, NULL};
	return query_values(st, "SELECT u.id, u.started_at " RUNS_OF " WHERE t.name = ?1 AND r.sha = ?2 AND u.scenario = ?3"
				" ORDER BY u.started_at",
			    p, rows, n, err);
}

static void fill_bisect_row(sqlite3_stmt *s, void *p)
{
	struct store_bisect_row *r = p;
	char *const text[] = {r->target, r->scenario, r->criterion, r->good, r->bad, r->result};
	const size_t size[] = {sizeof(r->target), sizeof(r->scenario), sizeof(r->criterion),
			       sizeof(r->good),	  sizeof(r->bad),      sizeof(r->result)};
	for (int c = 0; c < 6; c++)
		st_copy_col(text[c], size[c], s, c);
	r->builds = (long)sqlite3_column_int64(s, 6);
	r->runs = (long)sqlite3_column_int64(s, 7);
	r->created_at = sqlite3_column_double(s, 8);
}

int store_list_bisects(struct store *st, struct store_bisect_row **rows, size_t *n, struct lb_error *err)
{
	*rows = NULL;
	*n = 0;
	sqlite3_stmt *s;
	if (st_prepare(st,
		    "SELECT t.name, b.scenario, b.criterion, b.good_sha, b.bad_sha, coalesce(b.result_sha, ''), b.builds,"
		    " b.runs, b.created_at FROM bisects b JOIN targets t ON t.id = b.target_id ORDER BY b.created_at DESC",
		    &s, err))
		return err->code;
	return st_collect(st, s, rows, n, sizeof(**rows), fill_bisect_row, "reading bisections", err);
}

int store_revisions_measured_since(struct store *st, const char *target, double since, struct store_value **rows,
				   size_t *n, struct lb_error *err)
{
	char at[64];
	snprintf(at, sizeof(at), "%.17g", since); /* exactly: "%.6f" rounded a run's own start past it */
	const char *p[4] = {target, at, NULL, NULL};
	return query_values(st, "SELECT DISTINCT r.sha, 0 " RUNS_OF " WHERE t.name = ?1 AND u.started_at >= CAST(?2 AS REAL)",
			    p, rows, n, err);
}

int store_census_history(struct store *st, const char *target, const char *scenario, const char *program,
			 struct store_census_history *out, struct lb_error *err)
{
	sqlite3_stmt *s;
	if (st_prepare(st,
		       "SELECT (SELECT value FROM metrics WHERE run_id = u.id AND name = 'rts.mut_cpu_seconds'),"
		       " (SELECT value FROM metrics WHERE run_id = u.id AND name = 'rts.gen_1_cpu_seconds'),"
		       " coalesce((SELECT value FROM metrics WHERE run_id = u.id AND name = 'major_gcs'),"
		       "  (SELECT value FROM metrics WHERE run_id = u.id AND name = 'rts.gen_1_collections')),"
		       " u.rts_flags FROM runs u LEFT JOIN targets t ON t.id = u.target_id WHERE u.status = 'ok'"
		       " AND (?1 IS NULL OR t.name = ?1) AND (?1 IS NOT NULL OR u.program = ?3)"
		       " AND coalesce(u.scenario, '') = coalesce(?2, '')"
		       " AND EXISTS (SELECT 1 FROM metrics WHERE run_id = u.id AND name = 'rts.gen_1_cpu_seconds')"
		       " ORDER BY u.started_at DESC LIMIT 1",
		       &s, err))
		return err->code;
	st_bind_text(s, 1, target);
	st_bind_text(s, 2, scenario);
	st_bind_text(s, 3, program);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->mutator_seconds = sqlite3_column_double(s, 0);
		out->major_gc_seconds = sqlite3_column_double(s, 1);
		out->major_gcs = sqlite3_column_double(s, 2);
		const char *f = (const char *)sqlite3_column_text(s, 3), *i = f ? strstr(f, " -i") : NULL;
		out->interval = i ? strtod(i + 3, NULL) : 0;
	}
	st_finish(st, s);
	if (rc == SQLITE_DONE)
		return lb_error_set(err, LB_ENOTFOUND, "no earlier run to learn the census interval from");
	return rc == SQLITE_ROW ? 0 : st_db_error(st, err, "reading the census history");
}
