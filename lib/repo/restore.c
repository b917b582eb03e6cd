/* A restore run: the target, the walk over trees, entry creation. */
#include "restore_internal.h"

#include "cairn/err.h"
#include "cairn/timeutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void restore_progress(struct restore_ctx *c, const char *current, int force)
{
	struct cairn_restore_stats st;
	int64_t now;

	if (c->opts->on_progress == NULL)
		return;
	now = cairn_time_now_ns();
	if (!force && now - c->last_progress_ns < 250000000LL)
		return;
	c->last_progress_ns = now;
	pthread_mutex_lock(&c->lock);
	st = c->stats;
	pthread_mutex_unlock(&c->lock);
	st.duration_ns = now - c->start_ns;
	c->opts->on_progress(c->opts->ctx, &st, current);
}

static int included(const struct restore_ctx *c, const char *relpath)
{
	for (size_t i = 0; i < c->opts->nincludes; i++) {
		const char *pat = c->opts->includes[i];

		if (fnmatch(pat, relpath, 0) == 0 || (pat[0] != '/' && fnmatch(pat, relpath + 1, 0) == 0))
			return 1;
	}
	return 0;
}

static char *child_path(const char *dir, const struct cairn_entry *e)
{
	return cairn_asprintf("%s/%.*s", strcmp(dir, "/") == 0 ? "" : dir, (int)e->name_len, (const char *)e->name);
}

/* Remove whatever stands at `name` (overwrite mode), never following links:
 * a directory is removed only when empty. */
static int clear_name(int dirfd, const char *name)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	return unlinkat(dirfd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0);
}

/* Open the parent directory of `relpath` (relative to the target) without
 * following any symlink; *ret_base points into relpath. */
static int open_parent_nofollow(int rootfd, const char *relpath, const char **ret_base)
{
	const char *p = relpath[0] == '/' ? relpath + 1 : relpath;
	int fd = dup(rootfd);

	for (;;) {
		const char *slash = strchr(p, '/');
		char comp[4096];
		int next;

		if (slash == NULL || fd < 0)
			break;
		if ((size_t)(slash - p) >= sizeof(comp)) {
			close(fd);
			return -1;
		}
		memcpy(comp, p, (size_t)(slash - p));
		comp[slash - p] = '\0';
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
		p = slash + 1;
	}
	*ret_base = p;
	return fd;
}

struct walk {
	struct restore_ctx *c;
	int rootfd;
};

static int restore_tree(struct walk *w, int dirfd, const char *relpath, const uint8_t tree_id[CAIRN_ID_BYTES],
			int all, uint64_t *ret_restored);

/* Remember the first entry of a hardlink group (returns its 1-based slot),
 * or queue this entry as a link to an earlier one (returns 0, *ret_queued). */
