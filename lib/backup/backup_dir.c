/* Walking directories: an explicit stack of frames, one per directory on the
 * current path; every system call relative to the parent directory's
 * descriptor (a cairn_dirstack, which bounds the descriptors held and checks
 * device and inode of each directory entered); the tree blob of a directory
 * stored when its frame is popped.
 *
 * Memory: the items of the directories on the current path, plus one path
 * buffer; time: O(entries), whatever the depth. No name of the tree is ever
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

struct walk {
	struct backup_ctx *c;
	struct cairn_dirstack *ds;  /* top: the directory of the top frame */
	struct frame *frames;       /* frames[0 .. depth) */
	size_t depth, cap;
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

/* The names of the directory open as `dirfd` (path c->path), sorted and
 * stat'ed. 1 (with a warning, no items) when it cannot be read. */
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
	case CAIRN_ENTRY_FILE:
		c->stats.files++;
		c->stats.bytes += (uint64_t)st->st_size;
		rc = backup_file_content(c, dirfd, it->name, st, &it->res, e);
		if (rc == 1)
			e->flags |= CAIRN_ENTRY_F_UNREADABLE;
		else if (rc == 0)
			it->has_content = 1;
		return rc < 0 ? rc : 0;
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

int backup_items_to_tree(struct backup_ctx *c, struct dir_item *items, size_t count,
			 uint8_t ret_tree[CAIRN_ID_BYTES])
{
	size_t dir_len = c->path.len, n = 0;
	struct cairn_entry *entries = NULL;
	int rc;

	/* the workers must finish this directory's files before its tree */
	cairn_workpool_drain(c->pool);
	if (atomic_load(&c->failed))
		return c->fail_rc;
	entries = cairn_calloc(count, sizeof(*entries));
	if (entries == NULL && count > 0)
		return cairn_err(CAIRN_ENOMEM, "cannot allocate the tree of '%s'", backup_path_str(c));
	rc = cairn_catalog_begin(cairn_repo_catalog(c->repo));
	if (rc < 0) {
		free(entries);
		return rc;
	}
	for (size_t i = 0; i < count; i++) {
		if (items[i].entry.type == 0)
			continue;
		if (items[i].has_content) {
			rc = backup_path_push(c, items[i].name);
			if (rc < 0)
				break;
			if (items[i].res.error != NULL) {
				/* a worker could not read it: metadata only */
				backup_warn(c, CAIRN_EVENT_UNREADABLE, backup_path_str(c), "%s", items[i].res.error);
				items[i].entry.flags |= CAIRN_ENTRY_F_UNREADABLE;
			} else {
				rc = backup_file_finish(c, backup_path_str(c), &items[i].res, &items[i].entry);
			}
			path_cut(c, dir_len);
			if (rc < 0)
				break;
		}
		entries[n++] = items[i].entry;
		memset(&items[i].entry, 0, sizeof(items[i].entry));
	}
	if (rc == 0)
		rc = cairn_catalog_commit(cairn_repo_catalog(c->repo));
	else
		cairn_catalog_rollback(cairn_repo_catalog(c->repo));
	if (rc == 0)
		rc = backup_store_tree(c, entries, n, ret_tree);
	cairn_entries_free(entries, n);
	return rc;
}

/* The top directory is done: store its tree, go back to its parent. */
static int pop_frame(struct walk *w, uint8_t ret_tree[CAIRN_ID_BYTES])
{
	struct backup_ctx *c = w->c;
	struct frame *f = &w->frames[w->depth - 1];
	uint8_t tree[CAIRN_ID_BYTES];
	int rc;

	path_cut(c, f->path_len);
	rc = backup_items_to_tree(c, f->items, f->count, tree);
	if (rc == 0)
		memcpy(f->entry != NULL ? f->entry->subtree : ret_tree, tree, CAIRN_ID_BYTES);
	backup_free_items(f->items, f->count);
	f->items = NULL;
	f->count = 0;
	w->depth--;
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
	if (w.depth > 0) {
		/* failed: jobs in flight still write into the items */
		cairn_workpool_drain(c->pool);
		while (w.depth > 0) {
			w.depth--;
			backup_free_items(w.frames[w.depth].items, w.frames[w.depth].count);
		}
	}
	free(w.frames);
	cairn_dirstack_free(w.ds);
	{
		int end = cairn_catalog_read_end(cairn_repo_catalog(c->repo));

		if (rc == 0)
			rc = end;
	}
	return rc;
}
