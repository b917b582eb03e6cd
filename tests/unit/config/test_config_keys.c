/* Tests of lib/config/config_keys.c: every key of every section, value
 * checks with their exact messages, lists, repeats and refused secrets. */
#include "config_test.h"

#include <stdlib.h>

#define SEC 1000000000LL

static void test_cfg_key_set_every_key(void **state)
{
	struct cairn_config *cfg;
	const struct cairn_site_config *r;
	const struct cairn_backup_set *b;

	(void)state;
	cfg = parse_ok("[cairn]\nstate-dir = /var/lib/cairn\npassphrase-file = /etc/cairn/pass\nhost = web-01.example\n"
		       "threads = 8\nrpo = 1h\nmetrics-file = /var/lib/node/cairn.prom\nlog = stderr\nlock-wait = 0\n"
		       "[repository]\nurl = s3://bucket-one/some/prefix\nendpoint = http://127.0.0.1:9000\n"
		       "region = eu-west-1\naddressing = path\nca-bundle = /etc/ca.pem\nprofile = backup\n"
		       "credentials-file = /etc/aws\nconnect-timeout = 5s\nstall-timeout = 1m\n"
		       "request-timeout = 10m\ndeadline = 3m\nlimit-upload = 1.5G\nlimit-download = 0\n"
		       "transfers = 64\nrpo = 30m\nkeep-last = 0\nkeep-hourly = 1\nkeep-daily = 2\n"
		       "keep-weekly = 3\nkeep-monthly = 4\nkeep-yearly = 2147483647\nkeep-within = 1d12h\n"
		       "[replica dr-1]\nurl = s3://bucket-two\naddressing = virtual\naccess-key-id = AKIAEXAMPLE\n"
		       "secret-access-key-file = /etc/s\nsession-token-file = /etc/t\ndelete-grace = 0\n"
		       "object-lock = 30d\nschedule = every 2h\n"
		       "[replica Local_2]\nurl = file:///mnt/disk\n"
		       "[backup db]\npath = /var/db\ntag = pg\ntag = prod:eu\nexclude = *.tmp\nexclude = /var/db/tmp\n"
		       "schedule = */15 * * * *\njitter = 30s\npre-hook = dump --all | gzip > /x;sync\n"
		       "post-hook = rm -f /x\nhook-timeout = 1h\none-file-system = on\n"
		       "[jobs]\nprune = @weekly\ncheck = 0 3 1 * *\ncheck-read-data = 10%\n");
	assert_string_equal(cfg->state_dir, "/var/lib/cairn");
	assert_null(cfg->key_file);
	assert_string_equal(cfg->passphrase_file, "/etc/cairn/pass");
	assert_string_equal(cfg->host, "web-01.example");
	assert_int_equal(cfg->threads, 8);
	assert_int_equal(cfg->rpo_ns, 3600 * SEC);
	assert_string_equal(cfg->metrics_file, "/var/lib/node/cairn.prom");
	assert_int_equal(cfg->log, CAIRN_CONFIG_LOG_STDERR);
	assert_int_equal(cfg->lock_wait_ns, 0);
	assert_int_equal(cfg->cairn_line, 1);

	r = &cfg->primary;
	assert_int_equal(r->url_kind, CAIRN_CONFIG_URL_S3);
	assert_string_equal(r->endpoint, "http://127.0.0.1:9000");
	assert_string_equal(r->region, "eu-west-1");
	assert_int_equal(r->addressing, CAIRN_CONFIG_ADDRESSING_PATH);
	assert_string_equal(r->ca_bundle, "/etc/ca.pem");
	assert_string_equal(r->profile, "backup");
	assert_string_equal(r->credentials_file, "/etc/aws");
	assert_int_equal(r->connect_timeout_ns, 5 * SEC);
	assert_int_equal(r->stall_timeout_ns, 60 * SEC);
	assert_int_equal(r->request_timeout_ns, 600 * SEC);
	assert_int_equal(r->deadline_ns, 180 * SEC);
	assert_int_equal(r->limit_upload, 1536LL << 20);
	assert_int_equal(r->limit_download, 0);
	assert_int_equal(r->transfers, 64);
	assert_int_equal(r->rpo_ns, 1800 * SEC);
	assert_int_equal(r->retention.keep_last, 0);
	assert_int_equal(r->retention.keep_hourly, 1);
	assert_int_equal(r->retention.keep_daily, 2);
	assert_int_equal(r->retention.keep_weekly, 3);
	assert_int_equal(r->retention.keep_monthly, 4);
	assert_int_equal(r->retention.keep_yearly, 2147483647);
	assert_int_equal(r->retention.keep_within_ns, 36 * 3600 * SEC);
	assert_int_equal(r->delete_grace_ns, CAIRN_CONFIG_UNSET);
	assert_null(r->schedule.text);

	assert_int_equal(cfg->nreplicas, 2);
	r = &cfg->replicas[0];
	assert_string_equal(r->name, "dr-1");
	assert_true(r->is_replica);
	assert_int_equal(r->line, 33);
	assert_int_equal(r->addressing, CAIRN_CONFIG_ADDRESSING_VIRTUAL);
	assert_string_equal(r->access_key_id, "AKIAEXAMPLE");
	assert_string_equal(r->secret_access_key_file, "/etc/s");
	assert_string_equal(r->session_token_file, "/etc/t");
	assert_int_equal(r->delete_grace_ns, 0);
	assert_int_equal(r->object_lock_ns, 30 * 86400 * SEC);
	assert_string_equal(r->schedule.text, "every 2h");
	assert_int_equal(r->schedule.spec.kind, CAIRN_SCHEDULE_EVERY);
	assert_int_equal(r->schedule.spec.every_ns, 7200 * SEC);
	assert_int_equal(r->schedule.line, 41);
	r = &cfg->replicas[1];
	assert_string_equal(r->name, "Local_2");
	assert_int_equal(r->url_kind, CAIRN_CONFIG_URL_LOCAL);
	assert_int_equal(r->object_lock_ns, CAIRN_CONFIG_UNSET);
	assert_int_equal(r->delete_grace_ns, CAIRN_CONFIG_DEFAULT_DELETE_GRACE_NS);

	assert_int_equal(cfg->nsets, 1);
	b = &cfg->sets[0];
	assert_int_equal(b->npaths, 1);
	assert_int_equal(b->ntags, 2);
	assert_string_equal(b->tags[1], "prod:eu");
	assert_int_equal(b->nexcludes, 2);
	assert_string_equal(b->excludes[1], "/var/db/tmp");
	assert_int_equal(b->schedule.spec.kind, CAIRN_SCHEDULE_CRON);
	assert_int_equal(b->schedule.spec.minutes, 1ULL | 1ULL << 15 | 1ULL << 30 | 1ULL << 45);
	assert_int_equal(b->jitter_ns, 30 * SEC);
	assert_string_equal(b->pre_hook, "dump --all | gzip > /x;sync");
	assert_string_equal(b->post_hook, "rm -f /x");
	assert_int_equal(b->hook_timeout_ns, 3600 * SEC);
	assert_int_equal(b->one_file_system, 1);

	assert_string_equal(cfg->jobs.prune.text, "@weekly");
	assert_int_equal(cfg->jobs.check.spec.kind, CAIRN_SCHEDULE_CRON);
	assert_int_equal(cfg->jobs.check_read_data, 10);
	cairn_config_free(cfg);
}

