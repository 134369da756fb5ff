/*
 * store_int.h - the store's insides, shared by its files only: store.c (schema, opening,
 * writing a run), store_read.c (reading runs, revisions and builds back) and
 * store_history.c (merging, and what the analysis reads across revisions).  Nothing else
 * includes it; callers use results/store.h.
 */
#ifndef LB_STORE_INT_H
#define LB_STORE_INT_H

#include <sqlite3.h>

#include "results/store.h"

/* Statements are prepared once per store and kept (SQLITE_PREPARE_PERSISTENT): the
 * dashboard runs the same few dozen queries tens of thousands of times, and parsing them
 * anew each time was a quarter of its time.  A kept statement is found by its SQL text;
 * one in use (a query run inside another's loop) is prepared afresh and finalized. */
#define ST_KEPT 64
struct st_kept {
	sqlite3_stmt *s;
	int busy;
};

/* A metric's history as read inside a read transaction (store_read_begin), kept until its
 * end: a report asks for the same history for the scan, the trend, its eras and every page
 * of what grew, and the query was half of a 5,000-revision report. */
#define ST_MEMO 16
struct st_memo {
	char *key; /* "target\nscenario\nmetric"; NULL: empty */
	struct store_value *rows;
	size_t n;
};

struct store {
	sqlite3 *db;
	char *path;
	struct st_kept kept[ST_KEPT];
	size_t n_kept;
	int reading;                  /* inside store_read_begin: nothing can change */
	struct st_memo memo[ST_MEMO]; /* filled round robin */
	size_t memo_next;
};

/* Forget the kept histories. */
void st_memo_clear(struct store *st);

/* An SQLite failure as LB_ESTORE, naming the file and what was being done. */
int st_db_error(struct store *st, struct lb_error *err, const char *what);
/* Run SQL text (no results wanted). */
int st_exec(struct store *st, const char *sql, struct lb_error *err);
/* The schema version (PRAGMA user_version). */
int st_user_version(struct store *st, int *out, struct lb_error *err);
/* Bind a string; NULL binds as SQL NULL. */
void st_bind_text(sqlite3_stmt *s, int i, const char *v);
/* Run one prepared statement to completion and finalize it. */
int st_step_done(struct store *st, sqlite3_stmt *s, struct lb_error *err, const char *what);
/* Prepare `sql` on the store's connection (a kept statement when there is one free). */
int st_prepare(struct store *st, const char *sql, sqlite3_stmt **s, struct lb_error *err);
/* Done with a statement from st_prepare: a kept one is reset for the next use, any other
 * finalized.  Returns what sqlite3_reset/finalize return (the statement's last error). */
int st_finish(struct store *st, sqlite3_stmt *s);
/* The first column of the first row of `sql` (up to three text parameters) into out; "" when there is none. */
int st_query_one(struct store *st, const char *sql, const char *a, const char *b, const char *c, char *out,
		     size_t size, struct lb_error *err);

/* A count(*) query with up to three text parameters: *n gets the count (0 on failure). */
int st_count(struct store *st, const char *sql, const char *a, const char *b, const char *c, long *n,
	     struct lb_error *err);
/* Step `s` to its end (and finalize it), each result row filled into a new element of
 * *rowsp (an array of `size`-byte rows, malloc'ed) by `fill`.  On failure *rowsp is NULL
 * and *n 0, and err says `what` failed. */
int st_collect(struct store *st, sqlite3_stmt *s, void *rowsp, size_t *n, size_t size,
	       void (*fill)(sqlite3_stmt *s, void *row), const char *what, struct lb_error *err);
/* A column's text into a fixed buffer ("" for NULL). */
void st_copy_col(char *dst, size_t size, sqlite3_stmt *s, int col);

#endif
