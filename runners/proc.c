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
#include "runners/proc.h"

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
	if (res->n_samples == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		struct proc_sample *p = realloc(res->samples, ncap * sizeof(*p));
		if (!p)
			return -1;
		res->samples = p;
		*cap = ncap;
	}
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

int proc_run(const struct proc_spec *spec, struct proc_result *res, struct lb_error *err)
{
	memset(res, 0, sizeof(*res));
	res->exit_code = -1;
	if (!spec->argv || !spec->argv[0])
		return lb_error_set(err, LB_EINVAL, "no program to run");

	int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int out = open_out(spec->stdout_path, err);
	int errfd = out >= 0 ? open_out(spec->stderr_path, err) : -1;
	int report[2] = {-1, -1};
	int rc = 0;
	if (in < 0 || out < 0 || errfd < 0 || pipe2(report, O_CLOEXEC) < 0) {
		rc = (out < 0 || errfd < 0) ? err->code
					    : lb_error_set(err, LB_EIO, "pipe: %s", strerror(errno));
		goto close_fds;
	}

	sigset_t block, oldmask;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &oldmask);
	int sigfd = signalfd(-1, &block, SFD_CLOEXEC | SFD_NONBLOCK);

	res->started_at = now_real();
	double start = now_mono();
	pid_t pid = fork();
	if (pid < 0) {
		rc = lb_error_set(err, LB_EIO, "fork: %s", strerror(errno));
		goto restore;
	}
	if (pid == 0)
		child_exec(spec, &oldmask, in, out, errfd, report[1]);
	setpgid(pid, pid); /* both sides set it, so it holds whichever runs first */
	close(report[1]);
	report[1] = -1;
	int exec_errno = exec_status(report[0]);
	if (exec_errno) {
		int st;
		waitpid(pid, &st, 0);
		rc = lb_error_set(err, exec_errno == ENOENT ? LB_ENOTFOUND : LB_EIO,
				  "cannot run '%s': %s", spec->argv[0], strerror(exec_errno));
		goto restore;
	}

	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	double deadline = spec->timeout_s > 0 ? start + spec->timeout_s : INFINITY;
	double grace = spec->grace_s > 0 ? spec->grace_s : 2.0;
	double kill_at = INFINITY;
	double next_sample = spec->sample_s > 0 ? start + spec->sample_s : INFINITY;
	size_t cap = 0;
	int term_sent = 0, kill_sent = 0, interrupted = 0, status = 0;
	for (;;) {
		pid_t w = wait4(pid, &status, WNOHANG, &res->ru);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			rc = lb_error_set(err, LB_EIO, "wait4: %s", strerror(errno));
			break;
		}
		double now = now_mono();
		if (now >= next_sample) {
			if (add_sample(res, &cap, now - start, proc_tree_rss(pid)) < 0) {
				rc = lb_error_oom(err);
				next_sample = INFINITY;
				deadline = now; /* stop the child: we cannot keep its data */
			} else {
				next_sample += spec->sample_s;
				if (next_sample <= now)
					next_sample = now + spec->sample_s;
			}
		}
		if (!term_sent && now >= deadline) {
			killpg(pid, SIGTERM);
			term_sent = 1;
			kill_at = now + grace;
		}
		if (!kill_sent && now >= kill_at) {
			killpg(pid, SIGKILL);
			kill_sent = 1;
		}
		double wake = next_sample;
		if (!term_sent && deadline < wake)
			wake = deadline;
		if (term_sent && !kill_sent && kill_at < wake)
			wake = kill_at;
		int ms = isinf(wake) ? -1 : (int)ceil((wake - now) * 1000.0);
		if (ms < 0 && !isinf(wake))
			ms = 0;
		if (pidfd < 0 && (ms < 0 || ms > 10))
			ms = 10;
		struct pollfd pf[2] = {{.fd = sigfd, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
		int nfds = pidfd >= 0 ? 2 : 1;
		if (poll(pf, (nfds_t)nfds, ms) > 0 && (pf[0].revents & POLLIN)) {
			struct signalfd_siginfo si;
			while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				interrupted = (int)si.ssi_signo;
			if (!term_sent)
				deadline = 0; /* handled at the top of the next turn */
		}
	}
	res->wall_s = now_mono() - start;
	if (pidfd >= 0)
		close(pidfd);

	/* The leader is gone; nothing of its group may outlive us.  kill(-pgid, 0) answers
	 * "anyone left?" at once; only then is /proc scanned to count them. */
	res->killed_leftovers = killpg(pid, 0) == 0 ? proc_group_alive(pid) : 0;
	if (res->killed_leftovers) {
		killpg(pid, SIGKILL);
		for (int i = 0; i < 100 && proc_group_alive(pid); i++)
			usleep(10000);
	}

	res->peak_rss_bytes = (uint64_t)res->ru.ru_maxrss * 1024u;
	if (WIFEXITED(status)) {
		res->end = PROC_EXITED;
		res->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		res->end = PROC_SIGNALED;
		res->signal = WTERMSIG(status);
	}
	if (term_sent && !interrupted) {
		res->end = PROC_TIMEOUT;
		if (!res->signal)
			res->signal = SIGTERM;
	}
	if (interrupted && !rc)
		rc = lb_error_set(err, LB_EINTR, "interrupted by signal %d (%s); '%s' was stopped",
				  interrupted, strsignal(interrupted), spec->argv[0]);

restore:
	if (sigfd >= 0)
		close(sigfd);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
close_fds:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (errfd >= 0)
		close(errfd);
	if (report[0] >= 0)
		close(report[0]);
	if (report[1] >= 0)
		close(report[1]);
	if (rc)
		proc_result_free(res);
	return rc;
}
