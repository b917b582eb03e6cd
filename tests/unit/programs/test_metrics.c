/* The metrics file: written, then parsed back line by line with a small parser of the Prometheus text
 * exposition format (HELP and TYPE before each family's samples, names, escaped labels, values). */
#include "cairn_test.h"

#include "cli.h"
#include "job_report.h"
#include "metrics.h"

#include "cairn/err.h"
#include "cairn/timeutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Where the messages of the code under test go (no job report). */
static const struct cli_ctx test_ctx = { .program = "test_metrics" };

#define MAX_SAMPLES 128
#define MAX_FAMILIES 64

struct sample {
	char name[128];
	char label[32];  /* "" when the sample has no label */
	char lvalue[256];
	double value;
};

struct family {
	char name[128];
	char type[16];
	int nsamples;
};

struct parsed {
	struct sample samples[MAX_SAMPLES];
	int nsamples;
	struct family families[MAX_FAMILIES];
	int nfamilies;
};

static int name_char(int c, int first)
{
	return isalpha(c) || c == '_' || c == ':' || (!first && isdigit(c));
}

/* A metric or label name at *p; advances *p. */
static void parse_name(const char **p, char *out, size_t len)
{
	size_t n = 0;

	assert_true(name_char((unsigned char)**p, 1));
	while (name_char((unsigned char)**p, n == 0)) {
		assert_true(n + 1 < len);
		out[n++] = *(*p)++;
	}
	out[n] = '\0';
}

/* A quoted, escaped label value at *p (at the opening quote); advances *p. */
static void parse_label_value(const char **p, char *out, size_t len)
{
	size_t n = 0;

	assert_int_equal(**p, '"');
	(*p)++;
	while (**p != '"') {
		char c = *(*p)++;

		assert_true(c != '\0' && c != '\n');
		if (c == '\\') {
			c = *(*p)++;
			assert_true(c == '\\' || c == '"' || c == 'n');
			c = c == 'n' ? '\n' : c;
		}
		assert_true(n + 1 < len);
		out[n++] = c;
	}
	(*p)++;
	out[n] = '\0';
}

static void parse_comment(struct parsed *ps, const char *line)
{
	char name[128], kind[8];
	const char *p = line + 2;
	struct family *fam;

	assert_true(strncmp(line, "# ", 2) == 0);
	assert_int_equal(sscanf(p, "%7s", kind), 1);
	p += strlen(kind) + 1;
	parse_name(&p, name, sizeof(name));
	assert_int_equal(*p, ' ');
	if (strcmp(kind, "HELP") == 0) {
		/* a new family: its name is new, HELP comes first */
		for (int i = 0; i < ps->nfamilies; i++)
			assert_string_not_equal(ps->families[i].name, name);
		assert_true(strlen(p + 1) > 0);
		fam = &ps->families[ps->nfamilies++];
		assert_true(ps->nfamilies <= MAX_FAMILIES);
		snprintf(fam->name, sizeof(fam->name), "%s", name);
		fam->type[0] = '\0';
		return;
	}
	assert_string_equal(kind, "TYPE");
	assert_true(ps->nfamilies > 0);
	fam = &ps->families[ps->nfamilies - 1];
	assert_string_equal(fam->name, name);
	assert_string_equal(fam->type, "");
	snprintf(fam->type, sizeof(fam->type), "%s", p + 1);
	assert_true(strcmp(fam->type, "gauge") == 0 || strcmp(fam->type, "counter") == 0);
}

static void parse_sample(struct parsed *ps, const char *line)
{
	struct sample *s = &ps->samples[ps->nsamples++];
	struct family *fam;
	const char *p = line;
	char *end;

	assert_true(ps->nsamples <= MAX_SAMPLES);
	memset(s, 0, sizeof(*s));
	parse_name(&p, s->name, sizeof(s->name));
	if (*p == '{') {
		p++;
		parse_name(&p, s->label, sizeof(s->label));
		assert_int_equal(*p++, '=');
		parse_label_value(&p, s->lvalue, sizeof(s->lvalue));
		assert_int_equal(*p++, '}');
	}
	assert_int_equal(*p++, ' ');
	s->value = strtod(p, &end);
	assert_true(end != p && *end == '\0');
	/* the sample belongs to the family just announced */
	assert_true(ps->nfamilies > 0);
	fam = &ps->families[ps->nfamilies - 1];
	assert_string_equal(fam->name, s->name);
	assert_string_not_equal(fam->type, "");
	if (strcmp(fam->type, "counter") == 0)
		assert_non_null(strstr(s->name, "_total"));
	fam->nsamples++;
}

