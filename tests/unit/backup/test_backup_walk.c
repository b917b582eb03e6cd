/* Unit tests for the backup walk (lib/backup/backup_dir.c): entries swapped
 * between a directory's listing and their backup are never followed out of
 * the tree (the test-only on_dir_listed hook makes the race deterministic),
 * and a tree deeper than PATH_MAX backs up whole under a low descriptor limit
 * with a bounded number of descriptors. The snapshots are checked by walking
 * their trees in the repository, not by restoring them. */
#include "cairn_test.h"

#include "repo_fixture.h"

#include "cairn/backup.h"
#include "cairn/catalog.h"
#include "cairn/err.h"
#include "cairn/tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

/* test paths are short; snprintf into fixed buffers is fine here */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define SECRET "TOP-SECRET-e1f0c4b2-must-never-be-in-a-snapshot"
#define DEPTH 3000
#define BUDGET_FILES 64 /* BACKUP_MAX_OPEN_FILES in lib/backup/backup_internal.h */

struct walk_test {
	struct repo_fixture rf;
	char outside[600]; /* next to src: what the tree must never reach */
	/* the swap done by on_dir_listed when `when` is listed */
	char when[600];
	void (*swap)(struct walk_test *t);
	int swapped;
	/* warnings */
	int nwarn;
	char warn_path[8][600];
	char warn_msg[8][300];
	enum cairn_event_code warn_code[8];
	/* descriptors */
	int max_fds;
};

static int setup(void **state)
{
	struct walk_test *t = calloc(1, sizeof(*t));
	char p[700];
	FILE *fp;

	repo_fixture_init(&t->rf, "backup_walk");
	snprintf(t->outside, sizeof(t->outside), "%s/outside", t->rf.dir);
	assert_int_equal(mkdir(t->outside, 0700), 0);
	snprintf(p, sizeof(p), "%s/secret.txt", t->outside);
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs(SECRET "\n", fp);
	fclose(fp);
	repo_fixture_create(&t->rf, NULL);
	assert_int_equal(cairn_repo_sync(t->rf.r, NULL, NULL), 0);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct walk_test *t = *state;

	repo_fixture_fini(&t->rf);
	free(t);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n - 3; /* ".", "..", and the one of opendir */
}

static void on_warning(void *ctx, const struct cairn_event *ev)
{
	struct walk_test *t = ctx;

	assert_int_equal(ev->object.type, CAIRN_EVENT_OBJECT_NONE); /* entries, not objects */
	if (t->nwarn < 8) {
		snprintf(t->warn_path[t->nwarn], sizeof(t->warn_path[0]), "%s", ev->path);
		snprintf(t->warn_msg[t->nwarn], sizeof(t->warn_msg[0]), "%s", ev->message);
		t->warn_code[t->nwarn] = ev->code;
	}
	t->nwarn++;
}

static void on_dir_listed(void *ctx, const char *path)
{
	struct walk_test *t = ctx;
	int n = count_fds();

	if (n > t->max_fds)
		t->max_fds = n;
	if (t->swap != NULL && !t->swapped && strcmp(path, t->when) == 0) {
		t->swap(t);
		t->swapped = 1;
	}
}

static int run_backup_threads(struct walk_test *t, int threads, struct cairn_snapshot *snap)
{
	const char *paths[1] = { t->rf.src };
	struct cairn_backup_opts o = { 0 };

	o.paths = paths;
	o.npaths = 1;
	o.threads = threads;
	o.on_warning = on_warning;
	o.on_dir_listed = on_dir_listed;
	o.ctx = t;
	return cairn_backup_run(t->rf.r, &o, snap);
}

static int run_backup(struct walk_test *t, struct cairn_snapshot *snap)
{
	return run_backup_threads(t, 2, snap);
}

static void read_tree(struct cairn_repo *r, const uint8_t id[CAIRN_ID_BYTES], struct cairn_entry **ret, size_t *ret_n)
{
	struct cairn_buf buf = { 0 };

	if (cairn_repo_blob_read(r, NULL, CAIRN_BLOB_TREE, id, &buf, NULL) != 0)
		fail_msg("cannot read tree: %s", cairn_err_msg());
	assert_int_equal(cairn_tree_decode(buf.data, buf.len, ret, ret_n), 0);
	cairn_buf_free(&buf);
}

