/* Unit tests for the repository check: a clean repository passes (structure
 * and data, whole packs and small windows); a flipped byte in a pack is
 * found by reading the data and named with the snapshots and the file that
 * use it; a deleted pack is found without reading data; a lost index object
 * leaves its packs orphans whose blobs snapshots still need; an orphan pack
 * alone is information; a damaged snapshot object is reported; a share of
 * the packs is read with a fixed seed; bad options are refused. */
#include "cairn_test.h"

#include "repo_fixture.h"

#include "repo/repo_internal.h"

#include "cairn/backup.h"
#include "cairn/check.h"
#include "cairn/err.h"
#include "cairn/pack.h"
#include "cairn/snapshot.h"
#include "cairn/tree.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define MAX_PROBLEMS 16

struct seen_problem {
	enum cairn_event_class kind; /* of the code */
	enum cairn_event_code code;
	struct cairn_event_ref ref;
	char object[160];
	char message[1200];
	uint64_t uses, snapshots;
	size_t naffected;
	char paths[4096]; /* affected paths, one per line */
};

struct fixture {
	struct repo_fixture rf;
	struct seen_problem problems[MAX_PROBLEMS];
	size_t nproblems;
	int progress_calls;
};

static void on_problem(void *ctx, const struct cairn_check_problem *p)
{
	struct fixture *f = ctx;
	struct seen_problem *s;

	assert_true(f->nproblems < MAX_PROBLEMS);
	s = &f->problems[f->nproblems++];
	s->kind = cairn_event_class(p->event.code);
	s->code = p->event.code;
	s->ref = p->event.object;
	snprintf(s->object, sizeof(s->object), "%s", p->event.object_name);
	snprintf(s->message, sizeof(s->message), "%s", p->event.message);
	s->uses = p->uses;
	s->snapshots = p->snapshots;
	s->naffected = p->naffected;
	for (size_t i = 0; i < p->naffected; i++) {
		size_t len = strlen(s->paths);

		assert_int_equal(strlen(p->affected[i].snapshot), 64);
		assert_true(p->affected[i].time_ns > 0);
		snprintf(s->paths + len, sizeof(s->paths) - len, "%s\n", p->affected[i].path);
	}
}

