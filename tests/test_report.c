/*
 * test_report.c - the dashboard as a browser sees it: a real database (written through the
 * store, 40 revisions with a 10% rise of max_live_bytes at the 25th, a commit subject
 * that tries to be a script and a run whose leak could not be judged), `leakbench report`, then headless Chromium renders the pages:
 * the rendered DOM must have a point per revision and the subject as text, and a screenshot
 * of a chart must not be blank.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "results/record.h"
#include "results/store.h"
#include "tests/helpers.h"

#define N_REVS 40

static void put_history(const char *db)
{
	struct store *st;
	struct lb_error err = {0};
	cr_assert_eq(store_open(&st, db, &err), 0, "%s", err.msg);
	for (int i = 0; i < N_REVS; i++) {
		char sha[41], subject[100];
		for (int k = 0; k < 40; k++)
			sha[k] = "0123456789abcdef"[(i * 7 + k * 13 + k * i) % 16];
		sha[0] = "abcdef"[i % 6], sha[1] = "0123456789"[i / 10 % 10], sha[2] = "0123456789"[i % 10];
		sha[40] = '\0';
		snprintf(subject, sizeof(subject), i == 30 ? "change %d <script>alert('x')</script>" : "change %d", i);
		struct store_revision rv = {sha, "", "A <a@example.org>", subject, 1700000000.0 + 3600 * i};
		cr_assert_eq(store_put_revision(st, "demo", "/nowhere", &rv, &err), 0, "%s", err.msg);
		struct lb_run r;
		test_stored_run(&r, sha, 1700000000.0 + 3600 * i);
		r.wall_seconds = 2;
		double live = (i < 25 ? 100 : 110) * 1048576.0 * (1 + 0.002 * ((i * 37) % 5 - 2));
		cr_assert_eq(record_add_metric(&r, "max_live_bytes", live, "bytes", &err), 0);
		cr_assert_eq(record_add_metric(&r, "allocated_bytes", 1e9, "bytes", &err), 0);
		struct lb_point *p = malloc(50 * sizeof(*p));
		for (int k = 0; k < 50; k++)
			p[k] = (struct lb_point){0.1 * k, live * (0.5 + 0.01 * k)};
		cr_assert_eq(record_add_series(&r, "live_bytes", "bytes", p, 50, &err), 0, "%s", err.msg);
		if (i == 33) /* a run whose leak could not be judged */
			cr_assert_eq(record_add_verdict(&r, 16, "expect slope live_bytes < 16KiB per edit", LB_VERDICT_UNKNOWN,
							NAN, "is inconclusive: live_bytes measured at 3 of 8 checkpoints", &err),
				     0);
		cr_assert_eq(store_put_run(st, &r, &err), 0, "%s", err.msg);
		record_free(&r);
	}
	store_close(st);
}


static long size_of(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

Test(report, chromium_draws_the_trend_and_shows_a_script_as_text, .timeout = 300)
{
	cr_assert_eq(system("command -v chromium >/dev/null"), 0, "chromium is missing: `make deps` installs it");
	char *dir = scratch_dir(), db[600], url[800], dom[700], png[700], blank[700], blank_png[700];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	put_history(db);
	struct lb_out o;
	cr_assert_eq(run_lb(&o, dir, "report", "--db", db, "--out", "site", NULL), 0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "(40 runs, 0 of them unchanged"), "%s", o.out);
	lb_out_free(&o);

	snprintf(url, sizeof(url), "file://%s/site/m-demo-edits-max_live_bytes.html", dir);
	snprintf(dom, sizeof(dom), "%s/dom.html", dir);
	cr_assert_eq(chromium("--dump-dom", url, dom), 0);
	char *text = slurp_file(dom);
	cr_assert(text && strlen(text) > 1000, "the page rendered: %s", text);
	int points = 0, flagged = 0;
	for (const char *c = text; (c = strstr(c, "<circle class=\"point")); c++)
		points++, flagged += !strncmp(c, "<circle class=\"point flagged\"", 29);
	cr_assert_eq(points, N_REVS, "a point per revision in the rendered page");
	cr_assert_eq(flagged, 1, "the rise at the 25th revision is marked");
	cr_assert(strstr(text, "change 30 &lt;script&gt;alert('x')&lt;/script&gt;"), "the subject shows as text");
	cr_assert(!strstr(text, "<script"), "and never became a script element");
	free(text);

	/* the chart is drawn: its screenshot carries more than a blank page's */
	snprintf(png, sizeof(png), "--screenshot=%s/trend.png", dir);
	snprintf(blank, sizeof(blank), "%s/blank.html", dir);
	snprintf(blank_png, sizeof(blank_png), "--screenshot=%s/blank.png", dir);
	FILE *f = fopen(blank, "w");
	fputs("<!doctype html><html><body></body></html>\n", f);
	fclose(f);
	char blank_url[800], log[700];
	snprintf(blank_url, sizeof(blank_url), "file://%s", blank);
	snprintf(log, sizeof(log), "%s/chromium.log", dir);
	cr_assert_eq(chromium(png, url, log), 0);
	cr_assert_eq(chromium(blank_png, blank_url, log), 0);
	char a[700], b[700];
	snprintf(a, sizeof(a), "%s/trend.png", dir);
	snprintf(b, sizeof(b), "%s/blank.png", dir);
	cr_assert(size_of(b) > 0 && size_of(a) > 4 * size_of(b), "trend %ld bytes, blank %ld bytes", size_of(a),
		  size_of(b));

	/* a run page renders its live bytes over time: a point per sample */
	char run_page[800];
	char *id = db_text(db, "SELECT id FROM runs ORDER BY started_at LIMIT 1");
	snprintf(run_page, sizeof(run_page), "file://%s/site/r-%s.html", dir, id);
	free(id);
	cr_assert_eq(chromium("--dump-dom", run_page, dom), 0);
	text = slurp_file(dom);
	points = 0;
	for (const char *c = text; (c = strstr(c, "<circle class=\"point\"")); c++)
		points++;
	cr_assert(text && strstr(text, "live_bytes over time") && points == 50, "%d points: %s", points, text);
	free(text);

	/* the index and a run page render with their charts */
	snprintf(url, sizeof(url), "file://%s/site/index.html", dir);
	cr_assert_eq(chromium("--dump-dom", url, dom), 0);
	text = slurp_file(dom);
	cr_assert(text && strstr(text, "m-demo-edits-max_live_bytes.html") && strstr(text, "point flagged"), "%s", text);
	/* the run that could not be judged is listed apart, linked to its page */
	char *unjudged = db_text(db, "SELECT run_id FROM expectations WHERE holds = -1"), link[100];
	snprintf(link, sizeof(link), "<a href=\"r-%s.html\">1</a>", unjudged);
	cr_assert(strstr(text, "inconclusive: 1 run could not be judged") && strstr(text, link), "%s", text);
	free(unjudged);
	free(text);
	rm_rf(dir);
	free(dir);
}
