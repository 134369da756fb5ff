/*
 * text.h - string work more than one folder does: placeholders filled in ({i} in a
 * scenario's repeat, {root} in a sent message, {src}/{out}/{jobs} in a build command), and
 * figures written for people (the terminal's tables and the dashboard's pages alike), words
 * cut out of a line (a config's `env`, a scenario's `args`, --args), and text made safe for
 * a shell command line or a terminal.
 */
#ifndef LB_TEXT_H
#define LB_TEXT_H

#include <stddef.h>

/* `s` with every occurrence of `from` (non-empty) replaced by `to`; malloc'ed, NULL when
 * out of memory. */
char *text_replace(const char *s, const char *from, const char *to);

/* `s` as one shell word: in single quotes, each ' written as '\'' (so a path holding a
 * quote, or `$(...)`, stays a path).  malloc'ed; NULL when out of memory. */
char *text_shell_quote(const char *s);

/* `s` safe to print on a terminal: control characters (C0, DEL, and C1 as UTF-8 encodes
 * them) written as \xNN, so text from a repository or an eventlog (a commit subject holding
 * ESC [2J or an OSC 52 clipboard write) cannot drive the terminal; everything else as is.
 * malloc'ed; NULL when out of memory. */
char *text_visible(const char *s);

/* "1.5 GiB", "812 KiB", "37 B" ("-" for NaN) into buf. */
const char *text_bytes(double bytes, char *buf, size_t size);

/* A metric's value by its name: bytes as text_bytes (a slope with "/step"), seconds as
 * "1.234 s", anything else with 4 significant digits; "-" for NaN. */
const char *text_metric(const char *metric, double v, char *buf, size_t size);
/* What kind of figure a metric is, by its name, as text_metric (and the dashboard's charts)
 * write it; *per is what a slope is per ("step", "minute") or NULL. */
enum text_kind { TEXT_PLAIN, TEXT_POWER, TEXT_RATIO, TEXT_BYTES, TEXT_SECONDS };
enum text_kind text_metric_kind(const char *metric, const char **per);
/* A change of the metric, signed: +765 KiB/step, -0.2, +1.50 MiB/minute. */
const char *text_metric_change(const char *metric, double v, char *buf, size_t size);

/* The next word of *cursor: separators (any of `seps`) skipped, the word NUL-terminated in
 * place, *cursor moved past it.  NULL when only separators are left.  Unlike strtok it
 * keeps its place in the caller's variable, so loops can nest and threads can share it:
 *     for (char *cur = line, *w; (w = text_word(&cur, " \t"));) ... */
char *text_word(char **cursor, const char *seps);

/* Every word of `text` separated by spaces or tabs, pointing into `text` (which is cut
 * up); NULL-terminated, malloc'ed (free the array only).  NULL when out of memory. */
char **text_split_words(char *text);

/* "0,1,3" (exit statuses, 0 to 255, comma-separated) into 256 flags, each listed one set
 * and the others cleared.  0, or -1 when `list` is not such a list. */
int text_exit_codes(const char *list, unsigned char ok[256]);

/* The edit distance (Levenshtein) between a and b, for "did you mean" answers; SIZE_MAX
 * when either is longer than 255 bytes. */
size_t text_distance(const char *a, const char *b);

#endif
