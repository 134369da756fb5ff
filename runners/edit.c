/*
 * edit.c - file edits with revert.
 *
 * Edits write only inside the run's copy of the codebase: the parser keeps paths relative
 * and free of "..", and before each edit the path is resolved (symbolic links followed, as
 * the write would follow them) and refused when it lands outside the copy.  A codebase may
 * hold links (`link.hs -> /elsewhere/x`, `sub -> /elsewhere`); the copy keeps them as links,
 * so without this check an edit would write through them into the user's files.
 */
#include "runners/edit.h"

#include "base/file.h"

#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct original {
	char *path;
	char *text; /* NULL: the file did not exist before */
	size_t len;
};

struct edit_book {
	struct original *files;
	size_t n;
};

static int write_all(const char *path, const char *a, size_t alen, const char *b, size_t blen,
		     const char *c, size_t clen, struct lb_error *err)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return lb_error_set(err, LB_EIO, "cannot write %s: %s", path, strerror(errno));
	int ok = fwrite(a, 1, alen, f) == alen && fwrite(b, 1, blen, f) == blen &&
		 fwrite(c, 1, clen, f) == clen;
	if (fclose(f) != 0 || !ok)
		return lb_error_set(err, LB_EIO, "writing %s failed", path);
	return 0;
}

void edit_book_free(struct edit_book *book)
{
	if (!book)
		return;
	for (size_t i = 0; i < book->n; i++) {
		free(book->files[i].path);
		free(book->files[i].text);
	}
	free(book->files);
	free(book);
}

/* The original of `path`, remembering it now if this is its first edit. */
static struct original *original_of(struct edit_book *book, const char *path, struct lb_error *err)
{
	for (size_t i = 0; i < book->n; i++)
		if (strcmp(book->files[i].path, path) == 0)
			return &book->files[i];
	struct original *p = realloc(book->files, (book->n + 1) * sizeof(*p));
	if (!p) {
		lb_error_oom(err);
		return NULL;
	}
	book->files = p;
	struct original *o = &p[book->n];
	o->len = 0;
	o->text = file_read(path, 0, &o->len, NULL);
	o->path = strdup(path);
	if (!o->path) {
		free(o->text);
		lb_error_oom(err);
		return NULL;
	}
	book->n++;
	return o;
}

/* Whether `path` (ROOT/FILE) resolves inside `root`: the path itself when it exists,
 * otherwise the nearest folder above it that does (a `write` may create the file). */
static int check_inside(const char *root, const char *path, const char *file, struct lb_error *err)
{
	char real_root[PATH_MAX], real[PATH_MAX], *p = strdup(path);
	if (!p)
		return lb_error_oom(err);
	if (!realpath(root, real_root)) {
		free(p);
		return lb_error_set(err, LB_EIO, "the codebase %s: %s", root, strerror(errno));
	}
	int found;
	while (!(found = realpath(p, real) != NULL) && errno == ENOENT) {
		char *slash = strrchr(p, '/');
		if (!slash || slash == p)
			break;
		*slash = '\0';
	}
	free(p);
	size_t n = strlen(real_root);
	if (found && !strncmp(real, real_root, n) && (real[n] == '/' || real[n] == '\0'))
		return 0;
	return lb_error_set(err, LB_EINVAL,
			    found ? "cannot edit %s: it resolves to %s, outside the run's copy of the codebase (a symbolic"
				    " link); edits never write outside the copy"
				  : "cannot edit %s: %s",
			    file, found ? real : strerror(errno));
}

int edit_apply(struct edit_book **book, const char *root, const struct scn_step *s,
	       struct lb_error *err)
{
	if (!*book && !(*book = calloc(1, sizeof(**book))))
		return lb_error_oom(err);
	char *path;
	if (asprintf(&path, "%s/%s", root, s->file) < 0)
		return lb_error_oom(err);
	int rc = check_inside(root, path, s->file, err);
	struct original *o = rc ? NULL : original_of(*book, path, err);
	size_t len = 0;
	char *cur = NULL;
	if (!o) {
		rc = rc ? rc : err->code;
		goto done;
	}
	if (s->edit == SCN_EDIT_REVERT) {
		if (o->text)
			rc = write_all(path, o->text, o->len, "", 0, "", 0, err);
		else if (remove(path) < 0 && errno != ENOENT)
			rc = lb_error_set(err, LB_EIO, "cannot remove %s: %s", s->file,
					  strerror(errno));
		goto done;
	}
	if (s->edit == SCN_EDIT_WRITE) {
		rc = write_all(path, s->text, strlen(s->text), "", 0, "", 0, err);
		goto done;
	}
	cur = file_read(path, 0, &len, NULL);
	if (!cur) {
		rc = lb_error_set(err, LB_EINVAL, "cannot edit %s: %s", s->file,
				  strerror(errno));
		goto done;
	}
	if (s->edit == SCN_EDIT_APPEND) {
		rc = write_all(path, cur, len, s->text, strlen(s->text), "", 0, err);
	} else if (s->edit == SCN_EDIT_INSERT) {
		/* before line N: after the (N-1)th newline */
		size_t at = 0;
		for (int line = 1; line < s->edit_line; line++) {
			const char *nl = memchr(cur + at, '\n', len - at);
			if (!nl) {
				rc = lb_error_set(err, LB_EINVAL, "%s has fewer than %d lines", s->file,
						  s->edit_line - 1);
				goto done;
			}
			at = (size_t)(nl - cur) + 1;
		}
		rc = write_all(path, cur, at, s->text, strlen(s->text), cur + at, len - at, err);
	} else { /* replace the first match */
		regex_t re;
		/* REG_NEWLINE: ^ and $ match at every line, as one expects of source files */
		int rerr = regcomp(&re, s->regex, REG_EXTENDED | REG_NEWLINE);
		if (rerr) {
			char msg[200];
			regerror(rerr, &re, msg, sizeof(msg));
			rc = lb_error_set(err, LB_EINVAL, "bad regex /%s/: %s", s->regex, msg);
			goto done;
		}
		regmatch_t m;
		if (regexec(&re, cur, 1, &m, 0) != 0)
			rc = lb_error_set(err, LB_EINVAL, "/%s/ matches nothing in %s", s->regex, s->file);
		else
			rc = write_all(path, cur, (size_t)m.rm_so, s->text, strlen(s->text), cur + m.rm_eo,
				       len - (size_t)m.rm_eo, err);
		regfree(&re);
	}
done:
	free(cur);
	free(path);
	return rc;
}
