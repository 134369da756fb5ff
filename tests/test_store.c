/*
 * test_store.c - the SQLite store on real database files: schema and migrations, a run
 * stored and read back whole, atomicity when the writer is killed mid-run, and two
 * processes writing one database at once.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "results/record.h"
#include "results/store.h"
#include "tests/helpers.h"

static void fake_env(struct lb_environment *e)
{
	memset(e, 0, sizeof(*e));
	e->host = strdup("testhost");
	e->kernel = strdup("6.1");
	e->cpu_model = strdup("Test CPU");
	e->cores = 2;
	e->mem_bytes = 1LL << 34;
	e->ghc_version = strdup("9.0.2");
	e->rts_way = strdup("rts_l");
	e->leakbench_version = strdup("test");
	strcpy(e->fingerprint, "0123456789abcdef");
}

/* A run record with `extra` metrics beyond the headline ones. */
static void make_run(struct lb_run *r, int extra)
{
	struct lb_error err = {0};
	cr_assert_eq(record_init(r, &err), 0);
	fake_env(&r->env);
	r->program = strdup("./prog");
	r->command = strdup("[\"./prog\",\"+RTS\",\"-RTS\"]");
	r->rts_flags = strdup("-hT");
	r->started_at = 1700000000.5;
	r->wall_seconds = 1.25;
	r->exit_code = 0;
	cr_assert_eq(record_add_metric(r, "allocated_bytes", 795775600, "bytes", &err), 0);
	cr_assert_eq(record_add_metric(r, "max_live_bytes", 199275976, "bytes", &err), 0);
	cr_assert_eq(record_add_metric(r, "gc_cpu_seconds", 1.999, "s", &err), 0);
	/* filled directly: record_add_metric checks for duplicates, which is quadratic */
	size_t n = r->n_metrics + (size_t)extra;
	r->metrics = realloc(r->metrics, n * sizeof(*r->metrics));
	r->cap_metrics = n;
	for (int i = 0; i < extra; i++) {
		char name[32];
		snprintf(name, sizeof(name), "extra.%07d", i);
		r->metrics[r->n_metrics++] = (struct lb_metric){strdup(name), i, strdup("count")};
	}
}

