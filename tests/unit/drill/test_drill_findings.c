/* Tests of lib/drill/drill_findings.c: damaged objects grouped with their
 * files, restore errors and verification failures kept up to the list limit
 * and counted beyond it, consequences of reported problems, names of the
 * damaged objects (from the events' fields, never from their messages), untrusted text
 * cleaned before it is kept. */
#include "cairn_test.h"

#include "cairn/drill.h"
#include "cairn/verify.h"

#include <stdio.h>
#include <string.h>

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* A restore problem as the restore reports it: damage of the pack `object`
 * (a pack event whose id is the name's first byte repeated), or an entry not
 * restored (object NULL, damaged 0). */
static void problem(struct cairn_drill_findings *f, int damaged, const char *path, const char *object,
		    const char *msg)
{
	struct cairn_event ev = { .code = damaged ? CAIRN_EVENT_DAMAGED_BLOB : CAIRN_EVENT_NOT_RESTORED,
				  .path = path, .object_name = object, .message = msg };

	if (object != NULL) {
		ev.object.type = CAIRN_EVENT_OBJECT_PACK;
		memset(ev.object.id, object[strlen(object) - 1], sizeof(ev.object.id));
	}
	cairn_drill_on_restore_problem(f, &ev);
}

/* A damaged index object reported by the sync, named `object` (or none). */
static void sync_warning(struct cairn_drill_findings *f, const char *msg, const char *object)
{
	struct cairn_event ev = { .code = CAIRN_EVENT_DAMAGED_INDEX, .message = msg, .object_name = object };

	if (object != NULL)
		ev.object.type = CAIRN_EVENT_OBJECT_INDEX;
	cairn_drill_on_sync_warning(f, &ev);
}

/* A verification failure of `path`. */
static enum cairn_drill_after failure(struct cairn_drill_findings *f, const char *path, unsigned problems,
				      const char *msg)
{
	struct cairn_event ev = { .code = CAIRN_EVENT_DIFFERS, .path = path, .message = msg, .flags = problems };

	return cairn_drill_on_verify_failure(f, &ev);
}

static void test_cairn_drill_on_restore_problem_groups(void **state)
{
	struct cairn_drill_findings f = { 0 };

	(void)state;
	problem(&f, 1, "/a", "data/ab/p1", "bad");
	problem(&f, 1, "/b", "data/cd/p2", "bad");
	problem(&f, 1, "/c", "data/ab/p1", "bad");
	problem(&f, 1, "/d", NULL, "tree unreadable");
	assert_int_equal(f.ndamaged, 3);
	assert_int_equal(f.damaged_files, 4);
	assert_string_equal(f.damaged[0].object, "data/ab/p1");
	assert_int_equal(f.damaged[0].nfiles, 2);
	assert_string_equal(f.damaged[0].files[1], "/c");
	assert_null(f.damaged[2].object);
	assert_int_equal(f.errors.total, 0);
	cairn_drill_findings_free(&f);
	assert_int_equal(f.ndamaged, 0);
	cairn_drill_findings_free(NULL);
}

static void test_cairn_drill_on_restore_problem_list_limit(void **state)
{
	struct cairn_drill_findings f = { 0 };
	char path[32];

	(void)state;
	for (int i = 0; i < CAIRN_DRILL_LIST_MAX + 50; i++) {
		snprintf(path, sizeof(path), "/e%d", i);
		problem(&f, 0, path, NULL, "permission denied");
	}
	assert_int_equal(f.errors.n, CAIRN_DRILL_LIST_MAX);
	assert_int_equal(f.errors.total, CAIRN_DRILL_LIST_MAX + 50);
	assert_int_equal(f.error_paths.used, CAIRN_DRILL_LIST_MAX + 50); /* all remembered for the verification */
	assert_string_equal(f.errors.items[0].msg, "permission denied");
	cairn_drill_findings_free(&f);
}

static void test_cairn_drill_on_verify_failure_consequences(void **state)
{
	struct cairn_drill_findings f = { 0 };

	(void)state;
	problem(&f, 1, "/a", "data/ab/p1", "bad");
	problem(&f, 0, "/b", NULL, "denied");
	assert_int_equal(failure(&f, "/a", 1, "missing"), CAIRN_DRILL_AFTER_DAMAGE);
	assert_int_equal(failure(&f, "/b", 4, "mode differs"), CAIRN_DRILL_AFTER_ERROR);
	assert_int_equal(failure(&f, "/z", 2, "size differs"), CAIRN_DRILL_AFTER_NONE);
	assert_int_equal(f.failures.total, 3);
	assert_int_equal(f.failures_after_damage, 1);
	assert_int_equal(f.failures_after_error, 1);
	assert_string_equal(f.failures.items[0].msg, "missing (the restore reported its data damaged)");
	assert_string_equal(f.failures.items[1].msg, "mode differs (the restore reported an error for it)");
	assert_string_equal(f.failures.items[2].msg, "size differs");
	assert_int_equal(f.failures.items[1].problems, 4);
	assert_string_equal(cairn_drill_after_text(CAIRN_DRILL_AFTER_NONE), "");
	/* a damaged file is missing after the restore: counted once */
	assert_int_equal(cairn_drill_failed_files(&f), 3);
	cairn_drill_findings_free(&f);
}

static void test_cairn_drill_damaged_names(void **state)
{
	struct cairn_drill_findings f = { 0 };
	json_t *names;

	(void)state;
	problem(&f, 1, "/a", "data/ab/p1", "bad");
	problem(&f, 1, "/b", NULL, "bad");
	sync_warning(&f, "skipping damaged object 'index/" HEX64 "': authentication failed", "index/" HEX64);
	sync_warning(&f, "something without an object name", NULL);
	assert_int_equal(f.nsync_damage, 2);
	names = cairn_drill_damaged_names(&f);
	assert_non_null(names);
	assert_int_equal(json_array_size(names), 2);
	assert_string_equal(json_string_value(json_array_get(names, 0)), "data/ab/p1");
	assert_string_equal(json_string_value(json_array_get(names, 1)), "index/" HEX64);
	json_decref(names);
	cairn_drill_findings_free(&f);
}

static void test_cairn_drill_findings_clean_text(void **state)
{
	struct cairn_drill_findings f = { 0 };

	(void)state;
	problem(&f, 0, "/x\n\xff", NULL, "bad\x1b[31m");
	assert_string_equal(f.errors.items[0].path, "/x\\x0a\\xff");
	assert_string_equal(f.errors.items[0].msg, "bad\\x1b[31m");
	cairn_drill_findings_free(&f);
}

static void id_fill(uint8_t id[CAIRN_EVENT_ID_BYTES], uint8_t v)
{
	memset(id, v, CAIRN_EVENT_ID_BYTES);
}

/* The names drill_damaged_names lists, one a line. */
static void names(const struct cairn_drill_findings *f, char *out, size_t len)
{
	json_t *a = cairn_drill_damaged_names(f);
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

static void test_cairn_drill_on_sync_warning_id_in_message_is_not_an_object(void **state)
{
	struct cairn_drill_findings *f = calloc(1, sizeof(*f));
	struct cairn_event ev = { .code = CAIRN_EVENT_DAMAGED_INDEX,
				  .message = "cannot fetch index/" HEX64 ": see snapshots/" HEX64 " too" };
	char list[512];

	(void)state;
	assert_non_null(f);
	/* an event without an object: its message names ids, but it has none */
	cairn_drill_on_sync_warning(f, &ev);
	assert_int_equal(f->nsync_damage, 1);
	assert_null(f->sync_objects[0]);
	names(f, list, sizeof(list));
	assert_string_equal(list, "");
	/* with its object: named by the event's name, whatever the message says */
	id_fill(ev.object.id, 0x11);
	ev.object.type = CAIRN_EVENT_OBJECT_INDEX;
	ev.object_name = "index/1111111111111111111111111111111111111111111111111111111111111111";
	cairn_drill_on_sync_warning(f, &ev);
	assert_int_equal(f->nsync_damage, 2);
	names(f, list, sizeof(list));
	assert_string_equal(list, "index/1111111111111111111111111111111111111111111111111111111111111111\n");
	cairn_drill_findings_free(f);
	free(f);
}

static void test_cairn_drill_on_restore_problem_groups_by_object_id(void **state)
{
	struct cairn_drill_findings *f = calloc(1, sizeof(*f));
	struct cairn_event ev = { .code = CAIRN_EVENT_DAMAGED_BLOB, .object_name = "data/22/2222",
				  .message = "damaged (blob 3333333333333333, damaged)" };
	char list[512];

	(void)state;
	assert_non_null(f);
	ev.object.type = CAIRN_EVENT_OBJECT_PACK;
	id_fill(ev.object.id, 0x22);
	ev.path = "/a";
	cairn_drill_on_restore_problem(f, &ev);
	ev.path = "/b";
	ev.code = CAIRN_EVENT_MISSING_PACK;
	cairn_drill_on_restore_problem(f, &ev);
	/* another pack, its message naming the first one's pack: its own group */
	id_fill(ev.object.id, 0x44);
	ev.object_name = "data/44/4444";
	ev.message = "see data/22/2222 and index/" HEX64;
	ev.path = "/c";
	cairn_drill_on_restore_problem(f, &ev);
	/* damage without a named object: the group of unknown objects */
	memset(&ev.object, 0, sizeof(ev.object));
	ev.object_name = NULL;
	ev.code = CAIRN_EVENT_SIZE_MISMATCH;
	ev.message = "data/55/" HEX64 " is not this event's object";
	ev.path = "/d";
	cairn_drill_on_restore_problem(f, &ev);
	/* an entry that could not be created is an error, not damage */
	ev.code = CAIRN_EVENT_NOT_RESTORED;
	ev.message = "cannot create file: data/66/" HEX64;
	ev.path = "/e";
	cairn_drill_on_restore_problem(f, &ev);

	assert_int_equal(f->damaged_files, 4);
	assert_int_equal(f->ndamaged, 3);
	assert_string_equal(f->damaged[0].object, "data/22/2222");
	assert_int_equal(f->damaged[0].files_total, 2);
	assert_string_equal(f->damaged[0].files[1], "/b");
	assert_string_equal(f->damaged[1].object, "data/44/4444");
	assert_int_equal(f->damaged[1].files_total, 1);
	assert_null(f->damaged[2].object);
	assert_string_equal(f->damaged[2].files[0], "/d");
	assert_int_equal(f->errors.total, 1);
	assert_string_equal(f->errors.items[0].path, "/e");
	names(f, list, sizeof(list));
	assert_string_equal(list, "data/22/2222\ndata/44/4444\n");
	cairn_drill_findings_free(f);
	free(f);
}

static void test_cairn_drill_on_verify_failure_after_damage(void **state)
{
	struct cairn_drill_findings *f = calloc(1, sizeof(*f));
	struct cairn_event dmg = { .code = CAIRN_EVENT_MISSING_BLOB, .path = "/lost", .message = "missing" };
	struct cairn_event err = { .code = CAIRN_EVENT_NOT_RESTORED, .path = "/err", .message = "cannot" };
	struct cairn_event v = { .code = CAIRN_EVENT_DIFFERS, .message = "missing in the restored tree" };

	(void)state;
	assert_non_null(f);
	cairn_drill_on_restore_problem(f, &dmg);
	cairn_drill_on_restore_problem(f, &err);
	v.flags = CAIRN_VERIFY_MISSING;
	v.path = "/lost";
	cairn_drill_on_verify_failure(f, &v);
	v.path = "/err";
	cairn_drill_on_verify_failure(f, &v);
	v.path = "/other";
	v.flags = CAIRN_VERIFY_MODE;
	cairn_drill_on_verify_failure(f, &v);
	assert_int_equal(f->failures.total, 3);
	assert_int_equal(f->failures_after_damage, 1);
	assert_int_equal(f->failures_after_error, 1);
	assert_int_equal(f->failures.items[0].problems, CAIRN_VERIFY_MISSING);
	assert_int_equal(f->failures.items[2].problems, CAIRN_VERIFY_MODE);
	assert_int_equal(cairn_drill_failed_files(f), 3);
	cairn_drill_findings_free(f);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cairn_drill_on_restore_problem_groups),
		cmocka_unit_test(test_cairn_drill_on_restore_problem_list_limit),
		cmocka_unit_test(test_cairn_drill_on_verify_failure_consequences),
		cmocka_unit_test(test_cairn_drill_damaged_names),
		cmocka_unit_test(test_cairn_drill_findings_clean_text),
		cmocka_unit_test(test_cairn_drill_on_sync_warning_id_in_message_is_not_an_object),
		cmocka_unit_test(test_cairn_drill_on_restore_problem_groups_by_object_id),
		cmocka_unit_test(test_cairn_drill_on_verify_failure_after_damage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