static int hardlink_register(struct restore_ctx *c, const char *relpath, uint64_t hardlink, size_t *ret_slot,
			     int *ret_queued)
{
	uint8_t key[CAIRN_ID_BYTES] = { 0 };
	struct cairn_idmap_entry *h;

	*ret_slot = 0;
	*ret_queued = 0;
	cairn_le64_store(key, hardlink);
	h = cairn_idmap_get(&c->hardlinks, key);
	if (h != NULL) {
		struct link_pending *p = cairn_reallocarray(c->pending, c->npending + 1, sizeof(*c->pending));

		if (p == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot track hardlinks");
		c->pending = p;
		p[c->npending].first = (size_t)h->loc.offset;
		p[c->npending].relpath = cairn_strdup(relpath);
		if (p[c->npending].relpath == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot track hardlinks");
		c->npending++;
		*ret_queued = 1;
		return 0;
	}
	pthread_mutex_lock(&c->lock);
	{
		struct link_first *l = cairn_reallocarray(c->links, c->nlinks + 1, sizeof(*c->links));

		if (l != NULL) {
			c->links = l;
			l[c->nlinks].relpath = cairn_strdup(relpath);
			l[c->nlinks].ok = 0;
		}
		if (l == NULL || l[c->nlinks].relpath == NULL) {
			pthread_mutex_unlock(&c->lock);
			return cairn_err(CAIRN_ENOMEM, "cannot track hardlinks");
		}
		c->nlinks++;
	}
	pthread_mutex_unlock(&c->lock);
	h = cairn_idmap_put(&c->hardlinks, key, 1);
	if (h == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot track hardlinks");
	h->loc.offset = c->nlinks - 1;
	*ret_slot = c->nlinks;
	return 0;
}

static int restore_file(struct walk *w, int dirfd, const char *name, const char *relpath, struct cairn_entry *e)
{
	struct restore_ctx *c = w->c;
	struct file_job *job;
	size_t slot = 0;
	int fd, queued = 0, rc;

	if (e->hardlink != 0) {
		rc = hardlink_register(c, relpath, e->hardlink, &slot, &queued);
		if (rc < 0 || queued)
			return rc;
	}
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST && c->opts->overwrite && clear_name(dirfd, name) == 0)
		fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		restore_problem(c, CAIRN_RESTORE_ERROR, relpath, NULL, "cannot create file: %s", strerror(errno));
		return 0;
	}
	c->stats.files++;
	if (e->flags & CAIRN_ENTRY_F_UNREADABLE)
		restore_problem(c, CAIRN_RESTORE_ERROR, relpath, NULL,
				"the file could not be read when the snapshot was taken: restored empty");
	job = calloc(1, sizeof(*job));
	if (job == NULL) {
		close(fd);
		return cairn_err(CAIRN_ENOMEM, "cannot allocate file job");
	}
	job->fd = fd;
	job->dirfd = dup(dirfd);
	job->name = cairn_strdup(name);
	job->relpath = cairn_strdup(relpath);
	if (job->dirfd < 0 || job->name == NULL || job->relpath == NULL) {
		close(fd);
		if (job->dirfd >= 0)
			close(job->dirfd);
		free(job->name);
		free(job->relpath);
		free(job);
		return cairn_err(CAIRN_ENOMEM, "cannot allocate file job");
	}
	job->entry = *e;
	job->link_slot = slot;
	memset(e, 0, sizeof(*e));
	restore_plan_file(c->repo, &c->plan, &job->entry);
	cairn_workpool_submit(c->pool, job);
	return 0;
}

/* Keep a directory's metadata for the end (children are queued first). */
static int queue_dir_meta(struct restore_ctx *c, const char *relpath, const struct cairn_entry *e)
{
	struct dir_meta *d = cairn_reallocarray(c->dirs, c->ndirs + 1, sizeof(*c->dirs));

	if (d == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot track directories");
	c->dirs = d;
	memset(&d[c->ndirs], 0, sizeof(d[c->ndirs]));
	d[c->ndirs].relpath = cairn_strdup(relpath);
	d[c->ndirs].entry = *e;
	/* the tree's array keeps (and frees) the members; copy what we need */
	d[c->ndirs].entry.name = NULL;
	d[c->ndirs].entry.name_len = 0;
	d[c->ndirs].entry.target = NULL;
	d[c->ndirs].entry.content = NULL;
	d[c->ndirs].entry.content_count = 0;
	d[c->ndirs].entry.user = e->user ? cairn_strdup(e->user) : NULL;
	d[c->ndirs].entry.group = e->group ? cairn_strdup(e->group) : NULL;
	d[c->ndirs].entry.xattrs = NULL;
	d[c->ndirs].entry.xattr_count = 0;
	if (e->xattr_count > 0) {
		d[c->ndirs].entry.xattrs = cairn_calloc(e->xattr_count, sizeof(*e->xattrs));
		if (d[c->ndirs].entry.xattrs == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot track directories");
		for (size_t i = 0; i < e->xattr_count; i++) {
			struct cairn_xattr *x = &d[c->ndirs].entry.xattrs[i];

			d[c->ndirs].entry.xattr_count = i + 1;
			x->name = cairn_strdup(e->xattrs[i].name);
			x->value = malloc(e->xattrs[i].value_len + 1);
			if (x->name == NULL || x->value == NULL)
				return cairn_err(CAIRN_ENOMEM, "cannot track directories");
			memcpy(x->value, e->xattrs[i].value, e->xattrs[i].value_len);
			x->value_len = e->xattrs[i].value_len;
		}
	}
	c->ndirs++;
	if (d[c->ndirs - 1].relpath == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot track directories");
	return 0;
}

/* After every file is written: create the queued hardlinks whose first
 * entry restored completely, then set the directories' metadata, deepest
 * first. Nothing here follows a symlink. */
static void restore_finish(struct restore_ctx *c, int rootfd)
{
	for (size_t i = 0; i < c->npending; i++) {
		struct link_pending *p = &c->pending[i];
		const struct link_first *first = &c->links[p->first];
		const char *fbase, *nbase;
		int ffd, nfd;

		if (!first->ok) {
			restore_problem(c, CAIRN_RESTORE_DAMAGED, p->relpath, NULL,
					"not restored: it is a hardlink of '%s', which could not be restored",
					first->relpath);
			continue;
		}
		ffd = open_parent_nofollow(rootfd, first->relpath, &fbase);
		nfd = open_parent_nofollow(rootfd, p->relpath, &nbase);
		if (ffd < 0 || nfd < 0 || linkat(ffd, fbase, nfd, nbase, 0) < 0)
			restore_problem(c, CAIRN_RESTORE_ERROR, p->relpath, NULL, "cannot create hardlink to '%s': %s",
					first->relpath, strerror(errno));
		else
			c->stats.files++;
		if (ffd >= 0)
			close(ffd);
		if (nfd >= 0)
			close(nfd);
	}
	for (size_t i = 0; i < c->ndirs; i++) {
		const char *base;
		int pfd = open_parent_nofollow(rootfd, c->dirs[i].relpath, &base), fd = -1;

		if (pfd >= 0)
			fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			restore_problem(c, CAIRN_RESTORE_ERROR, c->dirs[i].relpath, NULL,
					"cannot open directory to set its metadata: %s", strerror(errno));
		else
			restore_metadata(c, fd, pfd, base, c->dirs[i].relpath, &c->dirs[i].entry);
		if (fd >= 0)
			close(fd);
		if (pfd >= 0)
			close(pfd);
	}
}

static int restore_dir(struct walk *w, int dirfd, const char *name, const char *relpath, const struct cairn_entry *e,
		       int all, uint64_t *ret_restored)
{
	struct restore_ctx *c = w->c;
	int created = 1, fd, rc;
	uint64_t inside = 0;
	struct stat st;

	if (mkdirat(dirfd, name, 0700) < 0) {
		created = 0;
		if (errno != EEXIST || !c->opts->overwrite) {
			restore_problem(c, CAIRN_RESTORE_ERROR, relpath, NULL, "cannot create directory: %s",
					strerror(errno));
			return 0;
		}
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode)) {
			if (unlinkat(dirfd, name, 0) < 0 || mkdirat(dirfd, name, 0700) < 0) {
				restore_problem(c, CAIRN_RESTORE_ERROR, relpath, NULL, "cannot replace with a directory: %s",
						strerror(errno));
				return 0;
			}
			created = 1;
		}
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		restore_problem(c, CAIRN_RESTORE_ERROR, relpath, NULL, "cannot open directory: %s", strerror(errno));
		return 0;
	}
	if (e->flags & CAIRN_ENTRY_F_UNREADABLE)
		restore_problem(c, CAIRN_RESTORE_ERROR, relpath, NULL,
				"the directory could not be read when the snapshot was taken: restored empty");
	rc = restore_tree(w, fd, relpath, e->subtree, all, &inside);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	if (!all && inside == 0 && created) {
		/* nothing selected below: do not leave an empty skeleton */
		close(fd);
		unlinkat(dirfd, name, AT_REMOVEDIR);
		return 0;
	}
	close(fd);
	c->stats.dirs++;
	(*ret_restored)++;
	return queue_dir_meta(c, relpath, e);
}

static int restore_special(struct walk *w, int dirfd, const char *name, const char *relpath,
			   const struct cairn_entry *e)
{
	struct restore_ctx *c = w->c;
	int rc;

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
			rc = mkfifoat(dirfd, name, e->mode & 07777);
			break;
		case CAIRN_ENTRY_CHR:
			rc = mknodat(dirfd, name, S_IFCHR | (e->mode & 07777), (dev_t)e->rdev);
			break;
		case CAIRN_ENTRY_BLK:
			rc = mknodat(dirfd, name, S_IFBLK | (e->mode & 07777), (dev_t)e->rdev);
			break;
		default:
			rc = mknodat(dirfd, name, S_IFSOCK | (e->mode & 07777), 0);
			break;
		}
		if (rc == 0 || errno != EEXIST || !c->opts->overwrite || attempt > 0)
			break;
		if (clear_name(dirfd, name) < 0)
			break;
	}
	if (rc < 0) {
		restore_problem(c, CAIRN_RESTORE_ERROR, relpath, NULL, "cannot create: %s", strerror(errno));
		return 0;
	}
	c->stats.others++;
	restore_metadata(c, -1, dirfd, name, relpath, e);
	return 0;
}

