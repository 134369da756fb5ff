/*
 * test_fetch.c - `codebase tarball URL sha256=HEX` against a real HTTP server on 127.0.0.1:
 * downloaded once and reused, the checksum enforced (both sums shown), and a download cut
 * short or failing its checksum leaves nothing in the cache.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/digest.h"
#include "tests/helpers.h"

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

static char *scenario(const char *dir, const char *name, int port, const char *path, const char *sha)
{
	char file[700], text[600];
	snprintf(file, sizeof(file), "%s/%s", dir, name);
	snprintf(text, sizeof(text), "runner exec\ncodebase tarball http://127.0.0.1:%d/%s sha256=%s\nrun sub/B.hs\n", port,
		 path, sha);
	FILE *f = fopen(file, "w");
	fputs(text, f);
	fclose(f);
	return strdup(file);
}

Test(fetch, a_tarball_is_fetched_once_checked_and_reused, .timeout = 120)
{
	char *dir = scratch_dir(), cmd[2000], tarball[700], sha[65], path[900];
	snprintf(cmd, sizeof(cmd),
		 "cd %s && mkdir -p www src/proj-1.0/sub && printf 'module A where\\n' > src/proj-1.0/A.hs && "
		 "printf 'module Sub.B where\\nb = 1\\n' > src/proj-1.0/sub/B.hs && tar -czf www/proj.tar.gz -C src proj-1.0",
		 dir);
	cr_assert_eq(system(cmd), 0);
	snprintf(tarball, sizeof(tarball), "%s/www/proj.tar.gz", dir);
	struct lb_error err = {0};
	cr_assert_eq(digest_file(tarball, sha, NULL, &err), 0, "%s", err.msg);
	char www[700];
	snprintf(www, sizeof(www), "%s/www", dir);
	int port;
	pid_t server = http_file_server(www, dir, &port);
	char *good = scenario(dir, "good.scn", port, "proj.tar.gz", sha);
	struct lb_out o;
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(run_lb(&o, dir, "run", "--db", "r.db", "--scenario", good, "--program", "cat", "--no-rts", NULL), 0,
			     "%s%s", o.out, o.err);
		lb_out_free(&o);
	}
	char db[700];
	snprintf(db, sizeof(db), "%s/r.db", dir);
	char *out = db_text(db, "SELECT path FROM artifacts WHERE kind = 'step-001-stdout' LIMIT 1");
	char *printed = slurp_file(out);
	cr_assert(printed && !strcmp(printed, "module Sub.B where\nb = 1\n"), "the run saw the tarball's file: %s", printed);
	free(printed);
	free(out);
	int requests = 0;
	for (;; requests++) {
		snprintf(path, sizeof(path), "%s/request-%d.txt", dir, requests);
		if (access(path, F_OK))
			break;
	}
	cr_assert_eq(requests, 1, "downloaded once, reused the second time");
	snprintf(path, sizeof(path), "%s/.leakbench-cache/codebases/%s/tree/sub/B.hs", dir, sha);
	cr_assert_eq(access(path, R_OK), 0, "unpacked under its checksum, the top folder stripped");

	/* a wrong checksum: both sums named, nothing kept */
	const char *zeros = "0000000000000000000000000000000000000000000000000000000000000000";
	char *wrong = scenario(dir, "wrong.scn", port, "proj.tar.gz", zeros);
	cr_assert_eq(run_lb(&o, dir, "run", "--db", "r.db", "--scenario", wrong, "--program", "cat", "--no-rts", NULL), 2);
	char want[300];
	snprintf(want, sizeof(want), "checksum mismatch: expected sha256=%s, the download has sha256=%s", zeros, sha);
	cr_assert(strstr(o.err, want), "%s", o.err);
	lb_out_free(&o);
	snprintf(path, sizeof(path), "%s/.leakbench-cache/codebases", dir);
	cr_assert_eq(entries(path), 1, "only the good tarball's folder is in the cache");

	/* cut short: an error, and nothing in a fresh cache */
	char *cut = scenario(dir, "cut.scn", port, "cut/proj.tar.gz", sha);
	snprintf(path, sizeof(path), "%s/cache2", dir);
	setenv("LEAKBENCH_CACHE", path, 1);
	cr_assert_eq(run_lb(&o, dir, "run", "--db", "r.db", "--scenario", cut, "--program", "cat", "--no-rts", NULL), 3);
	unsetenv("LEAKBENCH_CACHE");
	cr_assert(strstr(o.err, "downloading http://127.0.0.1:"), "%s", o.err);
	lb_out_free(&o);
	snprintf(path, sizeof(path), "%s/cache2/codebases", dir);
	cr_assert_eq(entries(path), 0, "a cut download leaves nothing");
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	free(good), free(wrong), free(cut);
	rm_rf(dir);
	free(dir);
}
