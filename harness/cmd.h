/*
 * cmd.h - the commands.  One function per command, one file per command (cmd_NAME.c);
 * harness/main.c holds the only table that maps names to them.  Each takes its own
 * argv (argv[0] is the command name) and returns the process exit code (cli.h).
 */
#ifndef LB_CMD_H
#define LB_CMD_H

#define LEAKBENCH_VERSION "0.1.0"
#define LB_DEFAULT_DB "leakbench.db"

int cmd_exec(int argc, char **argv);
int cmd_runs(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_eventlog(int argc, char **argv);
int cmd_scenario(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_run(int argc, char **argv);

/* Shared by the commands that read a database: open it, refusing to create one, and say
 * so on stderr.  Returns NULL after printing the error. */
struct store;
struct store *cmd_open_existing_store(const char *cmd, const char *path);

#endif
