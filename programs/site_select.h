/* Which site a restore reads, and the recovery point it finds there
 * (cairn-restore restore and points).
 *
 * With --from/--repo or CAIRN_REPO, that site, as always. Otherwise, when
 * the configuration names replicas, every site is probed (site_probe.h)
 * and the nearest healthy one that holds the point is read:
 *
 *  1. When the primary is healthy, the point is the primary's: the newest
 *     snapshot at or before the requested time (or the snapshot asked for).
 *     It is read from the nearest healthy site that holds that very
 *     snapshot (its object is there: replicas copy snapshots last, once
 *     their data is there); a nearer replica that does not hold it yet
 *     (replication lag) is passed over, so a nearby replica never costs a
 *     newer point.
 *  2. When the primary is down, or has no such point (a replica may keep
 *     older snapshots than the primary), the healthy replicas are tried
 *     nearest first: the first with a point at or before the time wins.
 *
 * Each site passed over gets a note saying why; site_choice_print() tells
 * the user which site was read and why the others were not.
 */
#ifndef CAIRN_PROGRAMS_SITE_SELECT_H
#define CAIRN_PROGRAMS_SITE_SELECT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "site_probe.h"

#include "cairn/snapshot.h"

/* The recovery point a command asks for. */
struct point_query {
	const char *snapshot;       /* a snapshot id or unique prefix, or NULL */
	int64_t at_ns;              /* else: the newest point at or before this time */
};

struct site_choice {
	int probed;                 /* the sites were probed (none was named) */
	const struct cairn_site_config *site; /* the site read; NULL for a URL of no configured site */
	const char *url;            /* the repository read (borrowed from the options or configuration) */
	struct site_probe *probes;  /* every site's probe, primary first (owned); NULL unless probed */
	size_t nprobes;
	size_t chosen;              /* index of the site read in probes[], when probed */
};

/* Before cli_repo_opts_env(): 1 when neither the command line (--repo,
 * --from) nor CAIRN_REPO names the repository, so that the configuration's
 * sites may be probed. */
int site_select_unnamed(const struct cli_repo_opts *o);

/* After cli_repo_opts_env(): open the repository to read and look for the
 * point `q` asks for (see above; `unnamed` from site_select_unnamed). The
 * options' repo and repo_site are set to the site chosen. 0 with *ret_repo
 * open, *ret_found 1 and *ret_snap the point, or *ret_found 0 when no site
 * read has such a point (*ret_repo is then the first site read, for a
 * listing); or an exit code after an error message (nothing open). *ch is
 * filled in all cases (free with site_choice_free). */
int site_select_open(struct cli_repo_opts *o, int unnamed, const struct point_query *q, struct site_choice *ch,
		     struct cairn_repo **ret_repo, struct cairn_snapshot *ret_snap, int *ret_found);

void site_choice_free(struct site_choice *ch);

/* "primary: why; dr: why": the note of each site passed over (with_chosen:
 * the site read too, e.g. when no site has the point), into buf; "" when
 * the sites were not probed. */
void site_choice_notes(const struct site_choice *ch, int with_chosen, char *buf, size_t len);

/* "<verb> site NAME (config read in N ms; primary: why; dr: why)" on stderr
 * (not with --quiet or --json), when the sites were probed. */
void site_choice_print(const struct cli_repo_opts *o, const struct site_choice *ch, const char *verb);

/* {"name", "url", "probed", "config_read_ms", "sites": [{"name", "url",
 * "healthy", "config_read_ms", "error", "skipped"}]} (new reference; the
 * last two keys only when probed). */
json_t *site_choice_json(const struct site_choice *ch);

#endif
