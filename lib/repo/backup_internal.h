/* State shared by the files of the backup engine. */
#ifndef CAIRN_BACKUP_INTERNAL_H
#define CAIRN_BACKUP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "cairn/backup.h"
#include "cairn/tree.h"
#include "idmap.h"
#include "packer.h"
#include "workpool.h"

/* Content ids of one file, filled in by the workers. */
struct file_result {
	uint8_t *ids;     /* cap * 32 bytes */
	size_t count;     /* chunks submitted */
	size_t cap;
	uint64_t size;    /* bytes read */
	struct stat st;   /* as seen before reading, for the files cache */
	int from_cache;
	char *error;      /* set by a worker that could not read the file */
};

/* One entry of a directory being backed up. */
struct dir_item {
	char *name;
	uint64_t ino;             /* from readdir: entries are stat'ed in inode order */
	struct stat st;
	int stat_errno;           /* 0, or why lstat failed */
	struct cairn_entry entry; /* type 0: dropped (vanished) */
	struct file_result res;
	int has_content;
};

/* A piece of work for the pool: a chunk already read (data), or a whole
 * small file for the worker to read itself (path), so that reading many
 * small files overlaps their I/O. */
struct chunk_job {
	struct file_result *res;
	size_t index;
	uint8_t *data; /* owned by the job */
	size_t len;
	char *path;    /* small-file job: owned; read at most res->st.st_size bytes */
};

struct name_cache_entry {
	uint32_t id;
	char *name; /* NULL: no name */
};

struct backup_ctx {
	struct cairn_repo *repo;
	const struct cairn_backup_opts *opts;
	struct cairn_packer *packer;
	struct cairn_workpool *pool;
	int threads;
	struct cairn_zctx **zctx;       /* one per worker, plus [threads] for the main thread */
	struct cairn_buf *scratch;      /* likewise */
	uint8_t *readbuf;               /* main thread read buffer, two maximum chunks */

	pthread_mutex_t fail_lock;
	_Atomic int failed;
	int fail_rc;
	char fail_msg[1024];

	struct cairn_idmap hardlinks;   /* key: dev/ino; loc.offset: hardlink id */
	uint64_t next_hardlink;
	struct name_cache_entry *users, *groups;
	size_t nusers, ngroups;

	struct cairn_snapshot_stats stats; /* main-thread counters */
	_Atomic uint64_t bytes_read;
	int64_t last_progress_ns;
	int64_t start_ns;
	dev_t top_dev;                  /* device of the given path being walked (one_file_system) */
};

/* Whether the entry `path` (named `name`) is left out by opts->excludes. */
int backup_excluded(const struct backup_ctx *c, const char *path, const char *name);
/* Check the exclude patterns (each absolute or without '/'): 0 or CAIRN_EINVAL naming the pattern. */
int backup_check_excludes(const struct cairn_backup_opts *o);

/* Record the first fatal error of the run (thread-safe). */
void backup_fail(struct backup_ctx *c, int rc);
/* Report an unreadable entry: warning callback, error count. */
void backup_warn(struct backup_ctx *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void backup_progress(struct backup_ctx *c, const char *current, int force);

/* Fill the metadata of `e` from `st` and the path (names, xattrs, symlink
 * target, hardlink id). 0, or <0 for fatal (out of memory) errors. */
int backup_entry_meta(struct backup_ctx *c, const char *path, const struct stat *st, struct cairn_entry *e);

/* Read (or take from the files cache) the content of a regular file,
 * submitting chunks to the worker pool. res is filled as the workers finish;
 * it is complete after cairn_workpool_drain(). Unreadable files are
 * reported with backup_warn and return 1. */
int backup_file_content(struct backup_ctx *c, const char *path, const struct stat *st, struct file_result *res);
/* After the drain: put the file's ids into the entry and the files cache. */
int backup_file_finish(struct backup_ctx *c, const char *path, struct file_result *res, struct cairn_entry *e);
void backup_chunk_worker(void *job, int worker, void *ctx);

/* List a directory's names, sorted. 1 (with a warning) when unreadable. */
int backup_read_names(struct backup_ctx *c, const char *path, struct dir_item **ret, size_t *ret_count);
/* "dir/name", or "/name" under the root. malloc'd, NULL when out of memory. */
char *backup_join_path(const char *dir, const char *name);
void backup_free_items(struct dir_item *items, size_t count);
/* Back up the entry at `path` (stat `st`) into item->entry (name already set). */
int backup_entry(struct backup_ctx *c, const char *path, const struct stat *st, struct dir_item *item);
/* Wait for the workers, then turn the items of the directory `path` into a
 * stored tree blob (files cache updated). Moves the entries out of items. */
int backup_items_to_tree(struct backup_ctx *c, const char *path, struct dir_item *items, size_t count,
			 uint8_t ret_tree[CAIRN_ID_BYTES]);

/* Recursively back up the directory at `path`, returning its tree id. */
int backup_dir(struct backup_ctx *c, const char *path, uint8_t ret_tree[CAIRN_ID_BYTES]);
/* Store an encoded tree blob (main thread). */
int backup_store_tree(struct backup_ctx *c, struct cairn_entry *entries, size_t count,
		      uint8_t ret_tree[CAIRN_ID_BYTES]);

#endif
