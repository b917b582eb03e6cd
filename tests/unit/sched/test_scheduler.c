/* Tests of lib/sched/scheduler*.c with a fake clock: order of due jobs, catch-up once after downtime,
 * never twice at once, DST days and month ends in Europe/Berlin, jitter, state carried over (the jobs of a
 * configuration: test_scheduler_config.c). */
#include "../config/config_test.h"

#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cairn/scheduler.h"
#include "cairn/timeutil.h"

#define SEC CAIRN_NS_PER_SEC
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
#define MAX_RUNS 64

static int set_berlin(void **state)
{
	(void)state;
	/* The POSIX rule is what tzdata says for Berlin since 1996; it needs no tzdata. */
	if (access("/usr/share/zoneinfo/Europe/Berlin", R_OK) == 0)
		setenv("TZ", "Europe/Berlin", 1);
	else
		setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
	tzset();
	return 0;
}

/* An RFC 3339 time with its offset, e.g. "2026-03-29T03:00:00+02:00". */
static int64_t at(const char *text)
{
	int64_t ns;

	if (cairn_time_parse(text, 0, &ns) != 0)
		fail_msg("'%s': %s", text, cairn_err_msg());
	return ns;
}

static const char *fmt(int64_t ns, char buf[CAIRN_TIME_STR])
{
	cairn_time_format(ns, 0, buf);
	return buf;
}

static struct cairn_scheduler *new_sched(const char *host)
{
	struct cairn_scheduler *s = NULL;

	assert_int_equal(cairn_scheduler_new(host, CAIRN_SCHEDULE_LOCAL, &s), 0);
	return s;
}

static void add(struct cairn_scheduler *s, const char *name, const char *schedule, int64_t jitter_ns)
{
	struct cairn_job job;

	memset(&job, 0, sizeof(job));
	snprintf(job.name, sizeof(job.name), "%s", name);
	snprintf(job.schedule_text, sizeof(job.schedule_text), "%s", schedule);
	job.kind = CAIRN_JOB_BACKUP;
	job.jitter_ns = jitter_ns;
	if (cairn_schedule_parse(schedule, &job.schedule) != 0)
		fail_msg("'%s': %s", schedule, cairn_err_msg());
	assert_int_equal(cairn_scheduler_add(s, &job), 0);
}

static size_t find(const struct cairn_scheduler *s, const char *name)
{
	size_t i = 0;

	if (cairn_scheduler_find(s, name, &i) != 0)
		fail_msg("no job '%s'", name);
	return i;
}

/* A job that last started (and finished 1 minute later) at `last` (0 = never), first seen at `seen`. */
static void set_last(struct cairn_scheduler *s, const char *name, int64_t seen, int64_t last)
{
	struct cairn_job_state st = { .first_seen_ns = seen, .last_start_ns = last, .last_exit = -1 };

	if (last > 0) {
		st.last_end_ns = last + MIN;
		st.last_exit = 0;
	}
	assert_int_equal(cairn_scheduler_set_state(s, name, &st), 0);
}

struct run {
	char job[CAIRN_JOB_NAME_MAX];
	int64_t start;
};

/* What `cairn-agent run` does, on a fake clock: from `now` until `until`, run
 * the next due job (waiting for it when it is not due yet), one at a time;
 * each run lasts `duration(job)`. Returns the number of runs in runs[]. */
static size_t simulate(struct cairn_scheduler *s, int64_t now, int64_t until, int64_t (*duration)(const char *),
		       struct run *runs)
{
	size_t n = 0, i;
	int64_t due;

	while (n < MAX_RUNS) {
		int rc = cairn_scheduler_next(s, now, &i, &due);
		const struct cairn_job *j;

		if (rc == CAIRN_ENOTFOUND)
			break;
		assert_int_equal(rc, 0);
		j = cairn_scheduler_job(s, i);
		if (due > now)
			now = due; /* sleep until it is due */
		if (now > until)
			break;
		assert_int_equal(cairn_scheduler_started(s, i, now), 0);
		snprintf(runs[n].job, sizeof(runs[n].job), "%s", j->name);
		runs[n++].start = now;
		now += duration(j->name);
		assert_int_equal(cairn_scheduler_finished(s, i, now, 0, false), 0);
	}
	return n;
}

static int64_t one_second(const char *job)
{
	(void)job;
	return SEC;
}

