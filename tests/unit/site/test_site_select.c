/* Recovery-point selection across sites (cairn_site_select): the newest point at or before a time, read from
 * the nearest site that holds it; a nearer replica that lags is passed over; the primary down or without the
 * point; sites that disagree; the primary's tie margin; no site with the point; every site down; a site that
 * cannot be opened; a failed lookup. Three local repositories (a primary and two copies of it that hold
 * different snapshots); the probe's opener hook adds a fixed delay per site, so "nearest" is decided by the
 * test, not by the machine. */
#include "cairn_test.h"

#include "repo_fixture.h"

#include "cairn/config.h"
#include "cairn/err.h"
#include "cairn/site.h"
#include "cairn/snapshot.h"
#include "cairn/store.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MS 1000000LL
#define SEC 1000000000LL

struct fixture {
	struct repo_fixture rf;     /* the primary */
	char near[600], far[600];   /* the replicas' directories */
	struct cairn_config *cfg;
	char snap[3][CAIRN_ID_HEX]; /* taken at 1000 s, 2000 s, 3000 s */
	/* the probe hook: delay per site (primary, near, far), and sites that are down */
	int64_t delay_ns[3];
	int down[3];
	int refuse_open[3];         /* the opener fails for this site (its config is readable) */
	int opened[3];              /* how often the opener opened each site */
};

static int site_index(const struct fixture *f, const struct cairn_site_config *site)
{
	if (site == &f->cfg->primary)
		return 0;
	return site == &f->cfg->replicas[0] ? 1 : 2;
}

static const char *site_dir(const struct fixture *f, int i)
{
	return i == 0 ? f->rf.repo : i == 1 ? f->near : f->far;
}

/* The probe's opener: the site's local store, after its delay; a site that is down does not answer. */
static int probe_open(void *ctx, const struct cairn_site_config *site, struct cairn_store **ret)
{
	struct fixture *f = ctx;
	int i = site_index(f, site);
	struct timespec ts = { (time_t)(f->delay_ns[i] / SEC), (long)(f->delay_ns[i] % SEC) };

	nanosleep(&ts, NULL);
	if (f->down[i])
		return cairn_err(CAIRN_ETRANSIENT, "site '%s' is down", site->name);
	return cairn_store_local_open(site_dir(f, i), 0, ret);
}

/* The selection's opener: the site's repository with its own catalog, synchronised. */
static int repo_open(void *ctx, const struct cairn_site_config *site, struct cairn_repo **ret)
{
	struct fixture *f = ctx;
	int i = site_index(f, site);
	char state[700];
	struct cairn_repo *r = NULL;
	int rc;

	if (f->refuse_open[i])
		return cairn_err(CAIRN_EAUTH, "wrong key for '%s'", site->name);
	snprintf(state, sizeof(state), "%s/state-%d", f->rf.dir, i);
	rc = cairn_repo_open(site_dir(f, i), f->rf.secret, state, &r);
	if (rc == 0 && (rc = cairn_repo_sync(r, NULL, NULL)) != 0)
		cairn_repo_close(r);
	if (rc == 0) {
		f->opened[i]++;
		*ret = r;
	}
	return rc;
}

struct copy {
	struct cairn_store *from, *to;
	const char *skip[3];
};

static int copy_object(void *ctx, const char *name, uint64_t size)
{
	struct copy *c = ctx;
	struct cairn_buf b;

	(void)size;
	for (size_t i = 0; i < 3; i++)
		if (c->skip[i] != NULL && strcmp(c->skip[i], name) == 0)
			return 0;
	memset(&b, 0, sizeof(b));
	assert_int_equal(cairn_store_get(c->from, name, 0, UINT64_MAX, &b), 0);
	assert_int_equal(cairn_store_put(c->to, name, b.data, b.len), 0);
	cairn_buf_free(&b);
	return 0;
}

