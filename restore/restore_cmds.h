/* cairn-restore commands: argc/argv after the command name, exit code back. */
#ifndef CAIRN_RESTORE_CMDS_H
#define CAIRN_RESTORE_CMDS_H

int cmd_points(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_drill(int argc, char **argv);

#endif
