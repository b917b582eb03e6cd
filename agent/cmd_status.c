/* cairn-agent status: each site's newest snapshot, its age (RPO exposure) and target, from the catalog alone. */
#include "agent.h"

#include "cli_args.h"
#include "replicate_print.h"

#include "cairn/err.h"
#include "cairn/replicate.h"
#include "cairn/snapshot.h"
#include "cairn/timeutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: cairn-agent status [--json] [--rpo DURATION] [OPTIONS]\n"
	"\n"
	"For the primary and each configured replica: the newest snapshot complete\n"
	"there, its age (the RPO exposure), the RPO target, and for replicas the\n"
	"snapshots still to copy and the last replication attempt, success and error.\n"
	"Exits 0 when every site is within its RPO target, 7 when one is not, so it\n"
	"can serve as a monitoring check.\n"
	"\n"
	"It reads the local catalog only and sends no request to the replicas (the\n"
	"primary's config and key objects are read to find the catalog): what it\n"
	"shows reflects the last backup and replicate runs on this host.\n"
	"\n"
	"  --rpo DURATION   the RPO target of every site (e.g. 15m, 1h, 1d); default\n"
	"                   the site's 'rpo' key, else [cairn] rpo, else none\n"
	"\n" CLI_COMMON_OPTIONS_HELP;

enum { OPT_RPO = CLI_OPT_COMMAND_BASE };

struct site_row {
	const char *name;
	const char *url;
	int is_replica;
	struct cairn_site_status ss;
	int64_t rpo_ns; /* target, -1 = none */
	int within;
};

static int64_t target_of(const struct cli_repo_opts *o, const struct cairn_site_config *site, int64_t flag_ns)
{
	if (flag_ns >= 0)
		return flag_ns;
	if (o->cfg == NULL)
		return -1;
	return site != NULL ? cairn_config_site_rpo(o->cfg, site) : o->cfg->rpo_ns;
}

static void judge(struct site_row *row, int64_t now)
{
	if (row->rpo_ns < 0)
		row->within = 1;
	else
		row->within = row->ss.newest_time_ns > 0 && now - row->ss.newest_time_ns <= row->rpo_ns;
}

static int primary_row(struct cairn_repo *repo, const struct cli_repo_opts *o, int64_t flag_ns, int64_t now,
		       struct site_row *row)
{
	struct cairn_snapshot *snaps = NULL;
	size_t n = 0;
	int rc;

	memset(row, 0, sizeof(*row));
	row->name = "primary";
	row->url = o->repo;
	rc = cairn_snapshot_list(repo, &snaps, &n);
	if (rc < 0)
		return rc;
	if (n > 0) {
		snprintf(row->ss.newest_id, sizeof(row->ss.newest_id), "%s", snaps[n - 1].id);
		row->ss.newest_time_ns = snaps[n - 1].time_ns;
	}
	cairn_snapshots_free(snaps, n);
	row->rpo_ns = target_of(o, o->repo_site != NULL ? o->repo_site : (o->cfg ? &o->cfg->primary : NULL), flag_ns);
	judge(row, now);
	return 0;
}

static void print_row(const struct site_row *row, int64_t now)
{
	char age[64] = "-", rpo[64] = "none", when[CAIRN_TIME_STR];

	if (row->ss.newest_time_ns > 0)
		cairn_duration_format(now - row->ss.newest_time_ns, age, sizeof(age));
	if (row->rpo_ns >= 0)
		cairn_duration_format(row->rpo_ns, rpo, sizeof(rpo));
	printf("%-7s %-16s %-4s newest %.8s, %s old (rpo %s)", row->is_replica ? "replica" : "primary", row->name,
	       row->within ? "OK" : "LATE", row->ss.newest_id[0] ? row->ss.newest_id : "(none)", age, rpo);
	if (row->is_replica) {
		printf("; %llu snapshot%s pending", (unsigned long long)row->ss.snapshots_pending,
		       row->ss.snapshots_pending == 1 ? "" : "s");
		if (row->ss.last_success_ns > 0) {
			cairn_time_format(row->ss.last_success_ns, 0, when);
			printf("; last success %s", when);
		} else {
			printf("; never replicated");
		}
		if (row->ss.last_error[0] != '\0')
			printf("; last error: %s", row->ss.last_error);
	}
	putchar('\n');
}

