/* The files cache: a file unchanged since the last backup (same device,
 * inode, size, mtime and ctime) takes its content ids from the catalog
 * instead of being read again. */
#include "backup_internal.h"

#include "cairn/err.h"
#include "cairn/timeutil.h"

#include <string.h>

static int64_t ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * CAIRN_NS_PER_SEC + t->tv_nsec;
}

/* Use the files cache entry when the file is unchanged and all its blobs
 * are still known. 1 when taken, 0 when not, <0 on error. */
int backup_files_cache_lookup(struct backup_ctx *c, const char *path, const struct stat *st, struct file_result *res)
{
	struct cairn_catalog_file f = { 0 };
	int rc;

	if (c->opts->no_files_cache)
		return 0;
	/* this lookup and those of the next files share one read transaction,
	 * ended by the directory's files cache writes (or any other write) */
	rc = cairn_catalog_read_begin(cairn_repo_catalog(c->repo));
	if (rc < 0)
		return rc;
	if (c->cur_item != NULL && c->cur_item->cached_state != 0) {
		/* read with the directory's listing */
		int had = c->cur_item->cached_state == 2;

		f = c->cur_item->cached;
		memset(&c->cur_item->cached, 0, sizeof(c->cur_item->cached));
		c->cur_item->cached_state = 0;
		if (!had)
			return 0;
	} else {
		rc = cairn_catalog_file_get(cairn_repo_catalog(c->repo), path, strlen(path), &f);
		if (rc == CAIRN_ENOTFOUND)
			return 0;
		if (rc < 0)
			return rc;
	}
	if (f.dev != (uint64_t)st->st_dev || f.ino != (uint64_t)st->st_ino || f.size != (uint64_t)st->st_size ||
	    f.mtime_ns != ts_ns(&st->st_mtim) || f.ctime_ns != ts_ns(&st->st_ctim))
		goto miss;
	for (size_t i = 0; i < f.count; i++) {
		rc = cairn_packer_has(c->packer, CAIRN_BLOB_DATA, f.ids + i * CAIRN_ID_BYTES);
		if (rc < 0) {
			cairn_catalog_file_clear(&f);
			return rc;
		}
		if (rc == 0)
			goto miss;
	}
	res->ids = f.ids;
	res->count = res->cap = f.count;
	res->size = f.size;
	res->from_cache = 1;
	c->xattrs_skip = f.no_xattrs;
	c->hit_no_xattrs = f.no_xattrs;
	return 1;
miss:
	cairn_catalog_file_clear(&f);
	return 0;
}

int backup_file_finish(struct backup_ctx *c, const char *path, struct file_result *res, struct cairn_entry *e,
		       int xattrs_none, int row_stale)
{
	struct cairn_catalog_file f;
	int rc = 0;

	e->content = res->ids;
	e->content_count = res->count;
	e->size = res->size;
	res->ids = NULL;
	if (res->from_cache)
		c->stats.files_unchanged++;
	/* a cached row is rewritten only to learn that the file has no xattrs */
	if (res->from_cache && !(row_stale && xattrs_none))
		return 0;
	/* only a file read whole, and unchanged since its stat, goes into the cache */
	if (res->size != (uint64_t)res->st->st_size)
		return 0;
	f.dev = (uint64_t)res->st->st_dev;
	f.ino = (uint64_t)res->st->st_ino;
	f.size = res->size;
	f.mtime_ns = ts_ns(&res->st->st_mtim);
	f.ctime_ns = ts_ns(&res->st->st_ctim);
	f.count = e->content_count;
	f.ids = e->content;
	f.no_xattrs = xattrs_none;
	rc = cairn_catalog_file_put(cairn_repo_catalog(c->repo), path, strlen(path), &f);
	return rc;
}
