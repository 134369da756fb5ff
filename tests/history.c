/*
 * history.c - the git history the sweep, check and bisect tests share: the fixture LSP server
 * over eight commits (3 does not build, 5 switches the leak on, 8 changes only a comment),
 * its leakbench.ini and a six-edit scenario whose expectation the leak breaks.
 */
#include "tests/history.h"

#include <criterion/criterion.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "tests/helpers.h"

const char history_config[] =
	"[leakbench]\n"
	"database = full.db\n"
	"cache = cache\n"
	"\n"
	"[target fix]\n"
	"repo = src\n"
	"build = ghc -v0 -O0 -threaded -rtsopts -eventlog -outputdir {out}/o -o {out}/lspfix {src}/lspfix.hs\n"
	"program = lspfix\n"
	"args = --test\n"
	"\n"
	"[scenario edits]\n"
	"file = edits.scn\n";

/* The demo's scenario (demo/edits.scn) is the tests' too: one file, kept true by both. */
void history_write_scenario(const char *dir)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/demo/edits.scn", getenv("LEAKBENCH_ROOT"));
	char *text = slurp_file(path);
	cr_assert(text, "%s", path);
	write_file(dir, "edits.scn", text);
	free(text);
}

void write_file(const char *dir, const char *name, const char *text)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

/* `s` with `from` (which must be there) replaced; frees `s`. */
char *history_swap(char *s, const char *from, const char *to)
{
	cr_assert(strstr(s, from), "the fixture no longer has '%s'", from);
	char *t = text_replace(s, from, to);
	free(s);
	return t;
}

/* README first; then the server over eight commits.  sha[i] is commit i; *last is the
 * server's text at commit 8. */
git_repository *history_make(const char *dir, char sha[9][41], char **last)
{
	char src[600], path[700];
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(path, sizeof(path), "%s/tests/fixtures/lspfix.hs", getenv("LEAKBENCH_ROOT"));
	char *v1 = slurp_file(path);
	cr_assert(v1, "%s", path);
	git_repository *repo;
	cr_assert_eq(git_repository_init(&repo, src, 0), 0);
	git_commit_file(repo, "zero: readme", "README", "the fixture server's history\n", sha[0]);
	const char *name = "\"name\" .= (\"lspfix\" :: T.Text)";
	char *v = strdup(v1);
	git_commit_file(repo, "one: the fixture server", "lspfix.hs", v, sha[1]);
	v = history_swap(v, name, "\"name\" .= (\"lspfix 2\" :: T.Text)");
	git_commit_file(repo, "two: a version in serverInfo", "lspfix.hs", v, sha[2]);
	char *broken = NULL;
	cr_assert(asprintf(&broken, "%smain = notDefinedAnywhere\n", v) > 0);
	git_commit_file(repo, "three: does not build", "lspfix.hs", broken, sha[3]);
	free(broken);
	v = history_swap(v, "lspfix 2", "lspfix 4");
	git_commit_file(repo, "four: builds again", "lspfix.hs", v, sha[4]);
	v = history_swap(v, "(\"--leak\" `elem` args)", "(\"--leak\" `elem` args || True)");
	git_commit_file(repo, "five: keep every module env", "lspfix.hs", v, sha[5]);
	v = history_swap(v, "lspfix 4", "lspfix 6");
	git_commit_file(repo, "six", "lspfix.hs", v, sha[6]);
	v = history_swap(v, "lspfix 6", "lspfix 7");
	git_commit_file(repo, "seven", "lspfix.hs", v, sha[7]);
	char *commented = NULL;
	cr_assert(asprintf(&commented, "%s-- only a comment changes\n", v) > 0);
	git_commit_file(repo, "eight: a comment", "lspfix.hs", commented, sha[8]);
	free(commented);
	free(v1);
	*last = v;
	return repo;
}

