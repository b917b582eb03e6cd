/* Verification of a restored tree: the walk over the snapshot's trees next
 * to the restored directories; metadata here, content by the workers.
 * The restored side is walked with a cairn_dirstack: openat relative to the
 * parent, no symlink followed, each directory checked to be the one
 * lstat'ed, a bounded number of descriptors whatever the depth. */
#include "verify_internal.h"

#include "cairn/dirstack.h"
#include "cairn/err.h"
#include "cairn/pack.h"
#include "cairn/timeutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void verify_fail(struct verify_ctx *c, const char *path, const struct verify_diff *d)
{
	struct cairn_event ev = { .code = CAIRN_EVENT_DIFFERS, .object = d->object, .path = path, .message = d->msg,
				  .flags = d->problems };

	if (d->problems == 0)
		return;
	pthread_mutex_lock(&c->lock);
	c->stats.failed++;
	if (c->opts->on_failure != NULL)
		c->opts->on_failure(c->opts->ctx, &ev);
	pthread_mutex_unlock(&c->lock);
}

void verify_count(struct verify_ctx *c, uint64_t files_verified, uint64_t bytes)
{
	pthread_mutex_lock(&c->lock);
	c->stats.files_verified += files_verified;
	c->stats.bytes += bytes;
	pthread_mutex_unlock(&c->lock);
}

static void progress(struct verify_ctx *c, const char *current, int force)
{
	struct cairn_verify_stats st;
	int64_t now;

	if (c->opts->on_progress == NULL)
		return;
	now = cairn_time_now_ns();
	if (!cairn_time_due(&c->last_progress_ns, now, CAIRN_PROGRESS_INTERVAL_NS, force))
		return;
	pthread_mutex_lock(&c->lock);
	st = c->stats;
	pthread_mutex_unlock(&c->lock);
	st.duration_ns = now - c->start_ns;
	c->opts->on_progress(c->opts->ctx, &st, current);
}

/* Descend into `name` in the current path; *ret_saved is what to go back to. */
static int path_push(struct cairn_buf *path, const void *name, size_t len, size_t *ret_saved)
{
	size_t saved = path->len;
	int rc = 0;

	if (saved > 1) /* not the root "/" */
		rc = cairn_buf_append(path, "/", 1);
	if (rc == 0)
		rc = cairn_buf_append(path, name, len);
	if (rc == 0)
		rc = cairn_buf_reserve(path, 1);
	if (rc < 0)
		return cairn_err(CAIRN_ENOMEM, "cannot build a path");
	path->data[path->len] = '\0';
	*ret_saved = saved;
	return 0;
}

static void path_pop(struct cairn_buf *path, size_t saved)
{
	path->len = saved;
	path->data[saved] = '\0';
}

static const char *path_str(const struct verify_ctx *c)
{
	return (const char *)c->path.data;
}

/* The last component of the current path, pushed at `saved`. */
static const char *path_name(const struct verify_ctx *c, size_t saved)
{
	return (const char *)c->path.data + saved + (saved > 1 ? 1 : 0);
}

/* Tree order (docs/FORMAT.md 9.2): bytewise, a prefix first. */
static int name_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int r = memcmp(a, b, alen < blen ? alen : blen);

	if (r != 0)
		return r;
	return alen < blen ? -1 : alen > blen;
}

static int in_tree(const struct cairn_entry *entries, size_t count, const char *name)
{
	size_t lo = 0, hi = count, len = strlen(name);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = name_cmp(entries[mid].name, entries[mid].name_len, (const uint8_t *)name, len);

		if (r == 0)
			return 1;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Every name in the restored directory must be in its tree. */
static int check_extras(struct verify_ctx *c, int dirfd, const struct cairn_entry *entries, size_t count)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct verify_diff d;
	struct dirent *de;
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	int rc = 0;

	if (dir == NULL) {
		memset(&d, 0, sizeof(d));
		verify_diff_add(&d, CAIRN_VERIFY_UNREADABLE, "cannot list the restored directory: %s", strerror(errno));
		verify_fail(c, path_str(c), &d);
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while (rc == 0 && (de = readdir(dir)) != NULL) {
		size_t saved;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 || in_tree(entries, count, de->d_name))
			continue;
		rc = path_push(&c->path, de->d_name, strlen(de->d_name), &saved);
		if (rc < 0)
			break;
		memset(&d, 0, sizeof(d));
		verify_diff_add(&d, CAIRN_VERIFY_EXTRA, "restored, but not in the snapshot");
		verify_fail(c, path_str(c), &d);
		path_pop(&c->path, saved);
	}
	closedir(dir);
	return rc;
}

