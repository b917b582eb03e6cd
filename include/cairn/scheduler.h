/* The scheduler of `cairn-agent run`: which job runs next and when, from a
 * table of jobs and the state kept across restarts. Pure logic: the caller
 * passes the time (a fake clock in tests), runs the jobs and stores the
 * state (the agent keeps it in scheduler.json).
 *
 *	struct cairn_scheduler *s;
 *	rc = cairn_scheduler_new(host, CAIRN_SCHEDULE_LOCAL, &s);
 *	rc = cairn_scheduler_add_config(s, cfg);            // or cairn_scheduler_add() per job
 *	cairn_scheduler_set_state(s, "backup:home", &st);   // for each job of the state file
 *	cairn_scheduler_start(s, now);                      // jobs never seen count from now
 *	for (;;) {
 *		rc = cairn_scheduler_next(s, now, &i, &when); // CAIRN_ENOTFOUND: nothing can run
 *		if (when > now) { sleep until `when`, then ask again; continue; }
 *		cairn_scheduler_started(s, i, now);           // refused if job i is running
 *		... run the job ...
 *		cairn_scheduler_finished(s, i, end, exit_code, 0);
 *	}
 *
 * Rules:
 *  - Cron schedules run at each of their times (cairn_schedule_next(), local
 *    time or UTC, with its DST rules) delayed by the job's jitter delay: a
 *    fixed delay in [0, jitter) drawn from "HOST/JOB" (cairn_schedule_jitter()),
 *    so one host always runs a job at the same offset and hosts spread over
 *    the window. A job is due at its first such time after its last start, or,
 *    when it never ran, after the time the scheduler first saw it (first_seen,
 *    kept in the state): a new job does not run at once but at its next time.
 *  - "every D" runs D after the job's last start (as `cairn-agent status`
 *    counts it), so runs stay D apart; a job that never ran runs D plus its
 *    jitter delay after it was first seen, which spreads hosts set up at the
 *    same moment.
 *  - Catch-up once: when one or more run times passed while the agent was
 *    down (between the last start and now), the job is due at once, and
 *    after that run its next time is counted from that run's start: one
 *    catch-up run, however many runs were missed. Likewise a job that runs
 *    past its next time runs once more right after it, not once per miss.
 *  - A run that never finished (the agent was stopped or died during it:
 *    `running` read back from a file, or finished with interrupted = 1) is
 *    due at once after a restart: it is run again, once.
 *  - Never twice: a running job is not offered by cairn_scheduler_next(), and
 *    cairn_scheduler_started() refuses it.
 *  - Order: the job due first goes first; equal times go in table order
 *    (cairn_scheduler_add_config() adds backups, then replications, then
 *    prune, then check, then drills).
 *  - Clock going back: when the last start lies in the future (the wall
 *    clock was set back), the schedule counts from now instead, so a job is
 *    never held back by a time that has not come yet.
 */
#ifndef CAIRN_SCHEDULER_H
#define CAIRN_SCHEDULER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cairn/schedule.h"

struct cairn_config;

#define CAIRN_JOB_NAME_MAX 64       /* "replicate:" + a 32-character name fits */
#define CAIRN_JOB_TARGET_MAX 33     /* a backup set, replica or drill name, NUL included */
#define CAIRN_JOB_SCHEDULE_TEXT_MAX 200

enum cairn_job_kind {
	CAIRN_JOB_BACKUP = 1,   /* backup --set TARGET */
	CAIRN_JOB_REPLICATE,    /* replicate --to TARGET */
	CAIRN_JOB_PRUNE,        /* prune */
	CAIRN_JOB_CHECK,        /* check [--read-data=PERCENT] */
	CAIRN_JOB_DRILL         /* cairn-restore drill, as the [drill TARGET] section says */
};

/* What is kept across restarts. Times are ns since the epoch, 0 = never. */
struct cairn_job_state {
	int64_t first_seen_ns;  /* when a scheduler first had this job */
	int64_t last_start_ns;  /* start of the last run */
	int64_t last_end_ns;    /* end of the last finished run */
	int last_exit;          /* exit code of the last finished run, -1 = none */
	bool running;           /* started, not finished (in a file: the agent stopped during the run) */
	bool interrupted;       /* the last run was stopped before it ended by itself */
};

struct cairn_job {
	char name[CAIRN_JOB_NAME_MAX];     /* "backup:SET", "replicate:SITE", "prune", "check", "drill:NAME" */
	enum cairn_job_kind kind;
	char target[CAIRN_JOB_TARGET_MAX]; /* the set, replica or drill section; "" for prune and check */
	int check_read_data;               /* CHECK: percentage of the data to read back, 0 = none */
	char schedule_text[CAIRN_JOB_SCHEDULE_TEXT_MAX]; /* as written, for messages */
	struct cairn_schedule schedule;
	int64_t jitter_ns;                 /* the jitter window, 0 = none */
	/* set by the scheduler */
	int64_t delay_ns;                  /* this host's delay in [0, jitter_ns) */
	bool catch_up;                     /* at start-up a run was missed or interrupted */
	struct cairn_job_state state;
};

struct cairn_scheduler;

