/* The benchmark's report: medians over the runs, as a table or JSON. */
#include "stage.h"

#include "cairn/err.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stage_stat stage_stat_of(const double *v, size_t n)
{
	struct stage_stat s = { 0 };
	double *w = cairn_calloc(n ? n : 1, sizeof(double));

	if (w == NULL || n == 0) {
		free(w);
		return s;
	}
	memcpy(w, v, n * sizeof(double));
	qsort(w, n, sizeof(double), cmp_double);
	s.min = w[0];
	s.max = w[n - 1];
	s.med = n % 2 ? w[n / 2] : (w[n / 2 - 1] + w[n / 2]) / 2;
	free(w);
	return s;
}

/* What is summarised of one measurement. */
enum metric { M_CPU_GB, M_USER_GB, M_SYS_GB, M_WALL_GB, M_MBS_WALL, M_MBS_CPU, M_COUNT };

static double metric(const struct stage_acc *a, double per_gb_of, enum metric m)
{
	double gb = per_gb_of / 1e9, cpu = stage_acc_cpu(a);

	switch (m) {
	case M_CPU_GB:
		return cpu / gb;
	case M_USER_GB:
		return a->user / gb;
	case M_SYS_GB:
		return a->sys / gb;
	case M_WALL_GB:
		return a->wall / gb;
	case M_MBS_WALL:
		return a->wall > 0 ? (double)a->bytes / 1e6 / a->wall : 0;
	case M_MBS_CPU:
		return cpu > 0 ? (double)a->bytes / 1e6 / cpu : 0;
	default:
		return 0;
	}
}

/* A stage's metrics over the runs; `which`: a stage, or -1 for the fused
 * threads, or -2 - i for primitive i (per GB of its own input). */
static struct stage_stat summary(const struct stage_report *r, int which, enum metric m)
{
	double v[64];
	size_t n = r->nruns < 64 ? r->nruns : 64;

	for (size_t i = 0; i < n; i++) {
		const struct stage_run *run = &r->runs[i];

		if (which >= 0)
			v[i] = metric(&run->acc[which], (double)r->bytes, m);
		else if (which == -1)
			v[i] = metric(&run->threads, (double)r->bytes, m);
		else
			v[i] = metric(&run->prims[-2 - which].acc, (double)run->prims[-2 - which].acc.bytes, m);
	}
	return stage_stat_of(v, n);
}

/* The stages whose sum the fused path does (storage id is inside pack). */
static const enum stage_id parts[] = { STAGE_CHUNK, STAGE_ID, STAGE_COMPRESS, STAGE_SEAL, STAGE_PACK };

static double parts_sum(const struct stage_report *r)
{
	double sum = 0;

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		sum += summary(r, (int)parts[i], M_CPU_GB).med;
	return sum;
}

static int has_write(const struct stage_report *r)
{
	return r->nruns > 0 && r->runs[0].acc[STAGE_WRITE].bytes > 0;
}

/* CPU s per GB of the whole path: read (when measured) + fused + write (when measured). */
static double limit_of(const struct stage_report *r)
{
	return summary(r, STAGE_FUSED, M_CPU_GB).med + (r->has_read ? summary(r, STAGE_READ, M_CPU_GB).med : 0) +
	       (has_write(r) ? summary(r, STAGE_WRITE, M_CPU_GB).med : 0);
}