Test(store, new_database_has_schema_v1_in_wal_mode)
{
	char *dir = scratch_dir(), db[512];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	struct store *st;
	struct lb_error err = {0};
	cr_assert_eq(store_open(&st, db, &err), 0, "%s", err.msg);
	store_close(st);
	cr_assert_eq(db_scalar(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	const char *tables[] = {"targets", "revisions", "builds", "environments", "runs",
				"metrics", "step_metrics", "census", "artifacts", "annotations"};
	for (size_t i = 0; i < sizeof(tables) / sizeof(*tables); i++) {
		char sql[256];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM sqlite_master WHERE name = '%s'", tables[i]);
		cr_assert_eq(db_scalar(db, sql), 1.0, "table %s exists", tables[i]);
	}
	sqlite3 *h;
	sqlite3_open(db, &h);
	sqlite3_stmt *s;
	sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &s, NULL);
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	cr_assert_str_eq((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(h);
	/* opening again migrates nothing and loses nothing */
	cr_assert_eq(store_open(&st, db, &err), 0, "%s", err.msg);
	store_close(st);
	rm_rf(dir);
	free(dir);
}

Test(store, run_is_read_back_whole_with_units)
{
	char *dir = scratch_dir(), db[512], art[512];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	snprintf(art, sizeof(art), "%s/stdout", dir);
	FILE *f = fopen(art, "w");
	fputs("hello\n", f);
	fclose(f);
	struct store *st;
	struct lb_error err = {0};
	cr_assert_eq(store_open(&st, db, &err), 0, "%s", err.msg);
	struct lb_run r, back;
	make_run(&r, 0);
	r.status = LB_RUN_CRASHED;
	r.exit_code = -1;
	r.signal = 11;
	r.reason = strdup("killed by signal 11 (Segmentation fault)");
	r.partial = 1;
	cr_assert_eq(record_add_artifact(&r, "stdout", art, &err), 0);
	cr_assert_eq(record_add_artifact(&r, "eventlog", "/nonexistent/x.eventlog", &err), 0);
	cr_assert_eq(store_put_run(st, &r, &err), 0, "%s", err.msg);

	char prefix[9];
	snprintf(prefix, sizeof(prefix), "%.8s", r.id);
	for (char *p = prefix; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p); /* prefixes are case-blind */
	cr_assert_eq(store_get_run(st, prefix, &back, &err), 0, "%s", err.msg);
	cr_assert_str_eq(back.id, r.id);
	cr_assert_eq(back.status, LB_RUN_CRASHED);
	cr_assert_eq(back.signal, 11);
	cr_assert_eq(back.exit_code, -1);
	cr_assert_str_eq(back.reason, r.reason);
	cr_assert_eq(back.partial, 1);
	cr_assert_str_eq(back.rts_flags, "-hT");
	cr_assert_float_eq(back.started_at, 1700000000.5, 1e-6);
	cr_assert_eq(back.n_metrics, 3);
	const struct lb_metric *m = record_metric(&back, "allocated_bytes");
	cr_assert(m && m->value == 795775600.0);
	cr_assert_str_eq(m->unit, "bytes");
	cr_assert_str_eq(record_metric(&back, "gc_cpu_seconds")->unit, "s");
	cr_assert_str_eq(back.env.ghc_version, "9.0.2");
	cr_assert_str_eq(back.env.fingerprint, "0123456789abcdef");
	cr_assert_eq(back.n_artifacts, 2);
	/* sorted by kind: eventlog (missing) then stdout */
	cr_assert_eq(back.artifacts[0].bytes, -1);
	cr_assert_eq(back.artifacts[1].bytes, 6);
	cr_assert_str_eq(back.artifacts[1].sha256,
			 "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
	record_free(&back);

	cr_assert_eq(store_get_run(st, "ZZZZ", &back, &err), LB_ENOTFOUND);
	cr_assert(strstr(err.msg, "no run with id 'ZZZZ'"), "%s", err.msg);
	record_free(&r);
	store_close(st);
	rm_rf(dir);
	free(dir);
}

Test(store, run_ids_are_unique_and_time_ordered)
{
	enum { N = 20000 };
	char (*ids)[LB_RUN_ID_LEN + 1] = malloc(N * sizeof(*ids));
	struct lb_error err = {0};
	for (int i = 0; i < N; i++) {
		cr_assert_eq(record_new_id(ids[i], &err), 0);
		cr_assert_eq(strlen(ids[i]), LB_RUN_ID_LEN);
		cr_assert_eq(strspn(ids[i], "0123456789ABCDEFGHJKMNPQRSTVWXYZ"), LB_RUN_ID_LEN);
	}
	qsort(ids, N, sizeof(*ids), (int (*)(const void *, const void *))strcmp);
	for (int i = 1; i < N; i++)
		cr_assert_neq(strcmp(ids[i - 1], ids[i]), 0, "duplicate id %s", ids[i]);
	char a[LB_RUN_ID_LEN + 1], b[LB_RUN_ID_LEN + 1];
	record_new_id(a, &err);
	usleep(5000);
	record_new_id(b, &err);
	cr_assert_lt(strncmp(a, b, 10), 0, "a later id sorts later (%s < %s)", a, b);
	free(ids);
}

Test(store, newer_schema_is_refused_and_left_alone)
{
	char *dir = scratch_dir(), db[512];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	sqlite3 *h;
	sqlite3_open(db, &h);
	sqlite3_exec(h, "CREATE TABLE future (x); PRAGMA user_version = 99;", NULL, NULL, NULL);
	sqlite3_close(h);
	struct store *st;
	struct lb_error err = {0};
	cr_assert_eq(store_open(&st, db, &err), LB_ESTORE);
	cr_assert(strstr(err.msg, "schema version 99 is newer") && strstr(err.msg, db), "%s", err.msg);
	cr_assert_eq(db_scalar(db, "PRAGMA user_version"), 99.0);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'runs'"), 0.0);

	char junk[512];
	snprintf(junk, sizeof(junk), "%s/junk.db", dir);
	FILE *f = fopen(junk, "w");
	fputs("this is not a database, just text long enough to have a header......\n", f);
	fclose(f);
	cr_assert_eq(store_open(&st, junk, &err), LB_ESTORE);
	cr_assert(strstr(err.msg, junk) && strstr(err.msg, "not a database"), "%s", err.msg);
	rm_rf(dir);
	free(dir);
}

static off_t file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? sb.st_size : 0;
}

Test(store, writer_killed_mid_run_leaves_no_partial_run, .timeout = 120)
{
	char *dir = scratch_dir(), db[512], wal[520];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	snprintf(wal, sizeof(wal), "%s-wal", db);
	struct store *st;
	struct lb_error err = {0};
	cr_assert_eq(store_open(&st, db, &err), 0, "%s", err.msg);
	struct lb_run before;
	make_run(&before, 0);
	cr_assert_eq(store_put_run(st, &before, &err), 0, "%s", err.msg);
	store_close(st);
	off_t wal0 = file_size(wal);

	pid_t pid = fork();
	if (pid == 0) {
		/* a run big enough that its inserts spill into the WAL long before COMMIT */
		struct lb_run big;
		struct store *cst;
		struct lb_error cerr;
		make_run(&big, 300000);
		if (store_open(&cst, db, &cerr))
			_exit(2);
		store_put_run(cst, &big, &cerr);
		_exit(0);
	}
	/* kill it once its inserts are under way: the WAL has grown by megabytes */
	int grew = 0;
	for (int i = 0; i < 60000 && !grew; i++) {
		if (file_size(wal) > wal0 + 4 * 1024 * 1024)
			grew = 1;
		else
			usleep(1000);
	}
	kill(pid, SIGKILL);
	int status;
	waitpid(pid, &status, 0);
	cr_assert(grew, "the child never got to its inserts");
	cr_assert(WIFSIGNALED(status), "the child was killed mid-transaction, not after it");

	cr_assert_eq(store_open(&st, db, &err), 0, "%s", err.msg);
	long n;
	cr_assert_eq(store_count_runs(st, &n, &err), 0);
	cr_assert_eq(n, 1, "only the run stored before is there");
	store_close(st);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM metrics"), 3.0, "no stray metric rows");
	sqlite3 *h;
	sqlite3_stmt *s;
	sqlite3_open(db, &h);
	sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &s, NULL);
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	cr_assert_str_eq((const char *)sqlite3_column_text(s, 0), "ok");
	sqlite3_finalize(s);
	sqlite3_close(h);
	record_free(&before);
	rm_rf(dir);
	free(dir);
}

Test(store, two_processes_write_one_database_at_once, .timeout = 120)
{
	char *dir = scratch_dir(), db[512];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	enum { PER_CHILD = 40 };
	pid_t pids[2];
	for (int c = 0; c < 2; c++) {
		pids[c] = fork();
		if (pids[c] == 0) {
			struct store *cst;
			struct lb_error cerr;
			if (store_open(&cst, db, &cerr)) {
				fprintf(stderr, "%s\n", cerr.msg);
				_exit(2);
			}
			for (int i = 0; i < PER_CHILD; i++) {
				struct lb_run r;
				make_run(&r, 200);
				if (store_put_run(cst, &r, &cerr)) {
					fprintf(stderr, "%s\n", cerr.msg);
					_exit(3);
				}
				record_free(&r);
			}
			store_close(cst);
			_exit(0);
		}
	}
	for (int c = 0; c < 2; c++) {
		int status;
		waitpid(pids[c], &status, 0);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer %d failed (%d)", c,
			  status);
	}
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM runs"), 2.0 * PER_CHILD);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM metrics"), 2.0 * PER_CHILD * 203);
	rm_rf(dir);
	free(dir);
}

