/* Unit tests for retention selection: keep-* rule tables over fixed UTC timestamps. */
#include "cairn_test.h"

#include "cairn/config.h"
#include "cairn/err.h"
#include "cairn/retention.h"
#include "cairn/snapshot.h"
#include "cairn/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define L CAIRN_RETENTION_LAST
#define H CAIRN_RETENTION_HOURLY
#define D CAIRN_RETENTION_DAILY
#define W CAIRN_RETENTION_WEEKLY
#define M CAIRN_RETENTION_MONTHLY
#define Y CAIRN_RETENTION_YEARLY
#define WI CAIRN_RETENTION_WITHIN

#define MAX_SNAPS 16

/* One input snapshot and the reasons expected for it (0 = forget). */
struct snap_spec {
	const char *time; /* RFC 3339, UTC */
	unsigned want;
	const char *id;   /* NULL = generated from the position */
};

struct retention_case {
	const char *name;
	struct cairn_retention_policy policy; /* fields left out are 0 = off */
	struct snap_spec s[MAX_SNAPS];        /* ends at the first NULL time */
};

static int64_t ts(const char *text)
{
	int64_t t = 0;

	if (cairn_time_parse(text, 0, &t) != 0)
		fail_msg("bad test time '%s': %s", text, cairn_err_msg());
	return t;
}

static void run_cases(const struct retention_case *cases, size_t ncases)
{
	char path[] = "/data";
	char *paths[] = { path };
	char host[] = "host";

	for (size_t c = 0; c < ncases; c++) {
		const struct retention_case *tc = &cases[c];
		struct cairn_snapshot snaps[MAX_SNAPS];
		struct cairn_retention_result *res = NULL;
		size_t n = 0, ngroups = 0;
		int rc;

		memset(snaps, 0, sizeof(snaps));
		for (; n < MAX_SNAPS && tc->s[n].time != NULL; n++) {
			if (tc->s[n].id != NULL)
				snprintf(snaps[n].id, sizeof(snaps[n].id), "%s", tc->s[n].id);
			else
				snprintf(snaps[n].id, sizeof(snaps[n].id), "%08zx", n + 1);
			snaps[n].time_ns = ts(tc->s[n].time);
			snaps[n].host = host;
			snaps[n].paths = paths;
			snaps[n].npaths = 1;
		}
		rc = cairn_retention_select(&tc->policy, snaps, n, CAIRN_RETENTION_GROUP_DEFAULT, &res, &ngroups);
		if (rc != 0)
			fail_msg("case '%s': rc %d: %s", tc->name, rc, cairn_err_msg());
		assert_int_equal(ngroups, n > 0 ? 1 : 0);
		for (size_t i = 0; i < n; i++) {
			char want[CAIRN_RETENTION_REASONS_MAX], got[CAIRN_RETENTION_REASONS_MAX];

			if (res[i].reasons == tc->s[i].want)
				continue;
			cairn_retention_reasons_format(tc->s[i].want, want, sizeof(want));
			cairn_retention_reasons_format(res[i].reasons, got, sizeof(got));
			fail_msg("case '%s': snapshot %zu (%s): want '%s', got '%s'", tc->name, i, tc->s[i].time, want,
				 got);
		}
		free(res);
	}
}

#define RUN(cases) run_cases(cases, sizeof(cases) / sizeof(cases[0]))

static void test_retention_select_last(void **state)
{
	static const struct retention_case cases[] = {
		{ "last 3 of 5, unsorted", { .last = 3 }, {
			{ "2024-01-03T00:00:00Z", L, NULL }, { "2024-01-01T00:00:00Z", 0, NULL },
			{ "2024-01-05T00:00:00Z", L, NULL }, { "2024-01-02T00:00:00Z", 0, NULL },
			{ "2024-01-04T00:00:00Z", L, NULL } } },
		{ "last 10 of 3 keeps all", { .last = 10 }, {
			{ "2024-01-01T00:00:00Z", L, NULL }, { "2024-01-01T00:00:01Z", L, NULL },
			{ "2024-01-01T00:00:02Z", L, NULL } } },
		{ "last 1 of 1", { .last = 1 }, { { "1999-12-31T23:59:59Z", L, NULL } } },
		{ "last 1, unset rules -1", { .last = 1, .hourly = -1, .daily = -1, .weekly = -1, .monthly = -1,
					    .yearly = -1, .within_ns = -1 }, {
			{ "2024-01-01T00:00:00Z", 0, NULL }, { "2024-01-02T00:00:00Z", L, NULL } } },
	};

	(void)state;
	RUN(cases);
}