static void parse_file(const char *path, struct parsed *ps)
{
	char line[1024];
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	memset(ps, 0, sizeof(*ps));
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t n = strlen(line);

		assert_true(n > 1 && line[n - 1] == '\n'); /* whole lines, none empty */
		line[n - 1] = '\0';
		if (line[0] == '#')
			parse_comment(ps, line);
		else
			parse_sample(ps, line);
	}
	fclose(f);
	for (int i = 0; i < ps->nfamilies; i++)
		assert_true(ps->families[i].nsamples > 0); /* no empty family */
}

static const struct sample *find(const struct parsed *ps, const char *name, const char *lvalue)
{
	for (int i = 0; i < ps->nsamples; i++)
		if (strcmp(ps->samples[i].name, name) == 0 && strcmp(ps->samples[i].lvalue, lvalue) == 0)
			return &ps->samples[i];
	return NULL;
}

static double value_of(const struct parsed *ps, const char *name, const char *lvalue)
{
	const struct sample *s = find(ps, name, lvalue);

	if (s == NULL)
		fail_msg("no sample %s{...=\"%s\"}", name, lvalue);
	return s->value;
}

static int has_family(const struct parsed *ps, const char *name)
{
	for (int i = 0; i < ps->nfamilies; i++)
		if (strcmp(ps->families[i].name, name) == 0)
			return 1;
	return 0;
}

#define NS(sec) ((int64_t)(sec) * CAIRN_NS_PER_SEC)
#define NOW NS(1800000000)

static void make_jobs(struct job_report jobs[3])
{
	for (int i = 0; i < 3; i++)
		job_report_init(&jobs[i]);
	snprintf(jobs[0].job, sizeof(jobs[0].job), "backup:home");
	jobs[0].start_ns = NOW - NS(600);
	jobs[0].end_ns = NOW - NS(600) + 12345000000LL; /* 12.345 s */
	jobs[0].last_success_ns = jobs[0].end_ns;
	jobs[0].runs_total = 5;
	jobs[0].counters[JOB_FILES] = 1200;
	jobs[0].counters[JOB_BYTES_READ] = 1073741824LL;
	jobs[0].counters[JOB_BYTES_ADDED] = 0;
	jobs[0].counters[JOB_REQUESTS] = 42;
	snprintf(jobs[1].job, sizeof(jobs[1].job), "replicate:dr");
	jobs[1].start_ns = NOW - NS(60);
	jobs[1].end_ns = NOW - NS(59);
	jobs[1].exit_code = 10;
	jobs[1].last_success_ns = NOW - NS(3600);
	jobs[1].runs_total = 9;
	jobs[1].failures_total = 2;
	/* a name with the characters the format escapes */
	snprintf(jobs[2].job, sizeof(jobs[2].job), "odd\"job\\x");
	jobs[2].start_ns = NOW - NS(10);
	jobs[2].end_ns = NOW - NS(10);
	jobs[2].exit_code = 2;
}

static void make_sites(struct metrics_site *sites)
{
	memset(sites, 0, 3 * sizeof(*sites));
	snprintf(sites[0].name, sizeof(sites[0].name), "primary");
	sites[0].newest_ns = NOW - NS(300) - 250000000; /* 300.25 s before now */
	sites[0].rpo_ns = -1;
	sites[0].pending = sites[0].objects = sites[0].bytes = -1;
	sites[0].lag_objects = sites[0].lag_bytes = -1;
	snprintf(sites[1].name, sizeof(sites[1].name), "dr");
	sites[1].is_replica = 1;
	sites[1].newest_ns = NOW - NS(7200);
	sites[1].rpo_ns = NS(3600);
	sites[1].pending = 2;
	sites[1].objects = 10;
	sites[1].bytes = 1000;
	sites[1].lag_objects = 5;
	sites[1].lag_bytes = 123456;
	snprintf(sites[2].name, sizeof(sites[2].name), "usb");
	sites[2].is_replica = 1;
	sites[2].newest_ns = 0; /* nothing there yet */
	sites[2].rpo_ns = -1;
	sites[2].pending = 7;
	sites[2].objects = 0;
	sites[2].bytes = 0;
	sites[2].lag_objects = 9;
	sites[2].lag_bytes = 0;
}

