/* The restore walk: every entry of a snapshot created below the target,
 * with an explicit stack of frames (one per directory being restored: its
 * decoded tree and the next entry) and one directory stack holding a
 * bounded number of descriptors, whatever the depth. */
#include "restore_internal.h"

#include "cairn/catalog.h"
#include "cairn/dirstack.h"
#include "cairn/err.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Entries a snapshot's trees may hold beyond what it declares in its
 * stats (files + dirs + others): an eighth more, plus this. */
#define RESTORE_ENTRY_MARGIN 65536u

/* Directory descriptors the walk holds (file jobs hold theirs apart). */
#define RESTORE_WALK_OPEN (CAIRN_DIRSTACK_DEFAULT_OPEN / 2)

struct frame {
	struct cairn_entry *entries; /* the directory's tree, decoded */
	size_t count, next;
	size_t rec;          /* its record in c->recs */
	size_t path_len;     /* length of its parent's path */
	uint64_t restored;   /* entries restored in it */
	int all;             /* everything below is selected */
	int created;         /* created by this run, so it held nothing before */
};

struct walk {
	struct restore_ctx *c;
	const struct cairn_snapshot *snap;
	int rootfd;
	struct cairn_dirstack *ds;
	struct frame *frames;
	size_t nframes, cap;
	struct restore_path path; /* of the current entry */
	uint64_t entries, limit;  /* decoded so far, and the bound */
	uint64_t top_restored;
	struct file_batch *batch; /* files of one directory, being filled */
};

static int included(const struct restore_ctx *c, const char *relpath)
{
	for (size_t i = 0; i < c->opts->nincludes; i++) {
		const char *pat = c->opts->includes[i];

		if (fnmatch(pat, relpath, 0) == 0 || (pat[0] != '/' && fnmatch(pat, relpath + 1, 0) == 0))
			return 1;
	}
	return 0;
}

/* Whether a path below the directory `dir` (dir_len bytes) can match the
 * fnmatch pattern `pat` (flags 0) whose first special character is at
 * `lit`. Every match starts with the literal head pat[0, lit), so the head
 * and dir "/" must agree on their common length; a pattern without special
 * characters matches only itself, which must then be longer than dir "/". */
static int may_match_below(const char *pat, size_t lit, const char *dir, size_t dir_len)
{
	int literal = pat[lit] == '\0';

	if (lit <= dir_len)
		return !literal && memcmp(pat, dir, lit) == 0;
	if (memcmp(pat, dir, dir_len) != 0 || pat[dir_len] != '/')
		return 0;
	return !literal || lit > dir_len + 1;
}

/* Whether any include pattern can match an entry below the directory at
 * `relpath` ("/a/b"), tried the two ways included() tries a match. When not,
 * the walk need not enter it: nothing below would be restored. */
