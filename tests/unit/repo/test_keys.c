/* Unit tests for opening with keys against a party that can write to the
 * storage but has no key (issue 11): key objects above the local KDF cost
 * limit are skipped unread by the KDF, oversized config and key objects are
 * refused without being fetched, the key that opened last on this host is
 * tried first, `key list` names malformed key objects, and init refuses a
 * location that is not empty. */
#include "cairn_test.h"

#include "repo_fixture.h"

#include "repo/repo_internal.h"

#include "cairn/err.h"
#include "cairn/store.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Planted names: never the SHA-256 of their content (version 1 does not check). */
#define PLANT_A "3eb7b77a201dce1df84121853d7f4416dc080e0a4e893aa50c4157cec95d9322"
#define PLANT_B "0116f4d4b218f5291e2fc2c4d234a56109ade62fa9402163eca662c238de3833"

static int setup(void **state)
{
	struct repo_fixture *f = calloc(1, sizeof(*f));

	repo_fixture_init(f, "keys");
	repo_fixture_create(f, NULL);
	cairn_repo_close(f->r); /* each test opens as it needs */
	f->r = NULL;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct repo_fixture *f = *state;

	repo_fixture_fini(f);
	free(f);
	return 0;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* Put `len` bytes as object `name` of the fixture's repository. */
static void plant(struct repo_fixture *f, const char *name, const void *data, size_t len)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", f->repo, name);
	write_file(path, data, len);
}

/* A well-formed passphrase key object (that opens nothing) declaring a cost. */
static void plant_costly_key(struct repo_fixture *f, const char *id, unsigned ops, unsigned long long mem)
{
	char text[512], name[80];

	snprintf(text, sizeof(text),
		 "{\"version\": 1, \"kind\": \"passphrase\", \"kdf\": \"argon2id13\", \"opslimit\": %u, \"memlimit\": %llu, "
		 "\"salt\": \"%032d\", \"nonce\": \"%048d\", \"wrapped\": \"%096d\", \"created\": \"\", \"host\": "
		 "\"evil\", \"label\": \"planted\"}\n",
		 ops, mem, 0, 0, 0);
	snprintf(name, sizeof(name), "keys/%s", id);
	plant(f, name, text, strlen(text));
}

/* A space-padded object of exactly `len` bytes ending with `tail`. */
static char *padded(size_t len, const char *tail)
{
	char *buf = malloc(len);

	assert_non_null(buf);
	memset(buf, ' ', len);
	memcpy(buf + len - strlen(tail), tail, strlen(tail));
	return buf;
}

struct warnings {
	int count;
	char last[1024];
	char all[4096];
};

static void on_warning(void *ctx, const char *msg)
{
	struct warnings *w = ctx;
	size_t used = strlen(w->all);

	w->count++;
	snprintf(w->last, sizeof(w->last), "%s", msg);
	snprintf(w->all + used, sizeof(w->all) - used, "%s\n", msg);
}

/* Open the fixture's repository through a fault decorator, to count calls
 * (*ret_store is valid only while f->r is open: a failed open frees it) and
 * to make every get of a name containing `no_get` (NULL: none) fail. */
static int open_counted(struct repo_fixture *f, const struct cairn_secret *secret, const char *state_dir,
			const struct cairn_repo_open_opts *opts, const char *no_get, struct cairn_store **ret_store)
{
	struct cairn_store *local = NULL, *store = NULL;

	assert_int_equal(cairn_store_local_open(f->repo, 0, &local), 0);
	assert_int_equal(cairn_store_fault_wrap(local, &store), 0);
	if (no_get != NULL)
		cairn_store_fault_set(store, CAIRN_FAULT_FAIL, CAIRN_OP_GET, no_get, 1, 0, CAIRN_EBUG);
	*ret_store = store;
	return cairn_repo_open_store_with(store, f->repo, secret, state_dir, opts, &f->r);
}

