/* The site a restore reads: a named one, or the nearest healthy site that holds the point (see site_select.h). */
#include "site_select.h"

#include "cairn/err.h"
#include "cairn/timeutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int site_select_unnamed(const struct cli_repo_opts *o)
{
	const char *env = getenv("CAIRN_REPO");

	return o->repo == NULL && (env == NULL || env[0] == '\0');
}

void site_choice_free(struct site_choice *ch)
{
	site_probe_free(ch->probes, ch->nprobes);
	memset(ch, 0, sizeof(*ch));
}

static int find_point(struct cairn_repo *repo, const struct point_query *q, struct cairn_snapshot *snap)
{
	return q->snapshot != NULL ? cairn_snapshot_find(repo, q->snapshot, snap) : cairn_snapshot_at(repo, q->at_ns, snap);
}

/* "no recovery point at or before T" or "no snapshot 'X'", into buf. */
static void no_point(const struct point_query *q, char *buf, size_t len)
{
	char when[CAIRN_TIME_STR];

	if (q->snapshot != NULL) {
		snprintf(buf, len, "no snapshot '%s'", q->snapshot);
		return;
	}
	cairn_time_format(q->at_ns, 0, when);
	snprintf(buf, len, "no recovery point at or before %s", when);
}

static void note(struct site_probe *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct site_probe *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->note, sizeof(p->note), fmt, ap);
	va_end(ap);
}

static void format_ms(int64_t ns, char *buf, size_t len)
{
	double ms = (double)ns / 1e6;

	snprintf(buf, len, ms < 10 ? "%.1f ms" : "%.0f ms", ms);
}

/* Open the repository of the probed site p (its own settings). 0 or an exit code after a message. */
static int open_site(struct cli_repo_opts *o, const struct site_probe *p, struct cairn_repo **ret)
{
	o->repo = p->site->url;
	o->repo_site = p->site;
	return cli_open_repo(o, ret);
}

/* A named site (or a configuration without replicas): that one. */
static int open_named(struct cli_repo_opts *o, const struct point_query *q, struct site_choice *ch,
		      struct cairn_repo **ret_repo, struct cairn_snapshot *snap, int *found)
{
	int code = cli_open_repo(o, ret_repo), rc;

	ch->site = o->repo_site;
	ch->url = o->repo;
	if (code != 0)
		return code;
	rc = find_point(*ret_repo, q, snap);
	if (rc == 0 || rc == CAIRN_ENOTFOUND) {
		*found = rc == 0;
		return 0;
	}
	code = cli_fail(rc, "cannot look up the recovery point");
	cairn_repo_close(*ret_repo);
	*ret_repo = NULL;
	return code;
}

/* The state of one selection. */
struct pick {
	struct cli_repo_opts *o;
	const struct point_query *q;
	struct site_choice *ch;
	size_t order[CAIRN_CONFIG_MAX_REPLICAS + 1];
	size_t nhealthy;
	struct cairn_repo *first;   /* the first site opened, kept for a listing when no site has the point */
	size_t first_index;
};

/* Keep `repo` (site i) as the fallback of a listing, or close it. */
static void keep_or_close(struct pick *pk, size_t i, struct cairn_repo *repo)
{
	if (pk->first == NULL) {
		pk->first = repo;
		pk->first_index = i;
	} else {
		cairn_repo_close(repo);
	}
}

/* The primary is healthy and holds the point *snap (primary_repo open): read it from the nearest healthy
 * site that holds that snapshot. 0 with *ret (and *snap of that site), or an exit code. */
static int nearest_holder(struct pick *pk, struct cairn_repo *primary_repo, struct cairn_snapshot *snap,
			  struct cairn_repo **ret)
{
	struct site_probe *probes = pk->ch->probes;
	char id[CAIRN_ID_HEX];

