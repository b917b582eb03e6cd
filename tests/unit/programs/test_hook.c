/* Hooks: exit status, timeout kills the whole group, environment, output. */
#include "cairn_test.h"

#include "hook.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The index of `entry` in the NULL-terminated env, -1 when absent. */
static int env_index(char *const *env, const char *entry)
{
	for (int i = 0; env[i] != NULL; i++)
		if (strcmp(env[i], entry) == 0)
			return i;
	return -1;
}

static int env_count(char *const *env)
{
	int n = 0;

	while (env[n] != NULL)
		n++;
	return n;
}

static void test_hook_env_build_drops_secrets(void **state)
{
	const char *base[] = {
		"PATH=/usr/bin:/bin",
		"CAIRN_PASSPHRASE=hunter2",
		"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI",
		"AWS_SESSION_TOKEN=tok",
		"AWS_SECURITY_TOKEN=oldtok",
		"AWS_ACCESS_KEY_ID=AKIDEXAMPLE",
		"CAIRN_KEY_FILE=/etc/cairn/key",
		"CAIRN_PASSPHRASE_FILE=/etc/cairn/pass",
		"AWS_SHARED_CREDENTIALS_FILE=/etc/cairn/aws",
		"CAIRN_PASSPHRASEX=kept: another name",
		"HOME=/root",
		NULL,
	};
	char **env = NULL;

	(void)state;
	assert_int_equal(hook_env_build(base, NULL, &env), 0);
	assert_int_equal(env_count(env), 7);
	assert_int_equal(env_index(env, "PATH=/usr/bin:/bin"), 0);
	assert_int_equal(env_index(env, "AWS_ACCESS_KEY_ID=AKIDEXAMPLE"), 1);
	assert_int_equal(env_index(env, "CAIRN_KEY_FILE=/etc/cairn/key"), 2);
	assert_int_equal(env_index(env, "CAIRN_PASSPHRASE_FILE=/etc/cairn/pass"), 3);
	assert_int_equal(env_index(env, "AWS_SHARED_CREDENTIALS_FILE=/etc/cairn/aws"), 4);
	assert_int_equal(env_index(env, "CAIRN_PASSPHRASEX=kept: another name"), 5);
	assert_int_equal(env_index(env, "HOME=/root"), 6);
	for (int i = 0; env[i] != NULL; i++) {
		assert_null(strstr(env[i], "hunter2"));
		assert_null(strstr(env[i], "wJalrXUtnFEMI"));
		assert_null(strstr(env[i], "tok"));
	}
	free(env);
}

static void test_hook_env_build_vars_override(void **state)
{
	const char *base[] = { "CAIRN_HOOK=forged", "LANG=C", "CAIRN_SNAPSHOT=old", "BROKEN", NULL };
	const char *vars[] = { "CAIRN_BACKUP_SET=home", "CAIRN_HOOK=post", "CAIRN_SNAPSHOT=abcd", NULL };
	char **env = NULL;

	(void)state;
	assert_int_equal(hook_env_build(base, vars, &env), 0);
	assert_int_equal(env_count(env), 4);
	assert_int_equal(env_index(env, "LANG=C"), 0);
	assert_int_equal(env_index(env, "CAIRN_BACKUP_SET=home"), 1);
	assert_int_equal(env_index(env, "CAIRN_HOOK=post"), 2);
	assert_int_equal(env_index(env, "CAIRN_SNAPSHOT=abcd"), 3);
	free(env);
	assert_int_equal(hook_env_build(NULL, NULL, &env), 0);
	assert_null(env[0]);
	free(env);
}

static void test_hook_env_is_secret(void **state)
{
	(void)state;
	assert_true(hook_env_is_secret("CAIRN_PASSPHRASE=x"));
	assert_true(hook_env_is_secret("CAIRN_PASSPHRASE="));
	assert_true(hook_env_is_secret("AWS_SECRET_ACCESS_KEY"));
	assert_true(hook_env_is_secret("AWS_SESSION_TOKEN=t"));
	assert_true(hook_env_is_secret("AWS_SECURITY_TOKEN=t"));
	assert_false(hook_env_is_secret("CAIRN_PASSPHRASE_FILE=/p"));
	assert_false(hook_env_is_secret("CAIRN_KEY_FILE=/k"));
	assert_false(hook_env_is_secret("CAIRN_PASS=x"));
	assert_false(hook_env_is_secret("AWS_ACCESS_KEY_ID=AK"));
}