static void test_open_skips_key_above_kdf_limits(void **state)
{
	struct repo_fixture *f = *state;
	struct cairn_secret *wrong = NULL;
	struct warnings w = { 0 };
	struct cairn_repo_open_opts opts = { NULL, on_warning, &w };
	struct cairn_kdf_limits roomy = { 13, 1024 * 1024 };

	assert_int_equal(cairn_secret_new(CAIRN_SECRET_PASSPHRASE, "not pw", 6, &wrong), 0);
	/* the format's maximum: 64 passes over 4 GiB; if it ran, this test would not end soon */
	plant_costly_key(f, PLANT_A, 64, 4ull << 30);
	/* a cost just above the default limit (12 passes) */
	plant_costly_key(f, PLANT_B, 13, 65536);

	/* a wrong passphrase: the real key is tried, the costly ones skipped and named */
	assert_int_equal(cairn_repo_open_with(f->repo, wrong, f->state, &opts, &f->r), CAIRN_EAUTH);
	assert_non_null(strstr(cairn_err_msg(), "wrong key or passphrase"));
	assert_non_null(strstr(cairn_err_msg(), "tried 1 key;"));
	assert_non_null(strstr(cairn_err_msg(), "skipped 2"));
	assert_non_null(strstr(cairn_err_msg(), "3eb7b77a201dce1d"));
	assert_non_null(strstr(cairn_err_msg(), "0116f4d4b218f529"));
	assert_non_null(strstr(cairn_err_msg(), "CAIRN_KDF_MAX_OPSLIMIT"));
	assert_int_equal(w.count, 2);
	assert_non_null(strstr(w.all, "skipping key object 'keys/" PLANT_A "'"));
	assert_non_null(strstr(w.all, "opslimit of 64"));
	assert_non_null(strstr(w.all, "skipping key object 'keys/" PLANT_B "'"));

	/* the right passphrase, from a fresh state directory (nothing remembered) */
	memset(&w, 0, sizeof(w));
	assert_int_equal(cairn_repo_open_with(f->repo, f->secret, f->state2, &opts, &f->r), 0);
	assert_true(w.count <= 2);
	cairn_repo_close(f->r);
	f->r = NULL;

	/* limits raised by the caller: the cheaper planted key is tried (and fails), the other still skipped */
	memset(&w, 0, sizeof(w));
	opts.kdf_limits = &roomy;
	assert_int_equal(cairn_repo_open_with(f->repo, wrong, f->state, &opts, &f->r), CAIRN_EAUTH);
	assert_non_null(strstr(cairn_err_msg(), "tried 2 keys;"));
	assert_non_null(strstr(cairn_err_msg(), "skipped 1"));
	assert_int_equal(w.count, 1);
	assert_non_null(strstr(w.last, PLANT_A));

	/* the same through the environment */
	setenv("CAIRN_KDF_MAX_OPSLIMIT", "13", 1);
	memset(&w, 0, sizeof(w));
	opts.kdf_limits = NULL;
	assert_int_equal(cairn_repo_open_with(f->repo, wrong, f->state, &opts, &f->r), CAIRN_EAUTH);
	assert_non_null(strstr(cairn_err_msg(), "tried 2 keys;"));
	unsetenv("CAIRN_KDF_MAX_OPSLIMIT");
	cairn_secret_free(wrong);
}

static void test_open_tries_last_key_first(void **state)
{
	struct repo_fixture *f = *state;
	struct cairn_store *store = NULL;
	char path[1024], dir[1024], line[128] = "";
	FILE *fp;

	/* first open on this host: keys/ is listed, the key that opened is remembered */
	assert_int_equal(open_counted(f, f->secret, f->state2, NULL, NULL, &store), 0);
	assert_int_equal(cairn_store_fault_calls(store, CAIRN_OP_LIST), 1);
	snprintf(dir, sizeof(dir), "%s", f->r->catalog_path);
	snprintf(path, sizeof(path), "%s/last-key", dirname(dir));
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	fclose(fp);
	assert_int_equal(strlen(line), 65);
	assert_memory_equal(line, cairn_repo_key_id(f->r), 64);
	cairn_repo_close(f->r);
	f->r = NULL;

	/* planted costly keys do not matter any more: the remembered key opens, nothing is listed */
	plant_costly_key(f, PLANT_A, 13, 65536);
	plant_costly_key(f, PLANT_B, 13, 65536);
	assert_int_equal(open_counted(f, f->secret, f->state2, NULL, NULL, &store), 0);
	assert_int_equal(cairn_store_fault_calls(store, CAIRN_OP_LIST), 0);
	assert_int_equal(cairn_store_fault_calls(store, CAIRN_OP_GET), 2); /* config, the key */
	assert_int_equal(cairn_store_fault_calls(store, CAIRN_OP_STAT), 0); /* bounded gets: no stat first */
	cairn_repo_close(f->r);
	f->r = NULL;

	/* the hint is only a hint: garbage, or a key that is gone, falls back to listing */
	write_file(path, "not a key id\n", 13);
	assert_int_equal(open_counted(f, f->secret, f->state2, NULL, NULL, &store), 0);
	assert_int_equal(cairn_store_fault_calls(store, CAIRN_OP_LIST), 1);
	cairn_repo_close(f->r);
	f->r = NULL;
	write_file(path, "0000000000000000000000000000000000000000000000000000000000000000\n", 65);
	assert_int_equal(open_counted(f, f->secret, f->state2, NULL, NULL, &store), 0);
	assert_int_equal(cairn_store_fault_calls(store, CAIRN_OP_LIST), 1);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	fclose(fp);
	assert_memory_equal(line, cairn_repo_key_id(f->r), 64); /* rewritten */
}

