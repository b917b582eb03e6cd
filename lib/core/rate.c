/* Bandwidth rates as people write them: "512k", "10M", "1.5G" bytes per second. */
#include <ctype.h>
#include <stdint.h>

#include "cairn/err.h"
#include "cairn/timeutil.h"

int cairn_rate_parse(const char *text, uint64_t *ret)
{
	uint64_t whole = 0, frac = 0, scale = 1, mult = 1;
	const char *p = text;

	if (!isdigit((unsigned char)*p))
		return cairn_err(CAIRN_EINVAL, "expected a number of bytes per second such as 512k or 10M");
	for (; isdigit((unsigned char)*p); p++) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > CAIRN_RATE_MAX)
			return cairn_err(CAIRN_EINVAL, "more than 1 TiB per second");
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return cairn_err(CAIRN_EINVAL, "expected digits after the '.'");
		for (; isdigit((unsigned char)*p); p++) {
			if (scale < 1000000) { /* further digits are below a byte per second */
				frac = frac * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			}
		}
	}
	if (*p == 'k' || *p == 'K')
		mult = 1ULL << 10;
	else if (*p == 'm' || *p == 'M')
		mult = 1ULL << 20;
	else if (*p == 'g' || *p == 'G')
		mult = 1ULL << 30;
	if (mult != 1)
		p++;
	if (*p != '\0')
		return cairn_err(CAIRN_EINVAL, "unexpected text after the number: the units are k, M and G (1024, "
				 "1024^2, 1024^3 bytes per second)");
	if (whole > CAIRN_RATE_MAX / mult)
		return cairn_err(CAIRN_EINVAL, "more than 1 TiB per second");
	whole = whole * mult + frac * mult / scale;
	if (whole > CAIRN_RATE_MAX)
		return cairn_err(CAIRN_EINVAL, "more than 1 TiB per second");
	if (whole != 0 && whole < CAIRN_RATE_MIN)
		return cairn_err(CAIRN_EINVAL, "below the minimum of 4k (4096 bytes per second; 0 means no limit)");
	*ret = whole;
	return 0;
}
