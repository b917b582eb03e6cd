/* cairn-agent check: verify the repository's structure, and all or a random share of its data. */
#include "event_out.h"
#include "agent.h"

#include "cli_args.h"
#include "job_report.h"
#include "store_stats.h"

#include "cairn/check.h"
#include "cairn/err.h"
#include "cairn/s3.h"
#include "cairn/timeutil.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: cairn-agent check [--read-data[=PERCENT]] [--seed N] [--site NAME|URL] [--json] [OPTIONS]\n"
	"\n"
	"Verifies the repository's structure: every index object and snapshot object\n"
	"is read and authenticated, every tree of every snapshot is walked, every blob\n"
	"the trees use must be listed by an index object, and every pack the index\n"
	"lists must be there and large enough. Packs no index object lists (orphans,\n"
	"left by an interrupted backup) are counted, not errors: the next backup\n"
	"indexes them again.\n"
	"\n"
	"With --read-data, the packs themselves are read, whole and once: each one's\n"
	"SHA-256 is compared with its name, its header with the index, and every blob\n"
	"in it is decrypted, decompressed and its id recomputed.\n"
	"\n"
	"Each problem names the damaged or missing object and the snapshots and file\n"
	"paths that use it (on stderr, and in the \"problems\" of --json). The check\n"
	"reads the repository only: it writes and deletes nothing there, and takes no\n"
	"lock (a prune running at the same time can make objects look missing).\n"
	"\n"
	"  --read-data[=PERCENT]  also read the data: every pack, or a random PERCENT\n"
	"                         of them (e.g. 10 or 2.5%); at least one pack\n"
	"  --seed N               seed choosing the packs of --read-data=PERCENT\n"
	"                         (default random, printed, so that a run can be repeated)\n"
	"  --site NAME|URL        check a replica (a configured site's name or a URL)\n"
	"                         instead of the repository (default: primary)\n"
	"\n" CLI_COMMON_OPTIONS_HELP "\n" CAIRN_EXIT_CODES_HELP;

enum { OPT_READ_DATA = CLI_OPT_COMMAND_BASE, OPT_SEED, OPT_SITE };

struct check_ui {
	const struct cli_repo_opts *o;
	struct cli_progress progress;
	json_t *problems; /* --json */
};

/* `in` with control characters and bytes that are not UTF-8 written as
 * \xNN, so that a hostile name can neither drive the terminal nor break
 * the JSON. */
static void printable(const char *in, char *out, size_t len)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0;

	while (*p != '\0' && o + 5 < len) {
		size_t n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
		size_t k = 1;

		while (k < n && (p[k] & 0xc0) == 0x80)
			k++;
		if (n == 1 && *p >= 0x20 && *p != 0x7f) {
			out[o++] = (char)*p++;
		} else if (n > 1 && k == n && !(n == 2 && *p < 0xc2) && o + n < len) {
			memcpy(out + o, p, n);
			o += n;
			p += n;
		} else {
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", *p++);
		}
	}
	out[o] = '\0';
}

static void on_progress(void *ctx, const struct cairn_check_stats *st, const char *phase)
{
	struct check_ui *ui = ctx;
	char bytes[32];
	double secs = (double)st->duration_ns / 1e9;

	cli_format_bytes(st->bytes_read, bytes, sizeof(bytes));
	if (strcmp(phase, "data") == 0)
		cli_progress_line(&ui->progress, "[%4.0fs] data: %" PRIu64 "/%" PRIu64 " packs, %s read", secs,
				  st->packs_read, st->packs_to_read, bytes);
	else if (strcmp(phase, "trees") == 0)
		cli_progress_line(&ui->progress, "[%4.0fs] trees: %" PRIu64 " trees, %" PRIu64 " files, %" PRIu64 " blobs",
				  secs, st->trees, st->files, st->blobs);
	else
		cli_progress_line(&ui->progress, "[%4.0fs] %s: %" PRIu64 " index objects, %" PRIu64 " packs, %" PRIu64
				  " snapshots", secs, phase, st->index_objects, st->packs, st->snapshots);
}

