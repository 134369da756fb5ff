/*
 * store.c - the SQLite results store: schema, migrations, writing and reading runs.
 *
 * Design choices:
 *  - Migrations are an array of SQL scripts; script i takes user_version i to i+1.  They run
 *    inside one IMMEDIATE transaction that re-reads user_version, so two processes opening
 *    a fresh database at once migrate it exactly once.
 *  - Every write transaction is BEGIN IMMEDIATE: in WAL mode a deferred transaction that
 *    later wants to write fails with SQLITE_BUSY without waiting; IMMEDIATE takes the write
 *    lock up front, where the busy timeout applies, so concurrent writers queue instead of
 *    failing.
 *  - Ids: runs use ULIDs (record.h) and environments their fingerprint, so rows from
 *    different machines never collide and a merge can copy them by id.
 */
#include "base/mem.h"
#include "results/store.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/digest.h"

#define BUSY_TIMEOUT_MS 60000

struct store {
	sqlite3 *db;
	char *path;
};

/* Schema version 1.  Units live beside every value; times are unix seconds (REAL). */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE targets ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  repo TEXT,"
	"  created_at REAL NOT NULL DEFAULT ((julianday('now') - 2440587.5) * 86400.0));"
	"CREATE TABLE revisions ("
	"  id INTEGER PRIMARY KEY,"
	"  target_id INTEGER NOT NULL REFERENCES targets(id),"
	"  sha TEXT NOT NULL,"
	"  parents TEXT NOT NULL DEFAULT '',"
	"  author TEXT,"
	"  author_time REAL,"
	"  subject TEXT,"
	"  UNIQUE (target_id, sha));"
	"CREATE TABLE builds ("
	"  id TEXT PRIMARY KEY,"
	"  target_id INTEGER NOT NULL REFERENCES targets(id),"
	"  revision_id INTEGER REFERENCES revisions(id),"
	"  tree_id TEXT,"
	"  toolchain TEXT,"
	"  recipe_hash TEXT,"
	"  status TEXT NOT NULL CHECK (status IN ('ok','failed','timeout')),"
	"  log_path TEXT,"
	"  binary_path TEXT,"
	"  binary_hash TEXT,"
	"  started_at REAL,"
	"  seconds REAL);"
	"CREATE TABLE environments ("
	"  id TEXT PRIMARY KEY," /* the fingerprint */
	"  host TEXT, kernel TEXT, cpu_model TEXT, cores INTEGER, mem_bytes INTEGER,"
	"  ghc_version TEXT, rts_way TEXT, leakbench_version TEXT,"
	"  first_seen REAL NOT NULL DEFAULT ((julianday('now') - 2440587.5) * 86400.0));"
	"CREATE TABLE runs ("
	"  id TEXT PRIMARY KEY,"
	"  target_id INTEGER REFERENCES targets(id),"
	"  revision_id INTEGER REFERENCES revisions(id),"
	"  build_id TEXT REFERENCES builds(id),"
	"  environment_id TEXT NOT NULL REFERENCES environments(id),"
	"  scenario TEXT,"
	"  program TEXT NOT NULL,"
	"  command TEXT NOT NULL,"
	"  rts_flags TEXT NOT NULL DEFAULT '',"
	"  repeat_index INTEGER NOT NULL DEFAULT 0,"
	"  status TEXT NOT NULL CHECK (status IN ('ok','crashed','timeout')),"
	"  exit_code INTEGER,"
	"  signal INTEGER,"
	"  reason TEXT,"
	"  partial INTEGER NOT NULL DEFAULT 0,"
	"  started_at REAL NOT NULL,"
	"  wall_seconds REAL,"
	"  artifact_dir TEXT);"
	"CREATE INDEX runs_started ON runs(started_at);"
	"CREATE TABLE metrics ("
	"  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  value REAL NOT NULL,"
	"  unit TEXT NOT NULL DEFAULT '',"
	"  PRIMARY KEY (run_id, name)) WITHOUT ROWID;"
	"CREATE TABLE step_metrics ("
	"  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  step INTEGER NOT NULL,"
	"  step_name TEXT,"
	"  name TEXT NOT NULL,"
	"  value REAL NOT NULL,"
	"  unit TEXT NOT NULL DEFAULT '',"
	"  PRIMARY KEY (run_id, step, name)) WITHOUT ROWID;"
	"CREATE TABLE census ("
	"  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  step INTEGER,"
	"  sample INTEGER NOT NULL,"
	"  t_seconds REAL,"
	"  label TEXT NOT NULL,"
	"  bytes INTEGER NOT NULL);"
	"CREATE INDEX census_run ON census(run_id, sample);"
	"CREATE TABLE artifacts ("
	"  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL,"
	"  path TEXT NOT NULL,"
	"  sha256 TEXT,"
	"  bytes INTEGER,"
	"  PRIMARY KEY (run_id, kind)) WITHOUT ROWID;"
	"CREATE TABLE annotations ("
	"  id INTEGER PRIMARY KEY,"
	"  target_id INTEGER REFERENCES targets(id),"
	"  revision_id INTEGER REFERENCES revisions(id),"
	"  metric TEXT,"
	"  kind TEXT NOT NULL,"
	"  reason TEXT,"
	"  created_at REAL NOT NULL DEFAULT ((julianday('now') - 2440587.5) * 86400.0));",
	/* 1 -> 2: what the eventlog says over time, kept with each run */
	"CREATE TABLE series ("
	"  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  t_seconds REAL NOT NULL,"
	"  value REAL NOT NULL,"
	"  unit TEXT NOT NULL DEFAULT '',"
	"  PRIMARY KEY (run_id, name, seq)) WITHOUT ROWID;"
	"CREATE TABLE markers ("
	"  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  seq INTEGER NOT NULL,"
	"  t_seconds REAL NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN ('marker','message')),"
	"  text TEXT NOT NULL,"
	"  PRIMARY KEY (run_id, seq)) WITHOUT ROWID;",
	/* 2 -> 3: a scenario's steps as carried out, and its expectations' verdicts */
	"CREATE TABLE steps ("
	"  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  step INTEGER NOT NULL,"
	"  line INTEGER,"
	"  iteration INTEGER NOT NULL DEFAULT 0,"
	"  kind TEXT NOT NULL,"
	"  detail TEXT NOT NULL DEFAULT '',"
	"  started_at REAL,"
	"  ended_at REAL,"
	"  failed INTEGER NOT NULL DEFAULT 0,"
	"  note TEXT,"
	"  PRIMARY KEY (run_id, step)) WITHOUT ROWID;"
	"CREATE TABLE expectations ("
	"  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  seq INTEGER NOT NULL,"
	"  line INTEGER,"
	"  source TEXT NOT NULL,"
	"  holds INTEGER NOT NULL,"
	"  value REAL,"
	"  message TEXT NOT NULL,"
	"  PRIMARY KEY (run_id, seq)) WITHOUT ROWID;",
	/* 3 -> 4: bisections, kept so the next one (and the dashboard) can see them */
	"CREATE TABLE bisects ("
	"  id INTEGER PRIMARY KEY,"
	"  target_id INTEGER NOT NULL REFERENCES targets(id),"
	"  scenario TEXT NOT NULL,"
	"  criterion TEXT NOT NULL," /* a metric, or 'expectations' */
	"  good_sha TEXT NOT NULL,"
	"  bad_sha TEXT NOT NULL,"
	"  result_sha TEXT," /* the first bad commit; NULL when the search could not tell */
	"  status TEXT NOT NULL CHECK (status IN ('found','inconclusive')),"
	"  builds INTEGER NOT NULL,"
	"  runs INTEGER NOT NULL,"
	"  log TEXT NOT NULL DEFAULT ''," /* a line per revision tested: sha and what it was */
	"  created_at REAL NOT NULL DEFAULT ((julianday('now') - 2440587.5) * 86400.0));",
};

