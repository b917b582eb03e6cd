/* The walk of a check: every snapshot's trees, each distinct tree read
 * once; every blob referenced must be listed by an index object, and the
 * plaintext lengths the index gives a file's blobs must add up to the size
 * its entry records (a restore refuses the file otherwise). A tree
 * under which something is damaged or missing is walked again for each
 * snapshot that uses it, to name the affected paths there.
 *
 * The walk is depth-first with an explicit stack of frames on the heap, one
 * per tree on the current path (its decoded entries and the next one to
 * visit), and one growing path buffer: whatever the depth, memory is the
 * sum of the frames on the path, time is linear in the entries walked, and
 * the C stack does not grow. */
#include "check_internal.h"

#include "cairn/err.h"
#include "cairn/tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Problems already recorded for the file being walked (a file with many
 * damaged blobs in one pack is one use of that pack's problem). */
#define FILE_PROBLEMS 8

/* One tree being walked: what a recursive call held on its stack. */
struct frame {
	uint8_t id[CAIRN_ID_BYTES];
	struct cairn_entry *entries;
	size_t n, next;         /* entries, the next one to visit */
	size_t path_saved;      /* path length to go back to when done */
	int first;              /* walked for the first time */
	int orphan;             /* only an orphan pack holds the tree */
	int dirty;              /* something below is damaged or missing */
};

struct walk {
	struct check_run *c;
	struct check_snap snap;
	struct cairn_buf path;  /* the current path, NUL-terminated */
	struct cairn_buf plain;
	struct cairn_zctx *z;
	int has_bad;            /* some blob is marked bad: look uses up */
	struct frame *frames;   /* the trees on the current path, root first */
	size_t depth, cap;
};

static const char *path_of(const struct walk *w)
{
	return (const char *)w->path.data;
}

/* Descend into `name`; returns the length to restore. */
static int path_push(struct walk *w, const uint8_t *name, size_t len, size_t *ret_saved)
{
	size_t saved = w->path.len;
	int rc = 0;

	if (saved > 1) /* not the root "/" */
		rc = cairn_buf_append(&w->path, "/", 1);
	if (rc == 0)
		rc = cairn_buf_append(&w->path, name, len);
	if (rc == 0)
		rc = cairn_buf_reserve(&w->path, 1);
	if (rc < 0)
		return rc;
	w->path.data[w->path.len] = '\0';
	*ret_saved = saved;
	return 0;
}

static void path_pop(struct walk *w, size_t saved)
{
	w->path.len = saved;
	w->path.data[saved] = '\0';
}

static int use(struct walk *w, int64_t problem, int directory)
{
	return check_db_affected(w->c->db, problem, &w->snap, path_of(w), directory, w->c->max_paths);
}

/* A blob no index object lists: attributed to the orphan pack holding it,
 * else to the blob itself. Marked bad (unless `mark` is 0), so that later
 * uses find it. */
static int unindexed(struct walk *w, const uint8_t id[CAIRN_ID_BYTES], uint8_t type, int mark, int64_t *ret_no)
{
	struct cairn_blob_loc loc;
	char object[CAIRN_PACK_NAME_MAX + 16], hex[CAIRN_ID_HEX];
	int from_index = 0, rc;

	rc = check_db_loc_get(w->c->db, id, type, &loc, &from_index);
	if (rc == 0 && !from_index) {
		cairn_repo_pack_name(loc.pack, object);
		rc = check_report(w->c, CAIRN_EVENT_MISSING_BLOB, CAIRN_EVENT_OBJECT_PACK, loc.pack, object, ret_no,
				  "not listed by any index object, but snapshots use its blobs: they cannot be "
				  "restored until a backup indexes it again");
	} else if (rc == CAIRN_ENOTFOUND) {
		cairn_hex_encode(id, CAIRN_ID_BYTES, hex);
		snprintf(object, sizeof(object), "%s blob %s", type == CAIRN_BLOB_TREE ? "tree" : "data", hex);
		rc = check_report(w->c, CAIRN_EVENT_MISSING_BLOB,
				  type == CAIRN_BLOB_TREE ? CAIRN_EVENT_OBJECT_TREE_BLOB : CAIRN_EVENT_OBJECT_DATA_BLOB, id,
				  object, ret_no, "not listed by any index object, and in no pack");
	}
	if (rc == 0 && mark) {
		rc = check_db_bad_add(w->c->db, id, type, *ret_no);
		w->has_bad = 1;
	}
	return rc;
}