static json_t *affected_json(const struct cairn_check_affected *a)
{
	char when[CAIRN_TIME_STR], path[4096];

	cairn_time_format(a->time_ns, 0, when);
	printable(a->path, path, sizeof(path));
	return json_pack("{s:s, s:s, s:s, s:b}", "snapshot", a->snapshot, "time", when, "path", path, "directory",
			 a->directory);
}

static void on_problem(void *ctx, const struct cairn_check_problem *p)
{
	struct check_ui *ui = ctx;
	const char *kind = cairn_event_class(p->event.code) == CAIRN_EVENT_CLASS_MISSING ? "missing" : "damaged";
	char msg[2400];

	cli_progress_done(&ui->progress);
	printable(p->event.message, msg, sizeof(msg));
	cli_error(ui->o->ctx, "%s: %s: %s", p->event.object_name, kind, msg);
	if (p->uses > 0)
		fprintf(stderr, "  used by %" PRIu64 " path%s in %" PRIu64 " snapshot%s%s\n", p->uses,
			p->uses == 1 ? "" : "s", p->snapshots, p->snapshots == 1 ? "" : "s",
			p->naffected < p->uses ? ", among them:" : ":");
	for (size_t i = 0; i < p->naffected; i++) {
		char when[CAIRN_TIME_STR], path[4096];

		cairn_time_format(p->affected[i].time_ns, 0, when);
		printable(p->affected[i].path, path, sizeof(path));
		fprintf(stderr, "    %.8s %s %s%s\n", p->affected[i].snapshot, when, path,
			p->affected[i].directory ? " (directory: everything below it)" : "");
	}
	if (ui->problems != NULL) {
		json_t *list = json_array();

		for (size_t i = 0; list != NULL && i < p->naffected; i++)
			json_array_append_new(list, affected_json(&p->affected[i]));
		json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:o*}", "object", p->event.object_name, "kind", kind,
				      "message", msg, "uses", (json_int_t)p->uses, "snapshots", (json_int_t)p->snapshots,
				      "affected", list);

		event_json_fields(j, &p->event);
		json_array_append_new(ui->problems, j);
	}
}

/* --read-data[=PERCENT]: 100 without a value; "10", "2.5%". */
static int parse_percent(const struct cli_ctx *ctx, const char *arg, double *ret)
{
	char *end;
	double v;

	if (arg == NULL) {
		*ret = 100;
		return 0;
	}
	errno = 0;
	v = strtod(arg, &end);
	if (end != arg && *end == '%')
		end++;
	if (errno != 0 || end == arg || *end != '\0' || !(v > 0 && v <= 100)) {
		cli_error(ctx, "--read-data takes a percentage above 0 and at most 100 (e.g. 10 or 2.5%%), not '%s'",
			  arg);
		return CAIRN_EXIT_USAGE;
	}
	*ret = v;
	return 0;
}

static int parse_seed(const struct cli_ctx *ctx, const char *arg, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-' || v > INT64_MAX) {
		cli_error(ctx, "--seed takes a number from 0 to %" PRId64 ", not '%s'", INT64_MAX, arg);
		return CAIRN_EXIT_USAGE;
	}
	*ret = v;
	return 0;
}

/* --site: a configured site by name, or a URL (with a configured site's
 * settings when it is that site's url). */
static int resolve_site(struct cli_repo_opts *o, const char *value, const char **ret_name)
{
	const struct cairn_site_config *site = NULL;
	char names[512];

	if (cli_site_lookup(o, value, &site)) {
		if (site == NULL) {
			cli_replica_names(o, names, sizeof(names));
			cli_error(o->ctx, "--site '%s' is neither a configured site (primary; replicas: %s) nor a URL",
				  value, names);
			return CAIRN_EXIT_USAGE;
		}
		o->repo = site->url;
		o->repo_site = site;
		*ret_name = site->name;
		return 0;
	}
	o->repo = value;
	o->repo_site = NULL;
	*ret_name = value;
	for (size_t i = 0; o->cfg != NULL && i <= o->cfg->nreplicas; i++) {
		const struct cairn_site_config *s = i == 0 ? &o->cfg->primary : &o->cfg->replicas[i - 1];

		if (s->url != NULL && strcmp(s->url, value) == 0) {
			o->repo_site = s;
			*ret_name = s->name;
		}
	}
	return 0;
}