/* A copy of the primary at `dir` without the snapshot objects in skip[]. */
static void replica_of(struct fixture *f, const char *dir, const char *skip0, const char *skip1)
{
	struct copy c = { NULL, NULL, { skip0, skip1, NULL } };

	assert_int_equal(cairn_store_local_open(f->rf.repo, 0, &c.from), 0);
	assert_int_equal(cairn_store_local_open(dir, 1, &c.to), 0);
	assert_int_equal(cairn_store_list(c.from, "", copy_object, &c), 0);
	cairn_store_free(c.from);
	cairn_store_free(c.to);
}

static void take_snapshot(struct fixture *f, int k, int64_t time_ns)
{
	struct cairn_snapshot s;

	memset(&s, 0, sizeof(s));
	s.time_ns = time_ns;
	s.host = cairn_strdup("h");
	s.user = cairn_strdup("u");
	assert_int_equal(cairn_snapshot_write(f->rf.r, &s), 0);
	snprintf(f->snap[k], sizeof(f->snap[k]), "%s", s.id);
	cairn_snapshot_clear(&s);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char name[3][16 + CAIRN_ID_HEX], *text;

	repo_fixture_init(&f->rf, "site_select");
	repo_fixture_create(&f->rf, NULL);
	for (int k = 0; k < 3; k++)
		take_snapshot(f, k, (int64_t)(k + 1) * 1000 * SEC);
	for (int k = 0; k < 3; k++)
		snprintf(name[k], sizeof(name[k]), "snapshots/%s", f->snap[k]);
	snprintf(f->near, sizeof(f->near), "%s/near", f->rf.dir);
	snprintf(f->far, sizeof(f->far), "%s/far", f->rf.dir);
	replica_of(f, f->near, name[2], NULL); /* lags: the newest snapshot is not there yet */
	replica_of(f, f->far, NULL, NULL);
	text = cairn_asprintf("[repository]\nurl = %s\n[replica near]\nurl = %s\n[replica far]\nurl = %s\n", f->rf.repo,
			      f->near, f->far);
	assert_non_null(text);
	if (cairn_config_parse(text, "test.conf", &f->cfg) != 0)
		fail_msg("%s", cairn_err_msg());
	free(text);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	cairn_config_free(f->cfg);
	repo_fixture_fini(&f->rf);
	free(f);
	return 0;
}

/* One selection with the fixture's delays; *ch, *repo and *snap are the caller's. */
static int run(struct fixture *f, const struct cairn_site_query *q, struct cairn_site_choice *ch,
	       struct cairn_repo **repo, struct cairn_snapshot *snap, int *found)
{
	struct cairn_site_probe_opts po = { .deadline_ns = 2 * SEC, .open = probe_open, .ctx = f };

	*repo = NULL;
	memset(snap, 0, sizeof(*snap));
	return cairn_site_select(f->cfg, &po, q, repo_open, f, ch, repo, snap, found);
}

static void done(struct cairn_site_choice *ch, struct cairn_repo *repo, struct cairn_snapshot *snap)
{
	cairn_repo_close(repo);
	cairn_snapshot_clear(snap);
	cairn_site_choice_free(ch);
}

static void test_select_primary_newest_at_or_before(void **state)
{
	struct fixture *f = *state;
	struct cairn_site_query q = { NULL, 2500 * SEC };
	struct cairn_site_choice ch;
	struct cairn_snapshot snap;
	struct cairn_repo *repo;
	int found = 0;

	f->delay_ns[1] = 60 * MS;
	f->delay_ns[2] = 120 * MS;
	assert_int_equal(run(f, &q, &ch, &repo, &snap, &found), 0);
	assert_true(found);
	assert_string_equal(snap.id, f->snap[1]); /* 2000 s: the newest at or before 2500 s */
	assert_int_equal(snap.time_ns, 2000 * SEC);
	assert_int_equal(ch.chosen, 0);
	assert_ptr_equal(ch.site, &f->cfg->primary);
	assert_int_equal(ch.reason, CAIRN_SITE_REASON_NEAREST_HOLDER);
	assert_int_equal(ch.failure, CAIRN_SITE_FAIL_NONE);
	assert_int_equal(ch.nprobes, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_true(ch.probes[i].healthy);
		assert_int_equal(ch.probes[i].skip, CAIRN_SITE_SKIP_NONE);
	}
	assert_int_equal(f->opened[1] + f->opened[2], 0); /* the replicas were not opened */
	done(&ch, repo, &snap);
}

