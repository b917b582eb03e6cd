/* --read-data: choose the packs (all, or a seeded random share), read them
 * on reader threads a batch at a time, and record what they found. */
#include "check_data.h"
#include "repo/workpool.h"

#include "cairn/err.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Packs in flight per reader: a batch is read, then recorded. */
#define JOBS_PER_READER 4

struct data_run {
	struct check_run *c;
	struct cairn_workpool *pool; /* NULL with one reader */
	struct check_reader *readers;
	struct check_job *jobs;
	size_t njobs, batch;
	uint64_t total, want, seen, chosen; /* selection sampling */
	uint64_t rng;
};

/* splitmix64: a small, well-mixed generator; the same seed chooses the same packs. */
static uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Choose exactly `want` of `total` packs, each subset equally likely
 * (Knuth's selection sampling), in one pass over the packs in id order. */
static int chosen(struct data_run *d)
{
	uint64_t left = d->total - d->seen, need = d->want - d->chosen;
	double u = (double)(rng_next(&d->rng) >> 11) / 9007199254740992.0; /* [0, 1) */

	d->seen++;
	if (need == 0 || u * (double)left >= (double)need)
		return 0;
	d->chosen++;
	return 1;
}

static void read_job(void *job, int worker, void *ctx)
{
	struct data_run *d = ctx;

	check_job_run(cairn_repo_keys(d->c->r), cairn_repo_store(d->c->r), &d->readers[worker], job);
}

static int stash_trees(struct check_run *c, const struct cairn_buf *trees)
{
	struct cairn_rd rd = cairn_rd_init(trees->data, trees->len);
	int rc = 0;

	while (rc == 0 && cairn_rd_left(&rd) > 0) {
		const uint8_t *id = cairn_rd_bytes(&rd, CAIRN_ID_BYTES);
		uint32_t len = cairn_rd_u32le(&rd);
		const uint8_t *data = cairn_rd_bytes(&rd, len);

		if (rd.bad)
			return cairn_err(CAIRN_EBUG, "check: malformed list of trees read");
		rc = check_db_stash_put(c->db, id, data, len);
	}
	return rc;
}

/* Mark the job's bad blobs. Those of an orphan only count when no index
 * object lists another copy (a restore never reads an orphan's copy). */
static int mark_bad(struct check_run *c, const struct check_job *job, int64_t no)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < job->nbad; i++) {
		struct cairn_blob_loc loc;
		int from_index = 0;

		if (job->nindex == 0) {
			rc = check_db_loc_get(c->db, job->bad[i].id, job->bad[i].type, &loc, &from_index);
			if (rc == CAIRN_ENOTFOUND)
				rc = 0;
			if (rc < 0 || from_index)
				continue;
		}
		rc = check_db_bad_add(c->db, job->bad[i].id, job->bad[i].type, no);
	}
	return rc;
}

static int record(struct check_run *c, struct check_job *job)
{
	int64_t no;
	int rc;

	c->st.packs_read++;
	c->st.bytes_read += job->bytes_read;
	c->st.blobs_read += job->blobs_ok;
	if (job->rc < 0)
		return cairn_err(job->rc, "%s", job->err);
	if (job->missing) {
		if (job->nindex == 0)
			return 0; /* an orphan deleted since the listing */
		rc = check_report(c, CAIRN_EVENT_MISSING_PACK, CAIRN_EVENT_OBJECT_PACK, job->id, job->name, &no,
				  "missing: deleted during the check");
		return rc < 0 ? rc : check_db_bad_pack(c->db, job->id, 0, no);
	}
	if (job->msg.len > 0) {
		rc = check_report(c, job->code, CAIRN_EVENT_OBJECT_PACK, job->id, job->name, &no, "%s%s",
				  job->nindex == 0 ? "not listed by any index object; " : "", (const char *)job->msg.data);
		if (rc == 0)
			rc = mark_bad(c, job, no);
		if (rc < 0)
			return rc;
	}
	return stash_trees(c, &job->trees);
}

/* Read the batch, then record it in order. */
static int flush(struct data_run *d)
{
	int rc = 0;

	for (size_t i = 0; i < d->njobs; i++) {
		if (d->pool != NULL)
			cairn_workpool_submit(d->pool, &d->jobs[i]);
		else
			read_job(&d->jobs[i], 0, d);
	}
	if (d->pool != NULL)
		cairn_workpool_drain(d->pool);
	for (size_t i = 0; i < d->njobs; i++) {
		if (rc == 0)
			rc = record(d->c, &d->jobs[i]);
		check_job_clear(&d->jobs[i]);
	}
	d->njobs = 0;
	check_progress(d->c, 0);
	return rc;
}

static int queue_pack(void *ctx, const struct check_pack_row *row)
{
	struct data_run *d = ctx;
	struct check_job *job;
	int rc;

	if (!chosen(d))
		return 0;
	job = &d->jobs[d->njobs];
	memcpy(job->id, row->id, CAIRN_ID_BYTES);
	cairn_repo_pack_name(row->id, job->name);
	job->size = row->size;
	job->window = d->c->window;
	rc = check_db_pack_locs(d->c->db, row->id, &job->index, &job->nindex);
	if (rc < 0)
		return rc;
	if (++d->njobs == d->batch)
		return flush(d);
	return 0;
}

static int setup(struct data_run *d, struct check_run *c)
{
	double want = ceil((double)c->st.packs * c->o->read_data_percent / 100.0);

	d->c = c;
	d->total = c->st.packs;
	d->want = want < 1 ? 1 : want > (double)d->total ? d->total : (uint64_t)want;
	d->rng = c->st.seed;
	c->st.packs_to_read = d->total > 0 ? d->want : 0;
	d->batch = (size_t)c->threads * JOBS_PER_READER;
	d->readers = cairn_calloc((size_t)c->threads, sizeof(*d->readers));
	d->jobs = cairn_calloc(d->batch, sizeof(*d->jobs));
	if (d->readers == NULL || d->jobs == NULL)
		return cairn_err(CAIRN_ENOMEM, "check: out of memory");
	if (c->threads > 1)
		return cairn_workpool_new(c->threads, d->batch, read_job, d, &d->pool);
	return 0;
}

int check_packs_read(struct check_run *c)
{
	struct data_run d = { 0 };
	int rc;

	rc = setup(&d, c);
	if (rc == 0 && d.total > 0)
		rc = check_pack_pages(c, queue_pack, &d);
	if (rc == 0)
		rc = flush(&d);
	for (size_t i = 0; i < d.njobs; i++)
		check_job_clear(&d.jobs[i]);
	cairn_workpool_free(d.pool);
	for (int i = 0; d.readers != NULL && i < c->threads; i++)
		check_reader_clear(&d.readers[i]);
	free(d.readers);
	free(d.jobs);
	return rc;
}
