/* cairn-agent backup: take a snapshot of PATH... */
#include "agent.h"

#include "cli_args.h"
#include "event_out.h"
#include "hook.h"
#include "job_report.h"
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
			    "       cairn-agent backup [OPTIONS] [--set NAME]...\n"
			    "\n"
			    "Backs up the paths into a new snapshot. Without paths, backs up the\n"
			    "configured backup sets ([backup NAME] in the configuration file): the ones\n"
			    "named with --set, else all of them, one snapshot each, in file order. A\n"
			    "set's pre-hook runs first; when it fails or times out the set is skipped\n"
			    "with an error (the others still run) and its post-hook still runs. Unchanged\n"
			    "files (same size, mtime, ctime and inode as in the last backup) are not\n"
			    "read again.\n"
			    "\n"
			    "  --set NAME         back up this configured set (repeatable)\n"
			    "  --exclude PATTERN  leave out matching entries (repeatable; added to a set's\n"
			    "                     own): a name glob ('*.swp', '.cache') at any depth, or\n"
			    "                     an absolute path glob ('/home/*/.cache')\n"
			    "  --one-file-system  do not descend into other file systems below the paths\n"
			    "  --lock-wait D      wait up to D (e.g. 10m) for a prune holding the\n"
			    "                     repository, then exit 6 (default [cairn] lock-wait, else 0)\n"
			    "  --tag TAG          label the snapshot (repeatable; added to a set's own)\n"
			    "  --host NAME        host name to record (default: [cairn] host, else this host)\n"
			    "  --no-files-cache   read every file, even unchanged ones\n"
			    "  --replicate        then copy the repository to the replicas (--to, or every\n"
			    "                     configured one); a failure there exits 10, the snapshot\n"
			    "                     is saved on the primary all the same\n"
			    "  --to NAME|URL      a replica for --replicate (repeatable)\n"
			    "\n" CLI_COMMON_OPTIONS_HELP;

enum { OPT_TAG = CLI_OPT_COMMAND_BASE, OPT_HOST, OPT_NO_FILES_CACHE, OPT_REPLICATE, OPT_TO, OPT_SET, OPT_EXCLUDE,
       OPT_ONE_FS, OPT_LOCK_WAIT };

/* Warnings kept for --json per snapshot (all are counted in its stats). */
#define BACKUP_JSON_WARNINGS_MAX 1000