static int includes_below(const struct restore_ctx *c, const char *relpath, size_t len)
{
	for (size_t i = 0; i < c->opts->nincludes; i++) {
		const char *pat = c->opts->includes[i];
		size_t lit = strcspn(pat, "*?[\\");

		if (may_match_below(pat, lit, relpath, len) ||
		    (pat[0] != '/' && may_match_below(pat, lit, relpath + 1, len - 1)))
			return 1;
	}
	return 0;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* The most entries the walk decodes: a tree whose entries all share one
 * subtree, nested, declares few entries and holds exponentially many. */
static uint64_t entry_limit(const struct cairn_snapshot *snap)
{
	uint64_t declared = sat_add(sat_add(snap->stats.files, snap->stats.dirs), snap->stats.others);

	return sat_add(sat_add(declared, declared / 8), RESTORE_ENTRY_MARGIN);
}

/* Decode tree `id` for the current path; a damaged or missing one is
 * reported and reads as empty. CAIRN_ECORRUPT past the entry bound. */
static int read_tree(struct walk *w, const uint8_t id[CAIRN_ID_BYTES], struct cairn_entry **ret_entries,
		     size_t *ret_count)
{
	struct restore_ctx *c = w->c;
	struct cairn_buf *buf = &c->scratch[c->threads];
	struct cairn_entry *entries = NULL;
	struct cairn_blob_loc loc;
	size_t count = 0;
	int rc;

	memset(&loc, 0, sizeof(loc));
	cairn_buf_reset(buf);
	rc = cairn_repo_blob_read(c->repo, c->zctx[c->threads], CAIRN_BLOB_TREE, id, buf, &loc);
	if (rc == 0) {
		rc = cairn_tree_decode(buf->data, buf->len, &entries, &count);
		if (rc == CAIRN_ECORRUPT) {
			/* the blob was read and authenticated: its pack is intact,
			 * the tree it holds breaks the format's rules */
			char hex[CAIRN_ID_HEX], msg[1024];
			struct cairn_event ev = { .code = CAIRN_EVENT_DAMAGED_TREE, .path = restore_path_str(&w->path),
						  .message = msg };

			cairn_hex_encode(id, CAIRN_ID_BYTES, hex);
			snprintf(msg, sizeof(msg), "its tree (blob %.16s) is malformed (the pack holding it is intact): %s",
				 hex, cairn_err_msg());
			cairn_event_ref_set(&ev.object, CAIRN_EVENT_OBJECT_TREE_BLOB, id);
			restore_report(c, &ev);
			*ret_entries = NULL;
			*ret_count = 0;
			return 0;
		}
	}
	if (rc == CAIRN_ECORRUPT || rc == CAIRN_ENOTFOUND) {
		/* a damaged tree loses its directory's contents, nothing else */
		restore_damaged(c, restore_path_str(&w->path), rc, restore_loc_known(&loc) ? &loc : NULL, CAIRN_BLOB_TREE,
				id);
		*ret_entries = NULL;
		*ret_count = 0;
		return 0;
	}
	if (rc < 0)
		return rc;
	w->entries = sat_add(w->entries, count);
	if (w->entries > w->limit) {
		cairn_entries_free(entries, count);
		return cairn_err(CAIRN_ECORRUPT, "snapshot %.8s: its trees hold more than %llu entries although it "
				 "declares %llu files, %llu directories and %llu other entries (subtrees shared over and "
				 "over?): a damaged or hostile repository; restore stopped", w->snap->id,
				 (unsigned long long)w->limit, (unsigned long long)w->snap->stats.files,
				 (unsigned long long)w->snap->stats.dirs, (unsigned long long)w->snap->stats.others);
	}
	*ret_entries = entries;
	*ret_count = count;
	return 0;
}

static int frame_push(struct walk *w, const struct frame *f)
{
	if (w->nframes == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct frame *frames = cairn_reallocarray(w->frames, cap, sizeof(*frames));

		if (frames == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot grow the restore walk to %zu levels", cap);
		w->frames = frames;
		w->cap = cap;
	}
	w->frames[w->nframes++] = *f;
	return 0;
}

/* A directory entry: create (or, overwriting, reuse) it, enter it, push
 * its frame. 1 when a frame was pushed, 0 when the entry was skipped (and
 * reported), < 0 to stop. */
static int enter_dir(struct walk *w, size_t fi, const struct cairn_entry *e, const char *name, size_t parent_len,
		     int sel)
{
	struct restore_ctx *c = w->c;
	const char *path = restore_path_str(&w->path);
	int dirfd = cairn_dirstack_fd(w->ds), created = 1, parent_created = w->frames[fi].created, rc;
	struct frame f = { 0 };
	struct stat st;
	dev_t dev;
	ino_t ino;

	if (mkdirat(dirfd, name, 0700) < 0) {
		int err = errno;

		created = 0;
		if (err != EEXIST || !c->opts->overwrite || parent_created) {
			restore_exists_problem(c, path, "directory", err, parent_created);
			return 0;
		}
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode)) {
			if (unlinkat(dirfd, name, 0) < 0 || mkdirat(dirfd, name, 0700) < 0) {
				restore_problem(c, CAIRN_EVENT_NOT_RESTORED, path, "cannot replace with a directory: %s",
						strerror(errno));
				return 0;
			}
			created = 1;
		}
	}
	if (cairn_dirstack_push(w->ds, name, NULL) < 0) {
		restore_problem(c, CAIRN_EVENT_NOT_RESTORED, path, "%s", cairn_err_msg());
		return 0;
	}
	if (e->flags & CAIRN_ENTRY_F_UNREADABLE)
		restore_problem(c, CAIRN_EVENT_NOT_RESTORED, path,
				"the directory could not be read when the snapshot was taken: restored empty");
	cairn_dirstack_id(w->ds, &dev, &ino);
	rc = read_tree(w, e->subtree, &f.entries, &f.count);
	if (rc == 0) {
		rc = restore_rec_add(c, w->frames[fi].rec, name, dev, ino, e, &f.rec);
		if (rc < 0)
			cairn_entries_free(f.entries, f.count);
	}
	if (rc == 0) {
		f.path_len = parent_len;
		f.all = sel;
		f.created = created;
		rc = frame_push(w, &f);
		if (rc < 0)
			cairn_entries_free(f.entries, f.count);
	}
	if (rc < 0) {
		cairn_dirstack_pop(w->ds);
		return rc;
	}
	return 1;
}

