/*
 * report_bench.c - make bench: does the dashboard stay fast with a long history?
 *
 *   report_bench DIR N
 *
 * Writes a database of N revisions of one target and scenario as leakbench stores them: 3
 * runs a revision, each with 90 metrics (the headline ones, RTS and eventlog figures), 12
 * steps and a 40-point live-bytes series, and a rise of max_live_bytes at 80% of the way.
 * The schema is leakbench's own (store_open makes it); the rows go in with one SQL
 * transaction, since writing 15,000 runs one fsync'ed transaction each would time the disk.
 * Then times `report_write` alone and prints one line a script can read:
 *
 *   report N REVISIONS RUNS SECONDS PAGES TREND_PAGE_BYTES USER_SECONDS SYS_SECONDS
 *
 * (the CPU time of the report and the page writers it forks: what is leakbench's own work,
 * and what is the kernel's, which for many new files varies with the filesystem's state).
 *
 * Run it in a fresh process per size (tests/bench/report_scaling.sh compares 500 and 5,000).
 * A database of that size already in DIR is reused (a profile of the report alone).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "results/report.h"
#include "results/store.h"
#include "tests/bench/history_fill.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: report_bench DIR N\n");
		return 2;
	}
	int n = atoi(argv[2]);
	char db[600], out[600];
	snprintf(db, sizeof(db), "%s/bench-%d.db", argv[1], n);
	snprintf(out, sizeof(out), "%s/site-%d", argv[1], n);
	struct store *st;
	struct lb_error err = {0};
	struct stat sb;
	int reuse = stat(db, &sb) == 0;
	if (store_open(&st, db, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	store_close(st);
	sqlite3 *h;
	if (sqlite3_open(db, &h) != SQLITE_OK) {
		fprintf(stderr, "report_bench: %s\n", sqlite3_errmsg(h));
		return 1;
	}
	sqlite3_exec(h, "PRAGMA synchronous = OFF", NULL, NULL, NULL);
	if (!reuse && history_fill(h, n)) {
		fprintf(stderr, "report_bench: %s\n", sqlite3_errmsg(h));
		return 1;
	}
	sqlite3_close(h);
	if (store_open(&st, db, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	struct report_summary sum;
	struct rusage self0, kids0, self1, kids1;
	getrusage(RUSAGE_SELF, &self0);
	getrusage(RUSAGE_CHILDREN, &kids0);
	double t0 = now();
	if (report_write(st, out, NULL, 0, &sum, &err)) {
		fprintf(stderr, "report_bench: %s\n", err.msg);
		store_close(st);
		return 1;
	}
	double t1 = now();
	getrusage(RUSAGE_SELF, &self1);
	getrusage(RUSAGE_CHILDREN, &kids1);
#define TV(t) ((double)(t).tv_sec + (double)(t).tv_usec / 1e6)
	double user = TV(self1.ru_utime) - TV(self0.ru_utime) + TV(kids1.ru_utime) - TV(kids0.ru_utime),
	       sys = TV(self1.ru_stime) - TV(self0.ru_stime) + TV(kids1.ru_stime) - TV(kids0.ru_stime);
	store_close(st);
	char page[700];
	snprintf(page, sizeof(page), "%s/m-big-edits-max_live_bytes.html", out);
	long size = stat(page, &sb) == 0 ? (long)sb.st_size : -1;
	printf("report %d %d %.3f %zu %ld %.2f %.2f\n", n, 3 * n, t1 - t0, sum.pages, size, user, sys);
	return 0;
}
