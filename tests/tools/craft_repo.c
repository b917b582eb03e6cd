/* craft_repo: write hand-made, hostile snapshots into a repository, for the
 * end-to-end tests of the restore side (tests/e2e/test_badinput.sh).
 *
 *   craft_repo hostile-tree REPO_URL KEY_FILE STATE_DIR
 *       One snapshot whose root tree is
 *         ok.txt                       a normal file (content OK_CONTENT)
 *         c-dotdot/   -> { "..":            dir  -> { pwned-dotdot.txt } }
 *         c-escape/   -> { "../../escape":  dir  -> { pwned-dotdot.txt } }
 *         c-absolute/ -> { "/etc/cairn-pwned": file }
 *         c-slash/    -> { "x/y":           file }
 *       Each hostile name sits alone in its own subtree, so that only that
 *       subtree is rejected and ok.txt still restores. The tree bytes are
 *       built by hand: cairn_tree_encode() refuses such names.
 *
 *   craft_repo symlink-escape REPO_URL KEY_FILE STATE_DIR OUTSIDE_DIR
 *       Two snapshots (the second one 1 ns newer):
 *         1: a -> OUTSIDE_DIR (symlink),  f -> OUTSIDE_DIR/victim (symlink)
 *         2: a/ (directory) holding x (file "inside\n"),  f (file "inside\n")
 *       Restoring 2 with --overwrite over a restore of 1 must replace the
 *       links, never write through them.
 *
 * The snapshot ids are printed on stdout, one per line. Exit 0 on success,
 * 1 with a message on stderr otherwise.
 */
#include "cairn/buf.h"
#include "cairn/crypto.h"
#include "cairn/err.h"
#include "cairn/pack.h"
#include "cairn/repo.h"
#include "cairn/snapshot.h"
#include "cairn/store.h"
#include "cairn/tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OK_CONTENT "legitimate content of ok.txt\n"
#define PWNED_CONTENT "PWNED: written outside the restore target\n"

static struct cairn_repo *repo;
static struct cairn_pack_writer *writer;
static int64_t now_ns;

static void die(int rc, const char *what)
{
	fprintf(stderr, "craft_repo: %s: %s (%s)\n", what, cairn_err_msg(), cairn_err_name(rc));
	exit(1);
}

#define CHECK(expr, what)                    \
	do {                                 \
		int rc_ = (expr);            \
		if (rc_ < 0)                 \
			die(rc_, what);      \
	} while (0)

/* Encode a blob and add it to the pending pack; its id goes to `id`. */
static void add_blob(uint8_t type, const void *data, size_t len, uint8_t id[CAIRN_ID_BYTES])
{
	struct cairn_buf stored = { 0 };

	cairn_blob_id(cairn_repo_keys(repo), data, len, id);
	CHECK(cairn_blob_encode(cairn_repo_keys(repo), NULL, type, id, data, len, &stored), "encode blob");
	CHECK(cairn_pack_writer_add(writer, type, id, stored.data, stored.len, (uint32_t)len), "add blob");
	cairn_buf_free(&stored);
}

/* One raw tree entry: only what the tests need. */
struct raw_entry {
	const char *name; /* any bytes, even hostile ones */
	uint8_t type;
	const uint8_t *subtree;           /* directories */
	const char *target;               /* symlinks */
	const uint8_t *content;           /* files: one data blob id, or NULL (empty file) */
	uint64_t size;
};

static int raw_cmp(const void *pa, const void *pb)
{
	const struct raw_entry *a = pa, *b = pb;
	size_t la = strlen(a->name), lb = strlen(b->name), n = la < lb ? la : lb;
	int c = memcmp(a->name, b->name, n);

	return c != 0 ? c : (la < lb ? -1 : la > lb);
}

/* Tree blob bytes, exactly the layout of include/cairn/tree.h, entries sorted
 * bytewise so that the only thing wrong with a hostile tree is its names. */