static void test_cfg_key_set_defaults(void **state)
{
	struct cairn_config *cfg;

	(void)state;
	cfg = parse_ok(MINIMAL "[replica dr]\nurl = /r\n[backup b]\npath = /\n[replica s3]\nurl = s3://bkt\n"
		       "object-lock = off\n");
	assert_int_equal(cfg->replicas[1].object_lock_ns, 0);
	assert_int_equal(cfg->replicas[0].delete_grace_ns, 7 * 86400 * SEC);
	assert_int_equal(cfg->replicas[0].object_lock_ns, CAIRN_CONFIG_UNSET);
	assert_int_equal(cfg->sets[0].hook_timeout_ns, 300 * SEC);
	assert_int_equal(cfg->sets[0].one_file_system, CAIRN_CONFIG_UNSET);
	assert_int_equal(cfg->sets[0].jitter_ns, CAIRN_CONFIG_UNSET);
	assert_null(cfg->sets[0].pre_hook);
	assert_int_equal(cfg->sets[0].ntags, 0);
	cairn_config_free(cfg);
}

static void test_cfg_key_set_lists(void **state)
{
	char *text = malloc(400000);
	struct cairn_config *cfg;
	size_t len;

	(void)state;
	assert_non_null(text);
	len = (size_t)sprintf(text, MINIMAL "[backup big]\n");
	for (int i = 0; i < 5000; i++)
		len += (size_t)sprintf(text + len, "path = /data/%d\nexclude = /data/%d/*.tmp\ntag = t%d\n", i, i, i);
	cfg = parse_ok(text);
	assert_int_equal(cfg->sets[0].npaths, 5000);
	assert_int_equal(cfg->sets[0].nexcludes, 5000);
	assert_int_equal(cfg->sets[0].ntags, 5000);
	assert_string_equal(cfg->sets[0].paths[0], "/data/0");
	assert_string_equal(cfg->sets[0].paths[4999], "/data/4999");
	assert_string_equal(cfg->sets[0].tags[1234], "t1234");
	cairn_config_free(cfg);
	/* paths with blanks are kept whole */
	cfg = parse_ok(MINIMAL "[backup b]\npath = /srv/My Documents\n");
	assert_string_equal(cfg->sets[0].paths[0], "/srv/My Documents");
	cairn_config_free(cfg);
	free(text);
}

