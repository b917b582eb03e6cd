/* cairn-restore points: the recovery points of a repository. */
#include "restore_cmds.h"

#include "cli_args.h"
#include "snapshot_print.h"

static const char usage[] = "usage: cairn-restore points [--from NAME|URL] [--json]\n"
			    "\n"
			    "Lists the recovery points (snapshots), oldest first. Works on a fresh host\n"
			    "from the repository (or a replica: --from URL) and the key alone.\n"
			    "--from NAME reads a replica named in the configuration file, with that\n"
			    "site's endpoint, region and credentials; --from URL takes them from the\n"
			    "flags and the AWS variables.\n"
			    "\n" CLI_COMMON_OPTIONS_HELP;

int cmd_points(int argc, char **argv)
{
	return snapshot_list_command(argc, argv, usage);
}