static void add_tree(struct raw_entry *ents, size_t n, uint8_t id[CAIRN_ID_BYTES])
{
	struct cairn_buf t = { 0 };
	int rc = 0;

	qsort(ents, n, sizeof(*ents), raw_cmp);
	rc |= cairn_buf_append(&t, CAIRN_TREE_MAGIC, 8);
	rc |= cairn_buf_put_u32le(&t, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		const struct raw_entry *e = &ents[i];
		uint32_t mode = e->type == CAIRN_ENTRY_DIR ? 0755 : e->type == CAIRN_ENTRY_SYMLINK ? 0777 : 0644;

		rc |= cairn_buf_put_bytes16(&t, e->name, strlen(e->name));
		rc |= cairn_buf_put_u8(&t, e->type);
		rc |= cairn_buf_put_u32le(&t, mode);
		rc |= cairn_buf_put_u32le(&t, 0);                     /* uid */
		rc |= cairn_buf_put_u32le(&t, 0);                     /* gid */
		rc |= cairn_buf_put_bytes16(&t, "root", 4);           /* user */
		rc |= cairn_buf_put_bytes16(&t, "root", 4);           /* group */
		rc |= cairn_buf_put_u64le(&t, (uint64_t)(now_ns / 1000000000)); /* mtime_sec */
		rc |= cairn_buf_put_u32le(&t, 0);                     /* mtime_nsec */
		rc |= cairn_buf_put_u64le(&t, e->size);
		rc |= cairn_buf_put_u64le(&t, 0);                     /* rdev */
		rc |= cairn_buf_put_u64le(&t, 0);                     /* hardlink */
		rc |= cairn_buf_put_u32le(&t, 0);                     /* flags */
		rc |= cairn_buf_put_bytes32(&t, e->target, e->target ? strlen(e->target) : 0);
		if (e->type == CAIRN_ENTRY_DIR)
			rc |= cairn_buf_append(&t, e->subtree, CAIRN_ID_BYTES);
		rc |= cairn_buf_put_u32le(&t, e->content ? 1 : 0);
		if (e->content)
			rc |= cairn_buf_append(&t, e->content, CAIRN_ID_BYTES);
		rc |= cairn_buf_put_u32le(&t, 0);                     /* xattrs */
	}
	if (rc)
		die(CAIRN_ENOMEM, "build tree");
	add_blob(CAIRN_BLOB_TREE, t.data, t.len, id);
	cairn_buf_free(&t);
}

/* Store the pending pack and an index object listing it. */
static void store_pack_and_index(void)
{
	struct cairn_buf pack = { 0 }, index = { 0 };
	struct cairn_index_builder *builder = NULL;
	struct cairn_blob_loc *locs = NULL;
	uint8_t pack_id[CAIRN_ID_BYTES], sid[CAIRN_ID_BYTES];
	char name[CAIRN_PACK_NAME_MAX], hex[CAIRN_ID_HEX], iname[80];
	size_t count = 0;

	CHECK(cairn_pack_writer_finish(writer, cairn_repo_keys(repo), &pack, pack_id, &locs, &count), "finish pack");
	cairn_repo_pack_name(pack_id, name);
	CHECK(cairn_store_put(cairn_repo_store(repo), name, pack.data, pack.len), "store pack");
	CHECK(cairn_index_builder_new(&builder), "index builder");
	CHECK(cairn_index_builder_add_pack(builder, locs, count), "index pack");
	CHECK(cairn_index_builder_finish(builder, cairn_repo_keys(repo), &index), "finish index");
	cairn_storage_id(index.data, index.len, sid);
	cairn_hex_encode(sid, sizeof(sid), hex);
	snprintf(iname, sizeof(iname), "index/%s", hex);
	CHECK(cairn_store_put(cairn_repo_store(repo), iname, index.data, index.len), "store index");
	cairn_index_builder_free(builder);
	cairn_buf_free(&pack);
	cairn_buf_free(&index);
	free(locs);
	/* let the catalog learn the new blobs, as any later run would */
	CHECK(cairn_repo_sync(repo, NULL, NULL), "sync");
}

static void write_snapshot(const uint8_t root[CAIRN_ID_BYTES], int64_t time_ns, const char *path)
{
	struct cairn_snapshot s;
	char *paths[1] = { (char *)path };

	memset(&s, 0, sizeof(s));
	memcpy(s.tree, root, CAIRN_ID_BYTES);
	s.time_ns = time_ns;
	s.host = (char *)"craft-repo";
	s.user = (char *)"root";
	s.paths = paths;
	s.npaths = 1;
	CHECK(cairn_snapshot_write(repo, &s), "write snapshot");
	printf("%s\n", s.id);
}