static int restore_tree(struct walk *w, int dirfd, const char *relpath, const uint8_t tree_id[CAIRN_ID_BYTES],
			int all, uint64_t *ret_restored)
{
	struct restore_ctx *c = w->c;
	struct cairn_buf *buf = &c->scratch[c->threads];
	struct cairn_entry *entries = NULL;
	struct cairn_blob_loc loc;
	size_t count = 0;
	int rc;

	memset(&loc, 0, sizeof(loc));
	cairn_buf_reset(buf);
	rc = cairn_repo_blob_read(c->repo, c->zctx[c->threads], CAIRN_BLOB_TREE, tree_id, buf, &loc);
	if (rc == 0)
		rc = cairn_tree_decode(buf->data, buf->len, &entries, &count);
	if (rc == CAIRN_ECORRUPT || rc == CAIRN_ENOTFOUND) {
		/* a damaged tree loses its directory's contents, nothing else */
		restore_damaged(c, relpath, rc, restore_loc_known(&loc) ? &loc : NULL, tree_id);
		return 0;
	}
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < count && rc == 0; i++) {
		struct cairn_entry *e = &entries[i];
		char *path = child_path(relpath, e);
		char name[4096];
		int sel;

		if (path == NULL) {
			rc = cairn_err(CAIRN_ENOMEM, "cannot build path");
			break;
		}
		if (e->name_len >= sizeof(name)) {
			restore_problem(c, CAIRN_RESTORE_ERROR, path, NULL, "name too long");
			free(path);
			continue;
		}
		memcpy(name, e->name, e->name_len);
		name[e->name_len] = '\0';
		sel = all || c->opts->nincludes == 0 || included(c, path);
		if (e->type == CAIRN_ENTRY_DIR) {
			rc = restore_dir(w, dirfd, name, path, e, sel, ret_restored);
		} else if (sel) {
			rc = e->type == CAIRN_ENTRY_FILE ? restore_file(w, dirfd, name, path, e)
							  : restore_special(w, dirfd, name, path, e);
			(*ret_restored)++;
		}
		restore_progress(c, path, 0);
		free(path);
	}
	cairn_entries_free(entries, count);
	return rc;
}