#define N_MIGRATIONS (sizeof(migrations) / sizeof(*migrations))
_Static_assert(N_MIGRATIONS == STORE_SCHEMA_VERSION, "one migration per schema version");

static int db_error(struct store *st, struct lb_error *err, const char *what)
{
	return lb_error_set(err, LB_ESTORE, "%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
}

static int exec_sql(struct store *st, const char *sql, struct lb_error *err)
{
	char *msg = NULL;
	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		lb_error_set(err, LB_ESTORE, "%s: %s", st->path, msg ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return LB_ESTORE;
	}
	return 0;
}

static int user_version(struct store *st, int *out, struct lb_error *err)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return db_error(st, err, "reading the schema version");
	int rc = sqlite3_step(s);
	*out = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return db_error(st, err, "reading the schema version");
	return 0;
}

static int migrate(struct store *st, struct lb_error *err)
{
	int v;
	if (user_version(st, &v, err))
		return err->code;
	if (v == (int)N_MIGRATIONS)
		return 0;
	if (v > (int)N_MIGRATIONS)
		return lb_error_set(err, LB_ESTORE,
				    "%s: schema version %d is newer than this leakbench knows (%d); "
				    "use a newer leakbench",
				    st->path, v, (int)N_MIGRATIONS);
	if (exec_sql(st, "BEGIN IMMEDIATE", err))
		return err->code;
	if (user_version(st, &v, err)) /* another process may have migrated meanwhile */
		goto fail;
	for (; v < (int)N_MIGRATIONS; v++) {
		if (exec_sql(st, migrations[v], err)) {
			lb_error_prefix(err, "migrating schema %d to %d: ", v, v + 1);
			goto fail;
		}
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		if (exec_sql(st, pragma, err))
			goto fail;
	}
	return exec_sql(st, "COMMIT", err);
fail:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return err->code;
}

int store_open(struct store **out, const char *path, struct lb_error *err)
{
	*out = NULL;
	struct store *st = calloc(1, sizeof(*st));
	if (!st || !(st->path = strdup(path))) {
		free(st);
		return lb_error_oom(err);
	}
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		int rc = lb_error_set(err, LB_ESTORE, "%s: cannot open database: %s", path,
				      st->db ? sqlite3_errmsg(st->db) : "out of memory");
		store_close(st);
		return rc;
	}
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(st->db, 1);
	/* journal_mode answers with a row; exec ignores it.  A file that is not a database
	 * fails here with "file is not a database". */
	if (exec_sql(st, "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;"
			 "PRAGMA synchronous = NORMAL;",
		     err) ||
	    migrate(st, err)) {
		int rc = err->code;
		store_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

/* Bind helpers: NULL strings bind as SQL NULL. */
static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

/* Run one prepared statement to completion and finalize it. */
static int step_done(struct store *st, sqlite3_stmt *s, struct lb_error *err, const char *what)
{
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_error(st, err, what);
	return 0;
}

static int prepare(struct store *st, const char *sql, sqlite3_stmt **s, struct lb_error *err)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, s, NULL) != SQLITE_OK)
		return db_error(st, err, "preparing a statement");
	return 0;
}

