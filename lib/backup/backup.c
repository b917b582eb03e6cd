/* A backup run: set-up, the virtual root over the given paths, the final
 * flush and the snapshot object, written last. */
#include "backup_internal.h"

#include "cairn/err.h"
#include "cairn/lock.h"
#include "cairn/timeutil.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void backup_fail(struct backup_ctx *c, int rc)
{
	pthread_mutex_lock(&c->fail_lock);
	if (!atomic_load(&c->failed)) {
		c->fail_rc = rc;
		snprintf(c->fail_msg, sizeof(c->fail_msg), "%s", cairn_err_msg());
		atomic_store(&c->failed, 1);
	}
	pthread_mutex_unlock(&c->fail_lock);
}

void backup_warn(struct backup_ctx *c, enum cairn_event_code code, const char *path, const char *fmt, ...)
{
	char msg[1024];
	struct cairn_event ev = { .code = code, .path = path, .message = msg };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->stats.errors++;
	if (c->opts->on_warning != NULL)
		c->opts->on_warning(c->opts->ctx, &ev);
}

static void fill_stats(struct backup_ctx *c, struct cairn_snapshot_stats *out)
{
	const struct cairn_packer_stats *ps = cairn_packer_stats(c->packer);

	*out = c->stats;
	out->bytes_read = atomic_load(&c->bytes_read);
	out->bytes_added = atomic_load(&ps->bytes_added);
	out->bytes_stored = atomic_load(&ps->bytes_stored);
	out->blobs_added = atomic_load(&ps->blobs_added);
	out->packs_written = atomic_load(&ps->packs_written);
	out->duration_ns = cairn_time_now_ns() - c->start_ns;
}

void backup_progress(struct backup_ctx *c, const char *current, int force)
{
	struct cairn_snapshot_stats st;
	int64_t now;

	if (c->opts->on_progress == NULL)
		return;
	now = cairn_time_now_ns();
	if (!cairn_time_due(&c->last_progress_ns, now, CAIRN_PROGRESS_INTERVAL_NS, force))
		return;
	fill_stats(c, &st);
	c->opts->on_progress(c->opts->ctx, &st, current);
}

/* Lexically clean an absolute or relative path into a malloc'd absolute
 * one: no "." or ".." components, no repeated or trailing '/'. */
static char *absolute_path(const char *path)
{
	char cwd[PATH_MAX];
	char *joined, *out, *w;
	const char *p;

	if (path[0] == '/') {
		joined = cairn_strdup(path);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return NULL;
		joined = cairn_asprintf("%s/%s", cwd, path);
	}
	if (joined == NULL)
		return NULL;
	out = malloc(strlen(joined) + 2);
	if (out == NULL) {
		free(joined);
		return NULL;
	}
	w = out;
	for (p = joined; *p;) {
		const char *end;
		size_t len;

		while (*p == '/')
			p++;
		end = strchr(p, '/');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len == 0)
			break;
		if (len == 1 && p[0] == '.') {
			/* skip */
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			while (w > out && *--w != '/')
				;
		} else {
			*w++ = '/';
			memcpy(w, p, len);
			w += len;
		}
		p += len;
	}
	if (w == out)
		*w++ = '/';
	*w = '\0';
	free(joined);
	return out;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* 1 when `path` lies strictly below `dir`. */
static int is_below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return strcmp(path, "/") != 0;
	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* The given paths, made absolute and clean, checked to exist, sorted, without
 * duplicates or paths inside another given path: c->roots. Then the walk.
 * On success the roots move to *ret_paths. */
