/* The record of one run of a job, for `cairn-agent status`, the metrics
 * file and the scheduler.
 *
 * main() owns one struct job_report and registers it before running a
 * command (job_report_set_current); a command that is a job names itself
 * once it knows its state directory, adds counters as it goes, and main()
 * finishes the record with the exit code:
 *
 *	main:     struct job_report rep; job_report_init(&rep); job_report_set_current(&rep);
 *	          rc = cmd_backup(...); job_report_finish(&rep, rc);
 *	command:  job_report_begin(o, "backup:home");     after cli_repo_opts are resolved
 *	          job_report_count(JOB_FILES, st.files);   any time
 *	cli_error(): the last error message is kept in the current report.
 *
 * job_report_finish writes <state dir>/jobs/<job>.json atomically (the
 * previous record's last_success_ns is carried over when this run failed)
 * and, when the configuration names a metrics-file, rewrites that file
 * atomically from every job record and every site's replication status.
 * A command that never called job_report_begin is not a job (snapshots,
 * key, status, ...): nothing is written.
 *
 * Job names: "backup:SET" (a configured set), "backup" (paths on the
 * command line), "replicate:SITE", "forget", "prune", "check", "drill:SITE".
 */
#ifndef CAIRN_JOB_REPORT_H
#define CAIRN_JOB_REPORT_H

#include <stdint.h>

struct cli_repo_opts;

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
	char message[JOB_MESSAGE_MAX];   /* last error, or "" */
	int64_t counters[JOB_COUNTER_COUNT]; /* -1 = not reported */
	int64_t last_success_ns;         /* end of the last run that exited 0 (or 3), 0 = never */
};

void job_report_init(struct job_report *rep);
/* Register the report commands write to (NULL = none). main() only. */
void job_report_set_current(struct job_report *rep);
/* Name the job and take the state directory and metrics file from `o`.
 * `fmt` is printf-like. No-op without a current report. */
void job_report_begin(const struct cli_repo_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Set (not add) a counter. No-op without a current report. */
void job_report_count(enum job_counter which, int64_t value);
/* Keep `msg` as the run's message (cli_error calls this). */
void job_report_message(const char *msg);
/* Finish and write the record (see above). Returns rc unchanged; a failure
 * to write the record or metrics is a warning, never a change of rc. */
int job_report_finish(struct job_report *rep, int rc);

#endif
