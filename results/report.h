/*
 * report.h - the static dashboard: HTML pages with SVG charts drawn by leakbench (the trends
 * by dygraphs, written beside them), from the database alone, readable from a file or any
 * static host (no server, no network).
 *
 *   index.html                 per target and scenario, a small chart per headline metric
 *                              over revisions, flagged changes marked
 *   m-TARGET-SCENARIO-METRIC.html  one metric's trend: every revision (hover: commit,
 *                              subject, value, change; click: the commit), the noise band
 *                              of the current era, changes of level and accepted changes
 *                              marked; the revisions with links to their runs
 *   o-TARGET-SCENARIO.html     every metric of a scenario on one chart, each as times its
 *                              first figure (log axis), a checkbox per metric
 *   regressions.html           what the history flags, with evidence, and the bisections
 *   r-RUNID.html               one run: live bytes and heap over time with the steps
 *                              marked, the census's top closure types as stacked areas, the
 *                              per-step table, expectations, artifacts
 * Every string that comes from a repository or a run is escaped.  The site is written to a
 * temporary folder beside OUT and moved into place, so a crash never leaves half a site.
 */
#ifndef LB_REPORT_H
#define LB_REPORT_H

#include <stddef.h>

#include "base/error.h"
#include "results/store.h"

/* A target's link to its commits: `url` with {sha} (NULL: no links). */
struct report_link {
	const char *target, *url;
};

struct report_summary {
	size_t pages, runs, flagged;
	size_t reused; /* run pages taken over from the site being replaced (unchanged runs) */
};

int report_write(struct store *st, const char *out, const struct report_link *links, size_t n_links,
		 struct report_summary *sum, struct lb_error *err);

/* The file name in the site of the page comparing revision `base` with `cand` ("what
 * grew"), written for every flagged change and every bisection's first bad commit:
 * c-TARGET-SCENARIO-BASE12-CAND12.html. */
void report_compare_name(const char *target, const char *scenario, const char *base, const char *cand, char *out,
			 size_t size);

/* That page alone, written (again) into `dir` (made when missing), its name into `name`:
 * what `check --site` leaves beside a pull request's comparison.  The pages it links to
 * (the dashboard's index) are not there. */
int report_compare_write(struct store *st, const char *dir, const struct report_link *links, size_t n_links,
			 const char *target, const char *scenario, const char *base, const char *cand, char *name,
			 size_t size, struct lb_error *err);

#endif
