/* Tests of lib/config/config_load.c: files on disk, their permissions, the
 * packaged example, and secret files. */
#include "config_test.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEC 1000000000LL

static char *tmp;

static int setup(void **state)
{
	(void)state;
	tmp = cairn_test_mkdtemp("config_load");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cairn_test_rmtree(tmp);
	free(tmp);
	return 0;
}

/* Write len bytes to tmp/name with mode; return the path (malloc'd). */
static char *write_file(const char *name, const void *data, size_t len, mode_t mode)
{
	char *path = malloc(strlen(tmp) + strlen(name) + 2);
	int fd;

	assert_non_null(path);
	sprintf(path, "%s/%s", tmp, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

/* packaging/cairn.conf, found from this file's place in the source tree */
static char *example_path(void)
{
	const char *me = __FILE__;
	const char *cut = strstr(me, "tests/unit/config/");
	char *path;

	assert_non_null(cut);
	path = malloc((size_t)(cut - me) + sizeof("packaging/cairn.conf"));
	assert_non_null(path);
	memcpy(path, me, (size_t)(cut - me));
	strcpy(path + (cut - me), "packaging/cairn.conf");
	return path;
}

static void test_cairn_config_load_example(void **state)
{
	char *path = example_path();
	struct cairn_config *cfg = NULL;
	const struct cairn_site_config *s;
	const struct cairn_backup_set *b;

	(void)state;
	if (cairn_config_load(path, &cfg) != 0)
		fail_msg("%s", cairn_err_msg());
	assert_string_equal(cfg->file, path);
	assert_string_equal(cfg->state_dir, "/var/lib/cairn");
	assert_string_equal(cfg->key_file, "/etc/cairn/key");
	assert_null(cfg->passphrase_file);
	assert_string_equal(cfg->host, "web-01");
	assert_int_equal(cfg->threads, 4);
	assert_int_equal(cfg->rpo_ns, 3600 * SEC);
	assert_int_equal(cfg->log, CAIRN_CONFIG_LOG_SYSLOG);
	assert_int_equal(cfg->lock_wait_ns, 600 * SEC);
	assert_non_null(cfg->metrics_file);

	s = cairn_config_site(cfg, "primary");
	assert_ptr_equal(s, &cfg->primary);
	assert_string_equal(s->url, "s3://backups-eu-west/web-01");
	assert_int_equal(s->addressing, CAIRN_CONFIG_ADDRESSING_AUTO);
	assert_string_equal(s->profile, "cairn");
	assert_int_equal(s->limit_upload, 20 << 20);
	assert_int_equal(s->limit_download, 0);
	assert_int_equal(s->transfers, 8);
	assert_int_equal(s->retention.keep_last, 24);
	assert_int_equal(s->retention.keep_yearly, 3);
	assert_int_equal(s->retention.keep_within_ns, 2 * 86400 * SEC);
	assert_int_equal(cairn_config_site_rpo(cfg, s), 1800 * SEC);

	assert_int_equal(cfg->nreplicas, 2);
	s = cairn_config_site(cfg, "dr");
	assert_non_null(s);
	assert_string_equal(s->access_key_id, "AKIAIOSFODNN7EXAMPLE");
	assert_string_equal(s->secret_access_key_file, "/etc/cairn/dr-secret");
	assert_int_equal(s->delete_grace_ns, 14 * 86400 * SEC);
	assert_int_equal(s->object_lock_ns, 30 * 86400 * SEC);
	assert_int_equal(s->schedule.spec.kind, CAIRN_SCHEDULE_EVERY);
	assert_int_equal(s->retention.keep_last, CAIRN_CONFIG_UNSET);
	s = cairn_config_site(cfg, "usb");
	assert_non_null(s);
	assert_int_equal(s->url_kind, CAIRN_CONFIG_URL_LOCAL);
	assert_int_equal(s->schedule.spec.kind, CAIRN_SCHEDULE_CRON);
	assert_int_equal(cairn_config_site_rpo(cfg, s), 3600 * SEC); /* from [cairn] */

	assert_int_equal(cfg->nsets, 2);
	b = cairn_config_backup_set(cfg, "system");
	assert_non_null(b);
	assert_int_equal(b->npaths, 3);
	assert_string_equal(b->paths[2], "/var/spool/cron");
	assert_int_equal(b->nexcludes, 2);
	assert_int_equal(b->ntags, 2);
	assert_int_equal(b->one_file_system, 1);
	b = cairn_config_backup_set(cfg, "database");
	assert_non_null(b);
	assert_non_null(b->pre_hook);
	assert_int_equal(b->hook_timeout_ns, 600 * SEC);
	assert_int_equal(cfg->jobs.check_read_data, 5);
	assert_int_equal(cfg->jobs.prune.spec.wdays, 1);
	assert_int_equal(cfg->ndrills, 1);
	assert_string_equal(cfg->drills[0].name, "dr-weekly");
	assert_string_equal(cfg->drills[0].site, "dr");
	assert_int_equal(cfg->drills[0].schedule.spec.kind, CAIRN_SCHEDULE_CRON);
	assert_int_equal(cfg->drills[0].jitter_ns, 1800 * SEC);
	assert_int_equal(cfg->drills[0].within_ns, 7 * 86400 * SEC);
	assert_int_equal(cfg->drills[0].sample, 5);
	assert_int_equal(cfg->drills[0].rpo_ns, 7200 * SEC);
	assert_int_equal(cfg->drills[0].rto_ns, 3600 * SEC);
	assert_string_equal(cfg->drills[0].report, "/var/lib/cairn/drill-dr.md");
	assert_null(cfg->drills[0].scratch);
	cairn_config_free(cfg);
	free(path);
}

/* The example with random bytes changed: never a crash or a leak (ASan). */
static void test_cairn_config_parse_buf_mutated_example(void **state)
{
	char *path = example_path();
	FILE *f = fopen(path, "rb");
	char *data = malloc(CAIRN_CONFIG_MAX_BYTES), *copy = malloc(CAIRN_CONFIG_MAX_BYTES);
	uint64_t rnd[8];
	size_t len;
	int ok = 0;

	(void)state;
	assert_non_null(f);
	assert_non_null(data);
	assert_non_null(copy);
	len = fread(data, 1, CAIRN_CONFIG_MAX_BYTES, f);
	fclose(f);
	for (uint64_t seed = 1; seed <= 3000; seed++) {
		struct cairn_config *cfg = NULL;
		int rc;

		memcpy(copy, data, len);
		cairn_test_fill_random(rnd, sizeof(rnd), seed);
		for (int i = 0; i < 1 + (int)(rnd[0] % 4); i++) {
			static const char chars[] = "[]=;#: \n\t\r\0/xa1";

			char c = seed % 2 ? (char)(rnd[5] >> (8 * i)) : chars[rnd[5 + i / 2] % (sizeof(chars) - 1)];

			copy[rnd[1 + i] % len] = c;
		}
		rc = cairn_config_parse_buf(copy, len, "mutated", &cfg);
		assert_true(rc == 0 || rc == CAIRN_EINVAL);
		assert_true((rc == 0) == (cfg != NULL));
		ok += rc == 0;
		cairn_config_free(cfg);
	}
	assert_true(ok > 0); /* some mutations hit comments and still parse */
	free(data);
	free(copy);
	free(path);
}

static void test_cairn_config_load_missing(void **state)
{
	struct cairn_config *cfg = NULL;
	char path[4096];

	(void)state;
	snprintf(path, sizeof(path), "%s/nope.conf", tmp);
	assert_int_equal(cairn_config_load(path, &cfg), CAIRN_ENOTFOUND);
	assert_null(cfg);
	assert_non_null(strstr(cairn_err_msg(), "configuration file '"));
	assert_non_null(strstr(cairn_err_msg(), "/nope.conf' does not exist"));
	assert_int_equal(cairn_config_load(tmp, &cfg), CAIRN_EINVAL); /* a directory */
	assert_non_null(strstr(cairn_err_msg(), "is not a regular file"));
}

static void test_cairn_config_load_world_writable(void **state)
{
	char *path = write_file("ww.conf", MINIMAL, strlen(MINIMAL), 0666);
	struct cairn_config *cfg = NULL;
	char want[4200];

	(void)state;
	assert_int_equal(cairn_config_load(path, &cfg), CAIRN_EINVAL);
	snprintf(want, sizeof(want), "configuration file '%s' is writable by every user (mode 0666); anyone could "
		 "change what runs: chmod o-w '%s'", path, path);
	assert_string_equal(cairn_err_msg(), want);
	assert_null(cfg);
	/* group-writable and world-readable are fine */
	assert_int_equal(chmod(path, 0664), 0);
	assert_int_equal(cairn_config_load(path, &cfg), 0);
	cairn_config_free(cfg);
	free(path);
}

static void test_cairn_config_load_unreadable(void **state)
{
	char *path = write_file("ro.conf", MINIMAL, strlen(MINIMAL), 0000);
	struct cairn_config *cfg = NULL;
	char loop[4096];

	(void)state;
	/* a symlink loop cannot be opened, even by root */
	snprintf(loop, sizeof(loop), "%s/loop.conf", tmp);
	assert_int_equal(symlink(loop, loop), 0);
	assert_int_equal(cairn_config_load(loop, &cfg), CAIRN_EIO);
	assert_non_null(strstr(cairn_err_msg(), "cannot open configuration file '"));
	assert_non_null(strstr(cairn_err_msg(), "Too many levels of symbolic links"));
	assert_null(cfg);
	if (geteuid() == 0) { /* root reads anything */
		free(path);
		skip();
	}
	assert_int_equal(cairn_config_load(path, &cfg), CAIRN_EIO);
	assert_non_null(strstr(cairn_err_msg(), "cannot open configuration file '"));
	assert_non_null(strstr(cairn_err_msg(), "Permission denied"));
	free(path);
}

static void test_cairn_config_load_errors_name_the_file(void **state)
{
	static const char text[] = "[repository]\nurl = /srv\n\x00\n";
	char *path = write_file("bad.conf", MINIMAL "keep-dayly = 7\n", strlen(MINIMAL) + 15, 0600);
	char *nul = write_file("nul.conf", text, sizeof(text) - 1, 0600);
	struct cairn_config *cfg = NULL;
	char want[4200];

	(void)state;
	assert_int_equal(cairn_config_load(path, &cfg), CAIRN_EINVAL);
	snprintf(want, sizeof(want), "%s:3: unknown key 'keep-dayly' in [repository]", path);
	assert_string_equal(cairn_err_msg(), want);
	assert_int_equal(cairn_config_load(nul, &cfg), CAIRN_EINVAL);
	snprintf(want, sizeof(want), "%s:3: NUL byte in the file (a configuration file is text)", nul);
	assert_string_equal(cairn_err_msg(), want);
	free(path);
	free(nul);
}

static void test_cairn_config_read_secret_ok(void **state)
{
	char *path = write_file("secret", "s3cr3t/key+X\nsecond line\n", 25, 0600);
	char *crlf = write_file("secret2", "abc\r\n", 5, 0640);
	char *v = NULL;

	(void)state;
	assert_int_equal(cairn_config_read_secret(path, &v), 0);
	assert_string_equal(v, "s3cr3t/key+X");
	free(v);
	assert_int_equal(cairn_config_read_secret(crlf, &v), 0);
	assert_string_equal(v, "abc");
	free(v);
	free(path);
	free(crlf);
}

static void test_cairn_config_read_secret_refused(void **state)
{
	char *open_ = write_file("open", "topsecret\n", 10, 0644);
	char *empty = write_file("empty", "\n", 1, 0600);
	char *big, *data = malloc(5000);
	char *v = NULL;
	char path[4096];

	(void)state;
	assert_non_null(data);
	memset(data, 'a', 5000);
	big = write_file("big", data, 4097, 0600);
	assert_int_equal(cairn_config_read_secret(open_, &v), CAIRN_EINVAL);
	assert_non_null(strstr(cairn_err_msg(), "is readable or writable by every user (mode 0644)"));
	assert_null(strstr(cairn_err_msg(), "topsecret"));
	assert_int_equal(cairn_config_read_secret(empty, &v), CAIRN_EINVAL);
	assert_non_null(strstr(cairn_err_msg(), "is empty"));
	assert_int_equal(cairn_config_read_secret(big, &v), CAIRN_EINVAL);
	assert_non_null(strstr(cairn_err_msg(), "longer than 4096 bytes"));
	snprintf(path, sizeof(path), "%s/none", tmp);
	assert_int_equal(cairn_config_read_secret(path, &v), CAIRN_ENOTFOUND);
	assert_null(v);
	free(open_);
	free(empty);
	free(big);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cairn_config_load_example),
		cmocka_unit_test(test_cairn_config_parse_buf_mutated_example),
		cmocka_unit_test(test_cairn_config_load_missing),
		cmocka_unit_test(test_cairn_config_load_world_writable),
		cmocka_unit_test(test_cairn_config_load_unreadable),
		cmocka_unit_test(test_cairn_config_load_errors_name_the_file),
		cmocka_unit_test(test_cairn_config_read_secret_ok),
		cmocka_unit_test(test_cairn_config_read_secret_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
