/* Walking directories: entries, recursion, tree blobs. */
#include "backup_internal.h"

#include "cairn/err.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

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

int backup_read_names(struct backup_ctx *c, const char *path, struct dir_item **ret, size_t *ret_count)
{
	DIR *d = opendir(path);
	struct dir_item *items = NULL;
	size_t count = 0, cap = 0;
	struct dirent *de;
	int rc = 0;

	if (d == NULL) {
		backup_warn(c, path, "cannot open directory: %s", strerror(errno));
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
		backup_warn(c, path, "cannot read directory: %s", strerror(errno));
	if (count > 1)
		qsort(items, count, sizeof(*items), item_cmp);
out:
	closedir(d);
	*ret = items;
	*ret_count = count;
	return rc;
}

/* "dir/name", or "/name" under the root directory. Caller frees. */
char *backup_join_path(const char *dir, const char *name)
{
	return cairn_asprintf("%s/%s", strcmp(dir, "/") == 0 ? "" : dir, name);
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

int backup_entry(struct backup_ctx *c, const char *path, const struct stat *st, struct dir_item *item)
{
	struct cairn_entry *e = &item->entry;
	int rc;

	rc = backup_entry_meta(c, path, st, e);
	if (rc < 0)
		return rc;
	switch (e->type) {
	case CAIRN_ENTRY_DIR:
		c->stats.dirs++;
		if (c->opts->one_file_system && st->st_dev != c->top_dev) /* a mount point: kept, empty */
			return backup_items_to_tree(c, path, NULL, 0, e->subtree);
		rc = backup_dir(c, path, e->subtree);
		if (rc == 1)
			e->flags |= CAIRN_ENTRY_F_UNREADABLE;
		return rc < 0 ? rc : 0;
	case CAIRN_ENTRY_FILE:
		c->stats.files++;
		c->stats.bytes += (uint64_t)st->st_size;
		rc = backup_file_content(c, path, st, &item->res);
		if (rc == 1)
			e->flags |= CAIRN_ENTRY_F_UNREADABLE;
		else if (rc == 0)
			item->has_content = 1;
		return rc < 0 ? rc : 0;
	default:
		c->stats.others++;
		return 0;
	}
}

int backup_items_to_tree(struct backup_ctx *c, const char *path, struct dir_item *items, size_t count,
			 uint8_t ret_tree[CAIRN_ID_BYTES])
{
	struct cairn_entry *entries = NULL;
	int rc;

	/* the workers must finish this directory's files before its tree */
	cairn_workpool_drain(c->pool);
	if (atomic_load(&c->failed)) {
		rc = c->fail_rc;
		return rc;
	}
	entries = cairn_calloc(count, sizeof(*entries));
	if (entries == NULL && count > 0) {
		rc = cairn_err(CAIRN_ENOMEM, "cannot allocate tree of '%s'", path);
		return rc;
	}
	rc = cairn_catalog_begin(cairn_repo_catalog(c->repo));
	if (rc < 0) {
		free(entries);
		return rc;
	}
	{
		size_t n = 0;

		for (size_t i = 0; i < count; i++) {
			if (items[i].entry.type == 0)
				continue;
			if (items[i].has_content) {
				char *fp = backup_join_path(path, items[i].name);

				if (fp == NULL) {
					rc = cairn_err(CAIRN_ENOMEM, "cannot build path");
					break;
				}
				if (items[i].res.error != NULL) {
					/* a worker could not read it: metadata only */
					backup_warn(c, fp, "%s", items[i].res.error);
					items[i].entry.flags |= CAIRN_ENTRY_F_UNREADABLE;
					free(fp);
					entries[n++] = items[i].entry;
					memset(&items[i].entry, 0, sizeof(items[i].entry));
					continue;
				}
				rc = backup_file_finish(c, fp, &items[i].res, &items[i].entry);
				free(fp);
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
		entries = NULL;
	}
	return rc;
}

static int ino_cmp(const void *a, const void *b)
{
	const struct dir_item *x = *(const struct dir_item *const *)a, *y = *(const struct dir_item *const *)b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* lstat every entry, in inode order: on a cold cache the inode table is
 * then read front to back instead of in name order. */
static void stat_in_inode_order(const char *path, struct dir_item *items, size_t count)
{
	struct dir_item **order = cairn_calloc(count, sizeof(*order));
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	for (size_t i = 0; i < count; i++)
		if (order != NULL)
			order[i] = &items[i];
	if (order != NULL && count > 1)
		qsort(order, count, sizeof(*order), ino_cmp);
	for (size_t i = 0; i < count; i++) {
		struct dir_item *it = order != NULL ? order[i] : &items[i];
		int r;

		if (dfd >= 0) {
			r = fstatat(dfd, it->name, &it->st, AT_SYMLINK_NOFOLLOW);
		} else {
			char *child = backup_join_path(path, it->name);

			r = child != NULL ? lstat(child, &it->st) : -1;
			if (child == NULL)
				errno = ENOMEM;
			free(child);
		}
		it->stat_errno = r < 0 ? errno : 0;
	}
	if (dfd >= 0)
		close(dfd);
	free(order);
}

int backup_dir(struct backup_ctx *c, const char *path, uint8_t ret_tree[CAIRN_ID_BYTES])
{
	struct dir_item *items = NULL;
	size_t count = 0;
	char *child = NULL;
	int rc, unreadable = 0;

	rc = backup_read_names(c, path, &items, &count);
	if (rc == 1) { /* unreadable: an empty tree, the parent entry is flagged */
		unreadable = 1;
		rc = 0;
	}
	if (rc < 0)
		goto out;
	stat_in_inode_order(path, items, count);
	for (size_t i = 0; i < count && !atomic_load(&c->failed); i++) {
		size_t nlen = strlen(items[i].name);

		free(child);
		child = backup_join_path(path, items[i].name);
		if (child == NULL) {
			rc = cairn_err(CAIRN_ENOMEM, "cannot build path under '%s'", path);
			goto out;
		}
		if (c->opts->nexcludes > 0 && backup_excluded(c, child, items[i].name)) {
			items[i].entry.type = 0; /* left out: dropped below */
			continue;
		}
		if (items[i].stat_errno != 0) {
			backup_warn(c, child, "cannot stat: %s", strerror(items[i].stat_errno));
			items[i].entry.type = 0; /* dropped below */
			continue;
		}
		items[i].entry.name = (uint8_t *)cairn_strdup(items[i].name);
		if (items[i].entry.name == NULL) {
			rc = cairn_err(CAIRN_ENOMEM, "cannot copy name");
			goto out;
		}
		items[i].entry.name_len = nlen;
		rc = backup_entry(c, child, &items[i].st, &items[i]);
		if (rc < 0)
			goto out;
		backup_progress(c, child, 0);
	}
	rc = backup_items_to_tree(c, path, items, count, ret_tree);
out:
	free(child);
	backup_free_items(items, count);
	return rc < 0 ? rc : unreadable;
}
