/* A drill's verdict and the one loss-window rule. Every reason to fail is
 * listed; the result is that of the worst, in this order: damaged data or a
 * restored entry that differs from the snapshot (the data is not what was
 * saved), a verification that could not run, entries the restore could not
 * create, RPO not met, RTO not met. */
#include "cairn/drill.h"

#include "cairn/timeutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void cairn_drill_rpo_judge(int64_t requested_ns, int64_t point_ns, int64_t rpo_ns, struct cairn_drill_rpo *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->have_point = point_ns >= 0;
	ret->window_ns = !ret->have_point ? -1 : requested_ns > point_ns ? requested_ns - point_ns : 0;
	if (rpo_ns < 0)
		ret->met = true;
	else if (ret->have_point)
		ret->met = ret->window_ns <= rpo_ns;
	ret->over_ns = ret->have_point && !ret->met ? ret->window_ns - rpo_ns : 0;
}

static void add_reason(struct cairn_drill_verdict *v, enum cairn_drill_result kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void add_reason(struct cairn_drill_verdict *v, enum cairn_drill_result kind, const char *fmt, ...)
{
	struct cairn_drill_reason *r;
	va_list ap;

	if (v->nreasons >= CAIRN_DRILL_REASONS_MAX)
		return;
	r = &v->reasons[v->nreasons++];
	r->kind = kind;
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
	if (v->result == CAIRN_DRILL_PASS || kind < v->result)
		v->result = kind;
}

/* Damage and verification failures. */
static void check_data(const struct cairn_drill_outcome *in, struct cairn_drill_verdict *v)
{
	if (in->damaged_objects > 0 || in->damaged_files > 0)
		add_reason(v, CAIRN_DRILL_DAMAGED, "damaged data: %zu object%s kept %llu file%s from being restored",
			   in->damaged_objects, in->damaged_objects == 1 ? "" : "s",
			   (unsigned long long)in->damaged_files, in->damaged_files == 1 ? "" : "s");
	if (in->sync_damage > 0)
		add_reason(v, CAIRN_DRILL_DAMAGED, "damaged index or snapshot objects on the site: %zu", in->sync_damage);
	if (in->differ > 0)
		add_reason(v, CAIRN_DRILL_DAMAGED, "verification: %llu entr%s of the restored tree differ%s from the snapshot",
			   (unsigned long long)in->differ, in->differ == 1 ? "y" : "ies", in->differ == 1 ? "s" : "");
}

static void check_rpo(const struct cairn_drill_outcome *in, struct cairn_drill_verdict *v)
{
	char w[32], rpo[32], over[32];

	if (in->rpo.met || in->rpo_ns < 0 || !in->rpo.have_point)
		return;
	cairn_duration_format(in->rpo.window_ns, w, sizeof(w));
	cairn_duration_format(in->rpo_ns, rpo, sizeof(rpo));
	cairn_duration_format(in->rpo.over_ns, over, sizeof(over));
	if (in->rpo_of_newest)
		add_reason(v, CAIRN_DRILL_RPO, "RPO not met: the site's newest point is %s old, over the RPO of %s by %s",
			   w, rpo, over);
	else
		add_reason(v, CAIRN_DRILL_RPO, "RPO not met: the data-loss window of %s exceeds the RPO of %s by %s", w,
			   rpo, over);
}

static void check_rto(const struct cairn_drill_outcome *in, struct cairn_drill_verdict *v)
{
	char took[32], rto[32], over[32];

	if (in->rto_ns < 0 || in->recovery_ns <= in->rto_ns)
		return;
	cairn_drill_format_span(in->recovery_ns, took, sizeof(took));
	cairn_drill_format_span(in->rto_ns, rto, sizeof(rto));
	cairn_drill_format_span(in->recovery_ns - in->rto_ns, over, sizeof(over));
	add_reason(v, CAIRN_DRILL_RTO, "RTO not met: the recovery took %s, over the RTO of %s by %s", took, rto, over);
}

void cairn_drill_verdict(const struct cairn_drill_outcome *in, struct cairn_drill_verdict *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->result = CAIRN_DRILL_PASS;
	check_data(in, ret);
	if (!in->verified)
		add_reason(ret, CAIRN_DRILL_UNVERIFIED, "the verification could not run: %s",
			   in->verify_error ? in->verify_error : "unknown");
	if (in->restore_errors > 0)
		add_reason(ret, CAIRN_DRILL_PARTIAL, "%llu entr%s could not be restored completely",
			   (unsigned long long)in->restore_errors, in->restore_errors == 1 ? "y" : "ies");
	check_rpo(in, ret);
	check_rto(in, ret);
}

void cairn_drill_outcome_from_findings(const struct cairn_drill_findings *f, struct cairn_drill_outcome *out)
{
	uint64_t differ = f->failures.total;

	out->damaged_objects = f->ndamaged;
	out->damaged_files = f->damaged_files;
	out->sync_damage = f->nsync_damage;
	/* consequences of what the restore reported, counted there */
	if (!f->damaged_paths.full)
		differ -= f->failures_after_damage;
	if (!f->error_paths.full)
		differ -= f->failures_after_error;
	out->differ = differ;
}