struct backup_ui {
	struct cli_progress progress;
	const struct cli_repo_opts *o;
	struct cairn_repo *repo;
	uint64_t warnings;
	json_t *json_warnings; /* --json: the first BACKUP_JSON_WARNINGS_MAX */
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

static void on_warning(void *ctx, const struct cairn_event *ev)
{
	struct backup_ui *ui = ctx;
	/* a damaged object of the repository: named by the repository */
	const char *where = ev->path != NULL ? ev->path : cairn_repo_store(ui->repo)->description;
	json_t *w;

	cli_progress_done(&ui->progress);
	ui->warnings++;
	cli_warn(ui->o->ctx, "'%s': %s", where, ev->message);
	if (ui->json_warnings == NULL || json_array_size(ui->json_warnings) >= BACKUP_JSON_WARNINGS_MAX)
		return;
	w = json_pack("{s:s}", "message", ev->message);
	if (w != NULL && ev->path != NULL)
		json_object_set_new(w, "path", json_string(ev->path));
	if (w != NULL && ev->object_name != NULL)
		json_object_set_new(w, "object", json_string(ev->object_name));
	event_json_fields(w, ev);
	if (w != NULL)
		json_array_append_new(ui->json_warnings, w);
}

/* Growable list of borrowed strings. */
struct strlist {
	const char **v;
	size_t n;
};

static int strlist_add(struct strlist *l, const char *s)
{
	const char **p = realloc(l->v, (l->n + 1) * sizeof(*p));

	if (p == NULL)
		return -1;
	l->v = p;
	l->v[l->n++] = s;
	return 0;
}

/* What the command line asked for. */
struct backup_request {
	struct strlist tags, excludes, sets, to;
	const char *host;
	int no_files_cache, one_file_system, replicate;
	int64_t lock_wait_ns; /* -1 = not given */
};

static void request_free(struct backup_request *q)
{
	free(q->tags.v);
	free(q->excludes.v);
	free(q->sets.v);
	free(q->to.v);
}

/* The outcome of one snapshot (a set, or the paths of the command line). */
struct backup_outcome {
	const char *set;      /* NULL for paths */
	int code;             /* exit code of this part */
	char error[512];      /* why it failed, "" otherwise */
	struct cairn_snapshot snap;
	int have_snap;
	json_t *warnings;     /* --json: the warnings of the run (an array), else NULL */
};

static json_t *snapshot_json(const struct cairn_snapshot *s)
{
	char when[CAIRN_TIME_STR];

	cairn_time_format(s->time_ns, 1, when);
	return json_pack("{s:s, s:s, s:b, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f}}", "snapshot",
			 s->id, "time", when, "partial", s->partial, "stats", "files", (json_int_t)s->stats.files,
			 "dirs", (json_int_t)s->stats.dirs, "others", (json_int_t)s->stats.others, "bytes",
			 (json_int_t)s->stats.bytes, "bytes_read", (json_int_t)s->stats.bytes_read, "bytes_added",
			 (json_int_t)s->stats.bytes_added, "bytes_stored", (json_int_t)s->stats.bytes_stored,
			 "blobs_added", (json_int_t)s->stats.blobs_added, "packs_written",
			 (json_int_t)s->stats.packs_written, "files_unchanged", (json_int_t)s->stats.files_unchanged,
			 "errors", (json_int_t)s->stats.errors, "seconds", (double)s->stats.duration_ns / 1e9);
}

/* One JSON document for the run: a single snapshot's object when the paths
 * came from the command line, else {"sets": [...]}; plus "store" and
 * "replication". */
static void print_json(const struct backup_outcome *outs, size_t n, int paths, struct cairn_repo *repo,
		       json_t *replication)
{
	json_t *j;
	char *text;

	if (paths) {
		j = outs[0].have_snap ? snapshot_json(&outs[0].snap) : json_object();
		if (j != NULL && outs[0].warnings != NULL)
			json_object_set(j, "warnings", outs[0].warnings);
	} else {
		json_t *sets = json_array();

		for (size_t i = 0; i < n; i++) {
			json_t *e = outs[i].have_snap ? snapshot_json(&outs[i].snap) : json_object();

			if (e == NULL)
				continue;
			json_object_set_new(e, "set", json_string(outs[i].set));
			json_object_set_new(e, "exit_code", json_integer(outs[i].code));
			if (outs[i].warnings != NULL)
				json_object_set(e, "warnings", outs[i].warnings);
			if (outs[i].error[0] != '\0')
				json_object_set_new(e, "error", json_string(outs[i].error));
			json_array_append_new(sets, e);
		}
		j = json_pack("{s:o}", "sets", sets);
	}
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

static void print_summary(const struct cairn_snapshot *s, const char *set)
{
	char read[32], added[32], stored[32], total[32];

	cli_format_bytes(s->stats.bytes, total, sizeof(total));
	cli_format_bytes(s->stats.bytes_read, read, sizeof(read));
	cli_format_bytes(s->stats.bytes_added, added, sizeof(added));
	cli_format_bytes(s->stats.bytes_stored, stored, sizeof(stored));
	printf("%s%s%ssnapshot %.8s saved%s: %llu files, %llu dirs, %s; read %s, %llu unchanged files skipped; "
	       "added %s (%s stored) in %.1fs\n",
	       set ? "set " : "", set ? set : "", set ? ": " : "", s->id, s->partial ? " (partial)" : "",
	       (unsigned long long)s->stats.files, (unsigned long long)s->stats.dirs, total, read,
	       (unsigned long long)s->stats.files_unchanged, added, stored, (double)s->stats.duration_ns / 1e9);
	fflush(stdout);
}

/* Run one hook of a set; 0 when it succeeded (or there is none). */
static int run_hook(const struct cli_ctx *ctx, const struct cairn_backup_set *set, const char *which,
		    const char *command, int result_code, struct backup_outcome *out)
{
	char env_set[64 + CAIRN_CONFIG_NAME_MAX], env_hook[32], env_result[48], env_snap[80], how[300];
	const char *env[5] = { env_set, env_hook, NULL, NULL, NULL };
	struct hook_result hr;

	if (command == NULL)
		return 0;
	snprintf(env_set, sizeof(env_set), "CAIRN_BACKUP_SET=%s", set->name);
	snprintf(env_hook, sizeof(env_hook), "CAIRN_HOOK=%s", which);
	if (strcmp(which, "post") == 0) {
		snprintf(env_result, sizeof(env_result), "CAIRN_BACKUP_EXIT_CODE=%d", result_code);
		env[2] = env_result;
		if (out->have_snap) {
			snprintf(env_snap, sizeof(env_snap), "CAIRN_SNAPSHOT=%s", out->snap.id);
			env[3] = env_snap;
		}
	}
	if (hook_run(command, env, set->hook_timeout_ns, &hr) == 0)
		return 0;
	hook_describe(&hr, how, sizeof(how));
	if (strcmp(which, "pre") == 0)
		snprintf(out->error, sizeof(out->error), "pre-hook of backup set '%s' %s; the set was skipped", set->name,
			 how);
	else
		snprintf(out->error, sizeof(out->error), "post-hook of backup set '%s' %s", set->name, how);
	cli_error(ctx, "%s", out->error);
	return -1;
}

/* Take one snapshot of `paths` into out. */
static void take_snapshot(struct cairn_repo *repo, const struct cli_repo_opts *o, const struct backup_request *q,
			  const struct cairn_backup_set *set, const char *const *paths, size_t npaths,
			  struct backup_outcome *out)
{
	struct cairn_backup_opts bo = { 0 };
	struct backup_ui ui = { .o = o, .repo = repo };
	struct strlist tags = { 0 }, excludes = { 0 };
	int rc, oom = 0;

	for (size_t i = 0; set != NULL && i < set->ntags; i++)
		oom |= strlist_add(&tags, set->tags[i]);
	for (size_t i = 0; i < q->tags.n; i++)
		oom |= strlist_add(&tags, q->tags.v[i]);
	for (size_t i = 0; set != NULL && i < set->nexcludes; i++)
		oom |= strlist_add(&excludes, set->excludes[i]);
	for (size_t i = 0; i < q->excludes.n; i++)
		oom |= strlist_add(&excludes, q->excludes.v[i]);
	if (oom) {
		out->code = cli_fail(o->ctx, cairn_err(CAIRN_ENOMEM, "cannot prepare the backup"), "backup failed");
		goto out;
	}
	bo.paths = paths;
	bo.npaths = npaths;
	bo.tags = tags.v;
	bo.ntags = tags.n;
	bo.excludes = excludes.v;
	bo.nexcludes = excludes.n;
	bo.one_file_system = q->one_file_system || (set != NULL && set->one_file_system == 1);
	bo.host = q->host != NULL ? q->host : o->host;
	bo.threads = o->threads;
	bo.no_files_cache = q->no_files_cache;
	bo.lock_wait_ns = q->lock_wait_ns >= 0 ? q->lock_wait_ns
			  : o->cfg != NULL && o->cfg->lock_wait_ns > 0 ? o->cfg->lock_wait_ns : 0;
	bo.on_progress = on_progress;
	bo.on_warning = on_warning;
	bo.ctx = &ui;
	if (o->json)
		ui.json_warnings = out->warnings = json_array();
	cli_progress_init(&ui.progress, o);
	rc = cairn_backup_run(repo, &bo, &out->snap);
	cli_progress_done(&ui.progress);
	if (rc < 0) {
		snprintf(out->error, sizeof(out->error), "%s", cairn_err_msg());
		out->code = cli_fail(o->ctx, rc, set != NULL ? "backup of a set failed" : "backup failed");
		if (rc == CAIRN_ENOTFOUND || rc == CAIRN_EINVAL)
			out->code = CAIRN_EXIT_USAGE; /* a path that does not exist, a bad pattern */
		goto out;
	}
	out->have_snap = 1;
	out->code = CAIRN_EXIT_OK;
	if (!o->json && !o->quiet)
		print_summary(&out->snap, set != NULL ? set->name : NULL);
	if (out->snap.partial) {
		cli_warn(o->ctx, "snapshot %.8s is partial: %llu entr%s could not be read", out->snap.id,
			 (unsigned long long)out->snap.stats.errors, out->snap.stats.errors == 1 ? "y" : "ies");
		out->code = CAIRN_EXIT_PARTIAL;
	}
out:
	free(tags.v);
	free(excludes.v);
}

/* A configured set: pre-hook, snapshot, post-hook. */
static void back_up_set(struct cairn_repo *repo, const struct cli_repo_opts *o, const struct backup_request *q,
			const struct cairn_backup_set *set, struct backup_outcome *out)
{
	out->set = set->name;
	if (run_hook(o->ctx, set, "pre", set->pre_hook, 0, out) < 0) {
		out->code = CAIRN_EXIT_ERROR;
	} else {
		take_snapshot(repo, o, q, set, (const char *const *)set->paths, set->npaths, out);
	}
	if (run_hook(o->ctx, set, "post", set->post_hook, out->code, out) < 0 && out->code == CAIRN_EXIT_OK)
		out->code = CAIRN_EXIT_ERROR; /* the snapshot is saved; the failure is reported */
}

/* The sets to back up: those named with --set, else every configured one. */
static int choose_sets(const struct cli_repo_opts *o, const struct backup_request *q,
		       const struct cairn_backup_set ***ret, size_t *ret_n)
{
	const struct cairn_backup_set **v;
	size_t n = 0;

	if (o->cfg == NULL || o->cfg->nsets == 0) {
		cli_error(o->ctx, "no paths to back up, and %s has no [backup NAME] set",
			  o->cfg ? o->cfg->file : "no configuration file");
		return CAIRN_EXIT_USAGE;
	}
	v = calloc(o->cfg->nsets + q->sets.n, sizeof(*v));
	if (v == NULL)
		return CAIRN_EXIT_ERROR;
	if (q->sets.n == 0) {
		for (size_t i = 0; i < o->cfg->nsets; i++)
			v[n++] = &o->cfg->sets[i];
	}
	for (size_t i = 0; i < q->sets.n; i++) {
		const struct cairn_backup_set *s = cairn_config_backup_set(o->cfg, q->sets.v[i]);

		if (s == NULL) {
			cli_error(o->ctx, "no backup set '%s' in %s", q->sets.v[i], o->cfg->file);
			free(v);
			return CAIRN_EXIT_USAGE;
		}
		v[n++] = s;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* The exit code of the whole run: the first failure, else partial, else 0. */
static int combined_code(const struct backup_outcome *outs, size_t n)
{
	int partial = 0;

	for (size_t i = 0; i < n; i++) {
		if (outs[i].code == CAIRN_EXIT_PARTIAL)
			partial = 1;
		else if (outs[i].code != CAIRN_EXIT_OK)
			return outs[i].code;
	}
	return partial ? CAIRN_EXIT_PARTIAL : CAIRN_EXIT_OK;
}

static void report_counters(struct job_report *rep, const struct backup_outcome *outs, size_t n,
			    struct cairn_repo *repo)
{
	int64_t files = 0, read = 0, added = 0, stored = 0, errors = 0;
	struct cairn_store_stats st;

	for (size_t i = 0; i < n; i++) {
		if (!outs[i].have_snap) {
			errors++;
			continue;
		}
		files += (int64_t)outs[i].snap.stats.files;
		read += (int64_t)outs[i].snap.stats.bytes_read;
		added += (int64_t)outs[i].snap.stats.bytes_added;
		stored += (int64_t)outs[i].snap.stats.bytes_stored;
		errors += (int64_t)outs[i].snap.stats.errors;
	}
	cairn_store_stats_get(cairn_repo_store(repo), &st);
	job_report_count(rep, JOB_FILES, files);
	job_report_count(rep, JOB_BYTES_READ, read);
	job_report_count(rep, JOB_BYTES_ADDED, added);
	job_report_count(rep, JOB_BYTES_UPLOADED, stored);
	job_report_count(rep, JOB_ERRORS, errors);
	job_report_count(rep, JOB_REQUESTS, (int64_t)st.requests);
	job_report_count(rep, JOB_RETRIES, (int64_t)st.retries);
}

static int parse_args(int argc, char **argv, struct cli_repo_opts *o, struct backup_request *q, int *help)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG_OPTIONS,
		{ "tag", required_argument, NULL, OPT_TAG },
		{ "host", required_argument, NULL, OPT_HOST },
		{ "no-files-cache", no_argument, NULL, OPT_NO_FILES_CACHE },
		{ "replicate", no_argument, NULL, OPT_REPLICATE },
		{ "to", required_argument, NULL, OPT_TO },
		{ "set", required_argument, NULL, OPT_SET },
		{ "exclude", required_argument, NULL, OPT_EXCLUDE },
		{ "one-file-system", no_argument, NULL, OPT_ONE_FS },
		{ "lock-wait", required_argument, NULL, OPT_LOCK_WAIT },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int r = cli_common_option(o, opt, optarg, help), bad = 0;

		if (r == 1)
			continue;
		if (r != 0)
			return CAIRN_EXIT_USAGE;
		switch (opt) {
		case OPT_TAG: bad = strlist_add(&q->tags, optarg); break;
		case OPT_EXCLUDE: bad = strlist_add(&q->excludes, optarg); break;
		case OPT_SET: bad = strlist_add(&q->sets, optarg); break;
		case OPT_TO: bad = strlist_add(&q->to, optarg); break;
		case OPT_HOST: q->host = optarg; break;
		case OPT_NO_FILES_CACHE: q->no_files_cache = 1; break;
		case OPT_REPLICATE: q->replicate = 1; break;
		case OPT_ONE_FS: q->one_file_system = 1; break;
		case OPT_LOCK_WAIT:
			if (cairn_duration_parse(optarg, &q->lock_wait_ns) < 0 || q->lock_wait_ns < 0) {
				cli_error(o->ctx, "--lock-wait: '%s' is not a duration (e.g. 30s, 10m)", optarg);
				return CAIRN_EXIT_USAGE;
			}
			break;
		default: return CAIRN_EXIT_USAGE;
		}
		if (bad)
			return CAIRN_EXIT_ERROR;
	}
	if (*help)
		return 0;
	if (optind < argc && q->sets.n > 0) {
		cli_error(o->ctx, "give paths or --set, not both");
		return CAIRN_EXIT_USAGE;
	}
	if (q->to.n > 0 && !q->replicate) {
		cli_error(o->ctx, "--to needs --replicate");
		return CAIRN_EXIT_USAGE;
	}
	return 0;
}

int cmd_backup(struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_repo_opts o = { .ctx = ctx };
	struct backup_request q = { 0 };
	struct backup_outcome *outs = NULL;
	const struct cairn_backup_set **sets = NULL;
	struct cairn_repo *repo = NULL;
	struct replicate_target *targets = NULL;
	size_t nsets = 0, nouts = 0, ntargets = 0;
	int help = 0, code, paths;

	q.lock_wait_ns = -1;
	code = parse_args(argc, argv, &o, &q, &help);
	if (code == CAIRN_EXIT_USAGE)
		fputs(usage, stderr);
	if (code != 0 || help) {
		if (help)
			fputs(usage, stdout);
		goto out;
	}
	paths = optind < argc;
	code = cli_repo_opts_env(&o);
	if (code == 0 && !paths)
		code = choose_sets(&o, &q, &sets, &nsets);
	if (code != 0)
		goto out;
	if (paths)
		job_report_begin(ctx->report, &o, "backup");
	else if (nsets == 1)
		job_report_begin(ctx->report, &o, "backup:%s", sets[0]->name);
	else
		job_report_begin(ctx->report, &o, "backup");
	o.no_sync = 1; /* the backup synchronises the catalog under its lock */
	if (q.replicate)
		code = replicate_targets(&o, q.to.v, q.to.n, &targets, &ntargets);
	if (code == 0)
		code = cli_open_repo(&o, &repo);
	if (code != 0)
		goto out;
	outs = calloc(paths ? 1 : nsets, sizeof(*outs));
	if (outs == NULL) {
		code = CAIRN_EXIT_ERROR;
		goto out;
	}
	if (paths) {
		take_snapshot(repo, &o, &q, NULL, (const char *const *)(argv + optind), (size_t)(argc - optind), &outs[0]);
		nouts = 1;
	} else {
		for (; nouts < nsets; nouts++)
			back_up_set(repo, &o, &q, sets[nouts], &outs[nouts]);
	}
	code = combined_code(outs, nouts);
	report_counters(ctx->report, outs, nouts, repo);
	store_stats_print(&o, repo);
	if (q.replicate && (paths ? outs[0].have_snap : 1)) {
		/* the snapshots are safe on the primary: replication can only add */
		struct replicate_job job = { .o = &o };
		json_t *sites = o.json ? json_array() : NULL;
		int rep_code = replicate_sites(repo, &job, targets, ntargets, sites);
		json_t *rep = sites ? json_pack("{s:O}", "sites", sites) : NULL;

		if (o.json)
			print_json(outs, nouts, paths, repo, rep);
		json_decref(rep);
		json_decref(sites);
		/* a replication failure says more than a partial snapshot: the RPO of a site is at stake */
		if (rep_code != CAIRN_EXIT_OK && (code == CAIRN_EXIT_OK || code == CAIRN_EXIT_PARTIAL))
			code = rep_code;
	} else {
		if (o.json)
			print_json(outs, nouts, paths, repo, NULL);
		job_report_sites(ctx->report, repo, &o); /* the primary's newest snapshot, for the metrics */
	}
out:
	for (size_t i = 0; i < nouts; i++) {
		cairn_snapshot_clear(&outs[i].snap);
		json_decref(outs[i].warnings);
	}
	free(outs);
	free(sets);
	cairn_repo_close(repo);
	free(targets);
	cli_repo_opts_free(&o);
	request_free(&q);
	return code;
}
