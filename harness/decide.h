/*
 * decide.h - is a revision good or bad against a base revision?  Both measured as needed
 * (built, or taken from the cache; runs reused from the store), then judged on metrics
 * (results/judge.h) and on the scenario's expectations; an unclear answer asks for five more
 * runs a side, up to a cap.  What `check` answers once and `bisect` at every step.
 */
#ifndef LB_DECIDE_H
#define LB_DECIDE_H

#include "harness/sweep.h"
#include "results/judge.h"

enum decide_outcome {
	DECIDE_GOOD,
	DECIDE_BAD,
	DECIDE_SKIP,      /* it does not build */
	DECIDE_UNDECIDED, /* still unknown at the repeat cap */
	DECIDE_ERROR,     /* leakbench could not do its part (why says) */
	DECIDE_INTR,
};

struct decide_ctx {
	const struct cfg *cfg;
	const struct cfg_target *t;
	struct rev_repo *repo;
	struct store *st;
	struct sweep_scenario *sc;   /* the scenario; its repeat is the runs a side to begin with */
	struct run_once *once;       /* measurement settings */
	struct sweep_progress *p;
	struct sweep_totals tot;     /* what the measuring cost so far */
	const char *const *metrics;  /* NULL-terminated; NULL: the headline ones */
	int use_metrics, use_expectations;
	int max_repeat;
	const char *trailers;        /* more text whose Metric-Increase lines accept a change (a pull
				      * request's description); may be NULL */
	const char *trailers_from;   /* where it came from, for the verdict's line */
	const struct judge_threshold *thresholds; /* configured */
	size_t n_thresholds;
};

/* What check and bisect set up alike: the config, the target, its one scenario, the
 * measurement settings, the metrics asked for, and the decision context over them (whose
 * repo and st the command fills in once it has opened them). */
struct decide_session {
	struct cfg *cfg;
	const struct cfg_target *t;
	struct sweep_scenario *scs;
	size_t n_sc;
	char *args, **fixed;     /* the target's arguments, split */
	char **metrics;          /* --metric words, NULL-terminated; NULL: the headline ones */
	struct run_once once;
	struct sweep_progress p;
	struct decide_ctx x;
};

/* What check and bisect are asked, from their command lines (or nightly's flags). */
struct decide_opts {
	const char *target, *config, *db, *artifacts;
	char *scenarios;    /* one per line (CLI_LIST); NULL: those meant for the target */
	char *metric_words; /* space separated, checked against the known metrics; may be NULL */
	int repeat, max_repeat;
	int leak;           /* judge the expectations only (no minimum of 5 runs) */
	int many;           /* several scenarios may be chosen (check); else exactly one (bisect) */
	struct measure_cli mc;
};

/* The defaults: max_repeat 20, the measurement's defaults, nothing else given. */
void decide_opts_init(struct decide_opts *o);

/* The option rows check and bisect share, filling a struct decide_opts. */
#define DECIDE_OPTIONS(o)                                                                               \
	OPT_TARGET((o).target),                                                                         \
	{"scenario", CLI_LIST, &(o).scenarios, "NAME", "the scenario (default: the one meant for the target)"}, \
	OPT_CONFIG((o).config), OPT_DB_OF_CONFIG((o).db), OPT_ARTIFACTS((o).artifacts), MEASURE_OPTIONS((o).mc)

/* Returns 0, or -1 after printing why as "leakbench CMD: ...". */
int decide_session_open(struct decide_session *s, const char *cmd, const struct decide_opts *o);
void decide_session_close(struct decide_session *s);

/* `c` against `base`.  *rep (when not NULL) gets the comparison (release it with
 * judge_report_free); `why` one line saying what decided it. */
enum decide_outcome decide_revision(struct decide_ctx *x, const struct rev_commit *base, const struct rev_commit *c,
				    size_t index, struct judge_report *rep, char *why, size_t size);

#endif