static const struct cairn_entry *find(const struct cairn_entry *e, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (e[i].name_len == strlen(name) && memcmp(e[i].name, name, e[i].name_len) == 0)
			return &e[i];
	return NULL;
}

/* The tree of the absolute directory `path` in the snapshot `s`. */
static void tree_of(struct cairn_repo *r, const struct cairn_snapshot *s, const char *path,
		    uint8_t ret[CAIRN_ID_BYTES])
{
	char *copy = strdup(path), *save = NULL;

	memcpy(ret, s->tree, CAIRN_ID_BYTES);
	for (char *comp = strtok_r(copy, "/", &save); comp != NULL; comp = strtok_r(NULL, "/", &save)) {
		struct cairn_entry *e;
		const struct cairn_entry *x;
		size_t n;

		read_tree(r, ret, &e, &n);
		x = find(e, n, comp);
		if (x == NULL || x->type != CAIRN_ENTRY_DIR)
			fail_msg("'%s' is not a directory of the snapshot (at '%s')", path, comp);
		memcpy(ret, x->subtree, CAIRN_ID_BYTES);
		cairn_entries_free(e, n);
	}
	free(copy);
}

/* The whole content of a file entry. malloc'd, *ret_len bytes. */
static uint8_t *file_content(struct cairn_repo *r, const struct cairn_entry *e, size_t *ret_len)
{
	struct cairn_buf all = { 0 };
	uint8_t *out;

	for (size_t k = 0; k < e->content_count; k++) {
		struct cairn_buf b = { 0 };

		assert_int_equal(cairn_repo_blob_read(r, NULL, CAIRN_BLOB_DATA, e->content + k * CAIRN_ID_BYTES, &b,
						      NULL), 0);
		assert_int_equal(cairn_buf_append(&all, b.data, b.len), 0);
		cairn_buf_free(&b);
	}
	*ret_len = all.len;
	out = malloc(all.len + 1);
	assert_non_null(out);
	if (all.len > 0)
		memcpy(out, all.data, all.len);
	cairn_buf_free(&all);
	return out;
}

/* Whether any file content or symlink target under `tree` holds `needle`
 * (an explicit stack of tree ids, no recursion). */
static int tree_holds(struct cairn_repo *r, const uint8_t tree[CAIRN_ID_BYTES], const char *needle)
{
	uint8_t *stack = malloc(CAIRN_ID_BYTES);
	size_t depth = 1, cap = 1;
	int found = 0;

	assert_non_null(stack);
	memcpy(stack, tree, CAIRN_ID_BYTES);
	while (depth > 0 && !found) {
		struct cairn_entry *e;
		uint8_t id[CAIRN_ID_BYTES];
		size_t n;

		memcpy(id, stack + --depth * CAIRN_ID_BYTES, CAIRN_ID_BYTES);
		read_tree(r, id, &e, &n);
		for (size_t i = 0; i < n && !found; i++) {
			if (e[i].type == CAIRN_ENTRY_DIR) {
				if (depth == cap) {
					cap *= 2;
					stack = realloc(stack, cap * CAIRN_ID_BYTES);
					assert_non_null(stack);
				}
				memcpy(stack + depth++ * CAIRN_ID_BYTES, e[i].subtree, CAIRN_ID_BYTES);
			} else if (e[i].type == CAIRN_ENTRY_FILE) {
				size_t len;
				uint8_t *data = file_content(r, &e[i], &len);

				found = memmem(data, len, needle, strlen(needle)) != NULL;
				free(data);
			}
		}
		cairn_entries_free(e, n);
	}
	free(stack);
	return found;
}

/* The warning about `path`: its code must be `code`, its message contain `what`. */
static void assert_warned(const struct walk_test *t, const char *path, enum cairn_event_code code, const char *what)
{
	for (int i = 0; i < t->nwarn && i < 8; i++)
		if (strcmp(t->warn_path[i], path) == 0) {
			if (strstr(t->warn_msg[i], what) == NULL)
				fail_msg("warning on '%s' is '%s', expected '%s'", path, t->warn_msg[i], what);
			if (t->warn_code[i] != code)
				fail_msg("warning on '%s' is %s, expected %s", path, cairn_event_code_name(t->warn_code[i]),
					 cairn_event_code_name(code));
			return;
		}
	fail_msg("no warning names '%s' (%d warnings)", path, t->nwarn);
}

