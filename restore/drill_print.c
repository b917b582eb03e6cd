/* cairn-restore drill: the summary for a person at a terminal. */
#include "drill.h"

#include "cairn/timeutil.h"

#include <string.h>

/* Damaged files shown per object here (the report and --json list more). */
#define PRINT_FILES_MAX 10

void drill_hypothesis(const struct drill *d, char *out, size_t len)
{
	char t[CAIRN_TIME_STR], rto[64] = "", rpo[96] = "", w[32], span[32];

	cairn_time_format(d->requested_ns, 0, t);
	cairn_duration_format(d->a.within_ns, w, sizeof(w));
	if (d->a.rto_ns >= 0) {
		cairn_drill_format_span(d->a.rto_ns, span, sizeof(span));
		snprintf(rto, sizeof(rto), " within %s (RTO)", span);
	}
	if (d->a.rpo_ns >= 0) {
		cairn_duration_format(d->a.rpo_ns, span, sizeof(span));
		snprintf(rpo, sizeof(rpo), d->a.random_point ? ", the site's newest point being at most %s old (RPO)"
							     : ", losing at most %s (RPO)", span);
	}
	if (d->a.random_point)
		snprintf(out, len, "restore a random point of the last %s from site '%s'%s%s", w, d->site, rto, rpo);
	else
		snprintf(out, len, "restore the data as of %s%s from site '%s'%s%s", t, d->a.at == NULL ? " (now)" : "",
			 d->site, rto, rpo);
}

static void print_point(const struct drill *d)
{
	char t[CAIRN_TIME_STR], w[32];

	if (!d->have_point)
		return;
	cairn_time_format(d->snap.time_ns, 0, t);
	cairn_duration_format(d->loss_window_ns, w, sizeof(w));
	printf("  point:       snapshot %.8s taken %s on %s (", d->snap.id, t, d->snap.host);
	if (d->a.random_point)
		printf("drawn from %zu point%s in the window, seed %llu)\n", d->candidates, d->candidates == 1 ? "" : "s",
		       (unsigned long long)d->a.seed);
	else
		printf("%s of %zu point%s)\n", d->a.at != NULL ? "newest at or before the time" : "the newest",
		       d->npoints, d->npoints == 1 ? "" : "s");
	printf("  loss window: %s\n", w);
}

static void print_measures(const struct drill *d)
{
	char total[32], sync[32], rest[32], first[32], bytes[32], ver[32];
	double secs = (double)d->restore_ns / 1e9;

	if (!d->restored)
		return;
	cairn_drill_format_span(d->recovery_ns, total, sizeof(total));
	cairn_drill_format_span(d->sync_ns, sync, sizeof(sync));
	cairn_drill_format_span(d->restore_ns, rest, sizeof(rest));
	cairn_drill_format_span(d->first_byte_ns, first, sizeof(first));
	cli_format_bytes(d->rst.bytes, bytes, sizeof(bytes));
	printf("  recovery:    %s (RTO achieved) = catalog sync %s + restore %s; first byte after %s\n", total, sync, rest,
	       first);
	printf("  restored:    %llu files, %llu directories, %llu other entries, %s at %.1f MiB/s\n",
	       (unsigned long long)d->rst.files, (unsigned long long)d->rst.dirs, (unsigned long long)d->rst.others,
	       bytes, secs > 0 ? (double)d->rst.bytes / 1048576.0 / secs : 0.0);
	printf("  store:       %llu requests, %llu retries\n", (unsigned long long)d->store.requests,
	       (unsigned long long)d->store.retries);
	if (!d->verified)
		return;
	cairn_drill_format_span(d->verify_ns, ver, sizeof(ver));
	printf("  verified:    content of %llu of %llu files (sample %g%%, seed %llu), metadata of %llu entries, in %s: "
	       "%llu differ%s\n",
	       (unsigned long long)d->vst.files_verified, (unsigned long long)d->vst.files, d->a.sample,
	       (unsigned long long)d->a.seed, (unsigned long long)d->vst.entries, ver,
	       (unsigned long long)d->vst.failed, d->vst.failed == 1 ? "s" : "");
}

static void print_damage(const struct drill *d)
{
	for (size_t i = 0; i < d->f.ndamaged; i++) {
		const struct cairn_drill_damaged *g = &d->f.damaged[i];

		printf("  damaged:     %s%s%s: %llu file%s not restored:", g->object ? "object " : "",
		       g->object ? g->object : "data without a known object", "", (unsigned long long)g->files_total,
		       g->files_total == 1 ? "" : "s");
		for (size_t k = 0; k < g->nfiles && k < PRINT_FILES_MAX; k++)
			printf(" %s", g->files[k]);
		printf("%s\n", g->files_total > PRINT_FILES_MAX ? " ..." : "");
	}
	for (size_t i = 0; i < d->f.nsync_damage; i++)
		printf("  damaged:     %s\n", d->f.sync_damage[i]);
}

void drill_print(const struct drill *d)
{
	char hyp[1024];

	drill_hypothesis(d, hyp, sizeof(hyp));
	printf("drill of site '%s' (%s): %s\n", d->site, d->url, d->pass ? "PASS" : "FAIL");
	printf("  hypothesis:  %s\n", hyp);
	print_point(d);
	print_measures(d);
	print_damage(d);
	if (d->scratch_kept)
		printf("  scratch:     kept at %s\n", d->scratch);
	for (size_t i = 0; i < d->nreasons; i++)
		printf("  reason:      %s\n", d->reasons[i]);
	printf("  verdict:     %s (exit %d)\n", d->pass ? "pass" : "fail", d->exit_code);
	if (d->a.report != NULL)
		printf("  report:      %s\n", d->a.report);
}