static void test_open_refuses_oversized_config(void **state)
{
	struct repo_fixture *f = *state;
	char path[1024];
	char *big = padded(CAIRN_CONFIG_MAX_BYTES + 1, "{}");

	snprintf(path, sizeof(path), "%s/config", f->repo);
	write_file(path, big, CAIRN_CONFIG_MAX_BYTES + 1);
	free(big);
	assert_int_equal(cairn_repo_open(f->repo, f->secret, f->state, &f->r), CAIRN_ECORRUPT);
	assert_non_null(strstr(cairn_err_msg(), "config object 'config' has 65537 bytes"));
	assert_non_null(strstr(cairn_err_msg(), "65536"));
	assert_null(f->r);
}

static void test_open_skips_oversized_key_unread(void **state)
{
	struct repo_fixture *f = *state;
	struct cairn_secret *wrong = NULL;
	struct cairn_store *store = NULL;
	struct warnings w = { 0 };
	struct cairn_repo_open_opts opts = { NULL, on_warning, &w };
	char *big = padded(CAIRN_KEYOBJ_MAX_BYTES + 1, "{}");

	assert_int_equal(cairn_secret_new(CAIRN_SECRET_PASSPHRASE, "not pw", 6, &wrong), 0);
	plant(f, "keys/" PLANT_A, big, CAIRN_KEYOBJ_MAX_BYTES + 1);
	free(big);
	/* a get of the oversized object would fail (and give no size warning) */
	assert_int_equal(open_counted(f, wrong, f->state, &opts, PLANT_A, &store), CAIRN_EAUTH);
	assert_non_null(strstr(cairn_err_msg(), "tried 1 key)"));
	assert_int_equal(w.count, 1);
	assert_non_null(strstr(w.last, "'keys/" PLANT_A "' has 65537 bytes"));
	/* the right key still opens */
	assert_int_equal(cairn_repo_open(f->repo, f->secret, f->state, &f->r), 0);
	cairn_secret_free(wrong);
}

struct listed {
	int total, unusable, current;
	char problems[2048];
};

static int collect_key(void *ctx, const struct cairn_repo_key_entry *e)
{
	struct listed *l = ctx;
	size_t used = strlen(l->problems);

	l->total++;
	l->current += e->current;
	if (e->info == NULL) {
		assert_true(e->rc == CAIRN_ECORRUPT || e->rc == CAIRN_EFORMAT);
		assert_non_null(e->problem);
		l->unusable++;
		snprintf(l->problems + used, sizeof(l->problems) - used, "%.8s: %s\n", e->id, e->problem);
	} else {
		assert_int_equal(e->rc, 0);
		assert_string_equal(e->info->kind, "passphrase");
	}
	return 0;
}

