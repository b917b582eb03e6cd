/* cairn-restore: lists recovery points, restores one of them, and runs
 * disaster-recovery drills. */
#include "restore_cmds.h"

#include "cli.h"
#include "cli_main.h"

static const char usage[] =
	"usage: cairn-restore COMMAND [OPTIONS]\n"
	"\n"
	"Commands:\n"
	"  points      list the recovery points [--json]\n"
	"  restore     restore a point: (--at TIME | --snapshot ID) --target DIR\n"
	"              [--include PATTERN...] [--rpo DURATION] [--overwrite] [--json]\n"
	"  drill       a disaster-recovery drill: restore a point from a replica into\n"
	"              a scratch directory with a fresh catalog, verify it, measure\n"
	"              the RPO and RTO achieved: --from NAME|URL [--at TIME |\n"
	"              --random-point] [--rpo D] [--rto D] [--sample P] [--report F]\n"
	"  version     print the version\n"
	"\n"
	"  --from NAME|URL  the repository or replica to read: a site named in the\n"
	"              configuration file (--config FILE, CAIRN_CONFIG, else\n"
	"              " CAIRN_CONFIG_DEFAULT_PATH "), or a URL\n"
	"\n"
	"Run 'cairn-restore COMMAND --help' for a command's options.\n"
	"\n" CAIRN_EXIT_CODES_HELP;

static const struct cli_command commands[] = {
	{ "points", cmd_points },
	{ "restore", cmd_restore },
	{ "drill", cmd_drill },
};

int main(int argc, char **argv)
{
	return cli_main("cairn-restore", usage, commands, sizeof(commands) / sizeof(commands[0]), argc, argv);
}