/* The entry `name` of the snapshot's source tree. */
static void src_entry(struct walk_test *t, const struct cairn_snapshot *s, const char *name, struct cairn_entry *ret)
{
	uint8_t id[CAIRN_ID_BYTES];
	struct cairn_entry *e;
	const struct cairn_entry *x;
	size_t n;

	tree_of(t->rf.r, s, t->rf.src, id);
	read_tree(t->rf.r, id, &e, &n);
	x = find(e, n, name);
	if (x == NULL)
		fail_msg("no entry '%s' in the snapshot", name);
	*ret = *x;
	memset((void *)x, 0, sizeof(*x));
	cairn_entries_free(e, n);
}

/* src/d: a directory with a file, listed in src, then swapped. */
static void make_dir_d(struct walk_test *t)
{
	char p[700];

	snprintf(p, sizeof(p), "%s/d", t->rf.src);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/d/inner.txt", t->rf.src);
	write_file(p, "inside the tree\n");
	snprintf(p, sizeof(p), "%s/a.txt", t->rf.src);
	write_file(p, "before d\n");
	snprintf(t->when, sizeof(t->when), "%s", t->rf.src);
}

static void move_d_away(struct walk_test *t)
{
	char from[700], to[700];

	snprintf(from, sizeof(from), "%s/d", t->rf.src);
	snprintf(to, sizeof(to), "%s/d.moved", t->rf.dir);
	assert_int_equal(rename(from, to), 0);
}

static void swap_d_for_symlink(struct walk_test *t)
{
	char p[700];

	move_d_away(t);
	snprintf(p, sizeof(p), "%s/d", t->rf.src);
	assert_int_equal(symlink(t->outside, p), 0);
}

static void swap_d_for_outside(struct walk_test *t)
{
	char p[700];

	move_d_away(t);
	snprintf(p, sizeof(p), "%s/d", t->rf.src);
	assert_int_equal(rename(t->outside, p), 0);
}

/* The snapshot of a tree whose directory d was swapped: d is kept as the
 * directory it was when listed, empty and flagged, with a warning naming
 * it; nothing of the outside directory is in the snapshot. */
static void check_swapped_dir(struct walk_test *t, const char *what)
{
	struct cairn_snapshot s = { 0 };
	struct cairn_entry d = { 0 }, *sub;
	uint8_t id[CAIRN_ID_BYTES];
	char p[700];
	size_t n;

	if (run_backup(t, &s) != 0)
		fail_msg("backup: %s", cairn_err_msg());
	assert_true(t->swapped);
	assert_int_equal(s.partial, 1);
	assert_int_equal(s.stats.errors, 1);
	snprintf(p, sizeof(p), "%s/d", t->rf.src);
	assert_warned(t, p, CAIRN_EVENT_CHANGED, what);
	src_entry(t, &s, "d", &d);
	assert_int_equal(d.type, CAIRN_ENTRY_DIR);
	assert_true(d.flags & CAIRN_ENTRY_F_UNREADABLE);
	read_tree(t->rf.r, d.subtree, &sub, &n);
	assert_int_equal(n, 0);
	cairn_entries_free(sub, n);
	cairn_entry_clear(&d);
	tree_of(t->rf.r, &s, "/", id);
	assert_false(tree_holds(t->rf.r, id, SECRET));
	assert_true(tree_holds(t->rf.r, id, "before d")); /* the walk went on */
	cairn_snapshot_clear(&s);
}

static void test_backup_walk_dir_swapped_for_symlink(void **state)
{
	struct walk_test *t = *state;

	make_dir_d(t);
	t->swap = swap_d_for_symlink;
	check_swapped_dir(t, "replaced");
}

static void test_backup_walk_dir_swapped_for_directory(void **state)
{
	struct walk_test *t = *state;

	make_dir_d(t);
	t->swap = swap_d_for_outside;
	check_swapped_dir(t, "replaced");
}

static void swap_files(struct walk_test *t)
{
	char p[700], q[700];

	/* the small file becomes a symlink to the secret */
	snprintf(p, sizeof(p), "%s/small.txt", t->rf.src);
	snprintf(q, sizeof(q), "%s/secret.txt", t->outside);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink(q, p), 0);
	/* the big file becomes another file holding the secret */
	snprintf(p, sizeof(p), "%s/big.bin", t->rf.src);
	snprintf(q, sizeof(q), "%s/big-secret.bin", t->outside);
	assert_int_equal(rename(q, p), 0);
}