	snprintf(id, sizeof(id), "%s", snap->id);
	for (size_t k = 0; k < pk->nhealthy; k++) {
		size_t i = pk->order[k];
		struct cairn_snapshot there = { 0 };
		struct cairn_repo *repo = NULL;
		int holds, rc;

		if (i == 0) {
			pk->ch->chosen = 0;
			*ret = primary_repo;
			return 0;
		}
		holds = site_probe_holds(&probes[i], id);
		if (holds < 0) {
			note(&probes[i], "cannot tell whether it holds snapshot %.8s: %s", id, cairn_err_msg());
			continue;
		}
		if (holds == 0) {
			note(&probes[i], "does not hold snapshot %.8s yet (not replicated there)", id);
			continue;
		}
		if (open_site(pk->o, &probes[i], &repo) != 0) {
			note(&probes[i], "its config was read, but the repository could not be opened (see above)");
			continue;
		}
		rc = cairn_snapshot_find(repo, id, &there);
		if (rc != 0) {
			note(&probes[i], "snapshot %.8s is not readable there: %s", id, cairn_err_msg());
			cairn_repo_close(repo);
			continue;
		}
		note(&probes[0], "config read in %.0f ms, more than %lld ms slower than %s", probes[0].latency_ns / 1e6,
		     SITE_PROBE_TIE_NS / 1000000, probes[i].site->name);
		cairn_repo_close(primary_repo);
		cairn_snapshot_clear(snap);
		*snap = there;
		pk->ch->chosen = i;
		*ret = repo;
		return 0;
	}
	cli_error("internal error: the primary is healthy but not among the sites to read");
	cairn_repo_close(primary_repo);
	return CAIRN_EXIT_ERROR;
}

/* The healthy replicas nearest first: the first that has the point. 0 with *ret and *found (0: none has it;
 * *ret is then the first site opened, or NULL), or an exit code. */
static int first_replica(struct pick *pk, struct cairn_snapshot *snap, struct cairn_repo **ret, int *found)
{
	struct site_probe *probes = pk->ch->probes;
	char why[200];

	no_point(pk->q, why, sizeof(why));
	for (size_t k = 0; k < pk->nhealthy; k++) {
		size_t i = pk->order[k];
		struct cairn_repo *repo = NULL;
		int code, rc;

		if (i == 0)
			continue;
		if (open_site(pk->o, &probes[i], &repo) != 0) {
			note(&probes[i], "its config was read, but the repository could not be opened (see above)");
			continue;
		}
		rc = find_point(repo, pk->q, snap);
		if (rc == 0) {
			pk->ch->chosen = i;
			*ret = repo;
			*found = 1;
			return 0;
		}
		if (rc != CAIRN_ENOTFOUND) {
			code = cli_fail(rc, "cannot look up the recovery point");
			cairn_repo_close(repo);
			return code;
		}
		note(&probes[i], "%s", why);
		keep_or_close(pk, i, repo);
	}
	*found = 0;
	*ret = NULL;
	return 0;
}

/* No site can be read: say why for each, and exit with the primary's reason. */
static int none_healthy(const struct site_choice *ch)
{
	char list[2048];
	size_t used = 0;

	list[0] = '\0';
	for (size_t i = 0; i < ch->nprobes && used < sizeof(list); i++) {
		int n = snprintf(list + used, sizeof(list) - used, "%s%s: %s", i ? "; " : "", ch->probes[i].site->name,
				 ch->probes[i].why);

		if (n < 0)
			break;
		used += (size_t)n;
	}
	cli_error("no site can be read: %s", list);
	return ch->probes[0].rc == CAIRN_ENOTFOUND ? CAIRN_EXIT_REPO : cli_exit_for(ch->probes[0].rc);
}

static int open_probed(struct pick *pk, struct cairn_repo **ret_repo, struct cairn_snapshot *snap, int *found)
{
	struct site_choice *ch = pk->ch;
	struct cairn_repo *primary = NULL;
	char why[200];
	int code, rc;

	rc = site_probe_all(pk->o->cfg, &pk->o->s3, SITE_PROBE_DEADLINE_NS, &ch->probes, &ch->nprobes);
	if (rc != 0)
		return cli_fail(rc, "cannot probe the sites");
	for (size_t i = 0; i < ch->nprobes; i++)
		if (!ch->probes[i].healthy)
			note(&ch->probes[i], "%s", ch->probes[i].why);
	pk->nhealthy = site_probe_order(ch->probes, ch->nprobes, SITE_PROBE_TIE_NS, pk->order);
	if (pk->nhealthy == 0)
		return none_healthy(ch);
	if (ch->probes[0].healthy) {
		if ((code = open_site(pk->o, &ch->probes[0], &primary)) != 0)
			return code;
		rc = find_point(primary, pk->q, snap);
		if (rc == 0) {
			*found = 1;
			return nearest_holder(pk, primary, snap, ret_repo);
		}
		if (rc != CAIRN_ENOTFOUND) {
			code = cli_fail(rc, "cannot look up the recovery point");
			cairn_repo_close(primary);
			return code;
		}
		no_point(pk->q, why, sizeof(why));
		note(&ch->probes[0], "%s", why);
		keep_or_close(pk, 0, primary);
	}
	code = first_replica(pk, snap, ret_repo, found);
	if (code != 0 || *found) {
		cairn_repo_close(pk->first);
		return code;
	}
	if (pk->first == NULL) {
		cli_error("no site could be opened (see above)");
		return CAIRN_EXIT_ERROR;
	}
	/* no site has the point: the first one read, for a listing */
	ch->chosen = pk->first_index;
	*ret_repo = pk->first;
	return 0;
}

