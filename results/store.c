/*
 * store.c - the SQLite results store: schema, migrations, opening, writing a run (reading
 * is store_read.c, merging and the analysis's queries store_history.c).
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
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/digest.h"
#include "base/file.h"
#include "results/store_int.h"

#define BUSY_TIMEOUT_MS 60000


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
	/* 4 -> 5: what reading a long history needs.  Every question the analysis asks is "the
	 * runs of this revision (and scenario)" or "the acceptances of this revision", which
	 * without these indexes scanned every run or annotation: a dashboard of 5,000
	 * revisions was quadratic. */
	"CREATE INDEX IF NOT EXISTS runs_revision ON runs(revision_id, scenario);"
	"CREATE INDEX IF NOT EXISTS runs_target_scenario ON runs(target_id, scenario);"
	"CREATE INDEX IF NOT EXISTS annotations_revision ON annotations(revision_id, metric);"
	"CREATE INDEX IF NOT EXISTS revisions_time ON revisions(target_id, author_time);"
	/* the leak shapes (exponent:, slope:, peak:) each target and scenario has stored, kept
	 * by a trigger as runs are stored or merged: finding them among every run's metrics was
	 * a scan of the whole table, twice per scenario of a dashboard */
	"CREATE TABLE IF NOT EXISTS shape_metrics ("
	"  target_id INTEGER NOT NULL," /* 0: runs of no target */
	"  scenario TEXT,"
	"  name TEXT NOT NULL,"
	"  UNIQUE (target_id, scenario, name));"
	"CREATE TRIGGER IF NOT EXISTS shape_metrics_kept AFTER INSERT ON metrics"
	" WHEN (new.name GLOB 'exponent:*' OR new.name GLOB 'slope:*' OR new.name GLOB 'peak:*')"
	" AND new.name NOT GLOB '*_lo' AND new.name NOT GLOB '*_hi'"
	" BEGIN INSERT OR IGNORE INTO shape_metrics (target_id, scenario, name)"
	" SELECT coalesce(target_id, 0), scenario, new.name FROM runs WHERE id = new.run_id; END;"
	"INSERT OR IGNORE INTO shape_metrics (target_id, scenario, name) SELECT DISTINCT coalesce(u.target_id, 0), u.scenario, m.name"
	" FROM metrics m JOIN runs u ON u.id = m.run_id WHERE (m.name GLOB 'exponent:*' OR m.name GLOB 'slope:*'"
	" OR m.name GLOB 'peak:*') AND m.name NOT GLOB '*_lo' AND m.name NOT GLOB '*_hi';",
};

#define N_MIGRATIONS (sizeof(migrations) / sizeof(*migrations))
_Static_assert(N_MIGRATIONS == STORE_SCHEMA_VERSION, "one migration per schema version");

int st_db_error(struct store *st, struct lb_error *err, const char *what)
{
	return lb_error_set(err, LB_ESTORE, "%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
}

int st_exec(struct store *st, const char *sql, struct lb_error *err)
{
	char *msg = NULL;
	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		lb_error_set(err, LB_ESTORE, "%s: %s", st->path, msg ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return LB_ESTORE;
	}
	return 0;
}

int st_user_version(struct store *st, int *out, struct lb_error *err)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return st_db_error(st, err, "reading the schema version");
	int rc = sqlite3_step(s);
	*out = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	st_finish(st, s);
	if (rc != SQLITE_ROW)
		return st_db_error(st, err, "reading the schema version");
	return 0;
}

static int migrate(struct store *st, struct lb_error *err)
{
	int v;
	if (st_user_version(st, &v, err))
		return err->code;
	if (v == (int)N_MIGRATIONS)
		return 0;
	if (v > (int)N_MIGRATIONS)
		return lb_error_set(err, LB_ESTORE,
				    "%s: schema version %d is newer than this leakbench knows (%d); "
				    "use a newer leakbench",
				    st->path, v, (int)N_MIGRATIONS);
	if (st_exec(st, "BEGIN IMMEDIATE", err))
		return err->code;
	if (st_user_version(st, &v, err)) /* another process may have migrated meanwhile */
		goto fail;
	for (; v < (int)N_MIGRATIONS; v++) {
		if (st_exec(st, migrations[v], err)) {
			lb_error_prefix(err, "migrating schema %d to %d: ", v, v + 1);
			goto fail;
		}
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		if (st_exec(st, pragma, err))
			goto fail;
	}
	return st_exec(st, "COMMIT", err);
fail:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return err->code;
}