/* Hand a sampled file to the workers, open, with the differences found so
 * far; a file that cannot be opened fails here. */
static int submit_content(struct verify_ctx *c, int dirfd, const char *name, struct cairn_entry *e,
			  const struct stat *st, struct verify_diff *d)
{
	struct verify_job *job;
	int fd = verify_open_file(dirfd, name, st, d);

	if (fd < 0) {
		verify_count(c, 1, 0);
		verify_fail(c, path_str(c), d);
		return 0;
	}
	job = calloc(1, sizeof(*job));
	if (job == NULL) {
		close(fd);
		return cairn_err(CAIRN_ENOMEM, "cannot allocate a verification job");
	}
	job->fd = fd;
	job->path = cairn_strdup(path_str(c));
	if (job->path == NULL) {
		verify_job_free(job);
		return cairn_err(CAIRN_ENOMEM, "cannot allocate a verification job");
	}
	job->content = e->content; /* taken from the entry */
	job->content_count = e->content_count;
	e->content = NULL;
	e->content_count = 0;
	job->size = e->size;
	job->diff = *d;
	cairn_workpool_submit(c->pool, job);
	return 0;
}

/* enter_dir() pushed a frame: the directory is walked next. */
#define ENTERED 1

/* Read the snapshot's tree of the current directory. 0 with its entries;
 * 1 when it cannot be read (reported); CAIRN_ENOMEM. */
static int read_tree(struct verify_ctx *c, const uint8_t tree_id[CAIRN_ID_BYTES], struct cairn_entry **ret,
		     size_t *ret_count)
{
	struct verify_diff d = { 0 };
	int rc;

	cairn_buf_reset(&c->treebuf);
	rc = cairn_repo_blob_read(c->repo, c->z, CAIRN_BLOB_TREE, tree_id, &c->treebuf, NULL);
	if (rc == 0)
		rc = cairn_tree_decode(c->treebuf.data, c->treebuf.len, ret, ret_count);
	if (rc == 0 || rc == CAIRN_ENOMEM)
		return rc;
	verify_diff_add(&d, CAIRN_VERIFY_TREE, "the snapshot's tree of this directory cannot be read: %s",
			cairn_err_msg());
	cairn_event_ref_set(&d.object, CAIRN_EVENT_OBJECT_TREE_BLOB, tree_id);
	verify_fail(c, path_str(c), &d);
	return 1;
}

/* Push a frame for the directory whose tree is `entries` (taken in every
 * case); its path component was pushed at `path_saved`. */
static int frame_push(struct verify_ctx *c, struct cairn_entry *entries, size_t count, size_t path_saved)
{
	if (c->depth == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		struct verify_frame *f = cairn_reallocarray(c->frames, cap, sizeof(*f));

		if (f == NULL) {
			cairn_entries_free(entries, count);
			return cairn_err(CAIRN_ENOMEM, "cannot grow the verification walk to %zu levels", cap);
		}
		c->frames = f;
		c->cap = cap;
	}
	c->frames[c->depth++] = (struct verify_frame){ entries, count, 0, path_saved };
	return ENTERED;
}

/* Back up to the parent of the top directory; the walk stops when the
 * parent was moved or replaced meanwhile. */
static int pop_dir(struct verify_ctx *c)
{
	int rc = cairn_dirstack_pop(c->ds);

	return rc < 0 ? cairn_err_ctx(rc, "verification stopped in '%s'", path_str(c)) : 0;
}

/* A directory of the snapshot (lstat'ed as *st): its metadata, then, when
 * it opens as the directory examined, a frame to walk what is inside. 0
 * (nothing to walk), ENTERED, or <0. */
static int enter_dir(struct verify_ctx *c, const char *name, const struct cairn_entry *e, const struct stat *st,
		     struct verify_diff *d, size_t path_saved)
{
	struct cairn_entry *entries = NULL;
	size_t count = 0;
	int rc = cairn_dirstack_push(c->ds, name, st);

