/* Tests of lib/sched/scheduler_config.c: the one job table of a
 * configuration (every job kind, in order), and the scheduler `run` builds
 * from it holds exactly that table (what `status` shows). */
#include "../config/config_test.h"

#include <stdlib.h>

#include "cairn/scheduler.h"
#include "cairn/timeutil.h"

#define SEC CAIRN_NS_PER_SEC
#define MIN (60 * SEC)

#define EVERY_KIND                                                                                                 \
	MINIMAL "[backup home]\npath = /home\nschedule = 17 2 * * *\njitter = 10m\n"                                  \
		"[backup adhoc]\npath = /srv\n"                                                                     \
		"[backup etc]\npath = /etc\nschedule = every 6h\n"                                                  \
		"[replica dr]\nurl = /mnt/dr\nschedule = every 1h\n"                                                \
		"[replica usb]\nurl = /mnt/usb\n"                                                                   \
		"[jobs]\nprune = 0 4 * * sun\ncheck = 0 5 1 * *\ncheck-read-data = 5\n"                             \
		"[drill usb-weekly]\nsite = usb\nschedule = 0 6 * * sat\njitter = 1h\n"                             \
		"sample = 5\n[drill p]\nsite = primary\nschedule = every 30d\n"

static struct cairn_scheduler *new_sched(const char *host)
{
	struct cairn_scheduler *s = NULL;

	assert_int_equal(cairn_scheduler_new(host, CAIRN_SCHEDULE_LOCAL, &s), 0);
	return s;
}

static void test_cairn_scheduler_jobs_from_config_every_kind(void **state)
{
	static const struct {
		const char *name, *target, *schedule;
		enum cairn_job_kind kind;
		int64_t jitter;
		int read_data;
	} want[] = {
		{ "backup:home", "home", "17 2 * * *", CAIRN_JOB_BACKUP, 10 * MIN, 0 },
		{ "backup:etc", "etc", "every 6h", CAIRN_JOB_BACKUP, 0, 0 },
		{ "replicate:dr", "dr", "every 1h", CAIRN_JOB_REPLICATE, 0, 0 },
		{ "prune", "", "0 4 * * sun", CAIRN_JOB_PRUNE, 0, 0 },
		{ "check", "", "0 5 1 * *", CAIRN_JOB_CHECK, 0, 5 },
		{ "drill:usb-weekly", "usb-weekly", "0 6 * * sat", CAIRN_JOB_DRILL, 60 * MIN, 0 },
		{ "drill:p", "p", "every 30d", CAIRN_JOB_DRILL, 0, 0 },
	};
	struct cairn_config *cfg = parse_ok(EVERY_KIND);
	struct cairn_job *jobs = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(cairn_scheduler_jobs_from_config(cfg, &jobs, &n), 0);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(jobs[i].name, want[i].name);
		assert_string_equal(jobs[i].target, want[i].target);
		assert_string_equal(jobs[i].schedule_text, want[i].schedule);
		assert_int_equal(jobs[i].kind, want[i].kind);
		assert_int_equal(jobs[i].jitter_ns, want[i].jitter);
		assert_int_equal(jobs[i].check_read_data, want[i].read_data);
		assert_int_equal(jobs[i].schedule.kind,
				 strncmp(want[i].schedule, "every", 5) == 0 ? CAIRN_SCHEDULE_EVERY : CAIRN_SCHEDULE_CRON);
		/* no host yet: no delay, no state */
		assert_int_equal(jobs[i].delay_ns, 0);
		assert_int_equal(jobs[i].state.last_start_ns, 0);
	}
	free(jobs);
	cairn_config_free(cfg);
}

/* `run` schedules the table `status` shows: same jobs, same order. */
static void test_cairn_scheduler_add_config_same_table(void **state)
{
	struct cairn_config *cfg = parse_ok(EVERY_KIND);
	struct cairn_scheduler *s = new_sched("web-01");
	struct cairn_job *jobs = NULL;
	size_t n = 0, added = 0;

	(void)state;
	assert_int_equal(cairn_scheduler_jobs_from_config(cfg, &jobs, &n), 0);
	assert_int_equal(cairn_scheduler_add_config(s, cfg, &added), 0);
	assert_int_equal(added, n);
	assert_int_equal(cairn_scheduler_count(s), n);
	for (size_t i = 0; i < n; i++) {
		const struct cairn_job *j = cairn_scheduler_job(s, i);

		assert_string_equal(j->name, jobs[i].name);
		assert_int_equal(j->kind, jobs[i].kind);
		assert_string_equal(j->target, jobs[i].target);
		assert_string_equal(j->schedule_text, jobs[i].schedule_text);
		assert_memory_equal(&j->schedule, &jobs[i].schedule, sizeof(j->schedule));
		assert_int_equal(j->jitter_ns, jobs[i].jitter_ns);
		assert_int_equal(j->check_read_data, jobs[i].check_read_data);
	}
	free(jobs);
	cairn_scheduler_free(s);
	cairn_config_free(cfg);
}

