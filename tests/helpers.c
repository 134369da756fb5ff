/*
 * helpers.c - test support.  Everything here uses real processes and real files.
 */
#include "tests/helpers.h"
#include "results/record.h"

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <git2.h>
#include <jansson.h>
#include <ftw.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runners/proc.h"

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);
	return v && *v ? v : fallback;
}

const char *fixture(const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", env_or("LEAKBENCH_FIXTURES", "build/fixtures"), name);
	cr_assert(access(buf, X_OK) == 0, "fixture %s is missing: run `make fixtures`", buf);
	return buf;
}

const char *testdata(const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", env_or("LEAKBENCH_TESTDATA", "tests/data"), name);
	return buf;
}

char *scratch_dir(void)
{
	char tmpl[] = "/tmp/leakbench-test-XXXXXX";
	cr_assert(mkdtemp(tmpl), "mkdtemp failed");
	return strdup(tmpl);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void rm_rf(const char *path)
{
	if (path)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *slurp_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	size_t got = fread(buf, 1, (size_t)n, f);
	buf[got] = '\0';
	fclose(f);
	return buf;
}

int ci_step(const char *workflow, const char *job, const char *step, const char *cwd, char **out)
{
	char cmd[3000], path[700];
	const char *root = getenv("LEAKBENCH_ROOT");
	snprintf(cmd, sizeof(cmd), "cd '%s' && python3 '%s/tests/ci_step.py' '%s/ci/github/%s' '%s' '%s' > step.sh", cwd,
		 root, root, workflow, job, step);
	if (system(cmd) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && GITHUB_OUTPUT='%s/output' GITHUB_STEP_SUMMARY='%s/summary.md' GITHUB_SERVER_URL=https://github.com "
		 "GITHUB_REPOSITORY=example/hls GITHUB_RUN_ID=42 bash --noprofile --norc -eo pipefail step.sh > step.out 2>&1",
		 cwd, cwd, cwd);
	int status = system(cmd);
	snprintf(path, sizeof(path), "%s/step.out", cwd);
	if (out)
		*out = slurp_file(path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

char *command_output(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	if (!p)
		return NULL;
	char *buf = NULL;
	size_t len = 0, cap = 0, got;
	char chunk[4096];
	while ((got = fread(chunk, 1, sizeof(chunk), p)) > 0) {
		if (len + got + 1 > cap) {
			cap = (len + got + 1) * 2;
			char *grown = realloc(buf, cap);
			if (!grown) {
				free(buf);
				pclose(p);
				return NULL;
			}
			buf = grown;
		}
		memcpy(buf + len, chunk, got);
		len += got;
	}
	pclose(p);
	if (buf)
		buf[len] = '\0';
	return buf ? buf : calloc(1, 1);
}

int chromium(const char *what, const char *url, const char *out)
{
	char cmd[4000];
	snprintf(cmd, sizeof(cmd),
		 "timeout 90 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,700 "
		 "%s '%s' > '%s' 2>/dev/null",
		 what, url, out);
	return system(cmd);
}

int trend_points(const char *page, int mark, int *marked)
{
	const char *tag = "<script id=\"trend-data\" type=\"application/json\">";
	const char *a = page ? strstr(page, tag) : NULL, *b = a ? strstr(a, "</script>") : NULL;
	*marked = 0;
	if (!a || !b)
		return -1;
	a += strlen(tag);
	json_t *d = json_loadb(a, (size_t)(b - a), 0, NULL);
	json_t *points = json_object_get(d, "points"), *meta = json_object_get(d, "meta");
	int n = points ? (int)json_array_size(points) : -1;
	for (size_t i = 0; i < json_array_size(meta); i++)
		*marked += json_integer_value(json_array_get(json_array_get(meta, i), 4)) == mark;
	json_decref(d);
	return n;
}

/* argv for the leakbench under test: its path, then `args`. */
static void lb_argv(char *argv[64], char *const *args)
{
	size_t n = 0;
	argv[n++] = (char *)env_or("LEAKBENCH_BIN", "./leakbench");
	for (size_t i = 0; args[i] && n < 63; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
}

int run_lbv(struct lb_out *o, const char *cwd, char *const *args)
{
	char *argv[64];
	lb_argv(argv, args);
	char outp[] = "/tmp/lb-out-XXXXXX", errp[] = "/tmp/lb-err-XXXXXX";
	close(mkstemp(outp));
	close(mkstemp(errp));
	struct proc_spec spec = {.argv = argv, .stdout_path = outp, .stderr_path = errp,
				 .cwd = cwd, .timeout_s = 300};
	struct proc_result res;
	struct lb_error err = {0};
	cr_assert_eq(proc_run(&spec, &res, &err), 0, "running leakbench: %s", err.msg);
	o->code = res.end == PROC_EXITED ? res.exit_code : 128 + res.signal;
	proc_result_free(&res);
	o->out = slurp_file(outp);
	o->err = slurp_file(errp);
	unlink(outp);
	unlink(errp);
	return o->code;
}

int run_lb(struct lb_out *o, const char *cwd, ...)
{
	char *args[64];
	size_t n = 0;
	va_list ap;
	va_start(ap, cwd);
	char *a;
	while ((a = va_arg(ap, char *)) && n < 63)
		args[n++] = a;
	va_end(ap);
	args[n] = NULL;
	return run_lbv(o, cwd, args);
}

void lb_out_free(struct lb_out *o)
{
	free(o->out);
	free(o->err);
	o->out = o->err = NULL;
}

pid_t spawn_lb(const char *dir, const char *tag, char *const *args)
{
	char *argv[64];
	lb_argv(argv, args);
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.out", dir, tag);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* The first column of the first row, as text (malloc'ed) or, when `num`, as a number. */
static char *db_first(const char *db, const char *sql, double *num)
{
	sqlite3 *h;
	char *text = NULL;
	if (num)
		*num = NAN;
	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
		sqlite3_stmt *s;
		sqlite3_busy_timeout(h, 10000);
		if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK) {
			if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
				if (num)
					*num = sqlite3_column_double(s, 0);
				else
					text = strdup((const char *)sqlite3_column_text(s, 0));
			}
			sqlite3_finalize(s);
		}
	}
	sqlite3_close(h);
	return text;
}

double db_scalar(const char *db, const char *sql)
{
	double v;
	db_first(db, sql, &v);
	return v;
}

char *db_text(const char *db, const char *sql)
{
	char *t = db_first(db, sql, NULL);
	return t ? t : strdup("");
}

/* How many commits HEAD has behind it (0 in an empty repository): each new one is dated a
 * minute after the one before, so history's dates go forward. */
static int commits_made(git_repository *repo)
{
	git_revwalk *w;
	git_oid oid;
	int n = 0;
	if (git_revwalk_new(&w, repo) < 0)
		return 0;
	if (git_revwalk_push_head(w) == 0)
		while (git_revwalk_next(&oid, w) == 0)
			n++;
	git_revwalk_free(w);
	return n;
}

void git_commit_file(git_repository *repo, const char *msg, const char *name, const char *text, char sha[41])
{
	git_oid blob, tree_id, id;
	git_treebuilder *tb;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	git_reference *head = NULL;
	if (git_repository_head(&head, repo) == 0)
		cr_assert_eq(git_commit_lookup(&parent, repo, git_reference_target(head)), 0);
	if (parent)
		cr_assert_eq(git_commit_tree(&tree, parent), 0);
	cr_assert_eq(git_treebuilder_new(&tb, repo, tree), 0);
	cr_assert_eq(git_blob_create_from_buffer(&blob, repo, text, strlen(text)), 0);
	cr_assert_eq(git_treebuilder_insert(NULL, tb, name, &blob, GIT_FILEMODE_BLOB), 0);
	cr_assert_eq(git_treebuilder_write(&tree_id, tb), 0);
	git_tree *new_tree;
	cr_assert_eq(git_tree_lookup(&new_tree, repo, &tree_id), 0);
	git_signature *sig;
	cr_assert_eq(git_signature_new(&sig, "Test Author", "t@example.org", 1700000000 + 60 * (git_time_t)commits_made(repo), 0), 0);
	const git_commit *parents[] = {parent};
	cr_assert_eq(git_commit_create(&id, repo, "HEAD", sig, sig, NULL, msg, new_tree, parent ? 1 : 0, parents), 0);
	if (sha)
		git_oid_tostr(sha, 41, &id);
	git_signature_free(sig);
	git_tree_free(new_tree);
	git_tree_free(tree);
	git_treebuilder_free(tb);
	git_commit_free(parent);
	git_reference_free(head);
}


/* Listen on 127.0.0.1 (any port), fork; the child accepts connections for good, writes each
 * request to DIR/request-N.txt and lets `answer` reply.  The parent gets the child's pid. */
static pid_t serve(const char *dir, int *port, void (*answer)(int c, int n, const char *req, const void *arg),
		   const void *arg)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert(s >= 0);
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = 0};
	cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(s, 16), 0);
	socklen_t len = sizeof(a);
	getsockname(s, (struct sockaddr *)&a, &len);
	*port = ntohs(a.sin_port);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid) {
		close(s);
		return pid;
	}
	for (int n = 0;; n++) {
		int c = accept(s, NULL, NULL);
		if (c < 0)
			_exit(0);
		char buf[65536];
		size_t got = 0;
		long want = -1;
		char *body = NULL;
		while (got < sizeof(buf) - 1) {
			ssize_t r = read(c, buf + got, sizeof(buf) - 1 - got);
			if (r <= 0)
				break;
			got += (size_t)r;
			buf[got] = '\0';
			if (!body && (body = strstr(buf, "\r\n\r\n"))) {
				body += 4;
				char *cl = strcasestr(buf, "Content-Length:");
				want = cl ? strtol(cl + 15, NULL, 10) : 0;
			}
			if (body && (long)(got - (size_t)(body - buf)) >= want)
				break;
		}
		char path[700];
		snprintf(path, sizeof(path), "%s/request-%d.txt", dir, n);
		FILE *f = fopen(path, "w");
		if (f) {
			fwrite(buf, 1, got, f);
			fclose(f);
		}
		answer(c, n, buf, arg);
		close(c);
	}
}

