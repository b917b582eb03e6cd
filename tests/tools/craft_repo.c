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
 *   craft_repo deep-chain REPO_URL KEY_FILE STATE_DIR LEVELS
 *   craft_repo shared-subtree REPO_URL KEY_FILE STATE_DIR SMALL HUGE
 *   craft_repo name-collisions REPO_URL KEY_FILE STATE_DIR OUTSIDE_DIR
 *   craft_repo hardlink-ids REPO_URL KEY_FILE STATE_DIR OUTSIDE_DIR
 *   craft_repo size-mismatch REPO_URL KEY_FILE STATE_DIR
 *       Hostile repositories for tests/e2e/test_hostile.sh: a chain of LEVELS
 *       nested directories; subtrees shared 2^k times; duplicate, unsorted and
 *       symlink-then-entry names; hardlink ids reused across snapshots and
 *       across entry types; sizes that disagree with the content. Each is
 *       described at its function below; every root tree also holds ok.txt.
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
	uint64_t hardlink;                /* 0, or a hardlink id */
};

/* When set, add_tree keeps the entries in the order given: duplicate and
 * unsorted names, which cairn_tree_encode() and the decoder refuse. */
static int keep_order;

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

	if (!keep_order)
		qsort(ents, n, sizeof(*ents), raw_cmp);
	rc |= cairn_buf_append(&t, CAIRN_TREE_MAGIC, 8);
	rc |= cairn_buf_put_u32le(&t, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		const struct raw_entry *e = &ents[i];
		uint32_t mode = e->type == CAIRN_ENTRY_DIR ? 0755 : e->type == CAIRN_ENTRY_SYMLINK ? 0777 : 0644;
		size_t nblobs = e->content ? 1 : 0;

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
		rc |= cairn_buf_put_u64le(&t, e->hardlink);
		rc |= cairn_buf_put_u32le(&t, 0);                     /* flags */
		rc |= cairn_buf_put_bytes32(&t, e->target, e->target ? strlen(e->target) : 0);
		if (e->type == CAIRN_ENTRY_DIR)
			rc |= cairn_buf_append(&t, e->subtree, CAIRN_ID_BYTES);
		rc |= cairn_buf_put_u32le(&t, (uint32_t)nblobs);
		for (size_t k = 0; k < nblobs; k++)
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
		struct raw_entry e[] = { { "pwned-dotdot.txt", CAIRN_ENTRY_FILE, NULL, NULL, pwned, plen, 0 } };
		add_tree(e, 1, pwned_tree);
	}
	{
		struct raw_entry e[] = { { "..", CAIRN_ENTRY_DIR, pwned_tree, NULL, NULL, 0, 0 } };
		add_tree(e, 1, t_dotdot);
	}
	{
		struct raw_entry e[] = { { "../../escape", CAIRN_ENTRY_DIR, pwned_tree, NULL, NULL, 0, 0 } };
		add_tree(e, 1, t_escape);
	}
	{
		struct raw_entry e[] = { { "/etc/cairn-pwned", CAIRN_ENTRY_FILE, NULL, NULL, pwned, plen, 0 } };
		add_tree(e, 1, t_abs);
	}
	{
		struct raw_entry e[] = { { "x/y", CAIRN_ENTRY_FILE, NULL, NULL, pwned, plen, 0 } };
		add_tree(e, 1, t_slash);
	}
	{
		struct raw_entry e[] = {
			{ "ok.txt", CAIRN_ENTRY_FILE, NULL, NULL, ok, strlen(OK_CONTENT), 0 },
			{ "c-dotdot", CAIRN_ENTRY_DIR, t_dotdot, NULL, NULL, 0, 0 },
			{ "c-escape", CAIRN_ENTRY_DIR, t_escape, NULL, NULL, 0, 0 },
			{ "c-absolute", CAIRN_ENTRY_DIR, t_abs, NULL, NULL, 0, 0 },
			{ "c-slash", CAIRN_ENTRY_DIR, t_slash, NULL, NULL, 0, 0 },
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
			{ "a", CAIRN_ENTRY_SYMLINK, NULL, outside, NULL, 0, 0 },
			{ "f", CAIRN_ENTRY_SYMLINK, NULL, victim, NULL, 0, 0 },
		};
		add_tree(e, 2, root1);
	}
	{
		struct raw_entry e[] = { { "x", CAIRN_ENTRY_FILE, NULL, NULL, data, strlen(inside), 0 } };
		add_tree(e, 1, t_a);
	}
	{
		struct raw_entry e[] = {
			{ "a", CAIRN_ENTRY_DIR, t_a, NULL, NULL, 0, 0 },
			{ "f", CAIRN_ENTRY_FILE, NULL, NULL, data, strlen(inside), 0 },
		};
		add_tree(e, 2, root2);
	}
	store_pack_and_index();
	write_snapshot(root1, now_ns, "/symlinks");
	write_snapshot(root2, now_ns + 1, "/symlinks");
	free(victim);
}