static int backup_root(struct backup_ctx *c, uint8_t ret_tree[CAIRN_ID_BYTES], char ***ret_paths, size_t *ret_n)
{
	char **paths = cairn_calloc(c->opts->npaths, sizeof(*paths));
	size_t n = 0;
	int rc = 0;

	if (paths == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot allocate paths");
	for (size_t i = 0; i < c->opts->npaths; i++) {
		char *p = absolute_path(c->opts->paths[i]);
		struct stat st;

		if (p == NULL) {
			rc = cairn_err(CAIRN_ENOMEM, "cannot resolve path '%s'", c->opts->paths[i]);
			goto out;
		}
		paths[n++] = p;
		/* early, naming the argument as given; the walk opens it again
		 * one component at a time from "/" */
		if (lstat(p, &st) < 0) {
			rc = cairn_err(cairn_err_from_errno(errno), "cannot back up '%s': %s", c->opts->paths[i],
				       strerror(errno));
			goto out;
		}
	}
	qsort(paths, n, sizeof(*paths), str_cmp);
	/* drop duplicates and paths inside another given path */
	{
		size_t kept = 0;

		for (size_t i = 0; i < n; i++) {
			int covered = 0;

			for (size_t k = 0; k < kept; k++)
				if (strcmp(paths[i], paths[k]) == 0 || is_below(paths[i], paths[k]))
					covered = 1;
			if (covered)
				free(paths[i]);
			else
				paths[kept++] = paths[i];
		}
		n = kept;
	}
	c->roots = paths;
	c->nroots = n;
	rc = backup_walk(c, ret_tree);
	c->roots = NULL;
	c->nroots = 0;
out:
	if (rc < 0) {
		for (size_t i = 0; i < n; i++)
			free(paths[i]);
		free(paths);
		return rc;
	}
	*ret_paths = paths;
	*ret_n = n;
	return 0;
}

struct parent_search {
	struct cairn_snapshot *s;
};

static int match_parent(void *ctx, const struct cairn_catalog_snapshot *row)
{
	struct parent_search *p = ctx;
	struct cairn_snapshot cand = { 0 };
	int same;

	if (cairn_snapshot_from_json(row->json, strlen(row->json), row->id, &cand) < 0)
		return 0; /* not a usable parent */
	same = strcmp(cand.host, p->s->host) == 0 && cand.npaths == p->s->npaths;
	for (size_t k = 0; same && k < p->s->npaths; k++)
		same = strcmp(cand.paths[k], p->s->paths[k]) == 0;
	if (same)
		memcpy(p->s->parent, cand.id, CAIRN_ID_HEX);
	cairn_snapshot_clear(&cand);
	return same; /* stop at the newest match */
}

/* The newest snapshot of the same host and paths: the parent. Newest first,
 * so a repository of many snapshots costs only the few read. */
static void find_parent(struct cairn_repo *r, struct cairn_snapshot *s)
{
	struct parent_search p = { s };

	(void)cairn_catalog_snapshot_each_newest(cairn_repo_catalog(r), match_parent, &p);
}

/* A damaged index or snapshot object found by the sync: passed on as it is
 * (no path: it is not an entry of the backup). */
static void sync_warning(void *ctx, const struct cairn_event *ev)
{
	struct backup_ctx *c = ctx;

	if (c->opts->on_warning != NULL)
		c->opts->on_warning(c->opts->ctx, ev);
}

static void free_ctx(struct backup_ctx *c)
{
	cairn_workpool_free(c->pool);
	for (int i = 0; c->zctx != NULL && i <= c->threads; i++)
		cairn_zctx_free(c->zctx[i]);
	for (int i = 0; c->scratch != NULL && i <= c->threads; i++)
		cairn_buf_free(&c->scratch[i]);
	free(c->zctx);
	free(c->scratch);
	free(c->readbuf);
	cairn_packer_free(c->packer);
	cairn_idmap_free(&c->hardlinks);
	for (size_t i = 0; i < c->nusers; i++)
		free(c->users[i].name);
	for (size_t i = 0; i < c->ngroups; i++)
		free(c->groups[i].name);
	free(c->users);
	free(c->groups);
	free(c->path.buf);
	pthread_mutex_destroy(&c->fail_lock);
}

int cairn_backup_run(struct cairn_repo *r, const struct cairn_backup_opts *opts, struct cairn_snapshot *ret_snap)
{
	struct backup_ctx c = { 0 };
	struct cairn_snapshot snap = { 0 };
	struct cairn_lock *lock = NULL;
	char host[256] = "", **paths = NULL;
	size_t npaths = 0;
	long cpus;
	int rc;

	c.repo = r;
	c.opts = opts;
	c.start_ns = cairn_time_now_ns();
	pthread_mutex_init(&c.fail_lock, NULL);
	if (opts->npaths == 0)
		return cairn_err(CAIRN_EINVAL, "no paths to back up");
	rc = backup_check_excludes(opts);
	if (rc < 0)
		return rc;
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	c.threads = opts->threads > 0 ? opts->threads : (cpus > 0 ? (int)cpus : 2);
	rc = cairn_lock_acquire_wait(r, 0, "backup", 0, opts->lock_wait_ns, &lock);
	if (rc < 0)
		goto out;
	/* Synchronise under the lock: a prune that deleted packs finished
	 * before the lock was granted, and no pack can go while it is held
	 * (FORMAT.md 13.5), so the blobs deduplicated against below stay. */
	rc = cairn_repo_sync(r, sync_warning, &c);
	if (rc == CAIRN_ECORRUPT)
		rc = 0; /* damaged objects were skipped and reported */
	if (rc < 0)
		goto out;
	rc = cairn_repo_recover_orphans_if_needed(r, NULL);
	if (rc < 0)
		goto out;
	rc = cairn_packer_new(r, &c.packer);
	if (rc == 0) /* one open pack per worker (the walk's trees share them) */
		rc = cairn_packer_set_parallel(c.packer, (size_t)c.threads);
	if (rc < 0)
		goto out;
	c.zctx = cairn_calloc((size_t)c.threads + 1, sizeof(*c.zctx));
	c.scratch = cairn_calloc((size_t)c.threads + 1, sizeof(*c.scratch));
	c.readbuf = malloc(2 * (size_t)cairn_repo_config(r)->chunker.max);
	if (c.zctx == NULL || c.scratch == NULL || c.readbuf == NULL) {
		rc = cairn_err(CAIRN_ENOMEM, "cannot allocate backup buffers");
		goto out;
	}
	for (int i = 0; i <= c.threads; i++) {
		rc = cairn_zctx_new(cairn_repo_config(r)->zstd_level, &c.zctx[i]);
		if (rc < 0)
			goto out;
	}
	rc = cairn_workpool_new(c.threads, (size_t)c.threads * 2 + 2, backup_chunk_worker, &c, &c.pool);
	if (rc < 0)
		goto out;

	rc = backup_root(&c, snap.tree, &paths, &npaths);
	if (rc == 0 && atomic_load(&c.failed))
		rc = c.fail_rc;
	if (rc < 0) {
		if (atomic_load(&c.failed))
			rc = cairn_err(c.fail_rc, "%s", c.fail_msg);
		goto out;
	}
	/* every pack and index object is stored before the snapshot */
	rc = cairn_packer_flush(c.packer);
	if (rc < 0)
		goto out;

	if (opts->host != NULL)
		snprintf(host, sizeof(host), "%s", opts->host);
	else
		gethostname(host, sizeof(host) - 1);
	snap.time_ns = c.start_ns;
	snap.host = cairn_strdup(host);
	{
		struct passwd pw, *res = NULL;
		char buf[4096];

		snap.user = cairn_strdup(getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) == 0 && res ? res->pw_name
												      : "");
	}
	snap.paths = paths;
	snap.npaths = npaths;
	paths = NULL;
	snap.tags = cairn_calloc(opts->ntags, sizeof(*snap.tags));
	if (snap.host == NULL || snap.user == NULL || snap.tags == NULL) {
		rc = cairn_err(CAIRN_ENOMEM, "cannot build snapshot");
		goto out;
	}
	for (size_t i = 0; i < opts->ntags; i++) {
		snap.tags[i] = cairn_strdup(opts->tags[i]);
		if (snap.tags[i] == NULL) {
			rc = cairn_err(CAIRN_ENOMEM, "cannot build snapshot");
			goto out;
		}
		snap.ntags++;
	}
	find_parent(r, &snap);
	fill_stats(&c, &snap.stats);
	snap.partial = snap.stats.errors > 0;
	rc = cairn_snapshot_write(r, &snap);
	if (rc < 0)
		goto out;
	snap.stats.duration_ns = cairn_time_now_ns() - c.start_ns;
	backup_progress(&c, NULL, 1);
	*ret_snap = snap;
	memset(&snap, 0, sizeof(snap));
out:
	if (paths != NULL) {
		for (size_t i = 0; i < npaths; i++)
			free(paths[i]);
		free(paths);
	}
	cairn_snapshot_clear(&snap);
	free_ctx(&c);
	/* packs stored by a run that failed are orphans: the next one indexes them */
	if (rc < 0 && lock != NULL)
		cairn_repo_mark_orphans_possible(r);
	cairn_lock_release(lock);
	return rc;
}
