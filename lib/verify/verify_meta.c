/* Verification: one restored entry's metadata against its snapshot entry. */
#include "verify_internal.h"

#include "cairn/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void verify_diff_add(struct verify_diff *d, unsigned problem, const char *fmt, ...)
{
	va_list ap;
	int n;

	d->problems |= problem;
	if (d->len + 3 >= sizeof(d->msg))
		return;
	if (d->len > 0) {
		memcpy(d->msg + d->len, "; ", 2);
		d->len += 2;
	}
	va_start(ap, fmt);
	n = vsnprintf(d->msg + d->len, sizeof(d->msg) - d->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		d->len += (size_t)n < sizeof(d->msg) - d->len ? (size_t)n : sizeof(d->msg) - d->len - 1;
	d->msg[d->len] = '\0';
}

static const char *type_name(unsigned type)
{
	switch (type) {
	case CAIRN_ENTRY_FILE:
		return "regular file";
	case CAIRN_ENTRY_DIR:
		return "directory";
	case CAIRN_ENTRY_SYMLINK:
		return "symbolic link";
	case CAIRN_ENTRY_FIFO:
		return "fifo";
	case CAIRN_ENTRY_CHR:
		return "character device";
	case CAIRN_ENTRY_BLK:
		return "block device";
	default:
		return "socket";
	}
}

static unsigned type_of_mode(mode_t mode)
{
	if (S_ISREG(mode))
		return CAIRN_ENTRY_FILE;
	if (S_ISDIR(mode))
		return CAIRN_ENTRY_DIR;
	if (S_ISLNK(mode))
		return CAIRN_ENTRY_SYMLINK;
	if (S_ISFIFO(mode))
		return CAIRN_ENTRY_FIFO;
	if (S_ISCHR(mode))
		return CAIRN_ENTRY_CHR;
	if (S_ISBLK(mode))
		return CAIRN_ENTRY_BLK;
	return CAIRN_ENTRY_SOCK;
}

/* The id a restore running as root gives `name` (NULL: none): the name's id
 * on this host when it has one, else `fallback`. One name is remembered. */
static uint32_t owner_id(struct verify_name_cache *cache, const char *name, uint32_t fallback, int group)
{
	char buf[4096];

	if (name == NULL)
		return fallback;
	if (cache->name == NULL || strcmp(cache->name, name) != 0) {
		struct passwd pw, *pres = NULL;
		struct group gr, *gres = NULL;

		free(cache->name);
		cache->name = cairn_strdup(name);
		cache->found = 0;
		if (group && getgrnam_r(name, &gr, buf, sizeof(buf), &gres) == 0 && gres != NULL) {
			cache->found = 1;
			cache->id = gres->gr_gid;
		} else if (!group && getpwnam_r(name, &pw, buf, sizeof(buf), &pres) == 0 && pres != NULL) {
			cache->found = 1;
			cache->id = pres->pw_uid;
		}
		if (cache->name == NULL)
			return cache->found ? cache->id : fallback; /* out of memory: look up again next time */
	}
	return cache->found ? cache->id : fallback;
}

static void check_owner(struct verify_ctx *c, const struct cairn_entry *e, const struct stat *st,
			struct verify_diff *d)
{
	uint32_t uid = owner_id(&c->user, e->user, e->uid, 0);
	uint32_t gid = owner_id(&c->group, e->group, e->gid, 1);

	if ((uint32_t)st->st_uid != uid || (uint32_t)st->st_gid != gid)
		verify_diff_add(d, CAIRN_VERIFY_OWNER, "owner %u:%u, snapshot %u:%u (%s:%s)", (unsigned)st->st_uid,
				(unsigned)st->st_gid, (unsigned)uid, (unsigned)gid, e->user ? e->user : "?",
				e->group ? e->group : "?");
}

static void check_target(int dirfd, const char *name, const struct cairn_entry *e, struct verify_diff *d)
{
	size_t cap = e->target_len + 2;
	char *buf = malloc(cap);
	ssize_t n;

	if (buf == NULL) {
		verify_diff_add(d, CAIRN_VERIFY_UNREADABLE, "out of memory reading the link target");
		return;
	}
	n = readlinkat(dirfd, name, buf, cap);
	if (n < 0)
		verify_diff_add(d, CAIRN_VERIFY_UNREADABLE, "cannot read the link target: %s", strerror(errno));
	else if ((size_t)n != e->target_len || (n > 0 && memcmp(buf, e->target, (size_t)n) != 0))
		verify_diff_add(d, CAIRN_VERIFY_TARGET, "link target '%.*s', snapshot '%.*s'", (int)(n > 200 ? 200 : n),
				buf, (int)(e->target_len > 200 ? 200 : e->target_len),
				e->target ? (const char *)e->target : "");
	free(buf);
}

/* The regular files of one hardlink group must be one inode: the first
 * one seen is remembered. */
static void check_hardlink(struct verify_ctx *c, const struct cairn_entry *e, const struct stat *st,
			   struct verify_diff *d)
{
	uint8_t key[CAIRN_ID_BYTES] = { 0 };
	struct cairn_idmap_entry *h;

	cairn_le64_store(key, e->hardlink);
	h = cairn_idmap_get(&c->hardlinks, key);
	if (h == NULL) {
		h = cairn_idmap_put(&c->hardlinks, key, CAIRN_IDMAP_STORED);
		if (h != NULL) {
			h->loc.offset = (uint64_t)st->st_ino;
			cairn_le64_store(h->loc.pack, (uint64_t)st->st_dev);
		}
		return;
	}
	if (h->loc.offset != (uint64_t)st->st_ino || cairn_le64_load(h->loc.pack) != (uint64_t)st->st_dev)
		verify_diff_add(d, CAIRN_VERIFY_HARDLINK, "not the same inode as the other names of its hardlink group");
}

void verify_meta(struct verify_ctx *c, int dirfd, const char *name, const struct cairn_entry *e,
		 const struct stat *st, struct verify_diff *d)
{
	unsigned type = type_of_mode(st->st_mode);
	int unreadable = (e->flags & CAIRN_ENTRY_F_UNREADABLE) != 0;

	if (type != e->type) {
		verify_diff_add(d, CAIRN_VERIFY_TYPE, "a %s, snapshot: a %s", type_name(type), type_name(e->type));
		return; /* nothing else compares */
	}
	if (type != CAIRN_ENTRY_SYMLINK && (uint32_t)(st->st_mode & 07777) != e->mode)
		verify_diff_add(d, CAIRN_VERIFY_MODE, "mode %04o, snapshot %04o", (unsigned)(st->st_mode & 07777),
				(unsigned)e->mode);
	if ((int64_t)st->st_mtim.tv_sec != e->mtime_sec || (uint32_t)st->st_mtim.tv_nsec != e->mtime_nsec)
		verify_diff_add(d, CAIRN_VERIFY_MTIME, "mtime %lld.%09ld, snapshot %lld.%09u",
				(long long)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec, (long long)e->mtime_sec,
				(unsigned)e->mtime_nsec);
	if (type == CAIRN_ENTRY_FILE && !unreadable && (uint64_t)st->st_size != e->size)
		verify_diff_add(d, CAIRN_VERIFY_SIZE, "size %llu, snapshot %llu", (unsigned long long)st->st_size,
				(unsigned long long)e->size);
	if ((type == CAIRN_ENTRY_CHR || type == CAIRN_ENTRY_BLK) && (uint64_t)st->st_rdev != e->rdev)
		verify_diff_add(d, CAIRN_VERIFY_RDEV, "device %llx, snapshot %llx", (unsigned long long)st->st_rdev,
				(unsigned long long)e->rdev);
	if (type == CAIRN_ENTRY_SYMLINK && !unreadable)
		check_target(dirfd, name, e, d);
	if (c->opts->check_owner)
		check_owner(c, e, st, d);
	if (e->hardlink != 0 && type == CAIRN_ENTRY_FILE) /* restore links regular files only */
		check_hardlink(c, e, st, d);
}