#define ID_ARRAY(n) ((uint8_t(*)[CAIRN_ID_BYTES])calloc((n), CAIRN_ID_BYTES))

/* A root tree holding ok.txt and the given directory entries. */
static void root_with(struct raw_entry *dirs, size_t n, uint8_t root[CAIRN_ID_BYTES])
{
	static uint8_t ok[CAIRN_ID_BYTES];
	struct raw_entry *e = calloc(n + 1, sizeof(*e));

	if (e == NULL)
		die(CAIRN_ENOMEM, "entries");
	add_blob(CAIRN_BLOB_DATA, OK_CONTENT, strlen(OK_CONTENT), ok);
	e[0] = (struct raw_entry){ "ok.txt", CAIRN_ENTRY_FILE, NULL, NULL, ok, strlen(OK_CONTENT), 0 };
	memcpy(e + 1, dirs, n * sizeof(*e));
	add_tree(e, n + 1, root);
	free(e);
}

/* chain: N nested directories "d", the last holding bottom.txt. Every level
 * is its own tree (60,000 levels: 60,000 small trees in one pack). */
static void deep_chain(long levels)
{
	static const char bottom[] = "bottom of the chain\n";
	uint8_t cur[CAIRN_ID_BYTES], next[CAIRN_ID_BYTES], data[CAIRN_ID_BYTES], root[CAIRN_ID_BYTES];

	add_blob(CAIRN_BLOB_DATA, bottom, strlen(bottom), data);
	{
		struct raw_entry e[] = { { "bottom.txt", CAIRN_ENTRY_FILE, NULL, NULL, data, strlen(bottom), 0 } };
		add_tree(e, 1, cur);
	}
	for (long i = 1; i < levels; i++) {
		struct raw_entry e[] = { { "d", CAIRN_ENTRY_DIR, cur, NULL, NULL, 0, 0 } };
		add_tree(e, 1, next);
		memcpy(cur, next, sizeof(cur));
	}
	{
		struct raw_entry e[] = { { "chain", CAIRN_ENTRY_DIR, cur, NULL, NULL, 0, 0 } };
		root_with(e, 1, root);
	}
	store_pack_and_index();
	write_snapshot(root, now_ns, "/deep-chain");
}

/* Sharing: T0 = { f: file }, Tk = { a: Tk-1, b: Tk-1 }: 2^k paths to f
 * through k+1 distinct trees. Snapshot 1: share = T(small); snapshot 2
 * (1 ns newer): share = T(huge), 2^huge files if expanded. */