static json_t *row_json(const struct site_row *row, int64_t now)
{
	json_t *j = site_status_json(row->name, &row->ss, now);

	if (j == NULL)
		return NULL;
	json_object_set_new(j, "role", json_string(row->is_replica ? "replica" : "primary"));
	json_object_set_new(j, "url", json_string(row->url));
	json_object_set_new(j, "rpo_target_seconds", row->rpo_ns >= 0 ? json_real((double)row->rpo_ns / 1e9) : json_null());
	json_object_set_new(j, "within_rpo", json_boolean(row->within));
	return j;
}

static int report(struct cairn_repo *repo, const struct cli_repo_opts *o, int64_t flag_ns)
{
	size_t nrep = o->cfg != NULL ? o->cfg->nreplicas : 0, nrows = 0;
	struct site_row *rows = calloc(nrep + 1, sizeof(*rows));
	int64_t now = cairn_time_now_ns();
	int rc, code = CAIRN_EXIT_OK;
	json_t *arr = NULL;

	if (rows == NULL) {
		cli_error("out of memory");
		return CAIRN_EXIT_ERROR;
	}
	rc = primary_row(repo, o, flag_ns, now, &rows[nrows++]);
	for (size_t i = 0; rc == 0 && i < nrep; i++) {
		const struct cairn_site_config *site = &o->cfg->replicas[i];
		struct site_row *row = &rows[nrows++];

		row->name = site->name;
		row->url = site->url;
		row->is_replica = 1;
		rc = cairn_replicate_site_status(repo, site->name, &row->ss);
		if (rc < 0)
			cairn_err_ctx(rc, "replica '%s'", site->name);
		row->rpo_ns = target_of(o, site, flag_ns);
		judge(row, now);
	}
	if (rc < 0) {
		free(rows);
		return cli_fail(rc, "cannot read the catalog");
	}
	if (o->json)
		arr = json_array();
	for (size_t i = 0; i < nrows; i++) {
		if (!rows[i].within)
			code = CAIRN_EXIT_RPO;
		if (arr != NULL)
			json_array_append_new(arr, row_json(&rows[i], now));
		else if (!o->json)
			print_row(&rows[i], now);
	}
	if (o->json) {
		json_t *doc = arr ? json_pack("{s:o, s:b}", "sites", arr, "within_rpo", code == CAIRN_EXIT_OK) : NULL;
		char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

		if (text != NULL)
			puts(text);
		free(text);
		json_decref(doc);
	}
	free(rows);
	return code;
}

int cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG_OPTIONS,
		{ "rpo", required_argument, NULL, OPT_RPO },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_repo_opts o = { 0 };
	struct cairn_repo *repo = NULL;
	int64_t rpo_ns = -1;
	int opt, help = 0, code;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int r = cli_common_option(&o, opt, optarg, &help);

		if (r == 1)
			continue;
		if (r == 0 && opt == OPT_RPO) {
			if (cairn_duration_parse(optarg, &rpo_ns) < 0 || rpo_ns <= 0) {
				cli_error("--rpo takes a duration such as 15m or 1h, not '%s'", optarg);
				return CAIRN_EXIT_USAGE;
			}
		} else {
			fputs(usage, stderr);
			return CAIRN_EXIT_USAGE;
		}
	}
	if (help || optind < argc) {
		fputs(usage, help ? stdout : stderr);
		return help ? CAIRN_EXIT_OK : CAIRN_EXIT_USAGE;
	}
	o.no_sync = 1; /* the catalog as the last runs left it: no listing */
	code = cli_repo_opts_env(&o);
	if (code == 0)
		code = cli_open_repo(&o, &repo);
	if (code == 0)
		code = report(repo, &o, rpo_ns);
	cairn_repo_close(repo);
	cli_repo_opts_free(&o);
	return code;
}