static int put_environment(struct store *st, const struct lb_environment *e,
			   struct lb_error *err)
{
	sqlite3_stmt *s;
	if (prepare(st,
		    "INSERT OR IGNORE INTO environments (id, host, kernel, cpu_model, cores,"
		    " mem_bytes, ghc_version, rts_way, leakbench_version)"
		    " VALUES (?,?,?,?,?,?,?,?,?)",
		    &s, err))
		return err->code;
	bind_text(s, 1, e->fingerprint);
	bind_text(s, 2, e->host);
	bind_text(s, 3, e->kernel);
	bind_text(s, 4, e->cpu_model);
	sqlite3_bind_int(s, 5, e->cores);
	sqlite3_bind_int64(s, 6, e->mem_bytes);
	bind_text(s, 7, e->ghc_version);
	bind_text(s, 8, e->rts_way);
	bind_text(s, 9, e->leakbench_version);
	return step_done(st, s, err, "storing the environment");
}

static int put_run_row(struct store *st, const struct lb_run *r, struct lb_error *err)
{
	sqlite3_stmt *s;
	if (prepare(st,
		    "INSERT INTO runs (id, environment_id, scenario, program, command, rts_flags,"
		    " repeat_index, status, exit_code, signal, reason, partial, started_at,"
		    " wall_seconds, artifact_dir, target_id, revision_id, build_id)"
		    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
		    " (SELECT id FROM targets WHERE name = ?16),"
		    " (SELECT r.id FROM revisions r JOIN targets t ON t.id = r.target_id"
		    "  WHERE t.name = ?16 AND r.sha = ?17), ?18)",
		    &s, err))
		return err->code;
	bind_text(s, 1, r->id);
	bind_text(s, 2, r->env.fingerprint);
	bind_text(s, 3, r->scenario);
	bind_text(s, 4, r->program ? r->program : "");
	bind_text(s, 5, r->command ? r->command : "[]");
	bind_text(s, 6, r->rts_flags ? r->rts_flags : "");
	sqlite3_bind_int(s, 7, r->repeat_index);
	bind_text(s, 8, record_status_name(r->status));
	if (r->exit_code >= 0)
		sqlite3_bind_int(s, 9, r->exit_code);
	else
		sqlite3_bind_null(s, 9);
	sqlite3_bind_int(s, 10, r->signal);
	bind_text(s, 11, r->reason);
	sqlite3_bind_int(s, 12, r->partial);
	sqlite3_bind_double(s, 13, r->started_at);
	sqlite3_bind_double(s, 14, r->wall_seconds);
	bind_text(s, 15, r->artifact_dir);
	bind_text(s, 16, r->target);
	bind_text(s, 17, r->revision);
	bind_text(s, 18, r->build_id);
	return step_done(st, s, err, "storing the run");
}

/* Run one prepared INSERT per item; `bind` fills the statement for item i. */
static int insert_each(struct store *st, const char *sql, const struct lb_run *r, size_t n,
		       void (*bind)(sqlite3_stmt *, const struct lb_run *, size_t, size_t),
		       size_t arg, struct lb_error *err, const char *what)
{
	if (n == 0)
		return 0;
	sqlite3_stmt *s;
	if (prepare(st, sql, &s, err))
		return err->code;
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(s);
		bind(s, r, i, arg);
		if (sqlite3_step(s) != SQLITE_DONE) {
			sqlite3_finalize(s);
			return db_error(st, err, what);
		}
	}
	sqlite3_finalize(s);
	return 0;
}

static void bind_point(sqlite3_stmt *s, const struct lb_run *r, size_t i, size_t k)
{
	const struct lb_series *se = &r->series[k];
	bind_text(s, 1, r->id);
	bind_text(s, 2, se->name);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)i);
	sqlite3_bind_double(s, 4, se->p[i].t);
	sqlite3_bind_double(s, 5, se->p[i].v);
	bind_text(s, 6, se->unit);
}

static void bind_census(sqlite3_stmt *s, const struct lb_run *r, size_t i, size_t unused)
{
	(void)unused;
	const struct lb_census_row *c = &r->census[i];
	bind_text(s, 1, r->id);
	if (c->step >= 0)
		sqlite3_bind_int(s, 2, c->step);
	else
		sqlite3_bind_null(s, 2);
	sqlite3_bind_int(s, 3, c->sample);
	sqlite3_bind_double(s, 4, c->t);
	bind_text(s, 5, c->label < r->n_census_labels ? r->census_labels[c->label] : "?");
	sqlite3_bind_int64(s, 6, c->bytes);
}

static void bind_mark(sqlite3_stmt *s, const struct lb_run *r, size_t i, size_t unused)
{
	(void)unused;
	bind_text(s, 1, r->id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)i);
	sqlite3_bind_double(s, 3, r->marks[i].t);
	bind_text(s, 4, r->marks[i].is_message ? "message" : "marker");
	bind_text(s, 5, r->marks[i].text);
}

static void bind_metric(sqlite3_stmt *s, const struct lb_run *r, size_t i, size_t unused)
{
	(void)unused;
	bind_text(s, 1, r->id);
	bind_text(s, 2, r->metrics[i].name);
	sqlite3_bind_double(s, 3, r->metrics[i].value);
	bind_text(s, 4, r->metrics[i].unit);
}

