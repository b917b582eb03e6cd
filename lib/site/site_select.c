/* Recovery-point selection across sites: which site a restore reads and which snapshot, and why (see site.h). */
#include "cairn/site.h"

#include "cairn/err.h"
#include "cairn/timeutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cairn_site_find_point(struct cairn_repo *repo, const struct cairn_site_query *q, struct cairn_snapshot *ret)
{
	return q->snapshot != NULL ? cairn_snapshot_find(repo, q->snapshot, ret) : cairn_snapshot_at(repo, q->at_ns, ret);
}

void cairn_site_no_point_text(const struct cairn_site_query *q, char *buf, size_t len)
{
	char when[CAIRN_TIME_STR];

	if (q->snapshot != NULL) {
		snprintf(buf, len, "no snapshot '%s'", q->snapshot);
		return;
	}
	cairn_time_format(q->at_ns, 0, when);
	snprintf(buf, len, "no recovery point at or before %s", when);
}

/* Record why site p was passed over. */
static void skip(struct cairn_site_probe *p, enum cairn_site_skip why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void skip(struct cairn_site_probe *p, enum cairn_site_skip why, const char *fmt, ...)
{
	va_list ap;

	p->skip = why;
	va_start(ap, fmt);
	vsnprintf(p->note, sizeof(p->note), fmt, ap);
	va_end(ap);
}

/* The state of one selection. */
struct pick {
	const struct cairn_site_query *q;
	struct cairn_site_choice *ch;
	cairn_site_open_fn open;
	void *ctx;
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

static int fail(struct pick *pk, enum cairn_site_failure where, int rc)
{
	pk->ch->failure = where;
	return rc;
}

/* The primary is healthy and holds the point *snap (primary_repo open, taken over): read it from the nearest
 * healthy site that holds that snapshot. 0 with *ret (and *snap of that site), or a CAIRN_E* code. */
static int nearest_holder(struct pick *pk, struct cairn_repo *primary_repo, struct cairn_snapshot *snap,
			  struct cairn_repo **ret)
{
	struct cairn_site_probe *probes = pk->ch->probes;
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
		holds = cairn_site_probe_holds(&probes[i], id);
		if (holds < 0) {
			skip(&probes[i], CAIRN_SITE_SKIP_HOLD_UNKNOWN, "cannot tell whether it holds snapshot %.8s: %s", id,
			     cairn_err_msg());
			continue;
		}
		if (holds == 0) {
			skip(&probes[i], CAIRN_SITE_SKIP_NOT_HELD, "does not hold snapshot %.8s yet (not replicated there)",
			     id);
			continue;
		}
		if (pk->open(pk->ctx, probes[i].site, &repo) != 0) {
			skip(&probes[i], CAIRN_SITE_SKIP_OPEN_FAILED,
			     "its config was read, but the repository could not be opened (see above)");
			continue;
		}
		rc = cairn_snapshot_find(repo, id, &there);
		if (rc != 0) {
			skip(&probes[i], CAIRN_SITE_SKIP_UNREADABLE, "snapshot %.8s is not readable there: %s", id,
			     cairn_err_msg());
			cairn_repo_close(repo);
			continue;
		}
		skip(&probes[0], CAIRN_SITE_SKIP_SLOWER, "config read in %.0f ms, more than %lld ms slower than %s",
		     probes[0].latency_ns / 1e6, CAIRN_SITE_PROBE_TIE_NS / 1000000, probes[i].site->name);
		cairn_repo_close(primary_repo);
		cairn_snapshot_clear(snap);
		*snap = there;
		pk->ch->chosen = i;
		*ret = repo;
		return 0;
	}
	cairn_repo_close(primary_repo);
	return fail(pk, CAIRN_SITE_FAIL_BUG,
		    cairn_err(CAIRN_EBUG, "the primary is healthy but not among the sites to read"));
}

/* The healthy replicas nearest first: the first that has the point. 0 with *ret and *found (0: none has it;
 * *ret is then NULL and pk->first the first site opened, if any), or a CAIRN_E* code. */
static int first_replica(struct pick *pk, struct cairn_snapshot *snap, struct cairn_repo **ret, int *found)
{
	struct cairn_site_probe *probes = pk->ch->probes;
	char why[200];

	cairn_site_no_point_text(pk->q, why, sizeof(why));
	for (size_t k = 0; k < pk->nhealthy; k++) {
		size_t i = pk->order[k];
		struct cairn_repo *repo = NULL;
		int rc;

		if (i == 0)
			continue;
		if (pk->open(pk->ctx, probes[i].site, &repo) != 0) {
			skip(&probes[i], CAIRN_SITE_SKIP_OPEN_FAILED,
			     "its config was read, but the repository could not be opened (see above)");
			continue;
		}
		rc = cairn_site_find_point(repo, pk->q, snap);
		if (rc == 0) {
			pk->ch->chosen = i;
			*ret = repo;
			*found = 1;
			return 0;
		}
		if (rc != CAIRN_ENOTFOUND) {
			cairn_repo_close(repo);
			return fail(pk, CAIRN_SITE_FAIL_LOOKUP, rc);
		}
		skip(&probes[i], CAIRN_SITE_SKIP_NO_POINT, "%s", why);
		keep_or_close(pk, i, repo);
	}
	*found = 0;
	*ret = NULL;
	return 0;
}

static int select_probed(struct pick *pk, const struct cairn_config *cfg, const struct cairn_site_probe_opts *po,
			 struct cairn_repo **ret_repo, struct cairn_snapshot *snap, int *found)
{
	struct cairn_site_choice *ch = pk->ch;
	struct cairn_repo *primary = NULL;
	char why[200];
	int rc;

	rc = cairn_site_probe_all(cfg, po, &ch->probes, &ch->nprobes);
	if (rc != 0)
		return fail(pk, CAIRN_SITE_FAIL_PROBE, rc);
	for (size_t i = 0; i < ch->nprobes; i++)
		if (!ch->probes[i].healthy)
			skip(&ch->probes[i], CAIRN_SITE_SKIP_DOWN, "%s", ch->probes[i].why);
	pk->nhealthy = cairn_site_probe_order(ch->probes, ch->nprobes, CAIRN_SITE_PROBE_TIE_NS, pk->order);
	if (pk->nhealthy == 0)
		return fail(pk, CAIRN_SITE_FAIL_NONE_HEALTHY,
			    cairn_err(ch->probes[0].rc, "no site can be read"));
	if (ch->probes[0].healthy) {
		rc = pk->open(pk->ctx, ch->probes[0].site, &primary);
		if (rc != 0)
			return fail(pk, CAIRN_SITE_FAIL_OPEN_PRIMARY, rc);
		rc = cairn_site_find_point(primary, pk->q, snap);
		if (rc == 0) {
			*found = 1;
			ch->reason = CAIRN_SITE_REASON_NEAREST_HOLDER;
			return nearest_holder(pk, primary, snap, ret_repo);
		}
		if (rc != CAIRN_ENOTFOUND) {
			cairn_repo_close(primary);
			return fail(pk, CAIRN_SITE_FAIL_LOOKUP, rc);
		}
		cairn_site_no_point_text(pk->q, why, sizeof(why));
		skip(&ch->probes[0], CAIRN_SITE_SKIP_NO_POINT, "%s", why);
		keep_or_close(pk, 0, primary);
	}
	rc = first_replica(pk, snap, ret_repo, found);
	if (rc != 0 || *found) {
		cairn_repo_close(pk->first);
		if (rc == 0)
			ch->reason = CAIRN_SITE_REASON_REPLICA_POINT;
		return rc;
	}
	if (pk->first == NULL)
		return fail(pk, CAIRN_SITE_FAIL_NONE_OPENED, cairn_err(CAIRN_EIO, "no site could be opened"));
	/* no site has the point: the first one read, for a listing */
	ch->chosen = pk->first_index;
	ch->reason = CAIRN_SITE_REASON_NO_POINT;
	*ret_repo = pk->first;
	return 0;
}

int cairn_site_select(const struct cairn_config *cfg, const struct cairn_site_probe_opts *po,
		      const struct cairn_site_query *q, cairn_site_open_fn open, void *ctx,
		      struct cairn_site_choice *ch, struct cairn_repo **ret_repo, struct cairn_snapshot *ret_snap,
		      int *ret_found)
{
	struct pick pk;
	struct cairn_snapshot snap = { 0 };
	struct cairn_repo *repo = NULL;
	int found = 0, rc;

	memset(ch, 0, sizeof(*ch));
	*ret_found = 0;
	if (cfg->nreplicas > CAIRN_CONFIG_MAX_REPLICAS)
		return cairn_err(CAIRN_EBUG, "%zu replicas: at most %d", cfg->nreplicas, CAIRN_CONFIG_MAX_REPLICAS);
	memset(&pk, 0, sizeof(pk));
	pk.q = q;
	pk.ch = ch;
	pk.open = open;
	pk.ctx = ctx;
	rc = select_probed(&pk, cfg, po, &repo, &snap, &found);
	if (rc != 0) {
		cairn_snapshot_clear(&snap);
		ch->reason = CAIRN_SITE_REASON_NONE;
		return rc;
	}
	ch->site = ch->probes[ch->chosen].site;
	*ret_repo = repo;
	*ret_found = found;
	if (found)
		*ret_snap = snap;
	return 0;
}

void cairn_site_choice_free(struct cairn_site_choice *ch)
{
	cairn_site_probe_free(ch->probes, ch->nprobes);
	memset(ch, 0, sizeof(*ch));
}

void cairn_site_choice_notes(const struct cairn_site_choice *ch, int with_chosen, char *buf, size_t len)
{
	size_t used = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < ch->nprobes && used < len; i++) {
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