/* WAL mode, then the migrations.  Two processes opening a fresh database at once can meet
 * each other's locks where SQLite answers SQLITE_BUSY at once instead of waiting (a wait
 * could deadlock: both hold a shared lock and want to write), so a busy answer here is
 * tried again, after a short random pause, until the busy timeout.  journal_mode answers
 * with a row; exec ignores it.  A file that is not a database fails here with "file is
 * not a database". */
static int set_up(struct store *st, struct lb_error *err)
{
	unsigned jitter = (unsigned)getpid(); /* two processes must not pause in step */
	for (double waited = 0;;) {
		int rc = st_exec(st, "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA mmap_size = 268435456;",
				 err);
		if (!rc)
			rc = migrate(st, err);
		if (!rc || (sqlite3_errcode(st->db) & 0xff) != SQLITE_BUSY || waited * 1000 >= BUSY_TIMEOUT_MS)
			return rc;
		jitter = jitter * 1103515245u + 12345u;
		double pause = 0.005 + (double)((jitter >> 16) % 20) / 1000; /* 5 to 25 ms */
		struct timespec ts = {0, (long)(pause * 1e9)};
		nanosleep(&ts, NULL);
		waited += pause;
	}
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
	if (set_up(st, err)) {
		int rc = err->code;
		store_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

const char *store_path(const struct store *st)
{
	return st->path;
}

int store_snapshot(struct store *st, const char *path, struct lb_error *err)
{
	char *tmp = file_part_name(path);
	if (!tmp)
		return lb_error_oom(err);
	unlink(tmp); /* VACUUM INTO wants a file that is not there */
	sqlite3_stmt *s;
	int rc = st_prepare(st, "VACUUM INTO ?1", &s, err);
	if (!rc) {
		st_bind_text(s, 1, tmp);
		rc = st_step_done(st, s, err, "copying the database");
	}
	return file_part_done(tmp, path, rc, err);
}

void st_memo_clear(struct store *st)
{
	for (size_t i = 0; i < ST_MEMO; i++) {
		free(st->memo[i].key);
		free(st->memo[i].rows);
		st->memo[i] = (struct st_memo){0};
	}
	st->memo_next = 0;
}

int store_read_begin(struct store *st, struct lb_error *err)
{
	int rc = st_exec(st, "BEGIN", err);
	st->reading = !rc;
	return rc;
}

void store_read_end(struct store *st)
{
	sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	st->reading = 0;
	st_memo_clear(st);
}

void store_close(struct store *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n_kept; i++)
		sqlite3_finalize(st->kept[i].s);
	st_memo_clear(st);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

/* Bind helpers: NULL strings bind as SQL NULL. */
void st_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

/* Run one prepared statement to completion and finalize it. */
int st_step_done(struct store *st, sqlite3_stmt *s, struct lb_error *err, const char *what)
{
	int rc = sqlite3_step(s);
	st_finish(st, s);
	if (rc != SQLITE_DONE)
		return st_db_error(st, err, what);
	return 0;
}

int st_prepare(struct store *st, const char *sql, sqlite3_stmt **s, struct lb_error *err)
{
	int known = 0;
	for (size_t i = 0; i < st->n_kept; i++)
		if (!strcmp(sqlite3_sql(st->kept[i].s), sql)) {
			known = 1;
			if (!st->kept[i].busy) {
				st->kept[i].busy = 1;
				*s = st->kept[i].s;
				return 0;
			}
		}
	int keep = !known && st->n_kept < ST_KEPT;
	if (sqlite3_prepare_v3(st->db, sql, -1, keep ? SQLITE_PREPARE_PERSISTENT : 0, s, NULL) != SQLITE_OK)
		return st_db_error(st, err, "preparing a statement");
	if (keep && *s)
		st->kept[st->n_kept++] = (struct st_kept){*s, 1};
	return 0;
}

int st_finish(struct store *st, sqlite3_stmt *s)
{
	for (size_t i = 0; i < st->n_kept; i++)
		if (st->kept[i].s == s) {
			int rc = sqlite3_reset(s);
			sqlite3_clear_bindings(s);
			st->kept[i].busy = 0;
			return rc;
		}
	return sqlite3_finalize(s);
}

static int put_environment(struct store *st, const struct lb_environment *e,
			   struct lb_error *err)
{
	sqlite3_stmt *s;
	if (st_prepare(st,
		    "INSERT OR IGNORE INTO environments (id, host, kernel, cpu_model, cores,"
		    " mem_bytes, ghc_version, rts_way, leakbench_version)"
		    " VALUES (?,?,?,?,?,?,?,?,?)",
		    &s, err))
		return err->code;
	st_bind_text(s, 1, e->fingerprint);
	st_bind_text(s, 2, e->host);
	st_bind_text(s, 3, e->kernel);
	st_bind_text(s, 4, e->cpu_model);
	sqlite3_bind_int(s, 5, e->cores);
	sqlite3_bind_int64(s, 6, e->mem_bytes);
	st_bind_text(s, 7, e->ghc_version);
	st_bind_text(s, 8, e->rts_way);
	st_bind_text(s, 9, e->leakbench_version);
	return st_step_done(st, s, err, "storing the environment");
}

static int put_run_row(struct store *st, const struct lb_run *r, struct lb_error *err)
{
	sqlite3_stmt *s;
	if (st_prepare(st,
		    "INSERT INTO runs (id, environment_id, scenario, program, command, rts_flags,"
		    " repeat_index, status, exit_code, signal, reason, partial, started_at,"
		    " wall_seconds, artifact_dir, target_id, revision_id, build_id)"
		    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
		    " (SELECT id FROM targets WHERE name = ?16),"
		    " (SELECT r.id FROM revisions r JOIN targets t ON t.id = r.target_id"
		    "  WHERE t.name = ?16 AND r.sha = ?17), ?18)",
		    &s, err))
		return err->code;
	st_bind_text(s, 1, r->id);
	st_bind_text(s, 2, r->env.fingerprint);
	st_bind_text(s, 3, r->scenario);
	st_bind_text(s, 4, r->program ? r->program : "");
	st_bind_text(s, 5, r->command ? r->command : "[]");
	st_bind_text(s, 6, r->rts_flags ? r->rts_flags : "");
	sqlite3_bind_int(s, 7, r->repeat_index);
	st_bind_text(s, 8, record_status_name(r->status));
	if (r->exit_code >= 0)
		sqlite3_bind_int(s, 9, r->exit_code);
	else
		sqlite3_bind_null(s, 9);
	sqlite3_bind_int(s, 10, r->signal);
	st_bind_text(s, 11, r->reason);
	sqlite3_bind_int(s, 12, r->partial);
	sqlite3_bind_double(s, 13, r->started_at);
	sqlite3_bind_double(s, 14, r->wall_seconds);
	st_bind_text(s, 15, r->artifact_dir);
	st_bind_text(s, 16, r->target);
	st_bind_text(s, 17, r->revision);
	st_bind_text(s, 18, r->build_id);
	return st_step_done(st, s, err, "storing the run");
}

/* Run one prepared INSERT per item; `bind` fills the statement for item i. */
static int insert_each(struct store *st, const char *sql, const struct lb_run *r, size_t n,
		       void (*bind)(sqlite3_stmt *, const struct lb_run *, size_t, size_t),
		       size_t arg, struct lb_error *err, const char *what)
{
	if (n == 0)
		return 0;
	sqlite3_stmt *s;
	if (st_prepare(st, sql, &s, err))
		return err->code;
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(s);
		bind(s, r, i, arg);
		if (sqlite3_step(s) != SQLITE_DONE) {
			st_finish(st, s);
			return st_db_error(st, err, what);
		}
	}
	st_finish(st, s);
	return 0;
}

static void bind_point(sqlite3_stmt *s, const struct lb_run *r, size_t i, size_t k)
{
	const struct lb_series *se = &r->series[k];
	st_bind_text(s, 1, r->id);
	st_bind_text(s, 2, se->name);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)i);
	sqlite3_bind_double(s, 4, se->p[i].t);
	sqlite3_bind_double(s, 5, se->p[i].v);
	st_bind_text(s, 6, se->unit);
}