static void test_retention_select_hourly_daily(void **state)
{
	static const struct retention_case cases[] = {
		{ "hourly 3 across midnight", { .hourly = 3 }, {
			{ "2024-03-01T22:10:00Z", 0, NULL }, { "2024-03-01T22:50:00Z", H, NULL },
			{ "2024-03-02T00:30:00Z", H, NULL }, { "2024-03-01T23:05:00Z", 0, NULL },
			{ "2024-03-01T23:59:59Z", H, NULL }, { "2024-03-02T00:00:00Z", 0, NULL } } },
		{ "daily 2 across midnight", { .daily = 2 }, {
			{ "2024-03-01T22:10:00Z", 0, NULL }, { "2024-03-01T22:50:00Z", 0, NULL },
			{ "2024-03-02T00:30:00Z", D, NULL }, { "2024-03-01T23:05:00Z", 0, NULL },
			{ "2024-03-01T23:59:59Z", D, NULL }, { "2024-03-02T00:00:00Z", 0, NULL } } },
		{ "daily skips days without snapshots", { .daily = 3 }, {
			{ "2024-03-10T08:00:00Z", D, NULL }, { "2024-03-01T08:00:00Z", D, NULL },
			{ "2024-02-01T08:00:00Z", D, NULL }, { "2024-01-01T08:00:00Z", 0, NULL },
			{ "2024-03-10T07:00:00Z", 0, NULL } } },
		{ "hourly 2 + daily 2", { .hourly = 2, .daily = 2 }, {
			{ "2024-03-01T22:10:00Z", 0, NULL }, { "2024-03-01T22:50:00Z", 0, NULL },
			{ "2024-03-02T00:30:00Z", H | D, NULL }, { "2024-03-01T23:05:00Z", 0, NULL },
			{ "2024-03-01T23:59:59Z", H | D, NULL }, { "2024-03-02T00:00:00Z", 0, NULL } } },
		{ "day boundary is UTC, not local", { .daily = 2 }, {
			{ "2024-03-01T23:30:00+02:00", 0, NULL }, /* 21:30Z on the 1st */
			{ "2024-03-02T00:30:00+02:00", D, NULL }, /* 22:30Z on the 1st */
			{ "2024-03-02T01:30:00Z", D, NULL } } },
	};

	(void)state;
	RUN(cases);
}

