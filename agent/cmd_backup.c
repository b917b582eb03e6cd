/* cairn-agent backup: take a snapshot of PATH... */
#include "agent.h"

#include "cli_args.h"
#include "replicate_print.h"
#include "store_stats.h"

#include "cairn/backup.h"
#include "cairn/err.h"
#include "cairn/timeutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] = "usage: cairn-agent backup [OPTIONS] PATH...\n"
			    "\n"
			    "Backs up the paths into a new snapshot. Unchanged files (same size, mtime,\n"
			    "ctime and inode as in the last backup) are not read again.\n"
			    "\n"
			    "  --tag TAG          label the snapshot (repeatable)\n"
			    "  --host NAME        host name to record (default: [cairn] host, else this host)\n"
			    "  --no-files-cache   read every file, even unchanged ones\n"
			    "  --replicate        then copy the repository to the replicas (--to, or every\n"
			    "                     configured one); a failure there exits 10, the snapshot\n"
			    "                     is saved on the primary all the same\n"
			    "  --to NAME|URL      a replica for --replicate (repeatable)\n"
			    "\n" CLI_COMMON_OPTIONS_HELP;

enum { OPT_TAG = CLI_OPT_COMMAND_BASE, OPT_HOST, OPT_NO_FILES_CACHE, OPT_REPLICATE, OPT_TO };

struct backup_ui {
	struct cli_progress progress;
	const struct cli_repo_opts *o;
	uint64_t warnings;
};

static void on_progress(void *ctx, const struct cairn_snapshot_stats *st, const char *current)
{
	struct backup_ui *ui = ctx;
	char read[32], added[32];
	double secs = st->duration_ns > 0 ? (double)st->duration_ns / 1e9 : 0;

	cli_format_bytes(st->bytes_read, read, sizeof(read));
	cli_format_bytes(st->bytes_added, added, sizeof(added));
	cli_progress_line(&ui->progress, "[%4.0fs] %llu files, %s read (%.1f MiB/s), %s new%s%s", secs,
			  (unsigned long long)st->files, read, secs > 0 ? (double)st->bytes_read / 1048576.0 / secs : 0.0,
			  added, current ? "  " : "", current ? current : "");
}

static void on_warning(void *ctx, const char *path, const char *msg)
{
	struct backup_ui *ui = ctx;

	cli_progress_done(&ui->progress);
	ui->warnings++;
	cli_warn("'%s': %s", path, msg);
}

static void print_json(const struct cairn_snapshot *s, struct cairn_repo *repo, json_t *replication)
{
	char when[CAIRN_TIME_STR];
	json_t *j;
	char *text;

	cairn_time_format(s->time_ns, 1, when);
	j = json_pack("{s:s, s:s, s:b, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f}}", "snapshot",
		      s->id, "time", when, "partial", s->partial, "stats", "files", (json_int_t)s->stats.files, "dirs",
		      (json_int_t)s->stats.dirs, "others", (json_int_t)s->stats.others, "bytes",
		      (json_int_t)s->stats.bytes, "bytes_read", (json_int_t)s->stats.bytes_read, "bytes_added",
		      (json_int_t)s->stats.bytes_added, "bytes_stored", (json_int_t)s->stats.bytes_stored,
		      "blobs_added", (json_int_t)s->stats.blobs_added, "packs_written",
		      (json_int_t)s->stats.packs_written, "files_unchanged", (json_int_t)s->stats.files_unchanged,
		      "errors", (json_int_t)s->stats.errors, "seconds", (double)s->stats.duration_ns / 1e9);
	if (j != NULL)
		json_object_set_new(j, "store", store_stats_json(repo));
	if (j != NULL && replication != NULL)
		json_object_set(j, "replication", replication);
	text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (text != NULL)
		puts(text);
	free(text);
	json_decref(j);
}

static void print_summary(const struct cairn_snapshot *s, const struct cli_repo_opts *o, struct cairn_repo *repo)
{
	char read[32], added[32], stored[32], total[32];

	cli_format_bytes(s->stats.bytes, total, sizeof(total));
	cli_format_bytes(s->stats.bytes_read, read, sizeof(read));
	cli_format_bytes(s->stats.bytes_added, added, sizeof(added));
	cli_format_bytes(s->stats.bytes_stored, stored, sizeof(stored));
	printf("snapshot %.8s saved%s: %llu files, %llu dirs, %s; read %s, %llu unchanged files skipped; added "
	       "%s (%s stored) in %.1fs\n",
	       s->id, s->partial ? " (partial)" : "", (unsigned long long)s->stats.files,
	       (unsigned long long)s->stats.dirs, total, read, (unsigned long long)s->stats.files_unchanged, added,
	       stored, (double)s->stats.duration_ns / 1e9);
	store_stats_print(o, repo);
	fflush(stdout);
}