static void bind_artifact(sqlite3_stmt *s, const struct lb_run *r, size_t i, size_t unused)
{
	(void)unused;
	const struct lb_artifact *a = &r->artifacts[i];
	bind_text(s, 1, r->id);
	bind_text(s, 2, a->kind);
	bind_text(s, 3, a->path);
	bind_text(s, 4, a->sha256[0] ? a->sha256 : NULL);
	sqlite3_bind_int64(s, 5, a->bytes);
}

static void bind_step(sqlite3_stmt *s, const struct lb_run *r, size_t i, size_t unused)
{
	(void)unused;
	const struct lb_step *st = &r->steps[i];
	bind_text(s, 1, r->id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)i);
	sqlite3_bind_int(s, 3, st->line);
	sqlite3_bind_int(s, 4, st->iteration);
	bind_text(s, 5, st->kind);
	bind_text(s, 6, st->detail);
	sqlite3_bind_double(s, 7, st->start);
	sqlite3_bind_double(s, 8, st->end);
	sqlite3_bind_int(s, 9, st->failed);
	bind_text(s, 10, st->note);
}

static void bind_step_metric(sqlite3_stmt *s, const struct lb_run *r, size_t i, size_t unused)
{
	(void)unused;
	const struct lb_step_metric *m = &r->step_metrics[i];
	bind_text(s, 1, r->id);
	sqlite3_bind_int(s, 2, m->step);
	bind_text(s, 3, m->step >= 0 && (size_t)m->step < r->n_steps ? r->steps[m->step].kind : NULL);
	bind_text(s, 4, m->name);
	sqlite3_bind_double(s, 5, m->value);
	bind_text(s, 6, m->unit);
}

static void bind_verdict(sqlite3_stmt *s, const struct lb_run *r, size_t i, size_t unused)
{
	(void)unused;
	const struct lb_verdict *v = &r->verdicts[i];
	bind_text(s, 1, r->id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)i);
	sqlite3_bind_int(s, 3, v->line);
	bind_text(s, 4, v->source);
	sqlite3_bind_int(s, 5, v->holds);
	if (isnan(v->value))
		sqlite3_bind_null(s, 6);
	else
		sqlite3_bind_double(s, 6, v->value);
	bind_text(s, 7, v->message);
}

/* Everything of a run but its row: steps, step metrics, verdicts, metrics, artifacts,
 * series, census, markers. */
static int put_children(struct store *st, const struct lb_run *r, struct lb_error *err)
{
	if (insert_each(st,
			"INSERT INTO steps (run_id, step, line, iteration, kind, detail, started_at,"
			" ended_at, failed, note) VALUES (?,?,?,?,?,?,?,?,?,?)",
			r, r->n_steps, bind_step, 0, err, "storing steps") ||
	    insert_each(st,
			"INSERT OR REPLACE INTO step_metrics (run_id, step, step_name, name, value, unit)"
			" VALUES (?,?,?,?,?,?)",
			r, r->n_step_metrics, bind_step_metric, 0, err, "storing step metrics") ||
	    insert_each(st,
			"INSERT INTO expectations (run_id, seq, line, source, holds, value, message)"
			" VALUES (?,?,?,?,?,?,?)",
			r, r->n_verdicts, bind_verdict, 0, err, "storing expectations"))
		return err->code;
	for (size_t k = 0; k < r->n_series; k++)
		if (insert_each(st,
				"INSERT INTO series (run_id, name, seq, t_seconds, value, unit)"
				" VALUES (?,?,?,?,?,?)",
				r, r->series[k].n, bind_point, k, err, "storing a series"))
			return err->code;
	if (insert_each(st, "INSERT INTO metrics (run_id, name, value, unit) VALUES (?,?,?,?)", r,
			r->n_metrics, bind_metric, 0, err, "storing a metric") ||
	    insert_each(st,
			"INSERT OR REPLACE INTO artifacts (run_id, kind, path, sha256, bytes)"
			" VALUES (?,?,?,?,?)",
			r, r->n_artifacts, bind_artifact, 0, err, "storing an artifact") ||
	    insert_each(st,
			"INSERT INTO census (run_id, step, sample, t_seconds, label, bytes)"
			" VALUES (?,?,?,?,?,?)",
			r, r->n_census, bind_census, 0, err, "storing the census") ||
	    insert_each(st, "INSERT INTO markers (run_id, seq, t_seconds, kind, text) VALUES (?,?,?,?,?)",
			r, r->n_marks, bind_mark, 0, err, "storing markers"))
		return err->code;
	return 0;
}

int store_put_run(struct store *st, struct lb_run *run, struct lb_error *err)
{
	if (!run->env.fingerprint[0])
		return lb_error_set(err, LB_EINVAL, "run %s has no environment fingerprint", run->id);
	/* Hash artifacts before taking the write lock: large eventlogs take a while, and other
	 * writers should not wait for it. */
	for (size_t i = 0; i < run->n_artifacts; i++) {
		struct lb_artifact *a = &run->artifacts[i];
		struct lb_error ignored;
		if (digest_file(a->path, a->sha256, &a->bytes, &ignored)) {
			a->sha256[0] = '\0';
			a->bytes = -1;
		}
	}
	if (exec_sql(st, "BEGIN IMMEDIATE", err))
		return lb_error_prefix(err, "storing run %s: ", run->id);
	if (put_environment(st, &run->env, err) || put_run_row(st, run, err) ||
	    put_children(st, run, err) || exec_sql(st, "COMMIT", err)) {
		int rc = err->code;
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		lb_error_prefix(err, "storing run %s (nothing was stored): ", run->id);
		return rc;
	}
	return 0;
}

