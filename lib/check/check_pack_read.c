/* Reading one pack whole for a check: sequentially, in windows, hashing
 * every byte; its header compared with the index entries; every blob
 * opened, decompressed and its id recomputed. */
#include "check_data.h"

#include "cairn/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_MAX 300

/* One read of a pack. */
struct pack_read {
	const struct cairn_keys *keys;
	struct cairn_store *store;
	struct check_reader *rd;
	struct check_job *job;
	struct cairn_sha256 sha;
	uint64_t base;       /* pack offset of rd->win.data[0] */
	uint64_t pos;        /* next byte to fetch */
	char header_err[FIRST_MAX];
	uint64_t nfailed, nmismatch, nblobs;
	char first_fail[FIRST_MAX], first_mismatch[FIRST_MAX];
};

static void msg_add(struct check_job *job, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void msg_add(struct check_job *job, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (job->msg.len > 0)
		(void)cairn_buf_append(&job->msg, "; ", 2);
	(void)cairn_buf_append(&job->msg, text, strlen(text) + 1);
	job->msg.len--; /* keep the NUL out of the length, in the buffer */
}

static int bad_add(struct check_job *job, const struct cairn_blob_loc *loc)
{
	if (job->nbad == job->capbad) {
		size_t cap = job->capbad ? 2 * job->capbad : 16;
		void *p = cairn_reallocarray(job->bad, cap, sizeof(*job->bad));

		if (p == NULL)
			return cairn_err(CAIRN_ENOMEM, "check: out of memory");
		job->bad = p;
		job->capbad = cap;
	}
	memcpy(job->bad[job->nbad].id, loc->id, CAIRN_ID_BYTES);
	job->bad[job->nbad++].type = loc->type;
	return 0;
}

static const char *type_name(uint8_t type)
{
	return type == CAIRN_BLOB_TREE ? "tree" : "data";
}

/* Append [pos, pos + len) of the pack to the window and hash it. */
static int fetch(struct pack_read *p, uint64_t len)
{
	struct cairn_buf *win = &p->rd->win;
	size_t start = win->len;
	int rc = cairn_store_get(p->store, p->job->name, p->pos, len, win);

	if (rc < 0)
		return rc;
	p->job->bytes_read += win->len - start;
	if (win->len - start != len)
		return cairn_err(CAIRN_ECORRUPT, "short read of %zu bytes at offset %llu instead of %llu",
				 win->len - start, (unsigned long long)p->pos, (unsigned long long)len);
	cairn_sha256_update(&p->sha, win->data + start, len);
	p->pos += len;
	return 0;
}

/* The next window: a rest of up to 1.5 windows is read in one go. */
static uint64_t next_len(const struct pack_read *p)
{
	uint64_t rest = p->job->size - p->pos, w = p->job->window;

	return rest <= w + w / 2 ? rest : w;
}

/* Forget the bytes before pack offset `off`. */
static void drop_before(struct pack_read *p, uint64_t off)
{
	struct cairn_buf *win = &p->rd->win;
	size_t k;

	if (off <= p->base)
		return;
	k = off - p->base < win->len ? (size_t)(off - p->base) : win->len;
	memmove(win->data, win->data + k, win->len - k);
	win->len -= k;
	p->base += k;
}

/* Make [off, off + len) of the pack be in the window. Bytes before `off`
 * are dropped only to make room for a fetch: a pack read in one request is
 * never moved. */
static int need(struct pack_read *p, uint64_t off, uint64_t len)
{
	int rc = 0;

	while (rc == 0 && p->base + p->rd->win.len < off + len) {
		drop_before(p, off);
		rc = fetch(p, next_len(p));
	}
	return rc;
}

static int keep_tree(struct check_job *job, const struct cairn_blob_loc *loc, const struct cairn_buf *plain)
{
	int rc = cairn_buf_append(&job->trees, loc->id, CAIRN_ID_BYTES);

	if (rc == 0)
		rc = cairn_buf_put_u32le(&job->trees, (uint32_t)plain->len);
	if (rc == 0)
		rc = cairn_buf_append(&job->trees, plain->data, plain->len);
	return rc;
}

static int verify_blob(struct pack_read *p, const struct cairn_blob_loc *loc)
{
	struct check_reader *rd = p->rd;
	int rc;

	p->nblobs++;
	if (loc->offset + loc->length > p->job->size) {
		p->nfailed++;
		if (p->first_fail[0] == '\0')
			snprintf(p->first_fail, sizeof(p->first_fail), "%s blob at offset %llu lies past the end",
				 type_name(loc->type), (unsigned long long)loc->offset);
		return bad_add(p->job, loc);
	}
	rc = need(p, loc->offset, loc->length);
	if (rc < 0)
		return rc;
	if (rd->z == NULL && (rc = cairn_zctx_new(CAIRN_ZSTD_LEVEL_DEFAULT, &rd->z)) < 0)
		return rc;
	cairn_buf_reset(&rd->out);
	rc = cairn_blob_decode(p->keys, rd->z, loc->type, loc->id, rd->win.data + (loc->offset - p->base), loc->length,
			       loc->raw_length, &rd->out);
	if (rc == CAIRN_ECORRUPT) {
		p->nfailed++;
		if (p->first_fail[0] == '\0')
			snprintf(p->first_fail, sizeof(p->first_fail), "at offset %llu: %s",
				 (unsigned long long)loc->offset, cairn_err_msg());
		return bad_add(p->job, loc);
	}
	if (rc < 0)
		return rc;
	p->job->blobs_ok++;
	return loc->type == CAIRN_BLOB_TREE ? keep_tree(p->job, loc, &rd->out) : 0;
}

static int by_offset(const void *a, const void *b)
{
	const struct cairn_blob_loc *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Every index entry must be in the header, identical. */
static int compare_index(struct pack_read *p, const struct cairn_blob_loc *hdr, size_t nhdr)
{
	const struct check_job *job = p->job;
	char hex[CAIRN_ID_HEX];
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < job->nindex; i++) {
		const struct cairn_blob_loc *want = &job->index[i];
		const struct cairn_blob_loc *got = bsearch(want, hdr, nhdr, sizeof(*hdr), by_offset);

		if (got != NULL && got->type == want->type && got->length == want->length &&
		    got->raw_length == want->raw_length && memcmp(got->id, want->id, CAIRN_ID_BYTES) == 0)
			continue;
		p->nmismatch++;
		if (p->first_mismatch[0] == '\0') {
			cairn_hex_encode(want->id, CAIRN_ID_BYTES, hex);
			snprintf(p->first_mismatch, sizeof(p->first_mismatch), "%s blob %.16s at offset %llu",
				 type_name(want->type), hex, (unsigned long long)want->offset);
		}
		rc = bad_add(p->job, want);
	}
	return rc;
}

/* The header, from the window when the whole pack is in it, else from the end. */
static int read_header(struct pack_read *p, struct cairn_blob_loc **ret, size_t *ret_n)
{
	struct check_job *job = p->job;
	int rc;

	if (p->pos == job->size)
		rc = cairn_pack_read_header(p->keys, job->id, p->rd->win.data, p->rd->win.len, job->size, NULL, ret,
					    ret_n);
	else
		rc = cairn_repo_pack_tail_read(p->store, p->keys, job->id, job->size, CAIRN_REPO_READ_ONCE,
					       &job->bytes_read, ret, ret_n);
	if (rc == CAIRN_ECORRUPT || rc == CAIRN_EINVAL) {
		snprintf(p->header_err, sizeof(p->header_err), "%s", cairn_err_msg());
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	if (rc == 0 && *ret_n > 1)
		qsort(*ret, *ret_n, sizeof(**ret), by_offset);
	return rc;
}

static void describe(struct pack_read *p, const uint8_t digest[CAIRN_ID_BYTES])
{
	struct check_job *job = p->job;
	char hex[CAIRN_ID_HEX];

	if (memcmp(digest, job->id, CAIRN_ID_BYTES) != 0) {
		cairn_hex_encode(digest, CAIRN_ID_BYTES, hex);
		msg_add(job, "SHA-256 mismatch: the content hashes to %.16s…, not to its name", hex);
	}
	if (p->header_err[0] != '\0')
		msg_add(job, "header: %s", p->header_err);
	if (p->nmismatch > 0)
		msg_add(job, "%llu index entr%s not in its header (first: %s)", (unsigned long long)p->nmismatch,
			p->nmismatch == 1 ? "y is" : "ies are", p->first_mismatch);
	if (p->nfailed > 0)
		msg_add(job, "%llu of %llu blobs fail verification (first: %s)", (unsigned long long)p->nfailed,
			(unsigned long long)p->nblobs, p->first_fail);
	/* blobs that fail say what is lost; otherwise the pack as a whole */
	job->code = p->nfailed > 0 ? CAIRN_EVENT_DAMAGED_BLOB : CAIRN_EVENT_DAMAGED_PACK;
}

static int read_once(struct pack_read *p)
{
	struct check_job *job = p->job;
	struct cairn_blob_loc *hdr = NULL;
	const struct cairn_blob_loc *entries;
	uint8_t digest[CAIRN_ID_BYTES];
	size_t nhdr = 0, n;
	int rc;

	cairn_buf_reset(&p->rd->win);
	rc = cairn_sha256_init(&p->sha);
	if (rc < 0)
		return rc;
	if (job->size > 0 && job->size <= job->window + job->window / 2)
		rc = fetch(p, job->size); /* the whole pack: one request */
	if (rc == 0)
		rc = read_header(p, &hdr, &nhdr);
	if (rc == 0 && hdr != NULL)
		rc = compare_index(p, hdr, nhdr);
	/* the header's blobs; when it is damaged, what the index says */
	entries = hdr != NULL ? hdr : job->index;
	n = hdr != NULL ? nhdr : job->nindex;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = verify_blob(p, &entries[i]);
	while (rc == 0 && p->pos < job->size) {
		drop_before(p, p->pos);
		rc = fetch(p, next_len(p));
	}
	free(hdr);
	if (rc < 0) {
		cairn_sha256_abort(&p->sha);
		return rc;
	}
	cairn_sha256_final(&p->sha, digest);
	describe(p, digest);
	return 0;
}

static void reset_output(struct check_job *job)
{
	cairn_buf_reset(&job->msg);
	cairn_buf_reset(&job->trees);
	job->nbad = 0;
	job->blobs_ok = 0;
}

/* One read of the job's pack for the re-read rule: damage found (a
 * message) counts as a corrupt read, so that it is read again. */
struct job_read {
	const struct cairn_keys *keys;
	struct cairn_store *store;
	struct check_reader *rd;
	struct check_job *job;
	int found; /* the last read found damage (in job->msg) */
};

static int job_read_once(void *ctx, unsigned attempt)
{
	struct job_read *j = ctx;
	struct pack_read p = { .keys = j->keys, .store = j->store, .rd = j->rd, .job = j->job };
	int rc;

	(void)attempt;
	reset_output(j->job);
	j->found = 0;
	rc = read_once(&p);
	if (rc == 0 && j->job->msg.len > 0) {
		j->found = 1;
		return cairn_err(CAIRN_ECORRUPT, "%.*s", (int)j->job->msg.len, (const char *)j->job->msg.data);
	}
	return rc;
}

void check_job_run(const struct cairn_keys *keys, struct cairn_store *store, struct check_reader *rd,
		   struct check_job *job)
{
	struct job_read j = { .keys = keys, .store = store, .rd = rd, .job = job };
	int rc = cairn_repo_read_verified(job->name, job_read_once, &j);

	if (rc == CAIRN_ECORRUPT && j.found)
		rc = 0; /* damaged every time it was read: the job's message says how */
	if (rc == CAIRN_ECORRUPT) {
		/* the store could not deliver it whole (a short read): what the
		 * index lists in it is lost as far as anyone can tell */
		reset_output(job);
		msg_add(job, "cannot be read whole: %s", cairn_err_msg());
		job->code = CAIRN_EVENT_DAMAGED_PACK;
		for (size_t i = 0; rc != CAIRN_ENOMEM && i < job->nindex; i++)
			rc = bad_add(job, &job->index[i]);
		rc = rc == CAIRN_ENOMEM ? rc : 0;
	}
	if (rc == CAIRN_ENOTFOUND) {
		reset_output(job);
		job->missing = 1;
	} else if (rc < 0) {
		job->rc = rc;
		snprintf(job->err, sizeof(job->err), "%s: %s", job->name, cairn_err_msg());
	}
	/* the window of a large pack is not kept between packs */
	if (rd->win.cap > 2 * (size_t)job->window + 8 * 1024 * 1024)
		cairn_buf_free(&rd->win);
}

void check_job_clear(struct check_job *job)
{
	free(job->index);
	cairn_buf_free(&job->msg);
	cairn_buf_free(&job->trees);
	free(job->bad);
	memset(job, 0, sizeof(*job));
}

void check_reader_clear(struct check_reader *rd)
{
	cairn_buf_free(&rd->win);
	cairn_buf_free(&rd->out);
	cairn_zctx_free(rd->z);
	memset(rd, 0, sizeof(*rd));
}
