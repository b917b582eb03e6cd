/* cairn-restore: lists recovery points, restores one of them, and runs
 * disaster-recovery drills. */
#include "restore_cmds.h"

#include "cli.h"
#include "job_report.h"

#include "cairn/crypto.h"

#include <stdio.h>
#include <string.h>

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
		printf("cairn-restore %s (repository format %d)\n", CAIRN_VERSION, CAIRN_FORMAT_VERSION);
		return CAIRN_EXIT_OK;
	}
	if (cairn_crypto_init() < 0) {
		cli_error("cannot initialise libsodium");
		return CAIRN_EXIT_ERROR;
	}
	if (strcmp(cmd, "points") == 0)
		return cmd_points(argc - 1, argv + 1);
	if (strcmp(cmd, "restore") == 0)
		return cmd_restore(argc - 1, argv + 1);
	if (strcmp(cmd, "drill") == 0)
		return cmd_drill(argc - 1, argv + 1);
	cli_error("unknown command '%s' (see 'cairn-restore --help')", cmd);
	return CAIRN_EXIT_USAGE;
}

/* A report for the run, as in cairn-agent: it carries the logging choice
 * (--syslog) and records a job if a command names one. */
int main(int argc, char **argv)
{
	struct job_report rep;

	cli_set_program("cairn-restore");
	job_report_init(&rep);
	job_report_set_current(&rep);
	return job_report_finish(&rep, run(argc, argv));
}
