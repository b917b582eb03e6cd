/* A cmocka fixture for catalog tests (see catalog_fixture.h). */
#include "catalog_fixture.h"

#include "cairn_test.h"

#include "cairn/buf.h"

#include <stdlib.h>

int catalog_fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = cairn_test_mkdtemp("catalog");
	f->path = cairn_asprintf("%s/catalog.db", f->dir);
	assert_non_null(f->path);
	assert_int_equal(cairn_catalog_open(f->path, CATALOG_FIXTURE_REPO, &f->c), 0);
	*state = f;
	return 0;
}

int catalog_fixture_teardown(void **state)
{
	struct fixture *f = *state;

	cairn_catalog_close(f->c);
	cairn_test_rmtree(f->dir);
	free(f->path);
	free(f->dir);
	free(f);
	return 0;
}
