/*
 * text.h - string work more than one folder does: placeholders filled in ({i} in a
 * scenario's repeat, {root} in a sent message, {src}/{out}/{jobs} in a build command), and
 * figures written for people (the terminal's tables and the dashboard's pages alike).
 */
#ifndef LB_TEXT_H
#define LB_TEXT_H

#include <stddef.h>

/* `s` with every occurrence of `from` (non-empty) replaced by `to`; malloc'ed, NULL when
 * out of memory. */
char *text_replace(const char *s, const char *from, const char *to);

/* "1.5 GiB", "812 KiB", "37 B" ("-" for NaN) into buf. */
const char *text_bytes(double bytes, char *buf, size_t size);

/* A metric's value by its name: bytes as text_bytes (a slope with "/step"), seconds as
 * "1.234 s", anything else with 4 significant digits; "-" for NaN. */
const char *text_metric(const char *metric, double v, char *buf, size_t size);

#endif