static void print_summary(struct cairn_repo *repo, const struct cli_repo_opts *o, const char *site,
			  const struct cairn_check_stats *st, double percent)
{
	char packs[32], bytes[32], took[32];

	if (o->quiet)
		return;
	cli_format_bytes(st->pack_bytes, packs, sizeof(packs));
	cli_format_bytes(st->bytes_read, bytes, sizeof(bytes));
	cairn_duration_format(st->duration_ns, took, sizeof(took));
	printf("checked %s (%s)\n", site, o->repo);
	printf("  %" PRIu64 " index object%s, %" PRIu64 " snapshot%s, %" PRIu64 " tree%s, %" PRIu64 " file%s, %" PRIu64
	       " data blob%s\n",
	       st->index_objects, st->index_objects == 1 ? "" : "s", st->snapshots, st->snapshots == 1 ? "" : "s",
	       st->trees, st->trees == 1 ? "" : "s", st->files, st->files == 1 ? "" : "s", st->blobs,
	       st->blobs == 1 ? "" : "s");
	printf("  %" PRIu64 " pack%s, %s", st->packs, st->packs == 1 ? "" : "s", packs);
	if (st->orphan_packs > 0)
		printf(" (%" PRIu64 " not indexed yet: the next backup indexes them)", st->orphan_packs);
	putchar('\n');
	if (percent > 0)
		printf("  data: read %" PRIu64 " of %" PRIu64 " packs (%g%%, seed %" PRIu64 "), %" PRIu64
		       " blobs verified\n",
		       st->packs_read, st->packs, percent, st->seed, st->blobs_read);
	else
		printf("  data: not read (use --read-data to verify the packs' content)\n");
	printf("  %s read in %s\n", bytes, took);
	if (st->problems == 0)
		printf("no problems found\n");
	else
		printf("%" PRIu64 " problem%s found (listed on stderr): restore what they name from another "
		       "snapshot or copy\n", st->problems, st->problems == 1 ? "" : "s");
	store_stats_print(o, repo);
}

static json_t *stats_json(const struct cairn_check_stats *st)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f}", "index_objects",
			 (json_int_t)st->index_objects, "index_entries", (json_int_t)st->index_entries, "snapshots",
			 (json_int_t)st->snapshots, "trees", (json_int_t)st->trees, "files", (json_int_t)st->files,
			 "blobs", (json_int_t)st->blobs, "packs", (json_int_t)st->packs, "pack_bytes",
			 (json_int_t)st->pack_bytes, "orphan_packs", (json_int_t)st->orphan_packs, "packs_read",
			 (json_int_t)st->packs_read, "blobs_read", (json_int_t)st->blobs_read, "bytes_read",
			 (json_int_t)st->bytes_read, "problems", (json_int_t)st->problems, "duration_seconds",
			 (double)st->duration_ns / 1e9);
}

static void print_json(struct cairn_repo *repo, const struct cli_repo_opts *o, const char *site,
		       const struct cairn_check_stats *st, double percent, json_t *problems)
{
	json_t *read = percent > 0 ? json_pack("{s:f, s:I, s:I}", "percent", percent, "seed", (json_int_t)st->seed,
					       "packs", (json_int_t)st->packs_read)
				   : json_null();
	json_t *doc = json_pack("{s:s, s:s, s:b, s:o, s:o, s:O, s:o}", "site", site, "url", o->repo, "ok",
				st->problems == 0, "stats", stats_json(st), "read_data", read, "problems", problems,
				"store", store_stats_json(repo));
	char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;

	if (text != NULL)
		puts(text);
	else
		cli_error(o->ctx, "cannot write the JSON summary: out of memory");
	free(text);
	json_decref(doc);
}

