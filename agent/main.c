/* cairn-agent: takes encrypted, deduplicated snapshots. */
#include "agent.h"

#include "cli.h"
#include "cli_main.h"

static const char usage[] =
	"usage: cairn-agent COMMAND [OPTIONS]\n"
	"\n"
	"Commands:\n"
	"  init        create a repository (--repo URL) and its first key\n"
	"  backup      back up PATH... into a new snapshot, or the configured backup\n"
	"              sets [--set NAME] (with their hooks) [--tag T] [--json]\n"
	"  snapshots   list the snapshots [--json]\n"
	"  key         manage keys: key add | key list | key remove ID\n"
	"  replicate   copy the repository to replica sites [--to NAME|URL] [--json]\n"
	"  forget      remove the snapshots each site's retention policy drops\n"
	"              [--site S] [--dry-run] [--keep-* N]\n"
	"  prune       forget, then remove the data no snapshot uses [--site S]\n"
	"              [--dry-run] [--grace D]\n"
	"  check       verify the repository [--read-data[=PERCENT]]\n"
	"  run         the scheduler: run every scheduled job, never overlapping\n"
	"              [--once] [--dry-run]\n"
	"  status      RPO exposure of each site, last and next run of each job\n"
	"              [--rpo D] [--json]\n"
	"  config      config check [--config FILE]: validate the configuration file\n"
	"  version     print the version\n"
	"\n"
	"Run 'cairn-agent COMMAND --help' for a command's options. Every command reads\n"
	"the configuration file (--config FILE, CAIRN_CONFIG, else " CAIRN_CONFIG_DEFAULT_PATH ",\n"
	"which may be missing); flags beat environment variables, which beat the file.\n"
	"\n" CAIRN_EXIT_CODES_HELP;

static const struct cli_command commands[] = {
	{ "init", cmd_init },
	{ "backup", cmd_backup },
	{ "snapshots", cmd_snapshots },
	{ "key", cmd_key },
	{ "replicate", cmd_replicate },
	{ "status", cmd_status },
	{ "config", cmd_config },
	{ "forget", cmd_forget },
	{ "prune", cmd_prune },
	{ "check", cmd_check },
	{ "run", cmd_run },
};

/* cli_main creates the run's context (program name, job report, syslog
 * choice) and hands it to the command: nothing of the run is global. */
int main(int argc, char **argv)
{
	return cli_main("cairn-agent", usage, commands, sizeof(commands) / sizeof(commands[0]), argc, argv);
}
