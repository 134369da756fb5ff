/*
 * hostenv.h - what machine a run was made on, and its fingerprint.
 *
 * The fingerprint (16 hex digits of a SHA-256) covers what changes the figures: host name,
 * CPU model, cores, memory, and the target's GHC version and RTS way.  The kernel release
 * and leakbench's own version are recorded but left out, so a routine kernel update or a
 * leakbench upgrade does not cut a target's history in two.
 */
#ifndef LB_HOSTENV_H
#define LB_HOSTENV_H

#include "base/error.h"
#include "results/record.h"
#include "runners/rts.h"

/* Fill `env` (which must be zeroed) from the OS and, when not NULL, the target's
 * `+RTS --info` answer.  Release with record_env_free. */
int hostenv_capture(struct lb_environment *env, const struct rts_stats *info,
		    const char *leakbench_version, struct lb_error *err);

#endif
