/*
 * collect.h - turning what a run left behind into its run record: the RTS statistics file
 * and the eventlog.  Shared by every runner, so they all measure alike.
 */
#ifndef LB_COLLECT_H
#define LB_COLLECT_H

#include <stddef.h>

#include "base/error.h"
#include "results/record.h"

/* Every RTS key as metric rts.<key>, and the headline metrics by their own names.  Reads
 * `stats_path` (-t --machine-readable), else the -s/-S summary on `stderr_path` (the user's
 * --rts may have chosen those).  Missing figures on a run that ended normally mark it
 * partial with the reason; they are not an error.  `hp_path` (or NULL): the heap profile
 * (`-hT` as PROG.hp, which every GHC program writes; those without an eventlog have no
 * other census) read into census rows, placed in time by the -S per-GC lines (the .hp
 * file counts mutator CPU time); nothing is added without those lines. */
int collect_rts(struct lb_run *run, const char *stats_path, const char *stderr_path, const char *hp_path,
		struct lb_error *err);

/* From the eventlog: the series (live_bytes, heap_bytes, blocks_bytes, allocated_bytes),
 * every census row, the markers and messages, and eventlog.* metrics.  A partial eventlog
 * (killed program) marks the run partial; an unreadable one is noted in the reason. */
int collect_eventlog(struct lb_run *run, const char *path, struct lb_error *err);

#endif
