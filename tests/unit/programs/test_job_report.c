/* Job records: write and read back, carry-over of the last success, several jobs in one run, atomic
 * replacement, names refused, the listing, the metrics file written after a job, and two runs' contexts
 * side by side. */
#include "cairn_test.h"

#include "cli.h"
#include "job_report.h"

#include "cairn/config.h"
#include "cairn/err.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROGRAM "test_job_report"

/* One run of `job` ending with `rc`, in a context of its own as main()
 * makes one; `msg` (may be NULL) reported through cli_error. */
static struct job_report run_job(const struct cli_repo_opts *opts, const char *job, const char *msg, int rc)
{
	struct cli_repo_opts o = *opts;
	struct job_report rep;
	struct cli_ctx ctx;

	job_report_init(&rep);
	cli_ctx_init(&ctx, PROGRAM, &rep);
	o.ctx = &ctx;
	job_report_begin(&rep, &o, "%s", job);
	if (msg != NULL)
		cli_error(&ctx, "%s", msg);
	assert_int_equal(job_report_finish(&rep, &ctx, rc), rc);
	cli_ctx_close(&ctx);
	return rep;
}

static void test_names(void **state)
{
	char long_name[JOB_NAME_MAX + 1];

	(void)state;
	assert_int_equal(job_report_check_name("backup:home"), 0);
	assert_int_equal(job_report_check_name("replicate:dr-2"), 0);
	assert_int_equal(job_report_check_name("prune"), 0);
	assert_int_equal(job_report_check_name(""), CAIRN_EINVAL);
	assert_int_equal(job_report_check_name(NULL), CAIRN_EINVAL);
	assert_int_equal(job_report_check_name("a/b"), CAIRN_EINVAL);
	assert_int_equal(job_report_check_name("../x"), CAIRN_EINVAL);
	assert_int_equal(job_report_check_name(".hidden"), CAIRN_EINVAL);
	assert_int_equal(job_report_check_name("two words"), CAIRN_EINVAL);
	assert_int_equal(job_report_check_name("tab\there"), CAIRN_EINVAL);
	assert_int_equal(job_report_check_name("caf\xc3\xa9"), CAIRN_EINVAL);
	memset(long_name, 'a', JOB_NAME_MAX - 1);
	long_name[JOB_NAME_MAX - 1] = '\0';
	assert_int_equal(job_report_check_name(long_name), 0);
	long_name[JOB_NAME_MAX - 1] = 'a';
	long_name[JOB_NAME_MAX] = '\0';
	assert_int_equal(job_report_check_name(long_name), CAIRN_EINVAL);
	assert_non_null(strstr(cairn_err_msg(), "79"));
}

