/* Tests of lib/drill/drill_verdict.c: the one loss-window rule (inside and
 * outside the RPO, the boundary, no RPO, no point, a point after the
 * requested time) and the drill's verdict (each reason, their order, the
 * worst result, RTO boundaries, the consequences of reported damage). */
#include "cairn_test.h"

#include "cairn/drill.h"
#include "cairn/timeutil.h"

#include <string.h>

#define SEC CAIRN_NS_PER_SEC
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define T0 (1800000000LL * SEC)

static void test_cairn_drill_rpo_judge_inside(void **state)
{
	struct cairn_drill_rpo r;

	(void)state;
	cairn_drill_rpo_judge(T0, T0 - 30 * MIN, HOUR, &r);
	assert_true(r.have_point);
	assert_int_equal(r.window_ns, 30 * MIN);
	assert_true(r.met);
	assert_int_equal(r.over_ns, 0);
}

static void test_cairn_drill_rpo_judge_outside(void **state)
{
	struct cairn_drill_rpo r;

	(void)state;
	cairn_drill_rpo_judge(T0, T0 - 3 * HOUR, HOUR, &r);
	assert_int_equal(r.window_ns, 3 * HOUR);
	assert_false(r.met);
	assert_int_equal(r.over_ns, 2 * HOUR);
}

static void test_cairn_drill_rpo_judge_boundary(void **state)
{
	struct cairn_drill_rpo r;

	(void)state;
	cairn_drill_rpo_judge(T0, T0 - HOUR, HOUR, &r); /* exactly the RPO: met */
	assert_true(r.met);
	cairn_drill_rpo_judge(T0, T0 - HOUR - 1, HOUR, &r); /* one nanosecond over */
	assert_false(r.met);
	assert_int_equal(r.over_ns, 1);
	cairn_drill_rpo_judge(T0, T0, 0, &r); /* RPO 0: only the requested instant */
	assert_true(r.met);
}

static void test_cairn_drill_rpo_judge_no_rpo(void **state)
{
	struct cairn_drill_rpo r;

	(void)state;
	cairn_drill_rpo_judge(T0, T0 - 1000 * HOUR, -1, &r);
	assert_int_equal(r.window_ns, 1000 * HOUR);
	assert_true(r.met);
	assert_int_equal(r.over_ns, 0);
	cairn_drill_rpo_judge(T0, -1, -1, &r); /* no point, no RPO: nothing to miss */
	assert_false(r.have_point);
	assert_true(r.met);
}

static void test_cairn_drill_rpo_judge_no_point(void **state)
{
	struct cairn_drill_rpo r;

	(void)state;
	cairn_drill_rpo_judge(T0, -1, HOUR, &r);
	assert_false(r.have_point);
	assert_int_equal(r.window_ns, -1);
	assert_false(r.met);
	assert_int_equal(r.over_ns, 0);
}

static void test_cairn_drill_rpo_judge_point_after_request(void **state)
{
	struct cairn_drill_rpo r;

	(void)state;
	/* a point newer than the requested time (a clock set back): no window */
	cairn_drill_rpo_judge(T0, T0 + HOUR, MIN, &r);
	assert_int_equal(r.window_ns, 0);
	assert_true(r.met);
}

/* A drill that ran through without a problem and without objectives. */
static struct cairn_drill_outcome clean(void)
{
	struct cairn_drill_outcome o;

	memset(&o, 0, sizeof(o));
	o.verified = true;
	o.rpo_ns = -1;
	o.rto_ns = -1;
	o.recovery_ns = 5 * SEC;
	cairn_drill_rpo_judge(T0, T0 - HOUR, o.rpo_ns, &o.rpo);
	return o;
}

static void test_cairn_drill_verdict_pass(void **state)
{
	struct cairn_drill_outcome o = clean();
	struct cairn_drill_verdict v;

	(void)state;
	cairn_drill_verdict(&o, &v);
	assert_int_equal(v.result, CAIRN_DRILL_PASS);
	assert_int_equal(v.nreasons, 0);
}

