/* cairn-restore drill: the verdict as the program shows it. lib/drill
 * judges (cairn_drill_verdict: every reason to fail, the worst first); this
 * keeps the reasons and maps the result to an exit code: 8 damaged data or
 * a restored entry that differs from the snapshot, 1 a verification that
 * could not run, 3 entries the restore could not create, 7 RPO not met, 11
 * RTO not met. A drill stopped early keeps the exit code of the step that
 * stopped it (9: no recovery point). */
#include "drill.h"

#include "cairn/buf.h"

#include <stdlib.h>

static void add_reason(struct drill *d, const char *text)
{
	char **grown, *copy = cairn_strdup(text);

	if (copy == NULL)
		return;
	grown = cairn_reallocarray(d->reasons, d->nreasons + 1, sizeof(*grown));
	if (grown == NULL) {
		free(copy);
		return;
	}
	d->reasons = grown;
	d->reasons[d->nreasons++] = copy;
}

static int exit_code_of(enum cairn_drill_result result)
{
	switch (result) {
	case CAIRN_DRILL_DAMAGED:
		return CAIRN_EXIT_DAMAGED;
	case CAIRN_DRILL_UNVERIFIED:
		return CAIRN_EXIT_ERROR;
	case CAIRN_DRILL_PARTIAL:
		return CAIRN_EXIT_PARTIAL;
	case CAIRN_DRILL_RPO:
		return CAIRN_EXIT_RPO;
	case CAIRN_DRILL_RTO:
		return CAIRN_EXIT_RTO;
	default:
		return CAIRN_EXIT_OK;
	}
}

/* The data-loss window the RPO is judged on: the point's (--at, latest),
 * or with --random-point the age of the site's newest point. */
static void judged_window(const struct drill *d, struct cairn_drill_rpo *ret)
{
	if (d->a.random_point)
		cairn_drill_rpo_judge(d->start_ns, d->newest_ns >= 0 ? d->newest_ns : d->start_ns, d->a.rpo_ns, ret);
	else
		cairn_drill_rpo_judge(d->requested_ns, d->snap.time_ns, d->a.rpo_ns, ret);
}

void drill_verdict(struct drill *d, int code)
{
	struct cairn_drill_outcome in = { 0 };
	struct cairn_drill_verdict v;

	if (code != 0) {
		add_reason(d, d->fatal != NULL ? d->fatal : "the drill stopped early");
		d->exit_code = code;
		d->pass = 0;
		return;
	}
	cairn_drill_outcome_from_findings(&d->f, &in);
	in.verified = d->verified;
	in.verify_error = d->verify_error;
	in.restore_errors = d->rst.errors;
	in.rpo_ns = d->a.rpo_ns;
	in.rto_ns = d->a.rto_ns;
	in.rpo_of_newest = d->a.random_point;
	judged_window(d, &in.rpo);
	in.recovery_ns = d->recovery_ns;
	cairn_drill_verdict(&in, &v);
	for (size_t i = 0; i < v.nreasons; i++)
		add_reason(d, v.reasons[i].text);
	d->exit_code = exit_code_of(v.result);
	d->pass = d->exit_code == CAIRN_EXIT_OK;
}
