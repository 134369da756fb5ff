/*
 * proc.c - spawn a target in its own process group and supervise it to its end.
 *
 * One loop waits on two file descriptors: a pidfd that becomes readable when the child
 * exits, and a signalfd for SIGINT/SIGTERM/SIGHUP (blocked while we supervise, so a Ctrl-C
 * kills the target's group instead of orphaning it).  The poll timeout is the nearest of the
 * next RSS sample, the deadline and the SIGKILL escalation, so the loop costs nothing between
 * events and notices the exit at once (the wall time is not rounded up to a poll period).
 * Kernels without pidfd_open fall back to polling every 10 ms.
 */
#include "base/mem.h"
#include "runners/proc.h"
#include "runners/guard.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_real(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read a small /proc file into buf (NUL-terminated).  Returns bytes read or -1. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

static uint64_t rss_of(pid_t pid)
{
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return 0;
	unsigned long size, resident;
	if (sscanf(buf, "%lu %lu", &size, &resident) != 2)
		return 0;
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* Walk the tree through /proc/PID/task/TID/children (one small read per thread), which
 * costs far less than scanning all of /proc at every sample.  `depth` stops runaway
 * recursion on a reused pid. */
static uint64_t tree_rss(pid_t pid, int depth)
{
	uint64_t total = rss_of(pid);
	if (depth > 64)
		return total;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return total;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		char cpath[300], buf[4096];
		snprintf(cpath, sizeof(cpath), "/proc/%d/task/%s/children", (int)pid, de->d_name);
		if (read_small(cpath, buf, sizeof(buf)) <= 0)
			continue;
		for (char *p = buf, *end; *p; p = end) {
			long child = strtol(p, &end, 10);
			if (end == p)
				break;
			if (child > 0)
				total += tree_rss((pid_t)child, depth + 1);
		}
	}
	closedir(d);
	return total;
}

uint64_t proc_tree_rss(pid_t pid)
{
	return tree_rss(pid, 0);
}

int proc_group_alive(pid_t pgid)
{
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	int alive = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		char path[300], buf[1024];
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if (read_small(path, buf, sizeof(buf)) <= 0)
			continue;
		/* pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses */
		char *rp = strrchr(buf, ')');
		char state;
		int ppid, pgrp;
		if (!rp || sscanf(rp + 1, " %c %d %d", &state, &ppid, &pgrp) != 3)
			continue;
		if (pgrp == (int)pgid && state != 'Z' && state != 'X')
			alive++;
	}
	closedir(d);
	return alive;
}

void proc_result_free(struct proc_result *res)
{
	free(res->samples);
	res->samples = NULL;
	res->n_samples = 0;
}

static int add_sample(struct proc_result *res, size_t *cap, double t, uint64_t rss)
{
	if (LB_GROW(res->samples, res->n_samples + 1, *cap, NULL))
		return -1;
	res->samples[res->n_samples++] = (struct proc_sample){t, rss};
	if (rss > res->sampled_peak_rss)
		res->sampled_peak_rss = rss;
	return 0;
}

static int open_out(const char *path, struct lb_error *err)
{
	int fd = open(path ? path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		lb_error_set(err, LB_EIO, "cannot create %s: %s", path, strerror(errno));
	return fd;
}

struct proc {
	pid_t pid;
	int pidfd, sigfd;
	int in_fd, out_fd; /* pipes when interactive, else -1 */
	sigset_t oldmask;
	char *argv0;
	double start;      /* monotonic */
	double deadline, grace, kill_at, sample_s, next_sample;
	size_t cap_samples;
	int term_sent, kill_sent, interrupted, reaped, status, out_eof, stopped;
	int watch_fd, watch_ready; /* proc_watch: another input that ends proc_take's wait */
	struct proc_result res;
	char *buf;         /* stdout read but not yet consumed */
	size_t buf_n, buf_cap;
};

/* The child's half: never returns.  Reports exec failure's errno through `report`. */
static void child_exec(const struct proc_spec *spec, const sigset_t *oldmask, int in, int out,
		       int errfd, int report)
{
	setpgid(0, 0);
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0 ||
	    (spec->cwd && chdir(spec->cwd) < 0)) {
		int e = errno;
		(void)!write(report, &e, sizeof(e));
		_exit(127);
	}
	if (spec->hold_fd > 2)
		fcntl(spec->hold_fd, F_SETFD, 0); /* in the child's table only */
	for (char *const *kv = spec->env; kv && *kv; kv++)
		putenv(*kv); /* the child's own copy of the environment */
	execvp(spec->argv[0], spec->argv);
	int e = errno;
	(void)!write(report, &e, sizeof(e));
	_exit(127);
}

