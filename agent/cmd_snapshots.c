/* cairn-agent snapshots: list the snapshots of the repository. */
#include "agent.h"

#include "cli_args.h"
#include "snapshot_print.h"

static const char usage[] = "usage: cairn-agent snapshots [--json]\n\nLists the snapshots, oldest first.\n\n" CLI_COMMON_OPTIONS_HELP;

int cmd_snapshots(struct cli_ctx *ctx, int argc, char **argv)
{
	return snapshot_list_command(ctx, argc, argv, usage);
}
