/* Sites: the primary repository and its replicas as the configuration names
 * them. Three things live here, all decisions and none of them printing:
 *
 *  1. Site stores: opening a configured site's store with its own endpoint,
 *     region, credentials, timeouts and limits (cairn_site_store_open).
 *  2. Probing: which sites can be read now, and how near each is
 *     (cairn_site_probe_all, cairn_site_probe_order).
 *  3. Recovery-point selection across sites: which site a restore reads and
 *     which snapshot, with the reason and every site's finding as data
 *     (cairn_site_select). The programs print the result and choose exit
 *     codes.
 *
 *	struct cairn_site_query q = { .at_ns = t };
 *	struct cairn_site_choice ch;
 *	rc = cairn_site_select(cfg, &flags, &q, CAIRN_SITE_PROBE_DEADLINE_NS, open_fn, ctx, &ch, &repo, &snap, &found);
 *	... ch.reason, ch.probes[i].skip and .note tell why ...
 *	cairn_site_choice_free(&ch);
 *
 * Probing. A probe reads the first byte of the "config" object of a site
 * (the first object any command reads; never the whole object, whatever its
 * size) with a short deadline and measures how long that took. An empty
 * config is a failed probe (CAIRN_EFORMAT). Every site is probed at once,
 * each in its own thread, so a site that is down costs at most the
 * deadline, not the deadline times the number of sites:
 *  - S3 sites: one attempt, no retry, the connect and request timeouts cut
 *    to the deadline. A probe measures the site as it answers now; retrying
 *    would hide exactly that (the restore itself keeps the site's full
 *    retry policy).
 *  - local sites (and sites opened by a caller's hook): opened and read in
 *    the thread; one that does not answer within the deadline and a second
 *    of grace (a hung network mount) is left to finish on its own, counted
 *    as down (CAIRN_ETIMEOUT).
 *
 * The nearest healthy site is the one whose config came back fastest, with
 * one exception: the primary is preferred while it is healthy and at most
 * CAIRN_SITE_PROBE_TIE_NS slower than the fastest replica. Within that
 * margin the difference is the noise of a single small request (a TLS
 * handshake, a scheduler tick), and the primary is the better source: it
 * holds every snapshot as soon as it is taken (a replica lags behind by its
 * replication schedule), and reading it costs no cross-region transfer.
 * Replicas that tie keep the configuration's order.
 *
 * Selection. Every site is probed and the nearest healthy one that holds
 * the point is read:
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
 *  3. When no site has the point, the first site opened is kept (for a
 *     listing of what there is).
 * Each site passed over gets a finding (skip) and a note saying why.
 */
#ifndef CAIRN_SITE_H
#define CAIRN_SITE_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/config.h"
#include "cairn/repo.h"
#include "cairn/s3.h"
#include "cairn/snapshot.h"
#include "cairn/store.h"

/* ---- site stores ---- */

/* S3 settings given as command-line flags (NULL = not given). They beat a
 * site's own settings; the programs pass them for the primary only. */
struct cairn_site_flags {
	const char *endpoint;       /* --s3-endpoint */
	const char *region;         /* --s3-region */
	const char *addressing;     /* --s3-addressing: "path" or "virtual" */
	const char *ca_bundle;      /* --ca-bundle */
	const char *limit_upload;   /* --limit-upload RATE */
	const char *limit_download; /* --limit-download RATE */
};

/* Fill *o for the s3:// `site`, lowest precedence first: the environment
 * (cairn_s3_options_from_env), then the site's own keys (endpoint, region,
 * addressing, ca-bundle, credentials, timeouts, limits), then `flags` (may
 * be NULL). Credentials: the site's access-key-id with the secret (and
 * session token) read from its files; else its profile / credentials-file
 * (unset halves from AWS_PROFILE / AWS_SHARED_CREDENTIALS_FILE, then
 * "default" and ~/.aws/credentials); else the environment's. Sends
 * nothing. 0 (*o is the caller's: cairn_s3_options_free), or a CAIRN_E*
 * code with a detail naming the site (*o then holds no strings). */
int cairn_site_s3_options(const struct cairn_site_config *site, const struct cairn_site_flags *flags,
			  struct cairn_s3_options *o);