static void test_retention_select_weekly(void **state)
{
	static const struct retention_case cases[] = {
		/* 2020 has 53 ISO weeks: 2020-12-28 .. 2021-01-03 is week 53 of 2020 */
		{ "weekly 3 across 2020/2021 (week 53)", { .weekly = 3 }, {
			{ "2020-12-27T12:00:00Z", 0, NULL }, /* Sun, 2020-W52 */
			{ "2020-12-28T12:00:00Z", 0, NULL }, /* Mon, 2020-W53 */
			{ "2020-12-31T12:00:00Z", 0, NULL }, /* Thu, 2020-W53 */
			{ "2021-01-03T12:00:00Z", W, NULL }, /* Sun, 2020-W53 */
			{ "2021-01-04T12:00:00Z", 0, NULL }, /* Mon, 2021-W01 */
			{ "2021-01-10T12:00:00Z", W, NULL }, /* Sun, 2021-W01 */
			{ "2021-01-11T12:00:00Z", W, NULL } } }, /* Mon, 2021-W02 */
		{ "weekly 4 keeps week 52 of 2020", { .weekly = 4 }, {
			{ "2020-12-27T12:00:00Z", W, NULL }, { "2020-12-28T12:00:00Z", 0, NULL },
			{ "2020-12-31T12:00:00Z", 0, NULL }, { "2021-01-03T12:00:00Z", W, NULL },
			{ "2021-01-04T12:00:00Z", 0, NULL }, { "2021-01-10T12:00:00Z", W, NULL },
			{ "2021-01-11T12:00:00Z", W, NULL } } },
		/* 2025-W01 starts on Monday 2024-12-30 */
		{ "weekly across 2024/2025 (week 1 starts in December)", { .weekly = 4 }, {
			{ "2024-12-29T23:59:59Z", W, NULL }, /* Sun, 2024-W52 */
			{ "2024-12-30T00:00:00Z", 0, NULL }, /* Mon, 2025-W01 */
			{ "2025-01-05T23:59:59Z", W, NULL }, /* Sun, 2025-W01 */
			{ "2025-01-06T00:00:00Z", W, NULL } } }, /* Mon, 2025-W02 */
		{ "same week number in different years", { .weekly = 2 }, {
			{ "2023-01-09T12:00:00Z", W, NULL }, /* 2023-W02 */
			{ "2024-01-08T12:00:00Z", W, NULL } } }, /* 2024-W02 */
	};

	(void)state;
	RUN(cases);
}

static void test_retention_select_monthly_yearly(void **state)
{
	static const struct retention_case cases[] = {
		{ "monthly 6 at month ends, leap February", { .monthly = 6 }, {
			{ "2023-01-31T23:59:59Z", M, NULL }, { "2023-02-01T00:00:00Z", 0, NULL },
			{ "2023-02-28T23:59:59Z", M, NULL }, { "2023-03-01T00:00:00Z", M, NULL },
			{ "2024-01-31T12:00:00Z", M, NULL }, { "2024-02-29T23:59:59Z", M, NULL },
			{ "2024-03-01T00:00:00Z", M, NULL } } },
		{ "monthly 2: Feb 29 and Mar 1 are different months", { .monthly = 2 }, {
			{ "2024-02-28T12:00:00Z", 0, NULL }, { "2024-02-29T23:59:59.999999999Z", M, NULL },
			{ "2024-03-01T00:00:00Z", M, NULL }, { "2024-01-31T12:00:00Z", 0, NULL } } },
		{ "yearly 2", { .yearly = 2 }, {
			{ "2021-12-31T23:59:59Z", 0, NULL }, { "2022-01-01T00:00:00Z", 0, NULL },
			{ "2022-06-01T00:00:00Z", Y, NULL }, { "2023-01-01T00:00:00.5Z", Y, NULL } } },
		{ "yearly 5 across the 2000 leap year", { .yearly = 5 }, {
			{ "1999-12-31T23:59:59Z", Y, NULL }, { "2000-02-29T00:00:00Z", 0, NULL },
			{ "2000-12-31T23:59:59Z", Y, NULL }, { "2001-01-01T00:00:00Z", Y, NULL } } },
	};

	(void)state;
	RUN(cases);
}

static void test_retention_select_within(void **state)
{
	static const struct retention_case cases[] = {
		/* measured from the newest snapshot, not the clock; exactly D old is out */
		{ "within 2d", { .within_ns = 2 * 86400 * CAIRN_NS_PER_SEC }, {
			{ "2024-05-08T12:00:00Z", 0, NULL }, { "2024-05-10T12:00:00Z", WI, NULL },
			{ "2024-05-01T00:00:00Z", 0, NULL }, { "2024-05-09T12:00:01Z", WI, NULL },
			{ "2024-05-08T12:00:00.000000001Z", WI, NULL }, { "2024-05-08T11:59:00Z", 0, NULL } } },
		{ "within 1ns keeps only the newest", { .within_ns = 1 }, {
			{ "2024-05-10T12:00:00Z", WI, NULL }, { "2024-05-10T11:59:59.999999999Z", 0, NULL } } },
		{ "within 100 years keeps all", { .within_ns = 100LL * 365 * 86400 * CAIRN_NS_PER_SEC }, {
			{ "1970-01-01T00:00:00Z", WI, NULL }, { "1969-12-31T23:59:59Z", WI, NULL },
			{ "2024-05-10T12:00:00Z", WI, NULL } } },
	};

	(void)state;
	RUN(cases);
}

