/* cairn-agent run: one job as a child process (this program, re-executed), waited for with signals handled. */
#include "run.h"

#include "cairn/err.h"
#include "cairn/timeutil.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#define SELF_EXE "/proc/self/exe"
#define JOB_ARGS_MAX 4 /* "replicate", "--to", NAME; "check", "--read-data=N" */

/* The job's own arguments into args[] (strings borrowed from j, or in `num`). */
static size_t job_args(const struct cairn_job *j, const char **args, char *num, size_t numlen)
{
	switch (j->kind) {
	case CAIRN_JOB_BACKUP:
		args[0] = "backup";
		args[1] = "--set";
		args[2] = j->target;
		return 3;
	case CAIRN_JOB_REPLICATE:
		args[0] = "replicate";
		args[1] = "--to";
		args[2] = j->target;
		return 3;
	case CAIRN_JOB_PRUNE:
		args[0] = "prune";
		return 1;
	case CAIRN_JOB_CHECK:
		args[0] = "check";
		if (j->check_read_data <= 0)
			return 1;
		snprintf(num, numlen, "--read-data=%d", j->check_read_data);
		args[1] = num;
		return 2;
	}
	return 0;
}

void run_job_command(const struct cairn_job *j, char *buf, size_t len)
{
	const char *args[JOB_ARGS_MAX];
	char num[32];
	size_t n = job_args(j, args, num, sizeof(num)), used = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < n && used < len; k++) {
		int w = snprintf(buf + used, len - used, "%s%s", k ? " " : "", args[k]);

		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* argv for the child: the program, the job's arguments, --config FILE, the
 * forwarded options. The array is malloc'd; its strings are borrowed (num
 * holds one of them). */
static char **job_argv(const struct run_ctx *c, const struct cairn_job *j, char *num, size_t numlen)
{
	const char *args[JOB_ARGS_MAX];
	size_t n = job_args(j, args, num, numlen), k = 0;
	char **argv = calloc(1 + n + 2 + c->nfwd + 1, sizeof(*argv));

	if (argv == NULL)
		return NULL;
	argv[k++] = (char *)"cairn-agent";
	for (size_t a = 0; a < n; a++)
		argv[k++] = (char *)args[a];
	argv[k++] = (char *)"--config";
	argv[k++] = c->config_path;
	for (size_t a = 0; a < c->nfwd; a++)
		argv[k++] = c->fwd[a];
	return argv;
}

/* In the child: the signal mask of before, then this program again. Never returns. */
static void exec_job(const struct run_ctx *c, char **argv)
{
	static const char msg[] = "cairn-agent: error: cannot start the job: exec " SELF_EXE " failed\n";

	sigprocmask(SIG_SETMASK, &c->saved_mask, NULL);
	execv(SELF_EXE, argv);
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(127);
}

/* Wait for the child, telling it to stop (SIGTERM, then SIGKILL after the
 * grace) once the agent is asked to stop. *stopped says whether it was told. */
static int wait_job(struct run_ctx *c, const struct cairn_job *j, pid_t pid, int *status, bool *stopped)
{
	int64_t kill_at = 0;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		int64_t wait = RUN_SLEEP_MAX_NS;

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR) {
			cli_error("waiting for job %s (pid %ld): %s", j->name, (long)pid, strerror(errno));
			return -1;
		}
		if (c->stop && !*stopped) {
			*stopped = true;
			cli_log_line(LOG_INFO, !c->o.quiet, "stopping: job %s (pid %ld) is told to stop (SIGTERM), waiting up to %lld s",
				 j->name, (long)pid, RUN_STOP_GRACE_NS / CAIRN_NS_PER_SEC);
			sd_notify(&c->notify, "STOPPING=1\nSTATUS=stopping: waiting for %s", j->name);
			kill(pid, SIGTERM);
			kill_at = run_mono_ns() + RUN_STOP_GRACE_NS;
		}
		if (kill_at > 0 && run_mono_ns() >= kill_at) {
			cli_warn("job %s (pid %ld) did not stop within %lld s: killing it (SIGKILL)", j->name, (long)pid,
				 RUN_STOP_GRACE_NS / CAIRN_NS_PER_SEC);
			kill(pid, SIGKILL);
			kill_at = 0;
		}
		if (kill_at > 0)
			wait = kill_at - run_mono_ns();
		run_wait(c, wait);
	}
}