static void test_write_and_parse(void **state)
{
	char *dir = cairn_test_mkdtemp("metrics"), path[4200];
	struct job_report jobs[3];
	struct metrics_site sites[3];
	struct parsed *ps = malloc(sizeof(*ps));
	struct stat st;

	(void)state;
	assert_non_null(ps);
	make_jobs(jobs);
	make_sites(sites);
	snprintf(path, sizeof(path), "%s/cairn.prom", dir);
	assert_int_equal(metrics_write(path, jobs, 3, sites, 3, NOW), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	parse_file(path, ps);

	/* jobs */
	assert_float_equal(value_of(ps, "cairn_job_last_run_timestamp_seconds", "backup:home"), 1799999400.0, 1e-3);
	assert_float_equal(value_of(ps, "cairn_job_last_duration_seconds", "backup:home"), 12.345, 1e-9);
	assert_float_equal(value_of(ps, "cairn_job_last_success_timestamp_seconds", "backup:home"), 1799999412.345,
			   1e-3);
	assert_float_equal(value_of(ps, "cairn_job_last_exit_code", "backup:home"), 0, 0);
	assert_float_equal(value_of(ps, "cairn_job_last_files", "backup:home"), 1200, 0);
	assert_float_equal(value_of(ps, "cairn_job_last_read_bytes", "backup:home"), 1073741824.0, 0);
	assert_float_equal(value_of(ps, "cairn_job_last_added_bytes", "backup:home"), 0, 0);
	assert_float_equal(value_of(ps, "cairn_job_last_requests", "backup:home"), 42, 0);
	assert_float_equal(value_of(ps, "cairn_job_runs_total", "backup:home"), 5, 0);
	assert_float_equal(value_of(ps, "cairn_job_last_exit_code", "replicate:dr"), 10, 0);
	assert_float_equal(value_of(ps, "cairn_job_last_success_timestamp_seconds", "replicate:dr"), 1799996400.0,
			   1e-3);
	assert_float_equal(value_of(ps, "cairn_job_failures_total", "replicate:dr"), 2, 0);
	assert_float_equal(value_of(ps, "cairn_job_last_duration_seconds", "replicate:dr"), 1.0, 1e-9);
	assert_float_equal(value_of(ps, "cairn_job_last_success_timestamp_seconds", "odd\"job\\x"), 0, 0);
	assert_float_equal(value_of(ps, "cairn_job_last_exit_code", "odd\"job\\x"), 2, 0);
	assert_string_equal(find(ps, "cairn_job_last_exit_code", "replicate:dr")->label, "job");
	/* only counters that were reported */
	assert_null(find(ps, "cairn_job_last_files", "replicate:dr"));
	assert_false(has_family(ps, "cairn_job_last_freed_bytes"));
	assert_false(has_family(ps, "cairn_job_last_retries"));

	/* sites */
	assert_string_equal(find(ps, "cairn_site_newest_snapshot_timestamp_seconds", "dr")->label, "site");
	assert_float_equal(value_of(ps, "cairn_site_newest_snapshot_timestamp_seconds", "primary"), 1799999699.75,
			   1e-3);
	assert_float_equal(value_of(ps, "cairn_site_rpo_exposure_seconds", "primary"), 300.25, 1e-9);
	assert_null(find(ps, "cairn_site_rpo_target_seconds", "primary"));
	assert_null(find(ps, "cairn_site_snapshots_pending", "primary"));
	assert_null(find(ps, "cairn_site_objects", "primary"));
	assert_float_equal(value_of(ps, "cairn_site_rpo_exposure_seconds", "dr"), 7200, 0);
	assert_float_equal(value_of(ps, "cairn_site_rpo_target_seconds", "dr"), 3600, 0);
	assert_float_equal(value_of(ps, "cairn_site_snapshots_pending", "dr"), 2, 0);
	assert_float_equal(value_of(ps, "cairn_site_objects", "dr"), 10, 0);
	assert_float_equal(value_of(ps, "cairn_site_lag_objects", "dr"), 5, 0);
	assert_float_equal(value_of(ps, "cairn_site_lag_bytes", "dr"), 123456, 0);
	assert_null(find(ps, "cairn_site_lag_objects", "primary"));
	assert_float_equal(value_of(ps, "cairn_site_bytes", "dr"), 1000, 0);
	assert_float_equal(value_of(ps, "cairn_site_newest_snapshot_timestamp_seconds", "usb"), 0, 0);
	assert_null(find(ps, "cairn_site_rpo_exposure_seconds", "usb"));
	assert_float_equal(value_of(ps, "cairn_site_snapshots_pending", "usb"), 7, 0);
	assert_float_equal(value_of(ps, "cairn_metrics_timestamp_seconds", ""), 1800000000.0, 0);
	assert_string_equal(find(ps, "cairn_metrics_timestamp_seconds", "")->label, "");

	/* every family named with the prefix, counters typed as such */
	for (int i = 0; i < ps->nfamilies; i++) {
		assert_int_equal(strncmp(ps->families[i].name, "cairn_", 6), 0);
		if (strcmp(ps->families[i].name, "cairn_job_runs_total") == 0)
			assert_string_equal(ps->families[i].type, "counter");
	}
	free(ps);
	cairn_test_rmtree(dir);
	free(dir);
}

static void test_nothing_yet(void **state)
{
	char *dir = cairn_test_mkdtemp("metrics_empty"), path[4200];
	struct parsed *ps = malloc(sizeof(*ps));

	(void)state;
	assert_non_null(ps);
	snprintf(path, sizeof(path), "%s/cairn.prom", dir);
	assert_int_equal(metrics_write(path, NULL, 0, NULL, 0, NOW), 0);
	parse_file(path, ps);
	assert_int_equal(ps->nfamilies, 1);
	assert_int_equal(ps->nsamples, 1);
	/* a directory that does not exist */
	snprintf(path, sizeof(path), "%s/nosuch/cairn.prom", dir);
	assert_int_equal(metrics_write(path, NULL, 0, NULL, 0, NOW), CAIRN_EIO);
	free(ps);
	cairn_test_rmtree(dir);
	free(dir);
}

static void test_escape(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(metrics_escape_label("a\"b\\c\nd", out, sizeof(out)), 0);
	assert_string_equal(out, "a\\\"b\\\\c\\nd");
	assert_int_equal(metrics_escape_label("", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(metrics_escape_label("0123456789abcde", out, sizeof(out)), 0);
	assert_int_equal(metrics_escape_label("0123456789abcdef", out, sizeof(out)), -1);
	assert_int_equal(metrics_escape_label("0123456789abcd\"", out, sizeof(out)), -1);
}

static void test_sites_save_load(void **state)
{
	char *dir = cairn_test_mkdtemp("metrics_sites"), path[4200];
	struct metrics_site sites[3], *got = NULL;
	size_t n = 99;
	FILE *f;

	(void)state;
	assert_int_equal(metrics_sites_load(&test_ctx, dir, &got, &n), 0); /* nothing saved yet */
	assert_null(got);
	assert_int_equal(n, 0);
	make_sites(sites);
	assert_int_equal(metrics_sites_save(dir, sites, 3), 0);
	assert_int_equal(metrics_sites_load(&test_ctx, dir, &got, &n), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(got[i].name, sites[i].name);
		assert_int_equal(got[i].is_replica, sites[i].is_replica);
		assert_int_equal(got[i].newest_ns, sites[i].newest_ns);
		assert_int_equal(got[i].rpo_ns, sites[i].rpo_ns);
		assert_int_equal(got[i].pending, sites[i].pending);
		assert_int_equal(got[i].objects, sites[i].objects);
		assert_int_equal(got[i].bytes, sites[i].bytes);
	}
	free(got);
	/* a damaged file is an error, not garbage in the metrics */
	snprintf(path, sizeof(path), "%s/jobs/.sites.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"version\": 1, \"sites\": [{\"site\": \"a b\"}]}", f);
	fclose(f);
	got = NULL;
	assert_int_equal(metrics_sites_load(&test_ctx, dir, &got, &n), CAIRN_EFORMAT);
	assert_null(got);
	cairn_test_rmtree(dir);
	free(dir);
}

/* Drill rows: the last drill of a site with a status row and of one without (no site metrics for it). */
static void test_drills_rendered(void **state)
{
	char *dir = cairn_test_mkdtemp("metrics_drills"), path[4200];
	struct metrics_site sites[4];
	struct parsed *ps = malloc(sizeof(*ps));

	(void)state;
	assert_non_null(ps);
	make_sites(sites);
	sites[1].has_drill = 1;
	sites[1].drill.time_ns = NOW - NS(86400);
	sites[1].drill.pass = 1;
	sites[1].drill.recovery_ns = 12300000000LL;
	sites[1].drill.loss_window_ns = NS(7200);
	memset(&sites[3], 0, sizeof(sites[3]));
	snprintf(sites[3].name, sizeof(sites[3].name), "offsite");
	sites[3].status_unknown = 1;
	sites[3].rpo_ns = sites[3].pending = sites[3].objects = sites[3].bytes = -1;
	sites[3].has_drill = 1;
	sites[3].drill.time_ns = NOW - NS(60);
	sites[3].drill.pass = 0;
	sites[3].drill.recovery_ns = -1; /* not measured: the restore never started */
	sites[3].drill.loss_window_ns = -1;
	snprintf(path, sizeof(path), "%s/cairn.prom", dir);
	assert_int_equal(metrics_write(path, NULL, 0, sites, 4, NOW), 0);
	parse_file(path, ps);
	assert_float_equal(value_of(ps, "cairn_drill_last_timestamp_seconds", "dr"), 1799913600.0, 1e-3);
	assert_float_equal(value_of(ps, "cairn_drill_last_success", "dr"), 1, 0);
	assert_float_equal(value_of(ps, "cairn_drill_last_recovery_seconds", "dr"), 12.3, 1e-9);
	assert_float_equal(value_of(ps, "cairn_drill_last_loss_window_seconds", "dr"), 7200, 0);
	assert_string_equal(find(ps, "cairn_drill_last_success", "dr")->label, "site");
	assert_float_equal(value_of(ps, "cairn_drill_last_success", "offsite"), 0, 0);
	assert_float_equal(value_of(ps, "cairn_drill_last_timestamp_seconds", "offsite"), 1799999940.0, 1e-3);
	assert_null(find(ps, "cairn_drill_last_recovery_seconds", "offsite"));
	assert_null(find(ps, "cairn_drill_last_loss_window_seconds", "offsite"));
	/* sites without a drill have no drill sample; a drill-only site no site sample */
	assert_null(find(ps, "cairn_drill_last_success", "primary"));
	assert_null(find(ps, "cairn_drill_last_success", "usb"));
	assert_null(find(ps, "cairn_site_newest_snapshot_timestamp_seconds", "offsite"));
	assert_non_null(find(ps, "cairn_site_newest_snapshot_timestamp_seconds", "usb"));
	/* no drill at all: no drill family */
	make_sites(sites);
	assert_int_equal(metrics_write(path, NULL, 0, sites, 3, NOW), 0);
	parse_file(path, ps);
	assert_false(has_family(ps, "cairn_drill_last_success"));
	assert_false(has_family(ps, "cairn_drill_last_timestamp_seconds"));
	free(ps);
	cairn_test_rmtree(dir);
	free(dir);
}

/* metrics_sites_load attaches each site's last drill from <state>/drills/<site>.jsonl. */
static void test_sites_load_drills(void **state)
{
	char *dir = cairn_test_mkdtemp("metrics_sites_drills"), path[4200];
	struct metrics_site sites[3], *got = NULL;
	size_t n = 0;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/drills", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/drills/usb.jsonl", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"time_ns\": 1000000000, \"result\": \"fail\", \"recovery_ns\": 5}\n", f);
	fputs("{\"time_ns\": 2000000000, \"result\": \"pass\", \"recovery_ns\": 7, \"loss_window_ns\": 9}\n", f);
	fputs("not json\n", f);
	fclose(f);
	/* no saved rows yet: the drill still has a row of its own */
	assert_int_equal(metrics_sites_load(&test_ctx, dir, &got, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(got[0].name, "usb");
	assert_true(got[0].status_unknown);
	assert_true(got[0].has_drill);
	assert_true(got[0].drill.pass);
	assert_int_equal(got[0].drill.time_ns, 2000000000LL);
	assert_int_equal(got[0].drill.recovery_ns, 7);
	assert_int_equal(got[0].drill.loss_window_ns, 9);
	free(got);
	/* with saved rows: attached to the site's row, a new row for a site not in them */
	snprintf(path, sizeof(path), "%s/drills/offsite.jsonl", dir);
	f = fopen(path, "w");
	fputs("{\"time_ns\": 3000000000, \"result\": \"fail\"}\n", f);
	fclose(f);
	make_sites(sites);
	assert_int_equal(metrics_sites_save(dir, sites, 3), 0);
	assert_int_equal(metrics_sites_load(&test_ctx, dir, &got, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(got[0].name, "primary");
	assert_false(got[0].has_drill);
	assert_string_equal(got[2].name, "usb");
	assert_false(got[2].status_unknown);
	assert_true(got[2].has_drill);
	assert_int_equal(got[2].pending, 7);
	assert_string_equal(got[3].name, "offsite");
	assert_true(got[3].status_unknown);
	assert_false(got[3].drill.pass);
	assert_int_equal(got[3].drill.recovery_ns, -1);
	free(got);
	cairn_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_and_parse),
		cmocka_unit_test(test_nothing_yet),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_sites_save_load),
		cmocka_unit_test(test_drills_rendered),
		cmocka_unit_test(test_sites_load_drills),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
