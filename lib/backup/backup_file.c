/* File content: reading, chunking, and the chunk worker. */
#include "backup_internal.h"

#include "cairn/chunk.h"
#include "cairn/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Read a whole small file from job->fd into job->data, at most the size of
 * its stat (worker thread, or the walk thread when too many descriptors are
 * in flight). 0, or -1 with res->error set (NULL only when out of memory). */
static int read_small_file(struct backup_ctx *c, struct chunk_job *job)
{
	size_t cap = (size_t)job->res->st->st_size, have = 0;

	job->data = malloc(cap ? cap : 1);
	if (job->data == NULL)
		return -1;
	while (have < cap) {
		ssize_t n = read(job->fd, job->data + have, cap - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			job->res->error = cairn_asprintf("cannot read: %s", strerror(errno));
			return -1;
		}
		if (n == 0)
			break; /* the file shrank */
		have += (size_t)n;
	}
	job->len = have;
	job->res->size = have;
	atomic_fetch_add(&c->bytes_read, (uint64_t)have);
	return 0;
}

/* Close a small-file job's descriptor and give its place back. */
static void close_job_fd(struct backup_ctx *c, struct chunk_job *job)
{
	if (job->fd < 0)
		return;
	close(job->fd);
	job->fd = -1;
	atomic_fetch_sub(&c->files_open, 1);
}

void backup_chunk_worker(void *arg, int worker, void *ctx)
{
	struct chunk_job *job = arg;
	struct backup_ctx *c = ctx;
	uint8_t id[CAIRN_ID_BYTES];
	int rc;

	if (job->fd >= 0 && !atomic_load(&c->failed) && read_small_file(c, job) < 0) {
		if (job->res->error == NULL)
			backup_fail(c, cairn_err(CAIRN_ENOMEM, "cannot read a small file: out of memory"));
		job->res->count = 0;
	} else if (!atomic_load(&c->failed)) {
		rc = cairn_packer_add(c->packer, c->zctx[worker], &c->scratch[worker], CAIRN_BLOB_DATA, job->data,
				      job->len, id, NULL);
		if (rc < 0)
			backup_fail(c, rc);
		else
			memcpy(job->res->ids + job->index * CAIRN_ID_BYTES, id, CAIRN_ID_BYTES);
	}
	close_job_fd(c, job);
	free(job->data);
	free(job);
}