static void test_cfg_key_set_booleans(void **state)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "YES", "True" };
	static const char *const no[] = { "no", "false", "off", "0", "No", "OFF" };
	char text[256];
	struct cairn_config *cfg;

	(void)state;
	for (size_t i = 0; i < 6; i++) {
		snprintf(text, sizeof(text), MINIMAL "[backup b]\npath = /\none-file-system = %s\n", yes[i]);
		cfg = parse_ok(text);
		assert_int_equal(cfg->sets[0].one_file_system, 1);
		cairn_config_free(cfg);
		snprintf(text, sizeof(text), MINIMAL "[backup b]\npath = /\none-file-system = %s\n", no[i]);
		cfg = parse_ok(text);
		assert_int_equal(cfg->sets[0].one_file_system, 0);
		cairn_config_free(cfg);
	}
	expect_error(MINIMAL "[backup b]\npath = /\none-file-system = maybe\n",
		     "cairn.conf:5: 'one-file-system' in [backup b] must be yes or no (also true/false, on/off, 1/0), "
		     "not 'maybe'");
	expect_error(MINIMAL "[backup b]\npath = /\none-file-system = 2\n",
		     "cairn.conf:5: 'one-file-system' in [backup b] must be yes or no (also true/false, on/off, 1/0), "
		     "not '2'");
}

