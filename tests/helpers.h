/*
 * helpers.h - what the tests share: where the built leakbench and the GHC fixtures are,
 * running leakbench as a user would (real process, captured output and exit status),
 * scratch directories, reading files.  Paths come from the environment `make test` sets.
 */
#ifndef LB_TEST_HELPERS_H
#define LB_TEST_HELPERS_H

#include <stddef.h>
#include <sys/types.h>

/* $LEAKBENCH_FIXTURES/<name>: a compiled GHC fixture. */
const char *fixture(const char *name, char *buf, size_t size);
/* $LEAKBENCH_TESTDATA/<name>: a hand-written data file. */
const char *testdata(const char *name, char *buf, size_t size);

/* A fresh directory under /tmp; its path is malloc'ed.  rm_rf removes it. */
char *scratch_dir(void);
void rm_rf(const char *path);

/* The whole file, NUL-terminated, malloc'ed; NULL when it cannot be read. */
char *slurp_file(const char *path);
/* What a shell command writes to stdout, NUL-terminated, malloc'ed; NULL when it cannot run. */
char *command_output(const char *cmd);
/* The data of a trend page (the JSON in its <script id="trend-data">), parsed; how many
 * points it has and how many of them are marked `mark` (1 flagged, 2 accepted).  -1 when the
 * page has none. */
int trend_points(const char *page, int mark, int *marked);
/* A site's links checked as a reader would follow them: every relative href="..." of every
 * page names a file in `dir`, and every run page (r-*.html) is linked from some page.
 * Returns how many links or pages fail (the first described in `why`); *run_pages gets how
 * many run pages there are. */
int site_check(const char *dir, size_t *run_pages, char *why, size_t size);
/* A step of one of ci/github's workflows run as GitHub would (bash -eo pipefail, in `cwd`,
 * with the environment of this process; GITHUB_OUTPUT and GITHUB_STEP_SUMMARY are CWD/output
 * and CWD/summary.md): its script read by tests/ci_step.py.  Returns its exit status (-1 when
 * it could not be read); *out (may be NULL) gets what it printed, malloc'ed. */
int ci_step(const char *workflow, const char *job, const char *step, const char *cwd, char **out);
/* Chromium, headless, on `url`: `what` is --dump-dom (the DOM into `out`) or
 * --screenshot=FILE (`out` gets its log); system()'s status. */
int chromium(const char *what, const char *url, const char *out);

struct lb_out {
	int code;     /* exit status; 128+signal if killed */
	char *out;    /* stdout, malloc'ed */
	char *err;    /* stderr, malloc'ed */
};

/* Run $LEAKBENCH_BIN with the NULL-terminated arguments in `cwd` (NULL: here), wait at
 * most 300 s (a sweep builds and runs several revisions).  Returns the exit status. */
int run_lb(struct lb_out *o, const char *cwd, ...);
int run_lbv(struct lb_out *o, const char *cwd, char *const *args);
void lb_out_free(struct lb_out *o);

/* Start leakbench without waiting; returns the pid, output to files in `dir`. */
pid_t spawn_lb(const char *dir, const char *tag, char *const *args);

/* How many processes have `needle` in their command line (a unique argument such as
 * "sleep 301.4242" finds what a test started). */
int procs_with(const char *needle);

/* `sqlite3`-free peek into a database: the first column of the first row of `sql` as a
 * double (NaN if no row). */
double db_scalar(const char *db, const char *sql);
/* The same as text, malloc'ed ("" if no row). */
char *db_text(const char *db, const char *sql);

/* A run record as `demo`'s fixture server's, to store directly (record_init'ed here): a
 * machine "h", GHC 9.0.2, scenario "edits" of revision `sha`, started at `started_at`. */
struct lb_run;
void test_stored_run(struct lb_run *r, const char *sha, double started_at);

/* A real HTTP server on 127.0.0.1 (a child process; kill it when done): each request is
 * written to DIR/request-N.txt (head and body), the first `fail_first` answered with
 * `fail_status`, the rest 200.  *port is where it listens. */
pid_t http_server(const char *dir, int fail_first, int fail_status, int *port);

/* The same serving the files of `serve_dir` (GET /NAME); GET /cut/NAME promises the whole
 * file and sends half, then hangs up.  Requests are logged to log_dir/request-N.txt. */
pid_t http_file_server(const char *serve_dir, const char *log_dir, int *port);

/* A commit on top of HEAD of `repo` (libgit2, no git binary) that sets file `name` to
 * `text`; the other files stay as they were.  Its sha goes to `sha` unless that is NULL. */
typedef struct git_repository git_repository;
void git_commit_file(git_repository *repo, const char *msg, const char *name, const char *text, char sha[41]);

#endif