/* A scheduler without jobs. `host` seeds the jitter ("HOST/JOB"; NULL = "");
 * flags CAIRN_SCHEDULE_LOCAL or CAIRN_SCHEDULE_UTC (cron in local time or
 * UTC). 0, CAIRN_EINVAL or CAIRN_ENOMEM. */
int cairn_scheduler_new(const char *host, int flags, struct cairn_scheduler **ret);
void cairn_scheduler_free(struct cairn_scheduler *s);

/* Add a job: name, kind, target, check_read_data, schedule_text, schedule
 * and jitter_ns are taken from `job`; the delay is computed and the
 * state starts empty (last_exit -1). 0; CAIRN_EINVAL (empty or too long name,
 * no schedule, negative jitter), CAIRN_EEXIST (the name is taken),
 * CAIRN_ENOMEM. */
int cairn_scheduler_add(struct cairn_scheduler *s, const struct cairn_job *job);

/* The job table of a configuration, the one `run` schedules and `status`
 * shows, in this order: each [backup NAME] with a schedule ("backup:NAME",
 * its jitter), each [replica NAME] with a schedule ("replicate:NAME"),
 * [jobs] prune ("prune") and check ("check", with check-read-data), each
 * [drill NAME] ("drill:NAME", target NAME, its jitter). Each job's name,
 * kind, target, check_read_data, schedule_text, schedule and jitter_ns are
 * set; the rest is zero (no delay, no state). *ret is malloc'd (free it),
 * *ret_n may be 0. 0, CAIRN_EINVAL (no configuration) or CAIRN_ENOMEM. */
int cairn_scheduler_jobs_from_config(const struct cairn_config *cfg, struct cairn_job **ret, size_t *ret_n);

/* Add the jobs of a configuration (cairn_scheduler_jobs_from_config), in this order: each [backup NAME] with a
 * schedule ("backup:NAME", its jitter), each [replica NAME] with a schedule
 * ("replicate:NAME"), [jobs] prune ("prune") and check ("check", with
 * check-read-data), each [drill NAME] ("drill:NAME", target NAME, its
 * jitter: the runner takes the drill's site and settings from the
 * section). *ret_added (may be NULL) is the number added. 0 or an error of
 * cairn_scheduler_add(). */
int cairn_scheduler_add_config(struct cairn_scheduler *s, const struct cairn_config *cfg, size_t *ret_added);

size_t cairn_scheduler_count(const struct cairn_scheduler *s);
/* Job i (borrowed; valid until the scheduler changes), NULL when out of range. */
const struct cairn_job *cairn_scheduler_job(const struct cairn_scheduler *s, size_t i);
/* The index of the job called `name`: 0 and *ret_index, or CAIRN_ENOTFOUND. */
int cairn_scheduler_find(const struct cairn_scheduler *s, const char *name, size_t *ret_index);

/* Restore the kept state of the job called `name` (from a state file).
 * 0, CAIRN_ENOTFOUND (no such job: the caller drops that entry), CAIRN_EINVAL. */
int cairn_scheduler_set_state(struct cairn_scheduler *s, const char *name, const struct cairn_job_state *st);
/* Copy the state of every job of `from` that `s` has by the same name (a
 * reload: the new table keeps what the old one knew). */
void cairn_scheduler_adopt(struct cairn_scheduler *s, const struct cairn_scheduler *from);

/* Begin scheduling at `now_ns`: a job never seen gets first_seen = now; a job
 * whose state says running was interrupted (running cleared, interrupted
 * set); catch_up is set on each job due at once: a run time passed while the
 * agent was down (for cron what cairn_schedule_missed() says of (last start,
 * now] with the jitter delay applied), or an interrupted run. */
void cairn_scheduler_start(struct cairn_scheduler *s, int64_t now_ns);

/* When job i is due (see the rules above): 0 and *ret_ns, which is <= now_ns
 * when it is due already; CAIRN_ENOTFOUND when its schedule never runs
 * again; CAIRN_EINVAL. A running job gets the time it would be due once
 * finished. */
int cairn_scheduler_due(const struct cairn_scheduler *s, size_t i, int64_t now_ns, int64_t *ret_ns);

/* The job to run next: the job not running that is due first (see Order).
 * 0 with *ret_index and *ret_due_ns (may be <= now_ns: run it now);
 * CAIRN_ENOTFOUND when no job can run (none, all running, or schedules that
 * never run again); CAIRN_EINVAL. */
int cairn_scheduler_next(const struct cairn_scheduler *s, int64_t now_ns, size_t *ret_index, int64_t *ret_due_ns);

/* Job i starts at now_ns: running, last start = now, catch_up and
 * interrupted cleared. CAIRN_EINVAL when it is running already (a job never
 * runs twice at once) or i is out of range. */
int cairn_scheduler_started(struct cairn_scheduler *s, size_t i, int64_t now_ns);

/* Job i ended at now_ns with `exit_code`; `interrupted`: it was stopped
 * before it ended by itself (the agent is stopping), so it runs again at the
 * next start-up. CAIRN_EINVAL when it is not running or i is out of range. */
int cairn_scheduler_finished(struct cairn_scheduler *s, size_t i, int64_t now_ns, int exit_code, bool interrupted);

#endif
