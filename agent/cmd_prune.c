/* cairn-agent prune: apply retention, then remove data no snapshot uses. */
#include "agent.h"

#include "cli_args.h"
#include "job_report.h"
#include "site_ops.h"

#include "cairn/err.h"
#include "cairn/timeutil.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: cairn-agent prune [--site NAME|URL] [--dry-run] [--no-forget] [--grace D]\n"
	"                         [--repack-threshold PERCENT] [--lock-wait D] [OPTIONS]\n"
	"\n"
	"On each site (the primary, then every replica; or --site): first applies the\n"
	"site's retention policy as 'forget' does (unless --no-forget), then removes\n"
	"data no snapshot uses, in two phases that never block backups for long:\n"
	"\n"
	"  1. mark: packs no snapshot uses are marked; packs whose unused share is at\n"
	"     least the repack threshold have their used data copied to new packs,\n"
	"     then are marked. Backups keep running (shared lock).\n"
	"  2. sweep: packs marked longer ago than the grace period, and still unused\n"
	"     by every snapshot (including those written since), are deleted, with\n"
	"     their index objects rewritten first. This takes the repository for\n"
	"     the deletions only: a backup waits, or exits 6 after its --lock-wait.\n"
	"\n"
	"A mark younger than the grace period waits for a later prune: run prune\n"
	"regularly (e.g. weekly, [jobs] prune). On a replica nothing is repacked,\n"
	"and a pack still on the primary is kept (replication would copy it back).\n"
	"Memory stays small whatever the repository's size: the bookkeeping is in\n"
	"the catalog on disk.\n"
	"\n"
	"  --site NAME|URL         only this site: primary, a replica's name, or a URL\n"
	"  --dry-run               report what would be forgotten, marked, repacked and\n"
	"                          deleted; change nothing\n"
	"  --no-forget             do not apply retention first\n"
	"  --grace D               how long a pack stays marked before it is deleted\n"
	"                          (default 1d; 0 deletes in this run, when no backup\n"
	"                          runs)\n"
	"  --repack-threshold PCT  repack packs at least PCT% unused (default 30;\n"
	"                          'off' never repacks)\n"
	"  --lock-wait D           wait up to D for running backups before the sweep\n"
	"                          (default [cairn] lock-wait, else 0), then exit 6 with\n"
	"                          the marks kept\n" SITE_KEEP_HELP "\n" CLI_COMMON_OPTIONS_HELP
	"\n" CAIRN_EXIT_CODES_HELP;

enum { OPT_SITE = CLI_OPT_COMMAND_BASE, OPT_DRY_RUN, OPT_NO_FORGET, OPT_GRACE, OPT_REPACK, OPT_LOCK_WAIT };

struct prune_args {
	const char *site;
	int dry_run, no_forget;
	int64_t grace_ns, lock_wait_ns; /* -1 = not given */
	int threshold;                   /* 0 = default, 101 = off */
	struct cairn_retention_policy keep;
};

static int parse_duration(const struct cli_ctx *ctx, const char *flag, const char *arg, int64_t *ret)
{
	if (cairn_duration_parse(arg, ret) < 0 || *ret < 0) {
		cli_error(ctx, "%s: '%s' is not a duration (e.g. 0, 12h, 2d)", flag, arg);
		return -1;
	}
	return 0;
}

static int parse_threshold(const struct cli_ctx *ctx, const char *arg, int *ret)
{
	char *end;
	long v;

	if (strcmp(arg, "off") == 0) {
		*ret = 101;
		return 0;
	}
	v = strtol(arg, &end, 10);
	if (*end == '%')
		end++;
	if (end == arg || *end != '\0' || v < 1 || v > 100) {
		cli_error(ctx, "--repack-threshold: '%s' is not a percentage from 1 to 100, or 'off'", arg);
		return -1;
	}
	*ret = (int)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct cli_repo_opts *o, struct prune_args *a, int *help)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG_OPTIONS,
		SITE_KEEP_LONG_OPTIONS,
		{ "site", required_argument, NULL, OPT_SITE },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "no-forget", no_argument, NULL, OPT_NO_FORGET },
		{ "grace", required_argument, NULL, OPT_GRACE },
		{ "repack-threshold", required_argument, NULL, OPT_REPACK },
		{ "lock-wait", required_argument, NULL, OPT_LOCK_WAIT },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int r = cli_common_option(o, opt, optarg, help), k, bad = 0;

		if (r == 1)
			continue;
		k = r == 0 ? site_ops_keep_option(o->ctx, opt, optarg, &a->keep) : -1;
		if (k == 1)
			continue;
		if (k != 0)
			return CAIRN_EXIT_USAGE;
		switch (opt) {
		case OPT_SITE: a->site = optarg; break;
		case OPT_DRY_RUN: a->dry_run = 1; break;
		case OPT_NO_FORGET: a->no_forget = 1; break;
		case OPT_GRACE: bad = parse_duration(o->ctx, "--grace", optarg, &a->grace_ns); break;
		case OPT_LOCK_WAIT: bad = parse_duration(o->ctx, "--lock-wait", optarg, &a->lock_wait_ns); break;
		case OPT_REPACK: bad = parse_threshold(o->ctx, optarg, &a->threshold); break;
		default: return CAIRN_EXIT_USAGE;
		}
		if (bad)
			return CAIRN_EXIT_USAGE;
	}
	if (optind < argc) {
		cli_error(o->ctx, "unexpected argument '%s'", argv[optind]);
		return CAIRN_EXIT_USAGE;
	}
	return 0;
}

