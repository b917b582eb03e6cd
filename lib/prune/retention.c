/* Retention selection: restic-style keep-* rules over snapshot times, UTC calendar buckets. */
#include "cairn/retention.h"

#include "cairn/buf.h"
#include "cairn/config.h"
#include "cairn/err.h"
#include "cairn/snapshot.h"
#include "cairn/timeutil.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { R_LAST, R_HOURLY, R_DAILY, R_WEEKLY, R_MONTHLY, R_YEARLY, R_WITHIN, R_COUNT };

static const char *const reason_names[R_COUNT] = {
	"last", "hourly", "daily", "weekly", "monthly", "yearly", "within",
};

/* One input snapshot, with what sorting and bucketing need. */
struct entry {
	const struct cairn_snapshot *s;
	size_t idx;          /* position in the input */
	const char *host;    /* "" when not grouping by host */
	const char **paths;  /* sorted, without duplicates; none when not grouping by paths */
	size_t npaths;
	int64_t key[R_COUNT]; /* calendar bucket per rule (R_HOURLY..R_YEARLY) */
};

void cairn_retention_from_config(const struct cairn_config_retention *cfg, struct cairn_retention_policy *ret)
{
	struct cairn_retention_policy p = { -1, -1, -1, -1, -1, -1, -1 };

	if (cfg != NULL) {
		p.last = cfg->keep_last;
		p.hourly = cfg->keep_hourly;
		p.daily = cfg->keep_daily;
		p.weekly = cfg->keep_weekly;
		p.monthly = cfg->keep_monthly;
		p.yearly = cfg->keep_yearly;
		p.within_ns = cfg->keep_within_ns;
	}
	*ret = p;
}

int cairn_retention_policy_is_empty(const struct cairn_retention_policy *p)
{
	return p == NULL || (p->last <= 0 && p->hourly <= 0 && p->daily <= 0 && p->weekly <= 0 && p->monthly <= 0 &&
			     p->yearly <= 0 && p->within_ns <= 0);
}

const char *cairn_retention_reason_name(unsigned reason)
{
	for (int i = 0; i < R_COUNT; i++)
		if (reason == 1u << i)
			return reason_names[i];
	return "?";
}

void cairn_retention_reasons_format(unsigned reasons, char *out, size_t out_len)
{
	size_t used = 0;

	if (out_len == 0)
		return;
	out[0] = '\0';
	for (int i = 0; i < R_COUNT; i++) {
		const char *name = reason_names[i];
		const char *sep = used > 0 ? ", " : "";

		if (!(reasons & (1u << i)))
			continue;
		for (const char *p = sep; *p != '\0' && used + 1 < out_len; p++)
			out[used++] = *p;
		for (const char *p = name; *p != '\0' && used + 1 < out_len; p++)
			out[used++] = *p;
		out[used] = '\0';
	}
}

/* Years with 53 ISO weeks: those starting on a Thursday, or leap years
 * starting on a Wednesday. p() is the weekday of 31 December (0 = Sunday);
 * years here are 1677..2262, so the divisions need no floor. */
static int dec31_weekday(int64_t y)
{
	return (int)((y + y / 4 - y / 100 + y / 400) % 7);
}

static int iso_weeks_in_year(int64_t y)
{
	return dec31_weekday(y) == 4 || dec31_weekday(y - 1) == 3 ? 53 : 52;
}

static void iso_week(const struct tm *tm, int64_t *ret_year, int *ret_week)
{
	int64_t y = (int64_t)tm->tm_year + 1900;
	int wday = (tm->tm_wday + 6) % 7 + 1; /* Monday 1 .. Sunday 7 */
	int week = (tm->tm_yday + 1 - wday + 10) / 7;

	if (week < 1) {
		y--;
		week = iso_weeks_in_year(y);
	} else if (week > iso_weeks_in_year(y)) {
		y++;
		week = 1;
	}
	*ret_year = y;
	*ret_week = week;
}

static int bucket_keys(struct entry *e)
{
	int64_t sec = e->s->time_ns / CAIRN_NS_PER_SEC;
	time_t t;
	struct tm tm;
	int64_t y, iso_y;
	int iso_w;

	if (e->s->time_ns % CAIRN_NS_PER_SEC < 0)
		sec--; /* floor, for times before 1970 */
	t = (time_t)sec;
	if ((int64_t)t != sec || gmtime_r(&t, &tm) == NULL)
		return cairn_err(CAIRN_EINVAL, "snapshot '%s' has a time out of range", e->s->id);
	y = (int64_t)tm.tm_year + 1900;
	iso_week(&tm, &iso_y, &iso_w);
	e->key[R_HOURLY] = y * 10000 + tm.tm_yday * 24 + tm.tm_hour;
	e->key[R_DAILY] = y * 1000 + tm.tm_yday;
	e->key[R_WEEKLY] = iso_y * 100 + iso_w;
	e->key[R_MONTHLY] = y * 100 + tm.tm_mon;
	e->key[R_YEARLY] = y;
	return 0;
}

static int str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The group (host, then the path sets compared element by element, a shorter
 * prefix first); within it newest first. */
static int group_cmp(const struct entry *a, const struct entry *b)
{
	int c = strcmp(a->host, b->host);

	if (c != 0)
		return c;
	for (size_t i = 0; i < a->npaths && i < b->npaths; i++) {
		c = strcmp(a->paths[i], b->paths[i]);
		if (c != 0)
			return c;
	}
	return a->npaths < b->npaths ? -1 : a->npaths > b->npaths ? 1 : 0;
}