/* Open (creating when missing) the target; without overwrite it must be empty. */
static int open_target(const char *target, int overwrite, int *ret_fd)
{
	DIR *d;
	struct dirent *de;
	int fd, nonempty = 0;

	if (mkdir(target, 0700) < 0 && errno != EEXIST)
		return cairn_err(cairn_err_from_errno(errno), "cannot create target directory '%s': %s", target,
				 strerror(errno));
	fd = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cairn_err(cairn_err_from_errno(errno), "cannot open target directory '%s': %s", target,
				 strerror(errno));
	if (!overwrite) {
		int probe = dup(fd);

		d = probe >= 0 ? fdopendir(probe) : NULL;
		if (d == NULL) {
			close(fd);
			return cairn_err(CAIRN_EIO, "cannot read target directory '%s'", target);
		}
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
				nonempty = 1;
		closedir(d);
		if (nonempty) {
			close(fd);
			return cairn_err(CAIRN_EEXIST, "target directory '%s' is not empty (use --overwrite to restore "
					 "into it)", target);
		}
	}
	*ret_fd = fd;
	return 0;
}

int cairn_restore_run(struct cairn_repo *r, const struct cairn_snapshot *snap, const struct cairn_restore_opts *opts,
		      struct cairn_restore_stats *ret_stats)
{
	struct restore_ctx c = { 0 };
	struct walk w;
	uint64_t restored = 0;
	long cpus;
	int rc, rootfd = -1;