struct prune_ui {
	struct cli_progress progress;
	const char *site;
};

static void on_progress(void *ctx, const char *phase, uint64_t done, uint64_t total)
{
	struct prune_ui *ui = ctx;

	cli_progress_line(&ui->progress, "site %s: %s %llu/%llu", ui->site, phase, (unsigned long long)done,
			  (unsigned long long)total);
}

static json_t *stats_json(const char *site, const struct cairn_prune_stats *st, int dry_run, int code)
{
	json_t *j = json_pack("{s:s, s:b, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			      "site", site, "dry_run", dry_run, "exit_code", code, "snapshots",
			      (json_int_t)st->snapshots, "blobs_used", (json_int_t)st->blobs_used, "packs",
			      (json_int_t)st->packs, "bytes", (json_int_t)st->bytes, "bytes_unused",
			      (json_int_t)st->bytes_unused, "packs_unused", (json_int_t)st->packs_unused,
			      "packs_marked", (json_int_t)st->packs_marked, "packs_unmarked",
			      (json_int_t)st->packs_unmarked, "packs_repacked", (json_int_t)st->packs_repacked,
			      "bytes_repacked", (json_int_t)st->bytes_repacked, "packs_waiting",
			      (json_int_t)st->packs_waiting, "packs_deleted", (json_int_t)st->packs_deleted,
			      "bytes_deleted", (json_int_t)st->bytes_deleted);

	if (j != NULL) {
		json_object_set_new(j, "packs_on_primary", json_integer((json_int_t)st->packs_on_primary));
		json_object_set_new(j, "index_written", json_integer((json_int_t)st->index_written));
		json_object_set_new(j, "index_deleted", json_integer((json_int_t)st->index_deleted));
		json_object_set_new(j, "sweep_postponed", json_boolean(st->sweep_locked));
		if (st->next_sweep_ns > 0) {
			char when[CAIRN_TIME_STR];

			cairn_time_format(st->next_sweep_ns, 0, when);
			json_object_set_new(j, "next_deletion_after", json_string(when));
		}
	}
	return j;
}

static void print_stats(const char *site, const struct cairn_prune_stats *st, int dry_run)
{
	char total[32], unused[32], repacked[32], freed[32];

	cli_format_bytes(st->bytes, total, sizeof(total));
	cli_format_bytes(st->bytes_unused, unused, sizeof(unused));
	cli_format_bytes(st->bytes_repacked, repacked, sizeof(repacked));
	cli_format_bytes(st->bytes_deleted, freed, sizeof(freed));
	printf("site %s: %llu snapshots use %llu blobs; %llu packs, %s, of which %s unused\n", site,
	       (unsigned long long)st->snapshots, (unsigned long long)st->blobs_used, (unsigned long long)st->packs,
	       total, unused);
	printf("site %s: %s %llu unused packs, %s %llu packs (%s)%s; %s %llu packs (%s)\n", site,
	       dry_run ? "would mark" : "marked", (unsigned long long)(dry_run ? st->packs_unused : st->packs_marked),
	       dry_run ? "would repack" : "repacked", (unsigned long long)st->packs_repacked, repacked,
	       st->packs_unmarked > 0 ? ", unmarked packs used again" : "", dry_run ? "would delete" : "deleted",
	       (unsigned long long)st->packs_deleted, dry_run ? "after the sweep's checks" : freed);
	if (st->packs_waiting > 0) {
		char when[CAIRN_TIME_STR];

		cairn_time_format(st->next_sweep_ns, 0, when);
		printf("site %s: %llu marked packs wait for the grace period; the first can go after %s\n", site,
		       (unsigned long long)st->packs_waiting, when);
	}
	if (st->packs_on_primary > 0)
		printf("site %s: %llu unused packs kept: the primary still has them\n", site,
		       (unsigned long long)st->packs_on_primary);
}