static void shared_subtree(long small, long huge)
{
	static const char leaf[] = "leaf\n";
	long top = small > huge ? small : huge;
	uint8_t(*t)[CAIRN_ID_BYTES] = ID_ARRAY((size_t)top + 1);
	uint8_t data[CAIRN_ID_BYTES], root1[CAIRN_ID_BYTES], root2[CAIRN_ID_BYTES];

	if (t == NULL)
		die(CAIRN_ENOMEM, "trees");
	add_blob(CAIRN_BLOB_DATA, leaf, strlen(leaf), data);
	{
		struct raw_entry e[] = { { "f", CAIRN_ENTRY_FILE, NULL, NULL, data, strlen(leaf), 0 } };
		add_tree(e, 1, t[0]);
	}
	for (long k = 1; k <= top; k++) {
		struct raw_entry e[] = { { "a", CAIRN_ENTRY_DIR, t[k - 1], NULL, NULL, 0, 0 },
					 { "b", CAIRN_ENTRY_DIR, t[k - 1], NULL, NULL, 0, 0 } };
		add_tree(e, 2, t[k]);
	}
	{
		struct raw_entry e[] = { { "share", CAIRN_ENTRY_DIR, t[small], NULL, NULL, 0, 0 } };
		root_with(e, 1, root1);
	}
	{
		struct raw_entry e[] = { { "share", CAIRN_ENTRY_DIR, t[huge], NULL, NULL, 0, 0 } };
		root_with(e, 1, root2);
	}
	store_pack_and_index();
	write_snapshot(root1, now_ns, "/shared");
	write_snapshot(root2, now_ns + 1, "/shared");
	free(t);
}

/* Names that collide: trees the encoder refuses, each alone in its subtree
 *   c-dup/        "dup" twice (two files, different content)
 *   c-duptype/    "x" a file, then "x" a directory holding inner.txt
 *   c-unsorted/   "b" then "a"
 *   c-symdup/     "a" a symlink to OUTSIDE, then "a" a directory holding
 *                 pwned.txt; "v" a symlink to OUTSIDE/victim, then "v" a file
 * (symlinks followed by entries under the same name). */
static void name_collisions(const char *outside)
{
	uint8_t pw[CAIRN_ID_BYTES], other[CAIRN_ID_BYTES], inner[CAIRN_ID_BYTES];
	uint8_t t_dup[CAIRN_ID_BYTES], t_duptype[CAIRN_ID_BYTES], t_unsorted[CAIRN_ID_BYTES], t_symdup[CAIRN_ID_BYTES];
	uint8_t root[CAIRN_ID_BYTES];
	uint64_t plen = strlen(PWNED_CONTENT);
	char *victim = cairn_asprintf("%s/victim", outside);

	if (victim == NULL)
		die(CAIRN_ENOMEM, "path");
	add_blob(CAIRN_BLOB_DATA, PWNED_CONTENT, plen, pw);
	add_blob(CAIRN_BLOB_DATA, "other\n", 6, other);
	{
		struct raw_entry e[] = { { "pwned.txt", CAIRN_ENTRY_FILE, NULL, NULL, pw, plen, 0 } };
		add_tree(e, 1, inner);
	}
	keep_order = 1;
	{
		struct raw_entry e[] = { { "dup", CAIRN_ENTRY_FILE, NULL, NULL, other, 6, 0 },
					 { "dup", CAIRN_ENTRY_FILE, NULL, NULL, pw, plen, 0 } };
		add_tree(e, 2, t_dup);
	}
	{
		struct raw_entry e[] = { { "x", CAIRN_ENTRY_FILE, NULL, NULL, other, 6, 0 },
					 { "x", CAIRN_ENTRY_DIR, inner, NULL, NULL, 0, 0 } };
		add_tree(e, 2, t_duptype);
	}
	{
		struct raw_entry e[] = { { "b", CAIRN_ENTRY_FILE, NULL, NULL, other, 6, 0 },
					 { "a", CAIRN_ENTRY_FILE, NULL, NULL, other, 6, 0 } };
		add_tree(e, 2, t_unsorted);
	}
	{
		struct raw_entry e[] = { { "a", CAIRN_ENTRY_SYMLINK, NULL, outside, NULL, 0, 0 },
					 { "a", CAIRN_ENTRY_DIR, inner, NULL, NULL, 0, 0 },
					 { "v", CAIRN_ENTRY_SYMLINK, NULL, victim, NULL, 0, 0 },
					 { "v", CAIRN_ENTRY_FILE, NULL, NULL, pw, plen, 0 } };
		add_tree(e, 4, t_symdup);
	}
	keep_order = 0;
	{
		struct raw_entry e[] = { { "c-dup", CAIRN_ENTRY_DIR, t_dup, NULL, NULL, 0, 0 },
					 { "c-duptype", CAIRN_ENTRY_DIR, t_duptype, NULL, NULL, 0, 0 },
					 { "c-unsorted", CAIRN_ENTRY_DIR, t_unsorted, NULL, NULL, 0, 0 },
					 { "c-symdup", CAIRN_ENTRY_DIR, t_symdup, NULL, NULL, 0, 0 } };
		root_with(e, 4, root);
	}
	store_pack_and_index();
	write_snapshot(root, now_ns, "/collisions");
	free(victim);
}

