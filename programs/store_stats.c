/* Transfer counters of a repository's store, for people and for scripts. */
#include "store_stats.h"

#include "cairn/store.h"

#include <inttypes.h>
#include <stdio.h>

json_t *store_stats_json(struct cairn_repo *repo)
{
	struct cairn_store_stats st;

	cairn_store_stats_get(cairn_repo_store(repo), &st);
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "requests", (json_int_t)st.requests,
			 "retries", (json_int_t)st.retries, "attempts", (json_int_t)st.attempts, "operations",
			 (json_int_t)st.operations, "failures", (json_int_t)st.failures, "bytes_up",
			 (json_int_t)st.bytes_up, "bytes_down", (json_int_t)st.bytes_down, "http_bytes_sent",
			 (json_int_t)st.http_bytes_sent, "http_bytes_received", (json_int_t)st.http_bytes_received);
}

void store_stats_print(const struct cli_repo_opts *o, struct cairn_repo *repo)
{
	struct cairn_store_stats st;
	char up[32], down[32];

	if (o->json || o->quiet)
		return;
	cairn_store_stats_get(cairn_repo_store(repo), &st);
	if (!st.wire || st.requests == 0)
		return; /* not a remote store, or nothing sent */
	cli_format_bytes(st.bytes_up, up, sizeof(up));
	cli_format_bytes(st.bytes_down, down, sizeof(down));
	printf("store: %" PRIu64 " request%s, %" PRIu64 " retr%s, %s up, %s down\n", st.requests,
	       st.requests == 1 ? "" : "s", st.retries, st.retries == 1 ? "y" : "ies", up, down);
}