/* Read and decode a tree blob (kept from --read-data, or read through the
 * kernel by its re-read rule). CAIRN_ECORRUPT with a detail. */
static int read_tree(struct walk *w, const struct cairn_blob_loc *loc, struct cairn_entry **ret, size_t *ret_n)
{
	int rc;

	cairn_buf_reset(&w->plain);
	rc = check_db_stash_get(w->c->db, loc->id, &w->plain);
	if (rc == CAIRN_ENOTFOUND) {
		if (w->z == NULL && (rc = cairn_zctx_new(CAIRN_ZSTD_LEVEL_DEFAULT, &w->z)) < 0)
			return rc;
		rc = cairn_repo_blob_read_at(w->c->r, w->z, loc, 0, &w->plain, &w->c->st.bytes_read);
	}
	if (rc == 0)
		rc = cairn_tree_decode(w->plain.data, w->plain.len, ret, ret_n);
	return rc;
}

/* A content blob of a file: its plaintext length as the index gives it
 * into *ret_raw_len, -1 when no index object lists it. The first use
 * records and counts it, and reports it (marked bad) when no index object
 * lists it. */
static int file_blob(struct walk *w, const uint8_t id[CAIRN_ID_BYTES], int64_t *ret_raw_len)
{
	int64_t raw_len = -1, no = 0;
	int rc = check_db_ref_get(w->c->db, id, &raw_len);

	if (rc == 0) {
		w->c->st.blobs++;
		if (raw_len < 0) /* in no index object: in an orphan pack, or nowhere */
			rc = unindexed(w, id, CAIRN_BLOB_DATA, 1, &no);
		if (rc == 0)
			rc = check_db_ref_add(w->c->db, id, raw_len);
	}
	if (rc < 0)
		return rc;
	*ret_raw_len = raw_len;
	return 0;
}

/* A file whose recorded size is not the sum of its blobs' plaintext
 * lengths: a restore writes that sum and refuses the file (restore_file.c).
 * One problem per tree holding such files, each file a use of it. */
static int size_mismatch(struct walk *w, const uint8_t tree[CAIRN_ID_BYTES], const struct cairn_entry *e,
			 uint64_t content)
{
	char object[CAIRN_PACK_NAME_MAX + 16], hex[CAIRN_ID_HEX];
	int shown = e->name_len > 128 ? 128 : (int)e->name_len;
	int64_t no = 0;
	int rc;

	cairn_hex_encode(tree, CAIRN_ID_BYTES, hex);
	snprintf(object, sizeof(object), "tree blob %s", hex);
	rc = check_report(w->c, CAIRN_EVENT_SIZE_MISMATCH, CAIRN_EVENT_OBJECT_TREE_BLOB, tree, object, &no,
			  "file '%.*s%s': content is %llu bytes but the tree records %llu", shown,
			  (const char *)e->name, shown < (int)e->name_len ? "..." : "", (unsigned long long)content,
			  (unsigned long long)e->size);
	return rc < 0 ? rc : use(w, no, 0);
}

/* A file's content blobs: referenced (counted once), indexed, not bad, and
 * their plaintext lengths add up to the file's size (an unreadable file
 * has no content and size 0, FORMAT.md "Trees"). A file some blob of which
 * is missing or damaged is reported as a use of that problem only: a
 * restore stops at that blob. */
