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

#endif
