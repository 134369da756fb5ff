/*
 * proc.h - running one target process under supervision.
 *
 * Guarantees of proc_run:
 *  - the program is started from an argv array (never through a shell) in a new process
 *    group, stdin from /dev/null, stdout and stderr into the files given;
 *  - every wait is bounded: at the timeout the whole group gets SIGTERM, then SIGKILL after
 *    the grace period; when the leader has exited, whatever is left of its group is killed,
 *    so no process of the group outlives the call;
 *  - SIGINT/SIGTERM/SIGHUP sent to leakbench while the target runs are caught, the group is
 *    killed and reaped, and the call returns LB_EINTR;
 *  - peak RSS comes from wait4's rusage of that one child (not RUSAGE_CHILDREN, which keeps
 *    the maximum of every child leakbench ever ran); RSS of the child and all its descendants
 *    is also sampled from /proc at a fixed interval.
 * Note: Linux folds the parent's resident size at fork into the child's ru_maxrss (exec
 * records the old address space's high-water mark), so peak_rss_bytes is never below
 * leakbench's own RSS at spawn time, a few MiB.
 */
#ifndef LB_PROC_H
#define LB_PROC_H

#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "base/error.h"

struct proc_spec {
	char *const *argv;       /* argv[0] is looked up in PATH */
	const char *stdout_path; /* NULL: /dev/null */
	const char *stderr_path; /* NULL: /dev/null */
	const char *cwd;         /* NULL: leakbench's own */
	char *const *env;        /* KEY=VALUE added to (or replacing in) leakbench's environment;
				  * NULL-terminated; may be NULL */
	double timeout_s;        /* <= 0: no timeout */
	double grace_s;          /* between SIGTERM and SIGKILL; <= 0: 2 seconds */
	double sample_s;         /* /proc RSS sampling interval; <= 0: no sampling */
	int interactive;         /* stdin and stdout are pipes to us (proc_send, proc_expect);
				  * stdout_path is then ignored */
	int hold_fd;             /* > 2: an fd the program inherits (a lock held as long as any
				  * of its processes lives); 0: none */
};

struct proc_sample {
	double t;          /* seconds since spawn */
	uint64_t rss_bytes; /* the child and its descendants */
};

enum proc_end { PROC_EXITED, PROC_SIGNALED, PROC_TIMEOUT };

struct proc_result {
	enum proc_end end;
	int exit_code;      /* PROC_EXITED: the exit status; else -1 */
	int signal;         /* PROC_SIGNALED / PROC_TIMEOUT: the signal that ended it */
	double wall_s;      /* spawn to reap, monotonic clock */
	double started_at;  /* unix seconds */
	struct rusage ru;   /* of that one child */
	uint64_t peak_rss_bytes;    /* ru_maxrss * 1024 */
	uint64_t sampled_peak_rss;  /* max over samples; 0 when not sampled */
	struct proc_sample *samples; /* owned; free with proc_result_free */
	size_t n_samples;
	int killed_leftovers; /* processes of the group still alive after the leader exited */
};

/* Run `spec` to its end.  Returns 0 when the program ran (whatever its exit status), or an
 * error: LB_ENOTFOUND/LB_EIO when it could not be started, LB_EINTR when leakbench was
 * interrupted. */
int proc_run(const struct proc_spec *spec, struct proc_result *out, struct lb_error *err);

/* The same in parts, for a program driven while it runs (a REPL, a server):
 *   proc_start  spawns it (SIGINT/SIGTERM/SIGHUP stay blocked for us until proc_finish);
 *   proc_send   writes to its stdin (interactive only), bounded by `timeout_s`;
 *   proc_expect reads its stdout until `needle` appears, within `timeout_s`: *before gets
 *               what came before the needle (malloc'ed; may be NULL), the needle is consumed.
 *               LB_ETIMEOUT when it did not come, LB_EIO when the program ended first,
 *               LB_EINTR on a signal to leakbench;
 *   proc_finish closes its stdin, waits for the end (the spec's timeout counts from the
 *               start; then SIGTERM, grace, SIGKILL), reaps it and fills *out.  It always
 *               releases `p`, also when it returns an error.
 * RSS sampling and the deadline are served by whichever of these is waiting. */
struct proc;
int proc_start(struct proc **out, const struct proc_spec *spec, struct lb_error *err);
int proc_send(struct proc *p, const char *text, double timeout_s, struct lb_error *err);
int proc_expect(struct proc *p, const char *needle, double timeout_s, char **before,
		struct lb_error *err);
int proc_finish(struct proc *p, struct proc_result *out, struct lb_error *err);
/* Whatever the program has written to stdout, waiting at most `timeout_s` for something:
 * *data (malloc'ed, NUL-terminated) and *len, possibly empty on timeout.  LB_EIO when it has
 * ended and nothing is left, LB_EINTR on a signal. */
int proc_take(struct proc *p, double timeout_s, char **data, size_t *len, struct lb_error *err);

/* Also end proc_take's wait when `fd` (another input, such as leakbench's own stdin) becomes
 * readable; -1 stops watching.  proc_watched says whether it did since the last call. */
void proc_watch(struct proc *p, int fd);
int proc_watched(struct proc *p);

/* Ask it to stop now (SIGTERM to its group; SIGKILL after the grace period, served by
 * proc_finish).  For a target that broke mid-session: its end is then not a timeout. */
void proc_stop(struct proc *p);

/* Let `seconds` pass while supervising (sampling, deadline, signals, reading its output so
 * it never blocks on a full pipe).  LB_EIO if it ends meanwhile, LB_EINTR on a signal. */
int proc_idle(struct proc *p, double seconds, struct lb_error *err);
/* Unix time at which it was spawned. */
double proc_started_at(const struct proc *p);
void proc_result_free(struct proc_result *res);

/* RSS in bytes of `pid` plus all its descendants, from /proc.  0 if it is gone. */
uint64_t proc_tree_rss(pid_t pid);

/* Processes (not zombies) whose process group is `pgid`. */
int proc_group_alive(pid_t pgid);

#endif