	if (rc < 0) {
		if (rc == CAIRN_ENOMEM)
			return rc;
		verify_diff_add(d, CAIRN_VERIFY_UNREADABLE, "cannot open the restored directory: %s", cairn_err_msg());
	}
	verify_fail(c, path_str(c), d);
	if (rc < 0)
		return 0;
	rc = read_tree(c, e->subtree, &entries, &count);
	if (rc == 0)
		return frame_push(c, entries, count, path_saved);
	if (rc > 0)
		rc = pop_dir(c);
	return rc;
}

/* Verify the next entry of the top frame: 0, ENTERED when it is a
 * directory now on top, or <0. */
static int verify_entry(struct verify_ctx *c, struct cairn_entry *e)
{
	int dirfd = cairn_dirstack_fd(c->ds);
	struct verify_diff d;
	struct stat st;
	const char *name;
	size_t saved;
	int rc;

	rc = path_push(&c->path, e->name, e->name_len, &saved);
	if (rc < 0)
		return rc;
	name = path_name(c, saved);
	memset(&d, 0, sizeof(d));
	pthread_mutex_lock(&c->lock);
	c->stats.entries++;
	c->stats.files += e->type == CAIRN_ENTRY_FILE;
	pthread_mutex_unlock(&c->lock);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			verify_diff_add(&d, CAIRN_VERIFY_MISSING, "missing from the restored tree");
		else
			verify_diff_add(&d, CAIRN_VERIFY_UNREADABLE, "cannot examine the restored entry: %s",
					strerror(errno));
		verify_fail(c, path_str(c), &d);
	} else {
		verify_meta(c, dirfd, name, e, &st, &d);
		if (e->type == CAIRN_ENTRY_DIR && !(d.problems & CAIRN_VERIFY_TYPE))
			rc = enter_dir(c, name, e, &st, &d, saved);
		else if (e->type == CAIRN_ENTRY_FILE && !(d.problems & CAIRN_VERIFY_TYPE) &&
			 !(e->flags & CAIRN_ENTRY_F_UNREADABLE) &&
			 cairn_verify_sampled(c->opts->seed, c->opts->sample_percent, path_str(c)))
			rc = submit_content(c, dirfd, name, e, &st, &d);
		else
			verify_fail(c, path_str(c), &d);
	}
	if (rc == ENTERED)
		return rc; /* progress and the path's end come when it is left */
	progress(c, path_str(c), 0);
	path_pop(&c->path, saved);
	return rc;
}

/* Every entry of the top directory was verified: list it for extra names,
 * then back to its parent. */
static int leave_dir(struct verify_ctx *c)
{
	struct verify_frame *f = &c->frames[c->depth - 1];
	int rc = check_extras(c, cairn_dirstack_fd(c->ds), f->entries, f->count);

	cairn_entries_free(f->entries, f->count);
	c->depth--;
	if (c->depth > 0) {
		if (rc == 0)
			rc = pop_dir(c);
		progress(c, path_str(c), 0);
	}
	path_pop(&c->path, f->path_saved);
	return rc;
}

/* The walk, depth-first with an explicit stack of frames (one per
 * directory on the current path) and the directory stack next to it: the
 * C stack does not grow and at most CAIRN_DIRSTACK_DEFAULT_OPEN
 * directories are open, whatever the depth. */
static int verify_walk(struct verify_ctx *c, const uint8_t root_tree[CAIRN_ID_BYTES])
{
	struct cairn_entry *entries = NULL;
	size_t count = 0;
	int rc = read_tree(c, root_tree, &entries, &count);

	if (rc != 0)
		return rc > 0 ? 0 : rc;
	rc = frame_push(c, entries, count, c->path.len);
	while (rc >= 0 && c->depth > 0) {
		struct verify_frame *f = &c->frames[c->depth - 1];

		if (f->next == f->count)
			rc = leave_dir(c);
		else
			rc = verify_entry(c, &f->entries[f->next++]); /* may move the frames */
	}
	while (c->depth > 0) { /* an error: drop the frames left */
		struct verify_frame *f = &c->frames[--c->depth];

		cairn_entries_free(f->entries, f->count);
	}
	return rc < 0 ? rc : 0;
}

