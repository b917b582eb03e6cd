/* Running hooks (see hook.h). */
#include "hook.h"

#include "cairn/buf.h"
#include "cairn/clock.h"
#include "cairn/err.h"
#include "cairn/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HOOK_KILL_GRACE_NS (5LL * 1000000000LL)
#define HOOK_POLL_NS (20LL * 1000000LL)

/* The secrets a hook must not inherit: the repository passphrase and the
 * S3 secrets Cairn reads from the environment (AWS_SECURITY_TOKEN is the
 * older name of the session token). A hook that needs one reads it from a
 * file it names. */
static const char *const secret_names[] = {
	"CAIRN_PASSPHRASE",
	"AWS_SECRET_ACCESS_KEY",
	"AWS_SESSION_TOKEN",
	"AWS_SECURITY_TOKEN",
};

/* The length of the name of "NAME=value" (all of a bare "NAME"). */
static size_t name_len(const char *entry)
{
	const char *eq = strchr(entry, '=');

	return eq != NULL ? (size_t)(eq - entry) : strlen(entry);
}

static int same_name(const char *a, const char *b)
{
	size_t n = name_len(a);

	return n == name_len(b) && memcmp(a, b, n) == 0;
}

int hook_env_is_secret(const char *entry)
{
	for (size_t i = 0; i < sizeof(secret_names) / sizeof(secret_names[0]); i++)
		if (same_name(entry, secret_names[i]))
			return 1;
	return 0;
}

/* Whether `entry`'s name is set by one of `vars`. */
static int set_by(const char *entry, const char *const *vars)
{
	for (size_t i = 0; vars != NULL && vars[i] != NULL; i++)
		if (same_name(entry, vars[i]))
			return 1;
	return 0;
}

int hook_env_build(const char *const *base, const char *const *vars, char ***ret_env)
{
	size_t nbase = 0, nvars = 0, k = 0;
	char **env;

	while (base != NULL && base[nbase] != NULL)
		nbase++;
	while (vars != NULL && vars[nvars] != NULL)
		nvars++;
	if (nbase > SIZE_MAX - nvars - 1 || (env = cairn_calloc(nbase + nvars + 1, sizeof(*env))) == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot build the environment of a hook: out of memory");
	for (size_t i = 0; i < nbase; i++)
		if (strchr(base[i], '=') != NULL && !hook_env_is_secret(base[i]) && !set_by(base[i], vars))
			env[k++] = (char *)base[i];
	for (size_t i = 0; i < nvars; i++)
		if (strchr(vars[i], '=') != NULL)
			env[k++] = (char *)vars[i];
	env[k] = NULL;
	*ret_env = env;
	return 0;
}

int hook_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur <= 1048576)
		return (int)rl.rlim_cur;
	return 1048576;
}

void hook_close_fds(int limit)
{
	if (close_range(3, ~0U, 0) == 0)
		return;
	for (int fd = 3; fd < limit; fd++)
		close(fd);
}

void hook_default_signals(void)
{
	struct sigaction dfl;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	/* an ignored signal stays ignored across execve (systemd starts
	 * services with SIGPIPE ignored): the child gets every default */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL); /* EINVAL for the few that cannot change: harmless */
}

char *hook_path_lookup(const char *dirs, const char *name)
{
	struct stat st;

	if (dirs == NULL)
		dirs = "/bin:/usr/bin";
	for (const char *d = dirs;; d++) {
		size_t len = strcspn(d, ":");
		/* an empty element is the current directory, as for execvp */
		char *path = len > 0 ? cairn_asprintf("%.*s/%s", (int)len, d, name) : cairn_asprintf("./%s", name);

		if (path != NULL && stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0)
			return path;
		free(path);
		d += len;
		if (*d == '\0')
			return NULL;
	}
}

/* In the child: never returns. Only async-signal-safe calls until execve:
 * everything it uses was prepared by the parent. */
static void exec_child(char *const *argv, char *const *envp, int fd_limit)
{
	static const char msg[] = "cairn: cannot run the hook: exec /bin/sh failed\n";
	sigset_t none;
	int fd;

	setpgid(0, 0);
	hook_default_signals();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != STDIN_FILENO) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	hook_close_fds(fd_limit);
	execve("/bin/sh", argv, envp);
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(127);
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
		if (cairn_time_mono_ns() >= deadline)
			return 0;
		cairn_time_sleep_ns(HOOK_POLL_NS);
	}
}

int hook_run(const char *command, const char *const *env, int64_t timeout_ns, struct hook_result *ret)
{
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)command, NULL };
	int64_t start;
	int status = 0, fd_limit = hook_fd_limit();
	char **envp;
	pid_t pid;

	memset(ret, 0, sizeof(*ret));
	if (hook_env_build((const char *const *)environ, env, &envp) != 0) {
		snprintf(ret->error, sizeof(ret->error), "cannot start it: %s", cairn_err_msg());
		return -1;
	}
	fflush(NULL);
	start = cairn_time_mono_ns();
	pid = fork();
	if (pid == 0)
		exec_child(argv, envp, fd_limit);
	free(envp);
	if (pid < 0) {
		snprintf(ret->error, sizeof(ret->error), "cannot start it: fork: %s", strerror(errno));
		return -1;
	}
	setpgid(pid, pid); /* also in the parent, so the group exists before any kill */
	if (!wait_until(pid, start + timeout_ns, &status)) {
		ret->timed_out = 1;
		kill(-pid, SIGTERM);
		if (!wait_until(pid, cairn_time_mono_ns() + HOOK_KILL_GRACE_NS, &status)) {
			kill(-pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
		}
	}
	ret->duration_ns = cairn_time_mono_ns() - start;
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
