/* State shared by the files of the restore engine. */
#ifndef CAIRN_RESTORE_INTERNAL_H
#define CAIRN_RESTORE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "cairn/restore.h"
#include "cairn/tree.h"
#include "repo/idmap.h"
#include "restore_owner.h"
#include "restore_plan.h"
#include "restore_window.h"

#include <sys/stat.h>
#include "repo/workpool.h"

struct restore_ctx {
	struct cairn_repo *repo;
	const struct cairn_restore_opts *opts;
	struct cairn_workpool *pool;
	struct restore_plan plan;   /* the walk's prefetch hints (remote stores) */
	int threads;
	struct cairn_zctx **zctx;   /* per worker, [threads] for the main thread */
	struct cairn_buf *scratch;  /* likewise */
	struct restore_window *windows; /* per worker: the last pack window read */
	int as_root;

	pthread_mutex_t lock;       /* stats, damaged set, callbacks */
	struct cairn_restore_stats stats;
	struct cairn_idmap damaged; /* pack ids already reported */
	struct restore_owners owners; /* user and group names looked up (main thread only) */
	int64_t start_ns;
	int64_t last_progress_ns;

	/* Every directory restored, in the order the walk created them (a
	 * parent before its children): recs[0] is the target. The final pass
	 * reaches them by moving one directory stack from record to record. */
	struct dir_rec *recs;
	size_t nrecs, recs_cap;

	/* Hardlinks: the first entry of each hardlink id is restored in full
	 * and, as soon as it is created, linked under a numbered name in a
	 * staging directory of the target; the later names are linked from
	 * there at the end, once the first's content is known to be complete
	 * (a damaged file must not survive under another name). */
	struct cairn_idmap hardlinks; /* key: hardlink id; loc.offset: index into links[] */
	struct link_first *links;     /* realloc'd under `lock` (workers set .ok) */
	size_t nlinks, links_cap;
	struct link_pending *pending;
	size_t npending, pending_cap;
	int stagefd;                  /* -1 until the first hardlink group */
	char stage_name[64];
};

/* A restored directory: where it is (parent record and name), what it was
 * when created (device, inode) and the metadata it gets at the end. */
struct dir_rec {
	size_t parent;            /* the target is its own parent */
	size_t depth;             /* 0 for the target */
	char *name;               /* NULL for the target */
	dev_t dev;
	ino_t ino;
	struct cairn_entry entry; /* metadata only: no name, content or target */
};

struct link_first {
	size_t dir;  /* record of its directory */
	char *name;
	uint64_t size; /* as recorded: later names must agree */
	int staged;  /* linked into the staging directory */
	int ok;      /* content written completely */
};

struct link_pending {
	size_t first; /* index into links[] */
	size_t dir;   /* record of the directory of the name to create */
	char *name;
};

/* A file whose content a worker writes. */
struct file_job {
	int fd;             /* created by the walk (first of a hardlink group), or -1: the worker creates it */
	char *name;         /* in the batch's directory */
	char *relpath;      /* for messages */
	struct cairn_entry entry; /* owned */
	size_t link_slot;   /* 1 + index into links[] for the first of a hardlink group, else 0 */
	uid_t uid;          /* the owner it gets here (restore_owner_id) */
	gid_t gid;
};

/* Files handed to a worker at once: at most RESTORE_BATCH_FILES of one
 * directory, of about RESTORE_BATCH_BYTES of content in all (one queue
 * round trip per batch, one pack window read for many small files). */
#define RESTORE_BATCH_FILES 64
#define RESTORE_BATCH_BYTES (4u * 1024u * 1024u)
struct file_batch {
	int dirfd;          /* dup of the directory, for creating (openat O_EXCL|O_NOFOLLOW) and unlinking */
	int created;        /* the directory was created by this run, so it held nothing before */
	size_t rec;         /* its record in recs[] */
	size_t count;
	uint64_t bytes;     /* recorded sizes, summed */
	struct file_job jobs[RESTORE_BATCH_FILES];
	/* the jobs' data blobs in order, located by the walk: known[i] when
	 * the catalog knows blob i as a data blob */
	struct cairn_blob_loc *locs;
	unsigned char *known;
	size_t nblobs, blobs_cap;
};

/* Something of that name is there already. In a directory this run
 * created, that is another entry of the same tree (names that differ only
 * in case or normalisation on this file system): never replaced. Reported
 * as CAIRN_EVENT_NOT_RESTORED "cannot create <what>: ...". */
void restore_exists_problem(struct restore_ctx *c, const char *path, const char *what, int err, int created);
/* Remove whatever stands at `name` (overwrite mode), never following links:
 * a directory is removed only when empty. 0, or -1 with errno. */
int restore_clear_name(int dirfd, const char *name);
/* Holes are kept in whole blocks of this size, in files of at least one. */
#define RESTORE_HOLE_BLOCK 4096
/* Write `len` bytes of content at `off` of a file this run created, holes
 * kept as holes when `holes` (restore_file.c). 0 or -errno. *written_end is
 * raised to the end of the last byte written. */
int restore_write_sparse(int fd, int holes, const uint8_t *data, size_t len, uint64_t off, uint64_t *written_end);
/* The workpool's function: create, fill and set up every file of a
 * struct file_batch, then free it (restore_batch.c). */
