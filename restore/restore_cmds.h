/* cairn-restore commands: the run's context (struct cli_ctx, programs/cli.h)
 * and argc/argv after the command name in, exit code back. */
#ifndef CAIRN_RESTORE_CMDS_H
#define CAIRN_RESTORE_CMDS_H

struct cli_ctx;

int cmd_points(struct cli_ctx *ctx, int argc, char **argv);
int cmd_restore(struct cli_ctx *ctx, int argc, char **argv);
int cmd_drill(struct cli_ctx *ctx, int argc, char **argv);

#endif