/* Hardlink ids reused across and within snapshots:
 *   1: a, b          files "content A", hardlink 1
 *   2 (1 ns newer): c  file "content C", hardlink 1 (alone: not a link to a)
 *   3 (2 ns newer): mixed/ h1 symlink to OUTSIDE/victim, h2 file PWNED,
 *                  h3 fifo, h4 directory, all hardlink 5 (the symlink comes
 *                  first); sizes/ s1 file "content A" and s2 file "other", both
 *                  hardlink 6 (one inode, two sizes: s2 is damaged) */
static void hardlink_ids(const char *outside)
{
	uint8_t ca[CAIRN_ID_BYTES], cc[CAIRN_ID_BYTES], pw[CAIRN_ID_BYTES], other[CAIRN_ID_BYTES], empty[CAIRN_ID_BYTES];
	uint8_t t_mixed[CAIRN_ID_BYTES], t_sizes[CAIRN_ID_BYTES];
	uint8_t root1[CAIRN_ID_BYTES], root2[CAIRN_ID_BYTES], root3[CAIRN_ID_BYTES];
	uint64_t plen = strlen(PWNED_CONTENT);
	char *victim = cairn_asprintf("%s/victim", outside);

	if (victim == NULL)
		die(CAIRN_ENOMEM, "path");
	add_blob(CAIRN_BLOB_DATA, "content A\n", 10, ca);
	add_blob(CAIRN_BLOB_DATA, "content C\n", 10, cc);
	add_blob(CAIRN_BLOB_DATA, PWNED_CONTENT, plen, pw);
	add_blob(CAIRN_BLOB_DATA, "other\n", 6, other);
	{
		struct raw_entry none = { "", CAIRN_ENTRY_FILE, NULL, NULL, NULL, 0, 0 };
		add_tree(&none, 0, empty);
	}
	{
		struct raw_entry e[] = { { "a", CAIRN_ENTRY_FILE, NULL, NULL, ca, 10, 1 },
					 { "b", CAIRN_ENTRY_FILE, NULL, NULL, ca, 10, 1 } };
		add_tree(e, 2, root1);
	}
	{
		struct raw_entry e[] = { { "c", CAIRN_ENTRY_FILE, NULL, NULL, cc, 10, 1 } };
		add_tree(e, 1, root2);
	}
	{
		struct raw_entry e[] = { { "h1", CAIRN_ENTRY_SYMLINK, NULL, victim, NULL, 0, 5 },
					 { "h2", CAIRN_ENTRY_FILE, NULL, NULL, pw, plen, 5 },
					 { "h3", CAIRN_ENTRY_FIFO, NULL, NULL, NULL, 0, 5 },
					 { "h4", CAIRN_ENTRY_DIR, empty, NULL, NULL, 0, 5 } };
		add_tree(e, 4, t_mixed);
	}
	{
		struct raw_entry e[] = { { "s1", CAIRN_ENTRY_FILE, NULL, NULL, ca, 10, 6 },
					 { "s2", CAIRN_ENTRY_FILE, NULL, NULL, other, 6, 6 } };
		add_tree(e, 2, t_sizes);
	}
	{
		struct raw_entry e[] = { { "mixed", CAIRN_ENTRY_DIR, t_mixed, NULL, NULL, 0, 0 },
					 { "sizes", CAIRN_ENTRY_DIR, t_sizes, NULL, NULL, 0, 0 } };
		root_with(e, 2, root3);
	}
	store_pack_and_index();
	write_snapshot(root1, now_ns, "/hardlinks");
	write_snapshot(root2, now_ns + 1, "/hardlinks");
	write_snapshot(root3, now_ns + 2, "/hardlinks");
	free(victim);
}

