/* The record of one run of a job, for `cairn-agent status`, the metrics
 * file and the scheduler.
 *
 * main() owns one struct job_report and hands it to the command inside the
 * run's context (struct cli_ctx, cli.h: ctx->report); every function here
 * takes the report it works on explicitly, and nothing is process-wide. A
 * command that is a job names itself once it knows its state directory,
 * adds counters as it goes, and main() finishes the record with the exit
 * code:
 *
 *	main:     struct job_report rep; struct cli_ctx ctx;
 *	          job_report_init(&rep); cli_ctx_init(&ctx, "cairn-agent", &rep);
 *	          rc = cmd_backup(&ctx, ...); return job_report_finish(&rep, &ctx, rc);
 *	command:  job_report_begin(o->ctx->report, o, "backup:home");  after cli_repo_opts are resolved
 *	          job_report_count(o->ctx->report, JOB_FILES, st.files); any time
 *	          job_report_sites(o->ctx->report, repo, o);  before closing a repository it changed
 *	cli_error(ctx, ...): the last error message is kept in ctx->report.
 *
 * Every function taking a report does nothing when it is NULL (a run that
 * keeps no record). Warnings and the summary line go where the context
 * says (its program name, its syslog choice).
 *
 * job_report_finish writes <state dir>/jobs/<job>.json atomically (temp file
 * in the same directory, fsync, rename; mode 0600, directory 0700); the
 * previous record's last_success_ns, runs_total and failures_total are
 * carried over. It prints a one-line summary ("job replicate:dr finished:
 * exit 0 in 1.2 s, ...") on stderr unless --quiet or --json, and to syslog
 * when logging there. When the configuration names a metrics-file, it
 * rewrites that file atomically from every job record and the last site
 * rows saved by job_report_sites (see metrics.h). A failure to write the
 * record or the metrics is a warning, never a change of the exit code.
 * A command that never called job_report_begin is not a job (snapshots,
 * key, status, ...): nothing is written.
 *
 * Job names: "backup:SET" (a configured set), "backup" (paths on the
 * command line), "replicate:SITE" (a configured replica; one job per site,
 * `replicate` to several sites records several jobs with job_report_end;
 * a one-off --to URL is not a job), "forget", "prune", "check",
 * "drill:SITE". A name is 1 to JOB_NAME_MAX - 1 printable ASCII characters
 * (no blank), without '/', not starting with '.'; it is the record's file
 * name with ".json" added.
 */
#ifndef CAIRN_JOB_REPORT_H
#define CAIRN_JOB_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cli_repo_opts;
struct cairn_repo;

enum job_counter {
	JOB_FILES,            /* files backed up / checked */
	JOB_BYTES_READ,       /* bytes of file content read */
	JOB_BYTES_ADDED,      /* plaintext bytes of new blobs */
	JOB_BYTES_UPLOADED,   /* bytes sent to the store(s) */
	JOB_ERRORS,           /* entries that failed, damaged objects found */
	JOB_RETRIES,          /* store requests retried */
	JOB_REQUESTS,         /* store requests sent */
	JOB_SNAPSHOTS_REMOVED,/* forget */
	JOB_PACKS_DELETED,    /* prune */
	JOB_BYTES_FREED,      /* prune */
	JOB_COUNTER_COUNT
};

#define JOB_NAME_MAX 80
#define JOB_MESSAGE_MAX 512

struct job_report {
	char job[JOB_NAME_MAX];          /* "" until job_report_begin */
	char state_dir[4096];
	char metrics_file[4096];         /* "" = none */
	int64_t start_ns, end_ns;        /* CLOCK_REALTIME */
	int exit_code;
	char message[JOB_MESSAGE_MAX];   /* last error, or "" (valid UTF-8) */
	int64_t counters[JOB_COUNTER_COUNT]; /* -1 = not reported */
	int64_t last_success_ns;         /* end of the last run that exited 0 (or 3), 0 = never */
	int64_t runs_total;              /* runs recorded, this one included (carried over) */
	int64_t failures_total;          /* of which failed: exit code other than 0 and 3 */
	int quiet;                       /* --quiet or --json: no summary line on stderr */
};

struct cli_ctx;

void job_report_init(struct job_report *rep);
/* Name the job and take the state directory and metrics file from `o`;
 * warnings go to o->ctx, and a configured `log = syslog` turns syslog on in
 * it. `fmt` is printf-like. An invalid name is a warning and the run is
 * then not a job. */
void job_report_begin(struct job_report *rep, const struct cli_repo_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Set (not add) a counter. */
void job_report_count(struct job_report *rep, enum job_counter which, int64_t value);
/* Add to a counter (one not reported yet counts from 0). */
void job_report_add(struct job_report *rep, enum job_counter which, int64_t value);
/* Keep `msg` as the run's message (cli_error calls this), made valid UTF-8
 * and cut to JOB_MESSAGE_MAX - 1 bytes. Like the rest of this interface,
 * for the thread that owns the report (or callbacks the library
 * serialises). */
void job_report_message(struct job_report *rep, const char *msg);
/* Finish and write the record (see above); warnings and the summary line
 * go to `ctx`. Returns rc unchanged; a failure to write the record or
 * metrics is a warning, never a change of rc. */
int job_report_finish(struct job_report *rep, const struct cli_ctx *ctx, int rc);
/* Finish the job now, as job_report_finish would, and make the report
 * ready for another job of the same run (a command that runs several jobs:
 * replicate to several sites): no name, fresh clock and counters; the
 * message is kept only with `keep_message` (the same failure ends the next
 * job too). main()'s job_report_finish then writes nothing unless
 * job_report_begin names a job again. */
void job_report_end(struct job_report *rep, const struct cli_ctx *ctx, int rc, int keep_message);

/* Save the replication status of the primary and of every configured
 * replica, from the open repository's catalog (no request is sent), for
 * the metrics file: commands call it before closing a repository whose
 * snapshots or replicas they changed (backup, replicate, forget, prune).
 * Only when the report has a metrics file and `repo` is the configured
 * primary; never fails (a problem is a warning, to o->ctx). */
void job_report_sites(struct job_report *rep, struct cairn_repo *repo, const struct cli_repo_opts *o);

/* Reading records back (status, metrics, scheduler). */

/* 0 when `job` is a valid job name; else CAIRN_EINVAL with a detail. */
int job_report_check_name(const char *job);
/* Read <state_dir>/jobs/<job>.json into *rep (state_dir and metrics_file
 * are left empty). 0, CAIRN_ENOTFOUND when there is no record, CAIRN_EIO,
 * CAIRN_EFORMAT for a record that is not one (detail names the file). */
int job_report_read(const char *state_dir, const char *job, struct job_report *rep);
/* Every record under <state_dir>/jobs, sorted by job name, into *ret
 * (malloc'd, free it; NULL when there is none). A missing directory is no
 * record; an unreadable record is skipped with a warning to `ctx`. 0,
 * CAIRN_EIO or CAIRN_ENOMEM. */
int job_report_list(const struct cli_ctx *ctx, const char *state_dir, struct job_report **ret, size_t *ret_n);
/* The name of a counter in records and metrics ("bytes_read"). */
const char *job_counter_name(enum job_counter which);
/* Whether an exit code counts as a success (0, or 3: partial). */
int job_exit_ok(int exit_code);

/* A time for the JSON of job records, status and the scheduler's plan: RFC
 * 3339 UTC with fractions, or null when ns <= 0 (never). New reference. */
struct json_t;
struct json_t *job_time_json(int64_t ns);

#endif
