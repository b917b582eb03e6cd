/* Warnings and damage reports as data: what happened (a code), to which
 * repository object (its type and id), at which path, and a message for
 * people.
 *
 * Every operation that reports something a caller may act on (backup's
 * unreadable entries, the repository sync's damaged objects, restore's
 * damaged data and failed entries, verify's differences, check's problems)
 * passes one struct cairn_event to its callback. Callers decide from the
 * fields: `code`, `object`, `blob`, `path`. The message is for printing
 * only; nothing parses it (it may quote names or ids that are not the
 * event's object).
 */
#ifndef CAIRN_EVENT_H
#define CAIRN_EVENT_H

#include <stdint.h>

/* Bytes of an object id: CAIRN_ID_BYTES of cairn/crypto.h. */
#define CAIRN_EVENT_ID_BYTES 32
#ifdef CAIRN_ID_BYTES
_Static_assert(CAIRN_EVENT_ID_BYTES == CAIRN_ID_BYTES, "an event's ids are repository ids");
#endif

/* What happened. The numbers are stable (tests and JSON consumers use the
 * names of cairn_event_code_name). */
enum cairn_event_code {
	/* --- local side: the repository is fine --- */
	/* backup: an entry, or part of it (its directory listing, content,
	 * symbolic link target, extended attributes), could not be read
	 * (permission denied, I/O error); it is kept with its listed metadata
	 * and flagged unreadable, or without the part that failed. */
	CAIRN_EVENT_UNREADABLE = 1,
	/* backup: an entry was replaced between its directory's listing and
	 * its reading (another file, a directory swapped for a symbolic link or
	 * for another directory): not read, kept flagged unreadable. */
	CAIRN_EVENT_CHANGED = 2,
	/* backup: an entry vanished between its directory's listing and its
	 * stat: left out of the snapshot. */
	CAIRN_EVENT_VANISHED = 3,
	/* restore: an entry could not be created, written or given its
	 * metadata (the repository's data is fine). */
	CAIRN_EVENT_NOT_RESTORED = 4,
	/* verify: a restored entry differs from the snapshot; `flags` holds
	 * the differences (enum cairn_verify_problem bits). */
	CAIRN_EVENT_DIFFERS = 5,

	/* --- damage: something in the repository fails verification --- */
	/* an index object (object: CAIRN_EVENT_OBJECT_INDEX) */
	CAIRN_EVENT_DAMAGED_INDEX = 20,
	/* a snapshot object (object: CAIRN_EVENT_OBJECT_SNAPSHOT) */
	CAIRN_EVENT_DAMAGED_SNAPSHOT = 21,
	/* a pack as a whole: its hash, its header, its size (object: the pack) */
	CAIRN_EVENT_DAMAGED_PACK = 22,
	/* a blob fails to open, decompress or hash to its id (object: its pack
	 * when known; blob: the blob) */
	CAIRN_EVENT_DAMAGED_BLOB = 23,
	/* sizes disagree: a file's content with the size its tree records
	 * (check: object the tree blob; restore: the file, no object), or the
	 * entries of one hardlink group */
	CAIRN_EVENT_SIZE_MISMATCH = 24,
	/* a tree blob opens and authenticates but breaks the format's rules
	 * (object: the tree blob) */
	CAIRN_EVENT_DAMAGED_TREE = 25,
	/* restore: a hard link not restored because the first entry of its
	 * group could not be (its data damaged or missing); no object */
	CAIRN_EVENT_DAMAGED_HARDLINK = 26,

	/* --- missing: something the repository refers to is not there --- */
	/* a pack an index object lists is not in data/ (object: the pack;
	 * blob: the blob that was wanted, when one was) */
	CAIRN_EVENT_MISSING_PACK = 40,
	/* a blob that no index object lists (blob: the blob; object: the pack
	 * that holds it, when one does) */
	CAIRN_EVENT_MISSING_BLOB = 41
};

/* What kind of object an id names. */
enum cairn_event_object {
	CAIRN_EVENT_OBJECT_NONE = 0,  /* no object: the id is all zero */
	CAIRN_EVENT_OBJECT_PACK,      /* data/<2 hex>/<id> */
	CAIRN_EVENT_OBJECT_INDEX,     /* index/<id> */
	CAIRN_EVENT_OBJECT_SNAPSHOT,  /* snapshots/<id> */
	CAIRN_EVENT_OBJECT_DATA_BLOB, /* a blob of file content */
	CAIRN_EVENT_OBJECT_TREE_BLOB  /* a blob holding a directory's tree */
};

/* An object an event is about. */
struct cairn_event_ref {
	enum cairn_event_object type;
	uint8_t id[CAIRN_EVENT_ID_BYTES]; /* all zero for CAIRN_EVENT_OBJECT_NONE */
};

/* The class of a code: what the caller is told about. */
enum cairn_event_class {
	CAIRN_EVENT_CLASS_LOCAL = 1,   /* an entry on this host, not the repository */
	CAIRN_EVENT_CLASS_DAMAGED = 2, /* an object is there but fails verification */
	CAIRN_EVENT_CLASS_MISSING = 3  /* something the repository refers to is not there */
};

/* One warning or damage report. Everything it points to belongs to the
 * caller of the callback and is valid during the call only. */
struct cairn_event {
	enum cairn_event_code code;
	/* The stored object concerned (a pack, an index or snapshot object),
	 * or the blob itself when the problem is the blob, not where it is
	 * stored (a blob no index object and no pack lists, a tree whose sizes
	 * disagree). */
	struct cairn_event_ref object;
	/* The blob concerned inside `object` (a pack), when there is one. */
	struct cairn_event_ref blob;
	/* How messages name the object ("data/2e/2e57…", "index/…",
	 * "snapshots/…", "tree blob <hex>"); NULL when there is no object or
	 * the messages do not name it. For printing and JSON; compare `object`
	 * and `blob`, never this. */
	const char *object_name;
	const char *path;    /* the entry concerned, NULL when none */
	const char *message; /* for people: what is wrong, lowercase, never NULL */
	unsigned flags;      /* CAIRN_EVENT_DIFFERS: enum cairn_verify_problem bits; otherwise 0 */
};

/* The class of `code`; CAIRN_EVENT_CLASS_LOCAL for an unknown code. */
enum cairn_event_class cairn_event_class(enum cairn_event_code code);

/* A stable lowercase name for `code` ("unreadable", "changed", "vanished",
 * "not_restored", "differs", "damaged_index", "damaged_snapshot",
 * "damaged_pack", "damaged_blob", "size_mismatch", "damaged_tree",
 * "damaged_hardlink", "missing_pack",
 * "missing_blob"), "unknown" for anything else. Static storage. */
const char *cairn_event_code_name(enum cairn_event_code code);

/* A stable lowercase name for `type` ("pack", "index", "snapshot",
 * "data_blob", "tree_blob"), NULL for CAIRN_EVENT_OBJECT_NONE or an unknown
 * type. Static storage. */
const char *cairn_event_object_type_name(enum cairn_event_object type);

/* Set *ref to `type` and `id` (id may be NULL only with
 * CAIRN_EVENT_OBJECT_NONE: the id is then zeroed). */
void cairn_event_ref_set(struct cairn_event_ref *ref, enum cairn_event_object type, const uint8_t *id);

/* 1 when a and b name the same object (both none included), else 0. */
int cairn_event_ref_equal(const struct cairn_event_ref *a, const struct cairn_event_ref *b);

#endif