static void test_cairn_drill_verdict_rpo(void **state)
{
	struct cairn_drill_outcome o = clean();
	struct cairn_drill_verdict v;

	(void)state;
	o.rpo_ns = 30 * MIN;
	cairn_drill_rpo_judge(T0, T0 - HOUR, o.rpo_ns, &o.rpo);
	cairn_drill_verdict(&o, &v);
	assert_int_equal(v.result, CAIRN_DRILL_RPO);
	assert_int_equal(v.nreasons, 1);
	assert_int_equal(v.reasons[0].kind, CAIRN_DRILL_RPO);
	assert_string_equal(v.reasons[0].text, "RPO not met: the data-loss window of 1h exceeds the RPO of 30m by 30m");
	/* judged on the site's newest point (--random-point) */
	o.rpo_of_newest = true;
	cairn_drill_verdict(&o, &v);
	assert_string_equal(v.reasons[0].text, "RPO not met: the site's newest point is 1h old, over the RPO of 30m by 30m");
	/* at the boundary it passes */
	o.rpo_ns = HOUR;
	cairn_drill_rpo_judge(T0, T0 - HOUR, o.rpo_ns, &o.rpo);
	cairn_drill_verdict(&o, &v);
	assert_int_equal(v.result, CAIRN_DRILL_PASS);
}

static void test_cairn_drill_verdict_rto(void **state)
{
	struct cairn_drill_outcome o = clean();
	struct cairn_drill_verdict v;

	(void)state;
	o.rto_ns = 5 * SEC; /* the boundary: met */
	cairn_drill_verdict(&o, &v);
	assert_int_equal(v.result, CAIRN_DRILL_PASS);
	o.recovery_ns = 5 * SEC + 500 * 1000000LL;
	cairn_drill_verdict(&o, &v);
	assert_int_equal(v.result, CAIRN_DRILL_RTO);
	assert_string_equal(v.reasons[0].text,
			    "RTO not met: the recovery took 5.500 s, over the RTO of 5.000 s by 0.500 s");
	o.recovery_ns = -1; /* not measured: nothing to judge */
	cairn_drill_verdict(&o, &v);
	assert_int_equal(v.result, CAIRN_DRILL_PASS);
}

/* Every reason listed in order; the result is the worst. */
static void test_cairn_drill_verdict_worst_first(void **state)
{
	struct cairn_drill_outcome o = clean();
	struct cairn_drill_verdict v;

	(void)state;
	o.rto_ns = SEC;
	o.rpo_ns = MIN;
	cairn_drill_rpo_judge(T0, T0 - HOUR, o.rpo_ns, &o.rpo);
	o.restore_errors = 2;
	cairn_drill_verdict(&o, &v);
	assert_int_equal(v.result, CAIRN_DRILL_PARTIAL);
	assert_int_equal(v.nreasons, 3);
	assert_string_equal(v.reasons[0].text, "2 entries could not be restored completely");
	assert_int_equal(v.reasons[1].kind, CAIRN_DRILL_RPO);
	assert_int_equal(v.reasons[2].kind, CAIRN_DRILL_RTO);

	o.verified = false;
	o.verify_error = "cannot open '/scratch': permission denied";
	cairn_drill_verdict(&o, &v);
	assert_int_equal(v.result, CAIRN_DRILL_UNVERIFIED);
	assert_string_equal(v.reasons[0].text, "the verification could not run: cannot open '/scratch': permission denied");
	o.verify_error = NULL;
	cairn_drill_verdict(&o, &v);
	assert_string_equal(v.reasons[0].text, "the verification could not run: unknown");

	o.damaged_objects = 1;
	o.damaged_files = 3;
	o.sync_damage = 2;
	o.differ = 1;
	cairn_drill_verdict(&o, &v);
	assert_int_equal(v.result, CAIRN_DRILL_DAMAGED);
	assert_int_equal(v.nreasons, 7);
	assert_string_equal(v.reasons[0].text, "damaged data: 1 object kept 3 files from being restored");
	assert_string_equal(v.reasons[1].text, "damaged index or snapshot objects on the site: 2");
	assert_string_equal(v.reasons[2].text, "verification: 1 entry of the restored tree differs from the snapshot");
	assert_int_equal(v.reasons[3].kind, CAIRN_DRILL_UNVERIFIED);
	assert_int_equal(v.reasons[4].kind, CAIRN_DRILL_PARTIAL);
}