struct status_plan {
	int fail_first, fail_status;
};

static void answer_status(int c, int n, const char *req, const void *arg)
{
	(void)req;
	const struct status_plan *p = arg;
	char answer[200];
	snprintf(answer, sizeof(answer), "HTTP/1.1 %d %s\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno",
		 n < p->fail_first ? p->fail_status : 200, n < p->fail_first ? "Failed" : "OK");
	(void)!write(c, answer, strlen(answer));
}

pid_t http_server(const char *dir, int fail_first, int fail_status, int *port)
{
	struct status_plan plan = {fail_first, fail_status}; /* the child has its own copy */
	return serve(dir, port, answer_status, &plan);
}

static void answer_file(int c, int n, const char *req, const void *arg)
{
	(void)n;
	char name[300] = "", path[900];
	sscanf(req, "GET /%299s", name);
	int cut = !strncmp(name, "cut/", 4);
	snprintf(path, sizeof(path), "%s/%s", (const char *)arg, cut ? name + 4 : name);
	char *data = NULL;
	size_t len = 0;
	FILE *f = strstr(name, "..") ? NULL : fopen(path, "rb");
	if (f) {
		fseek(f, 0, SEEK_END);
		len = (size_t)ftell(f);
		fseek(f, 0, SEEK_SET);
		data = malloc(len + 1);
		len = data ? fread(data, 1, len, f) : 0;
		fclose(f);
	}
	char head[200];
	if (!data)
		snprintf(head, sizeof(head), "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
	else
		snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", len);
	(void)!write(c, head, strlen(head));
	if (data)
		(void)!write(c, data, cut ? len / 2 : len); /* /cut/: the promised length, half of it sent */
	free(data);
}

pid_t http_file_server(const char *serve_dir, const char *log_dir, int *port)
{
	return serve(log_dir, port, answer_file, serve_dir);
}

int procs_with(const char *needle)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int alive = 0;
	while (d && (de = readdir(d)))
		if (de->d_name[0] >= '0' && de->d_name[0] <= '9') {
			char p[300], buf[4096] = "";
			snprintf(p, sizeof(p), "/proc/%s/cmdline", de->d_name);
			FILE *f = fopen(p, "r");
			if (!f)
				continue;
			size_t n = fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
			for (size_t i = 0; i < n; i++)
				if (!buf[i])
					buf[i] = ' ';
			alive += strstr(buf, needle) != NULL;
		}
	if (d)
		closedir(d);
	return alive;
}

