/* Tests of lib/config/config_section.c: section headers, section-end and
 * whole-file checks. */
#include "config_test.h"

static void test_cfg_section_begin_names(void **state)
{
	struct cairn_config *cfg;

	(void)state;
	cfg = parse_ok(MINIMAL "[replica a-b_C9]\nurl = /r\n[backup x]\npath = /\n"
		       "[backup abcdefghijabcdefghijabcdefghij12]\npath = /\n");
	assert_string_equal(cfg->replicas[0].name, "a-b_C9");
	assert_string_equal(cfg->sets[1].name, "abcdefghijabcdefghijabcdefghij12");
	cairn_config_free(cfg);
	expect_error(MINIMAL "[replica]\n", "cairn.conf:3: [replica] needs a name: [replica NAME]");
	expect_error(MINIMAL "[backup]\n", "cairn.conf:3: [backup] needs a name: [backup NAME]");
	expect_error(MINIMAL "[backup abcdefghijabcdefghijabcdefghij123]\n",
		     "cairn.conf:3: invalid name 'abcdefghijabcdefghijabcdefghij123' in [backup ...]: a name is 1 to 32 "
		     "characters of A-Z, a-z, 0-9, '_' and '-'");
	expect_error(MINIMAL "[replica d.r]\n",
		     "cairn.conf:3: invalid name 'd.r' in [replica ...]: a name is 1 to 32 characters of A-Z, a-z, 0-9, "
		     "'_' and '-'");
	expect_error(MINIMAL "[replica two words]\n",
		     "cairn.conf:3: invalid name 'two words' in [replica ...]: a name is 1 to 32 characters of A-Z, "
		     "a-z, 0-9, '_' and '-'");
	expect_error(MINIMAL "[replica primary]\nurl = /r\n",
		     "cairn.conf:3: 'primary' is reserved for the [repository] site; choose another replica name");
	expect_error(MINIMAL "[repository main]\n", "cairn.conf:3: [repository] takes no name (found [repository main])");
	expect_error(MINIMAL "[global]\n",
		     "cairn.conf:3: unknown section [global] (known: [cairn], [repository], [replica NAME], "
		     "[backup NAME], [jobs], [drill NAME])");
	expect_error(MINIMAL "[Repository]\n",
		     "cairn.conf:3: unknown section [Repository] (known: [cairn], [repository], [replica NAME], "
		     "[backup NAME], [jobs], [drill NAME])");
}

static void test_cfg_section_begin_duplicates(void **state)
{
	(void)state;
	expect_error(MINIMAL "[replica dr]\nurl = /r1\n[replica dr]\nurl = /r2\n",
		     "cairn.conf:5: duplicate section [replica dr] (first on line 3)");
	expect_error(MINIMAL "[backup b]\npath = /\n[backup b]\n",
		     "cairn.conf:5: duplicate section [backup b] (first on line 3)");
	expect_error(MINIMAL MINIMAL, "cairn.conf:3: duplicate section [repository] (first on line 1)");
	expect_error("[cairn]\n" MINIMAL "[cairn]\n", "cairn.conf:4: duplicate section [cairn] (first on line 1)");
}

static void test_cfg_section_end_site(void **state)
{
	(void)state;
	expect_error("[repository]\nregion = x\n", "cairn.conf:1: [repository] has no 'url'");
	expect_error(MINIMAL "[replica dr]\n[backup b]\npath = /\n", "cairn.conf:3: [replica dr] has no 'url'");
	expect_error(MINIMAL "[replica dr]\n", "cairn.conf:3: [replica dr] has no 'url'");
	expect_error("[repository]\nendpoint = https://s3.example.com\nurl = /srv/cairn\n",
		     "cairn.conf:2: 'endpoint' in [repository] applies only to s3:// URLs, and this url is local");
	expect_error(MINIMAL "[replica dr]\nurl = file:///r\nlimit-upload = 1M\nobject-lock = 1d\n",
		     "cairn.conf:5: 'limit-upload' in [replica dr] applies only to s3:// URLs, and this url is local");
	expect_error("[repository]\nurl = s3://bucket\naccess-key-id = AK\n",
		     "cairn.conf:1: [repository] sets 'access-key-id' without 'secret-access-key-file'");
	expect_error("[repository]\nurl = s3://bucket\nsecret-access-key-file = /s\n",
		     "cairn.conf:1: [repository] sets 'secret-access-key-file' without 'access-key-id'");
	expect_error("[repository]\nurl = s3://bucket\nsession-token-file = /t\n",
		     "cairn.conf:1: [repository] sets 'session-token-file' without 'access-key-id'");
	expect_error("[repository]\nurl = s3://bucket\naccess-key-id = AK\nsecret-access-key-file = /s\nprofile = p\n",
		     "cairn.conf:1: [repository] sets both 'access-key-id' and 'profile': use one source of "
		     "credentials");
}