Test(store, a_version_1_database_is_migrated_without_losing_runs)
{
	char *dir = scratch_dir(), db[512];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	struct store *st;
	struct lb_error err = {0};
	cr_assert_eq(store_open(&st, db, &err), 0, "%s", err.msg);
	struct lb_run r;
	make_run(&r, 0);
	cr_assert_eq(store_put_run(st, &r, &err), 0, "%s", err.msg);
	store_close(st);
	/* make it what leakbench 0.1 wrote: schema 1, no series or markers tables */
	sqlite3 *h;
	sqlite3_open(db, &h);
	cr_assert_eq(sqlite3_exec(h, "DROP TABLE series; DROP TABLE markers; DROP TABLE steps; "
					 "DROP TABLE expectations; DROP TABLE bisects; PRAGMA user_version = 1;",
				  NULL, NULL, NULL),
		     SQLITE_OK);
	sqlite3_close(h);
	cr_assert_eq(store_open(&st, db, &err), 0, "%s", err.msg);
	store_close(st);
	cr_assert_eq(db_scalar(db, "PRAGMA user_version"), (double)STORE_SCHEMA_VERSION);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('series','markers','steps','expectations','bisects')"), 5.0);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM runs"), 1.0, "the stored run survives");
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM metrics"), 3.0);
	record_free(&r);
	rm_rf(dir);
	free(dir);
}