static void on_progress(void *ctx, const struct cairn_check_stats *st, const char *phase)
{
	struct fixture *f = ctx;

	(void)st;
	assert_non_null(phase);
	f->progress_calls++;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct cairn_repo_config cfg = { 0 };
	uint8_t rid[CAIRN_ID_BYTES];
	char p[700];

	repo_fixture_init(&f->rf, "check");
	snprintf(p, sizeof(p), "%s/sub", f->rf.src);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/big.bin", f->rf.src);
	cairn_test_write_random_file(p, 3 * 1024 * 1024 + 5, 1);
	snprintf(p, sizeof(p), "%s/small.txt", f->rf.src);
	cairn_test_write_random_file(p, 100, 2);
	snprintf(p, sizeof(p), "%s/sub/other.bin", f->rf.src);
	cairn_test_write_random_file(p, 2 * 1024 * 1024, 3);
	/* small chunks and the smallest packs: several packs per backup */
	cairn_random_bytes(rid, sizeof(rid));
	cairn_hex_encode(rid, sizeof(rid), cfg.id);
	cfg.version = CAIRN_FORMAT_VERSION;
	cfg.chunker.min = 16 * 1024;
	cfg.chunker.avg = 64 * 1024;
	cfg.chunker.max = 256 * 1024;
	cfg.pack_target = 1024 * 1024;
	cfg.zstd_level = 3;
	repo_fixture_create(&f->rf, &cfg);
	assert_int_equal(cairn_repo_sync(f->rf.r, NULL, NULL), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	repo_fixture_fini(&f->rf);
	free(f);
	return 0;
}

static void run_backup(struct fixture *f, struct cairn_snapshot *snap)
{
	const char *paths[1] = { f->rf.src };
	struct cairn_backup_opts o = { 0 };

	o.paths = paths;
	o.npaths = 1;
	o.threads = 2;
	if (cairn_backup_run(f->rf.r, &o, snap) != 0)
		fail_msg("backup: %s", cairn_err_msg());
}

static int check(struct fixture *f, double percent, uint64_t seed, size_t window, struct cairn_check_stats *st)
{
	struct cairn_check_opts o = { 0 };

	f->nproblems = 0;
	memset(f->problems, 0, sizeof(f->problems));
	o.read_data_percent = percent;
	o.has_seed = 1;
	o.seed = seed;
	o.threads = 2;
	o.window = window;
	o.on_problem = on_problem;
	o.on_progress = on_progress;
	o.ctx = f;
	return cairn_check_run(f->rf.r, &o, st);
}

/* The entry at absolute `path` in the tree `root` (copied into *ret). */
static void find_entry(struct fixture *f, const uint8_t root[CAIRN_ID_BYTES], const char *path, struct cairn_entry *ret)
{
	uint8_t tree[CAIRN_ID_BYTES];
	char *copy = strdup(path), *save = NULL;
	const char *comp = strtok_r(copy, "/", &save);

	memcpy(tree, root, CAIRN_ID_BYTES);
	while (comp != NULL) {
		struct cairn_buf buf = { 0 };
		struct cairn_entry *entries = NULL;
		size_t n = 0, i;
		const char *next = strtok_r(NULL, "/", &save);

		assert_int_equal(cairn_repo_blob_read(f->rf.r, NULL, CAIRN_BLOB_TREE, tree, &buf, NULL), 0);
		assert_int_equal(cairn_tree_decode(buf.data, buf.len, &entries, &n), 0);
		for (i = 0; i < n; i++)
			if (entries[i].name_len == strlen(comp) && memcmp(entries[i].name, comp, entries[i].name_len) == 0)
				break;
		assert_true(i < n);
		if (next == NULL) {
			*ret = entries[i];
			memset(&entries[i], 0, sizeof(entries[i]));
		} else {
			memcpy(tree, entries[i].subtree, CAIRN_ID_BYTES);
		}
		cairn_entries_free(entries, n);
		cairn_buf_free(&buf);
		comp = next;
	}
	free(copy);
}

/* Where the first content blob of the file `rel` (under src) lives. */
static void locate_file_blob(struct fixture *f, const struct cairn_snapshot *snap, const char *rel, char *pack_path,
			     size_t len, uint64_t *ret_offset, char *object, size_t olen)
{
	struct cairn_entry e = { 0 };
	struct cairn_blob_loc loc;
	char path[700], name[CAIRN_PACK_NAME_MAX];

	snprintf(path, sizeof(path), "%s/%s", f->rf.src, rel);
	find_entry(f, snap->tree, path, &e);
	assert_true(e.content_count > 0);
	assert_int_equal(cairn_catalog_blob_get(cairn_repo_catalog(f->rf.r), e.content, CAIRN_BLOB_DATA, &loc), 0);
	cairn_repo_pack_name(loc.pack, name);
	snprintf(pack_path, len, "%s/%s", f->rf.repo, name);
	snprintf(object, olen, "%s", name);
	*ret_offset = loc.offset;
	cairn_entry_clear(&e);
}

static void flip_byte(const char *path, uint64_t offset)
{
	int fd = open(path, O_RDWR);
	uint8_t byte;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &byte, 1, (off_t)offset), 1);
	byte ^= 0x10;
	assert_int_equal(pwrite(fd, &byte, 1, (off_t)offset), 1);
	close(fd);
}

static int count_files(const char *dir, const char *sub)
{
	char cmd[1200];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "find '%s/%s' -type f 2>/dev/null | wc -l", dir, sub);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

static uint64_t dir_bytes(const char *dir, const char *sub)
{
	char cmd[1200];
	FILE *p;
	unsigned long long n = 0;

	snprintf(cmd, sizeof(cmd), "find '%s/%s' -type f -printf '%%s\\n' | awk '{s+=$1} END {print s+0}'", dir, sub);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%llu", &n), 1);
	pclose(p);
	return n;
}

