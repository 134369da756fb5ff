/*
 * report_bench.c - make bench: does the dashboard stay fast with a long history?  Writes a
 * database of N revisions (default 5000) with one run each (a rise of max_live_bytes at
 * 80% of the way), then times `report_write` and reports the pages written and the size of
 * the largest trend page.
 *
 *   report_bench DIR [N]
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "results/record.h"
#include "results/report.h"
#include "results/store.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: report_bench DIR [N]\n");
		return 2;
	}
	int n = argc > 2 ? atoi(argv[2]) : 5000;
	char db[600], out[600];
	snprintf(db, sizeof(db), "%s/bench.db", argv[1]);
	snprintf(out, sizeof(out), "%s/site", argv[1]);
	struct store *st;
	struct lb_error err = {0};
	if (store_open(&st, db, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	double t0 = now();
	for (int i = 0; i < n; i++) {
		char sha[41], subject[64];
		snprintf(sha, sizeof(sha), "%08x%032x", i, i * 2654435761u);
		snprintf(subject, sizeof(subject), "commit %d", i);
		struct store_revision rv = {sha, "", "A <a@example.org>", subject, 1.7e9 + 600.0 * i};
		struct lb_run r;
		if (store_put_revision(st, "big", "/nowhere", &rv, &err) || record_init(&r, &err))
			goto fail;
		r.env = (struct lb_environment){.host = strdup("h"), .kernel = strdup("k"), .cpu_model = strdup("c"),
						.cores = 2, .ghc_version = strdup("9.0.2"), .rts_way = strdup("rts"),
						.leakbench_version = strdup("bench")};
		strcpy(r.env.fingerprint, "00000000000000bb");
		r.program = strdup("./server"), r.command = strdup("[]"), r.rts_flags = strdup("");
		r.scenario = strdup("edits"), r.target = strdup("big"), r.revision = strdup(sha);
		r.started_at = 1.7e9 + 600.0 * i;
		double live = (i < n * 4 / 5 ? 100 : 110) * 1048576.0 * (1 + 0.003 * (i % 7 - 3));
		if (record_add_metric(&r, "max_live_bytes", live, "bytes", &err) ||
		    record_add_metric(&r, "allocated_bytes", 1e9 + i % 5, "bytes", &err) || store_put_run(st, &r, &err)) {
			record_free(&r);
			goto fail;
		}
		record_free(&r);
	}
	double t1 = now();
	struct report_summary sum;
	if (report_write(st, out, NULL, 0, &sum, &err))
		goto fail;
	double t2 = now();
	char page[700];
	snprintf(page, sizeof(page), "%s/m-big-edits-max_live_bytes.html", out);
	struct stat sb;
	long size = stat(page, &sb) == 0 ? (long)sb.st_size : -1;
	printf("bench: dashboard of %d revisions (%d runs): database written in %.1f s; report in %.1f s, %zu pages "
	       "(%zu run pages), %zu flagged; the trend page %.1f MB\n",
	       n, n, t1 - t0, t2 - t1, sum.pages, sum.runs, sum.flagged, (double)size / 1e6);
	store_close(st);
	return 0;
fail:
	fprintf(stderr, "report_bench: %s\n", err.msg);
	store_close(st);
	return 1;
}
