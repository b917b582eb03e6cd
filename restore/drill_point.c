/* cairn-restore drill: the recovery point. The newest snapshot at or
 * before the requested time (--at, default now), or with --random-point a
 * uniformly random one among those of the last --within, drawn with the
 * seed so that a drill can be repeated. Its loss window is lib/drill's
 * (cairn_drill_rpo_judge), the rule restore and status use too. */
#include "drill.h"

#include "cairn/err.h"
#include "cairn/timeutil.h"

#include <stdlib.h>
#include <string.h>

/* splitmix64: the next number of the sequence of `*state`. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t x = (*state += 0x9e3779b97f4a7c15ull);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* A uniform number in [0, n), n > 0, without modulo bias. */
static size_t uniform_below(uint64_t seed, size_t n)
{
	uint64_t state = seed, limit = UINT64_MAX - UINT64_MAX % (uint64_t)n, x;

	do
		x = next_random(&state);
	while (x >= limit);
	return (size_t)(x % (uint64_t)n);
}

/* The index in snaps[] (oldest first) of the point, or -1 with the reason in msg. */
static long pick(const struct drill *d, const struct cairn_snapshot *snaps, size_t n, size_t *ret_candidates,
		 char *msg, size_t len)
{
	char t[CAIRN_TIME_STR], w[32];
	size_t first = n, count = 0;

	*ret_candidates = 0;
	if (!d->a.random_point) {
		/* newest at or before the time; among equal times the greater id */
		for (size_t i = n; i-- > 0;)
			if (snaps[i].time_ns <= d->requested_ns) {
				size_t best = i;

				for (size_t k = i; k-- > 0 && snaps[k].time_ns == snaps[i].time_ns;)
					if (strcmp(snaps[k].id, snaps[best].id) > 0)
						best = k;
				return (long)best;
			}
		cairn_time_format(d->requested_ns, 0, t);
		snprintf(msg, len, "no recovery point at or before %s on site '%s' (%zu point%s there)", t, d->site, n,
			 n == 1 ? "" : "s");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (snaps[i].time_ns >= d->requested_ns - d->a.within_ns && snaps[i].time_ns <= d->requested_ns) {
			if (count == 0)
				first = i;
			count++;
		}
	*ret_candidates = count;
	if (count == 0) {
		cairn_duration_format(d->a.within_ns, w, sizeof(w));
		snprintf(msg, len, "no recovery point in the last %s on site '%s' (%zu point%s there)", w, d->site, n,
			 n == 1 ? "" : "s");
		return -1;
	}
	return (long)(first + uniform_below(d->a.seed, count));
}

int drill_choose_point(struct drill *d)
{
	struct cairn_snapshot *snaps = NULL;
	struct cairn_drill_rpo window;
	size_t n = 0;
	char msg[512];
	long i;
	int rc = cairn_snapshot_list(d->repo, &snaps, &n);

	if (rc < 0) {
		int code = cli_fail(d->o.ctx, rc, "cannot list the recovery points");

		d->fatal = cairn_asprintf("cannot list the recovery points: %s", cairn_err_msg());
		return code;
	}
	d->npoints = n;
	d->newest_ns = n > 0 ? snaps[n - 1].time_ns : -1;
	i = pick(d, snaps, n, &d->candidates, msg, sizeof(msg));
	if (i < 0) {
		cli_error(d->o.ctx, "%s", msg);
		d->fatal = cairn_strdup(msg);
		cairn_snapshots_free(snaps, n);
		return CAIRN_EXIT_NO_POINT;
	}
	rc = cairn_snapshot_find(d->repo, snaps[i].id, &d->snap);
	cairn_snapshots_free(snaps, n);
	if (rc < 0) {
		int code = cli_fail(d->o.ctx, rc, "cannot read the recovery point");

		d->fatal = cairn_asprintf("cannot read the recovery point: %s", cairn_err_msg());
		return code;
	}
	d->have_point = 1;
	cairn_drill_rpo_judge(d->requested_ns, d->snap.time_ns, d->a.rpo_ns, &window);
	d->loss_window_ns = window.window_ns;
	return 0;
}
