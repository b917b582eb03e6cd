/* cairn-agent run: the scheduler daemon. cmd_run.c parses the options and
 * drives the loop; run_state.c keeps scheduler.json and the instance lock,
 * run_events.c waits for signals and feeds the systemd watchdog, run_job.c
 * runs one job as a child process (cairn-agent COMMAND, or cairn-restore
 * drill for a [drill NAME]), run_plan.c prints --dry-run's plan. */
#ifndef CAIRN_AGENT_RUN_H
#define CAIRN_AGENT_RUN_H

#include <signal.h>
#include <stdint.h>

#include "cli.h"
#include "sd_notify.h"

#include "cairn/clock.h"
#include "cairn/scheduler.h"

#define RUN_SLEEP_MAX_NS (60LL * 1000000000LL)  /* re-read the wall clock at least this often */
#define RUN_STOP_GRACE_NS (60LL * 1000000000LL) /* a job told to stop gets this long before SIGKILL */
#define RUN_STATE_FILE "scheduler.json"
#define RUN_LOCK_FILE "scheduler.lock"

struct run_ctx {
	/* the command line */
	struct cli_repo_opts flags;   /* options as given: the environment and file are applied to a copy */
	char **fwd;                   /* common options passed on to every job ("--repo=URL", ...); owned */
	size_t nfwd;
	int once, dry_run, json;
	/* resolved at start-up, kept across reloads */
	char *config_path;            /* the file given to every job as --config */
	char *state_dir;
	char *state_file;             /* <state_dir>/scheduler.json */
	int lock_fd;                  /* flock on <state_dir>/scheduler.lock, -1 = none */
	/* the configuration in force and its jobs */
	struct cli_repo_opts o;       /* owns o.cfg */
	struct cairn_scheduler *sched;
	/* events */
	int sigfd;                    /* signalfd for SIGTERM, SIGINT, SIGHUP, SIGCHLD; -1 = none */
	sigset_t saved_mask;          /* the mask before: restored in the jobs */
	int stop;                     /* SIGTERM or SIGINT received */
	int reload;                   /* SIGHUP received */
	struct sd_notifier notify;
	int64_t next_watchdog_ns;     /* monotonic */
};

/* run_state.c */
/* Take the lock of the state directory (created when missing): a second
 * `run` on the same directory is refused. Returns 0 or an exit code. */
int run_lock(struct run_ctx *c);
void run_unlock(struct run_ctx *c);
/* Load scheduler.json into c->sched (a missing file is no state; an
 * unreadable one is a warning). */
void run_state_load(struct run_ctx *c);
/* Write scheduler.json atomically. 0, or -1 after a warning. */
int run_state_save(const struct run_ctx *c);

/* run_events.c */
/* Block SIGTERM, SIGINT, SIGHUP and SIGCHLD and read them from a signalfd.
 * Returns 0 or an exit code. */
int run_events_open(struct run_ctx *c);
void run_events_close(struct run_ctx *c);
/* Wait up to timeout_ns for a signal, feeding the watchdog meanwhile; sets
 * c->stop / c->reload. Returns 1 when a signal came (SIGCHLD included), 0 at
 * the timeout. */
int run_wait(struct run_ctx *c, int64_t timeout_ns);
/* Send WATCHDOG=1 when it is due. */
void run_watchdog(struct run_ctx *c);

/* run_job.c */
/* Run job i now, wait for it (forwarding a stop to it), record it in the
 * scheduler and the state file. Returns the job's exit code. */
int run_job(struct run_ctx *c, size_t i);
/* The job's command line after the program name, e.g. "replicate --to dr",
 * into buf (for messages and the plan); a drill's options come from its
 * [drill NAME] section in `cfg`, the configuration the table was built from. */
void run_job_command(const struct cairn_config *cfg, const struct cairn_job *j, char *buf, size_t len);
/* The program a job runs: "cairn-agent", or "cairn-restore" for a drill
 * (the one next to the running cairn-agent, else from PATH). */
const char *run_job_program(const struct cairn_job *j);

/* run_plan.c */
/* Print each job, its schedule, last run and next run (text or --json). Returns an exit code. */
int run_print_plan(const struct run_ctx *c, int64_t now_ns);
/* "2026-11-26 14:00:00 +0100": local time, for messages. */
void run_format_local(int64_t ns, char *buf, size_t len);

#endif