/* The nearest replica lags (does not hold the newest point): passed over for the next one that holds it, so a
 * nearby replica never costs a newer point (the data-loss window stays the primary's). */
static void test_select_lagging_replica_passed_over(void **state)
{
	struct fixture *f = *state;
	struct cairn_site_query q = { NULL, 3500 * SEC };
	struct cairn_site_choice ch;
	struct cairn_snapshot snap;
	struct cairn_repo *repo;
	char notes[2048];
	int found = 0;

	f->delay_ns[0] = 200 * MS;
	f->delay_ns[1] = 0;
	f->delay_ns[2] = 60 * MS;
	assert_int_equal(run(f, &q, &ch, &repo, &snap, &found), 0);
	assert_true(found);
	assert_string_equal(snap.id, f->snap[2]);
	assert_int_equal(q.at_ns - snap.time_ns, 500 * SEC); /* the window of the primary's newest point */
	assert_int_equal(ch.chosen, 2);
	assert_string_equal(ch.site->name, "far");
	assert_int_equal(ch.reason, CAIRN_SITE_REASON_NEAREST_HOLDER);
	assert_int_equal(ch.probes[1].skip, CAIRN_SITE_SKIP_NOT_HELD);
	assert_non_null(strstr(ch.probes[1].note, "does not hold snapshot"));
	assert_int_equal(ch.probes[0].skip, CAIRN_SITE_SKIP_SLOWER);
	assert_non_null(strstr(ch.probes[0].note, "slower than far"));
	cairn_site_choice_notes(&ch, 0, notes, sizeof(notes));
	assert_non_null(strstr(notes, "primary: config read in"));
	assert_non_null(strstr(notes, "; near: does not hold snapshot"));
	assert_null(strstr(notes, "far:"));
	assert_int_equal(f->opened[1], 0); /* it was asked, not opened */
	done(&ch, repo, &snap);
}

/* An older point the lagging replica holds: read from it, the nearest. */
static void test_select_nearest_replica_holds_older_point(void **state)
{
	struct fixture *f = *state;
	struct cairn_site_query q = { NULL, 2500 * SEC };
	struct cairn_site_choice ch;
	struct cairn_snapshot snap;
	struct cairn_repo *repo;
	int found = 0;

	f->delay_ns[0] = 200 * MS;
	f->delay_ns[2] = 60 * MS;
	assert_int_equal(run(f, &q, &ch, &repo, &snap, &found), 0);
	assert_true(found);
	assert_string_equal(snap.id, f->snap[1]);
	assert_int_equal(ch.chosen, 1);
	assert_int_equal(ch.probes[1].skip, CAIRN_SITE_SKIP_NONE);
	assert_int_equal(ch.probes[2].skip, CAIRN_SITE_SKIP_NONE); /* never looked at */
	done(&ch, repo, &snap);
}

/* Within the tie margin the primary is read, though a replica answered first. */
static void test_select_primary_wins_tie(void **state)
{
	struct fixture *f = *state;
	struct cairn_site_query q = { NULL, 3500 * SEC };
	struct cairn_site_choice ch;
	struct cairn_snapshot snap;
	struct cairn_repo *repo;
	int found = 0;

	f->delay_ns[0] = 5 * MS;
	f->delay_ns[1] = 0;
	f->delay_ns[2] = 0;
	assert_int_equal(run(f, &q, &ch, &repo, &snap, &found), 0);
	assert_true(found);
	if (ch.probes[0].latency_ns - ch.probes[2].latency_ns > CAIRN_SITE_PROBE_TIE_NS)
		skip(); /* this machine took more than the margin for a 5 ms difference */
	assert_int_equal(ch.chosen, 0);
	assert_string_equal(snap.id, f->snap[2]);
	assert_int_equal(ch.probes[0].skip, CAIRN_SITE_SKIP_NONE);
	done(&ch, repo, &snap);
}

/* The primary down: the nearest replica with a point wins, even when a farther one holds a newer point (the
 * sites disagree; the nearer answer is taken). */
