/*
 * guard.h - nothing leakbench starts outlives it: not a build's compiler when leakbench is
 * killed with SIGKILL, not a server's helper that left its process group with setsid().
 * How: guard.c's opening comment.
 */
#ifndef LB_GUARD_H
#define LB_GUARD_H

/* Called once by main, before anything is started or printed: returns 0 in leakbench, which
 * goes on under a guardian process (the caller's pid, which exits with leakbench's status
 * after killing whatever leakbench left); -1 when it could not be set up (leakbench then
 * runs unguarded, as before). */
int guard_start(void);

/* Kill and reap the processes leakbench adopted: descendants of a supervised process that
 * outlived their parent or left its group.  Called when a supervised process has ended and
 * none other runs (leakbench supervises one at a time).  Returns how many there were; 0
 * outside the guard (a test program using the library adopts nothing). */
int guard_strays(void);

#endif
