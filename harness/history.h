/*
 * history.h - the results database published with the site, and restored from there when
 * a night (or a check) finds its own gone (see history.c).
 */
#ifndef LB_HISTORY_H
#define LB_HISTORY_H

#include "harness/config.h"
#include "results/store.h"

/* When the config's database is missing and `history-from` is set: the published copy
 * fetched into its place (checked to be a leakbench database).  0 restored, or nothing to
 * restore (none configured, nothing published yet: a new history begins); 1 when it could
 * not be had (printed as "leakbench CMD: ..."): then nothing may be measured, or one
 * night's history would be published over the real one. */
int history_restore(const struct cfg *cfg, const char *cmd);

/* The database into the site (SITE/leakbench.db) after the site is written, unless
 * `publish-database = no`.  1 when it could not be copied. */
int history_publish(const struct cfg *cfg, struct store *st, const char *site, const char *cmd);

#endif
