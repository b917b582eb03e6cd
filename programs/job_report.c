/* Job records: <state dir>/jobs/<job>.json, the run summary line, and the metrics file after each job. */
#include "job_report.h"

#include "cli.h"
#include "metrics.h"

#include "cairn/err.h"
#include "cairn/file.h"
#include "cairn/timeutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#define RECORD_VERSION 1
#define RECORD_MAX_BYTES (64 * 1024)

static const char *const counter_names[JOB_COUNTER_COUNT] = {
	[JOB_FILES] = "files",
	[JOB_BYTES_READ] = "bytes_read",
	[JOB_BYTES_ADDED] = "bytes_added",
	[JOB_BYTES_UPLOADED] = "bytes_uploaded",
	[JOB_ERRORS] = "errors",
	[JOB_RETRIES] = "retries",
	[JOB_REQUESTS] = "requests",
	[JOB_SNAPSHOTS_REMOVED] = "snapshots_removed",
	[JOB_PACKS_DELETED] = "packs_deleted",
	[JOB_BYTES_FREED] = "bytes_freed",
};

const char *job_counter_name(enum job_counter which)
{
	return (unsigned)which < JOB_COUNTER_COUNT ? counter_names[which] : "unknown";
}

int job_exit_ok(int exit_code)
{
	return exit_code == CAIRN_EXIT_OK || exit_code == CAIRN_EXIT_PARTIAL;
}

/* The fields that describe one run (not where it is written). */
static void reset_run(struct job_report *rep)
{
	rep->job[0] = '\0';
	rep->start_ns = cairn_time_now_ns();
	rep->end_ns = 0;
	rep->exit_code = 0;
	rep->message[0] = '\0';
	for (int i = 0; i < JOB_COUNTER_COUNT; i++)
		rep->counters[i] = -1;
	rep->last_success_ns = 0;
	rep->runs_total = 0;
	rep->failures_total = 0;
}

void job_report_init(struct job_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	reset_run(rep);
}

int job_report_check_name(const char *job)
{
	size_t len = job != NULL ? strlen(job) : 0;

	if (len == 0 || len >= JOB_NAME_MAX)
		return cairn_err(CAIRN_EINVAL, "a job name has 1 to %d characters", JOB_NAME_MAX - 1);
	if (job[0] == '.')
		return cairn_err(CAIRN_EINVAL, "job name '%s' starts with '.'", job);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)job[i];

		if (c <= ' ' || c >= 0x7f || c == '/')
			return cairn_err(CAIRN_EINVAL, "job name '%.*s' holds a blank, a '/' or a character that is "
				   "not printable ASCII", (int)len, job);
	}
	return 0;
}

/* Copy `in` into out (len > 0) as valid UTF-8: bytes that do not form a
 * character become '?', and a cut never splits a character. */
static void copy_utf8(char *out, size_t len, const char *in)
{
	size_t o = 0;

	while (*in != '\0') {
		const unsigned char *p = (const unsigned char *)in;
		size_t n = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3
							      : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
		int ok = n > 0 && !(n == 2 && p[0] < 0xc2) && !(n == 4 && p[0] > 0xf4);

		for (size_t k = 1; ok && k < n; k++)
			ok = (p[k] & 0xc0) == 0x80;
		if (ok && n == 3)
			ok = !(p[0] == 0xe0 && p[1] < 0xa0) && !(p[0] == 0xed && p[1] >= 0xa0);
		if (ok && n == 4)
			ok = !(p[0] == 0xf0 && p[1] < 0x90) && !(p[0] == 0xf4 && p[1] >= 0x90);
		if (!ok)
			n = 1;
		if (o + n >= len)
			break;
		if (ok)
			memcpy(out + o, in, n);
		else
			out[o] = '?';
		o += n;
		in += n;
	}
	out[o] = '\0';
}

