/* Transfer counters of a repository's store, for the --json summaries and
 * the last line of the human output of backup and restore. */
#ifndef CAIRN_STORE_STATS_PRINT_H
#define CAIRN_STORE_STATS_PRINT_H

#include <jansson.h>

#include "cli.h"

/* A new JSON object with the counters of cairn_store_stats_get() for the
 * repository's store: requests, retries, attempts, operations, failures,
 * bytes_up, bytes_down, http_bytes_sent, http_bytes_received (all zero for
 * a local repository). NULL only when out of memory. */
json_t *store_stats_json(struct cairn_repo *repo);

/* Print "store: N requests, N retries, X up, Y down" on stdout for a
 * repository whose driver counts requests on the wire (S3) and sent some;
 * nothing for other stores, with --quiet or with --json. */
void store_stats_print(const struct cli_repo_opts *o, struct cairn_repo *repo);

#endif