static void test_retention_select_combined(void **state)
{
	static const struct retention_case cases[] = {
		{ "last 1, daily 3, weekly 2, monthly 2", { .last = 1, .daily = 3, .weekly = 2, .monthly = 2 }, {
			{ "2024-02-26T12:00:00Z", 0, NULL },         /* Mon W09 */
			{ "2024-02-27T12:00:00Z", 0, NULL },
			{ "2024-02-28T12:00:00Z", 0, NULL },
			{ "2024-02-29T12:00:00Z", M, NULL },         /* newest of February */
			{ "2024-03-01T12:00:00Z", 0, NULL },
			{ "2024-03-02T12:00:00Z", 0, NULL },
			{ "2024-03-03T12:00:00Z", D | W, NULL },     /* Sun, newest of W09 */
			{ "2024-03-04T12:00:00Z", D, NULL },         /* Mon W10 */
			{ "2024-03-05T06:00:00Z", 0, NULL },
			{ "2024-03-05T12:00:00Z", L | D | W | M, NULL } } },
		{ "last 2 + within 1h", { .last = 2, .within_ns = 3600 * CAIRN_NS_PER_SEC }, {
			{ "2024-03-05T12:00:00Z", L | WI, NULL }, { "2024-03-05T11:30:00Z", L | WI, NULL },
			{ "2024-03-05T11:10:00Z", WI, NULL }, { "2024-03-05T11:00:00Z", 0, NULL },
			{ "2024-03-04T12:00:00Z", 0, NULL } } },
		{ "hourly, daily, monthly, yearly all on the newest", { .hourly = 1, .daily = 1, .monthly = 1,
								       .yearly = 1 }, {
			{ "2024-03-05T11:00:00Z", 0, NULL }, { "2024-03-05T12:00:00Z", H | D | M | Y, NULL } } },
		{ "zero counts are off", { .last = 0, .daily = 1 }, {
			{ "2024-03-05T11:00:00Z", 0, NULL }, { "2024-03-05T12:00:00Z", D, NULL } } },
	};

	(void)state;
	RUN(cases);
}

static void test_retention_select_duplicates(void **state)
{
	/* aa, bb share a second with cc and dd; cc and dd share the nanosecond:
	 * newest first is bb (.5), aa (.000000001), dd (greater id), cc */
	static const struct retention_case cases[] = {
		{ "last 1 among one second", { .last = 1 }, {
			{ "2024-01-01T10:00:00.000000001Z", 0, "aa" }, { "2024-01-01T10:00:00.5Z", L, "bb" },
			{ "2024-01-01T10:00:00Z", 0, "dd" }, { "2024-01-01T10:00:00Z", 0, "cc" } } },
		{ "last 3 among one second", { .last = 3 }, {
			{ "2024-01-01T10:00:00.000000001Z", L, "aa" }, { "2024-01-01T10:00:00.5Z", L, "bb" },
			{ "2024-01-01T10:00:00Z", L, "dd" }, { "2024-01-01T10:00:00Z", 0, "cc" } } },
		{ "equal times, greater id wins", { .last = 1, .hourly = 2 }, {
			{ "2024-01-01T10:00:00Z", 0, "cc" }, { "2024-01-01T10:00:00Z", L | H, "dd" },
			{ "2024-01-01T09:00:00Z", H, "ee" } } },
		{ "identical snapshots: the later input wins", { .last = 1 }, {
			{ "2024-01-01T10:00:00Z", 0, "cc" }, { "2024-01-01T10:00:00Z", L, "cc" } } },
	};

	(void)state;
	RUN(cases);
}