static void test_backup_walk_files_swapped(void **state)
{
	struct walk_test *t = *state;
	struct cairn_snapshot s = { 0 };
	struct cairn_entry e = { 0 };
	size_t big = cairn_repo_config(t->rf.r)->chunker.min + 4096;
	uint8_t id[CAIRN_ID_BYTES];
	char p[700], *data;
	FILE *fp;

	snprintf(p, sizeof(p), "%s/small.txt", t->rf.src);
	write_file(p, "small and harmless\n");
	snprintf(p, sizeof(p), "%s/big.bin", t->rf.src);
	cairn_test_write_random_file(p, big, 5);
	/* same size, the secret in its first chunk */
	data = calloc(1, big);
	assert_non_null(data);
	memcpy(data, SECRET, strlen(SECRET));
	snprintf(p, sizeof(p), "%s/big-secret.bin", t->outside);
	fp = fopen(p, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, big, fp), big);
	fclose(fp);
	free(data);
	snprintf(t->when, sizeof(t->when), "%s", t->rf.src);
	t->swap = swap_files;

	if (run_backup(t, &s) != 0)
		fail_msg("backup: %s", cairn_err_msg());
	assert_true(t->swapped);
	assert_int_equal(s.partial, 1);
	assert_int_equal(s.stats.errors, 2);
	snprintf(p, sizeof(p), "%s/small.txt", t->rf.src);
	assert_warned(t, p, CAIRN_EVENT_CHANGED, "cannot open"); /* a symlink now */
	snprintf(p, sizeof(p), "%s/big.bin", t->rf.src);
	assert_warned(t, p, CAIRN_EVENT_CHANGED, "replaced");
	src_entry(t, &s, "small.txt", &e);
	assert_int_equal(e.type, CAIRN_ENTRY_FILE);
	assert_true(e.flags & CAIRN_ENTRY_F_UNREADABLE);
	assert_int_equal(e.content_count, 0);
	cairn_entry_clear(&e);
	src_entry(t, &s, "big.bin", &e);
	assert_true(e.flags & CAIRN_ENTRY_F_UNREADABLE);
	assert_int_equal(e.content_count, 0);
	cairn_entry_clear(&e);
	tree_of(t->rf.r, &s, "/", id);
	assert_false(tree_holds(t->rf.r, id, SECRET));
	cairn_snapshot_clear(&s);
}

static void remove_files(struct walk_test *t)
{
	char p[700];

	snprintf(p, sizeof(p), "%s/small.txt", t->rf.src);
	assert_int_equal(unlink(p), 0);
	snprintf(p, sizeof(p), "%s/big.bin", t->rf.src);
	assert_int_equal(unlink(p), 0);
}

/* Files that cannot be opened (gone after their directory was listed and
 * stat'ed: what a test can do as root) are reported as unreadable, by
 * path, and kept flagged unreadable. */
static void test_backup_walk_unreadable_files(void **state)
{
	struct walk_test *t = *state;
	struct cairn_snapshot s = { 0 };
	struct cairn_entry e = { 0 };
	char p[700];

	snprintf(p, sizeof(p), "%s/small.txt", t->rf.src);
	write_file(p, "small\n");
	snprintf(p, sizeof(p), "%s/big.bin", t->rf.src);
	cairn_test_write_random_file(p, cairn_repo_config(t->rf.r)->chunker.min + 4096, 6);
	snprintf(t->when, sizeof(t->when), "%s", t->rf.src);
	t->swap = remove_files;
	if (run_backup(t, &s) != 0)
		fail_msg("backup: %s", cairn_err_msg());
	assert_int_equal(s.partial, 1);
	/* each: cannot open, and cannot list its extended attributes */
	assert_int_equal(s.stats.errors, 4);
	assert_int_equal(t->nwarn, 4);
	for (int i = 0; i < t->nwarn; i++)
		assert_int_equal(t->warn_code[i], CAIRN_EVENT_UNREADABLE);
	snprintf(p, sizeof(p), "%s/small.txt", t->rf.src);
	assert_warned(t, p, CAIRN_EVENT_UNREADABLE, "cannot open");
	snprintf(p, sizeof(p), "%s/big.bin", t->rf.src);
	assert_warned(t, p, CAIRN_EVENT_UNREADABLE, "cannot open");
	src_entry(t, &s, "big.bin", &e);
	assert_true(e.flags & CAIRN_ENTRY_F_UNREADABLE);
	cairn_entry_clear(&e);
	cairn_snapshot_clear(&s);
}

