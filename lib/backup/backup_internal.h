/* State shared by the files of the backup engine. */
#ifndef CAIRN_BACKUP_INTERNAL_H
#define CAIRN_BACKUP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "cairn/backup.h"
#include "cairn/catalog.h"
#include "cairn/tree.h"
#include "repo/idmap.h"
#include "repo/packer.h"
#include "repo/workpool.h"

/* Content ids of one file, filled in by the workers. */
struct file_result {
	uint8_t *ids;     /* cap * 32 bytes */
	size_t count;     /* chunks submitted */
	size_t cap;
	uint64_t size;    /* bytes read */
	const struct stat *st; /* as seen before reading (the item's), for the files cache */
	int from_cache;
	char *error;      /* set by a worker that could not read the file */
};

/* One entry of a directory being backed up. */
struct dir_item {
	char *name;
	uint64_t ino;             /* from readdir: entries are stat'ed in inode order */
	struct stat st;
	int stat_errno;           /* 0, or why fstatat failed */
	struct cairn_entry entry; /* type 0: dropped (vanished, excluded) */
	struct file_result res;
	int has_content;
	uint8_t xattrs_none;      /* files: xattrs read (or known from the files cache): none */
	uint8_t row_stale;        /* files: taken from the files cache, whose row does not say xattrs_none yet */
	/* files: the files cache row read with the directory's listing
	 * (cairn_catalog_file_get_dir): 0 not read, 1 no row, 2 row in `cached` */
	uint8_t cached_state;
	struct cairn_catalog_file cached;
	/* virtual directories only: the given paths below this name are
	 * c->roots[root_first .. root_first + root_count) */
	size_t root_first, root_count;
};

/* A piece of work for the pool: a chunk already read (data), or a whole
 * small file for the worker to read from `fd`, opened and checked by the
 * walk thread, so that reading many small files overlaps their I/O. */
struct chunk_job {
	struct file_result *res;
	size_t index;
	uint8_t *data; /* owned by the job */
	size_t len;
	int fd;        /* small-file job: owned (closed by the worker), else -1 */
};

/* Descriptors of small files handed to the workers at most: when this many
 * are in flight the walk thread reads the next small file itself. The pool's
 * queue (2 * threads + 2 jobs) and its running jobs (threads) bound them too. */
#define BACKUP_MAX_OPEN_FILES 64

struct name_cache_entry {
	uint32_t id;
	char *name; /* NULL: no name */
};

/* The path of the entry being visited, for messages, excludes and the files
 * cache only (never passed to a system call): one growing buffer, "" for
 * the root directory, "/a/b" below it. */
struct backup_path {
	char *buf;
	size_t len, cap;
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
	_Atomic int files_open;         /* small-file descriptors held by jobs */

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

	char **roots;                   /* the given paths: absolute, clean, sorted, none below another */
	size_t nroots;
	struct backup_path path;
	int no_proc;                    /* "/proc/self/fd" is missing: xattrs by name cannot be read */
	int no_proc_warned;
	/* The entry being visited: a files cache hit whose row says the file
	 * had no xattrs at its (unchanged) ctime sets xattrs_skip, and its read
	 * of xattrs by name is skipped; hit_no_xattrs: that row's no_xattrs, -1
	 * when no row was taken. */
	int xattrs_skip;
	int hit_no_xattrs;
	struct dir_item *cur_item;      /* the regular file being visited (its prefetched files cache row) */
	uint64_t xattr_failures;        /* xattr lists or reads that failed or could not be made */
};

/* Append "/name" to c->path. 0 or CAIRN_ENOMEM. */
int backup_path_push(struct backup_ctx *c, const char *name);
/* The current path for messages: "/" for the root directory. */
const char *backup_path_str(const struct backup_ctx *c);

