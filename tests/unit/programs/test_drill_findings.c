/* Unit tests for the drill's findings (restore/drill_findings.c, compiled in
 * here with the text helpers it uses, as the program's other files are):
 * damage is filed from the events' fields (code, object type and id,
 * path), never from their messages. */
#include "cairn_test.h"

#include "../../../restore/drill_findings.c"
#include "../../../restore/drill_text.c"

#include <stdlib.h>
#include <string.h>

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void id_fill(uint8_t id[CAIRN_EVENT_ID_BYTES], uint8_t v)
{
	memset(id, v, CAIRN_EVENT_ID_BYTES);
}

/* The names drill_damaged_names lists, one a line. */
static void names(const struct drill_findings *f, char *out, size_t len)
{
	json_t *a = drill_damaged_names(f);
	size_t i;
	json_t *v;

	assert_non_null(a);
	out[0] = '\0';
	json_array_foreach(a, i, v) {
		size_t used = strlen(out);

		snprintf(out + used, len - used, "%s\n", json_string_value(v));
	}
	json_decref(a);
}

static void test_drill_on_sync_warning_id_in_message_is_not_an_object(void **state)
{
	struct drill *d = calloc(1, sizeof(*d));
	struct cairn_event ev = { .code = CAIRN_EVENT_DAMAGED_INDEX,
				  .message = "cannot fetch index/" HEX64 ": see snapshots/" HEX64 " too" };
	char list[512];

	(void)state;
	assert_non_null(d);
	/* an event without an object: its message names ids, but it has none */
	drill_on_sync_warning(d, &ev);
	assert_int_equal(d->f.nsync_damage, 1);
	assert_null(d->f.sync_objects[0]);
	names(&d->f, list, sizeof(list));
	assert_string_equal(list, "");
	/* with its object: named by the event's name, whatever the message says */
	id_fill(ev.object.id, 0x11);
	ev.object.type = CAIRN_EVENT_OBJECT_INDEX;
	ev.object_name = "index/1111111111111111111111111111111111111111111111111111111111111111";
	drill_on_sync_warning(d, &ev);
	assert_int_equal(d->f.nsync_damage, 2);
	names(&d->f, list, sizeof(list));
	assert_string_equal(list, "index/1111111111111111111111111111111111111111111111111111111111111111\n");
	drill_findings_free(&d->f);
	free(d);
}

static void test_drill_on_restore_problem_groups_by_object_id(void **state)
{
	struct drill *d = calloc(1, sizeof(*d));
	struct cairn_event ev = { .code = CAIRN_EVENT_DAMAGED_BLOB, .object_name = "data/22/2222",
				  .message = "damaged (blob 3333333333333333, damaged)" };
	char list[512];

	(void)state;
	assert_non_null(d);
	ev.object.type = CAIRN_EVENT_OBJECT_PACK;
	id_fill(ev.object.id, 0x22);
	ev.path = "/a";
	drill_on_restore_problem(d, &ev);
	ev.path = "/b";
	ev.code = CAIRN_EVENT_MISSING_PACK;
	drill_on_restore_problem(d, &ev);
	/* another pack, its message naming the first one's pack: its own group */
	id_fill(ev.object.id, 0x44);
	ev.object_name = "data/44/4444";
	ev.message = "see data/22/2222 and index/" HEX64;
	ev.path = "/c";
	drill_on_restore_problem(d, &ev);
	/* damage without a named object: the group of unknown objects */
	memset(&ev.object, 0, sizeof(ev.object));
	ev.object_name = NULL;
	ev.code = CAIRN_EVENT_SIZE_MISMATCH;
	ev.message = "data/55/" HEX64 " is not this event's object";
	ev.path = "/d";
	drill_on_restore_problem(d, &ev);
	/* an entry that could not be created is an error, not damage */
	ev.code = CAIRN_EVENT_NOT_RESTORED;
	ev.message = "cannot create file: data/66/" HEX64;
	ev.path = "/e";
	drill_on_restore_problem(d, &ev);

	assert_int_equal(d->f.damaged_files, 4);
	assert_int_equal(d->f.ndamaged, 3);
	assert_string_equal(d->f.damaged[0].object, "data/22/2222");
	assert_int_equal(d->f.damaged[0].files_total, 2);
	assert_string_equal(d->f.damaged[0].files[1], "/b");
	assert_string_equal(d->f.damaged[1].object, "data/44/4444");
	assert_int_equal(d->f.damaged[1].files_total, 1);
	assert_null(d->f.damaged[2].object);
	assert_string_equal(d->f.damaged[2].files[0], "/d");
	assert_int_equal(d->f.errors.total, 1);
	assert_string_equal(d->f.errors.items[0].path, "/e");
	names(&d->f, list, sizeof(list));
	assert_string_equal(list, "data/22/2222\ndata/44/4444\n");
	drill_findings_free(&d->f);
	free(d);
}

static void test_drill_on_verify_failure_after_damage(void **state)
{
	struct drill *d = calloc(1, sizeof(*d));
	struct cairn_event dmg = { .code = CAIRN_EVENT_MISSING_BLOB, .path = "/lost", .message = "missing" };
	struct cairn_event err = { .code = CAIRN_EVENT_NOT_RESTORED, .path = "/err", .message = "cannot" };
	struct cairn_event v = { .code = CAIRN_EVENT_DIFFERS, .message = "missing in the restored tree" };

	(void)state;
	assert_non_null(d);
	drill_on_restore_problem(d, &dmg);
	drill_on_restore_problem(d, &err);
	v.flags = CAIRN_VERIFY_MISSING;
	v.path = "/lost";
	drill_on_verify_failure(d, &v);
	v.path = "/err";
	drill_on_verify_failure(d, &v);
	v.path = "/other";
	v.flags = CAIRN_VERIFY_MODE;
	drill_on_verify_failure(d, &v);
	assert_int_equal(d->f.failures.total, 3);
	assert_int_equal(d->f.failures_after_damage, 1);
	assert_int_equal(d->f.failures_after_error, 1);
	assert_int_equal(d->f.failures.items[0].problems, CAIRN_VERIFY_MISSING);
	assert_int_equal(d->f.failures.items[2].problems, CAIRN_VERIFY_MODE);
	assert_int_equal(drill_failed_files(&d->f), 3);
	drill_findings_free(&d->f);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drill_on_sync_warning_id_in_message_is_not_an_object),
		cmocka_unit_test(test_drill_on_restore_problem_groups_by_object_id),
		cmocka_unit_test(test_drill_on_verify_failure_after_damage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