#define expect_run(runs, n, k, name, when) expect_run_at(runs, n, k, name, when, __LINE__)
static void expect_run_at(const struct run *runs, size_t n, size_t k, const char *name, const char *when, int line)
{
	char got[CAIRN_TIME_STR], want[CAIRN_TIME_STR];

	if (k >= n)
		fail_msg("line %d: only %zu runs, wanted run %zu (%s at %s)", line, n, k, name, when);
	if (strcmp(runs[k].job, name) != 0 || runs[k].start != at(when))
		fail_msg("line %d: run %zu: got %s at %s, want %s at %s", line, k, runs[k].job,
			 fmt(runs[k].start, got), name, fmt(at(when), want));
}

static size_t count_runs(const struct run *runs, size_t n, const char *name)
{
	size_t c = 0;

	for (size_t k = 0; k < n; k++)
		c += strcmp(runs[k].job, name) == 0;
	return c;
}

static void test_scheduler_order_of_two_jobs(void **state)
{
	struct cairn_scheduler *s = new_sched("web-01");
	int64_t now = at("2026-06-10T10:07:00+02:00"), due;
	struct run runs[MAX_RUNS];
	size_t n, i;

	(void)state;
	add(s, "backup:home", "17 * * * *", 0);
	add(s, "replicate:dr", "every 15m", 0);
	cairn_scheduler_start(s, now);
	/* new jobs do not catch up: they wait for their next time */
	assert_false(cairn_scheduler_job(s, 0)->catch_up);
	assert_int_equal(cairn_scheduler_job(s, 0)->state.first_seen_ns, now);
	/* cron at its times; an interval counts from when the job was first seen */
	assert_int_equal(cairn_scheduler_next(s, now, &i, &due), 0);
	assert_string_equal(cairn_scheduler_job(s, i)->name, "backup:home");
	assert_int_equal(due, at("2026-06-10T10:17:00+02:00"));
	assert_int_equal(cairn_scheduler_due(s, find(s, "replicate:dr"), now, &due), 0);
	assert_int_equal(due, at("2026-06-10T10:22:00+02:00"));

	n = simulate(s, now, at("2026-06-10T11:20:00+02:00"), one_second, runs);
	expect_run(runs, n, 0, "backup:home", "2026-06-10T10:17:00+02:00");
	expect_run(runs, n, 1, "replicate:dr", "2026-06-10T10:22:00+02:00");
	expect_run(runs, n, 2, "replicate:dr", "2026-06-10T10:37:00+02:00");
	expect_run(runs, n, 3, "replicate:dr", "2026-06-10T10:52:00+02:00");
	expect_run(runs, n, 4, "replicate:dr", "2026-06-10T11:07:00+02:00");
	expect_run(runs, n, 5, "backup:home", "2026-06-10T11:17:00+02:00");
	assert_int_equal(n, 6);
	cairn_scheduler_free(s);
}

static void test_scheduler_equal_times_in_table_order(void **state)
{
	struct cairn_scheduler *s = new_sched("web-01");
	int64_t now = at("2026-06-10T10:07:00+02:00");
	struct run runs[MAX_RUNS];
	size_t n;

	(void)state;
	add(s, "backup:home", "0 * * * *", 0);
	add(s, "replicate:dr", "0 */1 * * *", 0);
	add(s, "prune", "@hourly", 0);
	cairn_scheduler_start(s, now);
	n = simulate(s, now, at("2026-06-10T11:01:00+02:00"), one_second, runs);
	assert_int_equal(n, 3);
	expect_run(runs, n, 0, "backup:home", "2026-06-10T11:00:00+02:00");
	expect_run(runs, n, 1, "replicate:dr", "2026-06-10T11:00:01+02:00");
	expect_run(runs, n, 2, "prune", "2026-06-10T11:00:02+02:00");
	cairn_scheduler_free(s);
}

