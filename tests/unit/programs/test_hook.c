/* Hooks: exit status, timeout kills the whole group, environment, output. */
#include "cairn_test.h"

#include "hook.h"

#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_success_and_env),
		cmocka_unit_test(test_failure_status),
		cmocka_unit_test(test_timeout_kills_group),
		cmocka_unit_test(test_ignores_sigterm_then_sigkill),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