static void test_cfg_section_end_backup(void **state)
{
	(void)state;
	expect_error(MINIMAL "[backup home]\ntag = x\n[jobs]\n", "cairn.conf:3: [backup home] has no 'path'");
	expect_error(MINIMAL "[backup home]\n", "cairn.conf:3: [backup home] has no 'path'");
}

static void test_cfg_section_drill(void **state)
{
	struct cairn_config *cfg;

	(void)state;
	/* the site may be a replica defined further down */
	cfg = parse_ok(MINIMAL "[drill dr-weekly]\nsite = dr\nschedule = every 7d\n[replica dr]\nurl = /r\n");
	assert_int_equal(cfg->ndrills, 1);
	assert_string_equal(cfg->drills[0].name, "dr-weekly");
	assert_int_equal(cfg->drills[0].line, 3);
	cairn_config_free(cfg);
	expect_error(MINIMAL "[drill]\n", "cairn.conf:3: [drill] needs a name: [drill NAME]");
	expect_error(MINIMAL "[drill a:b]\n",
		     "cairn.conf:3: invalid name 'a:b' in [drill ...]: a name is 1 to 32 characters of A-Z, a-z, 0-9, "
		     "'_' and '-'");
	expect_error(MINIMAL "[drill w]\nsite = primary\nschedule = @weekly\n[drill w]\n",
		     "cairn.conf:6: duplicate section [drill w] (first on line 3)");
	/* required keys, named at the section's header */
	expect_error(MINIMAL "[drill w]\nschedule = @weekly\n[jobs]\n",
		     "cairn.conf:3: [drill w] has no 'site' (the replica to recover from, or primary)");
	expect_error(MINIMAL "[drill w]\nsite = primary\n",
		     "cairn.conf:3: [drill w] has no 'schedule' (when 'cairn-agent run' runs the drill)");
	/* a site that is not configured, named at its line */
	expect_error(MINIMAL "[replica dr]\nurl = /r\n[replica usb]\nurl = /u\n[drill w]\nschedule = @weekly\n"
			     "site = offsite\n",
		     "cairn.conf:9: 'site' in [drill w] is 'offsite', which is neither 'primary' nor a configured "
		     "replica (replicas: dr, usb)");
	expect_error(MINIMAL "[drill w]\nsite = dr\nschedule = @weekly\n",
		     "cairn.conf:4: 'site' in [drill w] is 'dr', which is neither 'primary' nor a configured replica "
		     "(replicas: none)");
}

static void test_cfg_check_file(void **state)
{
	(void)state;
	expect_error("[cairn]\nthreads = 2\n", "cairn.conf: no [repository] section (the primary site is required)");
	expect_error("[cairn]\nkey-file = /k\npassphrase-file = /p\n" MINIMAL,
		     "cairn.conf:1: [cairn] sets both 'key-file' and 'passphrase-file'; set only one");
	expect_error(MINIMAL "[replica dr]\nurl = /srv/cairn/\n",
		     "cairn.conf:3: [replica dr] has the same url as [repository] (line 1)");
	expect_error(MINIMAL "[replica a]\nurl = s3://bucket/x\n[replica b]\nurl = s3://bucket/x\n",
		     "cairn.conf:5: [replica b] has the same url as [replica a] (line 3)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg_section_begin_names),
		cmocka_unit_test(test_cfg_section_begin_duplicates),
		cmocka_unit_test(test_cfg_section_end_site),
		cmocka_unit_test(test_cfg_section_end_backup),
		cmocka_unit_test(test_cfg_section_drill),
		cmocka_unit_test(test_cfg_check_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