static void test_scheduler_catch_up_once_after_downtime(void **state)
{
	struct cairn_scheduler *s = new_sched("web-01");
	int64_t down = at("2026-06-07T10:00:00+02:00"), now = at("2026-06-10T10:30:00+02:00"), due;
	struct run runs[MAX_RUNS];
	size_t n;

	(void)state;
	add(s, "backup:home", "0 * * * *", 0);     /* 72 runs missed */
	add(s, "replicate:dr", "every 15m", 0);    /* 290 runs missed */
	add(s, "check", "0 5 1 * *", 0);           /* none missed */
	add(s, "prune", "0 4 * * *", 0);           /* never ran, first seen before the downtime: 3 missed */
	add(s, "backup:new", "every 1m", 0);       /* never seen: no catch-up */
	set_last(s, "backup:home", down - DAY, down);
	set_last(s, "replicate:dr", down - DAY, down);
	set_last(s, "check", down - DAY, at("2026-06-01T05:00:00+02:00"));
	set_last(s, "prune", down - DAY, 0);
	cairn_scheduler_start(s, now);
	assert_true(cairn_scheduler_job(s, find(s, "backup:home"))->catch_up);
	assert_true(cairn_scheduler_job(s, find(s, "replicate:dr"))->catch_up);
	assert_false(cairn_scheduler_job(s, find(s, "check"))->catch_up);
	assert_true(cairn_scheduler_job(s, find(s, "prune"))->catch_up);
	assert_false(cairn_scheduler_job(s, find(s, "backup:new"))->catch_up);
	/* the same as cairn_schedule_missed() says for the cron jobs */
	{
		struct cairn_schedule hourly, daily4, monthly;
		bool missed = false;

		assert_int_equal(cairn_schedule_parse("0 * * * *", &hourly), 0);
		assert_int_equal(cairn_schedule_parse("0 4 * * *", &daily4), 0);
		assert_int_equal(cairn_schedule_parse("0 5 1 * *", &monthly), 0);
		assert_int_equal(cairn_schedule_missed(&hourly, 0, down, now, CAIRN_SCHEDULE_LOCAL, &missed), 0);
		assert_true(missed);
		assert_int_equal(cairn_schedule_missed(&daily4, 0, down - DAY, now, CAIRN_SCHEDULE_LOCAL, &missed), 0);
		assert_true(missed);
		assert_int_equal(cairn_schedule_missed(&monthly, 0, at("2026-06-01T05:00:00+02:00"), now,
						       CAIRN_SCHEDULE_LOCAL, &missed), 0);
		assert_false(missed);
	}
	/* due at the first missed time, which is in the past */
	assert_int_equal(cairn_scheduler_due(s, find(s, "backup:home"), now, &due), 0);
	assert_int_equal(due, at("2026-06-07T11:00:00+02:00"));

	/* up to 10:40: one catch-up each, in order of the missed time, then the regular runs */
	n = simulate(s, now, at("2026-06-10T10:40:00+02:00"), one_second, runs);
	expect_run(runs, n, 0, "prune", "2026-06-10T10:30:00+02:00");        /* missed 2026-06-07 04:00 */
	expect_run(runs, n, 1, "replicate:dr", "2026-06-10T10:30:01+02:00"); /* missed 2026-06-07 10:15 */
	expect_run(runs, n, 2, "backup:home", "2026-06-10T10:30:02+02:00");  /* missed 2026-06-07 11:00 */
	expect_run(runs, n, 3, "backup:new", "2026-06-10T10:31:00+02:00");
	assert_int_equal(count_runs(runs, n, "backup:new"), 10); /* 10:31 .. 10:40 */
	assert_int_equal(count_runs(runs, n, "backup:home"), 1);
	assert_int_equal(count_runs(runs, n, "replicate:dr"), 1);
	assert_int_equal(count_runs(runs, n, "prune"), 1);
	assert_int_equal(count_runs(runs, n, "check"), 0);
	assert_false(cairn_scheduler_job(s, find(s, "backup:home"))->catch_up);
	/* afterwards: back on the schedule */
	assert_int_equal(cairn_scheduler_due(s, find(s, "backup:home"), now, &due), 0);
	assert_int_equal(due, at("2026-06-10T11:00:00+02:00"));
	assert_int_equal(cairn_scheduler_due(s, find(s, "prune"), now, &due), 0);
	assert_int_equal(due, at("2026-06-11T04:00:00+02:00"));
	cairn_scheduler_free(s);
}

static void test_scheduler_restart_without_miss(void **state)
{
	struct cairn_scheduler *s = new_sched("web-01");
	int64_t now = at("2026-06-10T10:40:00+02:00"), due;
	size_t i;

	(void)state;
	add(s, "backup:home", "0 * * * *", 0);
	set_last(s, "backup:home", now - DAY, at("2026-06-10T10:00:00+02:00"));
	cairn_scheduler_start(s, now);
	assert_false(cairn_scheduler_job(s, 0)->catch_up);
	assert_int_equal(cairn_scheduler_next(s, now, &i, &due), 0);
	assert_int_equal(due, at("2026-06-10T11:00:00+02:00"));
	/* restarting again and again does not move or add runs */
	cairn_scheduler_start(s, now + MIN);
	assert_int_equal(cairn_scheduler_next(s, now + MIN, &i, &due), 0);
	assert_int_equal(due, at("2026-06-10T11:00:00+02:00"));
	cairn_scheduler_free(s);
}

static int64_t long_backup(const char *job)
{
	return strcmp(job, "backup:home") == 0 ? 150 * MIN : SEC;
}