static int visit_file(struct walk *w, const uint8_t tree[CAIRN_ID_BYTES], const struct cairn_entry *e, int first)
{
	int64_t seen[FILE_PROBLEMS];
	size_t nseen = 0;
	uint64_t content = 0;
	int dirty = 0, sized = 1, rc = 0;

	if (first)
		w->c->st.files++;
	for (size_t i = 0; rc == 0 && i < e->content_count; i++) {
		const uint8_t *id = e->content + i * CAIRN_ID_BYTES;
		int64_t no = 0, raw_len = -1;

		if (first || sized)
			rc = file_blob(w, id, &raw_len);
		if (raw_len < 0 || content > UINT64_MAX - (uint64_t)raw_len)
			sized = 0;
		else
			content += (uint64_t)raw_len;
		if (rc < 0 || !w->has_bad)
			continue;
		rc = check_db_bad_get(w->c->db, id, CAIRN_BLOB_DATA, &no);
		if (rc == CAIRN_ENOTFOUND) {
			rc = 0;
			continue;
		}
		dirty = 1;
		for (size_t k = 0; rc == 0 && k < nseen; k++)
			if (seen[k] == no)
				no = 0;
		if (rc == 0 && no != 0) {
			if (nseen < FILE_PROBLEMS)
				seen[nseen++] = no;
			rc = use(w, no, 0);
		}
	}
	if (rc == 0 && !dirty && sized && content != e->size) {
		rc = size_mismatch(w, tree, e, content);
		dirty = 1;
	}
	return rc < 0 ? rc : dirty;
}

/* The tree itself cannot be read: its directory is affected. */
static int lost_tree(struct walk *w, const uint8_t id[CAIRN_ID_BYTES], int64_t no, int first)
{
	int rc = use(w, no, 1);

	if (rc == 0 && first)
		rc = check_db_tree_set(w->c->db, id, 1);
	return rc < 0 ? rc : 1;
}

/* enter() pushed a frame: the tree's result comes when it is left. */
#define ENTERED 2

/* Push a frame for a tree just read; takes `entries` in every case. */
static int frame_push(struct walk *w, const uint8_t id[CAIRN_ID_BYTES], struct cairn_entry *entries, size_t n,
		      size_t path_saved, int first, int orphan)
{
	struct frame *f;

	if (w->depth == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 64;

		f = cairn_reallocarray(w->frames, cap, sizeof(*f));
		if (f == NULL) {
			cairn_entries_free(entries, n);
			return cairn_err(CAIRN_ENOMEM, "cannot grow the tree walk to %zu levels", cap);
		}
		w->frames = f;
		w->cap = cap;
	}
	f = &w->frames[w->depth++];
	*f = (struct frame){ .entries = entries, .n = n, .path_saved = path_saved, .first = first, .orphan = orphan };
	memcpy(f->id, id, CAIRN_ID_BYTES);
	return ENTERED;
}

/* Start the tree `id` at the current path (its component pushed at
 * `path_saved`): its result now (1 when something below is damaged or
 * missing, 0 when not) when it is clean, already known or cannot be read;
 * ENTERED when its entries are to be walked (a frame was pushed); <0 on
 * error. */
static int enter(struct walk *w, const uint8_t id[CAIRN_ID_BYTES], size_t path_saved)
{
	struct cairn_entry *entries = NULL;
	struct cairn_blob_loc loc;
	char name[CAIRN_PACK_NAME_MAX], hex[CAIRN_ID_HEX];
	int state, first, from_index = 0, orphan = 0, rc;
	size_t n = 0;
	int64_t no = 0;

	check_progress(w->c, 0);
	state = check_db_tree_state(w->c->db, id);
	if (state < 0 || state == CHECK_TREE_CLEAN)
		return state;
	first = state == CHECK_TREE_NEW;
	if (first)
		w->c->st.trees++;
	rc = w->has_bad ? check_db_bad_get(w->c->db, id, CAIRN_BLOB_TREE, &no) : CAIRN_ENOTFOUND;
	if (rc == 0)
		return lost_tree(w, id, no, first);
	if (rc != CAIRN_ENOTFOUND)
		return rc;
	rc = check_db_loc_get(w->c->db, id, CAIRN_BLOB_TREE, &loc, &from_index);
	if (rc == CAIRN_ENOTFOUND) {
		rc = unindexed(w, id, CAIRN_BLOB_TREE, 1, &no);
		return rc < 0 ? rc : lost_tree(w, id, no, first);
	}
	if (rc == 0 && !from_index) {
		/* only an orphan pack has it: the directory is affected, and what
		 * is below it can still be named */
		rc = unindexed(w, id, CAIRN_BLOB_TREE, 0, &no);
		if (rc == 0)
			rc = use(w, no, 1);
		orphan = 1;
	}
	if (rc == 0)
		rc = read_tree(w, &loc, &entries, &n);
	if (rc == CAIRN_ECORRUPT || rc == CAIRN_ENOTFOUND) {
		cairn_repo_pack_name(loc.pack, name);
		cairn_hex_encode(id, CAIRN_ID_BYTES, hex);
		rc = check_report(w->c, rc == CAIRN_ECORRUPT ? CAIRN_EVENT_DAMAGED_BLOB : CAIRN_EVENT_MISSING_PACK,
				  CAIRN_EVENT_OBJECT_PACK, loc.pack, name, &no, "tree blob %.16s at offset %llu: %s", hex,
				  (unsigned long long)loc.offset, cairn_err_msg());
		if (rc == 0)
			rc = check_db_bad_add(w->c->db, id, CAIRN_BLOB_TREE, no);
		w->has_bad = 1;
		return rc < 0 ? rc : lost_tree(w, id, no, first);
	}
	if (rc < 0)
		return rc;
	return frame_push(w, id, entries, n, path_saved, first, orphan);
}