static void hostile_tree(void)
{
	uint8_t ok[CAIRN_ID_BYTES], pwned[CAIRN_ID_BYTES], pwned_tree[CAIRN_ID_BYTES];
	uint8_t t_dotdot[CAIRN_ID_BYTES], t_escape[CAIRN_ID_BYTES], t_abs[CAIRN_ID_BYTES], t_slash[CAIRN_ID_BYTES];
	uint8_t root[CAIRN_ID_BYTES];
	uint64_t plen = strlen(PWNED_CONTENT);

	add_blob(CAIRN_BLOB_DATA, OK_CONTENT, strlen(OK_CONTENT), ok);
	add_blob(CAIRN_BLOB_DATA, PWNED_CONTENT, plen, pwned);
	{
		struct raw_entry e[] = { { "pwned-dotdot.txt", CAIRN_ENTRY_FILE, NULL, NULL, pwned, plen } };
		add_tree(e, 1, pwned_tree);
	}
	{
		struct raw_entry e[] = { { "..", CAIRN_ENTRY_DIR, pwned_tree, NULL, NULL, 0 } };
		add_tree(e, 1, t_dotdot);
	}
	{
		struct raw_entry e[] = { { "../../escape", CAIRN_ENTRY_DIR, pwned_tree, NULL, NULL, 0 } };
		add_tree(e, 1, t_escape);
	}
	{
		struct raw_entry e[] = { { "/etc/cairn-pwned", CAIRN_ENTRY_FILE, NULL, NULL, pwned, plen } };
		add_tree(e, 1, t_abs);
	}
	{
		struct raw_entry e[] = { { "x/y", CAIRN_ENTRY_FILE, NULL, NULL, pwned, plen } };
		add_tree(e, 1, t_slash);
	}
	{
		struct raw_entry e[] = {
			{ "ok.txt", CAIRN_ENTRY_FILE, NULL, NULL, ok, strlen(OK_CONTENT) },
			{ "c-dotdot", CAIRN_ENTRY_DIR, t_dotdot, NULL, NULL, 0 },
			{ "c-escape", CAIRN_ENTRY_DIR, t_escape, NULL, NULL, 0 },
			{ "c-absolute", CAIRN_ENTRY_DIR, t_abs, NULL, NULL, 0 },
			{ "c-slash", CAIRN_ENTRY_DIR, t_slash, NULL, NULL, 0 },
		};
		add_tree(e, sizeof(e) / sizeof(e[0]), root);
	}
	store_pack_and_index();
	write_snapshot(root, now_ns, "/hostile");
}

static void symlink_escape(const char *outside)
{
	static const char inside[] = "inside\n";
	char *victim = cairn_asprintf("%s/victim", outside);
	uint8_t data[CAIRN_ID_BYTES], t_a[CAIRN_ID_BYTES], root1[CAIRN_ID_BYTES], root2[CAIRN_ID_BYTES];

	if (victim == NULL)
		die(CAIRN_ENOMEM, "path");
	add_blob(CAIRN_BLOB_DATA, inside, strlen(inside), data);
	{
		struct raw_entry e[] = {
			{ "a", CAIRN_ENTRY_SYMLINK, NULL, outside, NULL, 0 },
			{ "f", CAIRN_ENTRY_SYMLINK, NULL, victim, NULL, 0 },
		};
		add_tree(e, 2, root1);
	}
	{
		struct raw_entry e[] = { { "x", CAIRN_ENTRY_FILE, NULL, NULL, data, strlen(inside) } };
		add_tree(e, 1, t_a);
	}
	{
		struct raw_entry e[] = {
			{ "a", CAIRN_ENTRY_DIR, t_a, NULL, NULL, 0 },
			{ "f", CAIRN_ENTRY_FILE, NULL, NULL, data, strlen(inside) },
		};
		add_tree(e, 2, root2);
	}
	store_pack_and_index();
	write_snapshot(root1, now_ns, "/symlinks");
	write_snapshot(root2, now_ns + 1, "/symlinks");
	free(victim);
}

int main(int argc, char **argv)
{
	struct cairn_secret *secret = NULL;
	struct timespec ts;
	int hostile = argc == 5 && strcmp(argv[1], "hostile-tree") == 0;
	int symlinks = argc == 6 && strcmp(argv[1], "symlink-escape") == 0;

	if (!hostile && !symlinks) {
		fprintf(stderr, "usage: craft_repo hostile-tree REPO_URL KEY_FILE STATE_DIR\n"
				"       craft_repo symlink-escape REPO_URL KEY_FILE STATE_DIR OUTSIDE_DIR\n");
		return 2;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	now_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	CHECK(cairn_crypto_init(), "crypto init");
	CHECK(cairn_secret_read_key_file(argv[3], &secret), "read key file");
	CHECK(cairn_repo_open(argv[2], secret, argv[4], &repo), "open repository");
	cairn_secret_free(secret);
	CHECK(cairn_repo_sync(repo, NULL, NULL), "sync");
	CHECK(cairn_pack_writer_new(&writer), "pack writer");
	if (hostile)
		hostile_tree();
	else
		symlink_escape(argv[5]);
	cairn_pack_writer_free(writer);
	cairn_repo_close(repo);
	return 0;
}