static int run_check(struct cairn_repo *repo, const struct cli_repo_opts *o, const char *site, double percent,
		     int has_seed, uint64_t seed)
{
	struct cairn_check_opts co = { 0 };
	struct cairn_check_stats st;
	struct cairn_store_stats ss;
	struct check_ui ui = { 0 };
	int rc;

	ui.o = o;
	cli_progress_init(&ui.progress, o);
	ui.problems = o->json ? json_array() : NULL;
	co.read_data_percent = percent;
	co.has_seed = has_seed;
	co.seed = seed;
	co.threads = o->threads;
	co.on_progress = on_progress;
	co.on_problem = on_problem;
	co.ctx = &ui;
	rc = cairn_check_run(repo, &co, &st);
	cli_progress_done(&ui.progress);
	cairn_store_stats_get(cairn_repo_store(repo), &ss);
	job_report_count(o->ctx->report, JOB_ERRORS, (int64_t)st.problems);
	job_report_count(o->ctx->report, JOB_BYTES_READ, (int64_t)st.bytes_read);
	job_report_count(o->ctx->report, JOB_REQUESTS, (int64_t)ss.requests);
	job_report_count(o->ctx->report, JOB_FILES, (int64_t)st.files);
	if (rc == 0 || rc == CAIRN_ECORRUPT) {
		if (o->json)
			print_json(repo, o, site, &st, percent, ui.problems);
		else
			print_summary(repo, o, site, &st, percent);
	}
	json_decref(ui.problems);
	if (rc == CAIRN_ECORRUPT)
		return CAIRN_EXIT_DAMAGED;
	return rc < 0 ? cli_fail(o->ctx, rc, "check failed") : CAIRN_EXIT_OK;
}

int cmd_check(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG_OPTIONS,
		{ "read-data", optional_argument, NULL, OPT_READ_DATA },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "site", required_argument, NULL, OPT_SITE },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_repo_opts o = { .ctx = ctx };
	struct cairn_repo *repo = NULL;
	const char *site_arg = NULL, *site = "primary";
	double percent = 0;
	uint64_t seed = 0;
	int opt, help = 0, has_seed = 0, code = 0;

	while (code == 0 && (opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int r = cli_common_option(&o, opt, optarg, &help);

		if (r == 1)
			continue;
		if (r == 0 && opt == OPT_READ_DATA) {
			code = parse_percent(ctx, optarg, &percent);
		} else if (r == 0 && opt == OPT_SEED) {
			code = parse_seed(ctx, optarg, &seed);
			has_seed = 1;
		} else if (r == 0 && opt == OPT_SITE) {
			site_arg = optarg;
		} else {
			fputs(usage, stderr);
			return CAIRN_EXIT_USAGE;
		}
	}
	if (code != 0)
		return code;
	if (help || optind < argc) {
		if (!help)
			cli_error(ctx, "unexpected argument '%s'", argv[optind]);
		fputs(usage, help ? stdout : stderr);
		return help ? CAIRN_EXIT_OK : CAIRN_EXIT_USAGE;
	}
	if (has_seed && percent == 0) {
		cli_error(ctx, "--seed chooses the packs of --read-data=PERCENT; give --read-data too");
		return CAIRN_EXIT_USAGE;
	}
	code = cli_repo_opts_env(&o);
	if (code == 0 && site_arg != NULL)
		code = resolve_site(&o, site_arg, &site);
	if (code == 0) {
		if (o.repo_site != NULL && o.repo_site->is_replica)
			job_report_begin(ctx->report, &o, "check:%s", o.repo_site->name);
		else
			job_report_begin(ctx->report, &o, "check");
		/* the check reads every index and snapshot object itself and does not
		 * use the catalog: synchronising it first would read them twice */
		o.no_sync = 1;
		code = cli_open_repo(&o, &repo);
	}
	if (code == 0)
		code = run_check(repo, &o, site, percent, has_seed, seed);
	cairn_repo_close(repo);
	cli_repo_opts_free(&o);
	return code;
}
