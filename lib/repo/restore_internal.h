/* State shared by the files of the restore engine. */
#ifndef CAIRN_RESTORE_INTERNAL_H
#define CAIRN_RESTORE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "cairn/restore.h"
#include "cairn/tree.h"
#include "idmap.h"
#include "restore_plan.h"
#include "workpool.h"

struct restore_ctx {
	struct cairn_repo *repo;
	const struct cairn_restore_opts *opts;
	struct cairn_workpool *pool;
	struct restore_plan plan;   /* the walk's prefetch hints (remote stores) */
	int threads;
	struct cairn_zctx **zctx;   /* per worker, [threads] for the main thread */
	struct cairn_buf *scratch;  /* likewise */
	int as_root;

	pthread_mutex_t lock;       /* stats, damaged set, callbacks */
	struct cairn_restore_stats stats;
	struct cairn_idmap damaged; /* pack ids already reported */
	int64_t start_ns;
	int64_t last_progress_ns;

	/* Hardlinks: the first entry of each hardlink id is restored in full;
	 * the others are linked to it at the end, once its content is known to
	 * be complete (a damaged file must not survive under another name). */
	struct cairn_idmap hardlinks; /* key: hardlink id; loc.offset: index into links[] */
	struct link_first *links;     /* realloc'd under `lock` (workers set .ok) */
	size_t nlinks;
	struct link_pending *pending;
	size_t npending;

	/* Directories' metadata is applied at the very end, deepest first, so
	 * that neither a read-only mode nor a later link changes what was set. */
	struct dir_meta *dirs;
	size_t ndirs;
};

struct link_first {
	char *relpath;
	int ok; /* content written completely */
};

struct link_pending {
	size_t first;  /* index into links[] */
	char *relpath; /* the name to create */
};

struct dir_meta {
	char *relpath;
	struct cairn_entry entry; /* without content */
};

/* A file whose content a worker writes. */
struct file_job {
	int fd;
	int dirfd;          /* dup of the parent directory, for unlinking on damage */
	char *name;         /* in the parent */
	char *relpath;      /* for messages */
	struct cairn_entry entry; /* owned */
	size_t link_slot;   /* 1 + index into links[] for the first of a hardlink group, else 0 */
};

void restore_problem(struct restore_ctx *c, enum cairn_restore_problem kind, const char *path, const char *object,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Report a failed blob read: the damaged object is named once per run. */
void restore_damaged(struct restore_ctx *c, const char *path, int rc, const struct cairn_blob_loc *loc,
		     const uint8_t blob_id[CAIRN_ID_BYTES]);
void restore_file_worker(void *job, int worker, void *ctx);
/* 1 when cairn_repo_blob_read filled in the location (the catalog knew the
 * blob, even if its pack then turned out missing or damaged). */
int restore_loc_known(const struct cairn_blob_loc *loc);
/* Ownership, mode, xattrs and times of an entry, through an fd when fd >= 0
 * or else by name in dirfd. Failures are reported, not returned. */
void restore_metadata(struct restore_ctx *c, int fd, int dirfd, const char *name, const char *relpath,
		      const struct cairn_entry *e);
void restore_progress(struct restore_ctx *c, const char *current, int force);

#endif