static void test_scheduler_long_run_not_started_twice(void **state)
{
	struct cairn_scheduler *s = new_sched("web-01");
	int64_t now = at("2026-06-10T09:59:00+02:00"), due;
	struct run runs[MAX_RUNS];
	size_t n, i, home, dr;

	(void)state;
	add(s, "backup:home", "every 1h", 0);
	add(s, "replicate:dr", "every 15m", 0);
	home = find(s, "backup:home");
	dr = find(s, "replicate:dr");
	set_last(s, "backup:home", now - DAY, at("2026-06-10T09:00:00+02:00"));
	set_last(s, "replicate:dr", now - DAY, at("2026-06-10T09:59:00+02:00"));
	cairn_scheduler_start(s, now);

	/* the backup starts at 10:00 and is still running at 12:30, past two of its times */
	now = at("2026-06-10T10:00:00+02:00");
	assert_int_equal(cairn_scheduler_next(s, now, &i, &due), 0);
	assert_int_equal(i, home);
	assert_int_equal(cairn_scheduler_started(s, home, now), 0);
	now = at("2026-06-10T12:30:00+02:00");
	assert_int_equal(cairn_scheduler_next(s, now, &i, &due), 0);
	assert_int_equal(i, dr); /* never the running job */
	assert_int_equal(due, at("2026-06-10T10:14:00+02:00"));
	assert_int_equal(cairn_scheduler_started(s, home, now), CAIRN_EINVAL);
	assert_non_null(strstr(cairn_err_msg(), "running already"));
	assert_true(cairn_scheduler_job(s, home)->state.running);
	assert_int_equal(cairn_scheduler_job(s, home)->state.last_start_ns, at("2026-06-10T10:00:00+02:00"));
	/* with the replication running too, nothing else can run */
	assert_int_equal(cairn_scheduler_started(s, dr, now), 0);
	assert_int_equal(cairn_scheduler_next(s, now, &i, &due), CAIRN_ENOTFOUND);
	assert_int_equal(cairn_scheduler_finished(s, dr, now, 0, false), 0);
	assert_int_equal(cairn_scheduler_finished(s, home, now, 0, false), 0);
	assert_int_equal(cairn_scheduler_finished(s, home, now, 0, false), CAIRN_EINVAL);

	/* one at a time: the backup takes 2h30 each time; what was due meanwhile runs once after it */
	n = simulate(s, now, at("2026-06-10T15:10:00+02:00"), long_backup, runs);
	expect_run(runs, n, 0, "backup:home", "2026-06-10T12:30:00+02:00"); /* once, though due since 11:00 */
	expect_run(runs, n, 1, "replicate:dr", "2026-06-10T15:00:00+02:00"); /* once, though due since 12:45 */
	expect_run(runs, n, 2, "backup:home", "2026-06-10T15:00:01+02:00");
	assert_int_equal(n, 3);
	cairn_scheduler_free(s);
}

static void test_scheduler_interrupted_run_again(void **state)
{
	struct cairn_scheduler *s = new_sched("web-01");
	int64_t start = at("2026-06-10T02:17:00+02:00"), now = at("2026-06-10T08:00:00+02:00"), due;
	struct cairn_job_state st = { .first_seen_ns = start - DAY, .last_start_ns = start, .running = true,
				      .last_exit = 0, .last_end_ns = start - DAY };
	size_t i;

	(void)state;
	add(s, "backup:home", "17 2 * * *", 0);
	add(s, "prune", "0 4 * * sun", 0);
	/* the agent died during the backup: the file still says running */
	assert_int_equal(cairn_scheduler_set_state(s, "backup:home", &st), 0);
	cairn_scheduler_start(s, now);
	assert_false(cairn_scheduler_job(s, 0)->state.running);
	assert_true(cairn_scheduler_job(s, 0)->state.interrupted);
	assert_true(cairn_scheduler_job(s, 0)->catch_up);
	assert_int_equal(cairn_scheduler_next(s, now, &i, &due), 0);
	assert_int_equal(i, 0);
	assert_true(due <= now);
	assert_int_equal(cairn_scheduler_started(s, 0, now), 0);
	assert_false(cairn_scheduler_job(s, 0)->state.interrupted);
	/* stopped again (SIGTERM): due at once again, after the next start-up */
	assert_int_equal(cairn_scheduler_finished(s, 0, now + MIN, 143, true), 0);
	assert_true(cairn_scheduler_job(s, 0)->state.interrupted);
	assert_int_equal(cairn_scheduler_job(s, 0)->state.last_exit, 143);
	assert_int_equal(cairn_scheduler_due(s, 0, now + 2 * MIN, &due), 0);
	assert_int_equal(due, now);
	/* finished by itself: back to its schedule */
	assert_int_equal(cairn_scheduler_started(s, 0, now + 2 * MIN), 0);
	assert_int_equal(cairn_scheduler_finished(s, 0, now + 3 * MIN, 0, false), 0);
	assert_int_equal(cairn_scheduler_due(s, 0, now + 3 * MIN, &due), 0);
	assert_int_equal(due, at("2026-06-11T02:17:00+02:00"));
	cairn_scheduler_free(s);
}