void job_report_begin(struct job_report *rep, const struct cli_repo_opts *o, const char *fmt, ...)
{
	char name[JOB_NAME_MAX + 64], *state;
	va_list ap;

	if (rep == NULL)
		return;
	if (o->cfg != NULL && o->cfg->log == CAIRN_CONFIG_LOG_SYSLOG)
		cli_syslog_enable(o->ctx, 0);
	rep->quiet = o->quiet || o->json;
	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	if (job_report_check_name(name) < 0) {
		cli_warn(o->ctx, "not recording this run as a job: %s", cairn_err_msg());
		rep->job[0] = '\0';
		return;
	}
	state = cli_state_dir(o);
	if (state == NULL || strlen(state) >= sizeof(rep->state_dir)) {
		cli_warn(o->ctx, "not recording job '%s': %s", name,
			 state ? "the state directory's path is too long" : "out of memory");
		free(state);
		rep->job[0] = '\0';
		return;
	}
	snprintf(rep->state_dir, sizeof(rep->state_dir), "%s", state);
	free(state);
	rep->metrics_file[0] = '\0';
	if (o->cfg != NULL && o->cfg->metrics_file != NULL)
		snprintf(rep->metrics_file, sizeof(rep->metrics_file), "%s", o->cfg->metrics_file);
	memcpy(rep->job, name, strlen(name) + 1); /* checked: shorter than JOB_NAME_MAX */
}

void job_report_count(struct job_report *rep, enum job_counter which, int64_t value)
{
	if (rep != NULL && (unsigned)which < JOB_COUNTER_COUNT)
		rep->counters[which] = value;
}

void job_report_add(struct job_report *rep, enum job_counter which, int64_t value)
{
	if (rep != NULL && (unsigned)which < JOB_COUNTER_COUNT)
		rep->counters[which] = (rep->counters[which] > 0 ? rep->counters[which] : 0) + value;
}

void job_report_message(struct job_report *rep, const char *msg)
{
	if (rep != NULL && msg != NULL)
		copy_utf8(rep->message, sizeof(rep->message), msg);
}

/* ---- files ---- */

static char *record_path(const char *state_dir, const char *job)
{
	return cairn_asprintf("%s/jobs/%s.json", state_dir, job);
}

/* ---- records as JSON ---- */

json_t *job_time_json(int64_t ns)
{
	char when[CAIRN_TIME_STR];

	if (ns <= 0)
		return json_null();
	cairn_time_format(ns, 1, when);
	return json_string(when);
}

static json_t *record_json(const struct job_report *rep)
{
	json_t *j = json_object(), *counters = json_object();

	if (j == NULL || counters == NULL) {
		json_decref(j);
		json_decref(counters);
		return NULL;
	}
	for (int i = 0; i < JOB_COUNTER_COUNT; i++)
		if (rep->counters[i] >= 0)
			json_object_set_new(counters, counter_names[i], json_integer(rep->counters[i]));
	json_object_set_new(j, "version", json_integer(RECORD_VERSION));
	json_object_set_new(j, "job", json_string(rep->job));
	json_object_set_new(j, "start", job_time_json(rep->start_ns));
	json_object_set_new(j, "end", job_time_json(rep->end_ns));
	json_object_set_new(j, "start_ns", json_integer(rep->start_ns));
	json_object_set_new(j, "end_ns", json_integer(rep->end_ns));
	json_object_set_new(j, "duration_seconds", json_real((double)(rep->end_ns - rep->start_ns) / 1e9));
	json_object_set_new(j, "exit_code", json_integer(rep->exit_code));
	json_object_set_new(j, "message", json_string(rep->message));
	json_object_set_new(j, "last_success", job_time_json(rep->last_success_ns));
	json_object_set_new(j, "last_success_ns", json_integer(rep->last_success_ns));
	json_object_set_new(j, "runs_total", json_integer(rep->runs_total));
	json_object_set_new(j, "failures_total", json_integer(rep->failures_total));
	json_object_set_new(j, "counters", counters);
	return j;
}

static int get_i64(json_t *j, const char *key, int required, int64_t *ret)
{
	json_t *v = json_object_get(j, key);

	if (v == NULL && !required)
		return 0;
	if (!json_is_integer(v))
		return -1;
	*ret = (int64_t)json_integer_value(v);
	return 0;
}

