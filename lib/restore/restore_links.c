/* The end of a restore: hardlinks and directory metadata, reached through
 * records (parent record + name) by one directory stack that moves from
 * record to record, never by re-walking paths from the target. */
#include "restore_internal.h"

#include "cairn/dirstack.h"
#include "cairn/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int restore_path_push(struct restore_path *p, const void *name, size_t len)
{
	size_t need = p->len + len + 2;

	if (need > p->cap) {
		size_t cap = p->cap * 2 > need ? p->cap * 2 : need + 256;
		char *s = realloc(p->s, cap);

		if (s == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot grow a path to %zu bytes", need);
		p->s = s;
		p->cap = cap;
	}
	p->s[p->len] = '/';
	memcpy(p->s + p->len + 1, name, len);
	p->len += len + 1;
	p->s[p->len] = '\0';
	return 0;
}

/* `arr` with room for element n (geometric growth: O(1) amortised per
 * element), or NULL (arr is then unchanged). */
static void *grow(void *arr, size_t *cap, size_t n, size_t size)
{
	size_t want = *cap ? *cap * 2 : 64;
	void *q;

	if (n < *cap)
		return arr;
	q = cairn_reallocarray(arr, want, size);
	if (q != NULL)
		*cap = want;
	return q;
}

void restore_path_pop(struct restore_path *p, size_t len)
{
	p->len = len;
	if (p->s != NULL)
		p->s[len] = '\0';
}

const char *restore_path_str(const struct restore_path *p)
{
	return p->len > 0 ? p->s : "/";
}

void restore_path_free(struct restore_path *p)
{
	free(p->s);
	memset(p, 0, sizeof(*p));
}

int restore_rec_add(struct restore_ctx *c, size_t parent, const char *name, dev_t dev, ino_t ino,
		    const struct cairn_entry *e, size_t *ret_rec)
{
	struct dir_rec *recs, *r;

	recs = grow(c->recs, &c->recs_cap, c->nrecs, sizeof(*c->recs));
	if (recs == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot track directories");
	c->recs = recs;
	r = &recs[c->nrecs];
	memset(r, 0, sizeof(*r));
	r->parent = parent;
	r->depth = c->nrecs == 0 ? 0 : recs[parent].depth + 1;
	r->dev = dev;
	r->ino = ino;
	c->nrecs++; /* from here on freed with the others */
	if (name != NULL && (r->name = cairn_strdup(name)) == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot track directories");
	if (e == NULL) {
		*ret_rec = c->nrecs - 1;
		return 0;
	}
	/* the metadata only: the tree's array keeps (and frees) the rest */
	r->entry.type = e->type;
	r->entry.mode = e->mode;
	r->entry.uid = e->uid;
	r->entry.gid = e->gid;
	r->entry.mtime_sec = e->mtime_sec;
	r->entry.mtime_nsec = e->mtime_nsec;
	if ((e->user != NULL && (r->entry.user = cairn_strdup(e->user)) == NULL) ||
	    (e->group != NULL && (r->entry.group = cairn_strdup(e->group)) == NULL))
		return cairn_err(CAIRN_ENOMEM, "cannot track directories");
	if (e->xattr_count > 0) {
		r->entry.xattrs = cairn_calloc(e->xattr_count, sizeof(*e->xattrs));
		if (r->entry.xattrs == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot track directories");
		for (size_t i = 0; i < e->xattr_count; i++) {
			struct cairn_xattr *x = &r->entry.xattrs[i];

			r->entry.xattr_count = i + 1;
			x->name = cairn_strdup(e->xattrs[i].name);
			x->value = malloc(e->xattrs[i].value_len + 1);
			if (x->name == NULL || x->value == NULL)
				return cairn_err(CAIRN_ENOMEM, "cannot track directories");
			if (e->xattrs[i].value_len > 0) /* an empty value may be NULL */
				memcpy(x->value, e->xattrs[i].value, e->xattrs[i].value_len);
			x->value_len = e->xattrs[i].value_len;
		}
	}
	*ret_rec = c->nrecs - 1;
	return 0;
}

void restore_recs_truncate(struct restore_ctx *c, size_t n)
{
	while (c->nrecs > n) {
		struct dir_rec *r = &c->recs[--c->nrecs];

		free(r->name);
		cairn_entry_clear(&r->entry);
	}
}

/* The path of `name` in record `rec` (malloc'd), for messages only: O(depth). */
static char *rec_path(const struct restore_ctx *c, size_t rec, const char *name)
{
	size_t len = name != NULL ? strlen(name) + 1 : 0, pos;
	char *p;

	for (size_t r = rec; r != 0; r = c->recs[r].parent)
		len += strlen(c->recs[r].name) + 1;
	p = malloc(len + 2);
	if (p == NULL)
		return NULL;
	strcpy(p, "/");
	pos = len;
	p[pos] = '\0';
	if (name != NULL) {
		pos -= strlen(name);
		memcpy(p + pos, name, strlen(name));
		p[--pos] = '/';
	}
	for (size_t r = rec; r != 0; r = c->recs[r].parent) {
		size_t n = strlen(c->recs[r].name);

		pos -= n;
		memcpy(p + pos, c->recs[r].name, n);
		p[--pos] = '/';
	}
	if (len == 0)
		strcpy(p, "/");
	return p;
}

static void link_key(uint64_t hardlink, uint8_t key[CAIRN_ID_BYTES])
{
	memset(key, 0, CAIRN_ID_BYTES);
	cairn_le64_store(key, hardlink);
}

int restore_link_find(struct restore_ctx *c, uint64_t hardlink, size_t *ret_first)
{
	uint8_t key[CAIRN_ID_BYTES];
	struct cairn_idmap_entry *h;

	link_key(hardlink, key);
	h = cairn_idmap_get(&c->hardlinks, key);
	if (h == NULL)
		return 0;
	*ret_first = (size_t)h->loc.offset;
	return 1;
}

int restore_link_first(struct restore_ctx *c, uint64_t hardlink, size_t rec, const char *name, uint64_t size,
		       size_t *ret_slot)
{
	uint8_t key[CAIRN_ID_BYTES];
	struct cairn_idmap_entry *h;
	struct link_first *l;
	char *copy = cairn_strdup(name);

	if (copy == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot track hardlinks");
	pthread_mutex_lock(&c->lock);
	l = grow(c->links, &c->links_cap, c->nlinks, sizeof(*c->links));
	if (l == NULL) {
		pthread_mutex_unlock(&c->lock);
		free(copy);
		return cairn_err(CAIRN_ENOMEM, "cannot track hardlinks");
	}
	c->links = l;
	l[c->nlinks] = (struct link_first){ .dir = rec, .name = copy, .size = size };
	c->nlinks++;
	pthread_mutex_unlock(&c->lock);
	link_key(hardlink, key);
	h = cairn_idmap_put(&c->hardlinks, key, 1);
	if (h == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot track hardlinks");
	h->loc.offset = c->nlinks - 1;
	*ret_slot = c->nlinks;
	return 0;
}

int restore_link_later(struct restore_ctx *c, size_t first, size_t rec, const char *name)
{
	struct link_pending *p;

	p = grow(c->pending, &c->pending_cap, c->npending, sizeof(*c->pending));
	if (p == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot track hardlinks");
	c->pending = p;
	p[c->npending] = (struct link_pending){ .first = first, .dir = rec, .name = cairn_strdup(name) };
	if (p[c->npending].name == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot track hardlinks");
	c->npending++;
	return 0;
}

static void slot_name(size_t index, char out[32])
{
	snprintf(out, 32, "%zu", index);
}

void restore_link_stage(struct restore_ctx *c, int rootfd, size_t slot, int fd, int dirfd, const char *name,
			const char *relpath)
{
	char self[64], num[32];

	if (c->stagefd < 0) {
		uint8_t rnd[8];
		char hex[2 * sizeof(rnd) + 1];

		cairn_random_bytes(rnd, sizeof(rnd));
		cairn_hex_encode(rnd, sizeof(rnd), hex);
		snprintf(c->stage_name, sizeof(c->stage_name), ".cairn-restore-links.%s", hex);
		if (mkdirat(rootfd, c->stage_name, 0700) < 0 ||
		    (c->stagefd = openat(rootfd, c->stage_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			restore_problem(c, CAIRN_EVENT_NOT_RESTORED, relpath, "cannot create the staging directory '%s' "
					"of hardlinks in the target: %s", c->stage_name, strerror(errno));
			c->stage_name[0] = '\0';
			return;
		}
	}
	/* the inode of fd itself, not whatever `name` is by now */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	slot_name(slot - 1, num);
	if (linkat(AT_FDCWD, self, c->stagefd, num, AT_SYMLINK_FOLLOW) < 0 &&
	    linkat(dirfd, name, c->stagefd, num, 0) < 0) {
		restore_problem(c, CAIRN_EVENT_NOT_RESTORED, relpath, "cannot keep it for its hardlinks: %s",
				strerror(errno));
		return;
	}
	pthread_mutex_lock(&c->lock);
	c->links[slot - 1].staged = 1;
	pthread_mutex_unlock(&c->lock);
}

void restore_stage_remove(struct restore_ctx *c, int rootfd)
{
	char num[32];

	if (c->stagefd < 0)
		return;
	for (size_t i = 0; i < c->nlinks; i++) {
		if (!c->links[i].staged)
			continue;
		slot_name(i, num);
		unlinkat(c->stagefd, num, 0);
	}
	close(c->stagefd);
	c->stagefd = -1;
	if (unlinkat(rootfd, c->stage_name, AT_REMOVEDIR) < 0)
		restore_problem(c, CAIRN_EVENT_NOT_RESTORED, c->stage_name,
				"cannot remove the staging directory of hardlinks: %s", strerror(errno));
}

void restore_links_free(struct restore_ctx *c)
{
	restore_recs_truncate(c, 0);
	free(c->recs);
	for (size_t i = 0; i < c->nlinks; i++)
		free(c->links[i].name);
	free(c->links);
	for (size_t i = 0; i < c->npending; i++)
		free(c->pending[i].name);
	free(c->pending);
	cairn_idmap_free(&c->hardlinks);
}

/* A position among the records: the directory stack holds the directories
 * from the target down to record `rec`; `path` is its path. */
struct cursor {
	struct cairn_dirstack *ds;
	size_t rec;
	struct restore_path path;
	size_t *down; /* scratch: the records to descend through */
	size_t down_cap;
};

static int cursor_up(struct restore_ctx *c, struct cursor *cur)
{
	int rc = cairn_dirstack_pop(cur->ds);

	if (rc < 0)
		return rc;
	restore_path_pop(&cur->path, cur->path.len - strlen(c->recs[cur->rec].name) - 1);
	cur->rec = c->recs[cur->rec].parent;
	return 0;
}

static int cursor_down(struct restore_ctx *c, struct cursor *cur, size_t rec)
{
	const struct dir_rec *r = &c->recs[rec];
	struct stat expect;
	int rc;

	memset(&expect, 0, sizeof(expect));
	expect.st_dev = r->dev;
	expect.st_ino = r->ino;
	rc = cairn_dirstack_push(cur->ds, r->name, &expect);
	if (rc < 0)
		return rc;
	rc = restore_path_push(&cur->path, r->name, strlen(r->name));
	if (rc < 0) {
		cairn_dirstack_pop(cur->ds);
		return rc;
	}
	cur->rec = rec;
	return 0;
}

/* Move to record `target`: up to the common ancestor, then down. On
 * failure the cursor stays where it got to, consistent. */
static int cursor_goto(struct restore_ctx *c, struct cursor *cur, size_t target)
{
	size_t b = target, n = 0;
	int rc;

	if (c->recs[target].depth + 1 > cur->down_cap) {
		size_t cap = c->recs[target].depth + 1 > cur->down_cap * 2 ? c->recs[target].depth + 1
									      : cur->down_cap * 2;
		size_t *d = cairn_reallocarray(cur->down, cap, sizeof(*d));

		if (d == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot allocate a directory path");
		cur->down = d;
		cur->down_cap = cap;
	}
	while (c->recs[cur->rec].depth > c->recs[b].depth)
		if ((rc = cursor_up(c, cur)) < 0)
			return rc;
	while (c->recs[b].depth > c->recs[cur->rec].depth) {
		cur->down[n++] = b;
		b = c->recs[b].parent;
	}
	while (cur->rec != b) {
		if ((rc = cursor_up(c, cur)) < 0)
			return rc;
		cur->down[n++] = b;
		b = c->recs[b].parent;
	}
	while (n > 0)
		if ((rc = cursor_down(c, cur, cur->down[--n])) < 0)
			return rc;
	return 0;
}

/* The path of `name` below the cursor, for messages: pushed on the
 * cursor's path (pop with restore_path_pop(&cur->path, len)). */
static const char *cursor_name_path(struct cursor *cur, const char *name, size_t *ret_len)
{
	*ret_len = cur->path.len;
	if (restore_path_push(&cur->path, name, strlen(name)) < 0)
		return name;
	return cur->path.s;
}

static void finish_link(struct restore_ctx *c, struct cursor *cur, const struct link_pending *p)
{
	const struct link_first *first = &c->links[p->first];
	char num[32], *fpath = NULL, *npath = NULL;
	const char *path;
	size_t len;
	int rc;

	if (!first->ok || !first->staged) {
		fpath = rec_path(c, first->dir, first->name);
		npath = rec_path(c, p->dir, p->name);
		if (!first->ok)
			restore_problem(c, CAIRN_EVENT_DAMAGED_HARDLINK, npath ? npath : p->name,
					"not restored: it is a hardlink of '%s', which could not be restored",
					fpath ? fpath : first->name);
		else
			restore_problem(c, CAIRN_EVENT_NOT_RESTORED, npath ? npath : p->name,
					"cannot create hardlink to '%s': it could not be kept for its links",
					fpath ? fpath : first->name);
		free(fpath);
		free(npath);
		return;
	}
	rc = cursor_goto(c, cur, p->dir);
	if (rc < 0) {
		npath = rec_path(c, p->dir, p->name);
		restore_problem(c, CAIRN_EVENT_NOT_RESTORED, npath ? npath : p->name, "cannot create hardlink: %s",
				cairn_err_msg());
		free(npath);
		return;
	}
	slot_name(p->first, num);
	if (linkat(c->stagefd, num, cairn_dirstack_fd(cur->ds), p->name, 0) < 0) {
		int err = errno;

		path = cursor_name_path(cur, p->name, &len);
		fpath = rec_path(c, first->dir, first->name);
		restore_problem(c, CAIRN_EVENT_NOT_RESTORED, path, "cannot create hardlink to '%s': %s",
				fpath ? fpath : first->name,
				err == EEXIST ? "another entry restored here has the same name on this file system"
					      : strerror(err));
		free(fpath);
		restore_path_pop(&cur->path, len);
		return;
	}
	pthread_mutex_lock(&c->lock);
	c->stats.files++;
	pthread_mutex_unlock(&c->lock);
}

static void finish_dir(struct restore_ctx *c, struct cursor *cur, size_t i)
{
	const struct dir_rec *r = &c->recs[i];
	const char *path;
	struct stat st;
	size_t len;
	int fd, rc;

	rc = cursor_goto(c, cur, r->parent);
	if (rc < 0) {
		char *p = rec_path(c, i, NULL);

		restore_problem(c, CAIRN_EVENT_NOT_RESTORED, p ? p : r->name,
				"cannot reach the directory to set its metadata: %s", cairn_err_msg());
		free(p);
		return;
	}
	path = cursor_name_path(cur, r->name, &len);
	fd = openat(cairn_dirstack_fd(cur->ds), r->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		restore_problem(c, CAIRN_EVENT_NOT_RESTORED, path, "cannot open directory to set its metadata: %s",
				strerror(errno));
	else if (fstat(fd, &st) < 0 || st.st_dev != r->dev || st.st_ino != r->ino)
		restore_problem(c, CAIRN_EVENT_NOT_RESTORED, path,
				"the directory was moved or replaced during the restore: its metadata is not set");
	else
		restore_metadata(c, fd, cairn_dirstack_fd(cur->ds), r->name, path, &r->entry);
	if (fd >= 0)
		close(fd);
	restore_path_pop(&cur->path, len);
}

void restore_finish(struct restore_ctx *c, int rootfd)
{
	struct cursor cur = { 0 };

	if (c->nrecs <= 1 && c->npending == 0)
		return;
	if (cairn_dirstack_new(rootfd, CAIRN_DIRSTACK_DEFAULT_OPEN / 2, &cur.ds) < 0) {
		restore_problem(c, CAIRN_EVENT_NOT_RESTORED, "/", "cannot set directory metadata and hardlinks: %s",
				cairn_err_msg());
		return;
	}
	/* in the walk's order: the cursor follows the walk, O(entries) moves */
	for (size_t i = 0; i < c->npending; i++)
		finish_link(c, &cur, &c->pending[i]);
	/* records are in creation order, a parent before its children:
	 * backwards, every directory comes after everything below it */
	for (size_t i = c->nrecs; i-- > 1;)
		finish_dir(c, &cur, i);
	cairn_dirstack_free(cur.ds);
	restore_path_free(&cur.path);
	free(cur.down);
}
