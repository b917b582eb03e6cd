/* Verifying a restored tree against its snapshot, without downloading the
 * data again.
 *
 * The snapshot's trees are walked depth-first next to the restored tree,
 * whose root stands for the snapshot's "/" (the target of
 * cairn_restore_run), without recursion: what is held is the entries of the
 * directories on the current path and a cairn_dirstack of the restored
 * directories (each opened relative to its parent, no symbolic link
 * followed, checked by device and inode against the lstat of its name), so
 * any depth verifies with at most CAIRN_DIRSTACK_DEFAULT_OPEN directory
 * descriptors, plus one per sampled file in flight (3 * threads + 2 at
 * most: the walk opens the file, a worker reads it). For every entry of
 * the snapshot:
 *
 *   - metadata, always: it exists, its type; mode (not for symbolic links);
 *     mtime to the nanosecond; size, device numbers, symbolic link target;
 *     owner and group when opts->check_owner (as a restore running as root
 *     sets them: by name when the name exists on this host, else by number);
 *     the entries of one hardlink group are one inode;
 *   - content, for the regular files in the sample: the restored file is cut
 *     again with the repository's chunker (parameters and key) and each
 *     chunk's blob id (cairn_blob_id) is compared, in order, with the
 *     entry's content list. Files flagged unreadable in the snapshot have
 *     no content to compare.
 *
 * Every restored directory is also listed: an entry the snapshot does not
 * have is a failure (CAIRN_VERIFY_EXTRA). A failure names the path in the
 * snapshot ("/home/alice/notes.txt") and every difference found for it;
 * each entry fails at most once.
 *
 * The sample: a file is in it when a hash of (seed, its path in the
 * snapshot) falls below the percentage, so the same seed picks the same
 * files in every snapshot, independently of the walk order.
 */
#ifndef CAIRN_VERIFY_H
#define CAIRN_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/event.h"
#include "cairn/repo.h"
#include "cairn/snapshot.h"

/* What differs: bits of the `problems` mask given to on_failure. */
enum cairn_verify_problem {
	CAIRN_VERIFY_MISSING = 1u << 0,   /* in the snapshot, not in the restored tree */
	CAIRN_VERIFY_EXTRA = 1u << 1,     /* in the restored tree, not in the snapshot */
	CAIRN_VERIFY_TYPE = 1u << 2,      /* another kind of entry */
	CAIRN_VERIFY_SIZE = 1u << 3,
	CAIRN_VERIFY_MODE = 1u << 4,
	CAIRN_VERIFY_MTIME = 1u << 5,
	CAIRN_VERIFY_OWNER = 1u << 6,     /* owner or group */
	CAIRN_VERIFY_TARGET = 1u << 7,    /* symbolic link target */
	CAIRN_VERIFY_RDEV = 1u << 8,      /* device numbers */
	CAIRN_VERIFY_HARDLINK = 1u << 9,  /* not the same inode as the rest of its hardlink group */
	CAIRN_VERIFY_CONTENT = 1u << 10,  /* the content's chunks differ from the snapshot's blobs */
	CAIRN_VERIFY_UNREADABLE = 1u << 11, /* the restored entry cannot be read */
	CAIRN_VERIFY_TREE = 1u << 12      /* the snapshot's tree of this directory cannot be read */
};

struct cairn_verify_stats {
	uint64_t entries;        /* entries of the snapshot whose metadata was checked */
	uint64_t files;          /* of which regular files */
	uint64_t files_verified; /* files whose content was compared (the sample), pass or fail */
	uint64_t bytes;          /* restored bytes read and re-chunked */
	uint64_t failed;         /* entries that failed, extra entries included */
	int64_t duration_ns;
};

struct cairn_verify_opts {
	const char *root;       /* the restored tree: the snapshot's "/" */
	double sample_percent;  /* share of the regular files whose content is compared: 0 < p <= 100 */
	uint64_t seed;          /* picks the sample */
	int check_owner;        /* compare uid and gid (a restore sets them only as root) */
	int threads;            /* content workers; 0 = online CPUs */
	/* One call per failed entry: an event CAIRN_EVENT_DIFFERS, its path
	 * the entry's path in the snapshot, its flags a mask of enum
	 * cairn_verify_problem, its message every difference ("mode 0600,
	 * snapshot 0644; mtime ..."); with CAIRN_VERIFY_TREE its object is the
	 * tree blob that cannot be read. Serialised (never two at once), from
	 * any thread. */
	void (*on_failure)(void *ctx, const struct cairn_event *ev);
	/* About every 250 ms from the calling thread (may be NULL). */
	void (*on_progress)(void *ctx, const struct cairn_verify_stats *stats, const char *current);
	void *ctx;
};

/* Verify the tree under opts->root against `snap`. Returns 0 when every
 * entry checked matches; CAIRN_ECORRUPT ("N entries of snapshot X differ
 * from ...") when some failed (each reported through on_failure; the walk
 * goes on after a failure); another negative code when the verification
 * could not run (CAIRN_EINVAL for bad options, CAIRN_ENOTFOUND or CAIRN_EIO
 * for a root that cannot be opened, CAIRN_ENOMEM). *ret_stats is filled in
 * every case (may be NULL). */
int cairn_verify_run(struct cairn_repo *r, const struct cairn_snapshot *snap, const struct cairn_verify_opts *opts,
		     struct cairn_verify_stats *ret_stats);

/* 1 when the file at `path` (in the snapshot, "/etc/passwd") is in the
 * sample of `percent` (0 < percent <= 100; 100 takes every file) drawn
 * with `seed`, else 0. */
int cairn_verify_sampled(uint64_t seed, double percent, const char *path);

#endif