static void test_scheduler_dst_spring_forward(void **state)
{
	struct cairn_scheduler *s = new_sched("web-01");
	struct run runs[MAX_RUNS];
	size_t n;

	(void)state;
	/* 2026-03-29 in Berlin: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist and runs at 03:00 */
	add(s, "backup:home", "30 2 * * *", 0);
	add(s, "replicate:dr", "17 * * * *", 0); /* every hour: 02:17 is skipped, no extra run */
	add(s, "check", "every 1h", 0);          /* intervals ignore the wall clock */
	set_last(s, "backup:home", 1, at("2026-03-28T02:30:00+01:00"));
	set_last(s, "replicate:dr", 1, at("2026-03-29T01:17:00+01:00"));
	set_last(s, "check", 1, at("2026-03-29T01:00:00+01:00"));
	cairn_scheduler_start(s, at("2026-03-29T01:30:00+01:00"));
	n = simulate(s, at("2026-03-29T01:30:00+01:00"), at("2026-03-29T04:30:00+02:00"), one_second, runs);
	expect_run(runs, n, 0, "backup:home", "2026-03-29T03:00:00+02:00");
	expect_run(runs, n, 1, "check", "2026-03-29T03:00:01+02:00"); /* due at the same time: table order */
	expect_run(runs, n, 2, "replicate:dr", "2026-03-29T03:17:00+02:00");
	expect_run(runs, n, 3, "check", "2026-03-29T04:00:01+02:00"); /* an hour after its last start */
	expect_run(runs, n, 4, "replicate:dr", "2026-03-29T04:17:00+02:00");
	assert_int_equal(n, 5);
	/* the agent was down over the gap: still one run */
	cairn_scheduler_free(s);
	s = new_sched("web-01");
	add(s, "backup:home", "30 2 * * *", 0);
	set_last(s, "backup:home", 1, at("2026-03-28T02:30:00+01:00"));
	cairn_scheduler_start(s, at("2026-03-29T09:00:00+02:00"));
	assert_true(cairn_scheduler_job(s, 0)->catch_up);
	n = simulate(s, at("2026-03-29T09:00:00+02:00"), at("2026-03-30T03:00:00+02:00"), one_second, runs);
	assert_int_equal(n, 2);
	expect_run(runs, n, 0, "backup:home", "2026-03-29T09:00:00+02:00");
	expect_run(runs, n, 1, "backup:home", "2026-03-30T02:30:00+02:00");
	cairn_scheduler_free(s);
}

static void test_scheduler_dst_fall_back(void **state)
{
	struct cairn_scheduler *s = new_sched("web-01");
	struct run runs[MAX_RUNS];
	int64_t due;
	size_t n;

	(void)state;
	/* 2026-10-25 in Berlin: 03:00 CEST goes back to 02:00 CET; 02:30 occurs twice and runs once */
	add(s, "backup:home", "30 2 * * *", 0);
	add(s, "check", "every 1h", 0);
	set_last(s, "backup:home", 1, at("2026-10-24T02:30:00+02:00"));
	set_last(s, "check", 1, at("2026-10-25T01:00:00+02:00"));
	cairn_scheduler_start(s, at("2026-10-25T01:10:00+02:00"));
	n = simulate(s, at("2026-10-25T01:10:00+02:00"), at("2026-10-25T03:10:00+01:00"), one_second, runs);
	expect_run(runs, n, 0, "check", "2026-10-25T02:00:00+02:00");
	expect_run(runs, n, 1, "backup:home", "2026-10-25T02:30:00+02:00");
	expect_run(runs, n, 2, "check", "2026-10-25T02:00:00+01:00"); /* one hour after 02:00 CEST */
	expect_run(runs, n, 3, "check", "2026-10-25T03:00:00+01:00");
	assert_int_equal(n, 4);
	/* a restart inside the repeated hour does not run 02:30 again */
	cairn_scheduler_start(s, at("2026-10-25T02:45:00+01:00"));
	assert_false(cairn_scheduler_job(s, 0)->catch_up);
	assert_int_equal(cairn_scheduler_due(s, 0, at("2026-10-25T02:45:00+01:00"), &due), 0);
	assert_int_equal(due, at("2026-10-26T02:30:00+01:00"));
	cairn_scheduler_free(s);
}