/* Fill the run fields of *rep from a parsed record; -1 when it is not one. */
static int record_parse(json_t *j, struct job_report *rep)
{
	json_t *job = json_object_get(j, "job"), *msg = json_object_get(j, "message");
	json_t *counters = json_object_get(j, "counters");
	int64_t code = 0;

	if (!json_is_object(j) || !json_is_string(job) || job_report_check_name(json_string_value(job)) < 0)
		return -1;
	snprintf(rep->job, sizeof(rep->job), "%s", json_string_value(job));
	if (get_i64(j, "start_ns", 1, &rep->start_ns) < 0 || get_i64(j, "end_ns", 1, &rep->end_ns) < 0 ||
	    get_i64(j, "exit_code", 1, &code) < 0 || get_i64(j, "last_success_ns", 0, &rep->last_success_ns) < 0 ||
	    get_i64(j, "runs_total", 0, &rep->runs_total) < 0 ||
	    get_i64(j, "failures_total", 0, &rep->failures_total) < 0)
		return -1;
	if (code < 0 || code > 255)
		return -1;
	if (rep->start_ns < 0 || rep->end_ns < 0) /* readers subtract them: no overflow */
		return -1;
	rep->exit_code = (int)code;
	if (msg != NULL && !json_is_string(msg))
		return -1;
	copy_utf8(rep->message, sizeof(rep->message), msg ? json_string_value(msg) : "");
	if (counters != NULL && !json_is_object(counters))
		return -1;
	for (int i = 0; counters != NULL && i < JOB_COUNTER_COUNT; i++) {
		if (get_i64(counters, counter_names[i], 0, &rep->counters[i]) < 0 || rep->counters[i] < -1)
			return -1;
	}
	return 0;
}

static int read_record_file(const char *path, struct job_report *rep)
{
	json_error_t jerr;
	json_t *j;
	int rc = 0;

	job_report_init(rep);
	j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL) {
		if (access(path, F_OK) < 0 && errno == ENOENT)
			return cairn_err(CAIRN_ENOTFOUND, "no job record '%s'", path);
		if (json_error_code(&jerr) == json_error_cannot_open_file)
			return cairn_err(CAIRN_EIO, "cannot read job record '%s': %s", path, jerr.text);
		return cairn_err(CAIRN_EFORMAT, "job record '%s' is not valid JSON: %s", path, jerr.text);
	}
	if (record_parse(j, rep) < 0)
		rc = cairn_err(CAIRN_EFORMAT, "job record '%s' lacks a field or has one of the wrong type", path);
	json_decref(j);
	return rc;
}

int job_report_read(const char *state_dir, const char *job, struct job_report *rep)
{
	char *path;
	int rc;

	rc = job_report_check_name(job);
	if (rc < 0)
		return rc;
	path = record_path(state_dir, job);
	if (path == NULL)
		return cairn_err(CAIRN_ENOMEM, "out of memory");
	rc = read_record_file(path, rep);
	free(path);
	if (rc == 0 && strcmp(rep->job, job) != 0)
		rc = cairn_err(CAIRN_EFORMAT, "job record '%s/jobs/%s.json' names job '%s'", state_dir, job, rep->job);
	return rc;
}

static int write_record(const struct job_report *rep)
{
	json_t *j = record_json(rep);
	char *text = j ? json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL;
	char *dir = cairn_asprintf("%s/jobs", rep->state_dir), *path = record_path(rep->state_dir, rep->job);
	int rc;

	json_decref(j);
	if (text == NULL || dir == NULL || path == NULL)
		rc = cairn_err(CAIRN_ENOMEM, "out of memory");
	else
		rc = cairn_file_mkdir_p(AT_FDCWD, dir, 0700, 0);
	if (rc == 0)
		rc = cairn_file_write_atomic(path, text, strlen(text), 0600);
	free(text);
	free(dir);
	free(path);
	return rc;
}

static int by_job_name(const void *a, const void *b)
{
	return strcmp(((const struct job_report *)a)->job, ((const struct job_report *)b)->job);
}

/* The job name of a directory entry "<job>.json", into name; 0 or -1. */
static int entry_job(const char *entry, char *name, size_t len)
{
	size_t n = strlen(entry);

	if (entry[0] == '.' || n <= 5 || strcmp(entry + n - 5, ".json") != 0 || n - 5 >= len)
		return -1;
	memcpy(name, entry, n - 5);
	name[n - 5] = '\0';
	return job_report_check_name(name) == 0 ? 0 : -1;
}