int cmd_backup(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG_OPTIONS,
		{ "tag", required_argument, NULL, OPT_TAG },
		{ "host", required_argument, NULL, OPT_HOST },
		{ "no-files-cache", no_argument, NULL, OPT_NO_FILES_CACHE },
		{ "replicate", no_argument, NULL, OPT_REPLICATE },
		{ "to", required_argument, NULL, OPT_TO },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_repo_opts o = { 0 };
	struct cairn_backup_opts bo = { 0 };
	struct backup_ui ui = { 0 };
	struct cairn_snapshot snap = { 0 };
	struct cairn_repo *repo = NULL;
	struct replicate_target *targets = NULL;
	const char **tags, **to;
	size_t nto = 0, ntargets = 0;
	int opt, help = 0, code, rc, replicate = 0, rep_code = CAIRN_EXIT_OK;

	tags = calloc((size_t)argc, sizeof(*tags));
	to = calloc((size_t)argc, sizeof(*to));
	if (tags == NULL || to == NULL) {
		free(tags);
		free(to);
		return CAIRN_EXIT_ERROR;
	}
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int r = cli_common_option(&o, opt, optarg, &help);

		if (r == 1)
			continue;
		if (r == 0 && opt == OPT_TAG) {
			tags[bo.ntags++] = optarg;
		} else if (r == 0 && opt == OPT_HOST) {
			bo.host = optarg;
		} else if (r == 0 && opt == OPT_NO_FILES_CACHE) {
			bo.no_files_cache = 1;
		} else if (r == 0 && opt == OPT_REPLICATE) {
			replicate = 1;
		} else if (r == 0 && opt == OPT_TO) {
			to[nto++] = optarg;
		} else {
			fputs(usage, stderr);
			free(tags);
			free(to);
			return CAIRN_EXIT_USAGE;
		}
	}
	if (help) {
		fputs(usage, stdout);
		free(tags);
		free(to);
		return CAIRN_EXIT_OK;
	}
	if (optind >= argc) {
		cli_error("no paths to back up");
		fputs(usage, stderr);
		free(tags);
		free(to);
		return CAIRN_EXIT_USAGE;
	}
	if (nto > 0 && !replicate) {
		cli_error("--to needs --replicate");
		free(tags);
		free(to);
		return CAIRN_EXIT_USAGE;
	}
	code = cli_repo_opts_env(&o);
	if (code == 0 && replicate)
		code = replicate_targets(&o, to, nto, &targets, &ntargets);
	if (code == 0)
		code = cli_open_repo(&o, &repo);
	if (code != 0)
		goto out;
	if (bo.host == NULL)
		bo.host = o.host;
	bo.paths = (const char *const *)(argv + optind);
	bo.npaths = (size_t)(argc - optind);
	bo.tags = tags;
	bo.threads = o.threads;
	bo.on_progress = on_progress;
	bo.on_warning = on_warning;
	bo.ctx = &ui;
	ui.o = &o;
	cli_progress_init(&ui.progress, &o);
	rc = cairn_backup_run(repo, &bo, &snap);
	cli_progress_done(&ui.progress);
	if (rc < 0) {
		code = cli_fail(rc, "backup failed");
		if (rc == CAIRN_ENOTFOUND)
			code = CAIRN_EXIT_USAGE; /* a path that does not exist */
		goto out;
	}
	if (replicate) {
		/* the snapshot is safe on the primary: replication can only add */
		struct replicate_job job = { .o = &o };
		json_t *sites = o.json ? json_array() : NULL;

		if (!o.json && !o.quiet)
			print_summary(&snap, &o, repo);
		rep_code = replicate_sites(repo, &job, targets, ntargets, sites);
		if (o.json) {
			json_t *rep = sites ? json_pack("{s:O}", "sites", sites) : NULL;

			print_json(&snap, repo, rep);
			json_decref(rep);
		}
		json_decref(sites);
	} else if (o.json) {
		print_json(&snap, repo, NULL);
	} else if (!o.quiet) {
		print_summary(&snap, &o, repo);
	}
	code = CAIRN_EXIT_OK;
	if (snap.partial) {
		cli_warn("snapshot %.8s is partial: %llu entr%s could not be read", snap.id,
			 (unsigned long long)snap.stats.errors, snap.stats.errors == 1 ? "y" : "ies");
		code = CAIRN_EXIT_PARTIAL;
	}
	/* a replication failure says more than a partial snapshot: the RPO of a site is at stake */
	if (rep_code != CAIRN_EXIT_OK)
		code = rep_code;
out:
	cairn_snapshot_clear(&snap);
	cairn_repo_close(repo);
	free(targets);
	cli_repo_opts_free(&o);
	free(tags);
	free(to);
	return code;
}