static void test_cfg_key_set_number_limits(void **state)
{
	struct cairn_config *cfg;

	(void)state;
	cfg = parse_ok("[cairn]\nthreads = 1\n" MINIMAL "transfers = 1\n[jobs]\ncheck-read-data = 0\n");
	assert_int_equal(cfg->threads, 1);
	assert_int_equal(cfg->primary.transfers, 1);
	assert_int_equal(cfg->jobs.check_read_data, 0);
	cairn_config_free(cfg);
	cfg = parse_ok("[cairn]\nthreads = 256\n[repository]\nurl = s3://bucket\ntransfers = 64\nlimit-upload = 4k\n"
		       "[jobs]\ncheck-read-data = 100\n");
	assert_int_equal(cfg->threads, 256);
	assert_int_equal(cfg->primary.limit_upload, 4096);
	assert_int_equal(cfg->jobs.check_read_data, 100);
	cairn_config_free(cfg);
	expect_error("[cairn]\nthreads = 0\n" MINIMAL,
		     "cairn.conf:2: 'threads' in [cairn] must be a number from 1 to 256, not '0'");
	expect_error("[cairn]\nthreads = 257\n" MINIMAL,
		     "cairn.conf:2: 'threads' in [cairn] must be a number from 1 to 256, not '257'");
	expect_error(MINIMAL "transfers = many\n",
		     "cairn.conf:3: 'transfers' in [repository] must be a number from 1 to 64, not 'many'");
	expect_error(MINIMAL "transfers = 65\n",
		     "cairn.conf:3: 'transfers' in [repository] must be a number from 1 to 64, not '65'");
	expect_error(MINIMAL "transfers = -1\n",
		     "cairn.conf:3: 'transfers' in [repository] must be a number from 1 to 64, not '-1'");
	expect_error(MINIMAL "transfers = 4x\n",
		     "cairn.conf:3: 'transfers' in [repository] must be a number from 1 to 64, not '4x'");
	expect_error(MINIMAL "transfers = +4\n",
		     "cairn.conf:3: 'transfers' in [repository] must be a number from 1 to 64, not '+4'");
	expect_error(MINIMAL "keep-daily = 2147483648\n",
		     "cairn.conf:3: 'keep-daily' in [repository] must be a whole number from 0 to 2147483647, "
		     "not '2147483648'");
	expect_error(MINIMAL "keep-daily = 99999999999999999999999999\n",
		     "cairn.conf:3: 'keep-daily' in [repository] must be a whole number from 0 to 2147483647, "
		     "not '99999999999999999999999999'");
	expect_error(MINIMAL "keep-daily = 7 days\n",
		     "cairn.conf:3: 'keep-daily' in [repository] must be a whole number from 0 to 2147483647, "
		     "not '7 days'");
	expect_error("[jobs]\ncheck-read-data = 101\n" MINIMAL,
		     "cairn.conf:2: 'check-read-data' in [jobs] must be a percentage from 0 to 100, not '101'");
	expect_error("[jobs]\ncheck-read-data = %\n" MINIMAL,
		     "cairn.conf:2: 'check-read-data' in [jobs] must be a percentage from 0 to 100, not '%'");
	expect_error(MINIMAL "limit-upload = 10MB\n",
		     "cairn.conf:3: 'limit-upload' in [repository] must be a rate in bytes per second such as 512k, "
		     "10M or 1.5G (at least 4k; 0 for no limit), not '10MB'");
	expect_error(MINIMAL "limit-download = 1k\n",
		     "cairn.conf:3: 'limit-download' in [repository] must be a rate in bytes per second such as 512k, "
		     "10M or 1.5G (at least 4k; 0 for no limit), not '1k'");
}

static void test_cfg_key_set_durations(void **state)
{
	(void)state;
	expect_error("[cairn]\nrpo = soon\n" MINIMAL,
		     "cairn.conf:2: 'rpo' in [cairn] must be a duration such as 90s, 15m, 1h30m or 7d, not 'soon'");
	expect_error("[cairn]\nrpo = 0\n" MINIMAL,
		     "cairn.conf:2: 'rpo' in [cairn] must be a duration greater than zero, not '0'");
	expect_error("[cairn]\nlock-wait = -5m\n" MINIMAL,
		     "cairn.conf:2: 'lock-wait' in [cairn] must be a duration such as 90s, 15m, 1h30m or 7d, not '-5m'");
	expect_error(MINIMAL "deadline = 99999999999d\n",
		     "cairn.conf:3: 'deadline' in [repository] must be a duration such as 90s, 15m, 1h30m or 7d, "
		     "not '99999999999d'");
	expect_error(MINIMAL "[replica dr]\nurl = s3://bkt\nobject-lock = forever\n",
		     "cairn.conf:5: 'object-lock' in [replica dr] must be a duration such as 30d, or off, not 'forever'");
	expect_error(MINIMAL "[replica dr]\nurl = s3://bkt\nobject-lock = 0\n",
		     "cairn.conf:5: 'object-lock' in [replica dr] must be a duration such as 30d, or off, not '0'");
	expect_error(MINIMAL "[backup b]\npath = /\nhook-timeout = 0s\n",
		     "cairn.conf:5: 'hook-timeout' in [backup b] must be a duration greater than zero, not '0s'");
}

