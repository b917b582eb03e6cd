/* Job records: placeholder until the job state files land (see job_report.h). */
#include "job_report.h"

#include <string.h>

void job_report_init(struct job_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	for (int i = 0; i < JOB_COUNTER_COUNT; i++)
		rep->counters[i] = -1;
}

void job_report_set_current(struct job_report *rep)
{
	(void)rep;
}

void job_report_begin(const struct cli_repo_opts *o, const char *fmt, ...)
{
	(void)o;
	(void)fmt;
}

void job_report_count(enum job_counter which, int64_t value)
{
	(void)which;
	(void)value;
}

void job_report_message(const char *msg)
{
	(void)msg;
}

int job_report_finish(struct job_report *rep, int rc)
{
	(void)rep;
	return rc;
}