/* The exit code of a wait status: the code, or 128 + the signal. */
static int exit_code_of(int status, char *how, size_t len)
{
	if (WIFEXITED(status)) {
		how[0] = '\0';
		return WEXITSTATUS(status);
	}
	if (WIFSIGNALED(status)) {
		snprintf(how, len, " (killed by signal %d, %s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
		return 128 + WTERMSIG(status);
	}
	snprintf(how, len, " (unknown wait status %#x)", (unsigned)status);
	return CAIRN_EXIT_ERROR;
}

/* Fork and exec job j; -1 when it could not be started (reported). */
static pid_t start_job(struct run_ctx *c, const struct cairn_job *j)
{
	char num[32], **argv = job_argv(c, j, num, sizeof(num));
	pid_t pid;

	if (argv == NULL) {
		cli_error("cannot start job %s: out of memory", j->name);
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		exec_job(c, argv);
	if (pid < 0)
		cli_error("cannot start job %s: fork: %s", j->name, strerror(errno));
	free(argv);
	return pid;
}

static void log_start(const struct run_ctx *c, const struct cairn_job *j)
{
	char cmd[256];
	const char *why = "";

	if (j->state.interrupted)
		why = ", again: its last run was interrupted";
	else if (j->catch_up)
		why = ", catching up a run missed while the agent was not running";
	run_job_command(j, cmd, sizeof(cmd));
	cli_log_line(LOG_INFO, !c->o.quiet, "job %s started (cairn-agent %s%s)", j->name, cmd, why);
}

/* "job X finished: exit N in S s; next run T": the child may have logged its own summary, this adds what comes next. */
static void log_finish(const struct run_ctx *c, size_t i, int code, const char *how, int64_t ns)
{
	const struct cairn_job *j = cairn_scheduler_job(c->sched, i);
	char next[80] = "never";
	double secs = (double)ns / 1e9;
	int64_t due;

	if (c->stop)
		snprintf(next, sizeof(next), "at the next start");
	else if (cairn_scheduler_due(c->sched, i, cairn_time_now_ns(), &due) == 0)
		run_format_local(due, next, sizeof(next));
	if (code == 0)
		cli_log_line(LOG_INFO, !c->o.quiet, "job %s finished: exit 0 in %.1f s; next run %s", j->name, secs,
			     next);
	else
		cli_warn("job %s finished: exit %d%s in %.1f s; next run %s", j->name, code, how, secs, next);
}

int run_job(struct run_ctx *c, size_t i)
{
	const struct cairn_job *j = cairn_scheduler_job(c->sched, i);
	int64_t t0 = run_mono_ns();
	int status = 0, code = CAIRN_EXIT_ERROR;
	bool stopped = false;
	char how[96] = "";
	pid_t pid;

	log_start(c, j);
	if (cairn_scheduler_started(c->sched, i, cairn_time_now_ns()) != 0) {
		cli_error("%s", cairn_err_msg()); /* cannot happen: one job at a time */
		return CAIRN_EXIT_ERROR;
	}
	run_state_save(c);
	sd_notify(&c->notify, "STATUS=running %s", j->name);
	pid = start_job(c, j);
	if (pid > 0 && wait_job(c, j, pid, &status, &stopped) == 0)
		code = exit_code_of(status, how, sizeof(how));
	cairn_scheduler_finished(c->sched, i, cairn_time_now_ns(), code, stopped && code != 0);
	run_state_save(c);
	log_finish(c, i, code, how, run_mono_ns() - t0);
	return code;
}
