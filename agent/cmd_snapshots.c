/* cairn-agent snapshots: list the snapshots of the repository. */
#include "agent.h"

#include "cli_args.h"
#include "snapshot_print.h"

#include "cairn/snapshot.h"

#include <stdio.h>

static const char usage[] = "usage: cairn-agent snapshots [--json]\n\nLists the snapshots, oldest first.\n\n" CLI_COMMON_OPTIONS_HELP;

int cmd_snapshots(int argc, char **argv)
{
	static const struct option longopts[] = { CLI_COMMON_LONG_OPTIONS, { NULL, 0, NULL, 0 } };
	struct cli_repo_opts o = { 0 };
	struct cairn_repo *repo = NULL;
	struct cairn_snapshot *snaps = NULL;
	size_t count = 0;
	int opt, help = 0, code, rc;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		if (cli_common_option(&o, opt, optarg, &help) != 1) {
			fputs(usage, stderr);
			return CAIRN_EXIT_USAGE;
		}
	if (help) {
		fputs(usage, stdout);
		return CAIRN_EXIT_OK;
	}
	if (optind != argc) {
		cli_error("unexpected argument '%s'", argv[optind]);
		return CAIRN_EXIT_USAGE;
	}
	cli_repo_opts_env(&o);
	code = cli_open_repo(&o, &repo);
	if (code != 0)
		return code;
	rc = cairn_snapshot_list(repo, &snaps, &count);
	if (rc < 0) {
		code = cli_fail(rc, "cannot list snapshots");
	} else {
		snapshot_print_list(snaps, count, o.json);
		code = CAIRN_EXIT_OK;
	}
	cairn_snapshots_free(snaps, count);
	cairn_repo_close(repo);
	return code;
}