	c.repo = r;
	c.opts = opts;
	c.start_ns = cairn_time_now_ns();
	c.stats.first_byte_ns = -1;
	c.as_root = geteuid() == 0;
	pthread_mutex_init(&c.lock, NULL);
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	c.threads = opts->threads > 0 ? opts->threads : (cpus > 0 ? (int)cpus : 2);
	c.zctx = cairn_calloc((size_t)c.threads + 1, sizeof(*c.zctx));
	c.scratch = cairn_calloc((size_t)c.threads + 1, sizeof(*c.scratch));
	if (c.zctx == NULL || c.scratch == NULL) {
		rc = cairn_err(CAIRN_ENOMEM, "cannot allocate restore buffers");
		goto out;
	}
	for (int i = 0; i <= c.threads; i++) {
		rc = cairn_zctx_new(cairn_repo_config(r)->zstd_level, &c.zctx[i]);
		if (rc < 0)
			goto out;
	}
	rc = open_target(opts->target, opts->overwrite, &rootfd);
	if (rc < 0)
		goto out;
	rc = cairn_workpool_new(c.threads, restore_plan_queue(r, c.threads), restore_file_worker, &c, &c.pool);
	if (rc < 0)
		goto out;
	w.c = &c;
	w.rootfd = rootfd;
	rc = restore_tree(&w, rootfd, "/", snap->tree, 0, &restored);
	cairn_workpool_drain(c.pool);
	restore_plan_end(r, &c.plan);
	if (rc == 0)
		restore_finish(&c, rootfd);
	if (rc == 0 && opts->nincludes > 0 && restored == 0)
		rc = cairn_err(CAIRN_ENOTFOUND, "no entry of snapshot %.8s matches the include patterns", snap->id);
	c.stats.duration_ns = cairn_time_now_ns() - c.start_ns;
	restore_progress(&c, NULL, 1);
	if (rc == 0 && c.stats.damaged_files > 0)
		rc = cairn_err(CAIRN_ECORRUPT, "%llu file%s or director%s not restored: damaged or missing data in %llu "
			       "object%s", (unsigned long long)c.stats.damaged_files, c.stats.damaged_files == 1 ? "" : "s",
			       c.stats.damaged_files == 1 ? "y" : "ies", (unsigned long long)c.stats.damaged_objects,
			       c.stats.damaged_objects == 1 ? "" : "s");
	else if (rc == 0 && c.stats.errors > 0)
		rc = cairn_err(CAIRN_EIO, "%llu entr%s could not be restored completely",
			       (unsigned long long)c.stats.errors, c.stats.errors == 1 ? "y" : "ies");
	*ret_stats = c.stats;
out:
	cairn_workpool_free(c.pool);
	if (rootfd >= 0)
		close(rootfd);
	for (int i = 0; c.zctx != NULL && i <= c.threads; i++)
		cairn_zctx_free(c.zctx[i]);
	for (int i = 0; c.scratch != NULL && i <= c.threads; i++)
		cairn_buf_free(&c.scratch[i]);
	free(c.zctx);
	free(c.scratch);
	cairn_idmap_free(&c.damaged);
	cairn_idmap_free(&c.hardlinks);
	for (size_t i = 0; i < c.nlinks; i++)
		free(c.links[i].relpath);
	free(c.links);
	for (size_t i = 0; i < c.npending; i++)
		free(c.pending[i].relpath);
	free(c.pending);
	for (size_t i = 0; i < c.ndirs; i++) {
		free(c.dirs[i].relpath);
		cairn_entry_clear(&c.dirs[i].entry);
	}
	free(c.dirs);
	pthread_mutex_destroy(&c.lock);
	return rc;
}
