/* Checking a repository: its structure, and all or part of its data.
 *
 * The structure check reads every index object (verified against its name,
 * authenticated and validated whole), every snapshot object, and every tree
 * of every snapshot (each distinct tree once); every blob a tree refers to
 * must be listed by an index object, every file's size must be the sum of
 * its blobs' plaintext lengths as the index lists them (what a restore
 * writes), every pack an index object lists must
 * be in data/ with a size that can hold the entries it lists. Packs that no
 * index object lists are orphans: counted, their headers read, and reported
 * as information (the next backup indexes them again, FORMAT.md 13.3), not
 * as damage.
 *
 * With read_data_percent > 0, that share of the packs (all of them at 100,
 * else a random subset drawn with a seeded generator) is read whole, once,
 * sequentially: its SHA-256 is compared with its name, its header is checked
 * against the index entries, and every blob it holds is opened, decompressed
 * and its id recomputed (FORMAT.md 6.2).
 *
 * Each problem names the damaged or missing object and, for the blobs it
 * holds, the snapshots and paths that use them (a path is reported when any
 * copy of a blob it needs is damaged, since a restore may read that copy).
 *
 * The check reads the repository through its store only: it does not use
 * the catalog (so it does not trust it), takes no lock and never writes or
 * deletes anything in the repository. Its working set (blob locations,
 * trees visited, blobs referenced) is kept in a private temporary SQLite
 * database ($SQLITE_TMPDIR, $TMPDIR or /var/tmp; removed even when the
 * process dies) whose page cache is bounded, so memory does not grow with
 * the repository: it is bounded by the pack readers (about two pack windows
 * each, see CAIRN_CHECK_WINDOW) and the entries of the directories on the
 * path being walked. A prune running at the same time may delete objects
 * the check has listed: they are then reported missing; check again.
 */
#ifndef CAIRN_CHECK_H
#define CAIRN_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/crypto.h"
#include "cairn/event.h"
#include "cairn/repo.h"

/* Affected paths listed per problem unless the caller asks otherwise. */
#define CAIRN_CHECK_MAX_PATHS_DEFAULT 20
/* Packs are read in ranges of this size (a pack up to 1.5 times as large is
 * read in one request). */
#define CAIRN_CHECK_WINDOW (16u * 1024u * 1024u)
/* Random seeds stay below 2^53. */
#define CAIRN_CHECK_SEED_RANDOM_MAX ((1ULL << 53) - 1)

/* One use of a damaged or missing blob: a file, or a directory whose tree
 * is damaged, missing or not indexed (a restore loses everything below it),
 * in one snapshot. */
struct cairn_check_affected {
	char snapshot[CAIRN_ID_HEX];
	int64_t time_ns;  /* the snapshot's time */
	const char *path; /* absolute path in the snapshot ("/" for the root), raw bytes, no NUL inside */
	int directory;    /* 1: a directory's tree, 0: a file's content */
};

struct cairn_check_problem {
	/* What is wrong, with what. cairn_event_class(event.code) says damaged
	 * or missing. The codes and objects:
	 *   CAIRN_EVENT_DAMAGED_INDEX, _DAMAGED_SNAPSHOT   the index or snapshot object
	 *   CAIRN_EVENT_MISSING_PACK                       a pack the index lists (or
	 *       whose tree blob the walk needed) is not there; object: the pack
	 *   CAIRN_EVENT_DAMAGED_PACK                       the pack: its hash, header,
	 *       size, or it cannot be read whole
	 *   CAIRN_EVENT_DAMAGED_BLOB                       blobs of the pack fail
	 *       verification; object: the pack
	 *   CAIRN_EVENT_MISSING_BLOB                       blobs no index object lists:
	 *       object the orphan pack that holds them, or the blob itself
	 *       ("data blob <hex>" / "tree blob <hex>") when no pack does
	 *   CAIRN_EVENT_SIZE_MISMATCH                      a tree whose file entries'
	 *       sizes disagree with their content, each such file a use of it;
	 *       object: the tree blob ("tree blob <hex>")
	 * event.object_name is how messages name the object ("data/2e/2e57…",
	 * "index/…", "snapshots/…", "data blob <hex>", "tree blob <hex>"; one
	 * problem per object), event.message what is wrong with it (the
	 * messages of later findings on the same object appended, "; "
	 * between; the code stays the first finding's). No path, no blob. */
	struct cairn_event event;
	uint64_t uses;       /* affected (snapshot, path) pairs, all of them */
	uint64_t snapshots;  /* distinct snapshots among them */
	const struct cairn_check_affected *affected; /* the first ones (at most max_paths) */
	size_t naffected;
};

struct cairn_check_stats {
	uint64_t index_objects;  /* in index/, damaged ones included */
	uint64_t index_entries;  /* blob locations listed by the valid index objects */
	uint64_t snapshots;      /* snapshot objects that opened */
	uint64_t trees;          /* distinct trees walked */
	uint64_t files;          /* regular-file entries in those trees */
	uint64_t blobs;          /* distinct data blobs referenced by those files */
	uint64_t packs;          /* packs in data/ */
	uint64_t pack_bytes;     /* their total size */
	uint64_t orphan_packs;   /* of them, packs no index object lists (information) */
	uint64_t packs_to_read;  /* packs chosen for reading (read_data_percent) */
	uint64_t packs_read;     /* of those, read so far */
	uint64_t blobs_read;     /* blobs opened and verified while reading packs */
	uint64_t bytes_read;     /* every byte fetched from the store, re-reads included */
	uint64_t problems;       /* damaged or missing objects found */
	uint64_t seed;           /* the seed that chose the packs */
	int64_t duration_ns;
};

struct cairn_check_opts {
	/* 0: structure only. Otherwise the share of the packs to read, in
	 * (0, 100]; at least one pack is read when there is one. */
	double read_data_percent;
	int has_seed;  /* use `seed`; else a random one up to CAIRN_CHECK_SEED_RANDOM_MAX (reported in the stats) */
	uint64_t seed;
	int threads;      /* pack readers; 0 = online CPUs (at most 8) */
	size_t max_paths; /* affected paths kept per problem; 0 = CAIRN_CHECK_MAX_PATHS_DEFAULT */
	size_t window;    /* bytes per read of a pack; 0 = CAIRN_CHECK_WINDOW (tests use small ones) */
	/* Called from the calling thread about every 250 ms and at each change
	 * of phase ("index", "packs", "data", "snapshots", "trees"). May be NULL. */
	void (*on_progress)(void *ctx, const struct cairn_check_stats *st, const char *phase);
	/* Called once per problem at the end, in the order found, from the
	 * calling thread; everything it points to is valid during the call
	 * only. May be NULL. */
	void (*on_problem)(void *ctx, const struct cairn_check_problem *p);
	void *ctx;
};

/* Check the repository. 0 when no problem was found; CAIRN_ECORRUPT (detail
 * "N problems found") when damaged or missing objects were found, each
 * reported through on_problem; other negative codes (with a detail) when
 * the check could not be completed (the store failed, out of memory,
 * CAIRN_EINVAL for bad options). ret_stats (may be NULL) is filled in
 * every case. */
int cairn_check_run(struct cairn_repo *r, const struct cairn_check_opts *opts, struct cairn_check_stats *ret_stats);

#endif
