/* Restoring a snapshot into a target directory.
 *
 * Every entry is created relative to an open directory descriptor with
 * O_NOFOLLOW, never through a path, so neither a hostile name in a tree nor a
 * symlink planted in the target can make the restore write outside it.
 * Any depth: the walk keeps its own stack (no recursion, no PATH_MAX) and
 * holds a bounded number of descriptors (16 directories, two per queued
 * file job). */
#ifndef CAIRN_RESTORE_H
#define CAIRN_RESTORE_H

#include <stddef.h>
#include <stdint.h>

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

enum cairn_restore_problem {
	CAIRN_RESTORE_ERROR = 1,   /* could not create or set up an entry */
	CAIRN_RESTORE_DAMAGED = 2  /* data damaged or missing in the repository */
};

struct cairn_restore_opts {
	const char *target;          /* created if missing */
	const char *const *includes; /* fnmatch globs on the path in the snapshot, e.g. "/home/u/docs"; none = all */
	size_t nincludes;
	int overwrite;               /* replace existing entries; otherwise the target must be empty */
	int threads;                 /* 0 = online CPUs */
	void (*on_progress)(void *ctx, const struct cairn_restore_stats *stats, const char *current);
	/* `object` is the damaged repository object's name, or NULL. */
	void (*on_problem)(void *ctx, enum cairn_restore_problem kind, const char *path, const char *object,
			   const char *msg);
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
