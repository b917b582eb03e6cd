/* Restoring a snapshot into a target directory.
 *
 * Every entry is created relative to an open directory descriptor with
 * O_NOFOLLOW, never through a path, so neither a hostile name in a tree nor a
 * symlink planted in the target can make the restore write outside it.
 * Any depth: the walk keeps its own stack (no recursion, no PATH_MAX) and
 * holds a bounded number of descriptors (16 directories, one per queued
 * batch of files, one per file being written). Files are handed to the
 * workers in batches of one directory, created by the workers with
 * O_CREAT|O_EXCL|O_NOFOLLOW relative to that directory's descriptor. */
#ifndef CAIRN_RESTORE_H
#define CAIRN_RESTORE_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/event.h"
#include "cairn/repo.h"
#include "cairn/snapshot.h"

struct cairn_restore_stats {
	uint64_t files, dirs, others;
	uint64_t bytes;            /* file content written */
	uint64_t errors;           /* entries that could not be restored */
	uint64_t damaged_files;    /* files not restored because their data is damaged or missing */
	uint64_t damaged_objects;  /* distinct repository objects found damaged */
	int64_t first_byte_ns;     /* from start to the first content byte written; -1 if none */
	int64_t duration_ns;
};

struct cairn_restore_opts {
	const char *target;          /* created if missing */
	const char *const *includes; /* fnmatch globs on the path in the snapshot, e.g. "/home/u/docs"; none = all */
	size_t nincludes;
	int overwrite;               /* replace existing entries; otherwise the target must be empty */
	int threads;                 /* 0 = online CPUs */
	void (*on_progress)(void *ctx, const struct cairn_restore_stats *stats, const char *current);
	/* One call per problem, serialised, from any thread; ev->path is the
	 * entry's path in the snapshot. An entry that could not be created or
	 * set up is CAIRN_EVENT_NOT_RESTORED (class local, counted in
	 * stats.errors). Damage (every other code, counted in
	 * stats.damaged_files): CAIRN_EVENT_DAMAGED_BLOB or
	 * CAIRN_EVENT_MISSING_PACK (object: the pack, named; blob: the data or
	 * tree blob read), CAIRN_EVENT_MISSING_BLOB (a blob no index object
	 * lists; object: that blob), CAIRN_EVENT_DAMAGED_TREE (object: the
	 * tree blob), CAIRN_EVENT_SIZE_MISMATCH and
	 * CAIRN_EVENT_DAMAGED_HARDLINK (no object). A damaged tree blob's
	 * event names the directory it describes. */
	void (*on_problem)(void *ctx, const struct cairn_event *ev);
	void *ctx;
};

/* Restore `snap` into opts->target. Returns 0 when everything was restored;
 * CAIRN_ECORRUPT when damaged data kept some files from being restored (the
 * rest is restored; each damaged object and affected file is reported
 * through on_problem; also when the snapshot's trees hold more entries than
 * it declares in its stats, plus an eighth, plus 65,536: a hostile
 * repository, the walk stops there); CAIRN_EIO when some entries could not
 * be created;
 * other negative codes (with a detail) when the restore could not start,
 * e.g. CAIRN_EEXIST for a non-empty target without overwrite. */
int cairn_restore_run(struct cairn_repo *r, const struct cairn_snapshot *snap, const struct cairn_restore_opts *opts,
		      struct cairn_restore_stats *ret_stats);

#endif
