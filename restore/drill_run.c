/* cairn-restore drill: the recovery itself. A fresh state directory (so the
 * catalog is rebuilt from the site, as on a new machine), the restore into
 * the scratch directory, the verification, and the clean-up. */
#include "drill.h"
#include "event_out.h"

#include "cairn/err.h"
#include "cairn/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Record what stopped the drill: `what` and the library's detail (already
 * printed when `print` is 0). */
static void drill_fatal(struct drill *d, const char *what, int print)
{
	const char *detail = cairn_err_msg();

	free(d->fatal);
	d->fatal = detail[0] != '\0' ? cairn_asprintf("%s: %s", what, detail) : cairn_strdup(what);
	if (print)
		cli_error(d->o.ctx, "%s", d->fatal != NULL ? d->fatal : what);
}

/* ---- the callbacks: print the problem, then record it (lib/drill) ---- */

void drill_print_restore_problem(void *ctx, const struct cairn_event *ev)
{
	struct drill *d = ctx;

	cli_progress_done(&d->progress);
	if (cairn_event_class(ev->code) != CAIRN_EVENT_CLASS_LOCAL || d->f.errors.total < CAIRN_DRILL_LIST_MAX)
		event_print_restore_problem(d->o.ctx, ev);
	cairn_drill_on_restore_problem(&d->f, ev);
}

void drill_print_verify_failure(void *ctx, const struct cairn_event *ev)
{
	struct drill *d = ctx;
	uint64_t listed = d->f.failures.total;
	enum cairn_drill_after after = cairn_drill_on_verify_failure(&d->f, ev);
	char text[1200];

	snprintf(text, sizeof(text), "%s%s", ev->message, cairn_drill_after_text(after));
	cli_progress_done(&d->progress);
	if (listed < CAIRN_DRILL_LIST_MAX)
		cli_error(d->o.ctx, "verification: '%s' differs from the snapshot: %s", ev->path, text);
	else if (listed == CAIRN_DRILL_LIST_MAX)
		cli_error(d->o.ctx, "verification: more entries differ (counted, not listed)");
}

void drill_print_sync_warning(void *ctx, const struct cairn_event *ev)
{
	struct drill *d = ctx;

	cli_warn(d->o.ctx, "%s", ev->message);
	cairn_drill_on_sync_warning(&d->f, ev);
}

int drill_open(struct drill *d)
{
	struct cli_repo_opts fresh = d->o; /* borrows d->o's configuration */
	int code, rc;

	d->state_tmp = drill_tempdir("cairn-drill-state.");
	if (d->state_tmp == NULL) {
		drill_fatal(d, "cannot create a temporary state directory", 1);
		return CAIRN_EXIT_ERROR;
	}
	fresh.state_dir = d->state_tmp;
	fresh.no_sync = 1; /* synchronised below, with the damage collected */
	cairn_err_clear();
	code = cli_open_repo(&fresh, &d->repo);
	if (code != 0) {
		drill_fatal(d, "cannot open the site", 0);
		return code;
	}
	cli_info(&d->o, "drill of site '%s' (%s): rebuilding the catalog from the site", d->site, d->url);
	rc = cairn_repo_sync(d->repo, drill_print_sync_warning, d);
	d->sync_ns = cairn_time_mono_ns() - d->start_mono_ns;
	cairn_store_stats_get(cairn_repo_store(d->repo), &d->store);
	if (rc < 0 && rc != CAIRN_ECORRUPT) {
		code = cli_fail(d->o.ctx, rc, "cannot read the site's index");
		drill_fatal(d, "cannot read the site's index", 0);
		return code;
	}
	return 0;
}

static void on_restore_progress(void *ctx, const struct cairn_restore_stats *st, const char *current)
{
	struct drill *d = ctx;
	char bytes[32];
	double secs = (double)st->duration_ns / 1e9;

	cli_format_bytes(st->bytes, bytes, sizeof(bytes));
	cli_progress_line(&d->progress, "restore [%4.0fs] %llu files, %s (%.1f MiB/s)%s%s", secs,
			  (unsigned long long)st->files, bytes, secs > 0 ? (double)st->bytes / 1048576.0 / secs : 0.0,
			  current ? "  " : "", current ? current : "");
}