static void bind_census(sqlite3_stmt *s, const struct lb_run *r, size_t i, size_t unused)
{
	(void)unused;
	const struct lb_census_row *c = &r->census[i];
	st_bind_text(s, 1, r->id);
	if (c->step >= 0)
		sqlite3_bind_int(s, 2, c->step);
	else
		sqlite3_bind_null(s, 2);
	sqlite3_bind_int(s, 3, c->sample);
	sqlite3_bind_double(s, 4, c->t);
	st_bind_text(s, 5, c->label < r->n_census_labels ? r->census_labels[c->label] : "?");
	sqlite3_bind_int64(s, 6, c->bytes);
}

static void bind_mark(sqlite3_stmt *s, const struct lb_run *r, size_t i, size_t unused)
{
	(void)unused;
	st_bind_text(s, 1, r->id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)i);
	sqlite3_bind_double(s, 3, r->marks[i].t);
	st_bind_text(s, 4, r->marks[i].is_message ? "message" : "marker");
	st_bind_text(s, 5, r->marks[i].text);
}

static void bind_metric(sqlite3_stmt *s, const struct lb_run *r, size_t i, size_t unused)
{
	(void)unused;
	st_bind_text(s, 1, r->id);
	st_bind_text(s, 2, r->metrics[i].name);
	sqlite3_bind_double(s, 3, r->metrics[i].value);
	st_bind_text(s, 4, r->metrics[i].unit);
}