/* Wait for the child's exec; returns its errno if exec failed, 0 if it succeeded. */
static int exec_status(int report)
{
	int e = 0;
	ssize_t n;
	do
		n = read(report, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(e) ? e : 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void proc_release(struct proc *p)
{
	close_fd(&p->pidfd);
	close_fd(&p->sigfd);
	close_fd(&p->in_fd);
	close_fd(&p->out_fd);
	sigprocmask(SIG_SETMASK, &p->oldmask, NULL);
	free(p->argv0);
	free(p->buf);
	proc_result_free(&p->res);
	free(p);
}

double proc_started_at(const struct proc *p)
{
	return p->res.started_at;
}

int proc_start(struct proc **out, const struct proc_spec *spec, struct lb_error *err)
{
	*out = NULL;
	if (!spec->argv || !spec->argv[0])
		return lb_error_set(err, LB_EINVAL, "no program to run");
	struct proc *p = calloc(1, sizeof(*p));
	if (!p || !(p->argv0 = strdup(spec->argv[0]))) {
		free(p);
		return lb_error_oom(err);
	}
	p->pidfd = p->sigfd = p->in_fd = p->out_fd = p->watch_fd = -1;
	p->res.exit_code = -1;
	int child_in = -1, child_out = -1, errfd = -1, report[2] = {-1, -1}, rc = 0;
	int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1};
	if (spec->interactive) {
		if (pipe2(in_pipe, O_CLOEXEC) < 0 || pipe2(out_pipe, O_CLOEXEC) < 0) {
			rc = lb_error_set(err, LB_EIO, "pipe: %s", strerror(errno));
			goto fail;
		}
		child_in = in_pipe[0];
		child_out = out_pipe[1];
		p->in_fd = in_pipe[1];
		p->out_fd = out_pipe[0];
		fcntl(p->out_fd, F_SETFL, O_NONBLOCK);
		fcntl(p->in_fd, F_SETFL, O_NONBLOCK);
	} else {
		child_in = open("/dev/null", O_RDONLY | O_CLOEXEC);
		child_out = open_out(spec->stdout_path, err);
		if (child_in < 0 || child_out < 0) {
			rc = child_out < 0 ? err->code : lb_error_set(err, LB_EIO, "/dev/null: %s", strerror(errno));
			goto fail;
		}
	}
	errfd = open_out(spec->stderr_path, err);
	if (errfd < 0 || pipe2(report, O_CLOEXEC) < 0) {
		rc = errfd < 0 ? err->code : lb_error_set(err, LB_EIO, "pipe: %s", strerror(errno));
		goto fail;
	}

	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGPIPE); /* a REPL that dies must not kill us through its stdin */
	sigprocmask(SIG_BLOCK, &block, &p->oldmask);
	sigdelset(&block, SIGPIPE);
	p->sigfd = signalfd(-1, &block, SFD_CLOEXEC | SFD_NONBLOCK);

	p->res.started_at = now_real();
	p->start = now_mono();
	p->pid = fork();
	if (p->pid < 0) {
		rc = lb_error_set(err, LB_EIO, "fork: %s", strerror(errno));
		goto fail;
	}
	if (p->pid == 0)
		child_exec(spec, &p->oldmask, child_in, child_out, errfd, report[1]);
	setpgid(p->pid, p->pid); /* both sides set it, so it holds whichever runs first */
	close_fd(&report[1]);
	int exec_errno = exec_status(report[0]);
	if (exec_errno) {
		int st;
		waitpid(p->pid, &st, 0);
		rc = lb_error_set(err, exec_errno == ENOENT ? LB_ENOTFOUND : LB_EIO, "cannot run '%s': %s",
				  spec->argv[0], strerror(exec_errno));
		goto fail;
	}
	p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	p->deadline = spec->timeout_s > 0 ? p->start + spec->timeout_s : INFINITY;
	p->grace = spec->grace_s > 0 ? spec->grace_s : 2.0;
	p->kill_at = INFINITY;
	p->sample_s = spec->sample_s;
	p->next_sample = spec->sample_s > 0 ? p->start + spec->sample_s : INFINITY;
	close_fd(&report[0]);
	close_fd(&child_in);
	close_fd(&child_out);
	close_fd(&errfd);
	*out = p;
	return 0;
fail:
	close_fd(&report[0]);
	close_fd(&report[1]);
	close_fd(&child_in);
	close_fd(&child_out);
	close_fd(&errfd);
	proc_release(p);
	return rc;
}