/* Whether the entry `path` (named `name`) is left out by opts->excludes. */
int backup_excluded(const struct backup_ctx *c, const char *path, const char *name);
/* Check the exclude patterns (each absolute or without '/'): 0 or CAIRN_EINVAL naming the pattern. */
int backup_check_excludes(const struct cairn_backup_opts *o);

/* Record the first fatal error of the run (thread-safe). */
void backup_fail(struct backup_ctx *c, int rc);
/* Report an entry that could not be read (whole or in part) as an event
 * `code` at `path` (the message printf-like) through opts->on_warning, and
 * count it in the error count. */
void backup_warn(struct backup_ctx *c, enum cairn_event_code code, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void backup_progress(struct backup_ctx *c, const char *current, int force);

/* Fill the metadata of `e` from `st` (type, mode, owner names, times,
 * hardlink id): no system call on the entry. 0, or <0 (out of memory). */
int backup_entry_meta(struct backup_ctx *c, const struct stat *st, struct cairn_entry *e);
/* The target of the symlink `name` in the directory `dirfd` (readlinkat);
 * unreadable: warning naming c->path, entry flagged. 0 or <0 (memory). */
int backup_read_symlink(struct backup_ctx *c, int dirfd, const char *name, const struct stat *st,
			struct cairn_entry *e);
/* The extended attributes of the entry: through `fd` when >= 0 (a file or
 * directory opened by the walk), else of `name` in `dirfd` without following
 * it (llistxattr on "/proc/self/fd/DIRFD/NAME"), except when c->xattrs_skip
 * (cleared here) says the files cache knows it has none. Failures are
 * warnings naming c->path, counted in c->xattr_failures. 0 or <0 (memory). */
int backup_read_xattrs(struct backup_ctx *c, int fd, int dirfd, const char *name, struct cairn_entry *e);

/* Back up the content of the regular file `name` in `dirfd` (path c->path,
 * stat `st` from the listing): take it from the files cache (not opened),
 * or open it relative to dirfd without following a symlink, check that it
 * is still the inode of `st`, read its xattrs through the descriptor and
 * submit its chunks to the worker pool; res is complete after
 * cairn_workpool_drain(). Xattrs of a file not opened are read by name.
 * Unreadable or replaced files are reported with backup_warn and return 1. */
int backup_file_content(struct backup_ctx *c, int dirfd, const char *name, const struct stat *st,
			struct file_result *res, struct cairn_entry *e);
/* backup_files_cache.c: take the content of an unchanged file from the
 * files cache when all its blobs are still known: 1 (res filled), 0 (read
 * it), <0 on error. */
int backup_files_cache_lookup(struct backup_ctx *c, const char *path, const struct stat *st, struct file_result *res);
/* Once the file's chunks are done: put its ids into the entry and, for a
 * file read whole or a cached one whose row is stale, its row into the files
 * cache (no_xattrs from `xattrs_none`). */
int backup_file_finish(struct backup_ctx *c, const char *path, struct file_result *res, struct cairn_entry *e,
		       int xattrs_none, int row_stale);
void backup_chunk_worker(void *job, int worker, void *ctx);

void backup_free_items(struct dir_item *items, size_t count);

/* Directories whose tree waits for their files' chunks while the walk goes
 * on (backup_dir.c): at most this many, holding at most this many entries
 * in all, before the walk waits for the oldest. */
#define BACKUP_MAX_PENDING_DIRS 64
#define BACKUP_MAX_PENDING_ITEMS 65536

/* Walk from "/" (opened once) through the virtual directories above
 * c->roots and every given path, without recursion, and return the root
 * tree. When c->roots is just "/", "/" itself is walked. */
int backup_walk(struct backup_ctx *c, uint8_t ret_tree[CAIRN_ID_BYTES]);
/* Store an encoded tree blob (main thread). */
int backup_store_tree(struct backup_ctx *c, struct cairn_entry *entries, size_t count,
		      uint8_t ret_tree[CAIRN_ID_BYTES]);

#endif
