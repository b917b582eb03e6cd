/* Running hooks (see hook.h). */
#include "hook.h"

#include "cairn/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HOOK_KILL_GRACE_NS (5LL * 1000000000LL)
#define HOOK_POLL_NS (20LL * 1000000LL)

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* In the child: never returns. Only async-signal-safe calls until exec. */
static void exec_child(const char *command, const char *const *env)
{
	int fd = open("/dev/null", O_RDONLY);

	setpgid(0, 0);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		if (fd != STDIN_FILENO)
			close(fd);
	}
	for (size_t i = 0; env != NULL && env[i] != NULL; i++)
		putenv((char *)env[i]);
	execl("/bin/sh", "sh", "-c", command, (char *)NULL);
	_exit(127);
}

static void sleep_ns(int64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000LL), .tv_nsec = (long)(ns % 1000000000LL) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Wait for pid until `deadline` (monotonic ns): 1 when it ended (*status), 0 at the deadline. */
static int wait_until(pid_t pid, int64_t deadline, int *status)
{
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 1;
		if (r < 0 && errno != EINTR)
			return 1; /* not our child any more: treat as ended */
		if (mono_ns() >= deadline)
			return 0;
		sleep_ns(HOOK_POLL_NS);
	}
}

int hook_run(const char *command, const char *const *env, int64_t timeout_ns, struct hook_result *ret)
{
	int64_t start = mono_ns();
	int status = 0;
	pid_t pid;

	memset(ret, 0, sizeof(*ret));
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(ret->error, sizeof(ret->error), "cannot start it: fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		exec_child(command, env);
	setpgid(pid, pid); /* also in the parent, so the group exists before any kill */
	if (!wait_until(pid, start + timeout_ns, &status)) {
		ret->timed_out = 1;
		kill(-pid, SIGTERM);
		if (!wait_until(pid, mono_ns() + HOOK_KILL_GRACE_NS, &status)) {
			kill(-pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
		}
	}
	ret->duration_ns = mono_ns() - start;
	if (WIFEXITED(status)) {
		ret->exited = 1;
		ret->exit_status = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		ret->signal = WTERMSIG(status);
	}
	if (ret->exited && ret->exit_status == 127 && !ret->timed_out)
		snprintf(ret->error, sizeof(ret->error), "exited with status 127 (command not found?)");
	return !ret->timed_out && ret->exited && ret->exit_status == 0 ? 0 : -1;
}

void hook_describe(const struct hook_result *r, char *buf, size_t len)
{
	char dur[32];

	if (r->timed_out) {
		cairn_duration_format(r->duration_ns, dur, sizeof(dur));
		snprintf(buf, len, "timed out after %s and was killed", dur);
	} else if (r->error[0] != '\0') {
		snprintf(buf, len, "%s", r->error);
	} else if (r->exited) {
		snprintf(buf, len, "exited with status %d", r->exit_status);
	} else {
		snprintf(buf, len, "killed by signal %d (%s)", r->signal, strsignal(r->signal));
	}
}
