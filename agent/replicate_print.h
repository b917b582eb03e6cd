/* Running replication to a list of sites and reporting it, shared by
 * `replicate` and `backup --replicate`. */
#ifndef CAIRN_AGENT_REPLICATE_PRINT_H
#define CAIRN_AGENT_REPLICATE_PRINT_H

#include <jansson.h>

#include "cli.h"

#include "cairn/replicate.h"

struct replicate_job {
	const struct cli_repo_opts *o;
	int full;
	int transfers; /* 0 = default */
};

/* Replicate `repo` to each site (a URL; opened with the environment's S3
 * settings), one after the other; a failing site does not stop the
 * others. Prints a line per site; with --json appends an entry per site to
 * `json_sites`, or, when that is NULL, prints {"sites": [...]} itself.
 * Returns the exit code: 0, CAIRN_EXIT_REPLICATION for any failure, or
 * CAIRN_EXIT_DAMAGED when the only failures were damaged primary objects. */
int replicate_sites(struct cairn_repo *repo, const struct replicate_job *job, const char *const *sites,
		    size_t nsites, json_t *json_sites);

/* A site's lag and RPO exposure as of now_ns, for --json (status and
 * replicate): newest snapshot there, its age, snapshots pending, last runs.
 * NULL when out of memory. */
json_t *site_status_json(const char *site, const struct cairn_site_status *ss, int64_t now_ns);

#endif
