/* Metadata of one entry: type, mode, owner names, times, xattrs, links. */
#include "backup_internal.h"

#include "cairn/err.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

static uint8_t entry_type(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return CAIRN_ENTRY_FILE;
	case S_IFDIR: return CAIRN_ENTRY_DIR;
	case S_IFLNK: return CAIRN_ENTRY_SYMLINK;
	case S_IFIFO: return CAIRN_ENTRY_FIFO;
	case S_IFCHR: return CAIRN_ENTRY_CHR;
	case S_IFBLK: return CAIRN_ENTRY_BLK;
	default: return CAIRN_ENTRY_SOCK;
	}
}

/* uid/gid -> name, cached; NULL when the id has no name here. */
static int lookup_name(struct name_cache_entry **cache, size_t *n, uint32_t id, int group, char **ret)
{
	char buf[4096];
	const char *name = NULL;
	struct name_cache_entry *p;

	for (size_t i = 0; i < *n; i++)
		if ((*cache)[i].id == id) {
			*ret = (*cache)[i].name ? cairn_strdup((*cache)[i].name) : NULL;
			return ((*cache)[i].name && *ret == NULL) ? CAIRN_ENOMEM : 0;
		}
	if (group) {
		struct group gr, *res = NULL;

		if (getgrgid_r(id, &gr, buf, sizeof(buf), &res) == 0 && res != NULL)
			name = res->gr_name;
	} else {
		struct passwd pw, *res = NULL;

		if (getpwuid_r(id, &pw, buf, sizeof(buf), &res) == 0 && res != NULL)
			name = res->pw_name;
	}
	p = cairn_reallocarray(*cache, *n + 1, sizeof(**cache));
	if (p == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot cache user names");
	*cache = p;
	p[*n].id = id;
	p[*n].name = name ? cairn_strdup(name) : NULL;
	(*n)++;
	*ret = name ? cairn_strdup(name) : NULL;
	return (name && *ret == NULL) ? CAIRN_ENOMEM : 0;
}

/* llistxattr/lgetxattr or flistxattr/fgetxattr, on whichever is set. */
struct xattr_src {
	int fd;            /* >= 0: through the descriptor */
	const char *proc;  /* else "/proc/self/fd/DIRFD/NAME", not followed */
};

static ssize_t src_list(const struct xattr_src *s, char *buf, size_t len)
{
	return s->fd >= 0 ? flistxattr(s->fd, buf, len) : llistxattr(s->proc, buf, len);
}

static ssize_t src_get(const struct xattr_src *s, const char *name, void *buf, size_t len)
{
	return s->fd >= 0 ? fgetxattr(s->fd, name, buf, len) : lgetxattr(s->proc, name, buf, len);
}

static int read_xattrs_from(struct backup_ctx *c, const struct xattr_src *s, struct cairn_entry *e)
{
	const char *path = backup_path_str(c);
	ssize_t len = src_list(s, NULL, 0);
	char *names = NULL;
	size_t count = 0;
	int rc = 0;

	if (len <= 0) {
		if (len < 0 && errno != ENOTSUP && errno != ENODATA) {
			c->xattr_failures++;
			backup_warn(c, CAIRN_EVENT_UNREADABLE, path, "cannot list extended attributes: %s", strerror(errno));
		}
		return 0;
	}
	names = malloc((size_t)len);
	if (names == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot allocate xattr names");
	len = src_list(s, names, (size_t)len);
	if (len < 0) {
		c->xattr_failures++;
		backup_warn(c, CAIRN_EVENT_UNREADABLE, path, "cannot list extended attributes: %s", strerror(errno));
		goto out;
	}
	for (ssize_t i = 0; i < len; i += (ssize_t)strlen(names + i) + 1)
		count++;
	e->xattrs = cairn_calloc(count, sizeof(*e->xattrs));
	if (e->xattrs == NULL) {
		rc = cairn_err(CAIRN_ENOMEM, "cannot allocate xattrs");
		goto out;
	}
	for (ssize_t i = 0; i < len; i += (ssize_t)strlen(names + i) + 1) {
		const char *name = names + i;
		ssize_t vlen = src_get(s, name, NULL, 0);
		struct cairn_xattr *x;

		if (vlen < 0) {
			if (errno != ENODATA) { /* ENODATA: removed since the listing (the ctime moved) */
				c->xattr_failures++;
				backup_warn(c, CAIRN_EVENT_UNREADABLE, path, "cannot read extended attribute '%s': %s", name, strerror(errno));
			}
			continue;
		}
		x = &e->xattrs[e->xattr_count];
		x->name = cairn_strdup(name);
		x->value = malloc((size_t)vlen + 1);
		if (x->name == NULL || x->value == NULL) {
			free(x->name);
			free(x->value);
			x->name = NULL;
			x->value = NULL;
			rc = cairn_err(CAIRN_ENOMEM, "cannot allocate xattr");
			goto out;
		}
		vlen = src_get(s, name, x->value, (size_t)vlen);
		if (vlen < 0) {
			free(x->name);
			free(x->value);
			x->name = NULL;
			x->value = NULL;
			c->xattr_failures++;
			backup_warn(c, CAIRN_EVENT_UNREADABLE, path, "cannot read extended attribute '%s': %s", name, strerror(errno));
			continue;
		}
		x->value_len = (size_t)vlen;
		e->xattr_count++;
	}
out:
	free(names);
	return rc;
}

int backup_read_xattrs(struct backup_ctx *c, int fd, int dirfd, const char *name, struct cairn_entry *e)
{
	struct xattr_src s = { .fd = fd, .proc = NULL };
	char *proc = NULL;
	int rc;

	if (fd < 0 && c->xattrs_skip) {
		/* unchanged since a backup that found none (same ctime) */
		c->xattrs_skip = 0;
		return 0;
	}
	if (fd < 0 && c->no_proc) {
		c->xattr_failures++;
		/* never by a path of the tree: reported once, the snapshot partial */
		if (!c->no_proc_warned)
			backup_warn(c, CAIRN_EVENT_UNREADABLE, "/proc/self/fd", "missing (is /proc mounted?): the extended attributes of "
				    "symlinks, special files and files not read are not backed up");
		c->no_proc_warned = 1;
		return 0;
	}
	if (fd < 0) {
		/* The directory through its descriptor, the last component not
		 * followed: no path of the tree is resolved, at any depth. */
		proc = cairn_asprintf("/proc/self/fd/%d/%s", dirfd, name);
		if (proc == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot allocate xattr path");
		s.proc = proc;
	}
	rc = read_xattrs_from(c, &s, e);
	free(proc);
	return rc;
}

static int hardlink_id(struct backup_ctx *c, const struct stat *st, uint64_t *ret)
{
	uint8_t key[CAIRN_ID_BYTES] = { 0 };
	struct cairn_idmap_entry *h;

	cairn_le64_store(key, (uint64_t)st->st_ino);
	cairn_le64_store(key + 8, (uint64_t)st->st_dev);
	h = cairn_idmap_get(&c->hardlinks, key);
	if (h == NULL) {
		h = cairn_idmap_put(&c->hardlinks, key, CAIRN_IDMAP_STORED);
		if (h == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot track hardlinks");
		h->loc.offset = ++c->next_hardlink;
	}
	*ret = h->loc.offset;
	return 0;
}

int backup_entry_meta(struct backup_ctx *c, const struct stat *st, struct cairn_entry *e)
{
	int rc;

	e->type = entry_type(st->st_mode);
	e->mode = (uint32_t)(st->st_mode & 07777);
	e->uid = (uint32_t)st->st_uid;
	e->gid = (uint32_t)st->st_gid;
	e->mtime_sec = (int64_t)st->st_mtim.tv_sec;
	e->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
	if (e->type == CAIRN_ENTRY_CHR || e->type == CAIRN_ENTRY_BLK)
		e->rdev = (uint64_t)st->st_rdev;
	rc = lookup_name(&c->users, &c->nusers, e->uid, 0, &e->user);
	if (rc == 0)
		rc = lookup_name(&c->groups, &c->ngroups, e->gid, 1, &e->group);
	if (rc == 0 && e->type != CAIRN_ENTRY_DIR && st->st_nlink > 1)
		rc = hardlink_id(c, st, &e->hardlink);
	return rc;
}

int backup_read_symlink(struct backup_ctx *c, int dirfd, const char *name, const struct stat *st,
			struct cairn_entry *e)
{
	size_t cap = st->st_size > 0 ? (size_t)st->st_size + 1 : 256;

	for (;;) {
		ssize_t n;

		e->target = malloc(cap);
		if (e->target == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot allocate symlink target");
		n = readlinkat(dirfd, name, (char *)e->target, cap);
		if (n < 0) {
			backup_warn(c, CAIRN_EVENT_UNREADABLE, backup_path_str(c), "cannot read symlink: %s", strerror(errno));
			e->flags |= CAIRN_ENTRY_F_UNREADABLE;
			free(e->target);
			e->target = NULL;
			return 0;
		}
		if ((size_t)n < cap) {
			e->target_len = (size_t)n;
			return 0;
		}
		free(e->target);
		e->target = NULL;
		cap *= 2;
	}
}
