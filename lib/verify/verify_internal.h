/* State shared by the files of the verification of a restored tree. */
#ifndef CAIRN_VERIFY_INTERNAL_H
#define CAIRN_VERIFY_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "cairn/compress.h"
#include "cairn/tree.h"
#include "cairn/verify.h"
#include "repo/idmap.h"
#include "repo/workpool.h"

/* Default number of content workers when opts->threads is 0: at most this
 * many, each with a read buffer of two maximum chunks. */
#define VERIFY_THREADS_MAX_DEFAULT 8

/* The differences found for one entry, as a mask and a message. */
struct verify_diff {
	unsigned problems;
	struct cairn_event_ref object; /* the snapshot's tree that cannot be read, else none */
	size_t len;
	char msg[1024];
};

/* The last owner name looked up, and what it maps to on this host. */
struct verify_name_cache {
	char *name;
	int found;
	uint32_t id;
};

/* One directory being walked: its tree's entries and the next to verify. */
struct verify_frame {
	struct cairn_entry *entries;
	size_t count, next;
	size_t path_saved;          /* path length to go back to when done */
};

struct verify_ctx {
	struct cairn_repo *repo;
	const struct cairn_verify_opts *opts;
	struct cairn_workpool *pool;
	int threads;
	uint8_t **readbuf;          /* per worker, readbuf_len bytes */
	size_t readbuf_len;

	pthread_mutex_t lock;       /* stats and on_failure */
	struct cairn_verify_stats stats;
	int64_t start_ns;
	int64_t last_progress_ns;

	/* main thread only */
	struct cairn_dirstack *ds;  /* the restored directories on the current path */
	struct verify_frame *frames; /* the snapshot's trees on the current path */
	size_t depth, cap;
	struct cairn_zctx *z;       /* tree reads */
	struct cairn_buf treebuf;
	struct cairn_buf path;      /* the current path in the snapshot, NUL-terminated */
	struct cairn_idmap hardlinks; /* key: hardlink id; loc.offset: inode, loc.pack: device */
	struct verify_name_cache user, group;
};

/* Content check of one sampled file, run by a worker. The walk opens the
 * file (one descriptor per job, whatever the depth: the queue bounds the
 * jobs in flight to 3 * threads + 2). */
struct verify_job {
	int fd;                /* the restored file, open for reading */
	char *path;            /* in the snapshot, for messages */
	uint8_t *content;      /* content_count * 32 bytes: the snapshot's blob ids */
	size_t content_count;
	uint64_t size;
	struct verify_diff diff; /* metadata differences found by the walk */
};

/* Add a difference: sets `problem` and appends "; " and the text. */
void verify_diff_add(struct verify_diff *d, unsigned problem, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Count a failed entry and report it (nothing when d has no problem). Any thread. */
void verify_fail(struct verify_ctx *c, const char *path, const struct verify_diff *d);
/* Add to the stats under the lock. */
void verify_count(struct verify_ctx *c, uint64_t files_verified, uint64_t bytes);

/* Compare a restored entry (lstat'ed as *st, named `name` in dirfd) with
 * the snapshot's entry `e`; differences go to d. Main thread. */
void verify_meta(struct verify_ctx *c, int dirfd, const char *name, const struct cairn_entry *e,
		 const struct stat *st, struct verify_diff *d);

/* Open the restored regular file `name` of dirfd for a content check: it
 * must still be the file lstat'ed as *st. The descriptor, or -1 with the
 * reason added to d. Main thread. */
int verify_open_file(int dirfd, const char *name, const struct stat *st, struct verify_diff *d);

/* Workpool function: re-chunk job->fd and compare its blob ids; reports
 * the job's failure (metadata and content) and frees the job. */
void verify_content_worker(void *job, int worker, void *ctx);
void verify_job_free(struct verify_job *job);

#endif
