/* cairn-agent run: one job as a child process (this program re-executed, or
 * cairn-restore for a drill), waited for with signals handled. */
#include "run.h"

#include "hook.h"

#include "cairn/buf.h"
#include "cairn/err.h"
#include "cairn/timeutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#define SELF_EXE "/proc/self/exe"
#define RESTORE_PROGRAM "cairn-restore"
#define JOB_ARGS_MAX 22 /* "drill", "--job", NAME, "--from", SITE, "--allow-primary", "--random-point" and six options with values */

/* A job's arguments after the program name: borrowed from the job or the
 * configuration, or formatted into `text`. */
struct job_args {
	const char *v[JOB_ARGS_MAX];
	size_t n;
	char text[5][48];
	size_t ntext;
};

static void arg(struct job_args *a, const char *value)
{
	if (a->n < JOB_ARGS_MAX)
		a->v[a->n++] = value;
}

/* A formatted argument (printf-like). */
static void argf(struct job_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void argf(struct job_args *a, const char *fmt, ...)
{
	va_list ap;

	if (a->ntext == sizeof(a->text) / sizeof(a->text[0]))
		return;
	va_start(ap, fmt);
	vsnprintf(a->text[a->ntext], sizeof(a->text[0]), fmt, ap);
	va_end(ap);
	arg(a, a->text[a->ntext++]);
}

/* "--NAME DURATION" with the duration written exactly ("7d", "1h30m",
 * "45s"), as cairn_duration_parse reads it back. */
static void duration_arg(struct job_args *a, const char *option, int64_t ns)
{
	static const struct { char unit; int64_t secs; } units[] = { { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 } };
	int64_t secs = ns / CAIRN_NS_PER_SEC;
	char buf[48];
	size_t used = 0;

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (secs >= units[i].secs) {
			used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%lld%c",
						 (long long)(secs / units[i].secs), units[i].unit);
			secs %= units[i].secs;
		}
	}
	if (secs > 0 || used == 0)
		snprintf(buf + used, sizeof(buf) - used, "%llds", (long long)secs);
	arg(a, option);
	argf(a, "%s", buf);
}

/* cairn-restore drill --from SITE [--allow-primary] --random-point --within W
 * --sample P [--rpo R] [--rto T] [--report F] [--scratch D]: the [drill NAME]
 * section. A drill refuses the primary unless told: a section naming it
 * says so. */
static int drill_args(const struct cairn_config *cfg, const struct cairn_job *j, struct job_args *a)
{
	const struct cairn_drill_config *d = cairn_config_drill(cfg, j->target);

	if (d == NULL)
		return -1;
	arg(a, "drill");
	arg(a, "--job");
	argf(a, "drill:%s", j->target); /* the record matches the scheduler's job */
	arg(a, "--from");
	arg(a, d->site);
	if (strcmp(d->site, "primary") == 0)
		arg(a, "--allow-primary");
	arg(a, "--random-point");
	duration_arg(a, "--within", d->within_ns);
	arg(a, "--sample");
	argf(a, "%d", d->sample);
	if (d->rpo_ns > 0)
		duration_arg(a, "--rpo", d->rpo_ns);
	if (d->rto_ns > 0)
		duration_arg(a, "--rto", d->rto_ns);
	if (d->report != NULL) {
		arg(a, "--report");
		arg(a, d->report);
	}
	if (d->scratch != NULL) {
		arg(a, "--scratch");
		arg(a, d->scratch);
	}
	return 0;
}

/* The job's own arguments. -1 when the configuration has no section for
 * it (cannot happen: the table was built from that configuration). */
static int job_args(const struct cairn_config *cfg, const struct cairn_job *j, struct job_args *a)
{
	memset(a, 0, sizeof(*a));
	switch (j->kind) {
	case CAIRN_JOB_BACKUP:
		arg(a, "backup");
		arg(a, "--set");
		arg(a, j->target);
		return 0;
	case CAIRN_JOB_REPLICATE:
		arg(a, "replicate");
		arg(a, "--to");
		arg(a, j->target);
		return 0;
	case CAIRN_JOB_PRUNE:
		arg(a, "prune");
		return 0;
	case CAIRN_JOB_CHECK:
		arg(a, "check");
		if (j->check_read_data > 0)
			argf(a, "--read-data=%d", j->check_read_data);
		return 0;
	case CAIRN_JOB_DRILL:
		return drill_args(cfg, j, a);
	}
	return -1;
}