/* The whole file into buf (NUL-terminated). */
static void read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* A real run: the secrets of this process are not in the hook's
 * environment, other variables are; no descriptor but 0, 1 and 2 (and the
 * one ls opens) reaches it, not even one without O_CLOEXEC. */
static void test_hook_run_no_secrets_no_fds(void **state)
{
	const char *env[] = { "CAIRN_HOOK=pre", NULL };
	char *dir = cairn_test_mkdtemp("hook");
	char path[512], fds[512], cmd[1400], buf[8192];
	struct hook_result r;
	int leak;

	(void)state;
	snprintf(path, sizeof(path), "%s/env", dir);
	snprintf(fds, sizeof(fds), "%s/fds", dir);
	leak = open("/dev/null", O_RDONLY); /* inheritable */
	assert_true(leak > 2);
	setenv("CAIRN_PASSPHRASE", "sekrit-pass", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "sekrit-key", 1);
	setenv("CAIRN_TEST_KEPT", "kept-value", 1);
	snprintf(cmd, sizeof(cmd), "env > '%s'; ls /proc/self/fd > '%s'", path, fds);
	assert_int_equal(hook_run(cmd, env, 10LL * 1000000000LL, &r), 0);
	unsetenv("CAIRN_PASSPHRASE");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("CAIRN_TEST_KEPT");
	close(leak);
	read_file(path, buf, sizeof(buf));
	assert_null(strstr(buf, "sekrit"));
	assert_null(strstr(buf, "CAIRN_PASSPHRASE="));
	assert_null(strstr(buf, "AWS_SECRET_ACCESS_KEY="));
	assert_non_null(strstr(buf, "CAIRN_TEST_KEPT=kept-value\n"));
	assert_non_null(strstr(buf, "CAIRN_HOOK=pre\n"));
	/* ls's own process: 0, 1 (the file), 2 and 3, the directory ls reads */
	read_file(fds, buf, sizeof(buf));
	cairn_test_rmtree(dir);
	free(dir);
	assert_string_equal(buf, "0\n1\n2\n3\n");
}

static void test_success_and_env(void **state)
{
	const char *env[] = { "CAIRN_BACKUP_SET=home", NULL };
	struct hook_result r;
	char path[512], buf[64] = "";
	FILE *f;

	char *dir = cairn_test_mkdtemp("hook");

	(void)state;
	snprintf(path, sizeof(path), "%s/env", dir);
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "printf %%s \"$CAIRN_BACKUP_SET\" > '%s'; read x || true", path);
	assert_int_equal(hook_run(cmd, env, 10LL * 1000000000LL, &r), 0);
	assert_true(r.exited);
	assert_int_equal(r.exit_status, 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	cairn_test_rmtree(dir);
	free(dir);
	assert_string_equal(buf, "home");
	assert_null(getenv("CAIRN_BACKUP_SET")); /* only the child's environment changed */
}

static void test_failure_status(void **state)
{
	struct hook_result r;
	char msg[128];

	(void)state;
	assert_int_equal(hook_run("exit 3", NULL, 10LL * 1000000000LL, &r), -1);
	assert_true(r.exited);
	assert_int_equal(r.exit_status, 3);
	hook_describe(&r, msg, sizeof(msg));
	assert_string_equal(msg, "exited with status 3");
	assert_int_equal(hook_run("/nonexistent/hook-command", NULL, 10LL * 1000000000LL, &r), -1);
	hook_describe(&r, msg, sizeof(msg));
	assert_non_null(strstr(msg, "127"));
}

static void test_timeout_kills_group(void **state)
{
	struct hook_result r;
	char msg[128], path[512], cmd[700];
	long grandchild = 0;
	FILE *f;
	int alive = 1;

	char *dir = cairn_test_mkdtemp("hook");

	(void)state;
	/* a grandchild that would outlive a kill of the shell alone */
	snprintf(path, sizeof(path), "%s/pid", dir);
	snprintf(cmd, sizeof(cmd), "sleep 30 & echo $! > '%s'; wait", path);
	assert_int_equal(hook_run(cmd, NULL, 300LL * 1000000LL, &r), -1);
	assert_true(r.timed_out);
	assert_true(r.duration_ns < 5LL * 1000000000LL);
	hook_describe(&r, msg, sizeof(msg));
	assert_non_null(strstr(msg, "timed out after"));
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &grandchild), 1);
	fclose(f);
	cairn_test_rmtree(dir);
	free(dir);
	assert_true(grandchild > 1);
	for (int i = 0; i < 100 && alive; i++) { /* killed with the group (reaped by init) */
		alive = kill((pid_t)grandchild, 0) == 0;
		if (alive)
			usleep(20000);
	}
	assert_false(alive);
}