int stage_report_text(FILE *f, const struct stage_report *r)
{
	double gb = (double)r->bytes / 1e9, limit1, fused, sum;

	fprintf(f, "input: %s: %.3f GB in %zu files; chunker %u/%u/%u, pack target %u, zstd level %d\n", r->input,
		gb, r->files, r->chunker.min, r->chunker.avg, r->chunker.max, r->pack_target, r->level);
	fprintf(f, "fused path: %llu chunks, %llu packs per run; %zu runs, single thread unless said; cpu flags: %s\n",
		(unsigned long long)r->chunks, (unsigned long long)r->packs, r->nruns, r->cpu_flags);
	if (r->check_blobs >= 0)
		fprintf(f, "check: %ld blobs: fused and staged output equal cairn_blob_encode's, packs decode\n",
			r->check_blobs);
	fprintf(f, "\n%-11s %9s %9s %9s %24s %8s %8s\n", "stage", "MB/s", "MB/s", "own", "CPU s per GB of input", "user",
		"sys");
	fprintf(f, "%-11s %9s %9s %9s %24s %8s %8s\n", "", "(wall)", "(CPU)", "MB", "median [min-max]", "s/GB", "s/GB");
	for (int s = 0; s < STAGE_COUNT; s++) {
		struct stage_stat cpu = summary(r, s, M_CPU_GB);

		if ((s == STAGE_READ && !r->has_read) || (s == STAGE_WRITE && r->runs[0].acc[s].bytes == 0))
			continue;
		if (cpu.med < 0.01) { /* nothing measurable (files under the chunker's minimum are not scanned) */
			fprintf(f, "%-11s %9s %9s %9.0f %8.3f [%6.3f-%6.3f]\n", stage_name((enum stage_id)s), "-", "-",
				(double)r->runs[0].acc[s].bytes / 1e6, cpu.med, cpu.min, cpu.max);
			continue;
		}
		fprintf(f, "%-11s %9.0f %9.0f %9.0f %8.3f [%6.3f-%6.3f] %8.3f %8.3f\n", stage_name((enum stage_id)s),
			summary(r, s, M_MBS_WALL).med, summary(r, s, M_MBS_CPU).med,
			(double)r->runs[0].acc[s].bytes / 1e6, cpu.med, cpu.min, cpu.max, summary(r, s, M_USER_GB).med,
			summary(r, s, M_SYS_GB).med);
	}
	sum = parts_sum(r);
	fused = summary(r, STAGE_FUSED, M_CPU_GB).med;
	fprintf(f, "\nsum of stages chunk+id+compress+seal+pack: %.3f CPU s/GB; fused: %.3f (fused/sum %.2f)\n", sum,
		fused, sum > 0 ? fused / sum : 0);
	limit1 = limit_of(r);
	fprintf(f, "data path limit (%sfused%s): %.3f CPU s/GB = %.0f MB/s on one core\n", r->has_read ? "read + " : "",
		has_write(r) ? " + write" : "", limit1, limit1 > 0 ? 1e3 / limit1 : 0);
	if (r->threads > 0) {
		struct stage_stat w = summary(r, -1, M_WALL_GB), c = summary(r, -1, M_CPU_GB);

		fprintf(f, "fused on %d threads: %.3f wall s/GB [%.3f-%.3f] = %.0f MB/s, %.3f CPU s/GB (%.2fx one thread)\n",
			r->threads, w.med, w.min, w.max, w.med > 0 ? 1e3 / w.med : 0, c.med,
			w.med > 0 ? summary(r, STAGE_FUSED, M_WALL_GB).med / w.med : 0);
	}
	fprintf(f, "limit on 2 cores, that / 2: this input (%.3f GB) at best %.2f s\n", gb, limit1 * gb / 2);
	if (r->nruns > 0 && r->runs[0].nprims > 0) {
		fprintf(f, "\n%-34s %9s %24s %6s  %s\n", "primitive (own input)", "MB/s CPU", "CPU s/GB median [min-max]",
			"ratio", "what");
		for (size_t i = 0; i < r->runs[0].nprims; i++) {
			const struct stage_prim *p = &r->runs[0].prims[i];
			struct stage_stat c;

			if (!p->available) {
				fprintf(f, "%-34s %9s %24s %6s  %s\n", p->name, "-", "not available", "", p->note);
				continue;
			}
			c = summary(r, -2 - (int)i, M_CPU_GB);
			fprintf(f, "%-34s %9.0f %8.3f [%6.3f-%6.3f] %6.3f  %s\n", p->name,
				summary(r, -2 - (int)i, M_MBS_CPU).med, c.med, c.min, c.max, p->ratio, p->note);
		}
	}
	return ferror(f) ? cairn_err(CAIRN_EIO, "cannot write the report") : 0;
}

static json_t *stat_json(struct stage_stat s)
{
	return json_pack("{s:f,s:f,s:f}", "median", s.med, "min", s.min, "max", s.max);
}

