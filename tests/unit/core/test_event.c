/* Unit tests for the event codes: classes, stable names, object refs. */
#include "cairn_test.h"

#include "cairn/event.h"

#include <string.h>

static void test_cairn_event_class_of_every_code(void **state)
{
	(void)state;
	assert_int_equal(cairn_event_class(CAIRN_EVENT_UNREADABLE), CAIRN_EVENT_CLASS_LOCAL);
	assert_int_equal(cairn_event_class(CAIRN_EVENT_CHANGED), CAIRN_EVENT_CLASS_LOCAL);
	assert_int_equal(cairn_event_class(CAIRN_EVENT_VANISHED), CAIRN_EVENT_CLASS_LOCAL);
	assert_int_equal(cairn_event_class(CAIRN_EVENT_NOT_RESTORED), CAIRN_EVENT_CLASS_LOCAL);
	assert_int_equal(cairn_event_class(CAIRN_EVENT_DIFFERS), CAIRN_EVENT_CLASS_LOCAL);
	assert_int_equal(cairn_event_class(CAIRN_EVENT_DAMAGED_INDEX), CAIRN_EVENT_CLASS_DAMAGED);
	assert_int_equal(cairn_event_class(CAIRN_EVENT_DAMAGED_SNAPSHOT), CAIRN_EVENT_CLASS_DAMAGED);
	assert_int_equal(cairn_event_class(CAIRN_EVENT_DAMAGED_PACK), CAIRN_EVENT_CLASS_DAMAGED);
	assert_int_equal(cairn_event_class(CAIRN_EVENT_DAMAGED_BLOB), CAIRN_EVENT_CLASS_DAMAGED);
	assert_int_equal(cairn_event_class(CAIRN_EVENT_SIZE_MISMATCH), CAIRN_EVENT_CLASS_DAMAGED);
	assert_int_equal(cairn_event_class(CAIRN_EVENT_DAMAGED_TREE), CAIRN_EVENT_CLASS_DAMAGED);
	assert_int_equal(cairn_event_class(CAIRN_EVENT_DAMAGED_HARDLINK), CAIRN_EVENT_CLASS_DAMAGED);
	assert_int_equal(cairn_event_class(CAIRN_EVENT_MISSING_PACK), CAIRN_EVENT_CLASS_MISSING);
	assert_int_equal(cairn_event_class(CAIRN_EVENT_MISSING_BLOB), CAIRN_EVENT_CLASS_MISSING);
	assert_int_equal(cairn_event_class((enum cairn_event_code)999), CAIRN_EVENT_CLASS_LOCAL);
}

static void test_cairn_event_code_name_stable(void **state)
{
	(void)state;
	assert_string_equal(cairn_event_code_name(CAIRN_EVENT_UNREADABLE), "unreadable");
	assert_string_equal(cairn_event_code_name(CAIRN_EVENT_CHANGED), "changed");
	assert_string_equal(cairn_event_code_name(CAIRN_EVENT_VANISHED), "vanished");
	assert_string_equal(cairn_event_code_name(CAIRN_EVENT_NOT_RESTORED), "not_restored");
	assert_string_equal(cairn_event_code_name(CAIRN_EVENT_DIFFERS), "differs");
	assert_string_equal(cairn_event_code_name(CAIRN_EVENT_DAMAGED_INDEX), "damaged_index");
	assert_string_equal(cairn_event_code_name(CAIRN_EVENT_DAMAGED_SNAPSHOT), "damaged_snapshot");
	assert_string_equal(cairn_event_code_name(CAIRN_EVENT_DAMAGED_PACK), "damaged_pack");
	assert_string_equal(cairn_event_code_name(CAIRN_EVENT_DAMAGED_BLOB), "damaged_blob");
	assert_string_equal(cairn_event_code_name(CAIRN_EVENT_SIZE_MISMATCH), "size_mismatch");
	assert_string_equal(cairn_event_code_name(CAIRN_EVENT_DAMAGED_TREE), "damaged_tree");
	assert_string_equal(cairn_event_code_name(CAIRN_EVENT_DAMAGED_HARDLINK), "damaged_hardlink");
	assert_string_equal(cairn_event_code_name(CAIRN_EVENT_MISSING_PACK), "missing_pack");
	assert_string_equal(cairn_event_code_name(CAIRN_EVENT_MISSING_BLOB), "missing_blob");
	assert_string_equal(cairn_event_code_name((enum cairn_event_code)0), "unknown");
}

static void test_cairn_event_object_type_name(void **state)
{
	(void)state;
	assert_null(cairn_event_object_type_name(CAIRN_EVENT_OBJECT_NONE));
	assert_string_equal(cairn_event_object_type_name(CAIRN_EVENT_OBJECT_PACK), "pack");
	assert_string_equal(cairn_event_object_type_name(CAIRN_EVENT_OBJECT_INDEX), "index");
	assert_string_equal(cairn_event_object_type_name(CAIRN_EVENT_OBJECT_SNAPSHOT), "snapshot");
	assert_string_equal(cairn_event_object_type_name(CAIRN_EVENT_OBJECT_DATA_BLOB), "data_blob");
	assert_string_equal(cairn_event_object_type_name(CAIRN_EVENT_OBJECT_TREE_BLOB), "tree_blob");
	assert_null(cairn_event_object_type_name((enum cairn_event_object)77));
}

static void test_cairn_event_ref_set_and_equal(void **state)
{
	uint8_t id[CAIRN_EVENT_ID_BYTES], zero[CAIRN_EVENT_ID_BYTES] = { 0 };
	struct cairn_event_ref a, b, none;

	(void)state;
	memset(id, 0xab, sizeof(id));
	memset(&none, 0x55, sizeof(none));
	cairn_event_ref_set(&a, CAIRN_EVENT_OBJECT_PACK, id);
	cairn_event_ref_set(&b, CAIRN_EVENT_OBJECT_PACK, id);
	assert_int_equal(a.type, CAIRN_EVENT_OBJECT_PACK);
	assert_memory_equal(a.id, id, sizeof(id));
	assert_true(cairn_event_ref_equal(&a, &b));
	/* same id, another type: another object */
	cairn_event_ref_set(&b, CAIRN_EVENT_OBJECT_INDEX, id);
	assert_false(cairn_event_ref_equal(&a, &b));
	/* another id */
	id[31] ^= 1;
	cairn_event_ref_set(&b, CAIRN_EVENT_OBJECT_PACK, id);
	assert_false(cairn_event_ref_equal(&a, &b));
	/* none: the id is zeroed, whatever was there or was given */
	cairn_event_ref_set(&none, CAIRN_EVENT_OBJECT_NONE, id);
	assert_int_equal(none.type, CAIRN_EVENT_OBJECT_NONE);
	assert_memory_equal(none.id, zero, sizeof(zero));
	cairn_event_ref_set(&b, CAIRN_EVENT_OBJECT_NONE, NULL);
	assert_true(cairn_event_ref_equal(&none, &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cairn_event_class_of_every_code),
		cmocka_unit_test(test_cairn_event_code_name_stable),
		cmocka_unit_test(test_cairn_event_object_type_name),
		cmocka_unit_test(test_cairn_event_ref_set_and_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
