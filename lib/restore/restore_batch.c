/* A worker's batch of files (their blobs located by the walk): each
 * file created in its directory's descriptor (O_EXCL, O_NOFOLLOW), its
 * content read through pack windows (restore_window.h) and written, then
 * its metadata set; the stats counted once per batch. */
#include "restore_internal.h"

#include "cairn/err.h"
#include "cairn/timeutil.h"
#include "repo/repo_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Read blob k of the batch (its id `id`) into buf: from the worker's
 * window, reading a new window when it does not hold the blob; anything
 * irregular (unknown location, window read or verification failing) goes
 * to the blob's own read by the re-read rule, which reports it. */
static int blob_get(struct restore_ctx *c, int worker, const struct file_batch *b, size_t k,
		    const uint8_t id[CAIRN_ID_BYTES], struct cairn_buf *buf, struct cairn_blob_loc *loc)
{
	struct restore_window *w = &c->windows[worker];
	struct cairn_repo *r = c->repo;
	const uint8_t *data;

	if (k < b->nblobs && b->known[k] && r->packcache != NULL) {
		/* remote: the pack cache reads windows (and the plan prefetched them) */
		*loc = b->locs[k];
		return cairn_repo_blob_read_at(r, c->zctx[worker], loc, CAIRN_REPO_READ_CACHED, buf, NULL);
	}
	if (k < b->nblobs && b->known[k]) {
		const struct cairn_blob_loc *l = &b->locs[k];

		if (!restore_window_has(w, l, &data)) {
			char name[CAIRN_PACK_NAME_MAX];
			uint64_t end;

			restore_window_span(l, b->known + k, b->nblobs - k, RESTORE_WINDOW_MAX, RESTORE_WINDOW_GAP, &end);
			cairn_repo_pack_name(l->pack, name);
			cairn_buf_reset(&w->buf);
			memcpy(w->pack, l->pack, CAIRN_ID_BYTES);
			w->start = l->offset;
			w->end = end;
			if (cairn_store_get(r->store, name, w->start, end - w->start, &w->buf) < 0) {
				cairn_err_clear();
				w->end = 0;
			}
		}
		if (restore_window_has(w, l, &data) &&
		    cairn_blob_decode(r->keys, c->zctx[worker], CAIRN_BLOB_DATA, id, data, l->length, l->raw_length,
				      buf) == 0) {
			*loc = *l;
			return 0;
		}
		cairn_err_clear();
		cairn_buf_reset(buf);
		/* read alone, by the re-read rule, which reports what is wrong */
		*loc = *l;
		return cairn_repo_blob_read_at(r, c->zctx[worker], loc, CAIRN_REPO_READ_CACHED, buf, NULL);
	}
	return cairn_repo_blob_read(r, c->zctx[worker], CAIRN_BLOB_DATA, id, buf, loc);
}

/* Create the job's file in the batch's directory (unless the walk did). */
static int job_create(struct restore_ctx *c, const struct file_batch *b, struct file_job *job)
{
	int fd;

	if (job->fd >= 0)
		return job->fd;
	fd = openat(b->dirfd, job->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST && c->opts->overwrite && !b->created && restore_clear_name(b->dirfd, job->name) == 0)
		fd = openat(b->dirfd, job->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		restore_exists_problem(c, job->relpath, "file", errno, b->created);
		return -1;
	}
	if (job->entry.flags & CAIRN_ENTRY_F_UNREADABLE)
		restore_problem(c, CAIRN_EVENT_NOT_RESTORED, job->relpath,
				"the file could not be read when the snapshot was taken: restored empty");
	return fd;
}

/* One file: content, size, metadata; on any failure it is removed. Blobs
 * from *k on are its own in b->locs; *k is advanced past them. Returns the
 * bytes of content written; *created is 1 when the file was created by the worker. */
