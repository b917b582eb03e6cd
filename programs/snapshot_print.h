/* Listing snapshots (recovery points) for people and for scripts. */
#ifndef CAIRN_SNAPSHOT_PRINT_H
#define CAIRN_SNAPSHOT_PRINT_H

#include <jansson.h>

#include "cairn/snapshot.h"

/* A JSON object describing one snapshot (new reference). */
json_t *snapshot_json(const struct cairn_snapshot *s);
/* Print a table (oldest first) or a JSON array on stdout. */
void snapshot_print_list(const struct cairn_snapshot *snaps, size_t count, int json);

/* The whole "list snapshots" command (cairn-agent snapshots, cairn-restore
 * points): common options, open, list, print. Returns an exit code. */
int snapshot_list_command(int argc, char **argv, const char *usage);

#endif