/* Open the store of `site`, or, when `site` is NULL, of `url` with the
 * environment alone (as cairn_store_open_url). Local sites: the local
 * driver; `create` makes a missing directory (replicas). S3 sites: through
 * cairn_site_s3_options, then cairn_s3_open (no request is sent). *ret is
 * the caller's (cairn_store_free). 0 or a CAIRN_E* code with a detail. */
int cairn_site_store_open(const struct cairn_site_config *site, const char *url,
			  const struct cairn_site_flags *flags, int create, struct cairn_store **ret);

/* ---- probing ---- */

#define CAIRN_SITE_PROBE_DEADLINE_NS (5LL * 1000000000LL) /* reading a site's config object */
#define CAIRN_SITE_PROBE_TIE_NS (20LL * 1000000LL)        /* the primary wins a tie within this */
#define CAIRN_SITE_WHY_MAX 400

/* Why selection passed a site over (or, for the site read when no site has
 * the point, why it has none). */
enum cairn_site_skip {
	CAIRN_SITE_SKIP_NONE = 0,   /* not passed over (or never looked at) */
	CAIRN_SITE_SKIP_DOWN,       /* the probe failed: rc and why say how */
	CAIRN_SITE_SKIP_SLOWER,     /* the primary: more than the tie margin slower than the site read */
	CAIRN_SITE_SKIP_NOT_HELD,   /* does not hold the primary's point yet (replication lag) */
	CAIRN_SITE_SKIP_HOLD_UNKNOWN, /* cannot tell whether it holds the point */
	CAIRN_SITE_SKIP_OPEN_FAILED, /* its config was read, but the repository could not be opened */
	CAIRN_SITE_SKIP_UNREADABLE, /* holds the point's object, but it could not be read */
	CAIRN_SITE_SKIP_NO_POINT    /* has no point at or before the time (or no such snapshot) */
};

struct cairn_site_probe {
	const struct cairn_site_config *site; /* borrowed from the configuration */
	int healthy;                /* the config object was read */
	int64_t latency_ns;         /* how long opening and reading it took (healthy sites) */
	int rc;                     /* CAIRN_E* code of the failure, 0 when healthy */
	char why[CAIRN_SITE_WHY_MAX]; /* what failed, when not healthy */
	struct cairn_store *store;  /* the probe's store, owned, NULL unless healthy; its S3 settings are the
				     * probe's (one attempt, short timeouts): for small requests only */
	enum cairn_site_skip skip;  /* set by cairn_site_select: why the site was not read */
	char note[CAIRN_SITE_WHY_MAX]; /* the same for people, "" when none */
};

/* How to probe. All fields may be zero. */
struct cairn_site_probe_opts {
	int64_t deadline_ns;        /* 0 = CAIRN_SITE_PROBE_DEADLINE_NS */
	const struct cairn_site_flags *primary_flags; /* the command line's S3 flags: the primary only */
	/* A test seam: when set, every site's store is opened by this, in the
	 * site's probe thread, instead of the local or S3 driver. It may be
	 * called (and run) after cairn_site_probe_all returned, for a site
	 * that did not answer in time: `ctx` and the site must outlive it. */
	int (*open)(void *ctx, const struct cairn_site_config *site, struct cairn_store **ret);
	void *ctx;
};

/* Probe the primary and every replica of `cfg` at once (see above; `o` may
 * be NULL). *ret holds the primary first, then the replicas in file order
 * (free with cairn_site_probe_free). Returns 0 or CAIRN_ENOMEM; the failure
 * of a site, including one of its thread, is in its probe. */
int cairn_site_probe_all(const struct cairn_config *cfg, const struct cairn_site_probe_opts *o,
			 struct cairn_site_probe **ret, size_t *ret_n);

/* Free n probes and their stores; NULL does nothing. */
void cairn_site_probe_free(struct cairn_site_probe *probes, size_t n);

/* Indexes of the healthy probes, nearest first (see above; probes[0] is the
 * primary), into order[] (room for n). Returns how many there are. Pure. */
size_t cairn_site_probe_order(const struct cairn_site_probe *probes, size_t n, int64_t tie_ns, size_t *order);

/* Whether the probed site holds snapshots/<id>: 1, 0, or a CAIRN_E* code
 * (with a detail) when it cannot say (CAIRN_EINVAL: the site was not probed
 * successfully). One small request, with the probe's short timeouts. */
int cairn_site_probe_holds(struct cairn_site_probe *p, const char *snapshot_id);

