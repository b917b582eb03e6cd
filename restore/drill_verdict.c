/* cairn-restore drill: the verdict. Every reason to fail is listed; the
 * exit code is that of the worst, in this order: 8 damaged data or a
 * restored entry that differs from the snapshot (the data is not what was
 * saved), 1 a verification that could not run, 3 entries the restore could
 * not create, 7 RPO not met, 11 RTO not met. A drill stopped early keeps
 * the exit code of the step that stopped it (9: no recovery point). */
#include "drill.h"

#include "cairn/buf.h"
#include "cairn/timeutil.h"

#include <stdarg.h>
#include <stdlib.h>

void drill_reason(struct drill *d, const char *fmt, ...)
{
	char **grown, *text = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (text = malloc((size_t)n + 1)) == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(text, (size_t)n + 1, fmt, ap);
	va_end(ap);
	grown = cairn_reallocarray(d->reasons, d->nreasons + 1, sizeof(*grown));
	if (grown == NULL) {
		free(text);
		return;
	}
	d->reasons = grown;
	d->reasons[d->nreasons++] = text;
}

/* The data-loss window the RPO is judged on: the point's (--at, latest),
 * or with --random-point the age of the site's newest point. */
static int64_t judged_window(const struct drill *d)
{
	if (d->a.random_point)
		return d->newest_ns >= 0 && d->start_ns > d->newest_ns ? d->start_ns - d->newest_ns : 0;
	return d->loss_window_ns;
}

static int check_rpo(struct drill *d)
{
	int64_t window = judged_window(d);
	char w[32], rpo[32], over[32];

	if (d->a.rpo_ns < 0 || window <= d->a.rpo_ns)
		return 0;
	cairn_duration_format(window, w, sizeof(w));
	cairn_duration_format(d->a.rpo_ns, rpo, sizeof(rpo));
	cairn_duration_format(window - d->a.rpo_ns, over, sizeof(over));
	if (d->a.random_point)
		drill_reason(d, "RPO not met: the site's newest point is %s old, over the RPO of %s by %s", w, rpo, over);
	else
		drill_reason(d, "RPO not met: the data-loss window of %s exceeds the RPO of %s by %s", w, rpo, over);
	return 1;
}

static int check_rto(struct drill *d)
{
	char took[32], rto[32], over[32];

	if (d->a.rto_ns < 0 || d->recovery_ns <= d->a.rto_ns)
		return 0;
	drill_format_span(d->recovery_ns, took, sizeof(took));
	drill_format_span(d->a.rto_ns, rto, sizeof(rto));
	drill_format_span(d->recovery_ns - d->a.rto_ns, over, sizeof(over));
	drill_reason(d, "RTO not met: the recovery took %s, over the RTO of %s by %s", took, rto, over);
	return 1;
}

/* Damage and verification failures; 1 when there is any. */
static int check_data(struct drill *d)
{
	const struct drill_findings *f = &d->f;
	uint64_t differ = f->failures.total;
	int bad = 0;

	if (f->ndamaged > 0 || f->damaged_files > 0) {
		drill_reason(d, "damaged data: %zu object%s kept %llu file%s from being restored", f->ndamaged,
			     f->ndamaged == 1 ? "" : "s", (unsigned long long)f->damaged_files,
			     f->damaged_files == 1 ? "" : "s");
		bad = 1;
	}
	if (f->nsync_damage > 0) {
		drill_reason(d, "damaged index or snapshot objects on the site: %zu", f->nsync_damage);
		bad = 1;
	}
	/* consequences of what the restore reported, counted there */
	if (!f->damaged_paths.full)
		differ -= f->failures_after_damage;
	if (!f->error_paths.full)
		differ -= f->failures_after_error;
	if (differ > 0) {
		drill_reason(d, "verification: %llu entr%s of the restored tree differ%s from the snapshot",
			     (unsigned long long)differ, differ == 1 ? "y" : "ies", differ == 1 ? "s" : "");
		bad = 1;
	}
	return bad;
}

void drill_verdict(struct drill *d, int code)
{
	int data_bad, partial, rpo_bad, rto_bad, no_verify;

	if (code != 0) {
		drill_reason(d, "%s", d->fatal != NULL ? d->fatal : "the drill stopped early");
		d->exit_code = code;
		d->pass = 0;
		return;
	}
	data_bad = check_data(d);
	no_verify = !d->verified;
	if (no_verify)
		drill_reason(d, "the verification could not run: %s", d->verify_error ? d->verify_error : "unknown");
	partial = d->rst.errors > 0;
	if (partial)
		drill_reason(d, "%llu entr%s could not be restored completely", (unsigned long long)d->rst.errors,
			     d->rst.errors == 1 ? "y" : "ies");
	rpo_bad = check_rpo(d);
	rto_bad = check_rto(d);
	if (data_bad)
		d->exit_code = CAIRN_EXIT_DAMAGED;
	else if (no_verify)
		d->exit_code = CAIRN_EXIT_ERROR;
	else if (partial)
		d->exit_code = CAIRN_EXIT_PARTIAL;
	else if (rpo_bad)
		d->exit_code = CAIRN_EXIT_RPO;
	else if (rto_bad)
		d->exit_code = CAIRN_EXIT_RTO;
	else
		d->exit_code = CAIRN_EXIT_OK;
	d->pass = d->exit_code == CAIRN_EXIT_OK;
}
