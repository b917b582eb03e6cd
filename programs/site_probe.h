/* Probing the configured sites before a restore: which can be read now,
 * and how near each is.
 *
 * A probe reads the first byte of the "config" object of a site (the first
 * object any command reads; never the whole object, whatever its size) with
 * a short deadline and measures how long that took. An empty config is a
 * failed probe (CAIRN_EFORMAT).
 * Every site is probed at once, each in its own thread, so a site that is
 * down costs at most the deadline, not the deadline times the number of
 * sites:
 *  - S3 sites: one attempt, no retry, the connect and request timeouts cut
 *    to the deadline. A probe measures the site as it answers now; retrying
 *    would hide exactly that (the restore itself keeps the site's full
 *    retry policy).
 *  - local sites: opened and read in the thread; one that does not answer
 *    within the deadline and a second of grace (a hung network mount) is
 *    left to finish on its own, counted as down.
 *
 * The nearest healthy site is the one whose config came back fastest, with
 * one exception: the primary is preferred while it is healthy and at most
 * SITE_PROBE_TIE_NS slower than the fastest replica. Within that margin the
 * difference is the noise of a single small request (a TLS handshake, a
 * scheduler tick), and the primary is the better source: it holds every
 * snapshot as soon as it is taken (a replica lags behind by its
 * replication schedule), and reading it costs no cross-region transfer.
 * Replicas that tie keep the configuration's order.
 */
#ifndef CAIRN_PROGRAMS_SITE_PROBE_H
#define CAIRN_PROGRAMS_SITE_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "site_store.h"

#include "cairn/config.h"
#include "cairn/store.h"

#define SITE_PROBE_DEADLINE_NS (5LL * 1000000000LL) /* reading a site's config object */
#define SITE_PROBE_TIE_NS (20LL * 1000000LL)        /* the primary wins a tie within this */
#define SITE_PROBE_WHY_MAX 400

struct site_probe {
	const struct cairn_site_config *site; /* borrowed from the configuration */
	int healthy;                /* the config object was read */
	int64_t latency_ns;         /* how long opening and reading it took (healthy sites) */
	int rc;                     /* CAIRN_E* code of the failure, 0 when healthy */
	char why[SITE_PROBE_WHY_MAX]; /* what failed, when not healthy */
	struct cairn_store *store;  /* the probe's store, owned, NULL unless healthy; its S3 settings are the
				     * probe's (one attempt, short timeouts): for small requests only */
	char note[SITE_PROBE_WHY_MAX]; /* why the site was not chosen; set by the caller (site_select) */
};

/* Probe the primary and every replica of `cfg` at once; `primary_flags` (may
 * be NULL) are the S3 flags of the command line, which apply to the primary
 * only. *ret holds the primary first, then the replicas in file order
 * (free with site_probe_free). Returns 0 or CAIRN_ENOMEM / CAIRN_EIO (no
 * thread could be started); the failure of a site is in its probe. */
int site_probe_all(const struct cairn_config *cfg, const struct site_flags *primary_flags, int64_t deadline_ns,
		   struct site_probe **ret, size_t *ret_n);

void site_probe_free(struct site_probe *probes, size_t n);

/* Indexes of the healthy probes, nearest first (see above; probes[0] is the
 * primary), into order[] (room for n). Returns how many there are. */
size_t site_probe_order(const struct site_probe *probes, size_t n, int64_t tie_ns, size_t *order);

/* Whether the probed site holds snapshots/<id>: 1, 0, or a CAIRN_E* code
 * (with a detail) when it cannot say. One small request, with the probe's
 * short timeouts. */
int site_probe_holds(struct site_probe *p, const char *snapshot_id);

#endif
