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

/* Whether the environment entry `entry` ("NAME=value", or a bare "NAME")
 * is a secret a hook must not see: CAIRN_PASSPHRASE, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN, AWS_SECURITY_TOKEN. Variables that only name a file
 * (CAIRN_KEY_FILE, CAIRN_PASSPHRASE_FILE, AWS_SHARED_CREDENTIALS_FILE) are
 * paths, not secrets: they pass. */
int hook_env_is_secret(const char *entry);

/* The complete environment of a hook, built before fork: every entry of
 * `base` (NULL-terminated "NAME=value" strings, e.g. environ; may be NULL)
 * except the secrets and the names `vars` sets, then every entry of `vars`
 * (may be NULL), in that order. Entries without '=' are dropped. The
 * returned array is malloc'd and NULL-terminated (free it with free());
 * its strings are borrowed from base and vars, which must outlive it.
 * Returns 0, or CAIRN_ENOMEM (*ret_env untouched). */
int hook_env_build(const char *const *base, const char *const *vars, char ***ret_env);

/* Run `command` with /bin/sh -c in its own process group, stdin from
 * /dev/null, stdout and stderr inherited, no other file descriptor, an
 * empty signal mask, and the environment hook_env_build(environ, env)
 * (`env`: "NAME=value" strings, NULL-terminated, may be NULL). Everything
 * is prepared before fork; the child only calls async-signal-safe
 * functions, then execve. After `timeout_ns` the whole group gets SIGTERM,
 * and SIGKILL 5 s later. Returns 0 when the command exited with status 0,
 * -1 otherwise (details in *ret, which is always filled). */
int hook_run(const char *command, const char *const *env, int64_t timeout_ns, struct hook_result *ret);

/* For a child between fork and exec: close every file descriptor from 3
 * up (async-signal-safe). `limit`, from hook_fd_limit() called before
 * fork, bounds the fallback loop when close_range(2) is not available. */
void hook_close_fds(int limit);
int hook_fd_limit(void);

/* For a child between fork and exec: every signal's disposition back to
 * SIG_DFL (an ignored one, e.g. SIGPIPE under systemd, would stay ignored
 * in the program exec'd). Async-signal-safe. */
void hook_default_signals(void);

/* The program `name` as execvp would find it in `dirs` (a PATH value;
 * NULL means "/bin:/usr/bin"): the first element holding an executable
 * regular file of that name, an empty element standing for the current
 * directory ("./name"). To be called before fork: execvp is not
 * async-signal-safe. A malloc'd path, or NULL when it is nowhere (or out
 * of memory). */
char *hook_path_lookup(const char *dirs, const char *name);

/* "exited with status 3", "killed by signal 9", "timed out after 5m and was killed", or ret->error. */
void hook_describe(const struct hook_result *r, char *buf, size_t len);

#endif
