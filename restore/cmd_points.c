/* cairn-restore points: the recovery points of a repository, or the one a restore at a given time would use. */
#include "restore_cmds.h"

#include "cli_args.h"
#include "site_select.h"
#include "snapshot_print.h"

#include "cairn/err.h"
#include "cairn/timeutil.h"

#include <stdio.h>
#include <stdlib.h>

static const char usage[] =
	"usage: cairn-restore points [--from NAME|URL] [--at TIME] [--json]\n"
	"\n"
	"Lists the recovery points (snapshots), oldest first. Works on a fresh host\n"
	"from the repository (or a replica: --from URL) and the key alone.\n"
	"--from NAME reads a replica named in the configuration file, with that\n"
	"site's endpoint, region and credentials; --from URL takes them from the\n"
	"flags and the AWS variables.\n"
	"\n"
	"  --at TIME   show, without restoring, the point a restore at TIME would use\n"
	"              (the newest snapshot taken at or before TIME) and the loss\n"
	"              window: TIME minus the point's time. TIME is RFC 3339\n"
	"              (2026-11-26T12:00:00Z, 2026-11-26T14:00:00+02:00), local time\n"
	"              without a zone (2026-11-26 12:00), 'latest', or relative\n"
	"              (2h ago, -30m). Exit 9 when there is no point at or before TIME.\n"
	"\n"
	"Without --from (nor --repo or CAIRN_REPO), when the configuration names\n"
	"replicas, every site is probed (its config object read, 5 s at most) and\n"
	"the points are read from the nearest healthy site that holds the point;\n"
	"stderr says which, and why the others were passed over.\n"
	"\n" CLI_COMMON_OPTIONS_HELP;

enum { OPT_AT = CLI_OPT_COMMAND_BASE };

static int list_points(const struct cli_repo_opts *o, const struct site_choice *ch, struct cairn_repo *repo)
{
	struct cairn_snapshot *snaps = NULL;
	size_t count = 0;
	int rc;

	site_choice_print(o, ch, "recovery points of");
	rc = cairn_snapshot_list(repo, &snaps, &count);
	if (rc < 0)
		return cli_fail(o->ctx, rc, "cannot list snapshots");
	snapshot_print_list(snaps, count, o->json);
	cairn_snapshots_free(snaps, count);
	return CAIRN_EXIT_OK;
}

static int show_choice(const struct cli_repo_opts *o, const struct site_choice *ch, struct cairn_repo *repo,
		       const struct cairn_snapshot *snap, const char *at, int64_t at_ns)
{
	int code = snap != NULL ? CAIRN_EXIT_OK : CAIRN_EXIT_NO_POINT;
	char notes[3072];

	site_choice_notes(ch, 1, notes, sizeof(notes));
	if (snap != NULL)
		site_choice_print(o, ch, "recovery point from");
	else
		point_none_error(o->ctx, repo, at_ns, notes);
	if (o->json) {
		json_t *j = point_choice_json(snap, at, at_ns);
		char *text;

		json_object_set_new(j, "site", site_choice_json(ch));
		json_object_set_new(j, "exit_code", json_integer(code));
		text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
		if (text != NULL)
			puts(text);
		free(text);
		json_decref(j);
	} else if (snap != NULL) {
		point_choice_print(snap, at, at_ns);
	}
	return code;
}

int cmd_points(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG_OPTIONS,
		CLI_FROM_LONG_OPTION,
		{ "at", required_argument, NULL, OPT_AT },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_repo_opts o = { .ctx = ctx };
	struct site_choice ch = { 0 };
	struct cairn_snapshot snap = { 0 };
	struct cairn_site_query q = { NULL, 0 };
	struct cairn_repo *repo = NULL;
	const char *at = NULL;
	int opt, help = 0, code, found = 0, unnamed;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int r = cli_common_option(&o, opt, optarg, &help);

		if (r == 1)
			continue;
		if (r == 0 && opt == OPT_AT) {
			at = optarg;
			continue;
		}
		fputs(usage, stderr);
		return CAIRN_EXIT_USAGE;
	}
	if (help) {
		fputs(usage, stdout);
		return CAIRN_EXIT_OK;
	}
	if (optind != argc) {
		cli_error(ctx, "unexpected argument '%s'", argv[optind]);
		return CAIRN_EXIT_USAGE;
	}
	q.at_ns = cairn_time_now_ns();
	if (at != NULL && cairn_time_parse(at, q.at_ns, &q.at_ns) < 0) {
		cli_error(ctx, "--at: %s", cairn_err_msg());
		return CAIRN_EXIT_USAGE;
	}
	unnamed = site_select_unnamed(&o);
	code = cli_repo_opts_env(&o);
	if (code == 0)
		code = site_select_open(&o, unnamed, &q, &ch, &repo, &snap, &found);
	if (code == 0 && at == NULL)
		code = list_points(&o, &ch, repo);
	else if (code == 0)
		code = show_choice(&o, &ch, repo, found ? &snap : NULL, at, q.at_ns);
	cairn_snapshot_clear(&snap);
	cairn_repo_close(repo);
	site_choice_free(&ch);
	cli_repo_opts_free(&o);
	return code;
}
