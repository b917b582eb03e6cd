/* Unit tests for creating, opening and synchronising repositories: keys,
 * config validation, and rebuilding the catalog from the repository alone. */
#include "cairn_test.h"

#include "cairn/err.h"
#include "cairn/pack.h"
#include "cairn/repo.h"
#include "cairn/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fixture {
	char *dir;
	char repo[512];
	char state[512];
	struct cairn_secret *secret;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_int_equal(cairn_crypto_init(), 0);
	setenv("CAIRN_KDF_MEMLIMIT", "65536", 1);
	f->dir = cairn_test_mkdtemp("repo");
	snprintf(f->repo, sizeof(f->repo), "file://%s/repo", f->dir);
	snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	assert_int_equal(cairn_secret_new(CAIRN_SECRET_PASSPHRASE, "correct horse", 13, &f->secret), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	cairn_secret_free(f->secret);
	cairn_test_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void test_repo_init_and_open(void **state)
{
	struct fixture *f = *state;
	struct cairn_repo *r = NULL;
	char id[CAIRN_ID_HEX];

	assert_int_equal(cairn_repo_init(f->repo, f->secret, "host", NULL, id), 0);
	assert_int_equal(strlen(id), 64);
	assert_int_equal(cairn_repo_open(f->repo, f->secret, f->state, &r), 0);
	assert_string_equal(cairn_repo_config(r)->id, id);
	assert_int_equal(cairn_repo_config(r)->chunker.avg, 1024 * 1024);
	assert_int_equal(cairn_repo_sync(r, NULL, NULL), 0);
	cairn_repo_close(r);
	/* a second init refuses to touch the existing repository */
	assert_int_equal(cairn_repo_init(f->repo, f->secret, "host", NULL, NULL), CAIRN_EEXIST);
	assert_non_null(strstr(cairn_err_msg(), "already exists"));
}

static void test_repo_open_wrong_key(void **state)
{
	struct fixture *f = *state;
	struct cairn_secret *wrong = NULL;
	struct cairn_repo *r = NULL;

	assert_int_equal(cairn_repo_init(f->repo, f->secret, "host", NULL, NULL), 0);
	assert_int_equal(cairn_secret_new(CAIRN_SECRET_PASSPHRASE, "battery staple", 14, &wrong), 0);
	assert_int_equal(cairn_repo_open(f->repo, wrong, f->state, &r), CAIRN_EAUTH);
	assert_non_null(strstr(cairn_err_msg(), "wrong key or passphrase"));
	assert_null(r);
	cairn_secret_free(wrong);
}

static void test_repo_open_missing_and_malformed(void **state)
{
	struct fixture *f = *state;
	struct cairn_repo *r = NULL;
	char path[600];
	FILE *fp;

	assert_int_equal(cairn_repo_open(f->repo, f->secret, f->state, &r), CAIRN_ENOTFOUND);
	assert_non_null(strstr(cairn_err_msg(), "no repository at"));
	assert_int_equal(cairn_repo_init(f->repo, f->secret, "host", NULL, NULL), 0);
	snprintf(path, sizeof(path), "%s/repo/config", f->dir);
	fp = fopen(path, "w");
	fputs("{ not json", fp);
	fclose(fp);
	assert_int_equal(cairn_repo_open(f->repo, f->secret, f->state, &r), CAIRN_ECORRUPT);
	assert_non_null(strstr(cairn_err_msg(), "config"));
	fp = fopen(path, "w");
	fputs("{\"version\": 99, \"id\": \"x\", \"chunker\": {\"min\":1,\"avg\":2,\"max\":3}, \"pack_target\": 1}", fp);
	fclose(fp);
	assert_int_equal(cairn_repo_open(f->repo, f->secret, f->state, &r), CAIRN_EFORMAT);
	assert_non_null(strstr(cairn_err_msg(), "not supported"));
}

static int count_key(void *ctx, const struct cairn_repo_key_entry *e)
{
	int *n = ctx;

	assert_non_null(e->info);
	n[0]++;
	n[1] += e->current;
	return 0;
}

static void test_repo_keys_add_list_remove(void **state)
{
	struct fixture *f = *state;
	struct cairn_secret *second = NULL;
	struct cairn_repo *r = NULL, *r2 = NULL;
	char id2[CAIRN_ID_HEX];
	int counts[2] = { 0, 0 };

	assert_int_equal(cairn_repo_init(f->repo, f->secret, "host", NULL, NULL), 0);
	assert_int_equal(cairn_repo_open(f->repo, f->secret, f->state, &r), 0);
	assert_int_equal(cairn_secret_new(CAIRN_SECRET_KEYFILE, "0123456789abcdef0123456789abcdef", 32, &second), 0);
	assert_int_equal(cairn_repo_key_add(r, second, "h", "backup key", id2), 0);
	assert_int_equal(cairn_repo_key_list(r, count_key, counts), 0);
	assert_int_equal(counts[0], 2);
	assert_int_equal(counts[1], 1);
	/* the added key opens the same repository */
	assert_int_equal(cairn_repo_open(f->repo, second, f->state, &r2), 0);
	assert_string_equal(cairn_repo_config(r2)->id, cairn_repo_config(r)->id);
	assert_memory_equal(cairn_repo_keys(r2)->enc, cairn_repo_keys(r)->enc, CAIRN_KEY_BYTES);
	/* the key in use cannot be removed; the other can */
	assert_int_equal(cairn_repo_key_remove(r2, id2), CAIRN_EINVAL);
	assert_int_equal(cairn_repo_key_remove(r, "zz"), CAIRN_EINVAL);
	assert_int_equal(cairn_repo_key_remove(r, "00000000"), CAIRN_ENOTFOUND);
	assert_int_equal(cairn_repo_key_remove(r, id2), 0);
	cairn_repo_close(r2);
	r2 = NULL;
	assert_int_equal(cairn_repo_open(f->repo, second, f->state, &r2), CAIRN_EAUTH);
	/* the last key cannot be removed */
	assert_int_equal(cairn_repo_key_remove(r, cairn_repo_key_id(r)), CAIRN_EINVAL);
	cairn_secret_free(second);
	cairn_repo_close(r);
}

/* Write one data blob into a pack and an index, then a snapshot naming an
 * (empty) tree: enough to exercise catalog rebuilds. */
static void write_snapshot(struct cairn_repo *r, int64_t when)
{
	struct cairn_pack_writer *w = NULL;
	struct cairn_index_builder *ib = NULL;
	struct cairn_buf blob = { 0 }, pack = { 0 }, idx = { 0 };
	struct cairn_blob_loc *locs = NULL;
	struct cairn_snapshot s = { 0 };
	uint8_t id[CAIRN_ID_BYTES], pid[CAIRN_ID_BYTES], sid[CAIRN_ID_BYTES];
	char name[CAIRN_PACK_NAME_MAX], hex[CAIRN_ID_HEX], iname[80];
	size_t n = 0;
	char tree[] = "CAIRNTR1\0\0\0\0";

	cairn_blob_id(cairn_repo_keys(r), tree, 12, id);
	assert_int_equal(cairn_blob_encode(cairn_repo_keys(r), NULL, CAIRN_BLOB_TREE, id, tree, 12, &blob), 0);
	assert_int_equal(cairn_pack_writer_new(&w), 0);
	assert_int_equal(cairn_pack_writer_add(w, CAIRN_BLOB_TREE, id, blob.data, blob.len, 12), 0);
	assert_int_equal(cairn_pack_writer_finish(w, cairn_repo_keys(r), &pack, pid, &locs, &n), 0);
	cairn_repo_pack_name(pid, name);
	assert_int_equal(cairn_store_put(cairn_repo_store(r), name, pack.data, pack.len) == 0 ||
				 cairn_store_put(cairn_repo_store(r), name, pack.data, pack.len) == CAIRN_EEXIST,
			 1);
	assert_int_equal(cairn_index_builder_new(&ib), 0);
	assert_int_equal(cairn_index_builder_add_pack(ib, locs, n), 0);
	assert_int_equal(cairn_index_builder_finish(ib, cairn_repo_keys(r), &idx), 0);
	cairn_storage_id(idx.data, idx.len, sid);
	cairn_hex_encode(sid, sizeof(sid), hex);
	snprintf(iname, sizeof(iname), "index/%s", hex);
	cairn_store_put(cairn_repo_store(r), iname, idx.data, idx.len);
	memcpy(s.tree, id, sizeof(id));
	s.time_ns = when;
	s.host = strdup("h");
	s.user = strdup("u");
	s.paths = calloc(1, sizeof(char *));
	s.paths[0] = strdup("/data");
	s.npaths = 1;
	assert_int_equal(cairn_snapshot_write(r, &s), 0);
	assert_int_equal(strlen(s.id), 64);
	cairn_snapshot_clear(&s);
	cairn_pack_writer_free(w);
	cairn_index_builder_free(ib);
	cairn_buf_free(&blob);
	cairn_buf_free(&pack);
	cairn_buf_free(&idx);
	free(locs);
}

static void test_repo_sync_rebuilds_catalog(void **state)
{
	struct fixture *f = *state;
	struct cairn_repo *r = NULL;
	struct cairn_snapshot *snaps = NULL, at = { 0 };
	size_t count = 0;
	char other_state[600], cmd[700];
	uint64_t blobs = 0, packs = 0;

	assert_int_equal(cairn_repo_init(f->repo, f->secret, "host", NULL, NULL), 0);
	assert_int_equal(cairn_repo_open(f->repo, f->secret, f->state, &r), 0);
	write_snapshot(r, 1000 * 1000000000LL);
	write_snapshot(r, 2000 * 1000000000LL);
	cairn_repo_close(r);

	/* a fresh host: another, empty state directory */
	snprintf(other_state, sizeof(other_state), "%s/fresh-state", f->dir);
	assert_int_equal(cairn_repo_open(f->repo, f->secret, other_state, &r), 0);
	assert_int_equal(cairn_repo_sync(r, NULL, NULL), 0);
	assert_int_equal(cairn_snapshot_list(r, &snaps, &count), 0);
	assert_int_equal(count, 2);
	assert_true(snaps[0].time_ns < snaps[1].time_ns);
	assert_int_equal(cairn_catalog_blob_count(cairn_repo_catalog(r), &blobs, &packs), 0);
	assert_int_equal(blobs, 1);
	assert_int_equal(cairn_snapshot_at(r, 1500 * 1000000000LL, &at), 0);
	assert_string_equal(at.id, snaps[0].id);
	cairn_snapshot_clear(&at);
	assert_int_equal(cairn_snapshot_at(r, 999 * 1000000000LL, &at), CAIRN_ENOTFOUND);
	assert_int_equal(cairn_snapshot_find(r, snaps[1].id, &at), 0);
	cairn_snapshot_clear(&at);
	/* a snapshot removed from the repository disappears from the catalog */
	snprintf(cmd, sizeof(cmd), "rm %s/repo/snapshots/%s", f->dir, snaps[0].id);
	assert_int_equal(system(cmd), 0);
	cairn_snapshots_free(snaps, count);
	assert_int_equal(cairn_repo_sync(r, NULL, NULL), 0);
	assert_int_equal(cairn_snapshot_list(r, &snaps, &count), 0);
	assert_int_equal(count, 1);
	cairn_snapshots_free(snaps, count);
	cairn_repo_close(r);
	/* a corrupt catalog file is replaced and rebuilt */
	snprintf(cmd, sizeof(cmd), "for f in %s/*/*/catalog.db; do echo garbage > \"$f\"; done", other_state);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(cairn_repo_open(f->repo, f->secret, other_state, &r), 0);
	assert_int_equal(cairn_repo_sync(r, NULL, NULL), 0);
	assert_int_equal(cairn_snapshot_list(r, &snaps, &count), 0);
	assert_int_equal(count, 1);
	cairn_snapshots_free(snaps, count);
	cairn_repo_close(r);
}

/* What the sync reported. */
struct sync_events {
	int n;
	struct cairn_event_ref ref;
	enum cairn_event_code code;
	char name[128];
};

static void on_sync_event(void *ctx, const struct cairn_event *ev)
{
	struct sync_events *e = ctx;

	e->n++;
	e->code = ev->code;
	e->ref = ev->object;
	snprintf(e->name, sizeof(e->name), "%s", ev->object_name ? ev->object_name : "");
	assert_null(ev->path);
	assert_non_null(ev->message);
}

static void test_repo_sync_reports_damaged_snapshot(void **state)
{
	struct fixture *f = *state;
	struct cairn_repo *r = NULL;
	struct cairn_snapshot *snaps = NULL;
	struct sync_events ev = { 0 };
	uint8_t id[CAIRN_ID_BYTES];
	size_t count = 0;
	char cmd[800], fresh[600], name[100];

	assert_int_equal(cairn_repo_init(f->repo, f->secret, "host", NULL, NULL), 0);
	assert_int_equal(cairn_repo_open(f->repo, f->secret, f->state, &r), 0);
	write_snapshot(r, 1000 * 1000000000LL);
	write_snapshot(r, 2000 * 1000000000LL);
	assert_int_equal(cairn_snapshot_list(r, &snaps, &count), 0);
	/* flip a byte of the first snapshot object */
	snprintf(cmd, sizeof(cmd),
		 "printf '\\x42' | dd of=%s/repo/snapshots/%s bs=1 seek=30 conv=notrunc status=none", f->dir,
		 snaps[0].id);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(cairn_hex_decode(snaps[0].id, id, sizeof(id)), 0);
	snprintf(name, sizeof(name), "snapshots/%s", snaps[0].id);
	cairn_snapshots_free(snaps, count);
	cairn_repo_close(r);
	snprintf(fresh, sizeof(fresh), "%s/fresh", f->dir);
	assert_int_equal(cairn_repo_open(f->repo, f->secret, fresh, &r), 0);
	assert_int_equal(cairn_repo_sync(r, on_sync_event, &ev), CAIRN_ECORRUPT);
	/* one event, naming the object by its fields */
	assert_int_equal(ev.n, 1);
	assert_int_equal(ev.code, CAIRN_EVENT_DAMAGED_SNAPSHOT);
	assert_int_equal(ev.ref.type, CAIRN_EVENT_OBJECT_SNAPSHOT);
	assert_memory_equal(ev.ref.id, id, sizeof(id));
	assert_string_equal(ev.name, name);
	assert_int_equal(cairn_snapshot_list(r, &snaps, &count), 0);
	assert_int_equal(count, 1); /* the intact one is still usable */
	cairn_snapshots_free(snaps, count);
	cairn_repo_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_repo_init_and_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repo_open_wrong_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repo_open_missing_and_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repo_keys_add_list_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repo_sync_rebuilds_catalog, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repo_sync_reports_damaged_snapshot, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
