/*
 * replay.h - a recorded LSP session (`leakbench record`'s JSON lines) as a scenario.
 *
 * The scenario re-sends the editor's messages in order (`send`, the recording's root URI
 * written {root}) and, before each, waits for what the editor had seen by then: responses
 * by their recorded id, the n-th publishDiagnostics of a file, the n-th kick/done; then the
 * editor's pause, cut to `max_pause`.  Its codebase is `codebase` or the recording's root.
 */
#ifndef LB_REPLAY_H
#define LB_REPLAY_H

#include "base/error.h"

struct replay_opts {
	const char *codebase; /* the tree the server is to see; NULL: the recording's root */
	double max_pause;     /* seconds; <= 0: 5 */
	double timeout;       /* every wait's bound, seconds; <= 0: 60 */
};

/* The scenario text (malloc'ed) for the recording at `path`; errors name FILE:LINE. */
int replay_scenario(const char *path, const struct replay_opts *o, char **text, struct lb_error *err);

#endif
