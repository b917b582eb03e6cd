/* Walking directories: an explicit stack of frames, one per directory on the
 * current path; every system call relative to the parent directory's
 * descriptor (a cairn_dirstack, which bounds the descriptors held and checks
 * device and inode of each directory entered).
 *
 * A popped directory does not wait for the workers: it joins a queue of
 * pending directories with a ticket of the worker pool (every job submitted
 * so far, its files' among them) and the walk goes on to the next directory
 * while the workers finish its files. Pending directories are completed in
 * the order they were popped (files cache rows, then the tree blob, whose id
 * goes into the parent's entry), as soon as their ticket is done; a child
 * is popped before its parent, so its tree is stored before the parent's is
 * encoded. At most BACKUP_MAX_PENDING_DIRS directories or
 * BACKUP_MAX_PENDING_ITEMS entries wait: beyond that the walk waits for the
 * oldest.
 *
 * Memory: the items of the directories on the current path and of the
 * pending ones (bounded as above), plus two path buffers; time: O(entries),
 * whatever the depth. No name of the tree is ever
 * resolved as a path: a directory swapped for a symlink or for another
 * directory between its listing and its descent is reported and not read. */
#include "backup_internal.h"

#include "cairn/dirstack.h"
#include "cairn/err.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One directory on the current path of the walk. */
struct frame {
	struct dir_item *items;     /* sorted by name; owned */
	size_t count, next;         /* next: index of the next item to visit */
	size_t path_len;            /* c->path.len of this directory */
	struct cairn_entry *entry;  /* its entry in the parent's items; NULL for "/" */
	int virtual;                /* above the given paths: items are components of c->roots */
};

/* A popped directory waiting for its files' chunks. */
struct pending {
	struct dir_item *items;     /* owned */
	size_t count;
	char *path;                 /* for messages and the files cache; owned */
	size_t path_len;
	uint8_t *tree;              /* where its tree id goes: the parent item's
				     * entry (alive until the parent completes,
				     * after this one), or the walk's result */
	uint64_t ticket;            /* the pool's jobs up to this directory's last */
};

struct walk {
	struct backup_ctx *c;
	struct cairn_dirstack *ds;  /* top: the directory of the top frame */
	struct frame *frames;       /* frames[0 .. depth) */
	size_t depth, cap;
	struct pending *pend;       /* ring of pending directories, oldest at pend_head */
	size_t pend_head, pend_count, pend_cap, pend_items;
	struct backup_path done_path; /* the path of the directory being completed */
};

int backup_path_push(struct backup_ctx *c, const char *name)
{
	size_t n = strlen(name), need = c->path.len + n + 2;

	if (need > c->path.cap) {
		size_t cap = c->path.cap ? c->path.cap : 256;
		char *p;

		while (cap < need)
			cap *= 2;
		p = realloc(c->path.buf, cap);
		if (p == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot grow the path buffer to %zu bytes", cap);
		c->path.buf = p;
		c->path.cap = cap;
	}
	c->path.buf[c->path.len++] = '/';
	memcpy(c->path.buf + c->path.len, name, n + 1);
	c->path.len += n;
	return 0;
}

const char *backup_path_str(const struct backup_ctx *c)
{
	return c->path.len > 0 ? c->path.buf : "/";
}

static void path_cut(struct backup_ctx *c, size_t len)
{
	c->path.len = len;
	if (c->path.buf != NULL)
		c->path.buf[len] = '\0';
}

static int item_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dir_item *)a)->name, ((const struct dir_item *)b)->name);
}

int backup_store_tree(struct backup_ctx *c, struct cairn_entry *entries, size_t count,
		      uint8_t ret_tree[CAIRN_ID_BYTES])
{
	struct cairn_buf blob = { 0 };
	int rc;

	rc = cairn_tree_encode(entries, count, &blob);
	if (rc == 0)
		rc = cairn_packer_add(c->packer, c->zctx[c->threads], &c->scratch[c->threads], CAIRN_BLOB_TREE,
				      blob.data, blob.len, ret_tree, NULL);
	cairn_buf_free(&blob);
	return rc;
}