const char *run_job_program(const struct cairn_job *j)
{
	return j->kind == CAIRN_JOB_DRILL ? RESTORE_PROGRAM : "cairn-agent";
}

void run_job_command(const struct cairn_config *cfg, const struct cairn_job *j, char *buf, size_t len)
{
	struct job_args a;
	size_t used = 0;

	buf[0] = '\0';
	if (job_args(cfg, j, &a) != 0) {
		snprintf(buf, len, "(no such job in the configuration)");
		return;
	}
	for (size_t k = 0; k < a.n && used < len; k++) {
		int w = snprintf(buf + used, len - used, "%s%s", k ? " " : "", a.v[k]);

		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* A forwarded option the job takes too: a drill names its own site, so the
 * repository given to `run` is not passed on to it. */
static int forwarded_to(const struct cairn_job *j, const char *opt)
{
	return j->kind != CAIRN_JOB_DRILL || strncmp(opt, "--repo=", 7) != 0;
}

/* argv for the child: the program, the job's arguments, --config FILE, the
 * forwarded options. The array is malloc'd; its strings are borrowed (from
 * c, or from *a, which must outlive it). */
static char **job_argv(const struct run_ctx *c, const struct cairn_job *j, struct job_args *a)
{
	size_t k = 0;
	char **argv;

	if (job_args(c->o.cfg, j, a) != 0) {
		cli_error(c->o.ctx, "cannot start job %s: the configuration has no section for it", j->name);
		return NULL;
	}
	argv = calloc(1 + a->n + 2 + c->nfwd + 1, sizeof(*argv));
	if (argv == NULL) {
		cli_error(c->o.ctx, "cannot start job %s: out of memory", j->name);
		return NULL;
	}
	argv[k++] = (char *)run_job_program(j);
	for (size_t i = 0; i < a->n; i++)
		argv[k++] = (char *)a->v[i];
	argv[k++] = (char *)"--config";
	argv[k++] = c->config_path;
	for (size_t i = 0; i < c->nfwd; i++)
		if (forwarded_to(j, c->fwd[i]))
			argv[k++] = c->fwd[i];
	return argv;
}

/* cairn-restore next to this program (the directory of /proc/self/exe), so
 * that the scheduler runs the drill of its own build or package; NULL when
 * there is none there. malloc'd. */
static char *sibling_program(const char *name)
{
	char self[4096], *path;
	ssize_t n = readlink(SELF_EXE, self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return NULL;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash == NULL)
		return NULL;
	*slash = '\0';
	path = cairn_asprintf("%s/%s", self, name);
	if (path != NULL && access(path, X_OK) != 0) {
		free(path);
		path = NULL;
	}
	return path;
}

/* In the child: the signal mask of before, no descriptor but 0-2, then the
 * job's program: this program again, or cairn-restore at `path` (NULL:
 * found nowhere). Everything was prepared before fork: only
 * async-signal-safe calls here. The environment is this process's,
 * unchanged (the job is cairn itself and needs the key). Never returns. */
static void exec_job(const struct run_ctx *c, const struct cairn_job *j, const char *path, char **argv, int fd_limit)
{
	static const char self_msg[] = "cairn-agent: error: cannot start the job: exec " SELF_EXE " failed\n";
	static const char restore_msg[] = "cairn-agent: error: cannot start the job: exec " RESTORE_PROGRAM
					  " failed (not next to cairn-agent, nor in PATH)\n";

	sigprocmask(SIG_SETMASK, &c->saved_mask, NULL);
	hook_close_fds(fd_limit);
	if (j->kind != CAIRN_JOB_DRILL) {
		execv(SELF_EXE, argv);
		(void)!write(STDERR_FILENO, self_msg, sizeof(self_msg) - 1);
	} else {
		if (path != NULL)
			execv(path, argv);
		(void)!write(STDERR_FILENO, restore_msg, sizeof(restore_msg) - 1);
	}
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
			cli_error(c->o.ctx, "waiting for job %s (pid %ld): %s", j->name, (long)pid, strerror(errno));
			return -1;
		}
		if (c->stop && !*stopped) {
			*stopped = true;
			cli_log_line(c->o.ctx, LOG_INFO, !c->o.quiet, "stopping: job %s (pid %ld) is told to stop "
				     "(SIGTERM), waiting up to %lld s", j->name, (long)pid,
				     RUN_STOP_GRACE_NS / CAIRN_NS_PER_SEC);
			sd_notify(&c->notify, "STOPPING=1\nSTATUS=stopping: waiting for %s", j->name);
			kill(pid, SIGTERM);
			kill_at = cairn_time_mono_ns() + RUN_STOP_GRACE_NS;
		}
		if (kill_at > 0 && cairn_time_mono_ns() >= kill_at) {
			cli_warn(c->o.ctx, "job %s (pid %ld) did not stop within %lld s: killing it (SIGKILL)", j->name,
				 (long)pid, RUN_STOP_GRACE_NS / CAIRN_NS_PER_SEC);
			kill(pid, SIGKILL);
			kill_at = 0;
		}
		if (kill_at > 0)
			wait = kill_at - cairn_time_mono_ns();
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
	struct job_args a;
	char **argv = job_argv(c, j, &a);
	char *path = j->kind == CAIRN_JOB_DRILL ? sibling_program(RESTORE_PROGRAM) : NULL;
	int fd_limit = hook_fd_limit();
	pid_t pid;

	if (argv == NULL) {
		free(path);
		return -1;
	}
	if (j->kind == CAIRN_JOB_DRILL && path == NULL)
		path = hook_path_lookup(getenv("PATH"), RESTORE_PROGRAM); /* before fork */
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		exec_job(c, j, path, argv, fd_limit);
	if (pid < 0)
		cli_error(c->o.ctx, "cannot start job %s: fork: %s", j->name, strerror(errno));
	free(argv);
	free(path);
	return pid;
}

static void log_start(const struct run_ctx *c, const struct cairn_job *j)
{
	char cmd[1024];
	const char *why = "";

	if (j->state.interrupted)
		why = ", again: its last run was interrupted";
	else if (j->catch_up)
		why = ", catching up a run missed while the agent was not running";
	run_job_command(c->o.cfg, j, cmd, sizeof(cmd));
	cli_log_line(c->o.ctx, LOG_INFO, !c->o.quiet, "job %s started (%s %s%s)", j->name, run_job_program(j), cmd,
		     why);
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
		cli_log_line(c->o.ctx, LOG_INFO, !c->o.quiet, "job %s finished: exit 0 in %.1f s; next run %s", j->name,
			     secs, next);
	else
		cli_warn(c->o.ctx, "job %s finished: exit %d%s in %.1f s; next run %s", j->name, code, how, secs, next);
}

int run_job(struct run_ctx *c, size_t i)
{
	const struct cairn_job *j = cairn_scheduler_job(c->sched, i);
	int64_t t0 = cairn_time_mono_ns();
	int status = 0, code = CAIRN_EXIT_ERROR;
	bool stopped = false;
	char how[96] = "";
	pid_t pid;

	log_start(c, j);
	if (cairn_scheduler_started(c->sched, i, cairn_time_now_ns()) != 0) {
		cli_error(c->o.ctx, "%s", cairn_err_msg()); /* cannot happen: one job at a time */
		return CAIRN_EXIT_ERROR;
	}
	run_state_save(c);
	sd_notify(&c->notify, "STATUS=running %s", j->name);
	pid = start_job(c, j);
	if (pid > 0 && wait_job(c, j, pid, &status, &stopped) == 0)
		code = exit_code_of(status, how, sizeof(how));
	cairn_scheduler_finished(c->sched, i, cairn_time_now_ns(), code, stopped && code != 0);
	run_state_save(c);
	log_finish(c, i, code, how, cairn_time_mono_ns() - t0);
	return code;
}
