/* The clocks: wall-clock and monotonic time in ns, and a sleep that signals do not cut short. */
#include "cairn/clock.h"
#include "cairn/timeutil.h"

#include <errno.h>
#include <time.h>

static int64_t read_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * CAIRN_NS_PER_SEC + ts.tv_nsec;
}

int64_t cairn_time_now_ns(void)
{
	return read_clock(CLOCK_REALTIME);
}

int64_t cairn_time_mono_ns(void)
{
	return read_clock(CLOCK_MONOTONIC);
}

void cairn_time_sleep_ns(int64_t ns)
{
	struct timespec req, rem;

	if (ns <= 0)
		return;
	req.tv_sec = (time_t)(ns / CAIRN_NS_PER_SEC);
	req.tv_nsec = (long)(ns % CAIRN_NS_PER_SEC);
	while (nanosleep(&req, &rem) != 0 && errno == EINTR)
		req = rem;
}

int cairn_time_due(int64_t *last_ns, int64_t now, int64_t interval_ns, int force)
{
	if (!force && now - *last_ns < interval_ns)
		return 0;
	*last_ns = now;
	return 1;
}