static void test_select_primary_down(void **state)
{
	struct fixture *f = *state;
	struct cairn_site_query q = { NULL, 3500 * SEC };
	struct cairn_site_choice ch;
	struct cairn_snapshot snap;
	struct cairn_repo *repo;
	int found = 0;

	f->down[0] = 1;
	f->delay_ns[2] = 60 * MS;
	assert_int_equal(run(f, &q, &ch, &repo, &snap, &found), 0);
	assert_true(found);
	assert_int_equal(ch.chosen, 1);
	assert_string_equal(snap.id, f->snap[1]); /* near's newest, though far holds 3000 s */
	assert_int_equal(ch.reason, CAIRN_SITE_REASON_REPLICA_POINT);
	assert_false(ch.probes[0].healthy);
	assert_int_equal(ch.probes[0].rc, CAIRN_ETRANSIENT);
	assert_int_equal(ch.probes[0].skip, CAIRN_SITE_SKIP_DOWN);
	assert_non_null(strstr(ch.probes[0].note, "is down"));
	assert_int_equal(f->opened[0], 0);
	done(&ch, repo, &snap);
}

/* The primary has no such point (asked by id: a snapshot only the replicas keep). */
static void test_select_snapshot_only_on_replica(void **state)
{
	struct fixture *f = *state;
	struct cairn_site_query q = { NULL, 0 };
	struct cairn_site_choice ch;
	struct cairn_snapshot snap;
	struct cairn_repo *repo;
	char prefix[9];
	int found = 0;

	/* forget snapshot 0 on the primary; the replicas keep it */
	assert_int_equal(cairn_snapshot_delete(f->rf.r, f->snap[0]), 0);
	snprintf(prefix, sizeof(prefix), "%.8s", f->snap[0]);
	q.snapshot = prefix;
	f->delay_ns[1] = 60 * MS;
	f->delay_ns[2] = 30 * MS;
	assert_int_equal(run(f, &q, &ch, &repo, &snap, &found), 0);
	assert_true(found);
	assert_string_equal(snap.id, f->snap[0]);
	assert_int_equal(ch.chosen, 2); /* the nearer replica */
	assert_int_equal(ch.reason, CAIRN_SITE_REASON_REPLICA_POINT);
	assert_int_equal(ch.probes[0].skip, CAIRN_SITE_SKIP_NO_POINT);
	assert_non_null(strstr(ch.probes[0].note, "no snapshot '"));
	done(&ch, repo, &snap);
}

/* No site has a point that early: not found, the first site opened is kept for a listing. */
static void test_select_none_matching(void **state)
{
	struct fixture *f = *state;
	struct cairn_site_query q = { NULL, 500 * SEC };
	struct cairn_site_choice ch;
	struct cairn_snapshot snap;
	struct cairn_repo *repo;
	char notes[2048];
	int found = 1;

	f->delay_ns[1] = 60 * MS;
	f->delay_ns[2] = 120 * MS;
	assert_int_equal(run(f, &q, &ch, &repo, &snap, &found), 0);
	assert_false(found);
	assert_non_null(repo);
	assert_int_equal(ch.chosen, 0);
	assert_int_equal(ch.reason, CAIRN_SITE_REASON_NO_POINT);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(ch.probes[i].skip, CAIRN_SITE_SKIP_NO_POINT);
		assert_non_null(strstr(ch.probes[i].note, "no recovery point at or before"));
	}
	assert_int_equal(f->opened[0] + f->opened[1] + f->opened[2], 3);
	cairn_site_choice_notes(&ch, 1, notes, sizeof(notes));
	assert_non_null(strstr(notes, "primary: no recovery point"));
	cairn_site_choice_notes(&ch, 0, notes, sizeof(notes));
	assert_null(strstr(notes, "primary:"));
	done(&ch, repo, &snap);
}