int job_report_list(const struct cli_ctx *ctx, const char *state_dir, struct job_report **ret, size_t *ret_n)
{
	char *dirpath = cairn_asprintf("%s/jobs", state_dir), name[JOB_NAME_MAX];
	struct job_report *list = NULL;
	size_t n = 0;
	struct dirent *e;
	DIR *d;

	*ret = NULL;
	*ret_n = 0;
	if (dirpath == NULL)
		return cairn_err(CAIRN_ENOMEM, "out of memory");
	d = opendir(dirpath);
	if (d == NULL) {
		int rc = errno == ENOENT ? 0 : cairn_err(CAIRN_EIO, "cannot list '%s': %s", dirpath, strerror(errno));

		free(dirpath);
		return rc;
	}
	while ((e = readdir(d)) != NULL) {
		struct job_report *grown;

		if (entry_job(e->d_name, name, sizeof(name)) < 0)
			continue;
		grown = cairn_reallocarray(list, n + 1, sizeof(*list));
		if (grown == NULL) {
			closedir(d);
			free(list);
			free(dirpath);
			return cairn_err(CAIRN_ENOMEM, "out of memory");
		}
		list = grown;
		if (job_report_read(state_dir, name, &list[n]) < 0)
			cli_warn(ctx, "skipping a job record: %s", cairn_err_msg());
		else
			n++;
	}
	closedir(d);
	free(dirpath);
	if (n == 0) {
		free(list);
		return 0;
	}
	qsort(list, n, sizeof(*list), by_job_name);
	*ret = list;
	*ret_n = n;
	return 0;
}

/* ---- finishing a job ---- */

static void carry_over(struct job_report *rep, const struct cli_ctx *ctx)
{
	struct job_report *prev = malloc(sizeof(*prev));
	int rc;

	if (prev == NULL)
		return;
	rc = job_report_read(rep->state_dir, rep->job, prev);
	if (rc == 0) {
		rep->last_success_ns = prev->last_success_ns;
		rep->runs_total = prev->runs_total;
		rep->failures_total = prev->failures_total;
	} else if (rc != CAIRN_ENOTFOUND) {
		cli_warn(ctx, "%s: starting the job's history afresh", cairn_err_msg());
	}
	free(prev);
}

static void append(char *line, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *line, size_t len, const char *fmt, ...)
{
	size_t used = strlen(line);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(line + used, len - used, fmt, ap);
	va_end(ap);
}

/* "job backup:home finished: exit 0 in 12.3 s, 1200 files, 1.2 GiB read, ..." */
static void summary_line(const struct job_report *rep, char *line, size_t len)
{
	static const enum job_counter sizes[] = { JOB_BYTES_READ, JOB_BYTES_ADDED, JOB_BYTES_UPLOADED,
						  JOB_BYTES_FREED };
	static const char *const size_words[] = { "read", "added", "uploaded", "freed" };
	static const enum job_counter counts[] = { JOB_FILES, JOB_ERRORS, JOB_REQUESTS, JOB_RETRIES,
						   JOB_SNAPSHOTS_REMOVED, JOB_PACKS_DELETED };
	static const char *const count_words[] = { "files", "errors", "requests", "retries", "snapshots removed",
						   "packs deleted" };
	char size[32];

	snprintf(line, len, "job %s finished: exit %d in %.1f s", rep->job, rep->exit_code,
		 (double)(rep->end_ns - rep->start_ns) / 1e9);
	/* what happened, not what did not: zero counts are left out (files are always shown) */
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		if (rep->counters[counts[i]] > 0 || (counts[i] == JOB_FILES && rep->counters[counts[i]] == 0))
			append(line, len, ", %lld %s", (long long)rep->counters[counts[i]], count_words[i]);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (rep->counters[sizes[i]] <= 0)
			continue;
		cli_format_bytes((uint64_t)rep->counters[sizes[i]], size, sizeof(size));
		append(line, len, ", %s %s", size, size_words[i]);
	}
}

static void log_summary(const struct job_report *rep, const struct cli_ctx *ctx)
{
	char line[512];
	int prio = rep->exit_code == 0 ? LOG_INFO : job_exit_ok(rep->exit_code) ? LOG_WARNING : LOG_ERR;

	summary_line(rep, line, sizeof(line));
	cli_log_line(ctx, prio, !rep->quiet, "%s", line);
}

