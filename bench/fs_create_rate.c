/* The file system's own file-creation rate: the floor a restore of many
 * small files is compared with (issue 13).
 *
 * Usage: fs_create_rate SOURCE TARGET [THREADS]
 *
 * SOURCE is walked first, untimed: its directories and regular files (name,
 * size, mode, owner, mtime) are recorded. Then, timed, TARGET (which must
 * not exist) gets the same tree with the fewest system calls a restore
 * needs: mkdirat for every directory (by the main thread, before the
 * files), then per file openat(O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW), one
 * write of SIZE bytes (a fixed pattern: the content is not read, nothing is
 * decrypted), fchown (as root), fchmod, futimens, close; then the
 * directories' mode and times, deepest first. THREADS workers (default 1)
 * take contiguous ranges of the files in walk order through an atomic
 * counter, 256 files at a time. Prints files, seconds and files per second
 * on stdout.
 *
 * Build: cc -O2 -Wall -pthread -o fs_create_rate bench/fs_create_rate.c */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BATCH 256
#define MAX_FILE (16 * 1024 * 1024)

struct item {
	char *rel;    /* path relative to the root, "" for the root */
	size_t dir;   /* index of its directory in dirs[] (files) */
	const char *name;
	struct stat st;
};

struct tree {
	struct item *dirs, *files;
	size_t ndirs, nfiles, dcap, fcap;
};

struct run {
	struct tree *t;
	int *dirfds;
	const char *pattern;
	atomic_size_t next;
	int as_root;
	atomic_int failed;
};

static void die(const char *what, const char *path)
{
	fprintf(stderr, "fs_create_rate: %s '%s': %s\n", what, path, strerror(errno));
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL) {
		fprintf(stderr, "fs_create_rate: out of memory\n");
		exit(1);
	}
	return p;
}

static size_t add(struct item **arr, size_t *n, size_t *cap, const char *rel, size_t dir, const struct stat *st)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		*arr = xrealloc(*arr, *cap * sizeof(**arr));
	}
	(*arr)[*n].rel = strdup(rel);
	if ((*arr)[*n].rel == NULL)
		die("out of memory for", rel);
	(*arr)[*n].dir = dir;
	(*arr)[*n].name = strrchr((*arr)[*n].rel, '/') ? strrchr((*arr)[*n].rel, '/') + 1 : (*arr)[*n].rel;
	(*arr)[*n].st = *st;
	return (*n)++;
}

/* Depth first, names sorted, directories before the files below them. */
static void scan(struct tree *t, const char *root, size_t di)
{
	char path[4096];
	struct dirent **names;
	int n;

	snprintf(path, sizeof(path), "%s/%s", root, t->dirs[di].rel);
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0)
		die("cannot read", path);
	for (int i = 0; i < n; i++) {
		char rel[2048];
		struct stat st;

		if (strcmp(names[i]->d_name, ".") == 0 || strcmp(names[i]->d_name, "..") == 0) {
			free(names[i]);
			continue;
		}
		snprintf(rel, sizeof(rel), "%s%s%s", t->dirs[di].rel, t->dirs[di].rel[0] ? "/" : "", names[i]->d_name);
		snprintf(path, sizeof(path), "%s/%s", root, rel);
		if (lstat(path, &st) < 0)
			die("cannot stat", path);
		if (S_ISDIR(st.st_mode))
			scan(t, root, add(&t->dirs, &t->ndirs, &t->dcap, rel, di, &st));
		else if (S_ISREG(st.st_mode) && st.st_size <= MAX_FILE)
			add(&t->files, &t->nfiles, &t->fcap, rel, di, &st);
		free(names[i]);
	}
	free(names);
}

static void set_meta(struct run *r, int fd, const struct stat *st, const char *rel)
{
	struct timespec times[2] = { { 0, UTIME_OMIT }, st->st_mtim };

	if (r->as_root && fchown(fd, st->st_uid, st->st_gid) < 0)
		die("cannot chown", rel);
	if (fchmod(fd, st->st_mode & 07777) < 0)
		die("cannot chmod", rel);
	if (futimens(fd, times) < 0)
		die("cannot set times of", rel);
}

static void *worker(void *arg)
{
	struct run *r = arg;
	struct tree *t = r->t;

	for (;;) {
		size_t start = atomic_fetch_add(&r->next, BATCH);

		if (start >= t->nfiles)
			return NULL;
		for (size_t i = start; i < t->nfiles && i < start + BATCH; i++) {
			const struct item *f = &t->files[i];
			int fd = openat(r->dirfds[f->dir], f->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
					0600);
			size_t size = (size_t)f->st.st_size;

			if (fd < 0)
				die("cannot create", f->rel);
			if (size > 0 && write(fd, r->pattern, size) != (ssize_t)size)
				die("cannot write", f->rel);
			set_meta(r, fd, &f->st, f->rel);
			close(fd);
		}
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct tree t = { 0 };
	struct run r = { .t = &t };
	struct stat st;
	pthread_t th[64];
	int threads = argc > 3 ? atoi(argv[3]) : 1;
	char *pattern;
	double t0, t1;

	if (argc < 3 || threads < 1 || threads > 64) {
		fprintf(stderr, "usage: fs_create_rate SOURCE TARGET [THREADS 1-64]\n");
		return 2;
	}
	if (lstat(argv[1], &st) < 0 || !S_ISDIR(st.st_mode))
		die("not a directory:", argv[1]);
	add(&t.dirs, &t.ndirs, &t.dcap, "", 0, &st);
	scan(&t, argv[1], 0);
	pattern = malloc(MAX_FILE);
	if (pattern == NULL)
		die("out of memory for", "pattern");
	for (size_t i = 0; i < MAX_FILE; i++)
		pattern[i] = (char)(i * 2654435761u >> 13);
	r.pattern = pattern;
	r.as_root = geteuid() == 0;
	/* one descriptor per directory, held for the run */
	{
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < t.ndirs + 64 && rl.rlim_max >= t.ndirs + 64) {
			rl.rlim_cur = t.ndirs + 64;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	r.dirfds = calloc(t.ndirs, sizeof(int));
	if (r.dirfds == NULL)
		die("out of memory for", "descriptors");

	t0 = now();
	if (mkdir(argv[2], 0700) < 0)
		die("cannot create", argv[2]);
	r.dirfds[0] = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r.dirfds[0] < 0)
		die("cannot open", argv[2]);
	for (size_t i = 1; i < t.ndirs; i++) {
		const struct item *d = &t.dirs[i];

		if (mkdirat(r.dirfds[d->dir], d->name, 0700) < 0)
			die("cannot create", d->rel);
		r.dirfds[i] = openat(r.dirfds[d->dir], d->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (r.dirfds[i] < 0)
			die("cannot open", d->rel);
	}
	for (int i = 0; i < threads; i++)
		if (pthread_create(&th[i], NULL, worker, &r) != 0)
			die("cannot start a thread for", argv[2]);
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	for (size_t i = t.ndirs; i-- > 0;) {
		set_meta(&r, r.dirfds[i], &t.dirs[i].st, t.dirs[i].rel);
		close(r.dirfds[i]);
	}
	t1 = now();
	printf("%zu files %zu dirs %d threads %.3f s %.0f files/s\n", t.nfiles, t.ndirs, threads, t1 - t0,
	       (double)t.nfiles / (t1 - t0));
	return 0;
}