/* Every file of the repository with its size and mtime, into `out`. */
static void repo_listing(struct fixture *f, const char *out)
{
	char cmd[1600];

	snprintf(cmd, sizeof(cmd), "cd '%s' && find . -printf '%%p %%s %%T@ %%m\\n' | sort > '%s/%s'", f->rf.repo,
		 f->rf.dir, out);
	assert_int_equal(system(cmd), 0);
}

static const struct seen_problem *problem_for(const struct fixture *f, const char *object)
{
	for (size_t i = 0; i < f->nproblems; i++)
		if (strcmp(f->problems[i].object, object) == 0)
			return &f->problems[i];
	fail_msg("no problem reported for '%s' (%zu problems)", object, f->nproblems);
	return NULL;
}

/* The problem's object is `type` with the id that ends the name `object`
 * ("data/ab/<hex>", "index/<hex>"): read from the event, not its text. */
static void assert_ref(const struct seen_problem *p, enum cairn_event_object type, const char *object)
{
	uint8_t id[CAIRN_ID_BYTES];

	assert_int_equal(cairn_hex_decode(strrchr(object, '/') + 1, id, sizeof(id)), 0);
	assert_int_equal(p->ref.type, type);
	assert_memory_equal(p->ref.id, id, sizeof(id));
}

static void test_check_clean(void **state)
{
	struct fixture *f = *state;
	struct cairn_snapshot s1 = { 0 };
	struct cairn_check_stats st;
	int packs;

	run_backup(f, &s1);
	packs = count_files(f->rf.repo, "data");
	assert_true(packs >= 4);
	repo_listing(f, "before.lst");
	if (check(f, 0, 1, 0, &st) != 0)
		fail_msg("structure check: %s", cairn_err_msg());
	assert_int_equal(f->nproblems, 0);
	assert_int_equal(st.snapshots, 1);
	assert_int_equal(st.index_objects, (uint64_t)count_files(f->rf.repo, "index"));
	assert_int_equal(st.packs, (uint64_t)packs);
	assert_int_equal(st.pack_bytes, dir_bytes(f->rf.repo, "data"));
	assert_int_equal(st.orphan_packs, 0);
	assert_int_equal(st.packs_read, 0);
	assert_int_equal(st.files, 3);
	assert_true(st.trees >= 3); /* src, sub, and the directories above */
	assert_true(st.blobs >= 21); /* 5 MiB in chunks of at most 256 KiB, and small.txt */
	assert_true(st.blobs + st.trees <= st.index_entries);
	assert_true(f->progress_calls >= 4); /* one per phase at least */
	assert_int_equal(st.problems, 0);

	if (check(f, 100, 1, 0, &st) != 0)
		fail_msg("data check: %s", cairn_err_msg());
	assert_int_equal(st.packs_to_read, (uint64_t)packs);
	assert_int_equal(st.packs_read, (uint64_t)packs);
	assert_true(st.bytes_read >= dir_bytes(f->rf.repo, "data"));
	assert_int_equal(st.blobs_read, st.index_entries); /* every blob of every pack */
	/* small windows: every pack read in pieces */
	if (check(f, 100, 1, 64 * 1024, &st) != 0)
		fail_msg("data check in small windows: %s", cairn_err_msg());
	assert_int_equal(st.packs_read, (uint64_t)packs);
	/* nothing in the repository was written, touched or deleted */
	repo_listing(f, "after.lst");
	{
		char cmd[1600];

		snprintf(cmd, sizeof(cmd), "cmp -s '%s/before.lst' '%s/after.lst'", f->rf.dir, f->rf.dir);
		assert_int_equal(system(cmd), 0);
	}
	cairn_snapshot_clear(&s1);
}