/* A metric that depends on when GCs happen is noisy (max_live_bytes of a threaded server:
 * 69 to 83 MiB over runs of equal code).  A second revision drawn from that spread 3% higher
 * is within one run's own noise: `same`, once the change must pass that noise.  With the 2%
 * floor alone it was `unknown`, and more runs would not have helped: check and bisect gave
 * up on such revisions. */
Test(store, a_change_within_the_runs_noise_is_the_same, .timeout = 60)
{
	char *dir = scratch_dir(), db[600];
	snprintf(db, sizeof(db), "%s/n.db", dir);
	struct store *st;
	struct lb_error err = {0};
	cr_assert_eq(store_open(&st, db, &err), 0, "%s", err.msg);
	const char *shas[2] = {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"};
	for (int r = 0; r < 2; r++) {
		struct store_revision rv = {shas[r], "", "A <a@example.org>", r ? "two" : "one", 1700000000.0 + r};
		cr_assert_eq(store_put_revision(st, "demo", "/nowhere", &rv, &err), 0, "%s", err.msg);
		for (int i = 0; i < 12; i++) {
			struct lb_run run;
			test_stored_run(&run, shas[r], 1700000000.0 + 100 * r + i);
			/* each side its own draws from one spread: 69 to 83 MiB, the second 3% up */
			unsigned x = (unsigned)(i * 2654435761u + (unsigned)r * 40503u + 12345u);
			x ^= x >> 13, x *= 0x5bd1e995u, x ^= x >> 15;
			double live = (69 + 14.0 * (x % 1000) / 999.0) * 1048576.0 * (r ? 1.03 : 1);
			cr_assert_eq(record_add_metric(&run, "max_live_bytes", live, "bytes", &err), 0);
			cr_assert_eq(store_put_run(st, &run, &err), 0, "%s", err.msg);
			record_free(&run);
		}
	}
	store_close(st);
	struct lb_out o;
	int code = run_lb(&o, NULL, "compare", shas[0], shas[1], "--target", "demo", "--db", db, "--metric", "max_live_bytes",
			  "--json", NULL);
	cr_assert_eq(code, 0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "\"verdict\": \"same\""), "%s", o.out);
	lb_out_free(&o);
	rm_rf(dir);
	free(dir);
}

/* Schema 5: a database of schema 4 gains the indexes a long history is read through and
 * the table of stored leak shapes, filled from the runs it already has; a run stored
 * afterwards adds its shapes through the trigger. */