/* Forget (unless disabled or no policy), then prune one site. */
static int prune_site(const struct cli_repo_opts *o, const struct prune_args *a, const struct site_ref *s,
		      struct cairn_repo *primary, json_t *json_sites, uint64_t totals[3])
{
	struct cairn_retention_policy pol;
	struct cairn_prune_opts po = { 0 };
	struct cairn_prune_stats st = { 0 };
	struct prune_ui ui = { .site = s->name };
	struct cairn_repo *repo = NULL;
	json_t *forget = json_sites != NULL ? json_array() : NULL, *site_json;
	uint64_t removed = 0;
	int code, rc;

	code = site_ops_open(o, s, 1, &repo);
	if (code != 0) {
		json_decref(forget);
		return code;
	}
	site_ops_policy(s, &a->keep, &pol);
	if (!a->no_forget && !cairn_retention_policy_is_empty(&pol))
		code = site_ops_forget(o, s, repo, primary, &pol, a->dry_run, forget, &removed);
	totals[0] += removed;
	if (code != 0)
		goto out;
	po.dry_run = a->dry_run;
	po.grace_ns = a->grace_ns;
	po.repack_threshold = a->threshold;
	po.lock_wait_ns = a->lock_wait_ns >= 0 ? a->lock_wait_ns
			  : o->cfg != NULL && o->cfg->lock_wait_ns > 0 ? o->cfg->lock_wait_ns : 0;
	po.primary = s->is_replica && primary != NULL ? cairn_repo_store(primary) : NULL;
	po.on_progress = on_progress;
	po.ctx = &ui;
	if (s->is_replica && primary == NULL) {
		cli_error(o->ctx, "site %s: the primary cannot be opened, so prune cannot tell which packs replication "
			  "would copy back; nothing was pruned there",
			  s->name);
		code = CAIRN_EXIT_ERROR;
		goto out;
	}
	cli_progress_init(&ui.progress, o);
	rc = cairn_prune(repo, &po, &st);
	cli_progress_done(&ui.progress);
	if (rc < 0)
		code = cli_fail(o->ctx, rc, NULL);
	if (!o->json && !o->quiet && (rc == 0 || rc == CAIRN_ELOCKED))
		print_stats(s->name, &st, a->dry_run);
	if (json_sites != NULL) {
		site_json = stats_json(s->name, &st, a->dry_run, code);
		if (site_json != NULL && json_array_size(forget) > 0)
			json_object_set(site_json, "forget", json_array_get(forget, 0));
		json_array_append_new(json_sites, site_json);
	}
	totals[1] += st.packs_deleted;
	totals[2] += st.bytes_deleted;
	if (!s->is_replica && !a->dry_run)
		job_report_sites(o->ctx->report, repo, o);
out:
	json_decref(forget);
	cairn_repo_close(repo);
	return code;
}

int cmd_prune(struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_repo_opts o = { .ctx = ctx };
	struct prune_args a = { .grace_ns = -1, .lock_wait_ns = -1 };
	struct site_ref *sites = NULL;
	struct cairn_repo *primary = NULL;
	json_t *json_sites = NULL;
	size_t nsites = 0;
	uint64_t totals[3] = { 0 };
	int help = 0, code;

	code = parse_args(argc, argv, &o, &a, &help);
	if (code != 0 || help) {
		fputs(usage, code != 0 ? stderr : stdout);
		return code;
	}
	code = cli_repo_opts_env(&o);
	if (code == 0)
		code = site_ops_list(&o, a.site, &sites, &nsites);
	if (code != 0)
		goto out;
	if (!a.dry_run)
		job_report_begin(ctx->report, &o, "prune");
	json_sites = o.json ? json_array() : NULL;
	for (size_t i = 0; i < nsites; i++) {
		int c;

		if (sites[i].is_replica && primary == NULL) {
			struct site_ref p = { "primary", o.repo, o.repo_site, 0 };

			(void)site_ops_open(&o, &p, 0, &primary);
		}
		c = prune_site(&o, &a, &sites[i], primary, json_sites, totals);
		if (c != 0 && code == 0)
			code = c;
	}
	if (json_sites != NULL) {
		json_t *j = json_pack("{s:O}", "sites", json_sites);
		char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

		if (text != NULL)
			puts(text);
		free(text);
		json_decref(j);
	}
	job_report_count(ctx->report, JOB_SNAPSHOTS_REMOVED, (int64_t)totals[0]);
	job_report_count(ctx->report, JOB_PACKS_DELETED, (int64_t)totals[1]);
	job_report_count(ctx->report, JOB_BYTES_FREED, (int64_t)totals[2]);
out:
	json_decref(json_sites);
	cairn_repo_close(primary);
	free(sites);
	cli_repo_opts_free(&o);
	return code;
}