static void test_check_flipped_byte(void **state)
{
	struct fixture *f = *state;
	struct cairn_snapshot s1 = { 0 }, s2 = { 0 };
	struct cairn_check_stats st;
	const struct seen_problem *p;
	char pack[1200], object[CAIRN_PACK_NAME_MAX], want[700];
	uint64_t off;

	run_backup(f, &s1);
	run_backup(f, &s2); /* unchanged: both snapshots use every blob */
	locate_file_blob(f, &s2, "sub/other.bin", pack, sizeof(pack), &off, object, sizeof(object));
	flip_byte(pack, off + 60);
	snprintf(want, sizeof(want), "%s/sub/other.bin\n", f->rf.src);

	/* the sizes are right: the structure is sound */
	assert_int_equal(check(f, 0, 1, 0, &st), 0);
	for (size_t window = 0; window <= 64 * 1024; window += 64 * 1024) {
		assert_int_equal(check(f, 100, 1, window, &st), CAIRN_ECORRUPT);
		assert_non_null(strstr(cairn_err_msg(), "1 problem found"));
		assert_int_equal(f->nproblems, 1);
		assert_int_equal(st.problems, 1);
		p = problem_for(f, object);
		assert_int_equal(p->kind, CAIRN_EVENT_CLASS_DAMAGED);
		assert_int_equal(p->code, CAIRN_EVENT_DAMAGED_BLOB);
		assert_ref(p, CAIRN_EVENT_OBJECT_PACK, object);
		assert_non_null(strstr(p->message, "SHA-256 mismatch"));
		assert_non_null(strstr(p->message, "1 of "));
		assert_int_equal(p->snapshots, 2);
		assert_int_equal(p->uses, 2);
		assert_int_equal(p->naffected, 2);
		assert_non_null(strstr(p->paths, want));
		assert_null(strstr(p->paths, "big.bin"));
	}
	cairn_snapshot_clear(&s1);
	cairn_snapshot_clear(&s2);
}

static void test_check_deleted_pack(void **state)
{
	struct fixture *f = *state;
	struct cairn_snapshot s1 = { 0 };
	struct cairn_check_stats st;
	const struct seen_problem *p;
	char pack[1200], object[CAIRN_PACK_NAME_MAX], want[700];
	uint64_t off;

	run_backup(f, &s1);
	locate_file_blob(f, &s1, "big.bin", pack, sizeof(pack), &off, object, sizeof(object));
	assert_int_equal(unlink(pack), 0);
	snprintf(want, sizeof(want), "%s/big.bin\n", f->rf.src);
	assert_int_equal(check(f, 0, 1, 0, &st), CAIRN_ECORRUPT);
	assert_int_equal(st.packs_read, 0);
	p = problem_for(f, object);
	assert_int_equal(p->kind, CAIRN_EVENT_CLASS_MISSING);
	assert_int_equal(p->code, CAIRN_EVENT_MISSING_PACK);
	assert_ref(p, CAIRN_EVENT_OBJECT_PACK, object);
	assert_non_null(strstr(p->message, "not in data/"));
	assert_int_equal(p->snapshots, 1);
	assert_non_null(strstr(p->paths, want));
	cairn_snapshot_clear(&s1);
}

static void test_check_lost_index(void **state)
{
	struct fixture *f = *state;
	struct cairn_snapshot s1 = { 0 };
	struct cairn_check_stats st;
	char cmd[1200];

	run_backup(f, &s1);
	assert_int_equal(count_files(f->rf.repo, "index"), 1);
	snprintf(cmd, sizeof(cmd), "rm -f '%s'/index/*", f->rf.repo);
	assert_int_equal(system(cmd), 0);
	/* every pack is now an orphan; the snapshot still needs their blobs */
	assert_int_equal(check(f, 0, 1, 0, &st), CAIRN_ECORRUPT);
	assert_int_equal(st.index_objects, 0);
	assert_int_equal(st.orphan_packs, st.packs);
	assert_true(f->nproblems >= 1);
	for (size_t i = 0; i < f->nproblems; i++) {
		assert_int_equal(f->problems[i].kind, CAIRN_EVENT_CLASS_MISSING);
		assert_int_equal(f->problems[i].code, CAIRN_EVENT_MISSING_BLOB);
		assert_ref(&f->problems[i], CAIRN_EVENT_OBJECT_PACK, f->problems[i].object);
		assert_non_null(strstr(f->problems[i].object, "data/"));
		assert_non_null(strstr(f->problems[i].message, "not listed by any index object"));
	}
	/* a backup indexes them again (orphan recovery), and all is well */
	cairn_repo_close(f->rf.r);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->rf.state);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(cairn_repo_open(f->rf.repo, f->rf.secret, f->rf.state, &f->rf.r), 0);
	assert_int_equal(cairn_repo_sync(f->rf.r, NULL, NULL), 0);
	assert_int_equal(cairn_repo_recover_orphans(f->rf.r, NULL), 0);
	assert_int_equal(check(f, 100, 1, 0, &st), 0);
	assert_int_equal(st.orphan_packs, 0);
	cairn_snapshot_clear(&s1);
}