/* Result, by id, of selecting over `n` snapshots given in `order`. */
static void select_ids(const struct cairn_retention_policy *p, const int64_t *times, const size_t *order, size_t n,
		       unsigned *ret_by_pos)
{
	struct cairn_snapshot snaps[8];
	struct cairn_retention_result *res = NULL;

	assert_true(n <= 8);
	memset(snaps, 0, sizeof(snaps));
	for (size_t i = 0; i < n; i++) {
		snprintf(snaps[i].id, sizeof(snaps[i].id), "id%zu", order[i]);
		snaps[i].time_ns = times[order[i]];
	}
	assert_int_equal(cairn_retention_select(p, snaps, n, 0, &res, NULL), 0);
	for (size_t i = 0; i < n; i++)
		ret_by_pos[order[i]] = res[i].reasons;
	free(res);
}

static void test_retention_select_order_independent(void **state)
{
	const struct cairn_retention_policy p = { .last = 2, .daily = 3, .weekly = 1 };
	const int64_t times[6] = { ts("2024-01-01T01:00:00Z"), ts("2024-01-01T02:00:00Z"), ts("2024-01-02T01:00:00Z"),
				   ts("2024-01-03T01:00:00Z"), ts("2024-01-03T05:00:00Z"), ts("2024-01-08T00:00:00Z") };
	const size_t sorted[6] = { 0, 1, 2, 3, 4, 5 };
	const size_t reversed[6] = { 5, 4, 3, 2, 1, 0 };
	const size_t shuffled[6] = { 3, 0, 5, 1, 4, 2 };
	const unsigned want[6] = { 0, 0, D, 0, L | D, L | D | W };
	unsigned got[6];

	(void)state;
	select_ids(&p, times, sorted, 6, got);
	assert_memory_equal(got, want, sizeof(want));
	select_ids(&p, times, reversed, 6, got);
	assert_memory_equal(got, want, sizeof(want));
	select_ids(&p, times, shuffled, 6, got);
	assert_memory_equal(got, want, sizeof(want));
}

static void test_retention_select_groups(void **state)
{
	char a[] = "/a", b[] = "/b", ha[] = "alpha", hb[] = "beta";
	char *ab[] = { a, b }, *ba[] = { b, a, b }, *only_a[] = { a };
	struct cairn_snapshot s[6];
	struct cairn_retention_result *res = NULL;
	const struct cairn_retention_policy p = { .last = 1 };
	size_t ngroups = 0;

	(void)state;
	memset(s, 0, sizeof(s));
	/* group alpha {/a,/b}: 0, 1 (paths in another order, duplicated) */
	s[0] = (struct cairn_snapshot){ .time_ns = 100, .host = ha, .paths = ab, .npaths = 2 };
	s[1] = (struct cairn_snapshot){ .time_ns = 200, .host = ha, .paths = ba, .npaths = 3 };
	/* group alpha {/a}: 2 */
	s[2] = (struct cairn_snapshot){ .time_ns = 50, .host = ha, .paths = only_a, .npaths = 1 };
	/* group beta {/a,/b}: 3, 4 */
	s[3] = (struct cairn_snapshot){ .time_ns = 300, .host = hb, .paths = ab, .npaths = 2 };
	s[4] = (struct cairn_snapshot){ .time_ns = 10, .host = hb, .paths = ab, .npaths = 2 };
	/* group "" {}: 5 (no host, no paths) */
	s[5] = (struct cairn_snapshot){ .time_ns = 1 };
	for (size_t i = 0; i < 6; i++)
		snprintf(s[i].id, sizeof(s[i].id), "%08zx", i);

	assert_int_equal(cairn_retention_select(&p, s, 6, CAIRN_RETENTION_GROUP_DEFAULT, &res, &ngroups), 0);
	assert_int_equal(ngroups, 4);
	assert_int_equal(res[0].reasons, 0);
	assert_int_equal(res[1].reasons, L);
	assert_int_equal(res[2].reasons, L);
	assert_int_equal(res[3].reasons, L);
	assert_int_equal(res[4].reasons, 0);
	assert_int_equal(res[5].reasons, L);
	/* groups ordered by host then paths: "" < alpha{/a} < alpha{/a,/b} < beta */
	assert_int_equal(res[5].group, 0);
	assert_int_equal(res[2].group, 1);
	assert_int_equal(res[0].group, 2);
	assert_int_equal(res[1].group, 2);
	assert_int_equal(res[3].group, 3);
	assert_int_equal(res[4].group, 3);
	free(res);

	/* by host only: alpha (0, 1, 2), beta (3, 4), "" (5) */
	assert_int_equal(cairn_retention_select(&p, s, 6, CAIRN_RETENTION_GROUP_HOST, &res, &ngroups), 0);
	assert_int_equal(ngroups, 3);
	assert_int_equal(res[1].reasons, L);
	assert_int_equal(res[0].reasons | res[2].reasons | res[4].reasons, 0);
	assert_int_equal(res[3].reasons, L);
	assert_int_equal(res[5].reasons, L);
	free(res);

	/* one group */
	assert_int_equal(cairn_retention_select(&p, s, 6, 0, &res, &ngroups), 0);
	assert_int_equal(ngroups, 1);
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(res[i].reasons, i == 3 ? L : 0);
		assert_int_equal(res[i].group, 0);
	}
	free(res);

	res = NULL;
	assert_int_equal(cairn_retention_select(&p, s, 6, 4, &res, &ngroups), CAIRN_EINVAL);
	assert_null(res);
}