void backup_free_items(struct dir_item *items, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(items[i].name);
		cairn_entry_clear(&items[i].entry);
		free(items[i].res.ids);
		free(items[i].res.error);
		cairn_catalog_file_clear(&items[i].cached);
	}
	free(items);
}

static int ino_cmp(const void *a, const void *b)
{
	const struct dir_item *x = *(const struct dir_item *const *)a, *y = *(const struct dir_item *const *)b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* fstatat every entry, in inode order: on a cold cache the inode table is
 * then read front to back instead of in name order. */
static void stat_in_inode_order(int dirfd, struct dir_item *items, size_t count)
{
	struct dir_item **order = cairn_calloc(count, sizeof(*order));

	for (size_t i = 0; i < count && order != NULL; i++)
		order[i] = &items[i];
	if (order != NULL && count > 1)
		qsort(order, count, sizeof(*order), ino_cmp);
	for (size_t i = 0; i < count; i++) {
		struct dir_item *it = order != NULL ? order[i] : &items[i];

		it->stat_errno = fstatat(dirfd, it->name, &it->st, AT_SYMLINK_NOFOLLOW) < 0 ? errno : 0;
	}
	free(order);
}

/* The files cache rows of the regular files among the sorted items of the
 * directory c->path, in one range scan (cairn_catalog_file_get_dir) instead
 * of a lookup per file. 0 or <0. */
static int prefetch_files_cache(struct backup_ctx *c, struct dir_item *items, size_t count)
{
	struct cairn_catalog *cat = cairn_repo_catalog(c->repo);
	struct cairn_catalog_file *rows;
	const char **names;
	uint8_t *found;
	size_t n = 0;
	int rc;

	if (c->opts->no_files_cache || count == 0)
		return 0;
	for (size_t i = 0; i < count; i++)
		n += items[i].stat_errno == 0 && S_ISREG(items[i].st.st_mode);
	if (n == 0)
		return 0;
	names = cairn_calloc(n, sizeof(*names));
	rows = cairn_calloc(n, sizeof(*rows));
	found = malloc(n);
	if (names == NULL || rows == NULL || found == NULL) {
		rc = cairn_err(CAIRN_ENOMEM, "cannot read the files cache of '%s'", backup_path_str(c));
		goto out;
	}
	n = 0;
	for (size_t i = 0; i < count; i++)
		if (items[i].stat_errno == 0 && S_ISREG(items[i].st.st_mode))
			names[n++] = items[i].name;
	rc = cairn_catalog_read_begin(cat);
	if (rc == 0)
		rc = cairn_catalog_file_get_dir(cat, c->path.len > 0 ? c->path.buf : "", c->path.len, names, n, rows, found);
	if (rc < 0)
		goto out;
	n = 0;
	for (size_t i = 0; i < count; i++) {
		if (items[i].stat_errno != 0 || !S_ISREG(items[i].st.st_mode))
			continue;
		items[i].cached_state = found[n] ? 2 : 1;
		items[i].cached = rows[n];
		n++;
	}
out:
	free(names);
	free(rows);
	free(found);
	return rc;
}

/* The names of the directory open as `dirfd` (path c->path), sorted and
 * stat'ed, with the files cache rows of its files. 1 (with a warning, no items) when it cannot be read. */
static int list_dir(struct backup_ctx *c, int dirfd, struct dir_item **ret, size_t *ret_count)
{
	const char *path = backup_path_str(c);
	struct dir_item *items = NULL;
	size_t count = 0, cap = 0;
	struct dirent *de;
	int fd, rc = 0;
	DIR *d;

	/* a duplicate: closedir() closes it, the stack keeps its own */
	fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		int saved = errno;

		if (fd >= 0)
			close(fd);
		backup_warn(c, CAIRN_EVENT_UNREADABLE, path, "cannot open directory: %s", strerror(saved));
		return 1;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (de == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			void *p = cairn_reallocarray(items, ncap, sizeof(*items));

			if (p == NULL) {
				rc = cairn_err(CAIRN_ENOMEM, "cannot list directory '%s'", path);
				goto out;
			}
			items = p;
			memset(items + cap, 0, (ncap - cap) * sizeof(*items));
			cap = ncap;
		}
		items[count].ino = (uint64_t)de->d_ino;
		items[count].name = cairn_strdup(de->d_name);
		if (items[count].name == NULL) {
			rc = cairn_err(CAIRN_ENOMEM, "cannot list directory '%s'", path);
			goto out;
		}
		count++;
	}
	if (errno != 0)
		backup_warn(c, CAIRN_EVENT_UNREADABLE, path, "cannot read directory: %s", strerror(errno));
	/* the items stay on the stack while the walk is below them: to size */
	if (count == 0) {
		free(items);
		items = NULL;
	} else if (count < cap) {
		void *p = cairn_reallocarray(items, count, sizeof(*items));

		if (p != NULL)
			items = p;
	}
	if (count > 1)
		qsort(items, count, sizeof(*items), item_cmp);
	stat_in_inode_order(dirfd, items, count);
	rc = prefetch_files_cache(c, items, count);
out:
	closedir(d);
	if (rc < 0) {
		backup_free_items(items, count);
		return rc;
	}
	*ret = items;
	*ret_count = count;
	return 0;
}

