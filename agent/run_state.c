/* cairn-agent run: the state file <state dir>/scheduler.json and the lock that allows one scheduler per state dir. */
#include "run.h"
#include "job_report.h"

#include "cairn/buf.h"
#include "cairn/err.h"
#include "cairn/file.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_VERSION 1

/* The pid written in the lock file by its holder, 0 when unknown. */
static long lock_holder(int fd)
{
	char buf[32] = { 0 };
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	return n > 0 ? strtol(buf, NULL, 10) : 0;
}

int run_lock(struct run_ctx *c)
{
	char *path = NULL, pid[32];
	int fd, len;

	if (cairn_file_mkdir_p(AT_FDCWD, c->state_dir, 0700, 0) < 0) {
		cli_error(c->o.ctx, "cannot create the state directory '%s': %s", c->state_dir, strerror(errno));
		return CAIRN_EXIT_ERROR;
	}
	path = cairn_asprintf("%s/%s", c->state_dir, RUN_LOCK_FILE);
	fd = path != NULL ? open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600) : -1;
	if (fd < 0) {
		cli_error(c->o.ctx, "cannot open the scheduler lock '%s': %s", path ? path : RUN_LOCK_FILE,
			  strerror(errno));
		free(path);
		return CAIRN_EXIT_ERROR;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		long holder = lock_holder(fd);

		if (errno == EWOULDBLOCK)
			cli_error(c->o.ctx, "another 'cairn-agent run' (pid %ld) is using the state directory '%s' "
				  "(lock '%s'); one scheduler per state directory", holder, c->state_dir, path);
		else
			cli_error(c->o.ctx, "cannot lock '%s': %s", path, strerror(errno));
		close(fd);
		free(path);
		return errno == EWOULDBLOCK ? CAIRN_EXIT_LOCKED : CAIRN_EXIT_ERROR;
	}
	free(path);
	len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)len, 0) != len)
		cli_warn(c->o.ctx, "cannot write this process's id into the scheduler lock: %s", strerror(errno));
	c->lock_fd = fd;
	return 0;
}

void run_unlock(struct run_ctx *c)
{
	if (c->lock_fd >= 0)
		close(c->lock_fd); /* releases the flock */
	c->lock_fd = -1;
}

/* A time or count field: 0 when absent or null, -1 when not a non-negative integer. */
static int get_int(const json_t *obj, const char *key, int64_t *ret)
{
	const json_t *v = json_object_get(obj, key);

	*ret = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*ret = (int64_t)json_integer_value(v);
	return 0;
}

static int parse_job_state(const json_t *obj, struct cairn_job_state *st)
{
	const json_t *exit_v = json_object_get(obj, "last_exit");
	int64_t exit_code;

	memset(st, 0, sizeof(*st));
	if (!json_is_object(obj) || get_int(obj, "first_seen_ns", &st->first_seen_ns) < 0 ||
	    get_int(obj, "last_start_ns", &st->last_start_ns) < 0 || get_int(obj, "last_end_ns", &st->last_end_ns) < 0 ||
	    get_int(obj, "last_exit", &exit_code) < 0 || exit_code > 255)
		return -1;
	st->last_exit = exit_v == NULL || json_is_null(exit_v) ? -1 : (int)exit_code;
	st->running = json_is_true(json_object_get(obj, "running"));
	st->interrupted = json_is_true(json_object_get(obj, "interrupted"));
	return 0;
}

static void load_jobs(struct run_ctx *c, const json_t *jobs)
{
	struct cairn_job_state st;
	const char *name;
	json_t *v;

	json_object_foreach((json_t *)jobs, name, v) {
		if (parse_job_state(v, &st) < 0) {
			cli_warn(c->o.ctx, "%s: the state of job '%s' is malformed: it counts from now", c->state_file,
				 name);
			continue;
		}
		(void)cairn_scheduler_set_state(c->sched, name, &st); /* a job no longer configured is dropped */
	}
}

void run_state_load(struct run_ctx *c)
{
	json_error_t jerr;
	struct stat st;
	json_t *root, *version, *jobs;

	if (stat(c->state_file, &st) < 0 && errno == ENOENT)
		return; /* the first start: every job counts from now */
	root = json_load_file(c->state_file, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		cli_warn(c->o.ctx, "cannot read the scheduler state '%s' (%s, line %d): starting without it, every job "
			 "counts from now", c->state_file, jerr.text, jerr.line);
		return;
	}
	version = json_object_get(root, "version");
	jobs = json_object_get(root, "jobs");
	if (!json_is_integer(version) || json_integer_value(version) != STATE_VERSION || !json_is_object(jobs))
		cli_warn(c->o.ctx, "the scheduler state '%s' is not version %d with a \"jobs\" object: starting "
			 "without it", c->state_file, STATE_VERSION);
	else
		load_jobs(c, jobs);
	json_decref(root);
}

static json_t *job_state_json(const struct cairn_job_state *st)
{
	return json_pack("{s:I, s:I, s:I, s:o, s:b, s:b}", "first_seen_ns", (json_int_t)st->first_seen_ns,
			 "last_start_ns", (json_int_t)st->last_start_ns, "last_end_ns", (json_int_t)st->last_end_ns,
			 "last_exit", st->last_exit >= 0 ? json_integer(st->last_exit) : json_null(), "running",
			 st->running, "interrupted", st->interrupted);
}

/* The state of every job as the file's text (malloc'd), or NULL. */
static char *state_text(const struct run_ctx *c)
{
	json_t *jobs = json_object(), *root;
	char *text;

	for (size_t i = 0; jobs != NULL && i < cairn_scheduler_count(c->sched); i++) {
		const struct cairn_job *j = cairn_scheduler_job(c->sched, i);

		if (json_object_set_new(jobs, j->name, job_state_json(&j->state)) != 0) {
			json_decref(jobs);
			return NULL;
		}
	}
	root = jobs != NULL ? json_pack("{s:i, s:o}", "version", STATE_VERSION, "jobs", jobs) : NULL;
	text = root != NULL ? json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(root);
	return text;
}

int run_state_save(const struct run_ctx *c)
{
	char *text;
	int rc;

	if (c->dry_run)
		return 0;
	text = state_text(c);
	if (text == NULL) {
		cli_warn(c->o.ctx, "cannot save the scheduler state to '%s': out of memory", c->state_file);
		return -1;
	}
	rc = cairn_file_write_atomic(c->state_file, text, strlen(text), 0600);
	if (rc < 0)
		cli_warn(c->o.ctx, "cannot save the scheduler state: %s; after a restart jobs may run again or wait",
			 cairn_err_msg());
	free(text);
	return rc < 0 ? -1 : 0;
}
