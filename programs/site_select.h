/* Which site a restore reads, and the recovery point it finds there
 * (cairn-restore restore and points): the printing and exit codes around
 * cairn_site_select (include/cairn/site.h), which makes the decision.
 *
 * With --from/--repo or CAIRN_REPO, that site, as always. Otherwise, when
 * the configuration names replicas, every site is probed and the nearest
 * healthy one that holds the point is read; site_choice_print() tells the
 * user which site was read and why the others were not.
 */
#ifndef CAIRN_PROGRAMS_SITE_SELECT_H
#define CAIRN_PROGRAMS_SITE_SELECT_H

#include <jansson.h>
#include <stddef.h>

#include "cli.h"

#include "cairn/site.h"
#include "cairn/snapshot.h"

struct site_choice {
	struct cairn_site_choice sel; /* the decision; probes set (and owned) when the sites were probed */
	int probed;                 /* the sites were probed (none was named) */
	const struct cairn_site_config *site; /* the site read; NULL for a URL of no configured site */
	const char *url;            /* the repository read (borrowed from the options or configuration) */
};

/* Before cli_repo_opts_env(): 1 when neither the command line (--repo,
 * --from) nor CAIRN_REPO names the repository, so that the configuration's
 * sites may be probed. */
int site_select_unnamed(const struct cli_repo_opts *o);

/* After cli_repo_opts_env(): open the repository to read and look for the
 * point `q` asks for (cairn_site_select when `unnamed`, from
 * site_select_unnamed, and the configuration has replicas; else the named
 * site). The options' repo and repo_site are set to the site chosen. 0 with
 * *ret_repo open, *ret_found 1 and *ret_snap the point, or *ret_found 0
 * when no site read has such a point (*ret_repo is then the first site
 * read, for a listing); or an exit code after an error message (nothing
 * open). *ch is filled in all cases (free with site_choice_free). */
int site_select_open(struct cli_repo_opts *o, int unnamed, const struct cairn_site_query *q, struct site_choice *ch,
		     struct cairn_repo **ret_repo, struct cairn_snapshot *ret_snap, int *ret_found);

void site_choice_free(struct site_choice *ch);

/* cairn_site_choice_notes of the choice; "" when the sites were not probed. */
void site_choice_notes(const struct site_choice *ch, int with_chosen, char *buf, size_t len);

/* "<verb> site NAME (config read in N ms; primary: why; dr: why)" on stderr
 * (not with --quiet or --json), when the sites were probed. */
void site_choice_print(const struct cli_repo_opts *o, const struct site_choice *ch, const char *verb);

/* {"name", "url", "probed", "config_read_ms", "sites": [{"name", "url",
 * "healthy", "config_read_ms", "error", "skipped"}]} (new reference; the
 * last two keys only when probed). */
json_t *site_choice_json(const struct site_choice *ch);

#endif
