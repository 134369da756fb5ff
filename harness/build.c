/*
 * build.c - building a revision with its target's recipe, once per cache key.
 *
 * Layout under CACHE/builds/KEY/: out/ (what the recipe produced), build.log, and `result`,
 * written last and atomically ("ok SECONDS HASH" or "failed SECONDS WHY"): a build that was
 * interrupted has no result and is redone.  The checkout it was built from is removed
 * afterwards (a GHC tree is large); the log stays.
 */
#include "harness/build.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "base/digest.h"
#include "base/file.h"
#include "base/text.h"
#include "runners/exec.h"
#include "runners/proc.h"

void build_result_free(struct build_result *res)
{
	free(res->binary);
	free(res->log);
	free(res->why);
	memset(res, 0, sizeof(*res));
}

/* The recipe with {src}, {out} and {jobs} filled in (paths quoted as shell words). */
static char *fill_recipe(const char *recipe, const char *src, const char *out)
{
	char jobs[16], *qs = NULL, *qo = NULL;
	snprintf(jobs, sizeof(jobs), "%ld", sysconf(_SC_NPROCESSORS_ONLN) > 0 ? sysconf(_SC_NPROCESSORS_ONLN) : 1);
	char *a = NULL, *b = NULL, *c = NULL;
	if ((qs = text_shell_quote(src)) && (qo = text_shell_quote(out)) && (a = text_replace(recipe, "{src}", qs)) &&
	    (b = text_replace(a, "{out}", qo)))
		c = text_replace(b, "{jobs}", jobs);
	free(qs);
	free(qo);
	free(a);
	free(b);
	return c;
}

static int read_result(const char *dir, struct build_result *res, struct lb_error *err)
{
	char *path, *text;
	if (asprintf(&path, "%s/result", dir) < 0)
		return lb_error_oom(err);
	text = file_read(path, 0, NULL, NULL);
	free(path);
	if (!text)
		return 0; /* not built (or interrupted) */
	char word[16] = "", rest[600] = "";
	double secs = 0;
	int n = sscanf(text, "%15s %lf %599[^\n]", word, &secs, rest);
	free(text);
	if (n < 2)
		return 0;
	res->cached = 1;
	res->seconds = secs;
	res->ok = !strcmp(word, "ok");
	res->timed_out = !strcmp(word, "timeout");
	if (res->ok)
		snprintf(res->binary_hash, sizeof(res->binary_hash), "%.64s", rest);
	else if (!(res->why = strdup(rest)))
		return lb_error_oom(err);
	return 1;
}

static int write_result(const char *dir, const struct build_result *res, struct lb_error *err)
{
	char *path, *tmp;
	if (asprintf(&path, "%s/result", dir) < 0)
		return lb_error_oom(err);
	if (asprintf(&tmp, "%s.tmp", path) < 0) {
		free(path);
		return lb_error_oom(err);
	}
	FILE *f = fopen(tmp, "w");
	int rc = 0;
	if (!f || fprintf(f, "%s %.3f %s\n", res->ok ? "ok" : res->timed_out ? "timeout" : "failed", res->seconds,
			  res->ok ? res->binary_hash : res->why ? res->why : "") < 0 ||
	    fclose(f) != 0 || rename(tmp, path) < 0)
		rc = lb_error_set(err, LB_EIO, "writing %s: %s", path, strerror(errno));
	free(path);
	free(tmp);
	return rc;
}

/* The last non-empty line of the log, for a failed build's one-line reason. */
static void last_line(const char *log, char *buf, size_t size)
{
	char *text = file_read(log, 0, NULL, NULL);
	buf[0] = '\0';
	if (!text)
		return;
	char *end = text + strlen(text);
	while (end > text && (end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	char *start = strrchr(text, '\n');
	snprintf(buf, size, "%.300s", start ? start + 1 : text);
	free(text);
}

/* The line of a build log that says why it failed: the first one naming an error (with the
 * next line when it only says "error:", as GHC's do), else the last line. */
static void telling_line(const char *log, char *buf, size_t size)
{
	char *text = file_read(log, 0, NULL, NULL);
	buf[0] = '\0';
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!strcasestr(line, "error"))
			continue;
		const char *more = next ? next + strspn(next, " \t") : "";
		size_t len = strlen(line);
		int bare = len >= 6 && strcmp(line + len - 6, "error:") == 0;
		snprintf(buf, size, "%.200s%s%.*s", line, bare ? " " : "", bare ? (int)strcspn(more, "\n") : 0, more);
		break;
	}
	free(text);
	if (!buf[0])
		last_line(log, buf, size);
}

/* Wait for the key's lock (another leakbench may be building it), within the build timeout. */
static int take_lock(const char *path, double timeout, int *fd, struct lb_error *err)
{
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (*fd < 0)
		return lb_error_set(err, LB_EIO, "%s: %s", path, strerror(errno));
	struct timespec nap = {0, 200 * 1000 * 1000};
	for (double waited = 0; flock(*fd, LOCK_EX | LOCK_NB) < 0; waited += 0.2) {
		if (errno != EWOULDBLOCK || waited > timeout) {
			close(*fd);
			*fd = -1;
			return lb_error_set(err, LB_ETIMEOUT, "%s: another leakbench held the build lock for %.0fs", path,
					    waited);
		}
		nanosleep(&nap, NULL);
	}
	return 0;
}

