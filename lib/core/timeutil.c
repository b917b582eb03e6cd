/* Parsing and formatting of time points and durations. */
#include "cairn/timeutil.h"
#include "cairn/err.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Years beyond 9999 would be cut short; such times do not occur. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

static int unit_ns(char c, int64_t *ret)
{
	switch (c) {
	case 's': *ret = CAIRN_NS_PER_SEC; return 0;
	case 'm': *ret = 60 * CAIRN_NS_PER_SEC; return 0;
	case 'h': *ret = 3600 * CAIRN_NS_PER_SEC; return 0;
	case 'd': *ret = 86400 * CAIRN_NS_PER_SEC; return 0;
	case 'w': *ret = 7 * 86400 * CAIRN_NS_PER_SEC; return 0;
	default: return -1;
	}
}

int cairn_duration_parse(const char *text, int64_t *ret_ns)
{
	const char *p = text;
	int64_t total = 0;

	if (*p == '\0')
		return cairn_err(CAIRN_EINVAL, "empty duration");
	while (*p != '\0') {
		int64_t n = 0, unit;

		if (!isdigit((unsigned char)*p))
			goto bad;
		while (isdigit((unsigned char)*p)) {
			if (n > 1000000000LL)
				goto bad;
			n = n * 10 + (*p++ - '0');
		}
		if (*p == '\0' && p != text && total == 0) {
			unit = CAIRN_NS_PER_SEC;
		} else if (unit_ns(*p, &unit) == 0) {
			p++;
		} else {
			goto bad;
		}
		if (n > INT64_MAX / unit || total > INT64_MAX - n * unit)
			goto bad;
		total += n * unit;
	}
	*ret_ns = total;
	return 0;
bad:
	return cairn_err(CAIRN_EINVAL, "invalid duration '%s' (expected e.g. 90s, 15m, 1h30m, 7d)", text);
}

static int read_digits(const char **p, int count, int *ret)
{
	int v = 0;

	for (int i = 0; i < count; i++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (*(*p)++ - '0');
	}
	*ret = v;
	return 0;
}

/* days since 1970-01-01 of a proleptic Gregorian date */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int parse_absolute(const char *text, int64_t *ret_ns)
{
	const char *p = text;
	int y, mo, d, h = 0, mi = 0, s = 0;
	int64_t frac = 0, secs;
	int have_zone = 0, zone_sign = 1, zh = 0, zm = 0;

	if (read_digits(&p, 4, &y) || *p++ != '-' || read_digits(&p, 2, &mo) || *p++ != '-' ||
	    read_digits(&p, 2, &d))
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (read_digits(&p, 2, &h) || *p++ != ':' || read_digits(&p, 2, &mi))
			return -1;
		if (*p == ':') {
			p++;
			if (read_digits(&p, 2, &s))
				return -1;
			if (*p == '.' || *p == ',') {
				int64_t scale = 100000000LL;

				p++;
				if (!isdigit((unsigned char)*p))
					return -1;
				while (isdigit((unsigned char)*p)) {
					frac += (*p++ - '0') * scale;
					scale /= 10;
				}
			}
		}
		if (*p == 'Z' || *p == 'z') {
			have_zone = 1;
			p++;
		} else if (*p == '+' || *p == '-') {
			have_zone = 1;
			zone_sign = *p++ == '-' ? -1 : 1;
			if (read_digits(&p, 2, &zh))
				return -1;
			if (*p == ':')
				p++;
			if (read_digits(&p, 2, &zm))
				return -1;
		}
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 || zh > 23 ||
	    zm > 59)
		return -1;
	if (have_zone) {
		secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
		secs -= zone_sign * (zh * 3600 + zm * 60);
	} else {
		struct tm tm = { 0 };
		time_t t;

		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		tm.tm_hour = h;
		tm.tm_min = mi;
		tm.tm_sec = s;
		tm.tm_isdst = -1;
		t = mktime(&tm);
		if (t == (time_t)-1 && !(y == 1969 && mo == 12 && d == 31))
			return -1;
		secs = (int64_t)t;
	}
	/* int64 nanoseconds end in 1677 and 2262 */
	if (secs >= INT64_MAX / CAIRN_NS_PER_SEC || secs <= INT64_MIN / CAIRN_NS_PER_SEC)
		return -1;
	*ret_ns = secs * CAIRN_NS_PER_SEC + frac;
	return 0;
}

int cairn_time_parse(const char *text, int64_t now_ns, int64_t *ret_ns)
{
	size_t len = strlen(text);
	int64_t dur;
	int rc;

	if (strcmp(text, "latest") == 0 || strcmp(text, "now") == 0) {
		*ret_ns = now_ns;
		return 0;
	}
	if (text[0] == '-') {
		rc = cairn_duration_parse(text + 1, &dur);
		if (rc < 0)
			return cairn_err(CAIRN_EINVAL, "invalid time '%s' (relative times look like -30m or 2h ago)", text);
		*ret_ns = now_ns - dur;
		return 0;
	}
	if (len > 4 && strcmp(text + len - 4, " ago") == 0) {
		char buf[64];

		if (len - 4 >= sizeof(buf))
			return cairn_err(CAIRN_EINVAL, "invalid time '%s'", text);
		memcpy(buf, text, len - 4);
		buf[len - 4] = '\0';
		if (cairn_duration_parse(buf, &dur) < 0)
			return cairn_err(CAIRN_EINVAL, "invalid time '%s' (relative times look like -30m or 2h ago)", text);
		*ret_ns = now_ns - dur;
		return 0;
	}
	if (parse_absolute(text, ret_ns) == 0)
		return 0;
	return cairn_err(CAIRN_EINVAL,
			 "invalid time '%s' (expected RFC 3339 like 2026-11-26T12:00:00Z, local time like "
			 "2026-11-26 12:00, 'latest', or a relative time like 2h ago)",
			 text);
}

void cairn_time_format(int64_t ns, int nanos, char *out)
{
	int64_t secs = ns / CAIRN_NS_PER_SEC, rem = ns % CAIRN_NS_PER_SEC;
	time_t t;
	struct tm tm;

	if (rem < 0) {
		rem += CAIRN_NS_PER_SEC;
		secs--;
	}
	t = (time_t)secs;
	gmtime_r(&t, &tm);
	if (nanos)
		snprintf(out, CAIRN_TIME_STR, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)rem);
	else
		snprintf(out, CAIRN_TIME_STR, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void cairn_duration_format(int64_t ns, char *out, size_t out_len)
{
	static const struct { char unit; int64_t secs; } units[] = {
		{ 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
	};
	int64_t secs = ns / CAIRN_NS_PER_SEC;
	const char *sign = "";
	size_t used = 0;
	int parts = 0;

	if (secs < 0) {
		sign = "-";
		secs = -secs;
	}
	used = (size_t)snprintf(out, out_len, "%s", sign);
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && parts < 2; i++) {
		int64_t n = secs / units[i].secs;

		if (n == 0 && !(parts == 0 && units[i].unit == 's'))
			continue;
		if (parts > 0 && n == 0)
			break;
		if (used < out_len)
			used += (size_t)snprintf(out + used, out_len - used, "%lld%c", (long long)n, units[i].unit);
		secs -= n * units[i].secs;
		parts++;
	}
}
