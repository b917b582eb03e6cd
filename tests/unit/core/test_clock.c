/* Tests of lib/core/clock.c: the monotonic clock, the sleep that signals do
 * not cut short, and the throttle of periodic reports. */
#include "cairn_test.h"

#include "cairn/clock.h"

#include <signal.h>
#include <string.h>
#include <sys/time.h>

static void on_alarm(int sig)
{
	(void)sig;
}

static void test_cairn_time_mono_ns_never_goes_back(void **state)
{
	int64_t prev = cairn_time_mono_ns();

	(void)state;
	for (int i = 0; i < 100000; i++) {
		int64_t now = cairn_time_mono_ns();

		assert_true(now >= prev);
		prev = now;
	}
	assert_true(cairn_time_now_ns() > 1600000000LL * 1000000000LL); /* after 2020 */
}

/* A 100 ms sleep interrupted every 10 ms by SIGALRM still lasts 100 ms. */
static void test_cairn_time_sleep_ns_survives_signals(void **state)
{
	struct sigaction sa, old;
	struct itimerval tick = { { 0, 10000 }, { 0, 10000 } }, off = { { 0, 0 }, { 0, 0 } };
	int64_t t0, took;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: nanosleep returns EINTR */
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	assert_int_equal(setitimer(ITIMER_REAL, &tick, NULL), 0);
	t0 = cairn_time_mono_ns();
	cairn_time_sleep_ns(100000000LL);
	took = cairn_time_mono_ns() - t0;
	assert_int_equal(setitimer(ITIMER_REAL, &off, NULL), 0);
	assert_int_equal(sigaction(SIGALRM, &old, NULL), 0);
	assert_true(took >= 100000000LL);
	t0 = cairn_time_mono_ns();
	cairn_time_sleep_ns(0);
	cairn_time_sleep_ns(-5);
	assert_true(cairn_time_mono_ns() - t0 < 50000000LL);
}

static void test_cairn_time_due(void **state)
{
	int64_t last = 0;

	(void)state;
	assert_true(cairn_time_due(&last, 1000, 250, 0)); /* long since the start */
	assert_int_equal(last, 1000);
	assert_false(cairn_time_due(&last, 1249, 250, 0));
	assert_int_equal(last, 1000);
	assert_true(cairn_time_due(&last, 1250, 250, 0)); /* the boundary is due */
	assert_int_equal(last, 1250);
	assert_true(cairn_time_due(&last, 1251, 250, 1)); /* forced */
	assert_int_equal(last, 1251);
	assert_false(cairn_time_due(&last, 1300, CAIRN_PROGRESS_INTERVAL_NS, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cairn_time_mono_ns_never_goes_back),
		cmocka_unit_test(test_cairn_time_sleep_ns_survives_signals),
		cmocka_unit_test(test_cairn_time_due),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