/* A chain of DEPTH directories "d" under src (a path of 2 * DEPTH bytes,
 * beyond PATH_MAX), a file at the bottom and one half-way, backed up under
 * RLIMIT_NOFILE 256: every level is in the snapshot, the files' contents
 * are, no warning, and the descriptors held stay bounded. */
static void test_backup_walk_deeper_than_path_max(void **state)
{
	struct walk_test *t = *state;
	struct cairn_snapshot s = { 0 };
	struct rlimit old, low;
	uint8_t id[CAIRN_ID_BYTES];
	int fd, base_fds, levels = 0, found_leaf = 0, found_mid = 0;

	fd = open(t->rf.src, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	for (int i = 1; i <= DEPTH; i++) {
		int next;

		assert_int_equal(mkdirat(fd, "d", 0755), 0);
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY);
		assert_true(next >= 0);
		close(fd);
		fd = next;
		if (i == DEPTH / 2 || i == DEPTH) {
			int f = openat(fd, i == DEPTH ? "leaf.txt" : "mid.txt", O_WRONLY | O_CREAT | O_EXCL, 0644);
			char text[64];
			int len = snprintf(text, sizeof(text), "level %d\n", i);

			assert_true(f >= 0);
			assert_int_equal(write(f, text, (size_t)len), len);
			close(f);
		}
	}
	close(fd);

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 256;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	base_fds = count_fds();
	if (run_backup(t, &s) != 0)
		fail_msg("backup: %s", cairn_err_msg());
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(t->nwarn, 0);
	assert_int_equal(s.partial, 0);
	assert_int_equal(s.stats.files, 2);
	/* the dirstack's 32 directories, the listing's duplicate, the
	 * repository's own (packs being written): far from one per level */
	print_message("descriptors: %d before the backup, at most %d during it\n", base_fds, t->max_fds);
	assert_true(t->max_fds <= base_fds + 32 + 16);

	tree_of(t->rf.r, &s, t->rf.src, id);
	for (;;) {
		struct cairn_entry *e;
		const struct cairn_entry *x;
		size_t n;

		read_tree(t->rf.r, id, &e, &n);
		x = find(e, n, "leaf.txt");
		if (x == NULL)
			x = find(e, n, "mid.txt");
		if (x != NULL) {
			char want[64];
			size_t len;
			uint8_t *data = file_content(t->rf.r, x, &len);

			snprintf(want, sizeof(want), "level %d\n", levels);
			assert_int_equal(len, strlen(want));
			assert_memory_equal(data, want, len);
			free(data);
			found_leaf += levels == DEPTH;
			found_mid += levels == DEPTH / 2;
		}
		x = find(e, n, "d");
		if (x == NULL) {
			cairn_entries_free(e, n);
			break;
		}
		assert_int_equal(x->type, CAIRN_ENTRY_DIR);
		assert_int_equal(x->flags, 0);
		memcpy(id, x->subtree, CAIRN_ID_BYTES);
		levels++;
		cairn_entries_free(e, n);
	}
	assert_int_equal(levels, DEPTH);
	assert_int_equal(found_leaf, 1);
	assert_int_equal(found_mid, 1);
	cairn_snapshot_clear(&s);
}

static void move_level_2(struct walk_test *t)
{
	char from[700], to[700];

	snprintf(from, sizeof(from), "%s/d/d", t->rf.src);
	snprintf(to, sizeof(to), "%s/moved", t->rf.dir);
	assert_int_equal(rename(from, to), 0);
}

/* A directory moved out of the tree while the walk is 40 levels below it
 * (its parent's descriptor closed, 32 are kept): going back up through ".."
 * does not reach the recorded parent, so the backup fails naming the path,
 * and no snapshot is written. */