static void test_retention_select_empty_input(void **state)
{
	const struct cairn_retention_policy p = { .daily = 7 };
	struct cairn_retention_result *res = (struct cairn_retention_result *)&res;
	size_t ngroups = 99;

	(void)state;
	assert_int_equal(cairn_retention_select(&p, NULL, 0, CAIRN_RETENTION_GROUP_DEFAULT, &res, &ngroups), 0);
	assert_null(res);
	assert_int_equal(ngroups, 0);
	assert_int_equal(cairn_retention_select(&p, NULL, 3, CAIRN_RETENTION_GROUP_DEFAULT, &res, &ngroups),
			 CAIRN_EINVAL);
}

static void test_retention_select_empty_policy_refused(void **state)
{
	const struct cairn_retention_policy unset = { -1, -1, -1, -1, -1, -1, -1 };
	const struct cairn_retention_policy zero = { 0 };
	struct cairn_snapshot s[1];
	struct cairn_retention_result *res = NULL;

	(void)state;
	memset(s, 0, sizeof(s));
	snprintf(s[0].id, sizeof(s[0].id), "1a2b3c4d");
	assert_true(cairn_retention_policy_is_empty(NULL));
	assert_true(cairn_retention_policy_is_empty(&unset));
	assert_true(cairn_retention_policy_is_empty(&zero));
	assert_int_equal(cairn_retention_select(&unset, s, 1, 0, &res, NULL), CAIRN_EINVAL);
	assert_string_equal(cairn_err_msg(), "empty retention policy would remove every snapshot");
	assert_int_equal(cairn_retention_select(&zero, s, 1, 0, &res, NULL), CAIRN_EINVAL);
	assert_int_equal(cairn_retention_select(NULL, s, 1, 0, &res, NULL), CAIRN_EINVAL);
	assert_int_equal(cairn_retention_select(&zero, NULL, 0, 0, &res, NULL), CAIRN_EINVAL);
	assert_null(res);
}

static void test_retention_from_config_maps_fields(void **state)
{
	struct cairn_config_retention cfg = { -1, -1, -1, -1, -1, -1, -1 };
	struct cairn_retention_policy p;

	(void)state;
	cairn_retention_from_config(&cfg, &p);
	assert_true(cairn_retention_policy_is_empty(&p));
	cairn_retention_from_config(NULL, &p);
	assert_true(cairn_retention_policy_is_empty(&p));
	cfg = (struct cairn_config_retention){ 1, 2, 3, 4, 5, 6, 7 };
	cairn_retention_from_config(&cfg, &p);
	assert_int_equal(p.last, 1);
	assert_int_equal(p.hourly, 2);
	assert_int_equal(p.daily, 3);
	assert_int_equal(p.weekly, 4);
	assert_int_equal(p.monthly, 5);
	assert_int_equal(p.yearly, 6);
	assert_int_equal(p.within_ns, 7);
	assert_false(cairn_retention_policy_is_empty(&p));
	cfg = (struct cairn_config_retention){ -1, -1, 0, -1, -1, -1, -1 };
	cairn_retention_from_config(&cfg, &p);
	assert_true(cairn_retention_policy_is_empty(&p)); /* keep-daily = 0 alone keeps nothing */
}