int drill_scratch_setup(struct drill *d)
{
	if (d->a.scratch == NULL) {
		d->scratch = drill_tempdir("cairn-drill.");
		d->scratch_made = 1;
		if (d->scratch == NULL) {
			cli_error(d->o.ctx, "cannot create a scratch directory: %s", cairn_err_msg());
			return CAIRN_EXIT_ERROR;
		}
		return 0;
	}
	if (drill_scratch_prepare(d->a.scratch, &d->scratch_made) < 0) {
		cli_error(d->o.ctx, "%s", cairn_err_msg());
		return CAIRN_EXIT_USAGE;
	}
	d->scratch = cairn_strdup(d->a.scratch);
	if (d->scratch == NULL) {
		if (d->scratch_made)
			rmdir(d->a.scratch);
		cli_error(d->o.ctx, "out of memory");
		return CAIRN_EXIT_ERROR;
	}
	return 0;
}

int drill_restore(struct drill *d)
{
	struct cairn_restore_opts ro = { 0 };
	int64_t begin;
	int code;

	ro.target = d->scratch;
	ro.threads = d->o.threads;
	ro.on_progress = on_restore_progress;
	ro.on_problem = drill_print_restore_problem;
	ro.ctx = d;
	cli_progress_init(&d->progress, &d->o);
	begin = cairn_time_mono_ns();
	d->restore_rc = cairn_restore_run(d->repo, &d->snap, &ro, &d->rst);
	d->recovery_ns = cairn_time_mono_ns() - d->start_mono_ns;
	cli_progress_done(&d->progress);
	d->restored = 1;
	d->restore_ns = d->rst.duration_ns;
	d->first_byte_ns = d->rst.first_byte_ns >= 0 ? begin - d->start_mono_ns + d->rst.first_byte_ns : -1;
	cairn_store_stats_get(cairn_repo_store(d->repo), &d->store);
	if (d->restore_rc == 0 || d->restore_rc == CAIRN_ECORRUPT || (d->restore_rc == CAIRN_EIO && d->rst.errors > 0))
		return 0;
	d->restored = 0;
	code = cli_fail(d->o.ctx, d->restore_rc, "restore failed");
	drill_fatal(d, "the restore failed", 0);
	return code;
}

static void on_verify_progress(void *ctx, const struct cairn_verify_stats *st, const char *current)
{
	struct drill *d = ctx;
	char bytes[32];
	double secs = (double)st->duration_ns / 1e9;

	cli_format_bytes(st->bytes, bytes, sizeof(bytes));
	cli_progress_line(&d->progress, "verify [%4.0fs] %llu entries, %llu files compared, %s (%.1f MiB/s)%s%s", secs,
			  (unsigned long long)st->entries, (unsigned long long)st->files_verified, bytes,
			  secs > 0 ? (double)st->bytes / 1048576.0 / secs : 0.0, current ? "  " : "",
			  current ? current : "");
}

void drill_verify(struct drill *d)
{
	struct cairn_verify_opts vo = { 0 };
	int64_t begin = cairn_time_mono_ns();
	int rc;

	vo.root = d->scratch;
	vo.sample_percent = d->a.sample;
	vo.seed = d->a.seed;
	vo.check_owner = geteuid() == 0; /* a restore sets owners only as root */
	vo.threads = d->o.threads;
	vo.on_failure = drill_print_verify_failure;
	vo.on_progress = on_verify_progress;
	vo.ctx = d;
	cli_progress_init(&d->progress, &d->o);
	rc = cairn_verify_run(d->repo, &d->snap, &vo, &d->vst);
	cli_progress_done(&d->progress);
	d->verify_ns = cairn_time_mono_ns() - begin;
	d->verify_rc = rc;
	d->verified = rc == 0 || rc == CAIRN_ECORRUPT;
	if (!d->verified) {
		d->verify_error = cairn_strdup(cairn_err_msg());
		cli_error(d->o.ctx, "the verification could not run: %s", cairn_err_msg());
	}
}

void drill_cleanup(struct drill *d)
{
	if (d->scratch != NULL && d->a.keep && d->recovery_ns >= 0) /* the restore ran */
		d->scratch_kept = 1;
	else if (d->scratch != NULL) /* also with --keep when nothing was restored */
		drill_remove_tree(d->o.ctx, d->scratch, d->scratch_made);
	cairn_repo_close(d->repo); /* its catalog is in the temporary state directory */
	d->repo = NULL;
	if (d->state_tmp != NULL)
		drill_remove_tree(d->o.ctx, d->state_tmp, 1);
}
