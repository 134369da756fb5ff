/*
 * cmd.h - the commands.  One function per command, one file per command (cmd_NAME.c);
 * harness/main.c holds the only table that maps names to them.  Each takes its own
 * argv (argv[0] is the command name) and returns the process exit code (cli.h).  Commands
 * call the library (the other headers of harness/ and the other folders), never each other.
 */
#ifndef LB_CMD_H
#define LB_CMD_H

int cmd_exec(int argc, char **argv);
int cmd_runs(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_eventlog(int argc, char **argv);
int cmd_scenario(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_bisect(int argc, char **argv);
int cmd_regressions(int argc, char **argv);
int cmd_accept(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_nightly(int argc, char **argv);

#endif