static int verify_setup(struct verify_ctx *c, struct cairn_repo *r, const struct cairn_verify_opts *opts)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int rc;

	c->repo = r;
	c->opts = opts;
	c->start_ns = cairn_time_now_ns();
	c->last_progress_ns = c->start_ns;
	c->threads = opts->threads;
	if (c->threads <= 0)
		c->threads = cpus < 1 ? 1 : cpus > VERIFY_THREADS_MAX_DEFAULT ? VERIFY_THREADS_MAX_DEFAULT : (int)cpus;
	c->readbuf_len = 2 * (size_t)cairn_repo_config(r)->chunker.max;
	c->readbuf = cairn_calloc((size_t)c->threads, sizeof(*c->readbuf));
	if (c->readbuf == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot allocate verification buffers");
	for (int i = 0; i < c->threads; i++) {
		c->readbuf[i] = malloc(c->readbuf_len);
		if (c->readbuf[i] == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot allocate verification buffers");
	}
	rc = cairn_zctx_new(cairn_repo_config(r)->zstd_level, &c->z);
	if (rc == 0)
		rc = cairn_buf_append(&c->path, "/", 2);
	if (rc < 0)
		return rc;
	c->path.len = 1; /* "/" and its NUL */
	return cairn_workpool_new(c->threads, 2 * (size_t)c->threads + 2, verify_content_worker, c, &c->pool);
}

static void verify_teardown(struct verify_ctx *c)
{
	cairn_workpool_free(c->pool); /* waits for the queued files */
	for (int i = 0; c->readbuf != NULL && i < c->threads; i++)
		free(c->readbuf[i]);
	free(c->readbuf);
	for (size_t i = 0; i < c->depth; i++)
		cairn_entries_free(c->frames[i].entries, c->frames[i].count);
	free(c->frames);
	cairn_dirstack_free(c->ds);
	cairn_zctx_free(c->z);
	cairn_buf_free(&c->treebuf);
	cairn_buf_free(&c->path);
	cairn_idmap_free(&c->hardlinks);
	free(c->user.name);
	free(c->group.name);
}

static int check_opts(const struct cairn_verify_opts *opts)
{
	if (opts == NULL || opts->root == NULL)
		return cairn_err(CAIRN_EINVAL, "no restored tree to verify");
	if (!(opts->sample_percent > 0.0 && opts->sample_percent <= 100.0))
		return cairn_err(CAIRN_EINVAL, "the sample must be more than 0%% and at most 100%% of the files");
	return 0;
}

int cairn_verify_run(struct cairn_repo *r, const struct cairn_snapshot *snap, const struct cairn_verify_opts *opts,
		     struct cairn_verify_stats *ret_stats)
{
	struct verify_ctx c;
	int rc, rootfd = -1;

	memset(&c, 0, sizeof(c));
	pthread_mutex_init(&c.lock, NULL);
	rc = check_opts(opts);
	if (rc == 0)
		rc = verify_setup(&c, r, opts);
	if (rc == 0) {
		rootfd = open(opts->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0)
			rc = cairn_err(cairn_err_from_errno(errno), "cannot open the restored tree '%s': %s", opts->root,
				       strerror(errno));
	}
	if (rc == 0)
		rc = cairn_dirstack_new(rootfd, 0, &c.ds);
	if (rootfd >= 0)
		close(rootfd);
	if (rc == 0)
		rc = verify_walk(&c, snap->tree);
	verify_teardown(&c);
	c.stats.duration_ns = cairn_time_now_ns() - c.start_ns;
	if (c.opts != NULL)
		progress(&c, NULL, 1);
	if (ret_stats != NULL)
		*ret_stats = c.stats;
	if (rc == 0 && c.stats.failed > 0)
		rc = cairn_err(CAIRN_ECORRUPT, "%llu entr%s of the restored tree differ%s from snapshot %.8s",
			       (unsigned long long)c.stats.failed, c.stats.failed == 1 ? "y" : "ies",
			       c.stats.failed == 1 ? "s" : "", snap->id);
	pthread_mutex_destroy(&c.lock);
	return rc;
}
