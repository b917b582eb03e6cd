/* Schedule expressions: "every DURATION" and 5-field cron expressions. */
#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "cairn/err.h"
#include "cairn/schedule.h"
#include "cairn/timeutil.h"

#define FIELD_MAX 128 /* longest cron field accepted */

struct field_def {
	const char *what;
	int min, max;
	const char *const *names; /* names[i] stands for min + i, or NULL */
	int nnames;
};

static const char *const month_names[] = { "jan", "feb", "mar", "apr", "may", "jun",
					   "jul", "aug", "sep", "oct", "nov", "dec" };
static const char *const wday_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

static const struct field_def fields[5] = {
	{ "minute", 0, 59, NULL, 0 },
	{ "hour", 0, 23, NULL, 0 },
	{ "day-of-month", 1, 31, NULL, 0 },
	{ "month", 1, 12, month_names, 12 },
	{ "day-of-week", 0, 7, wday_names, 7 },
};

static const struct {
	const char *name;
	const char *expansion;
} macros[] = {
	{ "@hourly", "0 * * * *" },   { "@daily", "0 0 * * *" },   { "@midnight", "0 0 * * *" },
	{ "@weekly", "0 0 * * 0" },   { "@monthly", "0 0 1 * *" }, { "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
};

/* A number or (where the field has them) a three-letter name at *p. */
static int parse_value(const struct field_def *f, const char **p, int *ret)
{
	const char *s = *p;
	long v = 0;

	if (isdigit((unsigned char)*s)) {
		while (isdigit((unsigned char)*s)) {
			v = v * 10 + (*s++ - '0');
			if (v > 1000)
				return -1;
		}
		*p = s;
		*ret = (int)v;
		return 0;
	}
	for (int i = 0; i < f->nnames; i++) {
		if (strncasecmp(s, f->names[i], 3) == 0 && !isalpha((unsigned char)s[3])) {
			*p = s + 3;
			*ret = f->min + i;
			return 0;
		}
	}
	return -1;
}

/* One comma-separated item of a field: "*", "N", "N-M", with "/STEP". */
static int parse_item(const struct field_def *f, const char *item, uint64_t *bits)
{
	const char *p = item;
	int lo, hi, step = 1;

	if (*p == '*') {
		lo = f->min;
		hi = f->max;
		p++;
	} else {
		if (parse_value(f, &p, &lo) != 0)
			return cairn_err(CAIRN_EINVAL, "%s field: '%s' is not a value", f->what, item);
		hi = lo;
		if (*p == '-') {
			p++;
			if (parse_value(f, &p, &hi) != 0)
				return cairn_err(CAIRN_EINVAL, "%s field: '%s' is not a range", f->what, item);
		} else if (*p == '/') {
			hi = f->max;
		}
	}
	if (*p == '/') {
		long s = 0;

		p++;
		if (!isdigit((unsigned char)*p))
			return cairn_err(CAIRN_EINVAL, "%s field: '%s' needs a step after '/'", f->what, item);
		while (isdigit((unsigned char)*p)) {
			s = s * 10 + (*p++ - '0');
			if (s > 1000)
				break;
		}
		if (s < 1 || s > f->max)
			return cairn_err(CAIRN_EINVAL, "%s field: step in '%s' must be from 1 to %d", f->what, item,
					 f->max);
		step = (int)s;
	}
	if (*p != '\0')
		return cairn_err(CAIRN_EINVAL, "%s field: unexpected '%s' in '%s'", f->what, p, item);
	if (lo < f->min || lo > f->max || hi < f->min || hi > f->max)
		return cairn_err(CAIRN_EINVAL, "%s field: '%s' is out of range %d-%d", f->what, item, f->min, f->max);
	if (lo > hi)
		return cairn_err(CAIRN_EINVAL, "%s field: range '%s' goes backwards", f->what, item);
	for (int v = lo; v <= hi; v += step)
		*bits |= 1ULL << v;
	return 0;
}

static int parse_field(const struct field_def *f, const char *text, uint64_t *ret)
{
	char buf[FIELD_MAX + 1];
	char *save = NULL, *item;
	uint64_t bits = 0;
	size_t len = strlen(text);
	int rc;

	if (len > FIELD_MAX)
		return cairn_err(CAIRN_EINVAL, "%s field is too long", f->what);
	memcpy(buf, text, len + 1);
	if (buf[0] == ',' || buf[len - 1] == ',' || strstr(buf, ",,") != NULL)
		return cairn_err(CAIRN_EINVAL, "%s field '%s' has an empty list item", f->what, text);
	for (item = strtok_r(buf, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		if ((rc = parse_item(f, item, &bits)) != 0)
			return rc;
	}
	*ret = bits;
	return 0;
}

static int parse_cron(const char *text, struct cairn_schedule *s)
{
	char part[5][FIELD_MAX + 1];
	const char *p = text;
	uint64_t bits[5];
	int n = 0, rc;

	while (*p != '\0') {
		size_t len;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		len = strcspn(p, " \t");
		if (n == 5)
			return cairn_err(CAIRN_EINVAL, "a cron expression has 5 fields (minute hour day-of-month "
					 "month day-of-week), this one has more");
		if (len > FIELD_MAX)
			return cairn_err(CAIRN_EINVAL, "%s field is too long", fields[n].what);
		memcpy(part[n], p, len);
		part[n][len] = '\0';
		n++;
		p += len;
	}
	if (n != 5)
		return cairn_err(CAIRN_EINVAL, "a cron expression has 5 fields (minute hour day-of-month month "
				 "day-of-week), this one has %d", n);
	for (int i = 0; i < 5; i++) {
		if ((rc = parse_field(&fields[i], part[i], &bits[i])) != 0)
			return rc;
	}
	s->kind = CAIRN_SCHEDULE_CRON;
	s->minutes = bits[0];
	s->hours = (uint32_t)bits[1];
	s->mdays = (uint32_t)bits[2];
	s->months = (uint16_t)bits[3];
	s->wdays = (uint8_t)((bits[4] | (bits[4] >> 7)) & 0x7f); /* 7 is Sunday too */
	s->mday_any = part[2][0] == '*';
	s->wday_any = part[4][0] == '*';
	return 0;
}

int cairn_schedule_parse(const char *text, struct cairn_schedule *ret)
{
	struct cairn_schedule s;
	char buf[FIELD_MAX * 6];
	size_t len;
	int rc;

	while (*text == ' ' || *text == '\t')
		text++;
	len = strlen(text);
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	if (len == 0)
		return cairn_err(CAIRN_EINVAL, "empty schedule (expected e.g. 'every 15m' or '30 2 * * *')");
	if (len >= sizeof(buf))
		return cairn_err(CAIRN_EINVAL, "schedule is too long");
	memcpy(buf, text, len);
	buf[len] = '\0';
	memset(&s, 0, sizeof(s));
	if (strncasecmp(buf, "every", 5) == 0 && (buf[5] == ' ' || buf[5] == '\t')) {
		const char *d = buf + 6;

		while (*d == ' ' || *d == '\t')
			d++;
		if (cairn_duration_parse(d, &s.every_ns) != 0)
			return cairn_err(CAIRN_EINVAL, "'every' takes a duration such as 15m, 1h or 1d, not '%s'", d);
		if (s.every_ns < CAIRN_NS_PER_SEC)
			return cairn_err(CAIRN_EINVAL, "'every %s' is shorter than one second", d);
		s.kind = CAIRN_SCHEDULE_EVERY;
		*ret = s;
		return 0;
	}
	if (buf[0] == '@') {
		for (size_t i = 0; i < sizeof(macros) / sizeof(macros[0]); i++) {
			if (strcasecmp(buf, macros[i].name) == 0) {
				if ((rc = parse_cron(macros[i].expansion, &s)) != 0)
					return rc;
				*ret = s;
				return 0;
			}
		}
		return cairn_err(CAIRN_EINVAL, "unknown schedule '%s' (known: @hourly, @daily, @weekly, @monthly, "
				 "@yearly)", buf);
	}
	if ((rc = parse_cron(buf, &s)) != 0)
		return rc;
	*ret = s;
	return 0;
}

int cairn_schedule_cron_matches(const struct cairn_schedule *s, const struct tm *tm)
{
	int mday_ok, wday_ok, day_ok;

	if (s->kind != CAIRN_SCHEDULE_CRON)
		return 0;
	if (tm->tm_min < 0 || tm->tm_min > 59 || tm->tm_hour < 0 || tm->tm_hour > 23 || tm->tm_mday < 1 ||
	    tm->tm_mday > 31 || tm->tm_mon < 0 || tm->tm_mon > 11 || tm->tm_wday < 0 || tm->tm_wday > 6)
		return 0;
	if (!(s->minutes >> tm->tm_min & 1) || !(s->hours >> tm->tm_hour & 1) ||
	    !(s->months >> (tm->tm_mon + 1) & 1))
		return 0;
	mday_ok = (int)(s->mdays >> tm->tm_mday & 1);
	wday_ok = (int)(s->wdays >> tm->tm_wday & 1);
	if (s->mday_any || s->wday_any)
		day_ok = mday_ok && wday_ok;
	else
		day_ok = mday_ok || wday_ok;
	return day_ok;
}
