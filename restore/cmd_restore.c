/* cairn-restore restore: recover a point in time into a directory. */
#include "event_out.h"
#include "restore_cmds.h"

#include "cli_args.h"
#include "site_select.h"
#include "snapshot_print.h"
#include "store_stats.h"

#include "cairn/drill.h"
#include "cairn/err.h"
#include "cairn/restore.h"
#include "cairn/timeutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: cairn-restore restore (--at TIME | --snapshot ID) --target DIR [OPTIONS]\n"
	"\n"
	"Restores the newest snapshot taken at or before TIME (or the given snapshot)\n"
	"and reports the data-loss window: TIME minus the time of that snapshot.\n"
	"\n"
	"  --at TIME            RFC 3339 (2026-11-26T12:00:00Z), local time without a zone\n"
	"                       (2026-11-26 12:00), 'latest', or relative (2h ago, -30m)\n"
	"  --snapshot ID        a snapshot id or unique prefix (see 'points')\n"
	"  --target DIR         where to restore; created if missing, must be empty\n"
	"                       unless --overwrite\n"
	"  --include PATTERN    restore only paths matching the glob (repeatable); the\n"
	"                       path in the snapshot starts with '/', e.g. /home/u/docs\n"
	"  --rpo DURATION       refuse (exit 7, restoring nothing) when the data-loss\n"
	"                       window exceeds DURATION (e.g. 15m, 1h, 1d)\n"
	"  --overwrite          replace existing entries in the target\n"
	"  --from NAME|URL      restore from this location, e.g. a replica in another\n"
	"                       region: a replica's name in the configuration file (its\n"
	"                       endpoint, region and credentials are used), or a URL with\n"
	"                       the S3 settings from the flags and AWS variables (the same\n"
	"                       as --repo)\n"
	"\n"
	"Without --from (nor --repo or CAIRN_REPO), when the configuration names\n"
	"replicas, every site is probed (its config object read, 5 s at most) and the\n"
	"restore reads the nearest healthy site that holds the point (the primary's\n"
	"point while the primary is up; the primary wins a tie within 20 ms); stderr\n"
	"says which site, and why the others were passed over (--json: \"site\").\n"
	"\n" CLI_COMMON_OPTIONS_HELP;

enum { OPT_AT = CLI_OPT_COMMAND_BASE, OPT_SNAPSHOT, OPT_TARGET, OPT_INCLUDE, OPT_RPO, OPT_OVERWRITE };

struct restore_ui {
	struct cli_progress progress;
	const struct cli_repo_opts *o;
	json_t *problems;
};

static void on_progress(void *ctx, const struct cairn_restore_stats *st, const char *current)
{
	struct restore_ui *ui = ctx;
	char bytes[32];
	double secs = (double)st->duration_ns / 1e9;

	cli_format_bytes(st->bytes, bytes, sizeof(bytes));
	cli_progress_line(&ui->progress, "[%4.0fs] %llu files, %s (%.1f MiB/s)%s%s", secs,
			  (unsigned long long)st->files, bytes, secs > 0 ? (double)st->bytes / 1048576.0 / secs : 0.0,
			  current ? "  " : "", current ? current : "");
}

static void on_problem(void *ctx, const struct cairn_event *ev)
{
	struct restore_ui *ui = ctx;
	int damaged = cairn_event_class(ev->code) != CAIRN_EVENT_CLASS_LOCAL;
	json_t *p;

	cli_progress_done(&ui->progress);
	event_print_restore_problem(ui->o->ctx, ev);
	if (ui->problems == NULL)
		return;
	p = json_pack("{s:s, s:s, s:s?, s:s}", "kind", damaged ? "damaged" : "error", "path", ev->path, "object",
		      ev->object_name, "message", ev->message);
	event_json_fields(p, ev);
	json_array_append_new(ui->problems, p);
}

