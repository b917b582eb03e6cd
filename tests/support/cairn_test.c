/* Shared helpers for the cmocka unit tests. */
#define _XOPEN_SOURCE 700
#include "cairn_test.h"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const uint8_t cairn_test_master_key[32] = {
	0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
	16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
};

char *cairn_test_mkdtemp(const char *name)
{
	const char *base = getenv("CAIRN_TEST_TMP");
	char *path;
	size_t n;

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	mkdir(base, 0700);
	n = strlen(base) + strlen(name) + 16;
	path = malloc(n);
	assert_non_null(path);
	snprintf(path, n, "%s/%s.XXXXXX", base, name);
	assert_non_null(mkdtemp(path));
	return path;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void cairn_test_rmtree(const char *path)
{
	struct stat st;

	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (lstat(path, &st) == 0) {
		/* deeper than nftw reaches (paths beyond PATH_MAX): rm walks by fd */
		pid_t pid = fork();

		if (pid == 0) {
			execlp("rm", "rm", "-rf", "--", path, (char *)NULL);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
}

void cairn_test_fill_random(void *buf, size_t len, uint64_t seed)
{
	uint8_t *p = buf;
	uint64_t x = seed ? seed : 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < len; i++) {
		if (i % 8 == 0) {
			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
		}
		p[i] = (uint8_t)((x * 0x2545f4914f6cdd1dull) >> (8 * (i % 8)));
	}
}

void cairn_test_write_random_file(const char *path, size_t len, uint64_t seed)
{
	uint8_t *buf = malloc(len ? len : 1);
	FILE *fp = fopen(path, "wb");

	assert_non_null(buf);
	assert_non_null(fp);
	cairn_test_fill_random(buf, len, seed);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	free(buf);
}

char *cairn_test_file_text(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

size_t cairn_test_count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}