static void copy_col(char *dst, size_t size, sqlite3_stmt *s, int col)
{
	const unsigned char *v = sqlite3_column_text(s, col);
	snprintf(dst, size, "%s", v ? (const char *)v : "");
}

static double col_double_or_nan(sqlite3_stmt *s, int col)
{
	return sqlite3_column_type(s, col) == SQLITE_NULL ? NAN : sqlite3_column_double(s, col);
}

int store_list_runs(struct store *st, size_t limit, struct store_run_row **rows, size_t *n,
		    struct lb_error *err)
{
	*rows = NULL;
	*n = 0;
	sqlite3_stmt *s;
	if (prepare(st,
		    "SELECT r.id, datetime(r.started_at, 'unixepoch', 'localtime'), r.program,"
		    " coalesce(r.scenario, ''), r.status,"
		    " (SELECT value FROM metrics WHERE run_id = r.id AND name = 'allocated_bytes'),"
		    " (SELECT value FROM metrics WHERE run_id = r.id AND name = 'max_live_bytes'),"
		    " r.wall_seconds"
		    " FROM runs r ORDER BY r.started_at DESC, r.id DESC LIMIT ?",
		    &s, err))
		return err->code;
	sqlite3_bind_int64(s, 1, limit ? (sqlite3_int64)limit : -1);
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (LB_GROW(*rows, *n + 1, cap, err)) {
			sqlite3_finalize(s);
			free(*rows);
			*rows = NULL;
			*n = 0;
			return err->code;
		}
		struct store_run_row *row = &(*rows)[(*n)++];
		copy_col(row->id, sizeof(row->id), s, 0);
		copy_col(row->started, sizeof(row->started), s, 1);
		copy_col(row->program, sizeof(row->program), s, 2);
		copy_col(row->scenario, sizeof(row->scenario), s, 3);
		copy_col(row->status, sizeof(row->status), s, 4);
		row->allocated_bytes = col_double_or_nan(s, 5);
		row->max_live_bytes = col_double_or_nan(s, 6);
		row->wall_seconds = col_double_or_nan(s, 7);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		free(*rows);
		*rows = NULL;
		*n = 0;
		return db_error(st, err, "listing runs");
	}
	return 0;
}

int store_count_runs(struct store *st, long *out, struct lb_error *err)
{
	sqlite3_stmt *s;
	if (prepare(st, "SELECT count(*) FROM runs", &s, err))
		return err->code;
	int rc = sqlite3_step(s);
	*out = rc == SQLITE_ROW ? (long)sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : db_error(st, err, "counting runs");
}

int store_put_revision(struct store *st, const char *target, const char *repo, const struct store_revision *rv,
		       struct lb_error *err)
{
	sqlite3_stmt *s;
	if (exec_sql(st, "BEGIN IMMEDIATE", err))
		return err->code;
	int rc = prepare(st, "INSERT INTO targets (name, repo) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET repo = excluded.repo",
			 &s, err);
	if (!rc) {
		bind_text(s, 1, target);
		bind_text(s, 2, repo);
		rc = step_done(st, s, err, "storing the target");
	}
	if (!rc && !(rc = prepare(st,
				  "INSERT OR IGNORE INTO revisions (target_id, sha, parents, author, author_time, subject)"
				  " VALUES ((SELECT id FROM targets WHERE name = ?), ?, ?, ?, ?, ?)",
				  &s, err))) {
		bind_text(s, 1, target);
		bind_text(s, 2, rv->sha);
		bind_text(s, 3, rv->parents ? rv->parents : "");
		bind_text(s, 4, rv->author);
		sqlite3_bind_double(s, 5, rv->author_time);
		bind_text(s, 6, rv->subject);
		rc = step_done(st, s, err, "storing the revision");
	}
	if (rc) {
		struct lb_error ignored = {0};
		exec_sql(st, "ROLLBACK", &ignored);
		return rc;
	}
	return exec_sql(st, "COMMIT", err);
}

int store_put_build(struct store *st, const struct store_build *b, struct lb_error *err)
{
	sqlite3_stmt *s;
	if (prepare(st,
		    "INSERT OR IGNORE INTO builds (id, target_id, revision_id, tree_id, toolchain, recipe_hash, status,"
		    " log_path, binary_path, binary_hash, started_at, seconds) VALUES (?1,"
		    " (SELECT id FROM targets WHERE name = ?2),"
		    " (SELECT r.id FROM revisions r JOIN targets t ON t.id = r.target_id WHERE t.name = ?2 AND r.sha = ?3),"
		    " ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
		    &s, err))
		return err->code;
	bind_text(s, 1, b->id);
	bind_text(s, 2, b->target);
	bind_text(s, 3, b->sha);
	bind_text(s, 4, b->tree);
	bind_text(s, 5, b->toolchain);
	bind_text(s, 6, b->recipe_hash);
	bind_text(s, 7, b->status);
	bind_text(s, 8, b->log_path);
	bind_text(s, 9, b->binary_path);
	bind_text(s, 10, b->binary_hash);
	sqlite3_bind_double(s, 11, b->started_at);
	sqlite3_bind_double(s, 12, b->seconds);
	return step_done(st, s, err, "storing the build");
}

