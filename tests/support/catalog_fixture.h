/* A cmocka fixture for catalog tests: a fresh catalog file in a fresh
 * directory, closed and removed afterwards. */
#ifndef CAIRN_CATALOG_FIXTURE_H
#define CAIRN_CATALOG_FIXTURE_H

#include "cairn/catalog.h"

/* The repository id every fixture catalog is bound to. */
#define CATALOG_FIXTURE_REPO "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct fixture {
	char *dir;
	char *path;               /* dir/catalog.db */
	struct cairn_catalog *c;
};

/* cmocka setup/teardown: *state is a struct fixture. */
int catalog_fixture_setup(void **state);
int catalog_fixture_teardown(void **state);

#endif