Test(store, a_version_4_database_gains_the_history_indexes_and_its_shapes)
{
	char *dir = scratch_dir(), db[512];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	struct store *st;
	struct lb_error err = {0};
	cr_assert_eq(store_open(&st, db, &err), 0, "%s", err.msg);
	struct lb_run r;
	make_run(&r, 0);
	r.scenario = strdup("sizes");
	cr_assert_eq(record_add_metric(&r, "exponent:live_bytes:size", 1.02, "", &err), 0);
	cr_assert_eq(record_add_metric(&r, "exponent:live_bytes:size_lo", 0.98, "", &err), 0);
	cr_assert_eq(store_put_run(st, &r, &err), 0, "%s", err.msg);
	store_close(st);
	record_free(&r);
	sqlite3 *h;
	sqlite3_open(db, &h);
	cr_assert_eq(sqlite3_exec(h, "DROP INDEX runs_revision; DROP INDEX runs_target_scenario; DROP INDEX annotations_revision;"
				     " DROP INDEX revisions_time; DROP TRIGGER shape_metrics_kept; DROP TABLE shape_metrics;"
				     " PRAGMA user_version = 4;",
				  NULL, NULL, NULL),
		     SQLITE_OK);
	sqlite3_close(h);
	cr_assert_eq(store_open(&st, db, &err), 0, "%s", err.msg);
	make_run(&r, 1);
	r.scenario = strdup("sizes");
	cr_assert_eq(record_add_metric(&r, "peak:live_bytes:cycle", 1.1, "ratio", &err), 0);
	cr_assert_eq(store_put_run(st, &r, &err), 0, "%s", err.msg);
	record_free(&r);
	store_close(st);
	cr_assert_eq(db_scalar(db, "PRAGMA user_version"), (double)STORE_SCHEMA_VERSION);
	cr_assert_eq(db_scalar(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN ('runs_revision',"
				   " 'runs_target_scenario', 'annotations_revision', 'revisions_time')"),
		     4.0);
	char *shapes = db_text(db, "SELECT group_concat(name, ' ') FROM (SELECT name FROM shape_metrics ORDER BY name)");
	cr_assert_str_eq(shapes, "exponent:live_bytes:size peak:live_bytes:cycle", "the old run's shape and the new one's");
	free(shapes);
	rm_rf(dir);
	free(dir);
}

/* "Measured since T" includes a run that started at T exactly, whatever T's last digits:
 * nightly --merge asks from the earliest merged run's own start (it was written with six
 * decimals, rounded past that start half the time, and the shard's first revision was not
 * tonight's). */
Test(store, a_run_counts_as_measured_since_its_own_start)
{
	char *dir = scratch_dir(), db[600];
	snprintf(db, sizeof(db), "%s/s.db", dir);
	struct store *st;
	struct lb_error err = {0};
	cr_assert_eq(store_open(&st, db, &err), 0, "%s", err.msg);
	const char *sha = "cccccccccccccccccccccccccccccccccccccccc";
	struct store_revision rv = {sha, "", "A <a@example.org>", "one", 1700000000.0};
	cr_assert_eq(store_put_revision(st, "demo", "/nowhere", &rv, &err), 0, "%s", err.msg);
	const double at = 1700000000.0000007; /* six decimals round it up */
	struct lb_run run;
	test_stored_run(&run, sha, at);
	cr_assert_eq(store_put_run(st, &run, &err), 0, "%s", err.msg);
	record_free(&run);
	struct store_value *rows = NULL;
	size_t n = 0;
	cr_assert_eq(store_revisions_measured_since(st, "demo", at, &rows, &n, &err), 0, "%s", err.msg);
	cr_assert(n == 1 && !strcmp(rows[0].key, sha), "%zu revisions", n);
	free(rows);
	cr_assert_eq(store_revisions_measured_since(st, "demo", at + 1e-6, &rows, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 0, "nothing after it");
	free(rows);
	store_close(st);
	rm_rf(dir);
	free(dir);
}
