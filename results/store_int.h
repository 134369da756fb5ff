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

struct store {
	sqlite3 *db;
	char *path;
};

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
/* Prepare `sql` on the store's connection. */
int st_prepare(struct store *st, const char *sql, sqlite3_stmt **s, struct lb_error *err);
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
