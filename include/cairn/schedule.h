/* Schedule expressions: "every DURATION" or a 5-field cron expression,
 * validated and parsed into a form a scheduler can evaluate.
 *
 *	struct cairn_schedule s;
 *	rc = cairn_schedule_parse("0,30 8-18 * * mon-fri", &s);   // 0 or CAIRN_EINVAL
 *	if (s.kind == CAIRN_SCHEDULE_CRON && cairn_schedule_cron_matches(&s, &tm)) ...
 *
 * Cron syntax (as in Vixie cron, local time): minute hour day-of-month month
 * day-of-week, separated by blanks. Each field is a comma-separated list of
 * "*", "N", "N-M", each optionally followed by "/STEP", or "N/STEP" (from N
 * to the field's maximum). Months may be named jan..dec and days of the week
 * sun..sat (either case); day of week 0 and 7 are both Sunday. As in cron,
 * when both day-of-month and day-of-week are restricted (neither starts
 * with "*"), a day matches when either matches. "@hourly", "@daily" (= "@midnight"),
 * "@weekly", "@monthly", "@yearly" (= "@annually") stand for their usual
 * expansions. Computing the next run belongs to the scheduler.
 */
#ifndef CAIRN_SCHEDULE_H
#define CAIRN_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

enum cairn_schedule_kind {
	CAIRN_SCHEDULE_NONE = 0, /* not set */
	CAIRN_SCHEDULE_EVERY,    /* "every DURATION": a fixed interval */
	CAIRN_SCHEDULE_CRON      /* a cron expression */
};

struct cairn_schedule {
	enum cairn_schedule_kind kind;
	int64_t every_ns;  /* EVERY: the interval, > 0 */
	/* CRON: bit N set = value N allowed */
	uint64_t minutes;  /* bits 0..59 */
	uint32_t hours;    /* bits 0..23 */
	uint32_t mdays;    /* bits 1..31 */
	uint16_t months;   /* bits 1..12 */
	uint8_t wdays;     /* bits 0..6, 0 = Sunday (7 in the text is folded to 0) */
	uint8_t mday_any;  /* the day-of-month field starts with "*" (as in cron) */
	uint8_t wday_any;  /* the day-of-week field starts with "*" */
};

/* Parse `text` (leading and trailing blanks allowed) into *ret (written only
 * on success). "every DURATION" takes cairn_duration_parse() durations of at
 * least one second. 0, or CAIRN_EINVAL with a detail naming the bad field,
 * e.g. "minute field '61' is out of range 0-59". */
int cairn_schedule_parse(const char *text, struct cairn_schedule *ret);

/* For a CRON schedule: non-zero when the minute `tm` (tm_min, tm_hour,
 * tm_mday, tm_mon 0..11, tm_wday) matches. 0 for other kinds. */
int cairn_schedule_cron_matches(const struct cairn_schedule *s, const struct tm *tm);

/* Next-run computation (lib/config/schedule_next.c): pure functions, no I/O
 * beyond the time-zone data localtime_r() reads.
 *
 * Time zone: cron fields are matched in the local time of the process (its TZ
 * environment variable, as localtime_r() sees it), or in UTC with
 * CAIRN_SCHEDULE_UTC. There is no per-call zone name: honouring one would need
 * setenv("TZ"), which is process-global and not thread-safe. A program that
 * changes TZ calls tzset() afterwards.
 *
 * Daylight saving time (cron schedules only; intervals are plain arithmetic on
 * nanoseconds and ignore the clock):
 *  - spring forward: a wall-clock time that does not exist that day (02:30 when
 *    clocks jump from 02:00 to 03:00) runs once, at the first valid minute after
 *    the gap (03:00), like Vixie cron and cronie. Several skipped times collapse
 *    into that one run. Schedules whose hour field covers all 24 hours, such as
 *    "17 * * * *", skip the missing times instead, as cronie does for such
 *    jobs: they run again within the hour, so no extra run is added at 03:00.
 *  - fall back: each wall-clock minute runs at most once a day, at its first
 *    occurrence; the repeated hour is not run again. This holds for every cron
 *    schedule, so "0,15,30,45 * * * *" has one gap of 1h15m that night.
 *    Pass the last run's start as `after_ns`, not the time of a restart, so that
 *    a restart inside the repeated hour does not run the same minute twice.
 */
enum {
	CAIRN_SCHEDULE_LOCAL = 0, /* cron fields in the process's local time */
	CAIRN_SCHEDULE_UTC = 1    /* cron fields in UTC */
};

/* The first run time strictly after `after_ns` (ns since the epoch) into
 * *ret_ns (written only on success).
 *  - EVERY: anchor_ns + k * every_ns for the smallest integer k (negative
 *    allowed) that gives a time > after_ns. anchor_ns is the start of the last
 *    run, or 0 to align runs on the epoch ("every 1h" at the full hour UTC).
 *  - CRON: anchor_ns is ignored; the first minute (second 0) whose wall-clock
 *    time matches, with the DST rules above. When both day-of-month and
 *    day-of-week are restricted, either may match (cron's rule).
 * flags: CAIRN_SCHEDULE_LOCAL or CAIRN_SCHEDULE_UTC.
 * 0; CAIRN_EINVAL for NULL arguments, an unset schedule or unknown flags;
 * CAIRN_ENOTFOUND when no run exists: the cron search covers a whole 400-year
 * Gregorian cycle, so this means the date can never occur ("0 0 31 2 *"), or
 * that the next run lies beyond the year 2262, where int64 nanoseconds end. */
int cairn_schedule_next(const struct cairn_schedule *s, int64_t anchor_ns, int64_t after_ns, int flags,
			int64_t *ret_ns);

/* Whether at least one run was due in (last_run_ns, now_ns]: true means the
 * scheduler owes exactly one catch-up run, however many runs were missed.
 * anchor_ns and flags as for cairn_schedule_next(). A schedule that never
 * runs, or now_ns <= last_run_ns (the clock went back), gives false.
 * *ret_missed is written only on success. 0 or CAIRN_EINVAL. */
int cairn_schedule_missed(const struct cairn_schedule *s, int64_t anchor_ns, int64_t last_run_ns, int64_t now_ns,
			  int flags, bool *ret_missed);

/* A delay in [0, max_ns) derived only from `seed`, so one host always gets
 * the same delay and many hosts spread evenly over the window. 0 when
 * max_ns <= 0. Pure; never fails. */
int64_t cairn_schedule_jitter(int64_t max_ns, uint64_t seed);

/* A seed for cairn_schedule_jitter() from text such as "host/job" (64-bit
 * FNV-1a). NULL hashes like "". */
uint64_t cairn_schedule_jitter_seed(const char *text);

#endif
