/* Retention selection: which snapshots a keep-* policy keeps and why (pure, no I/O). */
#ifndef CAIRN_RETENTION_H
#define CAIRN_RETENTION_H

/*
 * The rules follow restic's `forget`:
 *
 *   last N     the N newest snapshots
 *   hourly N   the newest snapshot of each of the N most recent hours that
 *              have a snapshot; daily, weekly, monthly and yearly likewise
 *              with calendar days, ISO 8601 weeks (Monday to Sunday, week 1
 *              holds the year's first Thursday, so 2021-01-01 falls in week
 *              53 of 2020), months and years
 *   within D   every snapshot strictly younger than D measured back from the
 *              NEWEST SNAPSHOT of its group (not from the clock, as restic
 *              does: a repository that stopped receiving backups keeps them)
 *
 * All calendar buckets are taken in UTC, whatever the TZ of the process, so
 * the same repository gives the same answer on every machine.
 *
 * A snapshot kept by any rule is kept; the result records every rule that
 * kept it. Counts and durations <= 0 mean "rule off" (the configuration uses
 * -1 for unset; 0 keeps nothing either, as in restic). A policy with no rule
 * on is refused rather than read as "forget everything" or "keep
 * everything". With at least one rule on, the newest snapshot of each group
 * is always kept, so no group is ever emptied.
 *
 * Snapshots are grouped like restic's default `--group-by host,paths` and
 * each group is judged on its own: with CAIRN_RETENTION_GROUP_HOST, by host
 * name (NULL = ""); with CAIRN_RETENTION_GROUP_PATHS, by the SET of backed-
 * up paths (order and duplicates ignored). With neither flag, all snapshots
 * form one group.
 *
 * Newest first means: by time_ns, then, for equal times, the greater id,
 * then the later position in the input. Input order does not matter
 * otherwise.
 */

#include <stddef.h>
#include <stdint.h>

struct cairn_snapshot;
struct cairn_config_retention;

/* Reasons: one bit per rule. */
enum cairn_retention_reason {
	CAIRN_RETENTION_LAST = 1u << 0,
	CAIRN_RETENTION_HOURLY = 1u << 1,
	CAIRN_RETENTION_DAILY = 1u << 2,
	CAIRN_RETENTION_WEEKLY = 1u << 3,
	CAIRN_RETENTION_MONTHLY = 1u << 4,
	CAIRN_RETENTION_YEARLY = 1u << 5,
	CAIRN_RETENTION_WITHIN = 1u << 6
};

/* Grouping flags for cairn_retention_select(). */
#define CAIRN_RETENTION_GROUP_HOST 1u
#define CAIRN_RETENTION_GROUP_PATHS 2u
#define CAIRN_RETENTION_GROUP_DEFAULT (CAIRN_RETENTION_GROUP_HOST | CAIRN_RETENTION_GROUP_PATHS)

/* Room for the longest reasons text, "last, hourly, ..., within", and NUL. */
#define CAIRN_RETENTION_REASONS_MAX 64

/* Each field <= 0 = off (see above). */
struct cairn_retention_policy {
	int last, hourly, daily, weekly, monthly, yearly;
	int64_t within_ns;
};

/* The verdict for one input snapshot. */
struct cairn_retention_result {
	unsigned reasons; /* CAIRN_RETENTION_* bits that keep it; 0 = forget */
	size_t group;     /* 0..ngroups-1, groups ordered by host, then paths */
};

/* Policy from a site's configuration (fields -1 when unset). `cfg` may be
 * NULL (every rule off). Never fails; *ret is always written. */
void cairn_retention_from_config(const struct cairn_config_retention *cfg, struct cairn_retention_policy *ret);

/* Non-zero when `p` (may be NULL) has no rule on. */
int cairn_retention_policy_is_empty(const struct cairn_retention_policy *p);

/* Decide for each of the `n` snapshots in `snaps` (only id, time_ns, host,
 * paths and npaths are read; `snaps` may be NULL when n is 0) whether
 * `policy` keeps it. `group_by` is a set of CAIRN_RETENTION_GROUP_* flags.
 * On success *ret_results is a malloc'd array of n results in input order
 * (NULL when n is 0; the caller frees it with free()) and *ret_ngroups (may
 * be NULL) the number of groups.
 * Returns 0; CAIRN_EINVAL when policy is NULL or has no rule on ("empty
 * retention policy would remove every snapshot"), when snaps is NULL with
 * n > 0, or when group_by has unknown bits; CAIRN_ENOMEM. */
int cairn_retention_select(const struct cairn_retention_policy *policy, const struct cairn_snapshot *snaps,
			   size_t n, unsigned group_by, struct cairn_retention_result **ret_results,
			   size_t *ret_ngroups);

/* Name of one reason bit ("last", "hourly", ..., "within"), or "?". */
const char *cairn_retention_reason_name(unsigned reason);

/* The set bits of `reasons` as "daily, monthly" in rule order ("" for 0),
 * truncated to fit `out_len` bytes (CAIRN_RETENTION_REASONS_MAX always
 * suffices). `out` is always NUL-terminated when out_len > 0. */
void cairn_retention_reasons_format(unsigned reasons, char *out, size_t out_len);

#endif