static void test_cfg_key_set_strings(void **state)
{
	(void)state;
	expect_error("[cairn]\nstate-dir = var/lib/cairn\n" MINIMAL,
		     "cairn.conf:2: 'state-dir' in [cairn] must be an absolute path, not 'var/lib/cairn'");
	expect_error("[cairn]\nhost = web 01\n" MINIMAL,
		     "cairn.conf:2: 'host' in [cairn] must be a host name (letters, digits, '.', '_' and '-'), "
		     "not 'web 01'");
	expect_error("[cairn]\nlog = journal\n" MINIMAL,
		     "cairn.conf:2: 'log' in [cairn] must be stderr or syslog, not 'journal'");
	expect_error("[repository]\nurl = srv/cairn\n",
		     "cairn.conf:2: 'url' in [repository] must be an absolute path, file:///path or s3://BUCKET/PREFIX, "
		     "not 'srv/cairn'");
	expect_error("[repository]\nurl = https://example.com/x\n",
		     "cairn.conf:2: 'url' in [repository] must be an absolute path, file:///path or s3://BUCKET/PREFIX, "
		     "not 'https://example.com/x'");
	expect_error("[repository]\nurl = s3://b\n",
		     "cairn.conf:2: 'url' in [repository] must be an absolute path, file:///path or s3://BUCKET/PREFIX, "
		     "not 's3://b'");
	expect_error("[repository]\nurl = s3://bucket/a/../b\n",
		     "cairn.conf:2: 'url' in [repository] must be an absolute path, file:///path or s3://BUCKET/PREFIX, "
		     "not 's3://bucket/a/../b'");
	expect_error("[repository]\nurl = s3://bucket\naddressing = host\n",
		     "cairn.conf:3: 'addressing' in [repository] must be auto, path or virtual, not 'host'");
	expect_error("[repository]\nurl = s3://bucket\nendpoint = s3.example.com\n",
		     "cairn.conf:3: 'endpoint' in [repository] must be an http:// or https:// URL, not 's3.example.com'");
	expect_error("[repository]\nurl = s3://bucket\nregion = eu west\n",
		     "cairn.conf:3: 'region' in [repository] must be a single word without blanks, not 'eu west'");
	expect_error(MINIMAL "[backup b]\npath = /\ntag = a,b\n",
		     "cairn.conf:5: 'tag' in [backup b] must be a tag of 1 to 64 letters, digits and . _ : @ + = -, "
		     "not 'a,b'");
	expect_error(MINIMAL "[backup b]\npath = home\n",
		     "cairn.conf:4: 'path' in [backup b] must be an absolute path, not 'home'");
	expect_error(MINIMAL "[backup b]\npath =\n", "cairn.conf:4: 'path' in [backup b] has no value");
	expect_error(MINIMAL "[backup b]\npath = /\nschedule = 61 * * * *\n",
		     "cairn.conf:5: 'schedule' in [backup b] is not a valid schedule: minute field: '61' is out of "
		     "range 0-59");
	/* a long bad value is cut in the message */
	expect_error("[cairn]\nlog = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n" MINIMAL,
		     "cairn.conf:2: 'log' in [cairn] must be stderr or syslog, not "
		     "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'");
}

static void test_cfg_key_set_hook_comment(void **state)
{
	(void)state;
	expect_error(MINIMAL "[backup b]\npath = /\npre-hook = pg_dump db > /x ; sync\n",
		     "cairn.conf:5: 'pre-hook' in [backup b] has ' ;' in it, which starts a comment in this file and "
		     "would cut the command short; write ';' without a blank before it, or use a script");
}

static void test_cfg_key_set_unknown_and_repeated(void **state)
{
	(void)state;
	expect_error(MINIMAL "[replica dr]\nurl = /r\nkeep-dayly = 7\n",
		     "cairn.conf:5: unknown key 'keep-dayly' in [replica dr]");
	expect_error("[cairn]\nurl = /x\n", "cairn.conf:2: unknown key 'url' in [cairn]");
	expect_error(MINIMAL "Transfers = 2\n", "cairn.conf:3: unknown key 'Transfers' in [repository]");
	expect_error(MINIMAL "transfers = 2\ntransfers = 3\n",
		     "cairn.conf:4: 'transfers' in [repository] is set twice (first on line 3)");
	expect_error("[repository]\nurl = /a\nurl = /b\n",
		     "cairn.conf:3: 'url' in [repository] is set twice (first on line 2)");
	expect_error(MINIMAL "delete-grace = 1d\n",
		     "cairn.conf:3: 'delete-grace' is only valid in [replica NAME] sections, not in [repository]");
	expect_error(MINIMAL "schedule = every 1h\n",
		     "cairn.conf:3: 'schedule' is only valid in [replica NAME] sections, not in [repository]");
}