/* ---- recovery-point selection ---- */

/* The recovery point a command asks for. */
struct cairn_site_query {
	const char *snapshot;       /* a snapshot id or unique prefix, or NULL */
	int64_t at_ns;              /* else: the newest point at or before this time */
};

/* The point of `q` in the open repository `repo`: cairn_snapshot_find of
 * the snapshot asked for, else cairn_snapshot_at of the time. 0 with *ret,
 * CAIRN_ENOTFOUND when there is none, or another CAIRN_E* code. */
int cairn_site_find_point(struct cairn_repo *repo, const struct cairn_site_query *q, struct cairn_snapshot *ret);

/* "no recovery point at or before T" or "no snapshot 'X'", into buf. */
void cairn_site_no_point_text(const struct cairn_site_query *q, char *buf, size_t len);

/* Why the site read was read. */
enum cairn_site_reason {
	CAIRN_SITE_REASON_NONE = 0,
	CAIRN_SITE_REASON_NEAREST_HOLDER, /* the primary's point, from the nearest healthy site holding it */
	CAIRN_SITE_REASON_REPLICA_POINT,  /* the primary is down or has no point: the nearest replica that has */
	CAIRN_SITE_REASON_NO_POINT        /* no site has the point: the first site opened, for a listing */
};

/* Where selection failed (cairn_site_select returned an error). */
enum cairn_site_failure {
	CAIRN_SITE_FAIL_NONE = 0,
	CAIRN_SITE_FAIL_PROBE,       /* the sites could not be probed (rc: CAIRN_ENOMEM) */
	CAIRN_SITE_FAIL_NONE_HEALTHY, /* no probe succeeded; each probe's rc and why say why */
	CAIRN_SITE_FAIL_OPEN_PRIMARY, /* the healthy primary could not be opened (the opener's error) */
	CAIRN_SITE_FAIL_LOOKUP,      /* looking up the point failed (not "none"): the detail says why */
	CAIRN_SITE_FAIL_NONE_OPENED, /* no healthy site could be opened */
	CAIRN_SITE_FAIL_BUG          /* the primary was healthy but not among the sites in order */
};

struct cairn_site_choice {
	const struct cairn_site_config *site; /* the site read; NULL until one is */
	struct cairn_site_probe *probes; /* every site's probe and finding, primary first (owned) */
	size_t nprobes;
	size_t chosen;               /* index of the site read in probes[] */
	enum cairn_site_reason reason;
	enum cairn_site_failure failure;
};

/* Opens the repository of a configured site (borrowed from the
 * configuration) for reading, synchronised; 0 with *ret (the caller of
 * cairn_site_select then owns it), or a negative CAIRN_E* code. The
 * programs' opener uses the key, state directory and flags of the command. */
typedef int (*cairn_site_open_fn)(void *ctx, const struct cairn_site_config *site, struct cairn_repo **ret);

/* Probe every site of `cfg` (`po`, may be NULL) and select the site and
 * the point of `q` (see above), opening sites with `open`. On 0: *ret_repo
 * is the repository read (the caller's) and ch->site, ch->chosen and
 * ch->reason say which and why; *ret_found is 1 with *ret_snap the point
 * (the caller's: cairn_snapshot_clear), or 0 when no site has it (reason
 * CAIRN_SITE_REASON_NO_POINT). Otherwise a negative CAIRN_E* code with
 * ch->failure saying where, nothing open and *ret_found 0. In every case
 * ch holds the probes and each site's finding (free with
 * cairn_site_choice_free). */
int cairn_site_select(const struct cairn_config *cfg, const struct cairn_site_probe_opts *po,
		      const struct cairn_site_query *q, cairn_site_open_fn open, void *ctx,
		      struct cairn_site_choice *ch, struct cairn_repo **ret_repo, struct cairn_snapshot *ret_snap,
		      int *ret_found);

/* Free the probes of `ch` and zero it; a zeroed choice does nothing. */
void cairn_site_choice_free(struct cairn_site_choice *ch);

/* "primary: why; dr: why": the note of each site passed over (with_chosen:
 * the site read too, e.g. when no site has the point), into buf (len > 0);
 * "" when there are no probes. */
void cairn_site_choice_notes(const struct cairn_site_choice *ch, int with_chosen, char *buf, size_t len);

#endif
