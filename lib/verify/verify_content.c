/* Verification: a restored file's content, cut again with the repository's
 * chunker and compared blob id by blob id with the snapshot's list. */
#include "verify_internal.h"

#include "cairn/buf.h"
#include "cairn/chunk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void verify_job_free(struct verify_job *job)
{
	if (job == NULL)
		return;
	if (job->fd >= 0)
		close(job->fd);
	free(job->path);
	free(job->content);
	free(job);
}

/* Where the comparison stands. */
struct chunk_cmp {
	const struct cairn_keys *keys;
	const struct verify_job *job;
	size_t next;       /* index of the next chunk in the content list */
	uint64_t offset;   /* of the next chunk in the file */
	int differs;
};

/* Compare one chunk with the next blob id; 0 while they match. */
static int compare_chunk(struct chunk_cmp *cmp, const uint8_t *data, size_t len, struct verify_diff *d)
{
	uint8_t id[CAIRN_ID_BYTES];

	if (cmp->next >= cmp->job->content_count) {
		verify_diff_add(d, CAIRN_VERIFY_CONTENT, "content differs: data after the snapshot's %zu chunk%s, from "
				"byte %llu on", cmp->job->content_count, cmp->job->content_count == 1 ? "" : "s",
				(unsigned long long)cmp->offset);
		cmp->differs = 1;
		return -1;
	}
	cairn_blob_id(cmp->keys, data, len, id);
	if (memcmp(id, cmp->job->content + cmp->next * CAIRN_ID_BYTES, CAIRN_ID_BYTES) != 0) {
		verify_diff_add(d, CAIRN_VERIFY_CONTENT, "content differs from the snapshot in chunk %zu of %zu (bytes "
				"%llu to %llu)", cmp->next + 1, cmp->job->content_count,
				(unsigned long long)cmp->offset, (unsigned long long)(cmp->offset + len));
		cmp->differs = 1;
		return -1;
	}
	cmp->next++;
	cmp->offset += len;
	return 0;
}

/* Read fd to its end through `buf` (cap bytes, at least two maximum
 * chunks), cutting chunks and comparing them. Returns 0, or -1 once a
 * difference or a read error is recorded in d. */
static int rechunk(struct verify_ctx *c, int fd, uint8_t *buf, size_t cap, struct chunk_cmp *cmp,
		   struct verify_diff *d)
{
	const struct cairn_repo_config *cfg = cairn_repo_config(c->repo);
	struct cairn_chunker ch;
	size_t start = 0, end = 0;

	cairn_chunker_init(&ch, cairn_repo_keys(c->repo)->gear, &cfg->chunker);
	for (;;) {
		ssize_t n;

		if (end == cap) {
			memmove(buf, buf + start, end - start);
			end -= start;
			start = 0;
		}
		n = read(fd, buf + end, cap - end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			verify_diff_add(d, CAIRN_VERIFY_UNREADABLE, "cannot read: %s", strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		verify_count(c, 0, (uint64_t)n);
		for (size_t pos = end, stop = end + (size_t)n; pos < stop;) {
			int boundary;

			pos += cairn_chunker_scan(&ch, buf + pos, stop - pos, &boundary);
			if (!boundary)
				continue;
			if (compare_chunk(cmp, buf + start, pos - start, d) < 0)
				return -1;
			start = pos;
		}
		end += (size_t)n;
	}
	if (end > start && compare_chunk(cmp, buf + start, end - start, d) < 0)
		return -1;
	return 0;
}

int verify_open_file(int dirfd, const char *name, const struct stat *st, struct verify_diff *d)
{
	int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
	int fd = openat(dirfd, name, flags | O_NOATIME);
	struct stat fst;

	if (fd < 0 && errno == EPERM) /* O_NOATIME needs the file's owner */
		fd = openat(dirfd, name, flags);
	if (fd < 0) {
		verify_diff_add(d, CAIRN_VERIFY_UNREADABLE, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &fst) < 0 || !S_ISREG(fst.st_mode) || fst.st_dev != st->st_dev || fst.st_ino != st->st_ino) {
		verify_diff_add(d, CAIRN_VERIFY_TYPE, "not a regular file when opened");
		close(fd);
		return -1;
	}
	return fd;
}

void verify_content_worker(void *arg, int worker, void *ctx)
{
	struct verify_job *job = arg;
	struct verify_ctx *c = ctx;
	struct chunk_cmp cmp = { cairn_repo_keys(c->repo), job, 0, 0, 0 };

	if (rechunk(c, job->fd, c->readbuf[worker], c->readbuf_len, &cmp, &job->diff) == 0 &&
	    cmp.next != job->content_count)
		verify_diff_add(&job->diff, CAIRN_VERIFY_CONTENT, "content differs: %zu chunk%s (%llu bytes), snapshot "
				"%zu", cmp.next, cmp.next == 1 ? "" : "s", (unsigned long long)cmp.offset,
				job->content_count);
	verify_count(c, 1, 0);
	verify_fail(c, job->path, &job->diff);
	verify_job_free(job);
}
