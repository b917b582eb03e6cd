/* Listing snapshots (recovery points) for people and for scripts. */
#ifndef CAIRN_SNAPSHOT_PRINT_H
#define CAIRN_SNAPSHOT_PRINT_H

#include <jansson.h>
#include <stdint.h>

#include "cairn/snapshot.h"

struct cli_ctx;

/* A JSON object describing one snapshot (new reference). */
json_t *snapshot_json(const struct cairn_snapshot *s);
/* Print a table (oldest first) or a JSON array on stdout. */
void snapshot_print_list(const struct cairn_snapshot *snaps, size_t count, int json);

/* The point a restore at `at_ns` would use (NULL: none) and its loss window
 * (the requested time minus the point's time), for people, on stdout:
 *	requested time: 2026-11-26T12:00:00Z (2h ago)
 *	recovery point: snapshot 3f2a91c0, taken 2026-11-26T10:00:00Z on web-01: /etc /home
 *	loss window:    2h (7200.000 s)
 * `requested` is the text given. */
void point_choice_print(const struct cairn_snapshot *snap, const char *requested, int64_t at_ns);
/* The same as JSON: {"requested", "requested_time", "requested_time_ns", "point" (snapshot_json or
 * null), "loss_window_ns", "loss_window_seconds" (null without a point)} (new reference). */
json_t *point_choice_json(const struct cairn_snapshot *snap, const char *requested, int64_t at_ns);

/* The error of a restore at `at_ns` without a point: "no recovery point at
 * or before T: the first one is snapshot X, taken T1" (or "there is no
 * snapshot"), with " (notes)" when notes is not empty. */
void point_none_error(const struct cli_ctx *ctx, struct cairn_repo *repo, int64_t at_ns, const char *notes);

/* The whole "list snapshots" command (cairn-agent snapshots, cairn-restore
 * points): common options, open, list, print. Returns an exit code. */
int snapshot_list_command(struct cli_ctx *ctx, int argc, char **argv, const char *usage);

#endif
