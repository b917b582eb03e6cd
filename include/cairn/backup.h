/* Taking a snapshot of files and directories. */
#ifndef CAIRN_BACKUP_H
#define CAIRN_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/event.h"
#include "cairn/repo.h"
#include "cairn/snapshot.h"

struct cairn_backup_opts {
	const char *const *paths; /* absolute or relative; made absolute */
	size_t npaths;
	const char *const *tags;
	size_t ntags;
	const char *host;         /* NULL: gethostname() */
	int threads;              /* workers for hashing/compression/encryption; 0 = online CPUs */
	int no_files_cache;       /* read every file even when unchanged */
	/* Entries left out, glob patterns (fnmatch). A pattern without '/' is
	 * matched against each entry's name at any depth ("*.swp", ".cache");
	 * a pattern with '/' must be absolute and is matched against the whole
	 * path, '*' not crossing '/' ("/home/[!r]*\/.cache"). An excluded
	 * directory is left out with everything below it. A path given in
	 * `paths` is never excluded itself. */
	const char *const *excludes;
	size_t nexcludes;
	/* Do not descend into directories on another file system than the
	 * given path they lie under: such a directory is kept, empty. */
	int one_file_system;
	/* How long to wait for an exclusive lock (a prune deleting data) to be
	 * released before failing with CAIRN_ELOCKED; 0 = do not wait. */
	int64_t lock_wait_ns;
	/* Called about every 250 ms from the calling thread (may be NULL). */
	void (*on_progress)(void *ctx, const struct cairn_snapshot_stats *stats, const char *current);
	/* Called for each entry that could not be read, whole or in part (may
	 * be NULL), from the calling thread: CAIRN_EVENT_UNREADABLE,
	 * CAIRN_EVENT_CHANGED (replaced since it was listed: not read) or
	 * CAIRN_EVENT_VANISHED (gone since it was listed: left out), with the
	 * entry's path; and for each damaged index or snapshot object the sync
	 * of the catalog skipped (CAIRN_EVENT_DAMAGED_INDEX or
	 * CAIRN_EVENT_DAMAGED_SNAPSHOT, the object set, no path). */
	void (*on_warning)(void *ctx, const struct cairn_event *ev);
	/* For tests only (programs leave it NULL): called from the calling
	 * thread when the names of the directory `path` have been listed and
	 * stat'ed, before any of its entries is backed up, so that a test can
	 * change the tree at exactly that moment (a directory swapped for a
	 * symlink, ...). */
	void (*on_dir_listed)(void *ctx, const char *path);
	void *ctx;
};

/* Back up opts->paths into a new snapshot. On success the snapshot (whose
 * id and statistics are in *ret_snap, owned by the caller: clear it with
 * cairn_snapshot_clear) is complete in the repository. Unreadable entries
 * do not fail the backup: they are reported through on_warning, counted in
 * stats.errors, and the snapshot is marked partial. A path given on the
 * command line that does not exist fails the backup (CAIRN_ENOTFOUND). On
 * any error no snapshot is written; data already stored is reused by the
 * next run.
 *
 * The given paths are the only paths resolved, one component at a time
 * from "/" without following symlinks (a given path that is a symlink is
 * stored as one). Below them every entry is reached relative to its parent
 * directory's descriptor, at any depth: an entry that is no longer what the
 * listing saw when it is opened (a directory swapped for a symlink or for
 * another directory, a file replaced) is never followed or read: it is
 * reported through on_warning and kept with its listed metadata, flagged
 * unreadable (a directory empty). A directory moved away while the walk is
 * more than 32 levels below it is found when the walk returns to it (its
 * descriptor reopened as ".." no longer has its device and inode): that
 * fails the backup (CAIRN_EIO naming the path), the next run starts again.
 * Descriptors held: at most 32 directories, 64 small files in flight to
 * the workers, one file being read, plus the repository's own. */
int cairn_backup_run(struct cairn_repo *r, const struct cairn_backup_opts *opts, struct cairn_snapshot *ret_snap);

#endif
