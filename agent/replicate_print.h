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
	int transfers; /* --transfers; 0 = the site's setting, else the default */
};

/* A site to replicate to. */
struct replicate_target {
	const char *name; /* the site's name in the catalog: the replica's name, or the URL for one-off use */
	const char *url;
	const struct cairn_site_config *site; /* its configuration, NULL for a one-off URL */
};

/* The targets of `--to` values (each a configured replica's name or a URL)
 * or, when nto is 0, every configured replica. *ret is malloc'd (free it;
 * the strings are borrowed from `to` and o->cfg). Prints the error and
 * returns CAIRN_EXIT_USAGE for a value that is neither a replica's name
 * nor a URL (the message lists the configured names), or when there is
 * nothing to replicate to; else 0. */
int replicate_targets(const struct cli_repo_opts *o, const char *const *to, size_t nto,
		      struct replicate_target **ret, size_t *ret_n);

/* Replicate `repo` to each target (a configured replica through its own
 * settings, or a URL opened with the environment's S3 settings), one
 * after the other; a failing site does not stop the others. Prints a line
 * per site; with --json appends an entry per site to `json_sites`, or,
 * when that is NULL, prints {"sites": [...]} itself. Returns the exit
 * code: 0, CAIRN_EXIT_REPLICATION for any failure, or CAIRN_EXIT_DAMAGED
 * when the only failures were damaged primary objects. */
int replicate_sites(struct cairn_repo *repo, const struct replicate_job *job, const struct replicate_target *sites,
		    size_t nsites, json_t *json_sites);

/* A site's lag and RPO exposure as of now_ns, for --json (status and
 * replicate): newest snapshot there, its age, snapshots pending, last runs.
 * NULL when out of memory. */
json_t *site_status_json(const char *site, const struct cairn_site_status *ss, int64_t now_ns);

#endif