static void test_cfg_key_set_secrets(void **state)
{
	static const char secret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
	char text[512];

	(void)state;
	snprintf(text, sizeof(text), "[repository]\nurl = s3://bucket\nsecret-access-key = %s\n", secret);
	expect_error(text, "cairn.conf:3: 'secret-access-key' in [repository] is not allowed: keep the secret in a "
			   "file readable only by cairn and name the file with 'secret-access-key-file'");
	snprintf(text, sizeof(text), "[repository]\nurl = s3://bucket\nsession-token = %s\n", secret);
	expect_error(text, "cairn.conf:3: 'session-token' in [repository] is not allowed: keep the secret in a "
			   "file readable only by cairn and name the file with 'session-token-file'");
	expect_error("[cairn]\npassphrase = hunter2\n" MINIMAL,
		     "cairn.conf:2: 'passphrase' in [cairn] is not allowed: keep the secret in a file readable only by "
		     "cairn and name the file with 'passphrase-file'");
	/* a secret pasted where a file name belongs is not repeated */
	snprintf(text, sizeof(text), "[repository]\nurl = s3://bucket\naccess-key-id = AK\nsecret-access-key-file = %s\n",
		 secret);
	expect_error(text, "cairn.conf:4: 'secret-access-key-file' in [repository] must be an absolute path (the "
			   "value is not shown)");
	expect_error("[cairn]\npassphrase-file = hunter2\n" MINIMAL,
		     "cairn.conf:2: 'passphrase-file' in [cairn] must be an absolute path (the value is not shown)");
	/* nor in an unknown key */
	snprintf(text, sizeof(text), "[repository]\nurl = s3://bucket\naws_secret_access_key = %s\n", secret);
	expect_error(text, "cairn.conf:3: unknown key 'aws_secret_access_key' in [repository]");
}

static void test_cfg_key_set_drill_keys(void **state)
{
	struct cairn_config *cfg;
	const struct cairn_drill_config *d;

	(void)state;
	cfg = parse_ok(MINIMAL "[replica dr]\nurl = /r\n"
		       "[drill weekly]\nsite = dr\nschedule = 0 6 * * sat\nwithin = 3d\nsample = 5%\nrpo = 2h\n"
		       "rto = 1h\nreport = /var/lib/cairn/drill.md\nscratch = /srv/scratch\njitter = 30m\n"
		       "[drill prim]\nschedule = @monthly\nsite = primary\nsample = 1\n");
	assert_int_equal(cfg->ndrills, 2);
	d = &cfg->drills[0];
	assert_string_equal(d->name, "weekly");
	assert_int_equal(d->line, 5);
	assert_string_equal(d->site, "dr");
	assert_int_equal(d->site_line, 6);
	assert_string_equal(d->schedule.text, "0 6 * * sat");
	assert_int_equal(d->schedule.spec.kind, CAIRN_SCHEDULE_CRON);
	assert_int_equal(d->schedule.line, 7);
	assert_int_equal(d->within_ns, 3 * 86400 * SEC);
	assert_int_equal(d->sample, 5);
	assert_int_equal(d->rpo_ns, 7200 * SEC);
	assert_int_equal(d->rto_ns, 3600 * SEC);
	assert_string_equal(d->report, "/var/lib/cairn/drill.md");
	assert_string_equal(d->scratch, "/srv/scratch");
	assert_int_equal(d->jitter_ns, 1800 * SEC);
	d = &cfg->drills[1];
	assert_string_equal(d->site, "primary");
	assert_int_equal(d->sample, 1);
	/* the defaults the file applies itself, and "unset" for the rest */
	assert_int_equal(d->within_ns, CAIRN_CONFIG_DEFAULT_DRILL_WITHIN_NS);
	assert_int_equal(d->within_ns, 7 * 86400 * SEC);
	assert_int_equal(d->rpo_ns, CAIRN_CONFIG_UNSET);
	assert_int_equal(d->rto_ns, CAIRN_CONFIG_UNSET);
	assert_int_equal(d->jitter_ns, CAIRN_CONFIG_UNSET);
	assert_null(d->report);
	assert_null(d->scratch);
	cairn_config_free(cfg);
	cfg = parse_ok(MINIMAL "[drill d]\nsite = primary\nschedule = every 1w\n");
	assert_int_equal(cfg->drills[0].sample, CAIRN_CONFIG_DEFAULT_DRILL_SAMPLE);
	assert_int_equal(cfg->drills[0].sample, 100);
	cairn_config_free(cfg);
}

