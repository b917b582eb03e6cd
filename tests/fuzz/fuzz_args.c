/* Fuzz target: the argument and value parsers people type - points in time
 * (--at), durations (--rpo, --within, timeouts), rates and sizes
 * (--limit-upload, limit-*), schedules (cron / "every") and their next run.
 * The first byte picks the parser, the rest is the text. Invariants: results
 * stay in their documented ranges, and formatted times parse back exactly. */
#include "harness.h"

#include "cairn/err.h"
#include "cairn/schedule.h"
#include "cairn/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW_NS 1764590400000000000LL /* 2025-12-01T12:00:00Z */
#define YEAR_9999_NS 253402300799LL  /* seconds: 9999-12-31T23:59:59Z */

static void time_case(const char *text)
{
	char out[CAIRN_TIME_STR], dur[64];
	int64_t ns, back;

	if (cairn_time_parse(text, NOW_NS, &ns) != 0)
		return;
	if (ns < 0 || ns / CAIRN_NS_PER_SEC > YEAR_9999_NS)
		return;
	cairn_duration_format(NOW_NS - ns, dur, sizeof(dur)); /* "3h ago" in listings */
	/* what the repository and the reports write must read back exactly */
	cairn_time_format(ns, 1, out);
	if (cairn_time_parse(out, 0, &back) != 0 || back != ns)
		__builtin_trap();
	cairn_time_format(ns, 0, out);
	if (cairn_time_parse(out, 0, &back) != 0 || back != ns - ns % CAIRN_NS_PER_SEC)
		__builtin_trap();
}

static void duration_case(const char *text)
{
	char out[64], tiny[4];
	int64_t ns, back;

	if (cairn_duration_parse(text, &ns) != 0)
		return;
	if (ns < 0)
		__builtin_trap();
	cairn_duration_format(ns, out, sizeof(out));
	cairn_duration_format(-ns, out, sizeof(out));
	cairn_duration_format(ns, tiny, sizeof(tiny));
	if (strnlen(tiny, sizeof(tiny)) >= sizeof(tiny))
		__builtin_trap();
	/* whole seconds written as "<n>s" read back */
	snprintf(out, sizeof(out), "%llds", (long long)(ns / CAIRN_NS_PER_SEC));
	if (cairn_duration_parse(out, &back) != 0 || back != ns - ns % CAIRN_NS_PER_SEC)
		__builtin_trap();
}

static void rate_case(const char *text)
{
	uint64_t rate;

	if (cairn_rate_parse(text, &rate) != 0)
		return;
	if (rate != 0 && (rate < CAIRN_RATE_MIN || rate > CAIRN_RATE_MAX))
		__builtin_trap();
}

static void schedule_case(const char *text, int utc)
{
	struct cairn_schedule s;
	int64_t next;
	bool missed;
	int rc;

	if (cairn_schedule_parse(text, &s) != 0)
		return;
	if (s.kind == CAIRN_SCHEDULE_EVERY) {
		if (s.every_ns < CAIRN_NS_PER_SEC)
			__builtin_trap();
	} else if (s.kind == CAIRN_SCHEDULE_CRON) {
		if (s.minutes >> 60 || s.hours >> 24 || (s.mdays & 1) || s.mdays == 0 || (s.months & 1) ||
		    s.months >> 13 || s.months == 0 || s.wdays >> 7 || s.wdays == 0 || s.minutes == 0 || s.hours == 0)
			__builtin_trap();
	} else {
		__builtin_trap();
	}
	rc = cairn_schedule_next(&s, 0, NOW_NS, utc ? CAIRN_SCHEDULE_UTC : CAIRN_SCHEDULE_LOCAL, &next);
	if (rc == 0 && next <= NOW_NS)
		__builtin_trap();
	if (rc != 0 && rc != CAIRN_ENOTFOUND)
		__builtin_trap();
	if (cairn_schedule_missed(&s, 0, NOW_NS - 86400 * CAIRN_NS_PER_SEC, NOW_NS, CAIRN_SCHEDULE_UTC, &missed) != 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1 || size > 4096)
		return 0;
	text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch ((uint8_t)(data[0] - (uint8_t)'0') % 5) { /* "0..." time, "1..." duration, ... */
	case 0: time_case(text); break;
	case 1: duration_case(text); break;
	case 2: rate_case(text); break;
	case 3: schedule_case(text, 1); break;
	default: schedule_case(text, 0); break;
	}
	free(text);
	cairn_err_clear();
	return 0;
}