static void test_scheduler_month_ends(void **state)
{
	struct cairn_scheduler *s = new_sched("web-01");
	struct run runs[MAX_RUNS];
	size_t n;

	(void)state;
	add(s, "check", "0 5 31 * *", 0);
	add(s, "prune", "0 4 28-31 * *", 0);
	set_last(s, "check", 1, at("2026-01-31T05:00:00+01:00"));
	set_last(s, "prune", 1, at("2026-01-31T04:00:00+01:00"));
	cairn_scheduler_start(s, at("2026-02-01T00:00:00+01:00"));
	n = simulate(s, at("2026-02-01T00:00:00+01:00"), at("2026-05-01T00:00:00+02:00"), one_second, runs);
	/* the 31st skips February and April; 28-31 runs on whichever days the month has */
	assert_int_equal(count_runs(runs, n, "check"), 1);
	assert_int_equal(count_runs(runs, n, "prune"), 1 + 4 + 3);
	expect_run(runs, n, 0, "prune", "2026-02-28T04:00:00+01:00");
	expect_run(runs, n, 1, "prune", "2026-03-28T04:00:00+01:00");
	expect_run(runs, n, 4, "prune", "2026-03-31T04:00:00+02:00");
	expect_run(runs, n, 5, "check", "2026-03-31T05:00:00+02:00");
	expect_run(runs, n, 8, "prune", "2026-04-30T04:00:00+02:00");
	/* down from March 1st to June 15th: the 31st of March and of May were missed: one run */
	cairn_scheduler_free(s);
	s = new_sched("web-01");
	add(s, "check", "0 5 31 * *", 0);
	set_last(s, "check", 1, at("2026-01-31T05:00:00+01:00"));
	cairn_scheduler_start(s, at("2026-06-15T12:00:00+02:00"));
	assert_true(cairn_scheduler_job(s, 0)->catch_up);
	n = simulate(s, at("2026-06-15T12:00:00+02:00"), at("2026-08-01T00:00:00+02:00"), one_second, runs);
	assert_int_equal(n, 2);
	expect_run(runs, n, 0, "check", "2026-06-15T12:00:00+02:00");
	expect_run(runs, n, 1, "check", "2026-07-31T05:00:00+02:00");
	/* down over February only: the 31st was never due, nothing to catch up */
	set_last(s, "check", 1, at("2026-01-31T05:00:00+01:00"));
	cairn_scheduler_start(s, at("2026-03-30T12:00:00+02:00"));
	assert_false(cairn_scheduler_job(s, 0)->catch_up);
	cairn_scheduler_free(s);
}