static void test_backup_walk_parent_moved_fails(void **state)
{
	struct walk_test *t = *state;
	struct cairn_snapshot s = { 0 };
	char p[700];
	int fd = open(t->rf.src, O_RDONLY | O_DIRECTORY);

	assert_true(fd >= 0);
	for (int i = 1; i <= 40; i++) {
		int next;

		assert_int_equal(mkdirat(fd, "d", 0755), 0);
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY);
		assert_true(next >= 0);
		close(fd);
		fd = next;
	}
	close(fd);
	/* the listing of level 40 (its path: src and 40 times "/d") */
	snprintf(t->when, sizeof(t->when), "%s", t->rf.src);
	for (int i = 0; i < 40; i++)
		strcat(t->when, "/d");
	t->swap = move_level_2;
	assert_int_equal(run_backup(t, &s), CAIRN_EIO);
	assert_true(t->swapped);
	snprintf(p, sizeof(p), "cannot return to the parent of '%s/d/d'", t->rf.src);
	if (strstr(cairn_err_msg(), p) == NULL)
		fail_msg("unexpected error: %s", cairn_err_msg());
	assert_true(strstr(cairn_err_msg(), "moved or replaced") != NULL);
}

/* Many small files and 32 workers: the pool could hold 3 * 32 + 2 open
 * files, the walk hands at most 64 to the workers and reads the others
 * itself (whether it has to depends on the workers' speed: both ways are
 * right). Every file's content is in the snapshot; the descriptors seen
 * when the next directories are listed stay within the budget. */
static void test_backup_walk_small_files_fd_budget(void **state)
{
	struct walk_test *t = *state;
	struct cairn_snapshot s = { 0 };
	uint8_t id[CAIRN_ID_BYTES];
	struct cairn_entry *e;
	size_t n, seen = 0;
	int base_fds;
	char p[700];

	for (int i = 0; i < 1000; i++) {
		char text[32];

		snprintf(p, sizeof(p), "%s/a%04d", t->rf.src, i);
		snprintf(text, sizeof(text), "small file %d\n", i);
		write_file(p, text);
	}
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/z%d", t->rf.src, i);
		assert_int_equal(mkdir(p, 0755), 0);
	}
	base_fds = count_fds();
	if (run_backup_threads(t, 32, &s) != 0)
		fail_msg("backup: %s", cairn_err_msg());
	assert_int_equal(s.partial, 0);
	assert_int_equal(s.stats.files, 1000);
	assert_int_equal(s.stats.bytes_read, s.stats.bytes);
	print_message("descriptors: %d before the backup, at most %d during it\n", base_fds, t->max_fds);
	assert_true(t->max_fds <= base_fds + 32 + BUDGET_FILES + 16);
	tree_of(t->rf.r, &s, t->rf.src, id);
	read_tree(t->rf.r, id, &e, &n);
	for (size_t k = 0; k < n; k++) {
		char want[32];
		size_t len;
		uint8_t *data;
		int i;

		if (e[k].type != CAIRN_ENTRY_FILE)
			continue;
		assert_int_equal(sscanf((const char *)e[k].name, "a%4d", &i), 1);
		snprintf(want, sizeof(want), "small file %d\n", i);
		data = file_content(t->rf.r, &e[k], &len);
		assert_int_equal(len, strlen(want));
		assert_memory_equal(data, want, len);
		free(data);
		seen++;
	}
	assert_int_equal(seen, 1000);
	cairn_entries_free(e, n);
	cairn_snapshot_clear(&s);
}

static int run_backup_opts(struct walk_test *t, int threads, int no_files_cache, struct cairn_snapshot *snap)
{
	const char *paths[1] = { t->rf.src };
	struct cairn_backup_opts o = { 0 };

	o.paths = paths;
	o.npaths = 1;
	o.threads = threads;
	o.no_files_cache = no_files_cache;
	o.on_warning = on_warning;
	o.ctx = t;
	return cairn_backup_run(t->rf.r, &o, snap);
}

/* The trees of the source directory in two snapshots are the same blob
 * (the root trees may differ: the directories above the source are shared
 * with other tests and their times move). */
static void assert_same_src_tree(struct walk_test *t, const struct cairn_snapshot *a, const struct cairn_snapshot *b)
{
	uint8_t ta[CAIRN_ID_BYTES], tb[CAIRN_ID_BYTES];

	tree_of(t->rf.r, a, t->rf.src, ta);
	tree_of(t->rf.r, b, t->rf.src, tb);
	assert_memory_equal(ta, tb, CAIRN_ID_BYTES);
}

#define OVERLAP_DIRS 200 /* more than BACKUP_MAX_PENDING_DIRS (64) */