static void test_cairn_scheduler_jobs_from_config_none(void **state)
{
	struct cairn_config *cfg = parse_ok(MINIMAL "[backup home]\npath = /home\n[replica dr]\nurl = /mnt/dr\n"
						    "[jobs]\ncheck-read-data = 5\n");
	struct cairn_job *jobs = NULL;
	size_t n = 99;

	(void)state;
	assert_int_equal(cairn_scheduler_jobs_from_config(cfg, &jobs, &n), 0);
	assert_int_equal(n, 0);
	free(jobs);
	assert_int_equal(cairn_scheduler_jobs_from_config(NULL, &jobs, &n), CAIRN_EINVAL);
	cairn_config_free(cfg);
}

static void test_scheduler_add_config_every_kind(void **state)
{
	struct cairn_config *cfg = parse_ok(EVERY_KIND);
	struct cairn_scheduler *s = new_sched("web-01");
	const struct cairn_job *j;
	size_t added = 0, i = 0;

	(void)state;
	assert_int_equal(cairn_scheduler_add_config(s, cfg, &added), 0);
	assert_int_equal(added, 7);
	assert_int_equal(cairn_scheduler_count(s), 7);
	j = cairn_scheduler_job(s, 0);
	assert_string_equal(j->name, "backup:home");
	assert_int_equal(j->kind, CAIRN_JOB_BACKUP);
	assert_string_equal(j->target, "home");
	assert_string_equal(j->schedule_text, "17 2 * * *");
	assert_int_equal(j->jitter_ns, 10 * MIN);
	assert_in_range(j->delay_ns, 0, 10 * MIN - 1);
	j = cairn_scheduler_job(s, 1);
	assert_string_equal(j->name, "backup:etc");
	assert_int_equal(j->jitter_ns, 0);
	j = cairn_scheduler_job(s, 2);
	assert_string_equal(j->name, "replicate:dr");
	assert_int_equal(j->kind, CAIRN_JOB_REPLICATE);
	assert_string_equal(j->target, "dr");
	j = cairn_scheduler_job(s, 3);
	assert_string_equal(j->name, "prune");
	assert_int_equal(j->kind, CAIRN_JOB_PRUNE);
	assert_string_equal(j->target, "");
	j = cairn_scheduler_job(s, 4);
	assert_string_equal(j->name, "check");
	assert_int_equal(j->kind, CAIRN_JOB_CHECK);
	assert_int_equal(j->check_read_data, 5);
	assert_int_equal(j->schedule.kind, CAIRN_SCHEDULE_CRON);
	/* drills come last, named after their section (not their site) */
	j = cairn_scheduler_job(s, 5);
	assert_string_equal(j->name, "drill:usb-weekly");
	assert_int_equal(j->kind, CAIRN_JOB_DRILL);
	assert_string_equal(j->target, "usb-weekly");
	assert_string_equal(j->schedule_text, "0 6 * * sat");
	assert_int_equal(j->jitter_ns, 60 * MIN);
	assert_in_range(j->delay_ns, 0, 60 * MIN - 1);
	assert_int_equal(j->check_read_data, 0);
	j = cairn_scheduler_job(s, 6);
	assert_string_equal(j->name, "drill:p");
	assert_string_equal(j->target, "p");
	assert_int_equal(j->jitter_ns, 0);
	assert_int_equal(j->schedule.kind, CAIRN_SCHEDULE_EVERY);
	assert_int_equal(cairn_scheduler_find(s, "drill:usb-weekly", &i), 0);
	assert_int_equal(i, 5);
	cairn_scheduler_free(s);
	cairn_config_free(cfg);

	/* nothing scheduled */
	cfg = parse_ok(MINIMAL "[backup home]\npath = /home\n[jobs]\ncheck-read-data = 5\n");
	s = new_sched("web-01");
	assert_int_equal(cairn_scheduler_add_config(s, cfg, &added), 0);
	assert_int_equal(added, 0);
	cairn_scheduler_free(s);
	cairn_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cairn_scheduler_jobs_from_config_every_kind),
		cmocka_unit_test(test_cairn_scheduler_add_config_same_table),
		cmocka_unit_test(test_cairn_scheduler_jobs_from_config_none),
		cmocka_unit_test(test_scheduler_add_config_every_kind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