/* {cpu_s_per_gb: stat, user/sys/wall medians, MB/s, raw cpu per run} */
static json_t *entry_json(const struct stage_report *r, int which, const char *name)
{
	json_t *o, *raw = json_array();

	for (size_t i = 0; raw != NULL && i < r->nruns; i++) {
		const struct stage_acc *a = which >= 0 ? &r->runs[i].acc[which]
				  : which == -1 ? &r->runs[i].threads : &r->runs[i].prims[-2 - which].acc;

		json_array_append_new(raw, json_pack("{s:f,s:f,s:f,s:f,s:I,s:I}", "cpu", a->cpu, "user", a->user,
						     "sys", a->sys, "wall", a->wall, "bytes", (json_int_t)a->bytes,
						     "items", (json_int_t)a->items));
	}
	o = json_pack("{s:s,s:o,s:f,s:f,s:f,s:f,s:f,s:o}", "name", name, "cpu_s_per_gb", stat_json(summary(r, which, M_CPU_GB)),
		      "user_s_per_gb", summary(r, which, M_USER_GB).med, "sys_s_per_gb", summary(r, which, M_SYS_GB).med,
		      "wall_s_per_gb", summary(r, which, M_WALL_GB).med, "mb_per_s_wall",
		      summary(r, which, M_MBS_WALL).med, "mb_per_s_cpu", summary(r, which, M_MBS_CPU).med, "runs",
		      raw);
	return o;
}

int stage_report_json(FILE *f, const struct stage_report *r)
{
	json_t *root, *stages = json_array(), *prims = json_array();
	double limit1 = limit_of(r);
	int rc = 0;

	for (int s = 0; stages != NULL && s < STAGE_COUNT; s++)
		if ((s != STAGE_READ || r->has_read) && (s != STAGE_WRITE || r->runs[0].acc[s].bytes > 0))
			json_array_append_new(stages, entry_json(r, s, stage_name((enum stage_id)s)));
	for (size_t i = 0; prims != NULL && r->nruns > 0 && i < r->runs[0].nprims; i++) {
		const struct stage_prim *p = &r->runs[0].prims[i];
		json_t *e = p->available ? entry_json(r, -2 - (int)i, p->name) : json_pack("{s:s}", "name", p->name);

		json_object_set_new(e, "note", json_string(p->note));
		json_object_set_new(e, "available", json_boolean(p->available));
		if (p->ratio > 0)
			json_object_set_new(e, "ratio", json_real(p->ratio));
		json_array_append_new(prims, e);
	}
	root = json_pack("{s:s,s:I,s:I,s:i,s:{s:i,s:i,s:i},s:i,s:I,s:I,s:I,s:s,s:o,s:o,s:f,s:f,s:f}", "input",
			 r->input, "bytes", (json_int_t)r->bytes, "files", (json_int_t)r->files, "runs", (int)r->nruns,
			 "chunker", "min", (int)r->chunker.min, "avg", (int)r->chunker.avg, "max", (int)r->chunker.max,
			 "zstd_level", r->level, "pack_target", (json_int_t)r->pack_target, "chunks",
			 (json_int_t)r->chunks, "packs", (json_int_t)r->packs, "cpu_flags", r->cpu_flags, "stages",
			 stages, "primitives", prims, "sum_of_stages_cpu_s_per_gb", parts_sum(r),
			 "limit_cpu_s_per_gb", limit1, "limit_2_cores_s", limit1 * (double)r->bytes / 1e9 / 2);
	if (root == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot build the JSON report");
	if (r->threads > 0)
		json_object_set_new(root, "fused_threads",
				    json_pack("{s:i,s:o}", "threads", r->threads, "measure",
					      entry_json(r, -1, "fused_threads")));
	if (r->check_blobs >= 0)
		json_object_set_new(root, "check_blobs", json_integer(r->check_blobs));
	if (json_dumpf(root, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER) < 0 || fputc('\n', f) == EOF)
		rc = cairn_err(CAIRN_EIO, "cannot write the JSON report");
	json_decref(root);
	return rc;
}