/* Many small directories: the walk goes on while their files are read, and
 * each tree is stored once its files are done. Every file's content is in
 * its directory's tree, and the trees are the same whatever the number of
 * workers, with or without the files cache. */
static void test_backup_walk_many_dirs_overlap(void **state)
{
	struct walk_test *t = *state;
	struct cairn_snapshot s1 = { 0 }, s2 = { 0 }, s3 = { 0 };
	uint8_t id[CAIRN_ID_BYTES];
	struct cairn_entry *top;
	size_t ntop, files = 0;
	char p[700];

	for (int d = 0; d < OVERLAP_DIRS; d++) {
		snprintf(p, sizeof(p), "%s/d%03d", t->rf.src, d);
		assert_int_equal(mkdir(p, 0755), 0);
		for (int k = 0; k < 3; k++) {
			char text[64];

			snprintf(p, sizeof(p), "%s/d%03d/f%d", t->rf.src, d, k);
			snprintf(text, sizeof(text), "dir %d file %d\n", d, k);
			write_file(p, text);
		}
		snprintf(p, sizeof(p), "%s/d%03d/s", t->rf.src, d);
		assert_int_equal(mkdir(p, 0755), 0);
		snprintf(p, sizeof(p), "%s/d%03d/s/g", t->rf.src, d);
		write_file(p, d % 2 ? "odd\n" : "even\n");
	}
	if (run_backup_opts(t, 4, 0, &s1) != 0)
		fail_msg("backup: %s", cairn_err_msg());
	assert_int_equal(s1.partial, 0);
	assert_int_equal(s1.stats.files, OVERLAP_DIRS * 4);
	tree_of(t->rf.r, &s1, t->rf.src, id);
	read_tree(t->rf.r, id, &top, &ntop);
	assert_int_equal(ntop, OVERLAP_DIRS);
	for (size_t i = 0; i < ntop; i++) {
		struct cairn_entry *e, *sub;
		const struct cairn_entry *s;
		size_t n, nsub, len;
		uint8_t *data;
		int d;

		assert_int_equal(sscanf((const char *)top[i].name, "d%3d", &d), 1);
		read_tree(t->rf.r, top[i].subtree, &e, &n);
		assert_int_equal(n, 4);
		for (int k = 0; k < 3; k++) {
			char name[8], want[64];
			const struct cairn_entry *f;

			snprintf(name, sizeof(name), "f%d", k);
			snprintf(want, sizeof(want), "dir %d file %d\n", d, k);
			f = find(e, n, name);
			assert_non_null(f);
			data = file_content(t->rf.r, f, &len);
			assert_int_equal(len, strlen(want));
			assert_memory_equal(data, want, len);
			free(data);
			files++;
		}
		s = find(e, n, "s");
		assert_non_null(s);
		assert_int_equal(s->type, CAIRN_ENTRY_DIR);
		read_tree(t->rf.r, s->subtree, &sub, &nsub);
		assert_int_equal(nsub, 1);
		data = file_content(t->rf.r, &sub[0], &len);
		assert_int_equal(len, d % 2 ? 4 : 5);
		assert_memory_equal(data, d % 2 ? "odd\n" : "even\n", len);
		free(data);
		files++;
		cairn_entries_free(sub, nsub);
		cairn_entries_free(e, n);
	}
	assert_int_equal(files, OVERLAP_DIRS * 4);
	cairn_entries_free(top, ntop);
	/* one worker, every file read again: the same trees */
	if (run_backup_opts(t, 1, 1, &s2) != 0)
		fail_msg("backup: %s", cairn_err_msg());
	assert_same_src_tree(t, &s2, &s1);
	assert_int_equal(s2.stats.files_unchanged, 0);
	/* unchanged: every file from the files cache, the same trees */
	if (run_backup_opts(t, 2, 0, &s3) != 0)
		fail_msg("backup: %s", cairn_err_msg());
	assert_same_src_tree(t, &s3, &s1);
	assert_int_equal(s3.stats.files_unchanged, OVERLAP_DIRS * 4);
	cairn_snapshot_clear(&s1);
	cairn_snapshot_clear(&s2);
	cairn_snapshot_clear(&s3);
}

/* The entry `name` of the source directory in the snapshot `s`, as a copy
 * of its xattr `xname` (NULL when it has none of that name) and its count. */
