/* Hooks: a command run by /bin/sh -c around a backup set, with a timeout. */
#ifndef CAIRN_HOOK_H
#define CAIRN_HOOK_H

#include <stddef.h>
#include <stdint.h>

struct hook_result {
	int exited;       /* 1: it exited, status in exit_status */
	int exit_status;
	int signal;       /* the signal that ended it, 0 = none */
	int timed_out;    /* 1: killed after the timeout */
	int64_t duration_ns;
	char error[256];  /* why it could not be started, "" otherwise */
};

/* Run `command` with /bin/sh -c in its own process group, stdin from
 * /dev/null, stdout and stderr inherited, `env` ("NAME=value" strings,
 * NULL-terminated, may be NULL) added to the environment. After
 * `timeout_ns` the whole group gets SIGTERM, and SIGKILL 5 s later.
 * Returns 0 when the command exited with status 0, -1 otherwise (details
 * in *ret, which is always filled). */
int hook_run(const char *command, const char *const *env, int64_t timeout_ns, struct hook_result *ret);

/* "exited with status 3", "killed by signal 9", "timed out after 5m and was killed", or ret->error. */
void hook_describe(const struct hook_result *r, char *buf, size_t len);

#endif