static uint64_t job_run(struct restore_ctx *c, int worker, const struct file_batch *b, struct file_job *job,
			size_t *k, int *created)
{
	struct cairn_buf *buf = &c->scratch[worker];
	uint64_t off = 0, written_end = 0;
	size_t first = *k;
	int ok = 1, fd;

	*k += job->entry.content_count;
	*created = job->fd < 0;
	fd = job_create(c, b, job);
	if (fd < 0) {
		*created = 0;
		return 0;
	}
	for (size_t i = 0; i < job->entry.content_count; i++) {
		const uint8_t *id = job->entry.content + i * CAIRN_ID_BYTES;
		struct cairn_blob_loc loc;
		int rc;

		memset(&loc, 0, sizeof(loc));
		cairn_buf_reset(buf);
		rc = blob_get(c, worker, b, first + i, id, buf, &loc);
		if (rc < 0) {
			restore_damaged(c, job->relpath, rc, restore_loc_known(&loc) ? &loc : NULL, CAIRN_BLOB_DATA, id);
			ok = 0;
			break;
		}
		if (buf->len > job->entry.size - off) {
			/* checked before writing: a wrong size never costs more than it says */
			restore_problem(c, CAIRN_EVENT_SIZE_MISMATCH, job->relpath,
					"content is at least %llu bytes but the snapshot recorded %llu",
					(unsigned long long)(off + buf->len), (unsigned long long)job->entry.size);
			ok = 0;
			break;
		}
		rc = restore_write_sparse(fd, job->entry.size >= RESTORE_HOLE_BLOCK, buf->data, buf->len, off, &written_end);
		if (rc < 0) {
			restore_problem(c, CAIRN_EVENT_NOT_RESTORED, job->relpath, "cannot write: %s", strerror(-rc));
			ok = 0;
			break;
		}
		off += buf->len;
	}
	if (ok && off != job->entry.size) {
		restore_problem(c, CAIRN_EVENT_SIZE_MISMATCH, job->relpath,
				"content is %llu bytes but the snapshot recorded %llu", (unsigned long long)off,
				(unsigned long long)job->entry.size);
		ok = 0;
	}
	/* a file created empty whose last byte was written has its size */
	if (ok && written_end != off && ftruncate(fd, (off_t)off) < 0) {
		restore_problem(c, CAIRN_EVENT_NOT_RESTORED, job->relpath, "cannot set size: %s", strerror(errno));
		ok = 0;
	}
	if (ok) {
		restore_metadata_as(c, fd, b->dirfd, job->name, job->relpath, &job->entry, job->uid, job->gid);
		if (job->link_slot > 0) {
			pthread_mutex_lock(&c->lock);
			c->links[job->link_slot - 1].ok = 1;
			pthread_mutex_unlock(&c->lock);
		}
	} else {
		unlinkat(b->dirfd, job->name, 0); /* never leave wrong content behind */
	}
	close(fd);
	return off;
}

void restore_batch_worker(void *arg, int worker, void *ctx)
{
	struct file_batch *b = arg;
	struct restore_ctx *c = ctx;
	uint64_t bytes = 0, files = 0;
	size_t k = 0;

	for (size_t i = 0; i < b->count; i++) {
		struct file_job *job = &b->jobs[i];
		int created;
		uint64_t n = job_run(c, worker, b, job, &k, &created);

		if (n > 0 && bytes == 0) {
			pthread_mutex_lock(&c->lock);
			if (c->stats.first_byte_ns < 0)
				c->stats.first_byte_ns = cairn_time_now_ns() - c->start_ns;
			pthread_mutex_unlock(&c->lock);
		}
		bytes += n;
		files += (uint64_t)created;
		free(job->name);
		free(job->relpath);
		cairn_entry_clear(&job->entry);
	}
	pthread_mutex_lock(&c->lock);
	c->stats.files += files;
	c->stats.bytes += bytes;
	pthread_mutex_unlock(&c->lock);
	free(b->locs);
	free(b->known);
	close(b->dirfd);
	free(b);
}