static void test_check_damaged_index(void **state)
{
	struct fixture *f = *state;
	struct cairn_snapshot s1 = { 0 }, s2 = { 0 };
	struct cairn_check_stats st;
	char cmd[1200], path[1200], object[100];
	FILE *p;

	run_backup(f, &s1);
	snprintf(path, sizeof(path), "%s/new.bin", f->rf.src);
	cairn_test_write_random_file(path, 700 * 1024, 9);
	run_backup(f, &s2);
	assert_int_equal(count_files(f->rf.repo, "index"), 2);
	/* damage the index object that lists new.bin's pack (the newer one) */
	snprintf(cmd, sizeof(cmd), "ls -t '%s'/index/* | head -n 1", f->rf.repo);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(path, sizeof(path), p));
	pclose(p);
	path[strcspn(path, "\n")] = '\0';
	flip_byte(path, 60);
	snprintf(object, sizeof(object), "index/%s", strrchr(path, '/') + 1);
	assert_int_equal(check(f, 0, 1, 0, &st), CAIRN_ECORRUPT);
	assert_int_equal(st.index_objects, 2);
	assert_true(st.orphan_packs >= 1);
	assert_int_equal(problem_for(f, object)->kind, CAIRN_EVENT_CLASS_DAMAGED);
	assert_int_equal(problem_for(f, object)->code, CAIRN_EVENT_DAMAGED_INDEX);
	assert_ref(problem_for(f, object), CAIRN_EVENT_OBJECT_INDEX, object);
	/* its packs hold blobs of the newer snapshot only: named, with new.bin */
	assert_true(f->nproblems >= 2);
	for (size_t i = 0; i < f->nproblems; i++) {
		if (strcmp(f->problems[i].object, object) == 0)
			continue;
		assert_non_null(strstr(f->problems[i].message, "not listed by any index object"));
		assert_int_equal(f->problems[i].snapshots, 1);
	}
	snprintf(path, sizeof(path), "%s/new.bin\n", f->rf.src);
	{
		int named = 0;

		for (size_t i = 0; i < f->nproblems; i++)
			named |= strstr(f->problems[i].paths, path) != NULL;
		assert_true(named);
	}
	cairn_snapshot_clear(&s1);
	cairn_snapshot_clear(&s2);
}

