/* cairn-restore points: the recovery points of a repository. */
#include "restore_cmds.h"

#include "cli_args.h"
#include "snapshot_print.h"

static const char usage[] = "usage: cairn-restore points [--from URL] [--json]\n"
			    "\n"
			    "Lists the recovery points (snapshots), oldest first. Works on a fresh host\n"
			    "from the repository (or a replica: --from URL) and the key alone.\n"
			    "\n" CLI_COMMON_OPTIONS_HELP;

int cmd_points(int argc, char **argv)
{
	return snapshot_list_command(argc, argv, usage);
}