static void test_key_list_names_malformed(void **state)
{
	struct repo_fixture *f = *state;
	struct listed l = { 0 };
	char *big = padded(CAIRN_KEYOBJ_MAX_BYTES + 1, "{}");

	plant(f, "keys/" PLANT_A, "{", 1);
	plant(f, "keys/" PLANT_B, big, CAIRN_KEYOBJ_MAX_BYTES + 1);
	free(big);
	assert_int_equal(cairn_repo_open(f->repo, f->secret, f->state, &f->r), 0);
	assert_int_equal(cairn_repo_key_list(f->r, collect_key, &l), 0);
	assert_int_equal(l.total, 3);
	assert_int_equal(l.unusable, 2);
	assert_int_equal(l.current, 1);
	assert_non_null(strstr(l.problems, "3eb7b77a: key object is not valid JSON"));
	assert_non_null(strstr(l.problems, "0116f4d4: key object 'keys/" PLANT_B "' has 65537 bytes"));
	/* an unusable key object can be removed */
	assert_int_equal(cairn_repo_key_remove(f->r, "3eb7b77a"), 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(cairn_repo_key_list(f->r, collect_key, &l), 0);
	assert_int_equal(l.total, 2);
	assert_int_equal(l.unusable, 1);
}

static int count_objects(void *ctx, const char *name, uint64_t size)
{
	(void)name;
	(void)size;
	(*(int *)ctx)++;
	return 0;
}

static int objects_in(const char *root)
{
	struct cairn_store *s = NULL;
	int n = 0;

	assert_int_equal(cairn_store_local_open(root, 0, &s), 0);
	assert_int_equal(cairn_store_list(s, "", count_objects, &n), 0);
	cairn_store_free(s);
	return n;
}

static void test_init_refuses_nonempty_location(void **state)
{
	struct repo_fixture *f = *state;
	char other[512], path[1024];
	struct cairn_store *mem = NULL;
	int before = objects_in(f->repo);

	/* an existing repository: its own message, nothing written */
	assert_int_equal(cairn_repo_init(f->repo, f->secret, "h", NULL, NULL), CAIRN_EEXIST);
	assert_non_null(strstr(cairn_err_msg(), "a Cairn repository (id "));
	assert_non_null(strstr(cairn_err_msg(), "already exists"));
	assert_int_equal(objects_in(f->repo), before);
	/* a directory holding something else */
	snprintf(other, sizeof(other), "%s/other", f->dir);
	assert_int_equal(mkdir(other, 0700), 0);
	snprintf(path, sizeof(path), "%s/notes.txt", other);
	write_file(path, "mine\n", 5);
	assert_int_equal(cairn_repo_init(other, f->secret, "h", NULL, NULL), CAIRN_EEXIST);
	assert_non_null(strstr(cairn_err_msg(), "is not empty (it holds 'notes.txt') and is not a Cairn repository"));
	assert_int_equal(objects_in(other), 1);
	/* a config that is not ours */
	snprintf(path, sizeof(path), "%s/config", other);
	write_file(path, "[]", 2);
	assert_int_equal(cairn_repo_init(other, f->secret, "h", NULL, NULL), CAIRN_EEXIST);
	assert_non_null(strstr(cairn_err_msg(), "not a valid Cairn config"));
	assert_int_equal(objects_in(other), 2);
	/* an interrupted init (a key object, no config) is not empty either */
	assert_int_equal(cairn_store_mem_open(&mem), 0);
	assert_int_equal(cairn_store_put(mem, "keys/" PLANT_A, "{}", 2), 0);
	assert_int_equal(cairn_repo_init_store(mem, NULL, f->secret, "h", NULL, NULL), CAIRN_EEXIST);
	assert_non_null(strstr(cairn_err_msg(), "it holds 'keys/" PLANT_A "'"));
	/* an empty directory is fine */
	snprintf(other, sizeof(other), "%s/empty", f->dir);
	assert_int_equal(mkdir(other, 0700), 0);
	assert_int_equal(cairn_repo_init(other, f->secret, "h", NULL, NULL), 0);
}

/* The key object of the right secret cannot be fetched (a store failure:
 * transient, or permission denied): that is the error, not "wrong key or
 * passphrase" because another key object did not open, and a store's
 * permission denied is not an Argon2id cost above the limit. */
static void test_open_unreadable_right_key(void **state)
{
	static const int codes[] = { CAIRN_ETRANSIENT, CAIRN_EPERM };
	struct repo_fixture *f = *state;
	struct cairn_store *local = NULL, *store = NULL;
	char id[CAIRN_ID_HEX];

	assert_int_equal(cairn_repo_open(f->repo, f->secret, f->state2, &f->r), 0);
	memcpy(id, cairn_repo_key_id(f->r), sizeof(id));
	cairn_repo_close(f->r);
	f->r = NULL;
	/* another key object, cheap and well-formed, that this secret does not open */
	plant_costly_key(f, PLANT_B, 3, 65536);
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		assert_int_equal(cairn_store_local_open(f->repo, 0, &local), 0);
		assert_int_equal(cairn_store_fault_wrap(local, &store), 0);
		cairn_store_fault_set(store, CAIRN_FAULT_FAIL, CAIRN_OP_GET, id, 1, 0, codes[i]);
		/* f->state: nothing remembered there, the listing finds both */
		assert_int_equal(cairn_repo_open_store_with(store, f->repo, f->secret, f->state, NULL, &f->r), codes[i]);
		assert_null(f->r);
		assert_non_null(strstr(cairn_err_msg(), "could not be tried"));
		assert_non_null(strstr(cairn_err_msg(), id));
		assert_non_null(strstr(cairn_err_msg(), "1 other key did not open"));
		assert_null(strstr(cairn_err_msg(), "wrong key"));
		assert_null(strstr(cairn_err_msg(), "argon2id"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_skips_key_above_kdf_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_tries_last_key_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_refuses_oversized_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_skips_oversized_key_unread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_list_names_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_refuses_nonempty_location, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_unreadable_right_key, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
