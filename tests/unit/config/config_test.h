/* Helpers shared by the configuration tests (header only). */
#ifndef CAIRN_CONFIG_TEST_H
#define CAIRN_CONFIG_TEST_H

#include "cairn_test.h"

#include <stdio.h>
#include <string.h>

#include "cairn/config.h"
#include "cairn/err.h"

/* The smallest valid file, to put in front of what a test checks. */
#define MINIMAL "[repository]\nurl = /srv/cairn\n"

/* Parse text as "cairn.conf"; fail the test unless it parses. */
static inline struct cairn_config *parse_ok(const char *text)
{
	struct cairn_config *cfg = NULL;

	if (cairn_config_parse(text, "cairn.conf", &cfg) != 0)
		fail_msg("parse failed: %s\n--- text ---\n%.2000s", cairn_err_msg(), text);
	return cfg;
}

/* Parse text as "cairn.conf"; it must fail with CAIRN_EINVAL and exactly `msg`. */
#define expect_error(text, msg) expect_error_at(text, msg, __LINE__)
static inline void expect_error_at(const char *text, const char *msg, int line)
{
	struct cairn_config *cfg = NULL;
	int rc = cairn_config_parse(text, "cairn.conf", &cfg);

	if (rc != CAIRN_EINVAL || strcmp(cairn_err_msg(), msg) != 0)
		fail_msg("line %d: rc %d, message\n  got:  '%s'\n  want: '%s'", line, rc, cairn_err_msg(), msg);
	assert_null(cfg);
}

#endif