/* The first column of the first row of a query with up to three text parameters. */
static int query_one(struct store *st, const char *sql, const char *a, const char *b, const char *c, char *out,
		     size_t size, struct lb_error *err)
{
	sqlite3_stmt *s;
	if (prepare(st, sql, &s, err))
		return err->code;
	bind_text(s, 1, a);
	bind_text(s, 2, b);
	bind_text(s, 3, c);
	int rc = sqlite3_step(s);
	out[0] = '\0';
	if (rc == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(out, size, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(st, err, "reading the database");
}

int store_revision_with_binary(struct store *st, const char *target, const char *hash, const char *not_sha,
			       char sha[LB_SHA_HEX + 1], struct lb_error *err)
{
	return query_one(st,
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
	/* substr comparison rather than LIKE/GLOB so that no character of the prefix is special */
	if (prepare(st, "SELECT id FROM runs WHERE substr(id, 1, ?1) = ?2 LIMIT 2", &s, err))
		return err->code;
	sqlite3_bind_int(s, 1, (int)len);
	sqlite3_bind_text(s, 2, up, -1, SQLITE_TRANSIENT);
	int found = 0, rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (found++ == 0)
			copy_col(out, LB_RUN_ID_LEN + 1, s, 0);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_error(st, err, "looking up a run");
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
	if (prepare(st,
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
			sqlite3_finalize(s);
			return err->code;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_error(st, err, "reading steps");
	if (prepare(st, "SELECT step, name, value, unit FROM step_metrics WHERE run_id = ? ORDER BY step, name",
		    &s, err))
		return err->code;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (record_add_step_metric(run, sqlite3_column_int(s, 0), (const char *)sqlite3_column_text(s, 1),
					   sqlite3_column_double(s, 2), (const char *)sqlite3_column_text(s, 3),
					   err)) {
			sqlite3_finalize(s);
			return err->code;
		}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_error(st, err, "reading step metrics");
	if (prepare(st, "SELECT line, source, holds, coalesce(value, 'nan'), message FROM expectations"
			" WHERE run_id = ? ORDER BY seq",
		    &s, err))
		return err->code;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		double v = sqlite3_column_type(s, 3) == SQLITE_TEXT ? NAN : sqlite3_column_double(s, 3);
		if (record_add_verdict(run, sqlite3_column_int(s, 0), (const char *)sqlite3_column_text(s, 1),
				       sqlite3_column_int(s, 2), v, (const char *)sqlite3_column_text(s, 4), err)) {
			sqlite3_finalize(s);
			return err->code;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_error(st, err, "reading expectations");
	return 0;
}

/* Series, census rows and markers of run `id` into `run`. */
static int load_timeline(struct store *st, const char *id, struct lb_run *run, struct lb_error *err)
{
	sqlite3_stmt *s;
	int rc;
	if (prepare(st, "SELECT name, unit, t_seconds, value FROM series WHERE run_id = ? ORDER BY name, seq",
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
				sqlite3_finalize(s);
				return err->code;
			}
			pts = NULL;
			n = cap = 0;
		}
		if (rc != SQLITE_ROW)
			break;
		snprintf(name, sizeof(name), "%s", nm);
		copy_col(unit, sizeof(unit), s, 1);
		if (LB_GROW(pts, n + 1, cap, err)) {
			free(pts);
			sqlite3_finalize(s);
			return err->code;
		}
		pts[n++] = (struct lb_point){sqlite3_column_double(s, 2), sqlite3_column_double(s, 3)};
	}
	sqlite3_finalize(s);
	free(pts);
	if (rc != SQLITE_DONE)
		return db_error(st, err, "reading series");

	if (prepare(st, "SELECT t_seconds, kind, text FROM markers WHERE run_id = ? ORDER BY seq", &s, err))
		return err->code;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct lb_mark *m = realloc(run->marks, (run->n_marks + 1) * sizeof(*m));
		if (!m) {
			sqlite3_finalize(s);
			return lb_error_oom(err);
		}
		run->marks = m;
		int oom = 0;
		m[run->n_marks] = (struct lb_mark){sqlite3_column_double(s, 0),
						   strcmp((const char *)sqlite3_column_text(s, 1), "message") == 0,
						   col_dup(s, 2, &oom)};
		run->n_marks++;
		if (oom) {
			sqlite3_finalize(s);
			return lb_error_oom(err);
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_error(st, err, "reading markers");

	/* census: labels are interned again on the way back */
	if (prepare(st,
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
				sqlite3_finalize(s);
				return lb_error_oom(err);
			}
			run->census_labels = nl;
			run->n_census_labels++;
		}
		if (LB_GROW(run->census, run->n_census + 1, cap_rows, err)) {
			sqlite3_finalize(s);
			return err->code;
		}
		run->census[run->n_census++] = (struct lb_census_row){
			sqlite3_column_int(s, 1), sqlite3_column_int(s, 0), sqlite3_column_double(s, 2),
			(uint32_t)li, sqlite3_column_int64(s, 4)};
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_error(st, err, "reading the census");
	return load_scenario_parts(st, id, run, err);
}

int store_get_run(struct store *st, const char *id, struct lb_run *run, struct lb_error *err)
{
	memset(run, 0, sizeof(*run));
	char full[LB_RUN_ID_LEN + 1];
	if (resolve_id(st, id, full, err))
		return err->code;
	sqlite3_stmt *s;
	if (prepare(st,
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
		sqlite3_finalize(s);
		return db_error(st, err, "reading a run");
	}
	int oom = 0;
	copy_col(run->id, sizeof(run->id), s, 0);
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
	copy_col(run->env.fingerprint, sizeof(run->env.fingerprint), s, 14);
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
	sqlite3_finalize(s);
	if (oom) {
		record_free(run);
		return lb_error_oom(err);
	}

	int rc = 0;
	if (prepare(st, "SELECT name, value, unit FROM metrics WHERE run_id = ? ORDER BY name", &s,
		    err)) {
		record_free(run);
		return err->code;
	}
	sqlite3_bind_text(s, 1, full, -1, SQLITE_TRANSIENT);
	while (!rc && (rc = sqlite3_step(s)) == SQLITE_ROW)
		rc = record_add_metric(run, (const char *)sqlite3_column_text(s, 0),
				       sqlite3_column_double(s, 1),
				       (const char *)sqlite3_column_text(s, 2), err);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		if (rc > 0)
			db_error(st, err, "reading metrics");
		record_free(run);
		return err->code;
	}

	rc = 0;
	if (prepare(st,
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
			copy_col(a->sha256, sizeof(a->sha256), s, 2);
			a->bytes = sqlite3_column_int64(s, 3);
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		if (rc > 0)
			db_error(st, err, "reading artifacts");
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
	char v[32];
	int rc = query_one(st,
			   "SELECT count(*) FROM runs u JOIN revisions r ON r.id = u.revision_id JOIN targets t"
			   " ON t.id = r.target_id WHERE t.name = ?1 AND r.sha = ?2 AND (?3 IS NULL OR u.scenario = ?3)",
			   target, sha, scenario, v, sizeof(v), err);
	*n = rc ? 0 : strtol(v, NULL, 10);
	return rc;
}

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

int store_merge(struct store *st, const char *path, struct store_merge_counts *added, struct lb_error *err)
{
	memset(added, 0, sizeof(*added));
	sqlite3_stmt *s;
	if (prepare(st, "ATTACH ?1 AS src", &s, err))
		return err->code;
	bind_text(s, 1, path);
	if (step_done(st, s, err, "attaching")) {
		lb_error_prefix(err, "%s: ", path);
		return err->code;
	}
	int v = -1, rc = 0;
	if (prepare(st, "PRAGMA src.user_version", &s, err) == 0) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	if (v != STORE_SCHEMA_VERSION) {
		rc = v < 0 ? db_error(st, err, "reading the attached schema version")
			   : lb_error_set(err, LB_EINVAL, "%s: schema version %d, expected %d (open it with this leakbench first)",
					  path, v, STORE_SCHEMA_VERSION);
		goto detach;
	}
	if ((rc = exec_sql(st, "BEGIN IMMEDIATE", err)))
		goto detach;
	for (size_t i = 0; i < sizeof(merge_steps) / sizeof(*merge_steps) && !rc; i++) {
		rc = exec_sql(st, merge_steps[i].sql, err);
		long changed = sqlite3_changes(st->db);
		if (merge_steps[i].count == COUNT_REVISIONS)
			added->revisions = changed;
		else if (merge_steps[i].count == COUNT_BUILDS)
			added->builds = changed;
		else if (merge_steps[i].count == COUNT_RUNS)
			added->runs = changed;
	}
	if (rc) {
		lb_error_prefix(err, "merging %s: ", path);
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_exec(st->db, "DROP TABLE IF EXISTS temp.merge_runs", NULL, NULL, NULL);
	} else
		rc = exec_sql(st, "COMMIT", err);
detach:
	sqlite3_exec(st->db, "DETACH src", NULL, NULL, NULL);
	return rc;
}

/* --- what the analysis reads --------------------------------------------------------- */

/* Rows of (text, number) from a query with up to four text parameters. */
static int query_values(struct store *st, const char *sql, const char *const p[4], struct store_value **rows,
			size_t *n, struct lb_error *err)
{
	*rows = NULL;
	*n = 0;
	sqlite3_stmt *s;
	if (prepare(st, sql, &s, err))
		return err->code;
	for (int i = 0; i < 4; i++)
		bind_text(s, i + 1, p[i]);
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (LB_GROW(*rows, *n + 1, cap, err)) {
			sqlite3_finalize(s);
			free(*rows);
			*rows = NULL;
			*n = 0;
			return err->code;
		}
		const unsigned char *k = sqlite3_column_text(s, 0);
		snprintf((*rows)[*n].key, sizeof((*rows)[*n].key), "%s", k ? (const char *)k : "");
		(*rows)[(*n)++].value = sqlite3_column_double(s, 1);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		free(*rows);
		*rows = NULL;
		*n = 0;
		return db_error(st, err, "reading the database");
	}
	return 0;
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

int store_metric_history(struct store *st, const char *target, const char *scenario, const char *metric,
			 struct store_value **rows, size_t *n, struct lb_error *err)
{
	const char *p[4] = {target, scenario, metric, NULL};
	return query_values(st,
			    "SELECT r.sha, m.value " RUNS_OF " JOIN metrics m ON m.run_id = u.id WHERE t.name = ?1"
			    " AND u.scenario = ?2 AND m.name = ?3 AND u.status = 'ok' ORDER BY r.author_time, r.id",
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
	return query_one(st,
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

int store_put_bisect(struct store *st, const struct store_bisect *b, struct lb_error *err)
{
	sqlite3_stmt *s;
	if (prepare(st,
		    "INSERT INTO bisects (target_id, scenario, criterion, good_sha, bad_sha, result_sha, status, builds,"
		    " runs, log) VALUES ((SELECT id FROM targets WHERE name = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
		    &s, err))
		return err->code;
	bind_text(s, 1, b->target);
	bind_text(s, 2, b->scenario);
	bind_text(s, 3, b->criterion);
	bind_text(s, 4, b->good);
	bind_text(s, 5, b->bad);
	bind_text(s, 6, b->result);
	bind_text(s, 7, b->result ? "found" : "inconclusive");
	sqlite3_bind_int64(s, 8, b->builds);
	sqlite3_bind_int64(s, 9, b->runs);
	bind_text(s, 10, b->log ? b->log : "");
	return step_done(st, s, err, "storing the bisection");
}

int store_put_acceptance(struct store *st, const char *target, const char *sha, const char *metric,
			 const char *reason, struct lb_error *err)
{
	sqlite3_stmt *s;
	if (prepare(st,
		    "INSERT INTO annotations (target_id, revision_id, metric, kind, reason)"
		    " SELECT t.id, r.id, ?3, 'accept', ?4 FROM revisions r JOIN targets t ON t.id = r.target_id"
		    " WHERE t.name = ?1 AND r.sha = ?2 AND NOT EXISTS (SELECT 1 FROM annotations a WHERE"
		    " a.revision_id = r.id AND a.metric = ?3 AND a.kind = 'accept' AND a.reason IS ?4)",
		    &s, err))
		return err->code;
	bind_text(s, 1, target);
	bind_text(s, 2, sha);
	bind_text(s, 3, metric);
	bind_text(s, 4, reason);
	return step_done(st, s, err, "storing the acceptance");
}

int store_accepted(struct store *st, const char *target, const char *sha, const char *metric, int *yes,
		   struct lb_error *err)
{
	char v[16];
	int rc = query_one(st,
			   "SELECT count(*) FROM annotations a JOIN revisions r ON r.id = a.revision_id JOIN targets t"
			   " ON t.id = r.target_id WHERE t.name = ?1 AND r.sha = ?2 AND a.metric = ?3 AND a.kind = 'accept'",
			   target, sha, metric, v, sizeof(v), err);
	*yes = !rc && strtol(v, NULL, 10) > 0;
	return rc;
}

int store_measured_revisions(struct store *st, const char *target, const char *scenario,
			     struct store_revision_row **rows, size_t *n, struct lb_error *err)
{
	*rows = NULL;
	*n = 0;
	sqlite3_stmt *s;
	if (prepare(st,
		    "SELECT r.sha, r.subject, r.author_time FROM revisions r JOIN targets t ON t.id = r.target_id"
		    " WHERE t.name = ?1 AND EXISTS (SELECT 1 FROM runs u WHERE u.revision_id = r.id AND u.scenario = ?2)"
		    " ORDER BY r.author_time, r.id",
		    &s, err))
		return err->code;
	bind_text(s, 1, target);
	bind_text(s, 2, scenario);
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (LB_GROW(*rows, *n + 1, cap, NULL)) {
			rc = SQLITE_NOMEM;
			break;
		}
		struct store_revision_row *r = &(*rows)[(*n)++];
		const unsigned char *sha = sqlite3_column_text(s, 0), *subj = sqlite3_column_text(s, 1);
		snprintf(r->sha, sizeof(r->sha), "%s", sha ? (const char *)sha : "");
		snprintf(r->subject, sizeof(r->subject), "%s", subj ? (const char *)subj : "");
		r->author_time = sqlite3_column_double(s, 2);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		free(*rows);
		*rows = NULL;
		*n = 0;
		return rc == SQLITE_NOMEM ? lb_error_oom(err) : db_error(st, err, "reading revisions");
	}
	return 0;
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

int store_list_bisects(struct store *st, struct store_bisect_row **rows, size_t *n, struct lb_error *err)
{
	*rows = NULL;
	*n = 0;
	sqlite3_stmt *s;
	if (prepare(st,
		    "SELECT t.name, b.scenario, b.criterion, b.good_sha, b.bad_sha, coalesce(b.result_sha, ''), b.builds,"
		    " b.runs, b.created_at FROM bisects b JOIN targets t ON t.id = b.target_id ORDER BY b.created_at DESC",
		    &s, err))
		return err->code;
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (LB_GROW(*rows, *n + 1, cap, NULL)) {
			rc = SQLITE_NOMEM;
			break;
		}
		struct store_bisect_row *r = &(*rows)[(*n)++];
		char *const text[] = {r->target, r->scenario, r->criterion, r->good, r->bad, r->result};
		const size_t size[] = {sizeof(r->target), sizeof(r->scenario), sizeof(r->criterion), LB_SHA_HEX + 1, LB_SHA_HEX + 1, LB_SHA_HEX + 1};
		for (int c = 0; c < 6; c++) {
			const unsigned char *v = sqlite3_column_text(s, c);
			snprintf(text[c], size[c], "%s", v ? (const char *)v : "");
		}
		r->builds = (long)sqlite3_column_int64(s, 6);
		r->runs = (long)sqlite3_column_int64(s, 7);
		r->created_at = sqlite3_column_double(s, 8);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		free(*rows);
		*rows = NULL;
		*n = 0;
		return rc == SQLITE_NOMEM ? lb_error_oom(err) : db_error(st, err, "reading bisections");
	}
	return 0;
}

int store_revisions_measured_since(struct store *st, const char *target, double since, struct store_value **rows,
				   size_t *n, struct lb_error *err)
{
	char at[64];
	snprintf(at, sizeof(at), "%.6f", since);
	const char *p[4] = {target, at, NULL, NULL};
	return query_values(st, "SELECT DISTINCT r.sha, 0 " RUNS_OF " WHERE t.name = ?1 AND u.started_at >= CAST(?2 AS REAL)",
			    p, rows, n, err);
}
