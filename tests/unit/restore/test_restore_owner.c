/* Unit tests for the owner cache of a restore: one name-service lookup per
 * distinct name and kind, unknown names falling back to the number each
 * entry records, and a table that grows past its first size. */
#include "cairn_test.h"

#include "restore/restore_owner.h"

#include <stdio.h>

static void test_restore_owner_id_one_lookup_per_name(void **state)
{
	struct restore_owners o = { 0 };

	(void)state;
	/* root exists as a user and a group on every Linux host */
	assert_int_equal(restore_owner_id(&o, 0, "root", 4242), 0);
	assert_int_equal(o.lookups, 1);
	for (int i = 0; i < 100; i++)
		assert_int_equal(restore_owner_id(&o, 0, "root", 4242), 0);
	assert_int_equal(o.lookups, 1);
	/* the group of that name is another lookup, once */
	assert_int_equal(restore_owner_id(&o, 1, "root", 4242), 0);
	assert_int_equal(restore_owner_id(&o, 1, "root", 4242), 0);
	assert_int_equal(o.lookups, 2);
	restore_owners_free(&o);
	assert_null(o.slots);
	assert_int_equal(o.count, 0);
}

static void test_restore_owner_id_unknown_name_falls_back(void **state)
{
	struct restore_owners o = { 0 };

	(void)state;
	assert_int_equal(restore_owner_id(&o, 0, "cairn-no-such-user-7f3a", 4242), 4242);
	/* remembered as unknown: the next entry's own number is used */
	assert_int_equal(restore_owner_id(&o, 0, "cairn-no-such-user-7f3a", 77), 77);
	assert_int_equal(o.lookups, 1);
	/* no name: the number, without asking */
	assert_int_equal(restore_owner_id(&o, 1, NULL, 99), 99);
	assert_int_equal(o.lookups, 1);
	restore_owners_free(&o);
}

static void test_restore_owner_id_many_names_grow_the_table(void **state)
{
	struct restore_owners o = { 0 };
	char name[64];

	(void)state;
	for (unsigned i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "cairn-no-such-group-%u", i);
		assert_int_equal(restore_owner_id(&o, 1, name, 1000 + i), 1000 + i);
	}
	assert_int_equal(o.lookups, 300);
	assert_int_equal(o.count, 300);
	assert_true(o.cap >= 600);
	for (unsigned i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "cairn-no-such-group-%u", i);
		assert_int_equal(restore_owner_id(&o, 1, name, 5), 5);
	}
	/* the same names as users are other entries */
	assert_int_equal(restore_owner_id(&o, 0, "cairn-no-such-group-0", 6), 6);
	assert_int_equal(o.lookups, 301);
	restore_owners_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restore_owner_id_one_lookup_per_name),
		cmocka_unit_test(test_restore_owner_id_unknown_name_falls_back),
		cmocka_unit_test(test_restore_owner_id_many_names_grow_the_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
