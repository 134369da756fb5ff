/*
 * fetch.c - download, verify, unpack, reuse (see fetch.h).
 */
#include "runners/fetch.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/digest.h"
#include "base/file.h"
#include "runners/exec.h"
#include "runners/http.h"
#include "runners/proc.h"

static int download(const char *url, const char *path, struct lb_error *err)
{
	struct http_lib l;
	if (http_open(&l, err))
		return err->code;
	FILE *f = fopen(path, "wb");
	if (!f) {
		http_close(&l);
		return lb_error_set(err, LB_EIO, "%s: %s", path, strerror(errno));
	}
	CURL *c = l.easy_init();
	char why[CURL_ERROR_SIZE] = "";
	CURLcode cc = CURLE_OUT_OF_MEMORY;
	long code = 0;
	if (c) {
		l.easy_setopt(c, CURLOPT_URL, url);
		l.easy_setopt(c, CURLOPT_WRITEDATA, f); /* the default writer fwrite()s */
		l.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
		l.easy_setopt(c, CURLOPT_FAILONERROR, 1L);
		l.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		l.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
		l.easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L); /* a stalled transfer ends after a minute */
		l.easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
		l.easy_setopt(c, CURLOPT_ERRORBUFFER, why);
		l.easy_setopt(c, CURLOPT_USERAGENT, "leakbench");
		cc = l.easy_perform(c);
		l.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		l.easy_cleanup(c);
	}
	int bad = fclose(f) != 0;
	const char *said = why[0] ? why : l.easy_strerror(cc);
	int rc = 0;
	/* nothing there (HTTP 404, no such file): LB_ENOTFOUND, which a caller may take as "none yet" */
	if (cc == CURLE_FILE_COULDNT_READ_FILE || (cc == CURLE_HTTP_RETURNED_ERROR && code == 404))
		rc = lb_error_set(err, LB_ENOTFOUND, "downloading %s: nothing there (%s)", url, said);
	else if (cc != CURLE_OK)
		rc = lb_error_set(err, LB_EIO, "downloading %s: %s", url, said);
	else if (bad)
		rc = lb_error_set(err, LB_EIO, "%s: %s", path, strerror(errno));
	http_close(&l);
	return rc;
}

int fetch_url(const char *url, const char *path, struct lb_error *err)
{
	char *tmp = file_part_name(path);
	if (!tmp)
		return lb_error_oom(err);
	return file_part_done(tmp, path, download(url, tmp, err), err);
}

/* The only entry of `dir` when it is a folder, else `dir` itself; malloc'ed. */
static char *top(const char *dir)
{
	DIR *d = opendir(dir);
	char *only = NULL;
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			n++;
			free(only);
			only = NULL;
			if (asprintf(&only, "%s/%s", dir, e->d_name) < 0)
				only = NULL;
		}
	if (d)
		closedir(d);
	struct stat sb;
	if (n == 1 && only && stat(only, &sb) == 0 && S_ISDIR(sb.st_mode))
		return only;
	free(only);
	return strdup(dir);
}

int fetch_tarball(const char *cache, const char *url, const char *sha256, char **tree, struct lb_error *err)
{
	*tree = NULL;
	char sha[LB_DIGEST_HEX + 1];
	for (int i = 0; i < 64; i++)
		sha[i] = (char)tolower((unsigned char)sha256[i]);
	sha[64] = '\0';
	char *base = NULL, *final = NULL, *part = NULL, *tmp = NULL, *unpacked = NULL, *inner = NULL, *staged = NULL;
	int rc = 0;
	if (asprintf(&base, "%s/codebases", cache) < 0 || asprintf(&final, "%s/%s", base, sha) < 0 ||
	    asprintf(&part, "%s/.%s.part-%d", base, sha, (int)getpid()) < 0 ||
	    asprintf(&tmp, "%s/.%s.tmp-%d", base, sha, (int)getpid()) < 0 || asprintf(&unpacked, "%s/unpacked", tmp) < 0 ||
	    asprintf(tree, "%s/tree", final) < 0) {
		rc = lb_error_oom(err);
		goto out;
	}
	struct stat sb;
	if (stat(*tree, &sb) == 0 && S_ISDIR(sb.st_mode))
		goto out; /* fetched before */
	if ((rc = file_mkdirs(unpacked, err)) || (rc = download(url, part, err)))
		goto out;
	char got[LB_DIGEST_HEX + 1];
	if ((rc = digest_file(part, got, NULL, err)))
		goto out;
	if (strcmp(got, sha)) {
		rc = lb_error_set(err, LB_EINVAL, "%s: checksum mismatch: expected sha256=%s, the download has sha256=%s",
				  url, sha, got);
		goto out;
	}
	/* tar knows gzip, xz, bzip2 and zstd by their first bytes */
	char *argv[] = {"tar", "-xf", part, "-C", unpacked, "--no-same-owner", NULL};
	struct proc_spec spec = {.argv = argv, .timeout_s = 600};
	struct proc_result pr;
	if ((rc = proc_run(&spec, &pr, err)))
		goto out;
	int ok = pr.end == PROC_EXITED && pr.exit_code == 0;
	proc_result_free(&pr);
	if (!ok) {
		rc = lb_error_set(err, LB_EINVAL, "%s: not a tarball tar can unpack", url);
		goto out;
	}
	if (!(inner = top(unpacked)) || asprintf(&staged, "%s/tree", tmp) < 0) {
		rc = lb_error_oom(err);
		goto out;
	}
	if (rename(inner, staged) < 0 || rename(tmp, final) < 0) {
		if (stat(*tree, &sb) == 0) /* another leakbench got there first: theirs is as good */
			goto out;
		rc = lb_error_set(err, LB_EIO, "%s: %s", final, strerror(errno));
	}
out:
	if (part)
		unlink(part);
	if (tmp)
		file_remove_tree(tmp);
	if (rc) {
		free(*tree);
		*tree = NULL;
	}
	free(base), free(final), free(part), free(tmp), free(unpacked), free(inner), free(staged);
	return rc;
}