static void test_retention_reasons_format(void **state)
{
	char buf[CAIRN_RETENTION_REASONS_MAX];
	char small[8];

	(void)state;
	cairn_retention_reasons_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "");
	cairn_retention_reasons_format(D | M, buf, sizeof(buf));
	assert_string_equal(buf, "daily, monthly");
	cairn_retention_reasons_format(L | H | D | W | M | Y | WI, buf, sizeof(buf));
	assert_string_equal(buf, "last, hourly, daily, weekly, monthly, yearly, within");
	cairn_retention_reasons_format(D | M, small, sizeof(small));
	assert_string_equal(small, "daily, ");
	cairn_retention_reasons_format(D, buf, 0); /* nothing written, no crash */
	assert_string_equal(cairn_retention_reason_name(W), "weekly");
	assert_string_equal(cairn_retention_reason_name(WI), "within");
	assert_string_equal(cairn_retention_reason_name(D | M), "?");
}

static void test_retention_select_10000(void **state)
{
	const size_t n = 10000;
	const int64_t start = ts("2020-01-01T00:30:00Z");
	const int64_t step = 61LL * 60 * CAIRN_NS_PER_SEC; /* ~417 days in all */
	const struct cairn_retention_policy p = { .last = 5, .hourly = 24, .daily = 7, .weekly = 4, .monthly = 12,
						  .yearly = 10 };
	struct cairn_snapshot *s = calloc(n, sizeof(*s));
	struct cairn_retention_result *res = NULL;
	size_t count[7] = { 0 }, kept = 0, newest = 0;

	(void)state;
	assert_non_null(s);
	for (size_t i = 0; i < n; i++) {
		size_t k = (i * 7919) % n; /* a permutation: 7919 is prime to 10000 */

		snprintf(s[i].id, sizeof(s[i].id), "%08zx", k);
		s[i].time_ns = start + (int64_t)k * step;
		if (k == n - 1)
			newest = i;
	}
	assert_int_equal(cairn_retention_select(&p, s, n, CAIRN_RETENTION_GROUP_DEFAULT, &res, NULL), 0);
	for (size_t i = 0; i < n; i++) {
		for (int r = 0; r < 7; r++)
			if (res[i].reasons & (1u << r))
				count[r]++;
		kept += res[i].reasons != 0;
	}
	assert_int_equal(res[newest].reasons, L | H | D | W | M | Y);
	assert_int_equal(count[0], 5);
	assert_int_equal(count[1], 24);
	assert_int_equal(count[2], 7);
	assert_int_equal(count[3], 4);
	assert_int_equal(count[4], 12);
	assert_int_equal(count[5], 2); /* 2020 and 2021 only */
	assert_int_equal(count[6], 0);
	assert_true(kept >= 24 && kept < 24 + 7 + 4 + 12 + 2);
	free(res);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retention_select_last),
		cmocka_unit_test(test_retention_select_hourly_daily),
		cmocka_unit_test(test_retention_select_weekly),
		cmocka_unit_test(test_retention_select_monthly_yearly),
		cmocka_unit_test(test_retention_select_within),
		cmocka_unit_test(test_retention_select_combined),
		cmocka_unit_test(test_retention_select_duplicates),
		cmocka_unit_test(test_retention_select_order_independent),
		cmocka_unit_test(test_retention_select_groups),
		cmocka_unit_test(test_retention_select_empty_input),
		cmocka_unit_test(test_retention_select_empty_policy_refused),
		cmocka_unit_test(test_retention_from_config_maps_fields),
		cmocka_unit_test(test_retention_reasons_format),
		cmocka_unit_test(test_retention_select_10000),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