static void test_cfg_key_set_drill_values(void **state)
{
#define DRILL MINIMAL "[drill d]\nsite = primary\nschedule = every 7d\n"
	(void)state;
	expect_error(DRILL "sample = 0\n",
		     "cairn.conf:6: 'sample' in [drill d] must be a percentage from 1 to 100, not '0'");
	expect_error(DRILL "sample = 0%\n",
		     "cairn.conf:6: 'sample' in [drill d] must be a percentage from 1 to 100, not '0%'");
	expect_error(DRILL "sample = 101\n",
		     "cairn.conf:6: 'sample' in [drill d] must be a percentage from 1 to 100, not '101'");
	expect_error(DRILL "sample = five\n",
		     "cairn.conf:6: 'sample' in [drill d] must be a percentage from 1 to 100, not 'five'");
	expect_error(DRILL "within = 0\n",
		     "cairn.conf:6: 'within' in [drill d] must be a duration greater than zero, not '0'");
	expect_error(DRILL "within = a week\n",
		     "cairn.conf:6: 'within' in [drill d] must be a duration such as 90s, 15m, 1h30m or 7d, not 'a week'");
	expect_error(DRILL "rto = 0s\n", "cairn.conf:6: 'rto' in [drill d] must be a duration greater than zero, not '0s'");
	expect_error(DRILL "rpo = soon\n",
		     "cairn.conf:6: 'rpo' in [drill d] must be a duration such as 90s, 15m, 1h30m or 7d, not 'soon'");
	expect_error(DRILL "jitter = -1m\n",
		     "cairn.conf:6: 'jitter' in [drill d] must be a duration such as 90s, 15m, 1h30m or 7d, not '-1m'");
	expect_error(DRILL "report = drill.md\n",
		     "cairn.conf:6: 'report' in [drill d] must be an absolute path, not 'drill.md'");
	expect_error(DRILL "scratch = tmp/x\n", "cairn.conf:6: 'scratch' in [drill d] must be an absolute path, not 'tmp/x'");
	expect_error(DRILL "schedule = sometimes\n", "cairn.conf:6: 'schedule' in [drill d] is set twice (first on line 5)");
	expect_error(MINIMAL "[drill d]\nsite = primary\nschedule = 0 25 * * *\n",
		     "cairn.conf:5: 'schedule' in [drill d] is not a valid schedule: hour field: '25' is out of range "
		     "0-23");
	expect_error(MINIMAL "[drill d]\nsite = s3://bucket/x\n",
		     "cairn.conf:4: 'site' in [drill d] must be 'primary' or the name of a [replica NAME] section, "
		     "not 's3://bucket/x'");
	expect_error(DRILL "site = primary\n", "cairn.conf:6: 'site' in [drill d] is set twice (first on line 4)");
	expect_error(DRILL "url = /x\n", "cairn.conf:6: unknown key 'url' in [drill d]");
	expect_error(DRILL "keep-last = 3\n", "cairn.conf:6: unknown key 'keep-last' in [drill d]");
	expect_error(DRILL "sample =\n", "cairn.conf:6: 'sample' in [drill d] has no value");
#undef DRILL
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg_key_set_every_key),
		cmocka_unit_test(test_cfg_key_set_defaults),
		cmocka_unit_test(test_cfg_key_set_lists),
		cmocka_unit_test(test_cfg_key_set_booleans),
		cmocka_unit_test(test_cfg_key_set_number_limits),
		cmocka_unit_test(test_cfg_key_set_durations),
		cmocka_unit_test(test_cfg_key_set_strings),
		cmocka_unit_test(test_cfg_key_set_hook_comment),
		cmocka_unit_test(test_cfg_key_set_unknown_and_repeated),
		cmocka_unit_test(test_cfg_key_set_secrets),
		cmocka_unit_test(test_cfg_key_set_drill_keys),
		cmocka_unit_test(test_cfg_key_set_drill_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