/* The items of a virtual directory (path c->path): one per next component
 * of the given paths below it, c->roots[first .. first + n). */
static int virtual_items(struct backup_ctx *c, size_t first, size_t n, struct dir_item **ret, size_t *ret_count)
{
	struct dir_item *items = cairn_calloc(n, sizeof(*items));
	size_t count = 0, plen = c->path.len;

	if (items == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot allocate the tree of '%s'", backup_path_str(c));
	for (size_t i = first; i < first + n;) {
		const char *comp = c->roots[i] + plen + 1;
		size_t clen = strcspn(comp, "/"), j = i + 1;
		struct dir_item *it = &items[count++];

		/* the paths sharing this component follow it (sorted) */
		while (j < first + n && strncmp(c->roots[j] + plen + 1, comp, clen) == 0 &&
		       c->roots[j][plen + 1 + clen] == '/')
			j++;
		it->name = malloc(clen + 1);
		if (it->name == NULL) {
			backup_free_items(items, count);
			return cairn_err(CAIRN_ENOMEM, "cannot allocate name");
		}
		memcpy(it->name, comp, clen);
		it->name[clen] = '\0';
		it->root_first = i;
		it->root_count = j - i;
		i = j;
	}
	*ret = items;
	*ret_count = count;
	return 0;
}

static int push_frame(struct walk *w, struct dir_item *items, size_t count, struct cairn_entry *entry, int virtual)
{
	if (w->depth == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 64;
		struct frame *p = cairn_reallocarray(w->frames, ncap, sizeof(*p));

		if (p == NULL) {
			backup_free_items(items, count);
			return cairn_err(CAIRN_ENOMEM, "cannot grow the walk to %zu levels", ncap);
		}
		w->frames = p;
		w->cap = ncap;
	}
	w->frames[w->depth++] = (struct frame){
		.items = items, .count = count, .path_len = w->c->path.len, .entry = entry, .virtual = virtual
	};
	return 0;
}

/* Enter the directory item `it` (stat `st`, path c->path) of the top
 * directory: open it relative to the top descriptor, without following a
 * symlink, and check that it is the directory of `st`; read its xattrs
 * through the descriptor and push a frame of its items. A directory that
 * cannot be entered, or was replaced since its stat, is kept empty and
 * flagged unreadable (after a warning); in a virtual directory that fails
 * the backup, as any given path does. */
static int enter_dir(struct walk *w, struct dir_item *it, const struct stat *st, int virtual)
{
	struct backup_ctx *c = w->c;
	struct cairn_entry *e = &it->entry;
	int dirfd = cairn_dirstack_fd(w->ds), rc, saved;
	struct dir_item *items = NULL;
	size_t count = 0;

	if (!virtual && c->opts->one_file_system && st->st_dev != c->top_dev) {
		/* a mount point: kept, empty */
		rc = backup_read_xattrs(c, -1, dirfd, it->name, e);
		return rc < 0 ? rc : backup_store_tree(c, NULL, 0, e->subtree);
	}
	rc = cairn_dirstack_push(w->ds, it->name, st);
	if (rc < 0) {
		saved = errno;
		if (virtual || rc == CAIRN_ENOMEM)
			return cairn_err_ctx(rc, "cannot back up '%s'", backup_path_str(c));
		if (saved == ESTALE || saved == ELOOP || saved == ENOTDIR) {
			/* a symlink or another inode now: never followed, not read */
			backup_warn(c, CAIRN_EVENT_CHANGED, backup_path_str(c), "directory was replaced while being backed up: not read");
		} else {
			backup_warn(c, CAIRN_EVENT_UNREADABLE, backup_path_str(c), "cannot open directory: %s", strerror(saved));
			rc = backup_read_xattrs(c, -1, dirfd, it->name, e);
			if (rc < 0)
				return rc;
		}
		e->flags |= CAIRN_ENTRY_F_UNREADABLE;
		return backup_store_tree(c, NULL, 0, e->subtree);
	}
	dirfd = cairn_dirstack_fd(w->ds);
	rc = backup_read_xattrs(c, dirfd, -1, NULL, e);
	if (rc < 0)
		return rc;
	if (virtual) {
		rc = virtual_items(c, it->root_first, it->root_count, &items, &count);
	} else {
		rc = list_dir(c, dirfd, &items, &count);
		if (rc == 1) { /* unreadable: an empty tree, the entry flagged */
			e->flags |= CAIRN_ENTRY_F_UNREADABLE;
			rc = 0;
		}
	}
	if (rc == 0)
		rc = push_frame(w, items, count, e, virtual);
	if (rc == 0 && !virtual && c->opts->on_dir_listed != NULL)
		c->opts->on_dir_listed(c->opts->ctx, backup_path_str(c));
	return rc;
}

/* Back up the item `it` (name set, stat `st`) of the top directory. */
static int visit_entry(struct walk *w, struct dir_item *it, const struct stat *st)
{
	struct backup_ctx *c = w->c;
	struct cairn_entry *e = &it->entry;
	int dirfd = cairn_dirstack_fd(w->ds), rc;

	rc = backup_entry_meta(c, st, e);
	if (rc < 0)
		return rc;
	switch (e->type) {
	case CAIRN_ENTRY_DIR:
		c->stats.dirs++;
		return enter_dir(w, it, st, 0);
	case CAIRN_ENTRY_FILE: {
		uint64_t failures = c->xattr_failures;

		c->stats.files++;
		c->stats.bytes += (uint64_t)st->st_size;
		c->xattrs_skip = 0;
		c->hit_no_xattrs = -1;
		c->cur_item = it;
		rc = backup_file_content(c, dirfd, it->name, st, &it->res, e);
		c->cur_item = NULL;
		c->xattrs_skip = 0;
		it->xattrs_none = c->xattr_failures == failures && e->xattr_count == 0;
		it->row_stale = c->hit_no_xattrs == 0 && it->xattrs_none;
		if (rc == 1)
			e->flags |= CAIRN_ENTRY_F_UNREADABLE;
		else if (rc == 0)
			it->has_content = 1;
		return rc < 0 ? rc : 0;
	}
	case CAIRN_ENTRY_SYMLINK:
		c->stats.others++;
		rc = backup_read_symlink(c, dirfd, it->name, st, e);
		return rc < 0 ? rc : backup_read_xattrs(c, -1, dirfd, it->name, e);
	default: /* never opened: a FIFO would block, a device would act */
		c->stats.others++;
		return backup_read_xattrs(c, -1, dirfd, it->name, e);
	}
}

static int set_name(struct dir_item *it)
{
	it->entry.name = (uint8_t *)cairn_strdup(it->name);
	if (it->entry.name == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot copy name");
	it->entry.name_len = strlen(it->name);
	return 0;
}

/* An item of a directory of the tree (path c->path). */
static int visit_real(struct walk *w, struct dir_item *it)
{
	struct backup_ctx *c = w->c;
	int rc;

	if (c->opts->nexcludes > 0 && backup_excluded(c, backup_path_str(c), it->name))
		return 0; /* left out: type 0, dropped from the tree */
	if (it->stat_errno != 0) {
		backup_warn(c, it->stat_errno == ENOENT ? CAIRN_EVENT_VANISHED : CAIRN_EVENT_UNREADABLE,
			    backup_path_str(c), "cannot stat: %s", strerror(it->stat_errno));
		return 0; /* dropped */
	}
	rc = set_name(it);
	return rc < 0 ? rc : visit_entry(w, it, &it->st);
}

/* An item of a virtual directory (path c->path): a given path, or a
 * directory above some. A given path that is a symlink is kept as one. */
static int visit_virtual(struct walk *w, struct dir_item *it)
{
	struct backup_ctx *c = w->c;
	const char *path = backup_path_str(c);
	const char *given = c->roots[it->root_first];
	int rc;

	if (fstatat(cairn_dirstack_fd(w->ds), it->name, &it->st, AT_SYMLINK_NOFOLLOW) < 0)
		return cairn_err(cairn_err_from_errno(errno), "cannot back up '%s': %s", path, strerror(errno));
	rc = set_name(it);
	if (rc < 0)
		return rc;
	if (strcmp(given, path) == 0) {
		c->top_dev = it->st.st_dev;
		return visit_entry(w, it, &it->st);
	}
	if (!S_ISDIR(it->st.st_mode))
		return cairn_err(CAIRN_EINVAL, "cannot back up '%s': '%s' is not a directory", given, path);
	rc = backup_entry_meta(c, &it->st, &it->entry);
	if (rc < 0)
		return rc;
	c->stats.dirs++;
	return enter_dir(w, it, &it->st, 1);
}

/* Append "/name" to `p` (a path buffer like c->path). 0 or CAIRN_ENOMEM. */
static int path_append(struct backup_path *p, const char *name)
{
	size_t n = strlen(name), need = p->len + n + 2;

	if (need > p->cap) {
		size_t cap = p->cap ? p->cap : 256;
		char *q;

		while (cap < need)
			cap *= 2;
		q = realloc(p->buf, cap);
		if (q == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot grow the path buffer to %zu bytes", cap);
		p->buf = q;
		p->cap = cap;
	}
	p->buf[p->len++] = '/';
	memcpy(p->buf + p->len, name, n + 1);
	p->len += n;
	return 0;
}

/* Files cache rows of the files of one finished directory (path pd->path);
 * their ids move into the entries. Within the caller's transaction. */
static int finish_files(struct walk *w, struct pending *pd)
{
	struct backup_ctx *c = w->c;
	struct backup_path *p = &w->done_path;
	int rc = 0;

	p->len = 0;
	if (pd->path_len > 0 && (rc = path_append(p, pd->path + 1)) < 0)
		return rc;
	for (size_t i = 0; i < pd->count && rc == 0; i++) {
		struct dir_item *it = &pd->items[i];

		if (it->entry.type == 0 || !it->has_content)
			continue;
		p->len = pd->path_len;
		rc = path_append(p, it->name);
		if (rc < 0)
			break;
		if (it->res.error != NULL) {
			/* a worker could not read it: metadata only */
			backup_warn(c, CAIRN_EVENT_UNREADABLE, p->buf, "%s", it->res.error);
			it->entry.flags |= CAIRN_ENTRY_F_UNREADABLE;
		} else {
			rc = backup_file_finish(c, p->buf, &it->res, &it->entry, it->xattrs_none, it->row_stale);
		}
		it->has_content = 0;
	}
	return rc;
}

/* The tree blob of one finished directory, its files done: the entries
 * move out of its items; the id goes to pd->tree. */
static int store_dir_tree(struct backup_ctx *c, struct pending *pd)
{
	struct cairn_entry *entries = NULL;
	size_t n = 0;
	int rc;

	entries = cairn_calloc(pd->count, sizeof(*entries));
	if (entries == NULL && pd->count > 0)
		return cairn_err(CAIRN_ENOMEM, "cannot allocate the tree of '%s'", pd->path_len ? pd->path : "/");
	for (size_t i = 0; i < pd->count; i++) {
		if (pd->items[i].entry.type == 0)
			continue;
		entries[n++] = pd->items[i].entry;
		memset(&pd->items[i].entry, 0, sizeof(pd->items[i].entry));
	}
	rc = backup_store_tree(c, entries, n, pd->tree);
	cairn_entries_free(entries, n);
	return rc;
}

/* Whether finishing the directory writes files cache rows: a file read
 * (not taken from the cache) without error. */
static int has_rows(const struct pending *pd)
{
	for (size_t i = 0; i < pd->count; i++) {
		const struct dir_item *it = &pd->items[i];

		if (it->entry.type != 0 && it->has_content && it->res.error == NULL &&
		    (!it->res.from_cache || (it->row_stale && it->xattrs_none)))
			return 1;
	}
	return 0;
}

static void pending_free(struct pending *pd)
{
	backup_free_items(pd->items, pd->count);
	free(pd->path);
	memset(pd, 0, sizeof(*pd));
}

/* Complete the oldest pending directories whose files are done: all of them
 * when `all` (waiting for the workers), else those already done, waiting
 * only while more than the bounds are pending. Their files cache rows go in
 * one transaction, then their trees, oldest first. */
static int complete_pending(struct walk *w, int all)
{
	struct backup_ctx *c = w->c;
	struct cairn_catalog *cat = cairn_repo_catalog(c->repo);
	size_t ready = 0, items_left = w->pend_items;
	int rc, writes = 0;

	while (ready < w->pend_count) {
		struct pending *pd = &w->pend[(w->pend_head + ready) % w->pend_cap];
		int over = w->pend_count - ready > BACKUP_MAX_PENDING_DIRS || items_left > BACKUP_MAX_PENDING_ITEMS;

		if (!cairn_workpool_done(c->pool, pd->ticket)) {
			if (!all && !over)
				break;
			cairn_workpool_wait(c->pool, pd->ticket);
		}
		items_left -= pd->count;
		ready++;
	}
	if (ready == 0)
		return 0;
	if (atomic_load(&c->failed))
		return c->fail_rc;
	/* a transaction only when rows are written: an unchanged tree keeps
	 * the read transaction of its lookups */
	for (size_t k = 0; k < ready && !writes; k++)
		writes = has_rows(&w->pend[(w->pend_head + k) % w->pend_cap]);
	rc = writes ? cairn_catalog_begin(cat) : 0;
	for (size_t k = 0; k < ready && rc == 0; k++)
		rc = finish_files(w, &w->pend[(w->pend_head + k) % w->pend_cap]);
	if (writes && rc == 0)
		rc = cairn_catalog_commit(cat);
	else if (writes)
		cairn_catalog_rollback(cat);
	for (size_t k = 0; k < ready && rc == 0; k++) {
		struct pending *pd = &w->pend[w->pend_head];

		rc = store_dir_tree(c, pd);
		if (rc < 0)
			break;
		pending_free(pd);
		w->pend_head = (w->pend_head + 1) % w->pend_cap;
		w->pend_count--;
	}
	if (rc == 0)
		w->pend_items = items_left;
	return rc;
}

/* Queue the top frame's directory (path c->path) as pending: its tree goes
 * to `tree` once its files are done. Takes the frame's items. */
static int pend_dir(struct walk *w, struct frame *f, uint8_t *tree)
{
	struct backup_ctx *c = w->c;
	struct pending *pd;

	if (w->pend_count == w->pend_cap) {
		size_t ncap = w->pend_cap ? w->pend_cap * 2 : 16;
		struct pending *p = cairn_calloc(ncap, sizeof(*p));

		if (p == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot queue the tree of '%s'", backup_path_str(c));
		for (size_t k = 0; k < w->pend_count; k++)
			p[k] = w->pend[(w->pend_head + k) % w->pend_cap];
		free(w->pend);
		w->pend = p;
		w->pend_cap = ncap;
		w->pend_head = 0;
	}
	pd = &w->pend[(w->pend_head + w->pend_count) % w->pend_cap];
	pd->path = cairn_strdup(c->path.len > 0 ? c->path.buf : "");
	if (pd->path == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot queue the tree of '%s'", backup_path_str(c));
	pd->path_len = c->path.len;
	pd->items = f->items;
	pd->count = f->count;
	pd->tree = tree;
	pd->ticket = cairn_workpool_ticket(c->pool);
	f->items = NULL;
	f->count = 0;
	w->pend_count++;
	w->pend_items += pd->count;
	return 0;
}

/* The top directory is listed and visited: queue its tree, go back to its
 * parent, and complete the pending directories that are done. */
static int pop_frame(struct walk *w, uint8_t ret_tree[CAIRN_ID_BYTES])
{
	struct backup_ctx *c = w->c;
	struct frame *f = &w->frames[w->depth - 1];
	int rc;

	path_cut(c, f->path_len);
	rc = pend_dir(w, f, f->entry != NULL ? f->entry->subtree : ret_tree);
	if (rc < 0) {
		/* not queued: jobs in flight still write into its items */
		cairn_workpool_drain(c->pool);
		backup_free_items(f->items, f->count);
		f->items = NULL;
		f->count = 0;
	}
	w->depth--;
	if (rc == 0)
		rc = complete_pending(w, w->depth == 0);
	if (rc < 0 || w->depth == 0)
		return rc;
	rc = cairn_dirstack_pop(w->ds);
	if (rc < 0) /* a parent moved while the walk was below it: no way back that is sure */
		return cairn_err_ctx(rc, "cannot return to the parent of '%s'", backup_path_str(c));
	return 0;
}

/* The first frame: "/" itself when it is the only given path, else the
 * virtual root over the given paths. */
static int root_frame(struct walk *w)
{
	struct backup_ctx *c = w->c;
	struct dir_item *items = NULL;
	size_t count = 0;
	int rc;

	if (c->nroots == 1 && strcmp(c->roots[0], "/") == 0) {
		struct stat st;

		if (fstat(cairn_dirstack_fd(w->ds), &st) < 0)
			return cairn_err(cairn_err_from_errno(errno), "cannot stat '/': %s", strerror(errno));
		c->top_dev = st.st_dev;
		c->stats.dirs++;
		rc = list_dir(c, cairn_dirstack_fd(w->ds), &items, &count);
		if (rc < 0)
			return rc;
		rc = push_frame(w, items, count, NULL, 0);
		if (rc == 0 && c->opts->on_dir_listed != NULL)
			c->opts->on_dir_listed(c->opts->ctx, "/");
		return rc;
	}
	rc = virtual_items(c, 0, c->nroots, &items, &count);
	return rc < 0 ? rc : push_frame(w, items, count, NULL, 1);
}

int backup_walk(struct backup_ctx *c, uint8_t ret_tree[CAIRN_ID_BYTES])
{
	struct walk w = { .c = c };
	int rootfd, rc;

	/* the only path resolved: "/", then one component at a time */
	rootfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return cairn_err(cairn_err_from_errno(errno), "cannot open '/': %s", strerror(errno));
	rc = cairn_dirstack_new(rootfd, 0, &w.ds);
	close(rootfd);
	if (rc < 0)
		return rc;
	path_cut(c, 0);
	c->no_proc = access("/proc/self/fd", X_OK) != 0;
	rc = root_frame(&w);
	while (rc == 0 && w.depth > 0) {
		struct frame *f = &w.frames[w.depth - 1];
		struct dir_item *it;

		if (atomic_load(&c->failed)) {
			rc = c->fail_rc;
			break;
		}
		if (f->next == f->count) {
			rc = pop_frame(&w, ret_tree);
			continue;
		}
		it = &f->items[f->next++];
		path_cut(c, f->path_len);
		rc = backup_path_push(c, it->name);
		if (rc == 0)
			rc = f->virtual ? visit_virtual(&w, it) : visit_real(&w, it); /* f may move */
		if (rc == 0)
			backup_progress(c, backup_path_str(c), 0);
	}
	if (w.depth > 0 || w.pend_count > 0) {
		/* failed: jobs in flight still write into the items */
		cairn_workpool_drain(c->pool);
		while (w.depth > 0) {
			w.depth--;
			backup_free_items(w.frames[w.depth].items, w.frames[w.depth].count);
		}
		for (; w.pend_count > 0; w.pend_count--) {
			pending_free(&w.pend[w.pend_head]);
			w.pend_head = (w.pend_head + 1) % w.pend_cap;
		}
	}
	free(w.pend);
	free(w.done_path.buf);
	free(w.frames);
	cairn_dirstack_free(w.ds);
	{
		int end = cairn_catalog_read_end(cairn_repo_catalog(c->repo));

		if (rc == 0)
			rc = end;
	}
	return rc;
}