/* A valid pack that no index object lists (an interrupted backup's). */
static void test_check_orphan_is_information(void **state)
{
	struct fixture *f = *state;
	const struct cairn_keys *keys = cairn_repo_keys(f->rf.r);
	struct cairn_snapshot s1 = { 0 };
	struct cairn_check_stats st;
	struct cairn_pack_writer *w = NULL;
	struct cairn_buf blob = { 0 }, pack = { 0 };
	struct cairn_blob_loc *locs = NULL;
	uint8_t data[5000], id[CAIRN_ID_BYTES], pack_id[CAIRN_ID_BYTES];
	char name[CAIRN_PACK_NAME_MAX];
	size_t n = 0;

	run_backup(f, &s1);
	cairn_test_fill_random(data, sizeof(data), 77);
	cairn_blob_id(keys, data, sizeof(data), id);
	assert_int_equal(cairn_blob_encode(keys, NULL, CAIRN_BLOB_DATA, id, data, sizeof(data), &blob), 0);
	assert_int_equal(cairn_pack_writer_new(&w), 0);
	assert_int_equal(cairn_pack_writer_add(w, CAIRN_BLOB_DATA, id, blob.data, blob.len, sizeof(data)), 0);
	assert_int_equal(cairn_pack_writer_finish(w, keys, &pack, pack_id, &locs, &n), 0);
	cairn_repo_pack_name(pack_id, name);
	assert_int_equal(cairn_store_put(cairn_repo_store(f->rf.r), name, pack.data, pack.len), 0);

	assert_int_equal(check(f, 100, 1, 0, &st), 0);
	assert_int_equal(st.orphan_packs, 1);
	assert_int_equal(st.packs_read, st.packs);
	/* damaged, it is a problem */
	{
		char path[1200];

		snprintf(path, sizeof(path), "%s/%s", f->rf.repo, name);
		flip_byte(path, 50);
		assert_int_equal(check(f, 100, 1, 0, &st), CAIRN_ECORRUPT);
		assert_int_equal(f->nproblems, 1);
		assert_string_equal(f->problems[0].object, name);
		assert_non_null(strstr(f->problems[0].message, "not listed by any index object"));
		assert_int_equal(f->problems[0].uses, 0);
	}
	free(locs);
	cairn_buf_free(&blob);
	cairn_buf_free(&pack);
	cairn_pack_writer_free(w);
	cairn_snapshot_clear(&s1);
}

static void test_check_damaged_snapshot(void **state)
{
	struct fixture *f = *state;
	struct cairn_snapshot s1 = { 0 }, s2 = { 0 };
	struct cairn_check_stats st;
	char path[1200], object[100];

	run_backup(f, &s1);
	run_backup(f, &s2);
	snprintf(path, sizeof(path), "%s/snapshots/%s", f->rf.repo, s1.id);
	flip_byte(path, 30);
	snprintf(object, sizeof(object), "snapshots/%s", s1.id);
	assert_int_equal(check(f, 0, 1, 0, &st), CAIRN_ECORRUPT);
	assert_int_equal(st.snapshots, 1);
	assert_int_equal(f->nproblems, 1);
	assert_string_equal(f->problems[0].object, object);
	assert_int_equal(f->problems[0].kind, CAIRN_EVENT_CLASS_DAMAGED);
	cairn_snapshot_clear(&s1);
	cairn_snapshot_clear(&s2);
}

static void test_check_subset(void **state)
{
	struct fixture *f = *state;
	struct cairn_snapshot s1 = { 0 };
	struct cairn_check_stats st, again;
	uint64_t packs;

	run_backup(f, &s1);
	packs = (uint64_t)count_files(f->rf.repo, "data");
	assert_int_equal(check(f, 40, 42, 0, &st), 0);
	assert_int_equal(st.seed, 42);
	assert_int_equal(st.packs_to_read, (packs * 40 + 99) / 100);
	assert_int_equal(st.packs_read, st.packs_to_read);
	assert_true(st.packs_read < packs);
	/* the same seed reads the same packs */
	assert_int_equal(check(f, 40, 42, 0, &again), 0);
	assert_int_equal(again.bytes_read, st.bytes_read);
	assert_int_equal(again.blobs_read, st.blobs_read);
	/* a tiny share still reads one pack */
	assert_int_equal(check(f, 0.001, 7, 0, &st), 0);
	assert_int_equal(st.packs_read, 1);
	cairn_snapshot_clear(&s1);
}

static void test_check_subset_finds_damage_by_seed(void **state)
{
	struct fixture *f = *state;
	struct cairn_snapshot s1 = { 0 };
	struct cairn_check_stats st;
	char pack[1200], object[CAIRN_PACK_NAME_MAX];
	uint64_t off;
	int found = 0, missed = 0;

	run_backup(f, &s1);
	locate_file_blob(f, &s1, "big.bin", pack, sizeof(pack), &off, object, sizeof(object));
	flip_byte(pack, off + 60);
	/* with a share of 1 pack, only the seeds that pick it find the damage */
	for (uint64_t seed = 1; seed <= 40; seed++) {
		int rc = check(f, 0.001, seed, 0, &st);

		assert_true(rc == 0 || rc == CAIRN_ECORRUPT);
		assert_int_equal(st.packs_read, 1);
		if (rc == CAIRN_ECORRUPT) {
			assert_string_equal(f->problems[0].object, object);
			found++;
		} else {
			missed++;
		}
	}
	assert_true(found > 0);
	assert_true(missed > 0);
	cairn_snapshot_clear(&s1);
}