int cmd_restore(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG_OPTIONS,
		CLI_FROM_LONG_OPTION,
		{ "at", required_argument, NULL, OPT_AT },
		{ "snapshot", required_argument, NULL, OPT_SNAPSHOT },
		{ "target", required_argument, NULL, OPT_TARGET },
		{ "include", required_argument, NULL, OPT_INCLUDE },
		{ "rpo", required_argument, NULL, OPT_RPO },
		{ "overwrite", no_argument, NULL, OPT_OVERWRITE },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_repo_opts o = { .ctx = ctx };
	struct cairn_restore_opts ro = { 0 };
	struct cairn_restore_stats st = { 0 };
	struct restore_ui ui = { 0 };
	struct cairn_snapshot snap = { 0 };
	struct site_choice ch = { 0 };
	struct cairn_site_query q = { NULL, 0 };
	struct cairn_drill_rpo judged;
	struct cairn_repo *repo = NULL;
	const char *at = NULL, *snapshot = NULL, *rpo_text = NULL;
	const char **includes;
	int64_t now = cairn_time_now_ns(), at_ns = 0, rpo_ns = -1, window_ns;
	char when[CAIRN_TIME_STR], asked[CAIRN_TIME_STR], window[32];
	int opt, help = 0, code, rc, rpo_met = 1, found = 0, unnamed;

	includes = calloc((size_t)argc, sizeof(*includes));
	if (includes == NULL)
		return CAIRN_EXIT_ERROR;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int r = cli_common_option(&o, opt, optarg, &help);

		if (r == 1)
			continue;
		if (r == 0 && opt == OPT_AT)
			at = optarg;
		else if (r == 0 && opt == OPT_SNAPSHOT)
			snapshot = optarg;
		else if (r == 0 && opt == OPT_TARGET)
			ro.target = optarg;
		else if (r == 0 && opt == OPT_INCLUDE)
			includes[ro.nincludes++] = optarg;
		else if (r == 0 && opt == OPT_RPO)
			rpo_text = optarg;
		else if (r == 0 && opt == OPT_OVERWRITE)
			ro.overwrite = 1;
		else {
			fputs(usage, stderr);
			code = CAIRN_EXIT_USAGE;
			goto out;
		}
	}
	code = CAIRN_EXIT_USAGE;
	if (help) {
		fputs(usage, stdout);
		code = CAIRN_EXIT_OK;
		goto out;
	}
	if (optind != argc) {
		cli_error(ctx, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if ((at == NULL) == (snapshot == NULL)) {
		cli_error(ctx, "give exactly one of --at TIME or --snapshot ID");
		goto out;
	}
	if (ro.target == NULL) {
		cli_error(ctx, "no target given: use --target DIR");
		goto out;
	}
	if (at != NULL && cairn_time_parse(at, now, &at_ns) < 0) {
		cli_error(ctx, "--at: %s", cairn_err_msg());
		goto out;
	}
	if (rpo_text != NULL && cairn_duration_parse(rpo_text, &rpo_ns) < 0) {
		cli_error(ctx, "--rpo: %s", cairn_err_msg());
		goto out;
	}
	unnamed = site_select_unnamed(&o);
	code = cli_repo_opts_env(&o);
	if (code != 0)
		goto out;
	q.snapshot = snapshot;
	q.at_ns = at_ns;
	code = site_select_open(&o, unnamed, &q, &ch, &repo, &snap, &found);
	if (code != 0)
		goto out;
	if (!found) {
		char notes[3072];

		site_choice_notes(&ch, 1, notes, sizeof(notes));
		if (snapshot != NULL)
			cli_error(ctx, "no recovery point: no snapshot '%s'%s%s%s", snapshot, notes[0] ? " (" : "",
				  notes, notes[0] ? ")" : "");
		else
			point_none_error(ctx, repo, at_ns, notes);
		code = CAIRN_EXIT_NO_POINT;
		goto out;
	}
	site_choice_print(&o, &ch, "restoring from");
	/* the data-loss window: what the chosen point misses of the requested time */
	if (at == NULL)
		at_ns = now;
	cairn_drill_rpo_judge(at_ns, snap.time_ns, rpo_ns, &judged);
	window_ns = judged.window_ns;
	cairn_time_format(snap.time_ns, 0, when);
	cairn_time_format(at_ns, 0, asked);
	cairn_duration_format(window_ns, window, sizeof(window));
	cli_info(&o, "recovery point: snapshot %.8s taken %s on %s", snap.id, when, snap.host);
	cli_info(&o, "requested time: %s%s; data-loss window: %s", asked, at == NULL ? " (now)" : "", window);
	if (!judged.met) {
		char rpo[32], over[32];

		cairn_duration_format(rpo_ns, rpo, sizeof(rpo));
		cairn_duration_format(judged.over_ns, over, sizeof(over));
		cli_error(ctx, "RPO not met: the data-loss window of %s exceeds the RPO of %s by %s; nothing "
			  "restored", window, rpo, over);
		rpo_met = 0;
		code = CAIRN_EXIT_RPO;
	} else {
		ro.includes = includes;
		ro.threads = o.threads;
		ro.on_progress = on_progress;
		ro.on_problem = on_problem;
		ro.ctx = &ui;
		ui.o = &o;
		ui.problems = o.json ? json_array() : NULL;
		cli_progress_init(&ui.progress, &o);
		rc = cairn_restore_run(repo, &snap, &ro, &st);
		cli_progress_done(&ui.progress);
		if (rc == 0) {
			code = CAIRN_EXIT_OK;
		} else if (rc == CAIRN_ECORRUPT) {
			cli_error(ctx, "%s", cairn_err_msg());
			code = CAIRN_EXIT_DAMAGED;
		} else if (rc == CAIRN_EIO && (st.errors > 0)) {
			cli_error(ctx, "%s", cairn_err_msg());
			code = CAIRN_EXIT_PARTIAL;
		} else {
			code = cli_fail(ctx, rc, "restore failed");
			if (rc == CAIRN_EEXIST || rc == CAIRN_ENOTFOUND)
				code = CAIRN_EXIT_USAGE;
			goto out;
		}
		if (!o.json && !o.quiet) {
			char bytes[32];
			double secs = (double)st.duration_ns / 1e9;

			cli_format_bytes(st.bytes, bytes, sizeof(bytes));
			printf("restored snapshot %.8s (%s) to %s: %llu files, %llu dirs, %llu other entries, %s in %.1fs "
			       "(%.1f MiB/s)\n",
			       snap.id, when, ro.target, (unsigned long long)st.files, (unsigned long long)st.dirs,
			       (unsigned long long)st.others, bytes, secs, secs > 0 ? (double)st.bytes / 1048576.0 / secs : 0);
			store_stats_print(&o, repo);
		}
	}
	if (o.json) {
		json_t *j = json_pack("{s:o, s:s, s:I, s:I, s:f, s:o?, s:b, s:s}", "point", snapshot_json(&snap),
				      "requested_time", asked, "requested_time_ns", (json_int_t)at_ns, "window_ns",
				      (json_int_t)window_ns, "window_seconds", (double)window_ns / 1e9, "rpo_seconds",
				      rpo_ns >= 0 ? json_real((double)rpo_ns / 1e9) : NULL, "rpo_met", rpo_met,
				      "target", ro.target);
		char *text;

		if (j != NULL && rpo_met) {
			json_object_set_new(j, "restored",
					    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f}", "files",
						      (json_int_t)st.files, "dirs", (json_int_t)st.dirs, "others",
						      (json_int_t)st.others, "bytes", (json_int_t)st.bytes, "errors",
						      (json_int_t)st.errors, "damaged_files", (json_int_t)st.damaged_files,
						      "damaged_objects", (json_int_t)st.damaged_objects, "seconds",
						      (double)st.duration_ns / 1e9, "first_byte_seconds",
						      st.first_byte_ns >= 0 ? (double)st.first_byte_ns / 1e9 : 0.0));
			json_object_set_new(j, "problems", ui.problems ? json_incref(ui.problems) : json_array());
		}
		json_object_set_new(j, "site", site_choice_json(&ch));
		json_object_set_new(j, "store", store_stats_json(repo));
		json_object_set_new(j, "exit_code", json_integer(code));
		text = j ? json_dumps(j, JSON_COMPACT) : NULL;
		if (text != NULL)
			puts(text);
		free(text);
		json_decref(j);
	}
out:
	json_decref(ui.problems);
	cairn_snapshot_clear(&snap);
	cairn_repo_close(repo);
	site_choice_free(&ch);
	cli_repo_opts_free(&o);
	free(includes);
	return code;
}