static void test_scheduler_jitter(void **state)
{
	const int64_t window = 10 * MIN;
	struct cairn_scheduler *s = new_sched("web-01"), *s2 = new_sched("web-01");
	int64_t now = at("2026-06-10T10:30:00+02:00"), due, nominal = at("2026-06-11T02:17:00+02:00");
	bool differ = false;

	(void)state;
	add(s, "backup:home", "17 2 * * *", window);
	add(s, "backup:etc", "17 2 * * *", window);
	add(s, "replicate:dr", "17 2 * * *", 0);
	add(s2, "backup:home", "17 2 * * *", window);
	cairn_scheduler_start(s, now);
	for (size_t i = 0; i < 2; i++) {
		const struct cairn_job *j = cairn_scheduler_job(s, i);

		assert_in_range(j->delay_ns, 0, window - 1);
		assert_int_equal(cairn_scheduler_due(s, i, now, &due), 0);
		assert_int_equal(due, nominal + j->delay_ns);
	}
	assert_int_equal(cairn_scheduler_job(s, 2)->delay_ns, 0);
	/* the delay is the host's and the job's: the same every time, different elsewhere */
	assert_int_equal(cairn_scheduler_job(s2, 0)->delay_ns, cairn_scheduler_job(s, 0)->delay_ns);
	assert_true(cairn_scheduler_job(s, 0)->delay_ns != cairn_scheduler_job(s, 1)->delay_ns);
	for (int h = 0; h < 20 && !differ; h++) {
		struct cairn_scheduler *o;
		char host[32];

		snprintf(host, sizeof(host), "web-%02d", h + 2);
		o = new_sched(host);
		add(o, "backup:home", "17 2 * * *", window);
		differ = cairn_scheduler_job(o, 0)->delay_ns != cairn_scheduler_job(s, 0)->delay_ns;
		assert_in_range(cairn_scheduler_job(o, 0)->delay_ns, 0, window - 1);
		cairn_scheduler_free(o);
	}
	assert_true(differ);
	/* a run is missed only once its delayed time has passed */
	{
		int64_t d = cairn_scheduler_job(s, 0)->delay_ns;

		set_last(s, "backup:home", 1, at("2026-06-10T02:17:00+02:00") + d);
		cairn_scheduler_start(s, nominal + d - 1);
		assert_false(cairn_scheduler_job(s, 0)->catch_up);
		assert_int_equal(cairn_scheduler_due(s, 0, nominal + d - 1, &due), 0);
		assert_int_equal(due, nominal + d);
		cairn_scheduler_start(s, nominal + d);
		assert_true(cairn_scheduler_job(s, 0)->catch_up);
		/* after a late run (queued behind another job) the next one keeps its place */
		assert_int_equal(cairn_scheduler_started(s, 0, nominal + d + HOUR), 0);
		assert_int_equal(cairn_scheduler_finished(s, 0, nominal + d + 2 * HOUR, 0, false), 0);
		assert_int_equal(cairn_scheduler_due(s, 0, nominal + d + 2 * HOUR, &due), 0);
		assert_int_equal(due, nominal + DAY + d);
	}
	/* every D: a new job waits D plus its delay, then its runs stay D apart */
	{
		struct cairn_scheduler *e = new_sched("web-01");
		int64_t d;

		add(e, "backup:home", "every 6h", window);
		d = cairn_scheduler_job(e, 0)->delay_ns;
		assert_int_equal(d, cairn_scheduler_job(s, 0)->delay_ns); /* the same host and job */
		cairn_scheduler_start(e, now);
		assert_int_equal(cairn_scheduler_due(e, 0, now, &due), 0);
		assert_int_equal(due, now + 6 * HOUR + d);
		assert_int_equal(cairn_scheduler_started(e, 0, due), 0);
		assert_int_equal(cairn_scheduler_finished(e, 0, due + HOUR, 0, false), 0);
		assert_int_equal(cairn_scheduler_due(e, 0, due + HOUR, &due), 0);
		assert_int_equal(due, now + 12 * HOUR + d);
		cairn_scheduler_free(e);
	}
	cairn_scheduler_free(s);
	cairn_scheduler_free(s2);
}

static void test_scheduler_clock_set_back(void **state)
{
	struct cairn_scheduler *s = new_sched("web-01");
	int64_t now = at("2026-06-10T10:30:00+02:00"), due;

	(void)state;
	add(s, "backup:home", "0 * * * *", 0);
	/* the last start is a year ahead (a wrong clock, since corrected) */
	set_last(s, "backup:home", 1, at("2027-06-10T10:00:00+02:00"));
	cairn_scheduler_start(s, now);
	assert_false(cairn_scheduler_job(s, 0)->catch_up);
	assert_int_equal(cairn_scheduler_due(s, 0, now, &due), 0);
	assert_int_equal(due, at("2026-06-10T11:00:00+02:00"));
	cairn_scheduler_free(s);
}

static void test_scheduler_state_carried_over(void **state)
{
	struct cairn_scheduler *old = new_sched("web-01"), *s = new_sched("web-01");
	int64_t now = at("2026-06-10T10:30:00+02:00"), due;
	const struct cairn_job *j;
	struct cairn_job_state st = { 0 };

	(void)state;
	add(old, "backup:home", "every 1h", 0);
	add(old, "backup:gone", "every 1h", 0);
	cairn_scheduler_start(old, now - DAY);
	assert_int_equal(cairn_scheduler_started(old, 0, now - HOUR), 0);
	assert_int_equal(cairn_scheduler_finished(old, 0, now - HOUR + MIN, 3, false), 0);
	/* a reload: the schedule changed, a job was added, one removed */
	add(s, "backup:home", "every 6h", 0);
	add(s, "replicate:dr", "every 1h", 0);
	cairn_scheduler_adopt(s, old);
	cairn_scheduler_start(s, now);
	j = cairn_scheduler_job(s, 0);
	assert_int_equal(j->state.first_seen_ns, now - DAY);
	assert_int_equal(j->state.last_start_ns, now - HOUR);
	assert_int_equal(j->state.last_end_ns, now - HOUR + MIN);
	assert_int_equal(j->state.last_exit, 3);
	assert_string_equal(j->schedule_text, "every 6h");
	assert_int_equal(cairn_scheduler_due(s, 0, now, &due), 0);
	assert_int_equal(due, at("2026-06-10T15:30:00+02:00")); /* 6h after the last start */
	j = cairn_scheduler_job(s, 1);
	assert_int_equal(j->state.first_seen_ns, now);
	assert_int_equal(j->state.last_start_ns, 0);
	assert_int_equal(j->state.last_exit, -1);
	/* the state of a job the table does not have is refused by name */
	assert_int_equal(cairn_scheduler_set_state(s, "backup:gone", &st), CAIRN_ENOTFOUND);
	assert_non_null(strstr(cairn_err_msg(), "backup:gone"));
	/* a round trip of every field */
	st = (struct cairn_job_state){ .first_seen_ns = 11, .last_start_ns = 22, .last_end_ns = 33, .last_exit = 10,
				       .running = true, .interrupted = false };
	assert_int_equal(cairn_scheduler_set_state(s, "replicate:dr", &st), 0);
	assert_memory_equal(&cairn_scheduler_job(s, 1)->state, &st, sizeof(st));
	cairn_scheduler_free(old);
	cairn_scheduler_free(s);
}