/* The records with `rep` in place of its own (it may have failed to be written). */
static int records_with(const struct job_report *rep, const struct cli_ctx *ctx, struct job_report **ret,
			size_t *ret_n)
{
	struct job_report *list, *grown;
	size_t n, i;
	int rc = job_report_list(ctx, rep->state_dir, &list, &n);

	if (rc < 0)
		return rc;
	for (i = 0; i < n && strcmp(list[i].job, rep->job) != 0; i++)
		;
	if (i == n) {
		grown = cairn_reallocarray(list, n + 1, sizeof(*list));
		if (grown == NULL) {
			free(list);
			return cairn_err(CAIRN_ENOMEM, "out of memory");
		}
		list = grown;
		n++;
	}
	list[i] = *rep;
	qsort(list, n, sizeof(*list), by_job_name);
	*ret = list;
	*ret_n = n;
	return 0;
}

static void write_metrics(const struct job_report *rep, const struct cli_ctx *ctx)
{
	struct job_report *jobs = NULL;
	struct metrics_site *sites = NULL;
	size_t njobs = 0, nsites = 0;
	int rc;

	rc = records_with(rep, ctx, &jobs, &njobs);
	if (rc == 0)
		rc = metrics_sites_load(ctx, rep->state_dir, &sites, &nsites);
	if (rc == 0)
		rc = metrics_write(rep->metrics_file, jobs, njobs, sites, nsites, cairn_time_now_ns());
	if (rc < 0)
		cli_warn(ctx, "metrics file not updated: %s", cairn_err_msg());
	free(jobs);
	free(sites);
}

/* Two runs of one job may end together (overlapping cron runs): the
 * read-modify-write of its record (runs, failures, last success) is done
 * under an flock on STATE/jobs/.lock, so neither run's count is lost.
 * Returns the descriptor to close, or -1 (then the update goes unlocked). */
static int lock_records(const char *state_dir)
{
	char *dir = cairn_asprintf("%s/jobs", state_dir), *path = cairn_asprintf("%s/jobs/.lock", state_dir);
	int fd = -1;

	if (dir != NULL && path != NULL && cairn_file_mkdir_p(AT_FDCWD, dir, 0700, 0) == 0)
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0) {
		while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
			;
	}
	free(dir);
	free(path);
	return fd;
}

static void finish_job(struct job_report *rep, const struct cli_ctx *ctx, int rc)
{
	int lock_fd;

	rep->end_ns = cairn_time_now_ns();
	if (rep->end_ns < rep->start_ns)
		rep->end_ns = rep->start_ns; /* the clock went back */
	rep->exit_code = rc;
	lock_fd = lock_records(rep->state_dir);
	carry_over(rep, ctx);
	if (job_exit_ok(rc))
		rep->last_success_ns = rep->end_ns;
	rep->runs_total++;
	if (!job_exit_ok(rc))
		rep->failures_total++;
	if (write_record(rep) < 0)
		cli_warn(ctx, "job record not written: %s", cairn_err_msg());
	if (lock_fd >= 0)
		close(lock_fd);
	log_summary(rep, ctx);
	if (rep->metrics_file[0] != '\0')
		write_metrics(rep, ctx);
}

int job_report_finish(struct job_report *rep, const struct cli_ctx *ctx, int rc)
{
	if (rep != NULL && rep->job[0] != '\0')
		finish_job(rep, ctx, rc);
	return rc;
}

void job_report_end(struct job_report *rep, const struct cli_ctx *ctx, int rc, int keep_message)
{
	char msg[JOB_MESSAGE_MAX];

	if (rep == NULL)
		return;
	if (rep->job[0] != '\0')
		finish_job(rep, ctx, rc);
	snprintf(msg, sizeof(msg), "%s", keep_message ? rep->message : "");
	reset_run(rep);
	snprintf(rep->message, sizeof(rep->message), "%s", msg);
}

void job_report_sites(struct job_report *rep, struct cairn_repo *repo, const struct cli_repo_opts *o)
{
	struct metrics_site *sites = NULL;
	size_t n = 0;
	int rc;

	if (rep == NULL || rep->metrics_file[0] == '\0' || repo == NULL || o->cfg == NULL ||
	    o->repo_site != &o->cfg->primary)
		return;
	rc = metrics_sites_collect(repo, o, &sites, &n);
	if (rc == 0)
		rc = metrics_sites_save(rep->state_dir, sites, n);
	if (rc < 0)
		cli_warn(o->ctx, "the sites' status for the metrics file was not saved: %s", cairn_err_msg());
	free(sites);
}
