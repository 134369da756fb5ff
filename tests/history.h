/*
 * history.h - a git repository made with libgit2 for the revision tests (see history.c).
 */
#ifndef LB_TEST_HISTORY_H
#define LB_TEST_HISTORY_H

typedef struct git_repository git_repository;

/* leakbench.ini: database full.db, cache cache/, target `fix` (repo src/, built by GHC),
 * scenario `edits` (edits.scn). */
extern const char history_config[];
/* DIR/edits.scn: the demo's scenario, six edits of a leaf module; expects the live-bytes
 * slope below 64 KiB per edit, which the fixture's leak breaks. */
void history_write_scenario(const char *dir);

/* DIR/NAME with `text`. */
void write_file(const char *dir, const char *name, const char *text);
/* `s` with `from` (which must be there) replaced; frees `s`. */
char *history_swap(char *s, const char *from, const char *to);
/* DIR/src: a README commit (sha[0]), then the server over commits 1..8 (sha[1..8]); *last
 * gets the server's text at commit 8 (malloc'ed). */
git_repository *history_make(const char *dir, char sha[9][41], char **last);

#endif