/* The last entry of the top frame is done: back to its parent. */
static int leave_dir(struct walk *w)
{
	struct restore_ctx *c = w->c;
	struct frame *f = &w->frames[w->nframes - 1];
	int rc;

	cairn_entries_free(f->entries, f->count);
	f->entries = NULL;
	if (w->nframes == 1) {
		w->top_restored = f->restored;
		w->nframes = 0;
		return 0;
	}
	rc = cairn_dirstack_pop(w->ds);
	if (rc < 0)
		return rc; /* the target changed under the walk: stop */
	if (!f->all && f->restored == 0 && f->created) {
		/* nothing selected below: do not leave an empty skeleton */
		unlinkat(cairn_dirstack_fd(w->ds), w->path.s + f->path_len + 1, AT_REMOVEDIR);
		restore_recs_truncate(c, f->rec);
	} else {
		c->stats.dirs++;
		f[-1].restored++;
	}
	restore_path_pop(&w->path, f->path_len);
	w->nframes--;
	return 0;
}

/* Hand the batch being filled to the workers. */
static void batch_submit(struct walk *w)
{
	if (w->batch != NULL)
		cairn_workpool_submit(w->c->pool, w->batch);
	w->batch = NULL;
}

/* The batch the next file of the top frame's directory joins: the one
 * being filled, or a new one holding a duplicate of the directory's
 * descriptor (the walk's own may be closed by the time a worker runs). */
