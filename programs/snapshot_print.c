/* Listing snapshots (recovery points) for people and for scripts. */
#include "snapshot_print.h"

#include "cli.h"
#include "cli_args.h"

#include "cairn/timeutil.h"

#include <stdio.h>
#include <stdlib.h>

static json_t *string_array(char *const *items, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_string(items[i]));
	return a;
}

json_t *snapshot_json(const struct cairn_snapshot *s)
{
	char when[CAIRN_TIME_STR], tree[CAIRN_ID_HEX];

	cairn_time_format(s->time_ns, 1, when);
	cairn_hex_encode(s->tree, CAIRN_ID_BYTES, tree);
	return json_pack("{s:s, s:s, s:I, s:s, s:s, s:o, s:o, s:s, s:o, s:b, s:{s:I, s:I, s:I, s:I, s:I}}", "id", s->id,
			 "time", when, "time_ns", (json_int_t)s->time_ns, "host", s->host ? s->host : "", "user",
			 s->user ? s->user : "", "paths", string_array(s->paths, s->npaths), "tags",
			 string_array(s->tags, s->ntags), "tree", tree, "parent",
			 s->parent[0] ? json_string(s->parent) : json_null(), "partial", s->partial, "stats", "files",
			 (json_int_t)s->stats.files, "dirs", (json_int_t)s->stats.dirs, "bytes",
			 (json_int_t)s->stats.bytes, "bytes_added", (json_int_t)s->stats.bytes_added, "errors",
			 (json_int_t)s->stats.errors);
}

void snapshot_print_list(const struct cairn_snapshot *snaps, size_t count, int json)
{
	if (json) {
		json_t *a = json_array();
		char *text;

		for (size_t i = 0; a != NULL && i < count; i++)
			json_array_append_new(a, snapshot_json(&snaps[i]));
		text = a ? json_dumps(a, JSON_COMPACT) : NULL;
		if (text != NULL)
			puts(text);
		free(text);
		json_decref(a);
		return;
	}
	if (count == 0) {
		printf("no snapshots\n");
		return;
	}
	printf("%-8s  %-20s  %-16s  %10s  %8s  %s\n", "ID", "TIME (UTC)", "HOST", "SIZE", "FILES", "PATHS");
	for (size_t i = 0; i < count; i++) {
		const struct cairn_snapshot *s = &snaps[i];
		char when[CAIRN_TIME_STR], size[32];

		cairn_time_format(s->time_ns, 0, when);
		cli_format_bytes(s->stats.bytes, size, sizeof(size));
		printf("%.8s  %-20s  %-16.16s  %10s  %8llu  ", s->id, when, s->host ? s->host : "", size,
		       (unsigned long long)s->stats.files);
		for (size_t k = 0; k < s->npaths; k++)
			printf("%s%s", k ? " " : "", s->paths[k]);
		for (size_t k = 0; k < s->ntags; k++)
			printf("%s#%s", k ? "," : "  ", s->tags[k]);
		if (s->partial)
			printf("  (partial)");
		putchar('\n');
	}
}

void point_choice_print(const struct cairn_snapshot *snap, const char *requested, int64_t at_ns)
{
	char asked[CAIRN_TIME_STR], when[CAIRN_TIME_STR], window[48];

	cairn_time_format(at_ns, 0, asked);
	printf("requested time: %s (%s)\n", asked, requested);
	if (snap == NULL) {
		printf("recovery point: none at or before the requested time\n");
		return;
	}
	cairn_time_format(snap->time_ns, 0, when);
	printf("recovery point: snapshot %.8s, taken %s on %s:", snap->id, when, snap->host ? snap->host : "");
	for (size_t k = 0; k < snap->npaths; k++)
		printf(" %s", snap->paths[k]);
	printf("%s\n", snap->partial ? " (partial)" : "");
	cairn_duration_format(at_ns - snap->time_ns, window, sizeof(window));
	printf("loss window:    %s (%.3f s)\n", window, (double)(at_ns - snap->time_ns) / 1e9);
}

json_t *point_choice_json(const struct cairn_snapshot *snap, const char *requested, int64_t at_ns)
{
	char asked[CAIRN_TIME_STR];

	cairn_time_format(at_ns, 1, asked);
	return json_pack("{s:s, s:s, s:I, s:o, s:o, s:o}", "requested", requested, "requested_time", asked,
			 "requested_time_ns", (json_int_t)at_ns, "point", snap ? snapshot_json(snap) : json_null(),
			 "loss_window_ns", snap ? json_integer(at_ns - snap->time_ns) : json_null(),
			 "loss_window_seconds", snap ? json_real((double)(at_ns - snap->time_ns) / 1e9) : json_null());
}

void point_none_error(const struct cli_ctx *ctx, struct cairn_repo *repo, int64_t at_ns, const char *notes)
{
	struct cairn_snapshot *snaps = NULL;
	char asked[CAIRN_TIME_STR], first[CAIRN_TIME_STR];
	const char *open = notes[0] ? " (" : "", *close = notes[0] ? ")" : "";
	size_t count = 0;

	cairn_time_format(at_ns, 0, asked);
	if (cairn_snapshot_list(repo, &snaps, &count) == 0 && count > 0) {
		cairn_time_format(snaps[0].time_ns, 0, first);
		cli_error(ctx, "no recovery point at or before %s: the first one is snapshot %.8s, taken %s%s%s%s",
			  asked, snaps[0].id, first, open, notes, close);
	} else {
		cli_error(ctx, "no recovery point at or before %s: there is no snapshot%s%s%s", asked, open, notes,
			  close);
	}
	cairn_snapshots_free(snaps, count);
}

int snapshot_list_command(struct cli_ctx *ctx, int argc, char **argv, const char *usage)
{
	static const struct option longopts[] = { CLI_COMMON_LONG_OPTIONS, CLI_FROM_LONG_OPTION, { NULL, 0, NULL, 0 } };
	struct cli_repo_opts o = { .ctx = ctx };
	struct cairn_repo *repo = NULL;
	struct cairn_snapshot *snaps = NULL;
	size_t count = 0;
	int opt, help = 0, code, rc;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		if (cli_common_option(&o, opt, optarg, &help) != 1) {
			fputs(usage, stderr);
			return CAIRN_EXIT_USAGE;
		}
	if (help) {
		fputs(usage, stdout);
		return CAIRN_EXIT_OK;
	}
	if (optind != argc) {
		cli_error(ctx, "unexpected argument '%s'", argv[optind]);
		return CAIRN_EXIT_USAGE;
	}
	code = cli_repo_opts_env(&o);
	if (code == 0)
		code = cli_open_repo(&o, &repo);
	if (code != 0) {
		cli_repo_opts_free(&o);
		return code;
	}
	rc = cairn_snapshot_list(repo, &snaps, &count);
	if (rc < 0) {
		code = cli_fail(ctx, rc, "cannot list snapshots");
	} else {
		snapshot_print_list(snaps, count, o.json);
		code = CAIRN_EXIT_OK;
	}
	cairn_snapshots_free(snaps, count);
	cairn_repo_close(repo);
	cli_repo_opts_free(&o);
	return code;
}
