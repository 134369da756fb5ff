/*
 * test_report.c - the dashboard as a browser sees it: a real database (written through the
 * store, 40 revisions with a 10% rise of max_live_bytes at the 25th, a commit subject
 * that tries to be a script and a run whose leak could not be judged), `leakbench report`, then headless Chromium renders the pages:
 * the rendered DOM must have a point per revision and the subject as text, and a screenshot
 * of a chart must not be blank.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "results/record.h"
#include "results/store.h"
#include "tests/bench/history_fill.h"
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
	/* every link of the site leads to a page of it; every run's page is linked (all 40 runs
	 * are within the newest 200 revisions the trend tables list) */
	char site[700], why[400] = "";
	size_t run_pages;
	snprintf(site, sizeof(site), "%s/site", dir);
	cr_assert_eq(site_check(site, &run_pages, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(run_pages, 40);

	snprintf(url, sizeof(url), "file://%s/site/m-demo-edits-max_live_bytes.html", dir);
	snprintf(dom, sizeof(dom), "%s/dom.html", dir);
	cr_assert_eq(chromium("--dump-dom", url, dom), 0);
	char *text = slurp_file(dom);
	cr_assert(text && strlen(text) > 1000, "the page rendered: %s", text);
	int flagged, points = trend_points(text, 1, &flagged);
	cr_assert_eq(points, N_REVS, "a point per revision in the rendered page");
	cr_assert_eq(flagged, 1, "the rise at the 25th revision is marked");
	cr_assert(strstr(text, "change 30 &lt;script&gt;alert('x')&lt;/script&gt;"), "the subject shows as text");
	int scripts = 0;
	for (const char *c = text; (c = strstr(c, "<script")); c++)
		scripts++;
	cr_assert_eq(scripts, 3, "the chart's data, library and code, and the subject never became a script element");
	cr_assert(strstr(text, "class=\"dygraph-legend") || strstr(text, "<canvas"), "dygraphs drew: %s", text);
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

/* A trend of 5,000 revisions (3 runs and 90 metrics each, as leakbench stores them): the page
 * stays under 2 MB, and in the browser it holds every revision, zooms (through dygraphs'
 * API, as a drag does) to the newest tenth and shows the tooltip of the newest revision
 * with its commit, subject and value.  The page's #selftest does the zoom and the hover
 * and writes what it then shows. */
Test(report, a_trend_of_5000_revisions_zooms_and_shows_a_tooltip, .timeout = 300)
{
	char *dir = scratch_dir(), db[600], url[800], dom[700], page[700];
	snprintf(db, sizeof(db), "%s/big.db", dir);
	struct store *st;
	struct lb_error err = {0};
	cr_assert_eq(store_open(&st, db, &err), 0, "%s", err.msg);
	store_close(st);
	sqlite3 *h;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	sqlite3_exec(h, "PRAGMA synchronous = OFF", NULL, NULL, NULL);
	cr_assert_eq(history_fill(h, 5000), 0, "%s", sqlite3_errmsg(h));
	sqlite3_close(h);
	/* a run has a page when the site links it: the newest 200 revisions' runs in the trend
	 * tables and each flagged change's two revisions on its page of what grew, not the 15,000
	 * runs of the history (pages nothing leads to) */
	struct lb_out o;
	cr_assert_eq(run_lb(&o, dir, "report", "--db", db, "--out", "site", NULL), 0, "%s%s", o.out, o.err);
	size_t pages = 0, runs = 0, again = 0, run_pages = 0;
	cr_assert(sscanf(o.out, "wrote %*s %zu pages (%zu runs", &pages, &runs) == 2 && strstr(o.out, " 0 of them unchanged"),
		  "%s", o.out);
	lb_out_free(&o);
	char site[700], why[400] = "";
	snprintf(site, sizeof(site), "%s/site", dir);
	cr_assert_eq(site_check(site, &run_pages, why, sizeof(why)), 0, "%s", why);
	cr_assert(run_pages == runs && runs >= 200 * 3 + 2 * 3 && runs < 1000, "%zu run pages, %zu runs", run_pages, runs);
	snprintf(page, sizeof(page), "ls %s/site/c-big-edits-00000f9f*-00000fa0*.html", dir);
	char *name = command_output(page), *grew = name ? slurp_file(strtok(name, "\n")) : NULL;
	cr_assert(grew && strstr(grew, "runs: <a href=\"r-"), "the page of what grew at the rise links its runs: %s", name);
	free(grew);
	free(name);
	/* the next night's report (the run pages written by several processes, counted as one) */
	cr_assert_eq(run_lb(&o, dir, "report", "--db", db, "--out", "site", NULL), 0, "%s%s", o.out, o.err);
	cr_assert(sscanf(o.out, "wrote %*s %*u pages (%*u runs, %zu of them unchanged", &again) == 1 && again == runs, "%s",
		  o.out);
	lb_out_free(&o);
	snprintf(page, sizeof(page), "%s/site/m-big-edits-max_live_bytes.html", dir);
	cr_assert(size_of(page) > 0 && size_of(page) < 2000000, "%s: %ld bytes", page, size_of(page));
	char *raw = slurp_file(page);
	int flagged, points = trend_points(raw, 1, &flagged);
	cr_assert_eq(points, 5000);
	cr_assert_geq(flagged, 1, "the rise at 80%% is marked");
	free(raw);
	snprintf(url, sizeof(url), "file://%s#selftest", page);
	snprintf(dom, sizeof(dom), "%s/dom.html", dir);
	cr_assert_eq(chromium("--dump-dom", url, dom), 0);
	char *text = slurp_file(dom);
	const char *self = text ? strstr(text, "<pre id=\"selftest\"") : NULL;
	cr_assert(self, "%s", text);
	self = strchr(self, '>') + 1;
	json_t *j = json_loadb(self, strcspn(self, "<"), 0, NULL);
	cr_assert(j, "%.300s", self);
	json_t *w = json_object_get(j, "window");
	cr_assert_eq(json_integer_value(json_object_get(j, "points")), 5000);
	cr_assert(json_number_value(json_array_get(w, 0)) >= 4499 && json_number_value(json_array_get(w, 1)) <= 5000,
		  "zoomed to the newest tenth: %.300s", self);
	const char *legend = json_string_value(json_object_get(j, "legend"));
	char newest[16];
	snprintf(newest, sizeof(newest), "%08x", 4999);
	cr_assert(legend && strstr(legend, newest) && strstr(legend, "commit 4999") && strstr(legend, "MiB"),
		  "the tooltip: commit, subject, value: %s", legend);
	json_decref(j);
	free(text);

	/* every metric of the scenario on one chart: a series each, a checkbox each, the
	 * newest revision's figure of each in its unit */
	snprintf(page, sizeof(page), "%s/site/o-big-edits.html", dir);
	cr_assert(size_of(page) > 0 && size_of(page) < 2000000, "%s: %ld bytes", page, size_of(page));
	snprintf(url, sizeof(url), "file://%s#selftest", page);
	cr_assert_eq(chromium("--dump-dom", url, dom), 0);
	text = slurp_file(dom);
	self = text ? strstr(text, "<pre id=\"selftest\"") : NULL;
	cr_assert(self, "%s", text);
	self = strchr(self, '>') + 1;
	j = json_loadb(self, strcspn(self, "<"), 0, NULL);
	cr_assert(j, "%.300s", self);
	long series = (long)json_integer_value(json_object_get(j, "series"));
	cr_assert(series >= 2 && series == (long)json_integer_value(json_object_get(j, "boxes")), "%.300s", self);
	legend = json_string_value(json_object_get(j, "legend"));
	cr_assert(legend && strstr(legend, newest) && strstr(legend, "max_live_bytes: ") && strstr(legend, "MiB (") &&
		      strstr(legend, "x)"),
		  "each metric's own figure and its ratio: %s", legend);
	json_decref(j);
	free(text);
	snprintf(page, sizeof(page), "%s/site/index.html", dir);
	text = slurp_file(page);
	cr_assert(text && strstr(text, "<a href=\"o-big-edits.html\">every metric on one chart</a>"));
	free(text);
	rm_rf(dir);
	free(dir);
}

/* Runs a developer measured by hand (`exec`, no target's revision) are listed on the index
 * beside a target's history, newest first, each linked to its page: the site has a run's
 * page only where a page links it, and these would otherwise have none. */
Test(report, runs_measured_by_hand_are_on_the_index, .timeout = 120)
{
	char *dir = scratch_dir(), db[600], bin[600], path[700], why[400] = "";
	snprintf(db, sizeof(db), "%s/r.db", dir);
	put_history(db);
	fixture("target", bin, sizeof(bin));
	struct lb_out o;
	cr_assert_eq(run_lb(&o, dir, "exec", "--db", db, "--repeat", "2", "--", bin, "alloc", "100000", NULL), 0, "%s%s",
		     o.out, o.err);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, dir, "report", "--db", db, "--out", "site", NULL), 0, "%s%s", o.out, o.err);
	cr_assert(strstr(o.out, "(42 runs, 0 of them unchanged"), "the history's 40 and the 2 by hand: %s", o.out);
	lb_out_free(&o);
	char *newest = db_text(db, "SELECT id FROM runs WHERE revision_id IS NULL ORDER BY started_at DESC LIMIT 1"),
	     *older = db_text(db, "SELECT id FROM runs WHERE revision_id IS NULL ORDER BY started_at LIMIT 1");
	snprintf(path, sizeof(path), "%s/site/index.html", dir);
	char *idx = slurp_file(path), a[100], b[100];
	snprintf(a, sizeof(a), "<a href=\"r-%s.html\">%.12s</a>", newest, newest);
	snprintf(b, sizeof(b), "<a href=\"r-%s.html\">%.12s</a>", older, older);
	const char *section = idx ? strstr(idx, "<h2>runs outside a target</h2>") : NULL;
	cr_assert(section && strstr(section, a) && strstr(section, b) && strstr(section, a) < strstr(section, b) &&
			  strstr(section, "target</code>"),
		  "both runs, newest first, with their program: %s", section ? section : idx);
	size_t run_pages = 0;
	snprintf(path, sizeof(path), "%s/site", dir);
	cr_assert_eq(site_check(path, &run_pages, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(run_pages, 42);
	free(idx);
	free(newest);
	free(older);
	rm_rf(dir);
	free(dir);
}

/* A database whose run id is longer than any leakbench writes (damaged, or not leakbench's):
 * the report stops with an error saying so and the site already there is kept. */
Test(report, a_run_id_leakbench_never_writes_stops_the_report_and_keeps_the_site, .timeout = 120)
{
	char *dir = scratch_dir(), db[600], path[700];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	put_history(db);
	struct lb_out o;
	cr_assert_eq(run_lb(&o, dir, "report", "--db", db, "--out", "site", NULL), 0, "%s%s", o.out, o.err);
	lb_out_free(&o);
	sqlite3 *h;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(h,
				  "INSERT INTO runs (id, target_id, revision_id, build_id, environment_id, scenario, program,"
				  " command, status, started_at) SELECT id || 'EXTRA', target_id, revision_id, build_id,"
				  " environment_id, scenario, program, command, status, started_at + 1 FROM runs"
				  " ORDER BY started_at DESC LIMIT 1",
				  NULL, NULL, NULL),
		     SQLITE_OK, "%s", sqlite3_errmsg(h));
	sqlite3_close(h);
	cr_assert_eq(run_lb(&o, dir, "report", "--db", db, "--out", "site", NULL), 3, "%s%s", o.out, o.err);
	cr_assert(strstr(o.err, "a run id longer than 26 characters"), "%s", o.err);
	lb_out_free(&o);
	snprintf(path, sizeof(path), "%s/site/index.html", dir);
	cr_assert(access(path, F_OK) == 0, "the site of the report before is still there");
	snprintf(path, sizeof(path), "ls -d %s/site* | wc -l", dir);
	char *sites = command_output(path);
	cr_assert(sites && atoi(sites) == 1, "no half-written site left beside it: %s", sites);
	free(sites);
	rm_rf(dir);
	free(dir);
}