static int batch_get(struct walk *w, const struct frame *f, const char *path, struct file_batch **ret)
{
	struct file_batch *b = w->batch;

	if (b != NULL && b->rec != f->rec)
		batch_submit(w);
	if (w->batch == NULL) {
		b = calloc(1, sizeof(*b));
		if (b == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot allocate a batch of files");
		b->dirfd = fcntl(cairn_dirstack_fd(w->ds), F_DUPFD_CLOEXEC, 0);
		if (b->dirfd < 0) {
			int err = errno;

			free(b);
			return cairn_err(cairn_err_from_errno(err), "cannot set up the restore of '%s': %s", path,
					 strerror(err));
		}
		b->created = f->created;
		b->rec = f->rec;
		w->batch = b;
	}
	*ret = w->batch;
	return 0;
}

/* Locate the data blobs of `e` for the workers, appended to the batch's
 * list (a blob the catalog does not know, or knows as another type, is
 * left to the worker's own read, which reports it). */
static int batch_locate(struct restore_ctx *c, struct file_batch *b, const struct cairn_entry *e)
{
	if (b->nblobs + e->content_count > b->blobs_cap) {
		size_t cap = b->blobs_cap * 2 > b->nblobs + e->content_count ? b->blobs_cap * 2
									      : b->nblobs + e->content_count + 32;
		struct cairn_blob_loc *locs = cairn_reallocarray(b->locs, cap, sizeof(*locs));
		unsigned char *known;

		if (locs == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot allocate the locations of a batch of files");
		b->locs = locs;
		known = cairn_reallocarray(b->known, cap, 1);
		if (known == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot allocate the locations of a batch of files");
		b->known = known;
		b->blobs_cap = cap;
	}
	for (size_t i = 0; i < e->content_count; i++) {
		struct cairn_blob_loc *l = &b->locs[b->nblobs];

		if (cairn_catalog_blob_get(cairn_repo_catalog(c->repo), e->content + i * CAIRN_ID_BYTES, CAIRN_BLOB_DATA, l) == 0)
			b->known[b->nblobs] = l->type == CAIRN_BLOB_DATA;
		else {
			cairn_err_clear();
			b->known[b->nblobs] = 0;
		}
		b->nblobs++;
	}
	return 0;
}

/* Add the file `e` (its content moves to the job) as `name`, already
 * created as fd, or (fd -1) to be created by the worker; the batch goes
 * to the workers when full. */
static int batch_add(struct walk *w, const struct frame *f, const char *name, const char *path, int fd, size_t slot,
		     struct cairn_entry *e)
{
	struct file_batch *b = NULL;
	struct file_job *job;
	int rc = batch_get(w, f, path, &b);

	if (rc < 0)
		return rc;
	rc = batch_locate(w->c, b, e);
	if (rc < 0)
		return rc;
	job = &b->jobs[b->count];
	job->fd = fd;
	job->name = cairn_strdup(name);
	job->relpath = cairn_strdup(path);
	if (job->name == NULL || job->relpath == NULL) {
		free(job->name);
		free(job->relpath);
		return cairn_err(CAIRN_ENOMEM, "cannot set up the restore of '%s'", path);
	}
	job->entry = *e;
	job->link_slot = slot;
	if (w->c->as_root)
		restore_owner_of(w->c, &job->entry, &job->uid, &job->gid);
	memset(e, 0, sizeof(*e));
	b->count++;
	b->bytes += job->entry.size;
	restore_plan_file(w->c->repo, &w->c->plan, &job->entry);
	if (fd >= 0 || b->count == RESTORE_BATCH_FILES || b->bytes >= RESTORE_BATCH_BYTES)
		batch_submit(w);
	return 0;
}

static int restore_file(struct walk *w, const struct frame *f, const char *name, struct cairn_entry *e)
{
	struct restore_ctx *c = w->c;
	const char *path = restore_path_str(&w->path);
	int dirfd = cairn_dirstack_fd(w->ds);
	size_t slot = 0, first;
	int fd, rc;

	if (e->hardlink != 0 && restore_link_find(c, e->hardlink, &first)) {
		if (c->links[first].size != e->size) {
			/* one inode cannot have two sizes: the repository is inconsistent */
			restore_problem(c, CAIRN_EVENT_SIZE_MISMATCH, path, "not restored: its hardlink group's first "
					"entry records %llu bytes, this one %llu", (unsigned long long)c->links[first].size,
					(unsigned long long)e->size);
			return 0;
		}
		/* a later name: linked at the end; what stands there goes now */
		if (c->opts->overwrite && !f->created && restore_clear_name(dirfd, name) < 0) {
			restore_problem(c, CAIRN_EVENT_NOT_RESTORED, path, "cannot replace with a hardlink: %s",
					strerror(errno));
			return 0;
		}
		return restore_link_later(c, first, f->rec, name);
	}
	if (e->hardlink == 0)
		return batch_add(w, f, name, path, -1, 0, e); /* the worker creates it */
	/* the first of a hardlink group: created here, to be staged at once,
	 * and sent alone (its descriptor held as briefly as before) */
	rc = restore_link_first(c, e->hardlink, f->rec, name, e->size, &slot);
	if (rc < 0)
		return rc;
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST && c->opts->overwrite && !f->created && restore_clear_name(dirfd, name) == 0)
		fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		restore_exists_problem(c, path, "file", errno, f->created);
		return 0;
	}
	pthread_mutex_lock(&c->lock);
	c->stats.files++;
	pthread_mutex_unlock(&c->lock);
	restore_link_stage(c, w->rootfd, slot, fd, dirfd, name, path);
	if (e->flags & CAIRN_ENTRY_F_UNREADABLE)
		restore_problem(c, CAIRN_EVENT_NOT_RESTORED, path,
				"the file could not be read when the snapshot was taken: restored empty");
	batch_submit(w);
	rc = batch_add(w, f, name, path, fd, slot, e);
	if (rc < 0)
		close(fd);
	return rc;
}

static int restore_special(struct walk *w, const struct frame *f, const char *name, const struct cairn_entry *e)
{
	struct restore_ctx *c = w->c;
	const char *path = restore_path_str(&w->path);
	int dirfd = cairn_dirstack_fd(w->ds), rc = -1;

	for (int attempt = 0; attempt < 2; attempt++) {
		switch (e->type) {
		case CAIRN_ENTRY_SYMLINK: {
			char *target = malloc(e->target_len + 1);

			if (target == NULL)
				return cairn_err(CAIRN_ENOMEM, "cannot allocate symlink target");
			memcpy(target, e->target ? (const char *)e->target : "", e->target_len);
			target[e->target_len] = '\0';
			rc = symlinkat(target, dirfd, name);
			free(target);
			break;
		}
		case CAIRN_ENTRY_FIFO:
			rc = mkfifoat(dirfd, name, 0600);
			break;
		case CAIRN_ENTRY_CHR:
			rc = mknodat(dirfd, name, S_IFCHR | 0600, (dev_t)e->rdev);
			break;
		case CAIRN_ENTRY_BLK:
			rc = mknodat(dirfd, name, S_IFBLK | 0600, (dev_t)e->rdev);
			break;
		default:
			rc = mknodat(dirfd, name, S_IFSOCK | 0600, 0);
			break;
		}
		if (rc == 0 || errno != EEXIST || !c->opts->overwrite || f->created || attempt > 0)
			break;
		if (restore_clear_name(dirfd, name) < 0)
			break;
	}
	if (rc < 0) {
		restore_exists_problem(c, path, e->type == CAIRN_ENTRY_SYMLINK ? "symlink" : "special file", errno, f->created);
		return 0;
	}
	c->stats.others++;
	restore_metadata(c, -1, dirfd, name, path, e);
	return 0;
}

/* The next entry of the top frame. */
static int walk_step(struct walk *w)
{
	struct restore_ctx *c = w->c;
	size_t fi = w->nframes - 1, parent_len = w->path.len;
	struct frame *f = &w->frames[fi];
	struct cairn_entry *e = &f->entries[f->next++];
	const char *name;
	int sel, rc;

	rc = restore_path_push(&w->path, e->name, e->name_len);
	if (rc < 0)
		return rc;
	name = w->path.s + parent_len + 1;
	sel = f->all || c->opts->nincludes == 0 || included(c, w->path.s);
	if (e->type == CAIRN_ENTRY_DIR && !sel && !includes_below(c, w->path.s, w->path.len)) {
		/* nothing below can be selected: neither created nor read */
	} else if (e->type == CAIRN_ENTRY_DIR) {
		rc = enter_dir(w, fi, e, name, parent_len, sel);
		if (rc == 1) {
			restore_progress(c, w->path.s, 0);
			return 0; /* the path stays: the new frame's */
		}
	} else if (sel) {
		rc = e->type == CAIRN_ENTRY_FILE ? restore_file(w, f, name, e) : restore_special(w, f, name, e);
		f->restored++;
	}
	restore_progress(c, w->path.s, 0);
	restore_path_pop(&w->path, parent_len);
	return rc;
}

int restore_walk(struct restore_ctx *c, const struct cairn_snapshot *snap, int rootfd, uint64_t *ret_restored)
{
	struct walk w;
	struct frame root = { 0 };
	struct stat st;
	int rc;

	memset(&w, 0, sizeof(w));
	w.c = c;
	w.snap = snap;
	w.rootfd = rootfd;
	w.limit = entry_limit(snap);
	if (fstat(rootfd, &st) < 0)
		return cairn_err(cairn_err_from_errno(errno), "cannot stat the target: %s", strerror(errno));
	rc = cairn_dirstack_new(rootfd, RESTORE_WALK_OPEN, &w.ds);
	if (rc < 0)
		return rc;
	rc = restore_rec_add(c, 0, NULL, st.st_dev, st.st_ino, NULL, &root.rec);
	if (rc == 0)
		rc = read_tree(&w, snap->tree, &root.entries, &root.count);
	if (rc == 0) {
		root.all = 0;
		root.created = !c->opts->overwrite; /* without overwrite the target was empty */
		rc = frame_push(&w, &root);
		if (rc < 0)
			cairn_entries_free(root.entries, root.count);
	}
	while (rc == 0 && w.nframes > 0) {
		struct frame *f = &w.frames[w.nframes - 1];

		rc = f->next == f->count ? leave_dir(&w) : walk_step(&w);
	}
	batch_submit(&w);
	while (w.nframes > 0) {
		w.nframes--;
		cairn_entries_free(w.frames[w.nframes].entries, w.frames[w.nframes].count);
	}
	free(w.frames);
	restore_path_free(&w.path);
	cairn_dirstack_free(w.ds);
	if (rc == 0)
		*ret_restored = w.top_restored;
	return rc;
}