/* Files whose size disagrees with their content ("content" is 30 bytes):
 *   sizes/ longer (size 1000), shorter (size 10), zero (size 0 with the
 *   blob), huge (size 2^62, no blob), right (size 30: the one correct file) */
static void size_mismatch(void)
{
	static const char c30[] = "thirty bytes of file content.\n";
	uint8_t data[CAIRN_ID_BYTES], t[CAIRN_ID_BYTES], root[CAIRN_ID_BYTES];

	_Static_assert(sizeof(c30) - 1 == 30, "30 bytes");
	add_blob(CAIRN_BLOB_DATA, c30, 30, data);
	{
		struct raw_entry e[] = { { "longer", CAIRN_ENTRY_FILE, NULL, NULL, data, 1000, 0 },
					 { "shorter", CAIRN_ENTRY_FILE, NULL, NULL, data, 10, 0 },
					 { "zero", CAIRN_ENTRY_FILE, NULL, NULL, data, 0, 0 },
					 { "huge", CAIRN_ENTRY_FILE, NULL, NULL, NULL, (uint64_t)1 << 62, 0 },
					 { "right", CAIRN_ENTRY_FILE, NULL, NULL, data, 30, 0 } };
		add_tree(e, 5, t);
	}
	{
		struct raw_entry e[] = { { "sizes", CAIRN_ENTRY_DIR, t, NULL, NULL, 0, 0 } };
		root_with(e, 1, root);
	}
	store_pack_and_index();
	write_snapshot(root, now_ns, "/sizes");
}

static long arg_long(const char *text, long min, long max)
{
	char *end;
	long v = strtol(text, &end, 10);

	if (*text == '\0' || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "craft_repo: '%s' is not a number from %ld to %ld\n", text, min, max);
		exit(2);
	}
	return v;
}

static const char usage[] =
	"usage: craft_repo COMMAND REPO_URL KEY_FILE STATE_DIR [ARGS]\n"
	"  hostile-tree\n"
	"  symlink-escape OUTSIDE_DIR\n"
	"  deep-chain LEVELS\n"
	"  shared-subtree SMALL_LEVELS HUGE_LEVELS\n"
	"  name-collisions OUTSIDE_DIR\n"
	"  hardlink-ids OUTSIDE_DIR\n"
	"  size-mismatch\n";

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int nargs;
	} cmds[] = { { "hostile-tree", 0 }, { "symlink-escape", 1 }, { "deep-chain", 1 }, { "shared-subtree", 2 },
		     { "name-collisions", 1 }, { "hardlink-ids", 1 }, { "size-mismatch", 0 } };
	struct cairn_secret *secret = NULL;
	struct timespec ts;
	const char *cmd = argc > 1 ? argv[1] : "";
	int found = 0;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmd, cmds[i].name) == 0 && argc == 5 + cmds[i].nargs)
			found = 1;
	if (!found) {
		fputs(usage, stderr);
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
	if (strcmp(cmd, "hostile-tree") == 0)
		hostile_tree();
	else if (strcmp(cmd, "symlink-escape") == 0)
		symlink_escape(argv[5]);
	else if (strcmp(cmd, "deep-chain") == 0)
		deep_chain(arg_long(argv[5], 1, 10000000));
	else if (strcmp(cmd, "shared-subtree") == 0)
		shared_subtree(arg_long(argv[5], 0, 62), arg_long(argv[6], 0, 62));
	else if (strcmp(cmd, "name-collisions") == 0)
		name_collisions(argv[5]);
	else if (strcmp(cmd, "hardlink-ids") == 0)
		hardlink_ids(argv[5]);
	else
		size_mismatch();
	cairn_pack_writer_free(writer);
	cairn_repo_close(repo);
	return 0;
}