void restore_batch_worker(void *batch, int worker, void *ctx);

/* Count `ev` (its class tells a damaged file from an entry that could not
 * be restored) and pass it to opts->on_problem, serialised. */
void restore_report(struct restore_ctx *c, const struct cairn_event *ev);
/* restore_report of an event `code` about `path` without an object; the
 * message is printf-like. */
void restore_problem(struct restore_ctx *c, enum cairn_event_code code, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Report the failed read (rc) of the blob `blob_id` of `type`
 * (CAIRN_BLOB_DATA or CAIRN_BLOB_TREE) needed by `path`: its pack missing,
 * the blob damaged, or (loc NULL) the blob not indexed. Each pack is
 * counted once in stats.damaged_objects. */
void restore_damaged(struct restore_ctx *c, const char *path, int rc, const struct cairn_blob_loc *loc, uint8_t type,
		     const uint8_t blob_id[CAIRN_ID_BYTES]);
/* 1 when cairn_repo_blob_read filled in the location (the catalog knew the
 * blob, even if its pack then turned out missing or damaged). */
int restore_loc_known(const struct cairn_blob_loc *loc);
/* Owner, xattrs, mode and times of an entry, in that order (chown clears
 * setuid bits and security.capability, so it comes first; user.* xattrs
 * need write permission, so they come before a read-only mode; times last),
 * through an fd when fd >= 0.
 * Otherwise (special files and symlinks, created just before by name in
 * dirfd) no call follows the name: a fifo, device or socket is opened with
 * O_PATH|O_NOFOLLOW, checked to still be of its type, and changed through
 * that descriptor; a symlink gets owner, xattrs and mtime by name without
 * following it (no mode). Failures are reported, not returned. The owner
 * comes from c->owners, which has no lock: the walk's thread only (and the
 * final pass); workers use restore_metadata_as. */
void restore_metadata(struct restore_ctx *c, int fd, int dirfd, const char *name, const char *relpath,
		      const struct cairn_entry *e);
/* restore_metadata with the owner resolved already (as root: uid, gid). */
void restore_metadata_as(struct restore_ctx *c, int fd, int dirfd, const char *name, const char *relpath,
			 const struct cairn_entry *e, uid_t uid, gid_t gid);
/* The owner `e` gets on this host (names win when they exist here; each
 * distinct name looked up once per run). Main thread only. */
void restore_owner_of(struct restore_ctx *c, const struct cairn_entry *e, uid_t *ret_uid, gid_t *ret_gid);
void restore_progress(struct restore_ctx *c, const char *current, int force);

/* A growing path for messages: components are pushed and popped, so a walk
 * of any depth costs O(name) per step, never PATH_MAX on the stack. */
struct restore_path {
	char *s;
	size_t len, cap;
};
/* Append "/" and `len` bytes of name. CAIRN_ENOMEM. */
int restore_path_push(struct restore_path *p, const void *name, size_t len);
/* Back to a length returned by an earlier len. */
void restore_path_pop(struct restore_path *p, size_t len);
/* The path, "/" when empty. */
const char *restore_path_str(const struct restore_path *p);
void restore_path_free(struct restore_path *p);

/* The walk (restore_walk.c): creates every entry of `snap` below rootfd,
 * queues file contents for the workers and records directories and
 * hardlinks for restore_finish(). *ret_restored: entries restored at the
 * top level (0 means nothing matched the include patterns). */
int restore_walk(struct restore_ctx *c, const struct cairn_snapshot *snap, int rootfd, uint64_t *ret_restored);

/* Directory records (restore_links.c). The target is record 0. */
int restore_rec_add(struct restore_ctx *c, size_t parent, const char *name, dev_t dev, ino_t ino,
		    const struct cairn_entry *e, size_t *ret_rec);
/* Drop records [n, nrecs) (a directory removed again, with all below it). */
void restore_recs_truncate(struct restore_ctx *c, size_t n);

/* Hardlinks. 1 and *ret_first when a group `hardlink` has a first entry. */
int restore_link_find(struct restore_ctx *c, uint64_t hardlink, size_t *ret_first);
/* Register the first entry of a group (its directory record and name);
 * *ret_slot is 1 + its index in links[]. */
int restore_link_first(struct restore_ctx *c, uint64_t hardlink, size_t rec, const char *name, uint64_t size,
		       size_t *ret_slot);
/* Keep the first entry, just created as fd (`name` in dirfd), under its
 * number in the staging directory (created in rootfd on first use). */
void restore_link_stage(struct restore_ctx *c, int rootfd, size_t slot, int fd, int dirfd, const char *name,
			const char *relpath);
/* Queue a later name of group `first`. */
int restore_link_later(struct restore_ctx *c, size_t first, size_t rec, const char *name);

/* After the workers are done: the queued hardlinks, then the directories'
 * metadata, deepest first (restore_links.c). O(entries) directory moves
 * whatever the depth; at most CAIRN_DIRSTACK_DEFAULT_OPEN descriptors. */
void restore_finish(struct restore_ctx *c, int rootfd);
/* Remove the staging directory, if any. */
void restore_stage_remove(struct restore_ctx *c, int rootfd);
/* Free records, hardlink groups and pending links. */
void restore_links_free(struct restore_ctx *c);

#endif