/* The recipe runs holding the build's lock (`lock_fd`, inherited): a build process that
 * outlives leakbench keeps the lock until it ends, so no other leakbench builds into the
 * same folder meanwhile. */
static int run_recipe(const struct build_req *q, const char *src, const char *out, int lock_fd,
		      struct build_result *res, struct lb_error *err)
{
	char *cmd = fill_recipe(q->recipe, src, out), *script = NULL;
	size_t n_env = 0;
	while (q->env && q->env[n_env])
		n_env++;
	char **argv = calloc(n_env + 5, sizeof(char *));
	if (!cmd || !argv || asprintf(&script, "exec 2>&1\n%s", cmd) < 0) {
		free(cmd);
		free(argv);
		return lb_error_oom(err);
	}
	size_t k = 0;
	argv[k++] = "env";
	for (size_t i = 0; i < n_env; i++)
		argv[k++] = q->env[i];
	argv[k++] = "/bin/sh";
	argv[k++] = "-c";
	argv[k++] = script;
	struct proc_spec spec = {.argv = argv, .stdout_path = res->log, .cwd = src, .timeout_s = q->timeout,
				 .hold_fd = lock_fd};
	struct proc_result pr;
	int rc = proc_run(&spec, &pr, err);
	if (!rc) {
		res->seconds = pr.wall_s;
		res->timed_out = pr.end == PROC_TIMEOUT;
		res->ok = pr.end == PROC_EXITED && pr.exit_code == 0;
		char line[400], why[600];
		telling_line(res->log, line, sizeof(line));
		char *prefix = NULL, *shorter = NULL; /* paths in the checkout read better relative */
		if (asprintf(&prefix, "%s/", src) >= 0 && (shorter = text_replace(line, prefix, "")))
			snprintf(line, sizeof(line), "%s", shorter);
		free(prefix);
		free(shorter);
		if (res->timed_out)
			snprintf(why, sizeof(why), "the build ran out of its %.0fs", q->timeout);
		else if (!res->ok)
			snprintf(why, sizeof(why), "the build command failed (%s %d)%s%s",
				 pr.end == PROC_EXITED ? "exit status" : "signal",
				 pr.end == PROC_EXITED ? pr.exit_code : pr.signal, line[0] ? ": " : "", line);
		if (!res->ok && !(res->why = strdup(why)))
			rc = lb_error_oom(err);
		proc_result_free(&pr);
	}
	free(script);
	free(cmd);
	free(argv);
	return rc;
}

int build_get(const struct build_req *q, struct rev_repo *r, const struct rev_commit *c, struct build_result *res,
	      struct lb_error *err)
{
	memset(res, 0, sizeof(*res));
	char *keytext = NULL, *dir = NULL, *lock = NULL, *src = NULL, *out = NULL;
	int fd = -1, rc;
	/* fields apart by the unit separator, which none of them contains */
	if (asprintf(&keytext, "%s\x1f%s\x1f%s\x1f%s", q->target, c->tree, q->toolchain ? q->toolchain : "",
		     q->recipe) < 0)
		return lb_error_oom(err);
	rc = digest_buffer(keytext, strlen(keytext), res->key, err);
	free(keytext);
	if (rc)
		return rc;
	if (asprintf(&dir, "%s/builds/%s", q->cache, res->key) < 0 || asprintf(&lock, "%s.lock", dir) < 0 ||
	    asprintf(&src, "%s/src", dir) < 0 || asprintf(&out, "%s/out", dir) < 0 ||
	    asprintf(&res->log, "%s/build.log", dir) < 0 || asprintf(&res->binary, "%s/%s", out, q->program) < 0) {
		rc = lb_error_oom(err);
		goto done;
	}
	if ((rc = file_mkdirs(dir, err)) || (rc = take_lock(lock, q->timeout, &fd, err)))
		goto done;
	if ((rc = read_result(dir, res, err)) != 0) {
		rc = rc < 0 ? rc : 0; /* built before (ok or failed) */
		goto done;
	}
	/* a fresh start: whatever an interrupted build left goes */
	file_remove_tree(src);
	file_remove_tree(out);
	if ((rc = rev_checkout(r, c, src, err)) || (rc = file_mkdirs(out, err)) ||
	    (rc = run_recipe(q, src, out, fd, res, err)))
		goto done;
	if (res->ok && access(res->binary, X_OK) != 0) {
		res->ok = 0;
		if (asprintf(&res->why, "the build command succeeded but left no program %s in {out}", q->program) < 0)
			res->why = NULL;
	}
	if (res->ok && (rc = digest_file(res->binary, res->binary_hash, NULL, err)))
		goto done;
	rc = write_result(dir, res, err);
	file_remove_tree(src);
done:
	if (fd >= 0)
		close(fd); /* releases the lock */
	if (!rc && !res->ok) {
		free(res->binary);
		res->binary = NULL;
	}
	free(dir);
	free(lock);
	free(src);
	free(out);
	if (rc)
		build_result_free(res);
	return rc;
}
