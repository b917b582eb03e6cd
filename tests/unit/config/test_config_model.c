/* Tests of lib/config/config_model.c: defaults, lookups and the path choice. */
#include "config_test.h"

#include <stdlib.h>

static void test_cairn_config_path_choice(void **state)
{
	int expl = -1;

	(void)state;
	unsetenv(CAIRN_CONFIG_ENV);
	assert_string_equal(cairn_config_path(NULL, &expl), "/etc/cairn/cairn.conf");
	assert_int_equal(expl, 0);
	setenv(CAIRN_CONFIG_ENV, "", 1);
	assert_string_equal(cairn_config_path(NULL, &expl), CAIRN_CONFIG_DEFAULT_PATH);
	assert_int_equal(expl, 0);
	setenv(CAIRN_CONFIG_ENV, "/env.conf", 1);
	assert_string_equal(cairn_config_path(NULL, &expl), "/env.conf");
	assert_int_equal(expl, 1);
	assert_string_equal(cairn_config_path("/flag.conf", &expl), "/flag.conf");
	assert_int_equal(expl, 1);
	assert_string_equal(cairn_config_path("/flag.conf", NULL), "/flag.conf");
	unsetenv(CAIRN_CONFIG_ENV);
}

static void test_cairn_config_site_lookup(void **state)
{
	struct cairn_config *cfg;

	(void)state;
	cfg = parse_ok("[cairn]\nrpo = 1h\n" MINIMAL "rpo = 10m\n[replica dr]\nurl = /dr\n[replica b]\nurl = /b\nrpo = 2h\n"
		       "[backup x]\npath = /x\n[drill x]\nsite = b\nschedule = @weekly\n[drill y]\nsite = primary\n"
		       "schedule = @daily\n");
	assert_ptr_equal(cairn_config_drill(cfg, "x"), &cfg->drills[0]);
	assert_ptr_equal(cairn_config_drill(cfg, "y"), &cfg->drills[1]);
	assert_null(cairn_config_drill(cfg, "b"));
	assert_null(cairn_config_drill(cfg, NULL));
	assert_null(cairn_config_drill(NULL, "x"));
	assert_ptr_equal(cairn_config_site(cfg, "primary"), &cfg->primary);
	assert_ptr_equal(cairn_config_site(cfg, "dr"), &cfg->replicas[0]);
	assert_ptr_equal(cairn_config_site(cfg, "b"), &cfg->replicas[1]);
	assert_null(cairn_config_site(cfg, "x"));
	assert_null(cairn_config_site(cfg, "DR"));
	assert_null(cairn_config_site(cfg, NULL));
	assert_null(cairn_config_site(NULL, "dr"));
	assert_ptr_equal(cairn_config_backup_set(cfg, "x"), &cfg->sets[0]);
	assert_null(cairn_config_backup_set(cfg, "dr"));
	assert_null(cairn_config_backup_set(NULL, "x"));
	assert_int_equal(cairn_config_site_rpo(cfg, &cfg->primary), 600 * 1000000000LL);
	assert_int_equal(cairn_config_site_rpo(cfg, &cfg->replicas[0]), 3600 * 1000000000LL);
	assert_int_equal(cairn_config_site_rpo(cfg, &cfg->replicas[1]), 7200 * 1000000000LL);
	cairn_config_free(cfg);
	cfg = parse_ok(MINIMAL);
	assert_int_equal(cairn_config_site_rpo(cfg, &cfg->primary), CAIRN_CONFIG_UNSET);
	cairn_config_free(cfg);
}

static void test_cairn_config_retention_is_set_rules(void **state)
{
	struct cairn_config *cfg;

	(void)state;
	cfg = parse_ok(MINIMAL "[replica a]\nurl = /a\nkeep-last = 0\n[replica b]\nurl = /b\nkeep-within = 1d\n");
	assert_false(cairn_config_retention_is_set(&cfg->primary.retention));
	assert_true(cairn_config_retention_is_set(&cfg->replicas[0].retention));
	assert_true(cairn_config_retention_is_set(&cfg->replicas[1].retention));
	cairn_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cairn_config_path_choice),
		cmocka_unit_test(test_cairn_config_site_lookup),
		cmocka_unit_test(test_cairn_config_retention_is_set_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
