/* Fuzz target: the files the programs read back from their state directory
 * and put into status output and the metrics file - a job record
 * (<state>/jobs/<job>.json, programs/job_report.c) and the saved site rows
 * (<state>/jobs/.sites.json, programs/metrics.c). The first byte picks the
 * file; the rest is written there, read back and rendered as metrics. */
#include "harness.h"

#include "cairn/err.h"
#include "cli.h"
#include "job_report.h"
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where the messages of the code under test go (no job report). */
static const struct cli_ctx test_ctx = { .program = "fuzz_state_files" };

#define NOW_NS 1764590400000000000LL

static char dir[64];     /* fuzzing harness only: a private state directory, made once */
static char jobs[96], job_file[128], sites_file[128];

static void cleanup(void)
{
	unlink(job_file);
	unlink(sites_file);
	rmdir(jobs);
	rmdir(dir);
}

static void write_file(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || (size > 0 && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct job_report rep;
	struct metrics_site *rows = NULL;
	size_t n = 0;
	FILE *out;

	if (size < 1)
		return 0;
	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/cairn-fuzz-state-XXXXXX");
		if (mkdtemp(dir) == NULL)
			abort();
		snprintf(jobs, sizeof(jobs), "%s/jobs", dir);
		snprintf(job_file, sizeof(job_file), "%s/fuzz.json", jobs);
		snprintf(sites_file, sizeof(sites_file), "%s/.sites.json", jobs);
		if (mkdir(jobs, 0700) != 0)
			abort();
		atexit(cleanup);
	}
	out = fopen("/dev/null", "w");
	if (out == NULL)
		abort();
	if (data[0] & 1) {
		write_file(job_file, data + 1, size - 1);
		if (job_report_read(dir, "fuzz", &rep) == 0) {
			if (strcmp(rep.job, "fuzz") != 0 || rep.exit_code < 0 || rep.exit_code > 255 ||
			    strnlen(rep.message, sizeof(rep.message)) >= sizeof(rep.message))
				__builtin_trap();
			(void)metrics_render(out, &rep, 1, NULL, 0, NOW_NS);
		}
	} else {
		write_file(sites_file, data + 1, size - 1);
		if (metrics_sites_load(&test_ctx, dir, &rows, &n) == 0) {
			if ((rows == NULL) != (n == 0))
				__builtin_trap();
			(void)metrics_render(out, NULL, 0, rows, n, NOW_NS);
			free(rows);
		}
	}
	fclose(out);
	cairn_err_clear();
	return 0;
}