void test_stored_run(struct lb_run *r, const char *sha, double started_at)
{
	struct lb_error err = {0};
	cr_assert_eq(record_init(r, &err), 0);
	r->env = (struct lb_environment){.host = strdup("h"), .kernel = strdup("k"), .cpu_model = strdup("c"),
					 .cores = 2, .mem_bytes = 1LL << 33, .ghc_version = strdup("9.0.2"),
					 .rts_way = strdup("rts_thr"), .leakbench_version = strdup("test")};
	strcpy(r->env.fingerprint, "00000000000000aa");
	r->program = strdup("./server");
	r->command = strdup("[\"./server\"]");
	r->rts_flags = strdup("");
	r->scenario = strdup("edits");
	r->target = strdup("demo");
	r->revision = strdup(sha);
	r->started_at = started_at;
}

/* The names a page links, one per line appended to *names: relative href="..." targets,
 * their #fragment cut. */
static int page_links(const char *dir, const char *page, char **names, size_t *len, char *why, size_t size)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/%s", dir, page);
	char *text = slurp_file(path);
	int bad = 0;
	for (const char *c = text; c && (c = strstr(c, "href=\"")); ) {
		c += 6;
		size_t n = strcspn(c, "\"#"), all = strcspn(c, "\"");
		if (n && !memchr(c, ':', n) && n < 600) {
			char target[1300];
			snprintf(target, sizeof(target), "%s/%.*s", dir, (int)n, c);
			if (access(target, F_OK) != 0 && bad++ == 0)
				snprintf(why, size, "%s links %.*s, which the site does not have", page, (int)n, c);
			*names = realloc(*names, *len + n + 2);
			memcpy(*names + *len, c, n);
			*len += n;
			(*names)[(*len)++] = '\n';
			(*names)[*len] = 0;
		}
		c += all;
	}
	free(text);
	return bad;
}

int site_check(const char *dir, size_t *run_pages, char *why, size_t size)
{
	DIR *d = opendir(dir);
	if (!d) {
		snprintf(why, size, "%s: %s", dir, strerror(errno));
		return 1;
	}
	char *names = strdup("\n"), scratch[200]; /* "\nNAME\nNAME\n": a name is found as "\nNAME\n" */
	size_t len = 1;
	int bad = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strstr(e->d_name, ".html"))
			bad += page_links(dir, e->d_name, &names, &len, bad ? scratch : why, bad ? sizeof(scratch) : size);
	rewinddir(d);
	*run_pages = 0;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "r-", 2) || !strstr(e->d_name, ".html"))
			continue;
		++*run_pages;
		char line[300];
		snprintf(line, sizeof(line), "\n%s\n", e->d_name);
		if (!strstr(names, line) && bad++ == 0)
			snprintf(why, size, "nothing links the run page %s", e->d_name);
	}
	closedir(d);
	free(names);
	return bad;
}
