/* cairn-agent commands: each takes argc/argv after the command name and
 * returns an exit code (see programs/cli.h). */
#ifndef CAIRN_AGENT_H
#define CAIRN_AGENT_H

int cmd_init(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_snapshots(int argc, char **argv);
int cmd_key(int argc, char **argv);
int cmd_replicate(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_forget(int argc, char **argv);
int cmd_prune(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_run(int argc, char **argv);

#endif
