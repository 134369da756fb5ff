/*
 * text.h - string work more than one folder does: placeholders filled in ({i} in a
 * scenario's repeat, {root} in a sent message, {src}/{out}/{jobs} in a build command).
 */
#ifndef LB_TEXT_H
#define LB_TEXT_H

/* `s` with every occurrence of `from` (non-empty) replaced by `to`; malloc'ed, NULL when
 * out of memory. */
char *text_replace(const char *s, const char *from, const char *to);

#endif
