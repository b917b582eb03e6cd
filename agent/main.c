/* cairn-agent: takes encrypted, deduplicated snapshots. */
#include "agent.h"

#include "cli.h"
#include "job_report.h"

#include "cairn/crypto.h"

#include <stdio.h>
#include <string.h>

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

static int run(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		fputs(usage, stderr);
		return CAIRN_EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage, stdout);
		return CAIRN_EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("cairn-agent %s (repository format %d)\n", CAIRN_VERSION, CAIRN_FORMAT_VERSION);
		return CAIRN_EXIT_OK;
	}
	if (cairn_crypto_init() < 0) {
		cli_error("cannot initialise libsodium");
		return CAIRN_EXIT_ERROR;
	}
	if (strcmp(cmd, "init") == 0)
		return cmd_init(argc - 1, argv + 1);
	if (strcmp(cmd, "backup") == 0)
		return cmd_backup(argc - 1, argv + 1);
	if (strcmp(cmd, "snapshots") == 0)
		return cmd_snapshots(argc - 1, argv + 1);
	if (strcmp(cmd, "key") == 0)
		return cmd_key(argc - 1, argv + 1);
	if (strcmp(cmd, "replicate") == 0)
		return cmd_replicate(argc - 1, argv + 1);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(argc - 1, argv + 1);
	if (strcmp(cmd, "config") == 0)
		return cmd_config(argc - 1, argv + 1);
	if (strcmp(cmd, "forget") == 0)
		return cmd_forget(argc - 1, argv + 1);
	if (strcmp(cmd, "prune") == 0)
		return cmd_prune(argc - 1, argv + 1);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	cli_error("unknown command '%s' (see 'cairn-agent --help')", cmd);
	return CAIRN_EXIT_USAGE;
}

/* The run's job report is the programs' one process-wide mutable state
 * besides the program name: registered here, written to by the command
 * (job_report_begin, counters, cli_error's message) and finished here,
 * which records the job when the command named one (job_report.h). */
int main(int argc, char **argv)
{
	struct job_report rep;

	cli_set_program("cairn-agent");
	job_report_init(&rep);
	job_report_set_current(&rep);
	return job_report_finish(&rep, run(argc, argv));
}