static void test_ignores_sigterm_then_sigkill(void **state)
{
	struct hook_result r;

	(void)state;
	assert_int_equal(hook_run("trap '' TERM; sleep 7", NULL, 200LL * 1000000LL, &r), -1);
	assert_true(r.timed_out);
	assert_int_equal(r.signal, 9);
}

/* An ignored signal survives execve: a hook started by an agent that
 * ignores SIGPIPE (systemd's default for services) must not inherit it. */
static void test_hook_run_default_signals(void **state)
{
	char *dir = cairn_test_mkdtemp("hook");
	char path[512], cmd[700], buf[256];
	struct sigaction ign, old_pipe, old_usr1;
	struct hook_result r;
	unsigned long long mask = ~0ULL;
	const char *line;

	(void)state;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	assert_int_equal(sigaction(SIGPIPE, &ign, &old_pipe), 0);
	assert_int_equal(sigaction(SIGUSR1, &ign, &old_usr1), 0);
	snprintf(path, sizeof(path), "%s/status", dir);
	snprintf(cmd, sizeof(cmd), "grep '^SigIgn:' /proc/$$/status > '%s'", path);
	assert_int_equal(hook_run(cmd, NULL, 10LL * 1000000000LL, &r), 0);
	assert_int_equal(sigaction(SIGPIPE, &old_pipe, NULL), 0);
	assert_int_equal(sigaction(SIGUSR1, &old_usr1, NULL), 0);
	read_file(path, buf, sizeof(buf));
	cairn_test_rmtree(dir);
	free(dir);
	line = strchr(buf, ':');
	assert_non_null(line);
	assert_int_equal(sscanf(line + 1, "%llx", &mask), 1);
	assert_int_equal(mask & (1ULL << (SIGPIPE - 1)), 0);
	assert_int_equal(mask & (1ULL << (SIGUSR1 - 1)), 0);
}

/* Make `dir`/`name` an executable file (mode 0755) or, with is_dir, a directory. */
static void make_program(const char *dir, const char *name, int is_dir)
{
	char path[800];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (is_dir) {
		assert_int_equal(mkdir(path, 0755), 0);
		return;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0755);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/bin/sh\n", 10), 10);
	close(fd);
}

static void test_hook_path_lookup(void **state)
{
	char *dir = cairn_test_mkdtemp("hook");
	char a[700], b[700], dirs[1500], want[800], cwd[4096];
	char *p;

	(void)state;
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	assert_int_equal(mkdir(a, 0755), 0);
	assert_int_equal(mkdir(b, 0755), 0);
	make_program(a, "prog", 1); /* a directory is not a program: execvp goes on */
	make_program(b, "prog", 0);
	snprintf(dirs, sizeof(dirs), "%s:%s", a, b);
	p = hook_path_lookup(dirs, "prog");
	snprintf(want, sizeof(want), "%s/prog", b);
	assert_non_null(p);
	assert_string_equal(p, want);
	free(p);
	assert_null(hook_path_lookup(a, "prog"));
	assert_null(hook_path_lookup(a, "missing"));
	/* an empty element (leading, inner, trailing) is the current directory */
	make_program(dir, "here", 0);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	p = hook_path_lookup(":/nonexistent", "here");
	assert_non_null(p);
	assert_string_equal(p, "./here");
	free(p);
	p = hook_path_lookup("/nonexistent::/nonexistent2", "here");
	assert_non_null(p);
	assert_string_equal(p, "./here");
	free(p);
	p = hook_path_lookup("/nonexistent:", "here");
	assert_non_null(p);
	assert_string_equal(p, "./here");
	free(p);
	assert_int_equal(chdir(cwd), 0);
	/* no PATH: /bin:/usr/bin */
	p = hook_path_lookup(NULL, "sh");
	assert_non_null(p);
	assert_string_equal(p, "/bin/sh");
	free(p);
	cairn_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hook_env_build_drops_secrets),
		cmocka_unit_test(test_hook_env_build_vars_override),
		cmocka_unit_test(test_hook_env_is_secret),
		cmocka_unit_test(test_hook_run_no_secrets_no_fds),
		cmocka_unit_test(test_success_and_env),
		cmocka_unit_test(test_failure_status),
		cmocka_unit_test(test_timeout_kills_group),
		cmocka_unit_test(test_ignores_sigterm_then_sigkill),
		cmocka_unit_test(test_hook_run_default_signals),
		cmocka_unit_test(test_hook_path_lookup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