static void test_scheduler_errors(void **state)
{
	struct cairn_scheduler *s = new_sched(NULL);
	struct cairn_job job;
	int64_t due;
	size_t i;

	(void)state;
	assert_int_equal(cairn_scheduler_new("h", 0x10, &s), CAIRN_EINVAL);
	assert_non_null(s); /* untouched */
	assert_int_equal(cairn_scheduler_next(s, 0, &i, &due), CAIRN_ENOTFOUND);
	memset(&job, 0, sizeof(job));
	assert_int_equal(cairn_scheduler_add(s, &job), CAIRN_EINVAL); /* no name */
	snprintf(job.name, sizeof(job.name), "prune");
	assert_int_equal(cairn_scheduler_add(s, &job), CAIRN_EINVAL); /* no schedule */
	assert_non_null(strstr(cairn_err_msg(), "'prune' has no schedule"));
	assert_int_equal(cairn_schedule_parse("every 1d", &job.schedule), 0);
	job.jitter_ns = -1;
	assert_int_equal(cairn_scheduler_add(s, &job), CAIRN_EINVAL);
	job.jitter_ns = 0;
	assert_int_equal(cairn_scheduler_add(s, &job), 0);
	assert_int_equal(cairn_scheduler_add(s, &job), CAIRN_EEXIST);
	memset(job.name, 'x', sizeof(job.name));
	assert_int_equal(cairn_scheduler_add(s, &job), CAIRN_EINVAL); /* not terminated */
	assert_int_equal(cairn_scheduler_count(s), 1);
	assert_null(cairn_scheduler_job(s, 1));
	assert_int_equal(cairn_scheduler_started(s, 1, 0), CAIRN_EINVAL);
	assert_int_equal(cairn_scheduler_finished(s, 0, 0, 0, false), CAIRN_EINVAL);
	assert_int_equal(cairn_scheduler_due(s, 5, 0, &due), CAIRN_EINVAL);
	assert_int_equal(cairn_scheduler_find(s, "nosuch", &i), CAIRN_ENOTFOUND);
	/* a schedule that never runs again: the job is never offered */
	snprintf(job.name, sizeof(job.name), "check");
	assert_int_equal(cairn_schedule_parse("0 0 31 2 *", &job.schedule), 0);
	assert_int_equal(cairn_scheduler_add(s, &job), 0);
	cairn_scheduler_start(s, at("2026-06-10T10:30:00+02:00"));
	assert_int_equal(cairn_scheduler_due(s, 1, at("2026-06-10T10:30:00+02:00"), &due), CAIRN_ENOTFOUND);
	assert_non_null(strstr(cairn_err_msg(), "job 'check'"));
	assert_int_equal(cairn_scheduler_next(s, at("2026-06-10T10:30:00+02:00"), &i, &due), 0);
	assert_int_equal(i, 0);
	cairn_scheduler_free(s);
	cairn_scheduler_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scheduler_order_of_two_jobs),
		cmocka_unit_test(test_scheduler_equal_times_in_table_order),
		cmocka_unit_test(test_scheduler_catch_up_once_after_downtime),
		cmocka_unit_test(test_scheduler_restart_without_miss),
		cmocka_unit_test(test_scheduler_long_run_not_started_twice),
		cmocka_unit_test(test_scheduler_interrupted_run_again),
		cmocka_unit_test(test_scheduler_dst_spring_forward),
		cmocka_unit_test(test_scheduler_dst_fall_back),
		cmocka_unit_test(test_scheduler_month_ends),
		cmocka_unit_test(test_scheduler_jitter),
		cmocka_unit_test(test_scheduler_clock_set_back),
		cmocka_unit_test(test_scheduler_state_carried_over),
		cmocka_unit_test(test_scheduler_errors),
	};

	return cmocka_run_group_tests(tests, set_berlin, NULL);
}
