/*
 * guard.c - nothing leakbench starts outlives it (see guard.h).
 *
 * The design choice: a process of its own, not a cleanup handler.  `kill -9` runs no code
 * in the killed process, so the cleanup must live elsewhere: leakbench forks at start; the
 * parent becomes the guardian (it only waits), the child goes on as leakbench.  Both are
 * child subreapers (prctl PR_SET_CHILD_SUBREAPER), so a process that leaves its parent —
 * a build's compiler whose shell died, a server's helper that called setsid() — is adopted
 * by leakbench rather than by init, and stays findable: leakbench stops such strays when
 * each supervised process ends (guard_strays), and when leakbench itself ends, however it
 * ends, its children become the guardian's, which kills them (and their process groups)
 * before it exits with leakbench's own status.  Killing the guardian instead sends
 * leakbench SIGTERM (a parent-death signal), which it handles like Ctrl-C.
 */
#include "runners/guard.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* The parent pid of `pid` from /proc/PID/stat (after the command, which may hold spaces and
 * parentheses: the last ')' ends it); -1 when it is gone. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *rp = strrchr(buf, ')');
	int ppid;
	char state;
	return rp && sscanf(rp + 1, " %c %d", &state, &ppid) == 2 ? (pid_t)ppid : -1;
}

/* Kill every child of ours (and the process group each leads), then reap them; a killed
 * child's own children come to us next, so repeat until none is left.  Returns how many
 * were killed. */
static int kill_children(void)
{
	int killed = 0;
	for (int round = 0; round < 50; round++) {
		pid_t found[256];
		int n = 0;
		DIR *d = opendir("/proc");
		struct dirent *de;
		while (d && n < 256 && (de = readdir(d))) {
			pid_t pid = (pid_t)atoi(de->d_name);
			if (pid > 0 && parent_of(pid) == getpid())
				found[n++] = pid;
		}
		if (d)
			closedir(d);
		for (int i = 0; i < n; i++) {
			if (getpgid(found[i]) == found[i])
				kill(-found[i], SIGKILL);
			kill(found[i], SIGKILL);
		}
		for (int i = 0; i < n; i++)
			waitpid(found[i], NULL, 0); /* SIGKILL cannot be ignored: it ends soon */
		if (!n)
			break;
		killed += n;
	}
	return killed;
}

int guard_strays(void)
{
	int on = 0;
	if (prctl(PR_GET_CHILD_SUBREAPER, &on) != 0 || !on)
		return 0; /* not under the guard (a test linking the library): nothing was adopted */
	return kill_children();
}

/* The guardian's life: forward the signals people send to the pid they see, wait for
 * leakbench, clean up after it, end as it ended. */
static void guardian(pid_t child)
{
	sigset_t set;
	sigemptyset(&set);
	int fwd[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
	for (size_t i = 0; i < sizeof(fwd) / sizeof(*fwd); i++)
		sigaddset(&set, fwd[i]);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int status = 0;
	for (;;) {
		pid_t w = waitpid(child, &status, WNOHANG);
		if (w == child)
			break;
		if (w < 0 && errno != EINTR) {
			status = 0;
			break;
		}
		siginfo_t info;
		int sig = sigwaitinfo(&set, &info);
		if (sig > 0 && sig != SIGCHLD)
			kill(child, sig);
	}
	kill_children();
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		signal(sig, SIG_DFL);
		sigset_t one;
		sigemptyset(&one);
		sigaddset(&one, sig);
		sigprocmask(SIG_UNBLOCK, &one, NULL);
		raise(sig);
		_exit(128 + sig);
	}
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

int guard_start(void)
{
	pid_t parent = getpid();
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
		return -1;
	pid_t child = fork();
	if (child < 0) {
		prctl(PR_SET_CHILD_SUBREAPER, 0);
		return -1; /* run unguarded */
	}
	if (child > 0)
		guardian(child); /* never returns */
	/* leakbench: adopts strays itself; dies (gracefully) with its guardian */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		raise(SIGTERM); /* the guardian died before the line above */
	return 0;
}
