/* A restore run: the target, the workers, the walk (restore_walk.c) and the
 * final pass (restore_links.c). */
#include "restore_internal.h"

#include "cairn/err.h"
#include "cairn/timeutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
	if (!cairn_time_due(&c->last_progress_ns, now, CAIRN_PROGRESS_INTERVAL_NS, force))
		return;
	pthread_mutex_lock(&c->lock);
	st = c->stats;
	pthread_mutex_unlock(&c->lock);
	st.duration_ns = now - c->start_ns;
	c->opts->on_progress(c->opts->ctx, &st, current);
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

/* The error of a run that left damaged entries out. Entries whose recorded
 * size or hardlink group disagrees with their data, malformed trees and
 * blobs the index does not know are damaged without any damaged object. */
static int damaged_summary(const struct cairn_restore_stats *st)
{
	unsigned long long n = (unsigned long long)st->damaged_files, o = (unsigned long long)st->damaged_objects;
	const char *what = n == 1 ? "file or directory" : "files or directories";

	if (o == 0)
		return cairn_err(CAIRN_ECORRUPT, "%llu %s not restored: data missing, malformed or not agreeing with "
				 "the snapshot's entries (see the messages above)", n, what);
	return cairn_err(CAIRN_ECORRUPT, "%llu %s not restored: damaged or missing data, %llu damaged object%s "
			 "(see the messages above)", n, what, o, o == 1 ? "" : "s");
}

int cairn_restore_run(struct cairn_repo *r, const struct cairn_snapshot *snap, const struct cairn_restore_opts *opts,
		      struct cairn_restore_stats *ret_stats)
{
	struct restore_ctx c = { 0 };
	uint64_t restored = 0;
	long cpus;
	int rc, rootfd = -1;

	c.repo = r;
	c.opts = opts;
	c.start_ns = cairn_time_now_ns();
	c.stats.first_byte_ns = -1;
	c.as_root = geteuid() == 0;
	c.stagefd = -1;
	pthread_mutex_init(&c.lock, NULL);
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	c.threads = opts->threads > 0 ? opts->threads : (cpus > 0 ? (int)cpus : 2);
	c.zctx = cairn_calloc((size_t)c.threads + 1, sizeof(*c.zctx));
	c.scratch = cairn_calloc((size_t)c.threads + 1, sizeof(*c.scratch));
	c.windows = cairn_calloc((size_t)c.threads, sizeof(*c.windows));
	if (c.zctx == NULL || c.scratch == NULL || c.windows == NULL) {
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
	rc = cairn_workpool_new(c.threads, restore_plan_queue(r, c.threads), restore_batch_worker, &c, &c.pool);
	if (rc < 0)
		goto out;
	rc = restore_walk(&c, snap, rootfd, &restored);
	cairn_workpool_drain(c.pool);
	restore_plan_end(r, &c.plan);
	if (rc == 0)
		restore_finish(&c, rootfd);
	restore_stage_remove(&c, rootfd);
	if (rc == 0 && opts->nincludes > 0 && restored == 0)
		rc = cairn_err(CAIRN_ENOTFOUND, "no entry of snapshot %.8s matches the include patterns", snap->id);
	c.stats.duration_ns = cairn_time_now_ns() - c.start_ns;
	restore_progress(&c, NULL, 1);
	if (rc == 0 && c.stats.damaged_files > 0)
		rc = damaged_summary(&c.stats);
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
	for (int i = 0; c.windows != NULL && i < c.threads; i++)
		restore_window_free(&c.windows[i]);
	free(c.zctx);
	free(c.scratch);
	free(c.windows);
	cairn_idmap_free(&c.damaged);
	restore_owners_free(&c.owners);
	restore_links_free(&c);
	pthread_mutex_destroy(&c.lock);
	return rc;
}