static void test_write_read(void **state)
{
	char *dir = cairn_test_mkdtemp("job_report_rw"), path[4200];
	struct cli_ctx ctx;
	struct cli_repo_opts o = { .ctx = &ctx, .state_dir = dir, .quiet = 1 };
	struct job_report rep, got;
	struct stat st;

	(void)state;
	job_report_init(&rep);
	cli_ctx_init(&ctx, PROGRAM, &rep);
	job_report_begin(&rep, &o, "backup:%s", "home");
	assert_string_equal(rep.job, "backup:home");
	assert_string_equal(rep.state_dir, dir);
	assert_string_equal(rep.metrics_file, "");
	job_report_count(&rep, JOB_FILES, 12);
	job_report_add(&rep, JOB_REQUESTS, 3);
	job_report_add(&rep, JOB_REQUESTS, 4);
	job_report_count(&rep, JOB_BYTES_READ, 0);
	assert_int_equal(job_report_finish(&rep, &ctx, 0), 0);
	assert_int_equal(rep.counters[JOB_FILES], 12);

	assert_int_equal(job_report_read(dir, "backup:home", &got), 0);
	assert_string_equal(got.job, "backup:home");
	assert_int_equal(got.exit_code, 0);
	assert_string_equal(got.message, "");
	assert_int_equal(got.start_ns, rep.start_ns);
	assert_int_equal(got.end_ns, rep.end_ns);
	assert_true(got.start_ns <= got.end_ns);
	assert_int_equal(got.last_success_ns, got.end_ns);
	assert_int_equal(got.counters[JOB_FILES], 12);
	assert_int_equal(got.counters[JOB_REQUESTS], 7);
	assert_int_equal(got.counters[JOB_BYTES_READ], 0);
	assert_int_equal(got.counters[JOB_BYTES_ADDED], -1);
	assert_int_equal(got.runs_total, 1);
	assert_int_equal(got.failures_total, 0);

	snprintf(path, sizeof(path), "%s/jobs/backup:home.json", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/jobs", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(cairn_test_count_entries(path), 2); /* the record and .lock: no temporary file left */
	snprintf(path, sizeof(path), "%s/jobs/.lock", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(job_report_read(dir, "backup:other", &got), CAIRN_ENOTFOUND);
	assert_int_equal(job_report_read(dir, "../x", &got), CAIRN_EINVAL);
	cairn_test_rmtree(dir);
	free(dir);
}

static void test_carry_over(void **state)
{
	char *dir = cairn_test_mkdtemp("job_report_carry");
	struct cli_repo_opts o = { .state_dir = dir, .quiet = 1 };
	struct job_report first, got;

	(void)state;
	first = run_job(&o, "replicate:dr", NULL, 0);
	run_job(&o, "replicate:dr", "replication to 'dr' failed: \"boom\"", CAIRN_EXIT_REPLICATION);
	assert_int_equal(job_report_read(dir, "replicate:dr", &got), 0);
	assert_int_equal(got.exit_code, CAIRN_EXIT_REPLICATION);
	assert_string_equal(got.message, "replication to 'dr' failed: \"boom\"");
	assert_int_equal(got.last_success_ns, first.end_ns);
	assert_int_equal(got.runs_total, 2);
	assert_int_equal(got.failures_total, 1);

	/* a partial run is a success */
	run_job(&o, "replicate:dr", NULL, CAIRN_EXIT_PARTIAL);
	assert_int_equal(job_report_read(dir, "replicate:dr", &got), 0);
	assert_true(got.last_success_ns > first.end_ns);
	assert_int_equal(got.last_success_ns, got.end_ns);
	assert_string_equal(got.message, "");
	assert_int_equal(got.runs_total, 3);
	assert_int_equal(got.failures_total, 1);

	/* a failure as the very first run: never succeeded */
	run_job(&o, "check", "damaged pack", CAIRN_EXIT_DAMAGED);
	assert_int_equal(job_report_read(dir, "check", &got), 0);
	assert_int_equal(got.last_success_ns, 0);
	cairn_test_rmtree(dir);
	free(dir);
}

static void test_several_jobs_one_run(void **state)
{
	char *dir = cairn_test_mkdtemp("job_report_end");
	struct cli_ctx ctx;
	struct cli_repo_opts o = { .ctx = &ctx, .state_dir = dir, .quiet = 1 };
	struct job_report rep, got;

	(void)state;
	job_report_init(&rep);
	cli_ctx_init(&ctx, PROGRAM, &rep);
	job_report_begin(&rep, &o, "replicate:a");
	job_report_add(&rep, JOB_BYTES_UPLOADED, 100);
	cli_error(&ctx, "site a is down");
	job_report_end(&rep, &ctx, CAIRN_EXIT_REPLICATION, 0);
	assert_string_equal(rep.job, "");
	job_report_begin(&rep, &o, "replicate:b");
	job_report_end(&rep, &ctx, CAIRN_EXIT_OK, 0);
	/* the same failure ends two jobs */
	job_report_begin(&rep, &o, "replicate:c");
	cli_error(&ctx, "cannot open the repository");
	job_report_end(&rep, &ctx, CAIRN_EXIT_LOCKED, 1);
	job_report_begin(&rep, &o, "replicate:d");
	job_report_end(&rep, &ctx, CAIRN_EXIT_LOCKED, 1);
	assert_int_equal(job_report_finish(&rep, &ctx, CAIRN_EXIT_REPLICATION), CAIRN_EXIT_REPLICATION);

	assert_int_equal(job_report_read(dir, "replicate:a", &got), 0);
	assert_int_equal(got.exit_code, CAIRN_EXIT_REPLICATION);
	assert_string_equal(got.message, "site a is down");
	assert_int_equal(got.counters[JOB_BYTES_UPLOADED], 100);
	assert_int_equal(job_report_read(dir, "replicate:b", &got), 0);
	assert_int_equal(got.exit_code, 0);
	assert_string_equal(got.message, "");
	assert_int_equal(got.counters[JOB_BYTES_UPLOADED], -1);
	assert_int_equal(job_report_read(dir, "replicate:c", &got), 0);
	assert_string_equal(got.message, "cannot open the repository");
	assert_int_equal(job_report_read(dir, "replicate:d", &got), 0);
	assert_int_equal(got.exit_code, CAIRN_EXIT_LOCKED);
	assert_string_equal(got.message, "cannot open the repository");
	cairn_test_rmtree(dir);
	free(dir);
}

static void test_not_a_job(void **state)
{
	char *dir = cairn_test_mkdtemp("job_report_none"), jobs[4200];
	struct cli_ctx ctx;
	struct cli_repo_opts o = { .ctx = &ctx, .state_dir = dir, .quiet = 1 };
	struct job_report rep;

	(void)state;
	snprintf(jobs, sizeof(jobs), "%s/jobs", dir);
	/* never named: not a job */
	job_report_init(&rep);
	cli_ctx_init(&ctx, PROGRAM, &rep);
	cli_error(&ctx, "a message of a command that is not a job");
	assert_int_equal(job_report_finish(&rep, &ctx, 1), 1);
	/* bad names: a warning, and the run is not recorded */
	run_job(&o, "../evil", NULL, 0);
	run_job(&o, "backup/x", NULL, 0);
	run_job(&o, ".sites", NULL, 0);
	assert_int_equal(cairn_test_count_entries(jobs), 0);
	/* without a report (a context that keeps none) nothing happens */
	cli_ctx_init(&ctx, PROGRAM, NULL);
	job_report_begin(NULL, &o, "backup");
	job_report_count(NULL, JOB_FILES, 1);
	job_report_add(NULL, JOB_FILES, 1);
	job_report_message(NULL, "x");
	cli_error(&ctx, "an error of a run without a report");
	job_report_end(NULL, &ctx, 0, 0);
	assert_int_equal(job_report_finish(NULL, &ctx, 4), 4);
	assert_int_equal(cairn_test_count_entries(jobs), 0);
	cairn_test_rmtree(dir);
	free(dir);
}

static void test_message_utf8(void **state)
{
	char *dir = cairn_test_mkdtemp("job_report_utf8"), big[2 * JOB_MESSAGE_MAX];
	struct cli_repo_opts o = { .state_dir = dir, .quiet = 1 };
	struct job_report rep, got;

	(void)state;
	run_job(&o, "backup", "'/srv/caf\xc3\xa9/\xff\xfe': unreadable", 3);
	assert_int_equal(job_report_read(dir, "backup", &got), 0);
	assert_string_equal(got.message, "'/srv/caf\xc3\xa9/?" "?': unreadable");
	/* a cut never splits a character */
	memset(big, 'a', sizeof(big));
	for (size_t i = JOB_MESSAGE_MAX - 8; i + 1 < JOB_MESSAGE_MAX + 8; i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	big[sizeof(big) - 1] = '\0';
	job_report_init(&rep);
	job_report_message(&rep, big);
	assert_true(strlen(rep.message) < JOB_MESSAGE_MAX);
	assert_int_equal((unsigned char)rep.message[strlen(rep.message) - 1], 0xa9);
	cairn_test_rmtree(dir);
	free(dir);
}

static void test_list(void **state)
{
	char *dir = cairn_test_mkdtemp("job_report_list"), path[4200];
	struct cli_repo_opts o = { .state_dir = dir, .quiet = 1 };
	struct job_report *list = NULL;
	struct cli_ctx ctx;
	size_t n = 99;
	FILE *f;

	(void)state;
	cli_ctx_init(&ctx, PROGRAM, NULL);
	assert_int_equal(job_report_list(&ctx, dir, &list, &n), 0); /* no jobs directory yet */
	assert_null(list);
	assert_int_equal(n, 0);
	run_job(&o, "replicate:dr", NULL, 0);
	run_job(&o, "backup:home", NULL, 0);
	run_job(&o, "prune", "locked", CAIRN_EXIT_LOCKED);
	snprintf(path, sizeof(path), "%s/jobs/broken.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"job\": \"broken\", \"start_ns\": \"yesterday\"}", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/jobs/.sites.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{}", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/jobs/notes.txt", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(job_report_list(&ctx, dir, &list, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(list[0].job, "backup:home");
	assert_string_equal(list[1].job, "prune");
	assert_int_equal(list[1].exit_code, CAIRN_EXIT_LOCKED);
	assert_string_equal(list[1].message, "locked");
	assert_string_equal(list[2].job, "replicate:dr");
	free(list);
	cairn_test_rmtree(dir);
	free(dir);
}

static void test_metrics_after_job(void **state)
{
	char *dir = cairn_test_mkdtemp("job_report_metrics"), *text, conf[9000], prom[4200];
	struct cli_repo_opts o = { .quiet = 1 };
	struct cairn_config *cfg = NULL;
	struct stat st;

	(void)state;
	snprintf(prom, sizeof(prom), "%s/cairn.prom", dir);
	snprintf(conf, sizeof(conf), "[cairn]\nstate-dir = %s/state\nmetrics-file = %s\n\n[repository]\nurl = /srv/x\n",
		 dir, prom);
	assert_int_equal(cairn_config_parse(conf, "test.conf", &cfg), 0);
	o.cfg = cfg;
	o.state_dir = cfg->state_dir;
	run_job(&o, "prune", NULL, 0);
	run_job(&o, "check", "damaged", CAIRN_EXIT_DAMAGED);
	text = cairn_test_file_text(prom);
	assert_non_null(text);
	assert_non_null(strstr(text, "# TYPE cairn_job_last_exit_code gauge\n"));
	assert_non_null(strstr(text, "cairn_job_last_exit_code{job=\"prune\"} 0\n"));
	assert_non_null(strstr(text, "cairn_job_last_exit_code{job=\"check\"} 8\n"));
	assert_non_null(strstr(text, "cairn_job_last_success_timestamp_seconds{job=\"check\"} 0.000\n"));
	assert_null(strstr(text, "cairn_site_")); /* no site rows saved yet */
	assert_int_equal(stat(prom, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(cairn_test_count_entries(dir), 2); /* cairn.prom and state: no temporary file left */
	cairn_config_free(cfg);
	cairn_test_rmtree(dir);
	free(dir);
}

/* Overlapping runs of one job (two cron backups) that end together: every
 * run is counted, none is lost to the other's read-modify-write. */
#define OVERLAP_PROCS 4
#define OVERLAP_RUNS 25

static void test_overlapping_runs_all_counted(void **state)
{
	char *dir = cairn_test_mkdtemp("job_report_overlap");
	struct cli_repo_opts o = { .state_dir = dir, .quiet = 1 };
	struct job_report got;
	pid_t pids[OVERLAP_PROCS];

	(void)state;
	for (int i = 0; i < OVERLAP_PROCS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			for (int n = 0; n < OVERLAP_RUNS; n++)
				run_job(&o, "backup", n % 5 == 0 ? "failed" : NULL, n % 5 == 0 ? 1 : 0);
			_exit(0);
		}
	}
	for (int i = 0; i < OVERLAP_PROCS; i++) {
		int status;

		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(job_report_read(dir, "backup", &got), 0);
	assert_int_equal(got.runs_total, OVERLAP_PROCS * OVERLAP_RUNS);
	assert_int_equal(got.failures_total, OVERLAP_PROCS * OVERLAP_RUNS / 5);
	cairn_test_rmtree(dir);
	free(dir);
}

/* Two runs side by side, each with its own context (what a process-wide
 * "current report" could not do): every error lands in its own context's
 * report and carries its own program name; counters, job names and state
 * directories stay apart; a context without a report records nothing. */
static void test_two_contexts_side_by_side(void **state)
{
	char *dir = cairn_test_mkdtemp("job_report_two_ctx"), err_path[4200], *text;
	struct cli_ctx ctx_a, ctx_b, ctx_none;
	struct cli_repo_opts oa = { .ctx = &ctx_a, .state_dir = dir, .quiet = 1 };
	struct cli_repo_opts ob = { .ctx = &ctx_b, .state_dir = dir, .quiet = 1 };
	struct job_report rep_a, rep_b, got;
	int saved_stderr;
	FILE *f;

	(void)state;
	snprintf(err_path, sizeof(err_path), "%s/stderr.txt", dir);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	assert_true(saved_stderr >= 0);
	f = fopen(err_path, "w");
	assert_non_null(f);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	fclose(f);

	job_report_init(&rep_a);
	job_report_init(&rep_b);
	cli_ctx_init(&ctx_a, "prog-a", &rep_a);
	cli_ctx_init(&ctx_b, "prog-b", &rep_b);
	cli_ctx_init(&ctx_none, "prog-none", NULL);
	job_report_begin(&rep_a, &oa, "backup:a");
	job_report_begin(&rep_b, &ob, "replicate:b");
	cli_error(&ctx_a, "a: first error");
	job_report_count(&rep_b, JOB_FILES, 7);
	cli_error(&ctx_b, "b: the only error");
	cli_error(&ctx_none, "an error nobody records");
	cli_warn(&ctx_a, "a: a warning is not the job's message");
	cli_error(&ctx_a, "a: last error");
	job_report_add(&rep_a, JOB_ERRORS, 2);
	assert_string_equal(rep_a.message, "a: last error");
	assert_string_equal(rep_b.message, "b: the only error");
	assert_int_equal(job_report_finish(&rep_b, &ctx_b, CAIRN_EXIT_REPLICATION), CAIRN_EXIT_REPLICATION);
	/* one finished, the other goes on */
	cli_fail(&ctx_a, CAIRN_EIO, "a: after b finished");
	assert_int_equal(job_report_finish(&rep_a, &ctx_a, CAIRN_EXIT_ERROR), CAIRN_EXIT_ERROR);
	cli_ctx_close(&ctx_a);
	cli_ctx_close(&ctx_b);

	fflush(stderr);
	assert_true(dup2(saved_stderr, STDERR_FILENO) >= 0);
	close(saved_stderr);

	assert_int_equal(job_report_read(dir, "backup:a", &got), 0);
	assert_int_equal(got.exit_code, CAIRN_EXIT_ERROR);
	assert_non_null(strstr(got.message, "a: after b finished"));
	assert_int_equal(got.counters[JOB_ERRORS], 2);
	assert_int_equal(got.counters[JOB_FILES], -1);
	assert_int_equal(job_report_read(dir, "replicate:b", &got), 0);
	assert_int_equal(got.exit_code, CAIRN_EXIT_REPLICATION);
	assert_string_equal(got.message, "b: the only error");
	assert_int_equal(got.counters[JOB_FILES], 7);
	assert_int_equal(got.counters[JOB_ERRORS], -1);

	text = cairn_test_file_text(err_path);
	assert_non_null(text);
	assert_non_null(strstr(text, "prog-a: error: a: first error\n"));
	assert_non_null(strstr(text, "prog-b: error: b: the only error\n"));
	assert_non_null(strstr(text, "prog-none: error: an error nobody records\n"));
	assert_non_null(strstr(text, "prog-a: warning: a: a warning is not the job's message\n"));
	assert_non_null(strstr(text, "prog-a: error: a: after b finished"));
	assert_null(strstr(text, "prog-b: error: a:"));
	cairn_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_write_read),
		cmocka_unit_test(test_carry_over),
		cmocka_unit_test(test_overlapping_runs_all_counted),
		cmocka_unit_test(test_several_jobs_one_run),
		cmocka_unit_test(test_not_a_job),
		cmocka_unit_test(test_message_utf8),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_metrics_after_job),
		cmocka_unit_test(test_two_contexts_side_by_side),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