/* One turn of supervision: sample if due, escalate if due, then wait at most until `until`
 * (monotonic) for the child's exit, a signal, or (when `want` is set) room on stdin
 * (POLLOUT) / data on stdout (POLLIN).  Returns the poll events seen on the pipe. */
static short turn(struct proc *p, double until, int want_fd, short want, struct lb_error *err)
{
	if (p->reaped)
		return 0;
	pid_t w = wait4(p->pid, &p->status, WNOHANG, &p->res.ru);
	if (w == p->pid) {
		p->reaped = 1;
		p->res.wall_s = now_mono() - p->start;
		return 0;
	}
	double now = now_mono();
	if (now >= p->next_sample) {
		if (add_sample(&p->res, &p->cap_samples, now - p->start, proc_tree_rss(p->pid)) < 0) {
			lb_error_oom(err);
			p->next_sample = INFINITY;
		} else {
			p->next_sample += p->sample_s;
			if (p->next_sample <= now)
				p->next_sample = now + p->sample_s;
		}
	}
	if (!p->term_sent && now >= p->deadline) {
		killpg(p->pid, SIGTERM);
		p->term_sent = 1;
		p->kill_at = now + p->grace;
	}
	if (!p->kill_sent && now >= p->kill_at) {
		killpg(p->pid, SIGKILL);
		p->kill_sent = 1;
	}
	double wake = until;
	if (p->next_sample < wake)
		wake = p->next_sample;
	if (!p->term_sent && p->deadline < wake)
		wake = p->deadline;
	if (p->term_sent && !p->kill_sent && p->kill_at < wake)
		wake = p->kill_at;
	int ms = isinf(wake) ? -1 : (int)ceil((wake - now) * 1000.0);
	if (!isinf(wake) && ms < 0)
		ms = 0;
	if (p->pidfd < 0 && (ms < 0 || ms > 10))
		ms = 10;
	struct pollfd pf[4];
	nfds_t n = 0;
	pf[n++] = (struct pollfd){.fd = p->sigfd, .events = POLLIN};
	int want_i = -1, watch_i = -1;
	if (p->watch_fd >= 0 && !p->watch_ready) {
		watch_i = (int)n;
		pf[n++] = (struct pollfd){.fd = p->watch_fd, .events = POLLIN};
	}
	if (p->pidfd >= 0)
		pf[n++] = (struct pollfd){.fd = p->pidfd, .events = POLLIN};
	if (want_fd >= 0) {
		want_i = (int)n;
		pf[n++] = (struct pollfd){.fd = want_fd, .events = want};
	}
	if (poll(pf, n, ms) <= 0)
		return 0;
	if (watch_i >= 0 && pf[watch_i].revents)
		p->watch_ready = 1;
	if (pf[0].revents & POLLIN) {
		struct signalfd_siginfo si;
		while (read(p->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			p->interrupted = (int)si.ssi_signo;
		if (!p->term_sent)
			p->deadline = 0; /* stop it at the next turn */
	}
	return want_i >= 0 ? pf[want_i].revents : 0;
}

static int interrupted_error(struct proc *p, struct lb_error *err)
{
	return lb_error_set(err, LB_EINTR, "interrupted by signal %d (%s); '%s' was stopped", p->interrupted,
			    strsignal(p->interrupted), p->argv0);
}

int proc_send(struct proc *p, const char *text, double timeout_s, struct lb_error *err)
{
	if (p->in_fd < 0)
		return lb_error_set(err, LB_EINVAL, "'%s' was not started interactive", p->argv0);
	size_t len = strlen(text), done = 0;
	double until = now_mono() + timeout_s;
	while (done < len) {
		if (p->interrupted)
			return interrupted_error(p, err);
		if (p->reaped)
			return lb_error_set(err, LB_EIO, "'%s' ended before it read its input", p->argv0);
		ssize_t n = write(p->in_fd, text + done, len - done);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return lb_error_set(err, LB_EIO, "writing to '%s': %s", p->argv0, strerror(errno));
		if (now_mono() >= until)
			return lb_error_set(err, LB_ETIMEOUT, "'%s' did not read its input within %gs", p->argv0,
					    timeout_s);
		turn(p, until, p->in_fd, POLLOUT, err);
	}
	return 0;
}

/* Read what stdout has now into the buffer.  Returns 1 if something came. */
/* Read what the child has written, at most DRAIN_MAX per call: a child that writes as fast
 * as we read would otherwise keep us here, the buffer growing without bound, before any
 * reader (the LSP framer with its message bound) looks at it. */
#define DRAIN_MAX (1 << 20)
static int drain(struct proc *p)
{
	int got = 0;
	for (size_t taken = 0; taken < DRAIN_MAX;) {
		if (LB_GROW(p->buf, p->buf_n + 4096 + 1, p->buf_cap, NULL))
			return got;
		ssize_t n = read(p->out_fd, p->buf + p->buf_n, p->buf_cap - p->buf_n - 1);
		if (n > 0) {
			p->buf_n += (size_t)n;
			p->buf[p->buf_n] = '\0';
			taken += (size_t)n;
			got = 1;
			continue;
		}
		if (n == 0)
			p->out_eof = 1;
		return got;
	}
	return got;
}

int proc_expect(struct proc *p, const char *needle, double timeout_s, char **before,
		struct lb_error *err)
{
	if (before)
		*before = NULL;
	if (p->out_fd < 0)
		return lb_error_set(err, LB_EINVAL, "'%s' was not started interactive", p->argv0);
	double until = now_mono() + timeout_s;
	size_t nl = strlen(needle);
	for (;;) {
		drain(p);
		char *at = p->buf_n ? memmem(p->buf, p->buf_n, needle, nl) : NULL;
		if (at) {
			size_t k = (size_t)(at - p->buf);
			if (before && !(*before = strndup(p->buf, k)))
				return lb_error_oom(err);
			memmove(p->buf, at + nl, p->buf_n - k - nl);
			p->buf_n -= k + nl;
			p->buf[p->buf_n] = '\0';
			return 0;
		}
		if (p->interrupted)
			return interrupted_error(p, err);
		if (p->out_eof || p->reaped) {
			drain(p);
			if (p->buf_n && memmem(p->buf, p->buf_n, needle, nl))
				continue;
			if (before && p->buf_n)
				*before = strndup(p->buf, p->buf_n);
			return lb_error_set(err, LB_EIO, "'%s' ended before printing what was awaited", p->argv0);
		}
		if (now_mono() >= until) {
			if (before && p->buf_n)
				*before = strndup(p->buf, p->buf_n);
			return lb_error_set(err, LB_ETIMEOUT, "'%s' did not answer within %gs", p->argv0, timeout_s);
		}
		turn(p, until, p->out_fd, POLLIN, err);
	}
}

void proc_watch(struct proc *p, int fd)
{
	p->watch_fd = fd;
	p->watch_ready = 0;
}

int proc_watched(struct proc *p)
{
	int r = p->watch_ready;
	p->watch_ready = 0;
	return r;
}

void proc_stop(struct proc *p)
{
	if (p->reaped || p->term_sent)
		return;
	killpg(p->pid, SIGTERM);
	p->term_sent = 1;
	p->stopped = 1;
	p->kill_at = now_mono() + p->grace;
}

int proc_take(struct proc *p, double timeout_s, char **data, size_t *len, struct lb_error *err)
{
	*data = NULL;
	*len = 0;
	if (p->out_fd < 0)
		return lb_error_set(err, LB_EINVAL, "'%s' was not started interactive", p->argv0);
	double until = now_mono() + timeout_s;
	for (;;) {
		drain(p);
		if (p->buf_n) {
			if (!(*data = malloc(p->buf_n + 1)))
				return lb_error_oom(err);
			memcpy(*data, p->buf, p->buf_n);
			(*data)[p->buf_n] = '\0';
			*len = p->buf_n;
			p->buf_n = 0;
			return 0;
		}
		if (p->interrupted)
			return interrupted_error(p, err);
		if (p->out_eof || p->reaped)
			return lb_error_set(err, LB_EIO, "'%s' has ended", p->argv0);
		if (now_mono() >= until || p->watch_ready)
			return 0;
		turn(p, until, p->out_fd, POLLIN, err);
	}
}

int proc_idle(struct proc *p, double seconds, struct lb_error *err)
{
	double until = now_mono() + seconds;
	while (now_mono() < until) {
		if (p->interrupted)
			return interrupted_error(p, err);
		if (p->reaped)
			return lb_error_set(err, LB_EIO, "'%s' ended while leakbench waited", p->argv0);
		int fd = p->out_fd >= 0 && !p->out_eof ? p->out_fd : -1;
		if (turn(p, until, fd, POLLIN, err) & (POLLIN | POLLHUP))
			drain(p);
	}
	return 0;
}

int proc_finish(struct proc *p, struct proc_result *res, struct lb_error *err)
{
	close_fd(&p->in_fd); /* end of input: a REPL quits, a filter finishes */
	int rc = 0;
	while (!p->reaped) {
		if (p->out_fd >= 0 && !p->out_eof) {
			if (turn(p, INFINITY, p->out_fd, POLLIN, err) & (POLLIN | POLLHUP)) {
				drain(p);
				p->buf_n = 0; /* what it says on the way out is not kept */
			}
		} else {
			turn(p, INFINITY, -1, 0, err);
		}
	}
	/* The leader is gone; nothing of its group may outlive us.  kill(-pgid, 0) answers
	 * "anyone left?" at once; only then is /proc scanned to count them. */
	p->res.killed_leftovers = killpg(p->pid, 0) == 0 ? proc_group_alive(p->pid) : 0;
	if (p->res.killed_leftovers) {
		killpg(p->pid, SIGKILL);
		for (int i = 0; i < 100 && proc_group_alive(p->pid); i++)
			usleep(10000);
	}
	/* and nothing it started that left the group (setsid) or its parent: adopted by us */
	p->res.killed_leftovers += guard_strays();
	p->res.peak_rss_bytes = (uint64_t)p->res.ru.ru_maxrss * 1024u;
	if (WIFEXITED(p->status)) {
		p->res.end = PROC_EXITED;
		p->res.exit_code = WEXITSTATUS(p->status);
	} else if (WIFSIGNALED(p->status)) {
		p->res.end = PROC_SIGNALED;
		p->res.signal = WTERMSIG(p->status);
	}
	if (p->term_sent && !p->interrupted && !p->stopped) {
		p->res.end = PROC_TIMEOUT;
		if (!p->res.signal)
			p->res.signal = SIGTERM;
	}
	if (p->interrupted)
		rc = interrupted_error(p, err);
	*res = p->res;
	memset(&p->res, 0, sizeof(p->res)); /* the samples now belong to the caller */
	proc_release(p);
	if (rc)
		proc_result_free(res);
	return rc;
}

int proc_run(const struct proc_spec *spec, struct proc_result *res, struct lb_error *err)
{
	memset(res, 0, sizeof(*res));
	res->exit_code = -1;
	struct proc *p;
	int rc = proc_start(&p, spec, err);
	if (rc)
		return rc;
	return proc_finish(p, res, err);
}