static int entry_cmp(const void *va, const void *vb)
{
	const struct entry *a = va, *b = vb;
	int c = group_cmp(a, b);

	if (c != 0)
		return c;
	if (a->s->time_ns != b->s->time_ns)
		return a->s->time_ns > b->s->time_ns ? -1 : 1;
	c = strcmp(a->s->id, b->s->id);
	if (c != 0)
		return -c;
	return a->idx > b->idx ? -1 : a->idx < b->idx ? 1 : 0;
}

/* Apply the rules to one group e[0..n-1], sorted newest first. */
static void apply_group(const struct cairn_retention_policy *p, const struct entry *e, size_t n, size_t group,
			struct cairn_retention_result *res)
{
	int64_t left[R_COUNT] = { p->last, p->hourly, p->daily, p->weekly, p->monthly, p->yearly, 0 };
	int64_t prev[R_COUNT] = { 0 };
	int have_prev[R_COUNT] = { 0 };
	int64_t newest = e[0].s->time_ns;

	for (size_t i = 0; i < n; i++) {
		unsigned reasons = 0;

		for (int r = R_LAST; r <= R_YEARLY; r++) {
			int64_t key = r == R_LAST ? (int64_t)i : e[i].key[r];

			if (left[r] <= 0 || (have_prev[r] && prev[r] == key))
				continue;
			reasons |= 1u << r;
			prev[r] = key;
			have_prev[r] = 1;
			left[r]--;
		}
		/* age = newest - time >= 0 within a group; exact in uint64 */
		if (p->within_ns > 0 &&
		    (uint64_t)newest - (uint64_t)e[i].s->time_ns < (uint64_t)p->within_ns)
			reasons |= CAIRN_RETENTION_WITHIN;
		res[e[i].idx].reasons = reasons;
		res[e[i].idx].group = group;
	}
}

int cairn_retention_select(const struct cairn_retention_policy *policy, const struct cairn_snapshot *snaps,
			   size_t n, unsigned group_by, struct cairn_retention_result **ret_results,
			   size_t *ret_ngroups)
{
	struct cairn_retention_result *res;
	struct entry *e;
	const char **pathbuf = NULL;
	size_t total_paths = 0, used_paths = 0, ngroups = 0;
	int rc;

	if (cairn_retention_policy_is_empty(policy))
		return cairn_err(CAIRN_EINVAL, "empty retention policy would remove every snapshot");
	if (snaps == NULL && n > 0)
		return cairn_err(CAIRN_EINVAL, "no snapshots given for a count of %zu", n);
	if (group_by & ~(unsigned)CAIRN_RETENTION_GROUP_DEFAULT)
		return cairn_err(CAIRN_EINVAL, "unknown retention grouping flags 0x%x", group_by);
	if (n == 0) {
		*ret_results = NULL;
		if (ret_ngroups != NULL)
			*ret_ngroups = 0;
		return 0;
	}

	res = cairn_calloc(n, sizeof(*res));
	if (res == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot allocate retention results for %zu snapshots", n);
	e = cairn_calloc(n, sizeof(*e));
	if (e == NULL) {
		rc = cairn_err(CAIRN_ENOMEM, "cannot allocate retention entries for %zu snapshots", n);
		goto err1;
	}
	if (group_by & CAIRN_RETENTION_GROUP_PATHS) {
		for (size_t i = 0; i < n; i++) {
			if (snaps[i].npaths > 0 && snaps[i].paths == NULL) {
				rc = cairn_err(CAIRN_EINVAL, "snapshot '%s' has %zu paths but no path list", snaps[i].id,
					       snaps[i].npaths);
				goto err2;
			}
			if (snaps[i].npaths > SIZE_MAX - total_paths) {
				rc = cairn_err(CAIRN_EINVAL, "too many snapshot paths");
				goto err2;
			}
			total_paths += snaps[i].npaths;
		}
		if (total_paths > 0) {
			pathbuf = cairn_calloc(total_paths, sizeof(*pathbuf));
			if (pathbuf == NULL) {
				rc = cairn_err(CAIRN_ENOMEM, "cannot allocate %zu snapshot paths", total_paths);
				goto err2;
			}
		}
	}

	for (size_t i = 0; i < n; i++) {
		struct entry *x = &e[i];

		x->s = &snaps[i];
		x->idx = i;
		x->host = (group_by & CAIRN_RETENTION_GROUP_HOST) && snaps[i].host != NULL ? snaps[i].host : "";
		if ((group_by & CAIRN_RETENTION_GROUP_PATHS) && snaps[i].npaths > 0) {
			size_t k = 0;

			x->paths = pathbuf + used_paths;
			for (size_t j = 0; j < snaps[i].npaths; j++)
				x->paths[j] = snaps[i].paths[j] != NULL ? snaps[i].paths[j] : "";
			qsort(x->paths, snaps[i].npaths, sizeof(*x->paths), str_ptr_cmp);
			for (size_t j = 0; j < snaps[i].npaths; j++)
				if (k == 0 || strcmp(x->paths[k - 1], x->paths[j]) != 0)
					x->paths[k++] = x->paths[j];
			x->npaths = k;
			used_paths += snaps[i].npaths;
		}
		rc = bucket_keys(x);
		if (rc != 0)
			goto err3;
	}
	qsort(e, n, sizeof(*e), entry_cmp);
	for (size_t start = 0; start < n; ngroups++) {
		size_t end = start + 1;

		while (end < n && group_cmp(&e[start], &e[end]) == 0)
			end++;
		apply_group(policy, e + start, end - start, ngroups, res);
		start = end;
	}

	free(pathbuf);
	free(e);
	*ret_results = res;
	if (ret_ngroups != NULL)
		*ret_ngroups = ngroups;
	return 0;

err3:
	free(pathbuf);
err2:
	free(e);
err1:
	free(res);
	return rc;
}