/* Through a fault decorator: damage on the way is read again, not reported;
 * a store that cannot deliver a pack whole is damage; a failing store stops
 * the check with its error. */
static void test_check_store_faults(void **state)
{
	struct fixture *f = *state;
	struct cairn_snapshot s1 = { 0 };
	struct cairn_check_stats st;
	struct cairn_store *inner, *faulty;
	int packs, rc;

	run_backup(f, &s1);
	packs = count_files(f->rf.repo, "data");
	cairn_repo_close(f->rf.r);
	assert_int_equal(cairn_store_local_open(f->rf.repo, 0, &inner), 0);
	assert_int_equal(cairn_store_fault_wrap(inner, &faulty), 0);
	assert_int_equal(cairn_repo_open_store(faulty, f->rf.repo, f->rf.secret, f->rf.state, &f->rf.r), 0);

	cairn_store_fault_set(faulty, CAIRN_FAULT_FLIP_BIT, CAIRN_OP_GET, "data/", 2, 1, 0);
	assert_int_equal(check(f, 100, 1, 0, &st), 0);
	assert_int_equal(st.packs_read, (uint64_t)packs);
	assert_true(st.bytes_read > dir_bytes(f->rf.repo, "data")); /* one pack was read twice */

	cairn_store_fault_set(faulty, CAIRN_FAULT_TRUNCATE, CAIRN_OP_GET, "data/", 1, 0, 0);
	assert_int_equal(check(f, 100, 1, 0, &st), CAIRN_ECORRUPT);
	assert_int_equal(f->nproblems, (size_t)packs);
	assert_non_null(strstr(f->problems[0].message, "cannot be read whole"));

	cairn_store_fault_set(faulty, CAIRN_FAULT_FAIL, CAIRN_OP_GET, "data/", 1, 0, CAIRN_ETRANSIENT);
	rc = check(f, 100, 1, 0, &st);
	assert_int_equal(rc, CAIRN_ETRANSIENT);
	assert_non_null(strstr(cairn_err_msg(), "data/"));
	assert_int_equal(f->nproblems, 0);
	cairn_store_fault_set(faulty, CAIRN_FAULT_NONE, 0, NULL, 0, 0, 0);
	assert_int_equal(check(f, 100, 1, 0, &st), 0);
	cairn_snapshot_clear(&s1);
}

static void test_check_empty_and_bad_args(void **state)
{
	struct fixture *f = *state;
	struct cairn_check_opts o = { 0 };
	struct cairn_check_stats st;

	assert_int_equal(check(f, 100, 1, 0, &st), 0);
	assert_int_equal(st.snapshots, 0);
	assert_int_equal(st.packs, 0);
	assert_int_equal(st.packs_read, 0);
	o.read_data_percent = 150;
	assert_int_equal(cairn_check_run(f->rf.r, &o, &st), CAIRN_EINVAL);
	o.read_data_percent = -1;
	assert_int_equal(cairn_check_run(f->rf.r, &o, &st), CAIRN_EINVAL);
	assert_int_equal(cairn_check_run(f->rf.r, NULL, &st), CAIRN_EINVAL);
	/* a random seed is chosen and reported */
	o.read_data_percent = 50;
	assert_int_equal(cairn_check_run(f->rf.r, &o, &st), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_check_clean),
		T(test_check_flipped_byte),
		T(test_check_deleted_pack),
		T(test_check_lost_index),
		T(test_check_damaged_index),
		T(test_check_orphan_is_information),
		T(test_check_damaged_snapshot),
		T(test_check_subset),
		T(test_check_subset_finds_damage_by_seed),
		T(test_check_store_faults),
		T(test_check_empty_and_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