static int submit_chunk(struct backup_ctx *c, struct file_result *res, const uint8_t *data, size_t len)
{
	struct chunk_job *job;

	if (res->count == res->cap)
		return cairn_err(CAIRN_EBUG, "more chunks than the file size allows");
	job = calloc(1, sizeof(*job));
	if (job == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot allocate chunk job");
	job->data = malloc(len ? len : 1);
	if (job->data == NULL) {
		free(job);
		return cairn_err(CAIRN_ENOMEM, "cannot allocate %zu-byte chunk", len);
	}
	memcpy(job->data, data, len);
	job->len = len;
	job->fd = -1;
	job->res = res;
	job->index = res->count++;
	cairn_workpool_submit(c->pool, job);
	return 0;
}

/* Read the file through the chunker; at most st_size bytes are taken so that
 * a file growing during the backup is captured as of its stat. readbuf holds
 * two maximum chunks: [start, end) is read but not yet handed to a worker;
 * the unfinished chunk moves to the front only when the buffer is full. */
static int read_content(struct backup_ctx *c, int fd, const struct stat *st, struct file_result *res)
{
	const struct cairn_repo_config *cfg = cairn_repo_config(c->repo);
	size_t cap = 2 * (size_t)cfg->chunker.max, start = 0, end = 0;
	uint64_t remaining = (uint64_t)st->st_size;
	struct cairn_chunker ch;
	int rc;

	cairn_chunker_init(&ch, cairn_repo_keys(c->repo)->gear, &cfg->chunker);
	while (remaining > 0) {
		size_t want, pos;
		ssize_t n;

		if (end == cap) {
			memmove(c->readbuf, c->readbuf + start, end - start);
			end -= start;
			start = 0;
		}
		want = cap - end;
		if (want > remaining)
			want = (size_t)remaining;
		n = read(fd, c->readbuf + end, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			backup_warn(c, CAIRN_EVENT_UNREADABLE, backup_path_str(c), "cannot read: %s", strerror(errno));
			return 1;
		}
		if (n == 0)
			break; /* the file shrank */
		remaining -= (uint64_t)n;
		res->size += (uint64_t)n;
		atomic_fetch_add(&c->bytes_read, (uint64_t)n);
		for (pos = end, end += (size_t)n; pos < end;) {
			int boundary;

			pos += cairn_chunker_scan(&ch, c->readbuf + pos, end - pos, &boundary);
			if (!boundary)
				continue;
			rc = submit_chunk(c, res, c->readbuf + start, pos - start);
			if (rc < 0)
				return rc;
			start = pos;
		}
		backup_progress(c, backup_path_str(c), 0);
		if (atomic_load(&c->failed))
			return 0;
	}
	if (end > start)
		return submit_chunk(c, res, c->readbuf + start, end - start);
	return 0;
}

/* Open `name` in `dirfd` for reading, never following a symlink, never
 * blocking on a FIFO put in its place, without updating its access time when
 * permitted; then check that it is still the regular file of `st`. The
 * descriptor, or -1 after a warning (a name changed since the listing,
 * a symlink now: ELOOP, or unreadable). *ret_replaced tells the two apart. */
static int open_checked(struct backup_ctx *c, int dirfd, const char *name, const struct stat *st,
			int *ret_replaced)
{
	const int flags = O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC;
	struct stat fst;
	int fd;

	*ret_replaced = 0;
	fd = openat(dirfd, name, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM) /* O_NOATIME needs ownership or CAP_FOWNER */
		fd = openat(dirfd, name, flags);
	if (fd < 0) {
		*ret_replaced = errno == ELOOP; /* a symlink now */
		backup_warn(c, *ret_replaced ? CAIRN_EVENT_CHANGED : CAIRN_EVENT_UNREADABLE, backup_path_str(c),
			    "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &fst) < 0 || !S_ISREG(fst.st_mode) || fst.st_ino != st->st_ino || fst.st_dev != st->st_dev) {
		*ret_replaced = 1;
		backup_warn(c, CAIRN_EVENT_CHANGED, backup_path_str(c), "file was replaced while being backed up: not read");
		close(fd);
		return -1;
	}
	return fd;
}

/* A file of at most one chunk: hand its descriptor to a worker (reads of
 * many small files overlap), or read it here when BACKUP_MAX_OPEN_FILES
 * descriptors are already in flight. Takes fd. */
static int submit_small_file(struct backup_ctx *c, int fd, struct file_result *res)
{
	struct chunk_job *job = calloc(1, sizeof(*job));

	res->cap = 1;
	res->ids = cairn_calloc(1, CAIRN_ID_BYTES);
	if (job == NULL || res->ids == NULL) {
		free(job);
		close(fd);
		return cairn_err(CAIRN_ENOMEM, "cannot queue '%s'", backup_path_str(c));
	}
	job->res = res;
	job->index = 0;
	job->fd = fd;
	res->count = 1;
	if (atomic_fetch_add(&c->files_open, 1) >= BACKUP_MAX_OPEN_FILES) {
		/* the budget is spent: read it now, the worker only compresses */
		int r = read_small_file(c, job);

		close_job_fd(c, job);
		if (r < 0) {
			res->count = 0;
			free(job->data);
			free(job);
			return res->error != NULL ? 0 : cairn_err(CAIRN_ENOMEM, "cannot read '%s'", backup_path_str(c));
		}
	}
	cairn_workpool_submit(c->pool, job);
	return 0;
}

int backup_file_content(struct backup_ctx *c, int dirfd, const char *name, const struct stat *st,
			struct file_result *res, struct cairn_entry *e)
{
	const struct cairn_repo_config *cfg = cairn_repo_config(c->repo);
	const char *path = backup_path_str(c);
	int fd, rc, replaced;

	res->st = st;
	rc = backup_files_cache_lookup(c, path, st, res);
	if (rc < 0)
		return rc;
	if (rc == 1 || st->st_size == 0) /* unchanged, or no content: not opened */
		return backup_read_xattrs(c, -1, dirfd, name, e);
	fd = open_checked(c, dirfd, name, st, &replaced);
	if (fd < 0) {
		/* unreadable: metadata only, its xattrs when it is still there */
		if (!replaced) {
			rc = backup_read_xattrs(c, -1, dirfd, name, e);
			if (rc < 0)
				return rc;
		}
		return 1;
	}
	rc = backup_read_xattrs(c, fd, dirfd, name, e);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	if ((uint64_t)st->st_size <= cfg->chunker.min)
		return submit_small_file(c, fd, res);
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	res->cap = (size_t)((uint64_t)st->st_size / cfg->chunker.min) + 2;
	res->ids = cairn_calloc(res->cap, CAIRN_ID_BYTES);
	if (res->ids == NULL) {
		close(fd);
		return cairn_err(CAIRN_ENOMEM, "cannot allocate content list for '%s'", path);
	}
	rc = read_content(c, fd, st, res);
	close(fd);
	return rc;
}