/* Every entry of the top frame was visited: pop the frame and its path
 * component, record the tree's state. The tree's result (0 or 1), or <0. */
static int leave(struct walk *w)
{
	struct frame *f = &w->frames[--w->depth];
	int rc = f->dirty || f->orphan;

	cairn_entries_free(f->entries, f->n);
	path_pop(w, f->path_saved);
	if (f->first || rc == 0) {
		int set = check_db_tree_set(w->c->db, f->id, rc);

		rc = set < 0 ? set : rc;
	}
	return rc;
}

/* Walk the tree `id` at the current path: 1 when something below is
 * damaged or missing, 0 when not, <0 on error. The entries of a tree are
 * visited in order, a subtree entirely before the next entry, as a
 * recursive walk would. */
static int visit(struct walk *w, const uint8_t id[CAIRN_ID_BYTES])
{
	int rc = enter(w, id, w->path.len);

	while (rc >= 0 && w->depth > 0) {
		struct frame *f = &w->frames[w->depth - 1];
		struct cairn_entry *e;
		size_t saved;

		if (rc == 1) /* the entry just visited */
			f->dirty = 1;
		if (f->next == f->n) {
			rc = leave(w);
			continue;
		}
		e = &f->entries[f->next++];
		rc = 0;
		if (e->type != CAIRN_ENTRY_FILE && e->type != CAIRN_ENTRY_DIR)
			continue;
		rc = path_push(w, e->name, e->name_len, &saved);
		if (rc < 0)
			break;
		if (e->type == CAIRN_ENTRY_FILE) {
			rc = visit_file(w, f->id, e, f->first);
			path_pop(w, saved);
		} else {
			rc = enter(w, e->subtree, saved); /* may move the frames */
			if (rc != ENTERED)
				path_pop(w, saved);
		}
	}
	while (w->depth > 0) { /* an error: drop the frames left */
		struct frame *f = &w->frames[--w->depth];

		cairn_entries_free(f->entries, f->n);
		path_pop(w, f->path_saved);
	}
	return rc;
}

int check_walk(struct check_run *c)
{
	struct walk w = { .c = c };
	int64_t time_ns = INT64_MIN;
	int rc;

	rc = check_db_has_bad(c->db);
	w.has_bad = rc > 0;
	if (rc >= 0)
		rc = cairn_buf_append(&w.path, "/", 2);
	while (rc >= 0) {
		char after[CAIRN_ID_HEX];

		memcpy(after, w.snap.id, sizeof(after));
		rc = check_db_snap_next(c->db, time_ns, after, &w.snap);
		if (rc == CAIRN_ENOTFOUND) {
			rc = 0;
			break;
		}
		if (rc < 0)
			break;
		time_ns = w.snap.time_ns;
		path_pop(&w, 1);
		rc = visit(&w, w.snap.tree);
	}
	free(w.frames);
	cairn_buf_free(&w.path);
	cairn_buf_free(&w.plain);
	cairn_zctx_free(w.z);
	return rc < 0 ? rc : 0;
}