int site_select_open(struct cli_repo_opts *o, int unnamed, const struct point_query *q, struct site_choice *ch,
		     struct cairn_repo **ret_repo, struct cairn_snapshot *ret_snap, int *ret_found)
{
	struct pick pk;
	int code;

	memset(ch, 0, sizeof(*ch));
	*ret_repo = NULL;
	*ret_found = 0;
	if (!unnamed || o->cfg == NULL || o->cfg->nreplicas == 0 || o->repo_site != &o->cfg->primary)
		return open_named(o, q, ch, ret_repo, ret_snap, ret_found);
	memset(&pk, 0, sizeof(pk));
	pk.o = o;
	pk.q = q;
	pk.ch = ch;
	ch->probed = 1;
	code = open_probed(&pk, ret_repo, ret_snap, ret_found);
	if (code != 0) {
		cairn_snapshot_clear(ret_snap);
		*ret_found = 0;
		return code;
	}
	ch->site = ch->probes[ch->chosen].site;
	ch->url = ch->site->url;
	o->repo = ch->site->url;
	o->repo_site = ch->site;
	return 0;
}

void site_choice_notes(const struct site_choice *ch, int with_chosen, char *buf, size_t len)
{
	size_t used = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; ch->probed && i < ch->nprobes && used < len; i++) {
		int n;

		if ((i == ch->chosen && !with_chosen) || ch->probes[i].note[0] == '\0')
			continue;
		n = snprintf(buf + used, len - used, "%s%s: %s", used ? "; " : "", ch->probes[i].site->name,
			     ch->probes[i].note);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

void site_choice_print(const struct cli_repo_opts *o, const struct site_choice *ch, const char *verb)
{
	char notes[3072], ms[32];

	if (!ch->probed || o->quiet || o->json)
		return;
	format_ms(ch->probes[ch->chosen].latency_ns, ms, sizeof(ms));
	site_choice_notes(ch, 0, notes, sizeof(notes));
	cli_info(o, "%s site %s (config read in %s%s%s)", verb, ch->site->name, ms, notes[0] ? "; " : "", notes);
}

static json_t *probe_json(const struct site_probe *p)
{
	return json_pack("{s:s, s:s, s:b, s:o, s:o, s:o}", "name", p->site->name, "url", p->site->url, "healthy",
			 p->healthy, "config_read_ms", p->healthy ? json_real((double)p->latency_ns / 1e6) : json_null(),
			 "error", p->healthy ? json_null() : json_string(p->why), "skipped",
			 p->note[0] ? json_string(p->note) : json_null());
}

json_t *site_choice_json(const struct site_choice *ch)
{
	json_t *j = json_pack("{s:o, s:o, s:b}", "name", ch->site ? json_string(ch->site->name) : json_null(), "url",
			      ch->url ? json_string(ch->url) : json_null(), "probed", ch->probed);
	json_t *sites;

	if (j == NULL || !ch->probed)
		return j;
	json_object_set_new(j, "config_read_ms", json_real((double)ch->probes[ch->chosen].latency_ns / 1e6));
	sites = json_array();
	for (size_t i = 0; sites != NULL && i < ch->nprobes; i++)
		json_array_append_new(sites, probe_json(&ch->probes[i]));
	json_object_set_new(j, "sites", sites);
	return j;
}