/* Verification failures at paths the restore reported are its
 * consequences, not differences of their own; unless the path set
 * overflowed, when membership is unknown and every failure counts. */
static void test_cairn_drill_outcome_from_findings(void **state)
{
	struct cairn_drill_findings f;
	struct cairn_drill_outcome o = clean();
	struct cairn_drill_verdict v;
	struct cairn_event dmg = { .code = CAIRN_EVENT_DAMAGED_BLOB, .path = "/a", .object_name = "data/ab/pack1",
				   .message = "bad mac" };
	struct cairn_event err = { .code = CAIRN_EVENT_NOT_RESTORED, .path = "/b", .message = "permission denied" };
	struct cairn_event va = { .code = CAIRN_EVENT_DIFFERS, .path = "/a", .message = "missing", .flags = 1 };
	struct cairn_event vb = { .code = CAIRN_EVENT_DIFFERS, .path = "/b", .message = "missing", .flags = 1 };
	struct cairn_event vc = { .code = CAIRN_EVENT_DIFFERS, .path = "/c", .message = "size differs", .flags = 2 };

	(void)state;
	memset(&f, 0, sizeof(f));
	dmg.object.type = CAIRN_EVENT_OBJECT_PACK;
	memset(dmg.object.id, 0xab, sizeof(dmg.object.id));
	cairn_drill_on_restore_problem(&f, &dmg);
	cairn_drill_on_restore_problem(&f, &err);
	assert_int_equal(cairn_drill_on_verify_failure(&f, &va), CAIRN_DRILL_AFTER_DAMAGE);
	assert_int_equal(cairn_drill_on_verify_failure(&f, &vb), CAIRN_DRILL_AFTER_ERROR);
	assert_int_equal(cairn_drill_on_verify_failure(&f, &vc), CAIRN_DRILL_AFTER_NONE);
	cairn_drill_outcome_from_findings(&f, &o);
	assert_int_equal(o.damaged_objects, 1);
	assert_int_equal(o.damaged_files, 1);
	assert_int_equal(o.differ, 1);
	o.restore_errors = 1;
	cairn_drill_verdict(&o, &v);
	assert_int_equal(v.result, CAIRN_DRILL_DAMAGED);
	f.damaged_paths.full = 1;
	cairn_drill_outcome_from_findings(&f, &o);
	assert_int_equal(o.differ, 2);
	cairn_drill_findings_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cairn_drill_rpo_judge_inside),
		cmocka_unit_test(test_cairn_drill_rpo_judge_outside),
		cmocka_unit_test(test_cairn_drill_rpo_judge_boundary),
		cmocka_unit_test(test_cairn_drill_rpo_judge_no_rpo),
		cmocka_unit_test(test_cairn_drill_rpo_judge_no_point),
		cmocka_unit_test(test_cairn_drill_rpo_judge_point_after_request),
		cmocka_unit_test(test_cairn_drill_verdict_pass),
		cmocka_unit_test(test_cairn_drill_verdict_rpo),
		cmocka_unit_test(test_cairn_drill_verdict_rto),
		cmocka_unit_test(test_cairn_drill_verdict_worst_first),
		cmocka_unit_test(test_cairn_drill_outcome_from_findings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
