/* cairn-agent commands: each takes the run's context (struct cli_ctx,
 * programs/cli.h) and argc/argv after the command name, and returns an exit
 * code. */
#ifndef CAIRN_AGENT_H
#define CAIRN_AGENT_H

struct cli_ctx;

int cmd_init(struct cli_ctx *ctx, int argc, char **argv);
int cmd_backup(struct cli_ctx *ctx, int argc, char **argv);
int cmd_snapshots(struct cli_ctx *ctx, int argc, char **argv);
int cmd_key(struct cli_ctx *ctx, int argc, char **argv);
int cmd_replicate(struct cli_ctx *ctx, int argc, char **argv);
int cmd_config(struct cli_ctx *ctx, int argc, char **argv);
int cmd_status(struct cli_ctx *ctx, int argc, char **argv);
int cmd_forget(struct cli_ctx *ctx, int argc, char **argv);
int cmd_prune(struct cli_ctx *ctx, int argc, char **argv);
int cmd_check(struct cli_ctx *ctx, int argc, char **argv);
int cmd_run(struct cli_ctx *ctx, int argc, char **argv);

#endif