static void test_select_all_down(void **state)
{
	struct fixture *f = *state;
	struct cairn_site_query q = { NULL, 3500 * SEC };
	struct cairn_site_choice ch;
	struct cairn_snapshot snap;
	struct cairn_repo *repo;
	int found = 1;

	f->down[0] = f->down[1] = f->down[2] = 1;
	assert_int_equal(run(f, &q, &ch, &repo, &snap, &found), CAIRN_ETRANSIENT);
	assert_false(found);
	assert_null(repo);
	assert_int_equal(ch.failure, CAIRN_SITE_FAIL_NONE_HEALTHY);
	assert_null(ch.site);
	assert_int_equal(ch.nprobes, 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(ch.probes[i].skip, CAIRN_SITE_SKIP_DOWN);
	done(&ch, repo, &snap);
}

/* A replica whose config is read but whose repository cannot be opened is passed over. */
static void test_select_replica_open_fails(void **state)
{
	struct fixture *f = *state;
	struct cairn_site_query q = { NULL, 2500 * SEC };
	struct cairn_site_choice ch;
	struct cairn_snapshot snap;
	struct cairn_repo *repo;
	int found = 0;

	f->delay_ns[0] = 200 * MS;
	f->delay_ns[2] = 60 * MS;
	f->refuse_open[1] = 1;
	assert_int_equal(run(f, &q, &ch, &repo, &snap, &found), 0);
	assert_true(found);
	assert_int_equal(ch.chosen, 2);
	assert_string_equal(snap.id, f->snap[1]);
	assert_int_equal(ch.probes[1].skip, CAIRN_SITE_SKIP_OPEN_FAILED);
	done(&ch, repo, &snap);
}

/* The healthy primary cannot be opened: the opener's error, nothing open. */
static void test_select_primary_open_fails(void **state)
{
	struct fixture *f = *state;
	struct cairn_site_query q = { NULL, 2500 * SEC };
	struct cairn_site_choice ch;
	struct cairn_snapshot snap;
	struct cairn_repo *repo;
	int found = 1;

	f->refuse_open[0] = 1;
	assert_int_equal(run(f, &q, &ch, &repo, &snap, &found), CAIRN_EAUTH);
	assert_int_equal(ch.failure, CAIRN_SITE_FAIL_OPEN_PRIMARY);
	assert_false(found);
	assert_null(repo);
	done(&ch, repo, &snap);
}

/* A lookup that fails (an ambiguous or too short prefix), not "none": an error, not a search elsewhere. */
static void test_select_lookup_error(void **state)
{
	struct fixture *f = *state;
	struct cairn_site_query q = { "a", 0 };
	struct cairn_site_choice ch;
	struct cairn_snapshot snap;
	struct cairn_repo *repo;
	int found = 1, rc;

	rc = run(f, &q, &ch, &repo, &snap, &found);
	assert_true(rc < 0 && rc != CAIRN_ENOTFOUND);
	assert_int_equal(ch.failure, CAIRN_SITE_FAIL_LOOKUP);
	assert_null(repo);
	assert_int_equal(f->opened[1] + f->opened[2], 0);
	done(&ch, repo, &snap);
}

static void test_find_point_and_text(void **state)
{
	struct fixture *f = *state;
	struct cairn_site_query q = { NULL, 1999 * SEC };
	struct cairn_snapshot snap = { 0 };
	char text[200];

	assert_int_equal(cairn_repo_sync(f->rf.r, NULL, NULL), 0);
	assert_int_equal(cairn_site_find_point(f->rf.r, &q, &snap), 0);
	assert_string_equal(snap.id, f->snap[0]);
	cairn_snapshot_clear(&snap);
	q.at_ns = 999 * SEC;
	assert_int_equal(cairn_site_find_point(f->rf.r, &q, &snap), CAIRN_ENOTFOUND);
	cairn_site_no_point_text(&q, text, sizeof(text));
	assert_string_equal(text, "no recovery point at or before 1970-01-01T00:16:39Z");
	q.snapshot = "abcdef12";
	cairn_site_no_point_text(&q, text, sizeof(text));
	assert_string_equal(text, "no snapshot 'abcdef12'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_select_primary_newest_at_or_before, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_lagging_replica_passed_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_nearest_replica_holds_older_point, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_primary_wins_tie, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_primary_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_snapshot_only_on_replica, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_none_matching, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_all_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_replica_open_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_primary_open_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_lookup_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find_point_and_text, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
