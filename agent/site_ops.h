/* The sites forget and prune work on, and opening each as a repository. */
#ifndef CAIRN_AGENT_SITE_OPS_H
#define CAIRN_AGENT_SITE_OPS_H

#include <jansson.h>
#include <stddef.h>

#include "cli.h"

#include "cairn/prune.h"
#include "cairn/retention.h"

struct site_ref {
	const char *name;                     /* "primary", a replica's name, or the URL */
	const char *url;
	const struct cairn_site_config *site; /* NULL for a bare URL */
	int is_replica;
};

/* `arg` NULL: the primary, then every configured replica. Else one site:
 * "primary", a replica's name, or a URL (taken as the primary when it is
 * the primary's URL or there is no configuration, else as a replica only
 * when it is a configured one's URL; another URL is refused). *ret is
 * malloc'd. Prints errors; returns 0 or an exit code. */
int site_ops_list(const struct cli_repo_opts *o, const char *arg, struct site_ref **ret, size_t *ret_n);

/* Open `s` as a repository with o's key and state directory (the primary
 * with the S3 flags, a replica with its own settings). `sync`: synchronise
 * the catalog. Prints errors; returns 0 or an exit code. */
int site_ops_open(const struct cli_repo_opts *o, const struct site_ref *s, int sync, struct cairn_repo **ret);

/* The retention policy of a site: the --keep-* flags (`flags`, any rule
 * on) beat the site's keep-* keys. */
void site_ops_policy(const struct site_ref *s, const struct cairn_retention_policy *flags,
		     struct cairn_retention_policy *ret);

/* "last 3, daily 7, within 2d" for people; "none" when empty. */
void site_ops_policy_text(const struct cairn_retention_policy *p, char *out, size_t len);

/* Forget on one site: decide with `policy` (cairn_forget_plan, with the
 * delete-grace of cairn_replicate_forget_grace_ns), print the verdicts
 * (human, or appended to `json_sites`), and unless dry_run delete the
 * forgotten snapshots: on the primary cairn_forget_snapshot, on a replica
 * cairn_replicate_forget_snapshot (which tombstones them in `primary`'s
 * catalog, may be NULL). *ret_removed counts them. Returns an exit code. */
int site_ops_forget(const struct cli_repo_opts *o, const struct site_ref *s, struct cairn_repo *repo,
		    struct cairn_repo *primary, const struct cairn_retention_policy *policy, int dry_run,
		    json_t *json_sites, uint64_t *ret_removed);

#endif

/* --keep-* options shared by forget and prune. */
enum { SITE_OPT_KEEP_LAST = 1300, SITE_OPT_KEEP_HOURLY, SITE_OPT_KEEP_DAILY, SITE_OPT_KEEP_WEEKLY,
       SITE_OPT_KEEP_MONTHLY, SITE_OPT_KEEP_YEARLY, SITE_OPT_KEEP_WITHIN };

#define SITE_KEEP_LONG_OPTIONS                                                  \
	{ "keep-last", required_argument, NULL, SITE_OPT_KEEP_LAST },           \
	{ "keep-hourly", required_argument, NULL, SITE_OPT_KEEP_HOURLY },       \
	{ "keep-daily", required_argument, NULL, SITE_OPT_KEEP_DAILY },         \
	{ "keep-weekly", required_argument, NULL, SITE_OPT_KEEP_WEEKLY },       \
	{ "keep-monthly", required_argument, NULL, SITE_OPT_KEEP_MONTHLY },     \
	{ "keep-yearly", required_argument, NULL, SITE_OPT_KEEP_YEARLY },       \
	{ "keep-within", required_argument, NULL, SITE_OPT_KEEP_WITHIN }

#define SITE_KEEP_HELP                                                                   \
	"  --keep-last N, --keep-hourly N, --keep-daily N, --keep-weekly N,\n"           \
	"  --keep-monthly N, --keep-yearly N, --keep-within DURATION\n"                  \
	"                     a retention policy for this run, instead of the sites'\n" \
	"                     keep-* keys (see docs/CONFIG.md)\n"

/* 1 when `opt` is a --keep-* option (parsed into *p), 0 when it is not,
 * -1 for a bad value (printed to ctx). */
int site_ops_keep_option(const struct cli_ctx *ctx, int opt, const char *arg, struct cairn_retention_policy *p);