static size_t xattr_of(struct walk_test *t, const struct cairn_snapshot *s, const char *name, const char *xname,
		       char *ret_value, size_t cap)
{
	uint8_t id[CAIRN_ID_BYTES];
	struct cairn_entry *e;
	const struct cairn_entry *x;
	size_t n, count;

	tree_of(t->rf.r, s, t->rf.src, id);
	read_tree(t->rf.r, id, &e, &n);
	x = find(e, n, name);
	assert_non_null(x);
	count = x->xattr_count;
	ret_value[0] = '\0';
	for (size_t k = 0; k < x->xattr_count; k++)
		if (strcmp(x->xattrs[k].name, xname) == 0) {
			assert_true(x->xattrs[k].value_len < cap);
			memcpy(ret_value, x->xattrs[k].value, x->xattrs[k].value_len);
			ret_value[x->xattrs[k].value_len] = '\0';
		}
	cairn_entries_free(e, n);
	return count;
}

/* The files cache remembers that a file had no xattrs at its ctime, so an
 * unchanged file's xattrs are not listed again; an xattr set later changes
 * the ctime and is backed up; xattrs of unchanged files are kept. */
static void test_backup_walk_xattrs_files_cache(void **state)
{
	struct walk_test *t = *state;
	struct cairn_snapshot s1 = { 0 }, s2 = { 0 }, s3 = { 0 };
	struct cairn_catalog_file row;
	char plain[700], tagged[700], v[64];

	snprintf(plain, sizeof(plain), "%s/plain", t->rf.src);
	snprintf(tagged, sizeof(tagged), "%s/tagged", t->rf.src);
	write_file(plain, "no xattrs here\n");
	write_file(tagged, "one xattr here\n");
	if (setxattr(tagged, "user.k", "v1", 2, 0) != 0) {
		print_message("no user xattrs on this file system (%s): skipped\n", strerror(errno));
		skip();
	}
	if (run_backup_opts(t, 2, 0, &s1) != 0)
		fail_msg("backup: %s", cairn_err_msg());
	assert_int_equal(xattr_of(t, &s1, "plain", "user.k", v, sizeof(v)), 0);
	assert_int_equal(xattr_of(t, &s1, "tagged", "user.k", v, sizeof(v)), 1);
	assert_string_equal(v, "v1");
	assert_int_equal(cairn_catalog_file_get(cairn_repo_catalog(t->rf.r), plain, strlen(plain), &row), 0);
	assert_int_equal(row.no_xattrs, 1);
	cairn_catalog_file_clear(&row);
	assert_int_equal(cairn_catalog_file_get(cairn_repo_catalog(t->rf.r), tagged, strlen(tagged), &row), 0);
	assert_int_equal(row.no_xattrs, 0);
	cairn_catalog_file_clear(&row);

	/* unchanged: both from the files cache, the tagged one's xattr kept */
	if (run_backup_opts(t, 2, 0, &s2) != 0)
		fail_msg("backup: %s", cairn_err_msg());
	assert_int_equal(s2.stats.files_unchanged, 2);
	assert_same_src_tree(t, &s2, &s1);

	/* an xattr added to the plain file (its ctime moves) is found */
	assert_int_equal(setxattr(plain, "user.new", "v2", 2, 0), 0);
	if (run_backup_opts(t, 2, 0, &s3) != 0)
		fail_msg("backup: %s", cairn_err_msg());
	assert_int_equal(xattr_of(t, &s3, "plain", "user.new", v, sizeof(v)), 1);
	assert_string_equal(v, "v2");
	assert_int_equal(xattr_of(t, &s3, "tagged", "user.k", v, sizeof(v)), 1);
	assert_string_equal(v, "v1");
	assert_int_equal(cairn_catalog_file_get(cairn_repo_catalog(t->rf.r), plain, strlen(plain), &row), 0);
	assert_int_equal(row.no_xattrs, 0);
	cairn_catalog_file_clear(&row);
	cairn_snapshot_clear(&s1);
	cairn_snapshot_clear(&s2);
	cairn_snapshot_clear(&s3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_backup_walk_dir_swapped_for_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_walk_dir_swapped_for_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_walk_files_swapped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_walk_unreadable_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_walk_deeper_than_path_max, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_walk_parent_moved_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_walk_small_files_fd_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_walk_many_dirs_overlap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_walk_xattrs_files_cache, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