static void bind_artifact(sqlite3_stmt *s, const struct lb_run *r, size_t i, size_t unused)
{
	(void)unused;
	const struct lb_artifact *a = &r->artifacts[i];
	st_bind_text(s, 1, r->id);
	st_bind_text(s, 2, a->kind);
	st_bind_text(s, 3, a->path);
	st_bind_text(s, 4, a->sha256[0] ? a->sha256 : NULL);
	sqlite3_bind_int64(s, 5, a->bytes);
}

static void bind_step(sqlite3_stmt *s, const struct lb_run *r, size_t i, size_t unused)
{
	(void)unused;
	const struct lb_step *st = &r->steps[i];
	st_bind_text(s, 1, r->id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)i);
	sqlite3_bind_int(s, 3, st->line);
	sqlite3_bind_int(s, 4, st->iteration);
	st_bind_text(s, 5, st->kind);
	st_bind_text(s, 6, st->detail);
	sqlite3_bind_double(s, 7, st->start);
	sqlite3_bind_double(s, 8, st->end);
	sqlite3_bind_int(s, 9, st->failed);
	st_bind_text(s, 10, st->note);
}

static void bind_step_metric(sqlite3_stmt *s, const struct lb_run *r, size_t i, size_t unused)
{
	(void)unused;
	const struct lb_step_metric *m = &r->step_metrics[i];
	st_bind_text(s, 1, r->id);
	sqlite3_bind_int(s, 2, m->step);
	st_bind_text(s, 3, m->step >= 0 && (size_t)m->step < r->n_steps ? r->steps[m->step].kind : NULL);
	st_bind_text(s, 4, m->name);
	sqlite3_bind_double(s, 5, m->value);
	st_bind_text(s, 6, m->unit);
}

static void bind_verdict(sqlite3_stmt *s, const struct lb_run *r, size_t i, size_t unused)
{
	(void)unused;
	const struct lb_verdict *v = &r->verdicts[i];
	st_bind_text(s, 1, r->id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)i);
	sqlite3_bind_int(s, 3, v->line);
	st_bind_text(s, 4, v->source);
	sqlite3_bind_int(s, 5, v->holds);
	if (isnan(v->value))
		sqlite3_bind_null(s, 6);
	else
		sqlite3_bind_double(s, 6, v->value);
	st_bind_text(s, 7, v->message);
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
	if (st_exec(st, "BEGIN IMMEDIATE", err))
		return lb_error_prefix(err, "storing run %s: ", run->id);
	if (put_environment(st, &run->env, err) || put_run_row(st, run, err) ||
	    put_children(st, run, err) || st_exec(st, "COMMIT", err)) {
		int rc = err->code;
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		lb_error_prefix(err, "storing run %s (nothing was stored): ", run->id);
		return rc;
	}
	return 0;
}

int st_collect(struct store *st, sqlite3_stmt *s, void *rowsp, size_t *n, size_t size,
	       void (*fill)(sqlite3_stmt *s, void *row), const char *what, struct lb_error *err)
{
	char *rows = NULL;
	size_t cap = 0;
	int rc;
	*n = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (mem_grow(&rows, &cap, *n + 1, size, NULL)) {
			rc = SQLITE_NOMEM;
			break;
		}
		memset(rows + *n * size, 0, size);
		fill(s, rows + (*n)++ * size);
	}
	st_finish(st, s);
	if (rc != SQLITE_DONE) {
		free(rows);
		rows = NULL;
		*n = 0;
	}
	memcpy(rowsp, &rows, sizeof(rows));
	if (rc == SQLITE_NOMEM)
		return lb_error_oom(err);
	return rc != SQLITE_DONE ? st_db_error(st, err, what) : 0;
}

void st_copy_col(char *dst, size_t size, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	snprintf(dst, size, "%s", t ? (const char *)t : "");
}

int st_count(struct store *st, const char *sql, const char *a, const char *b, const char *c, long *n,
	     struct lb_error *err)
{
	char v[32];
	int rc = st_query_one(st, sql, a, b, c, v, sizeof(v), err);
	*n = rc ? 0 : strtol(v, NULL, 10);
	return rc;
}
