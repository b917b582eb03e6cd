/* A drill's findings: what went wrong, collected from the callbacks of the
 * sync, the restore and the verification (the program prints; this only
 * records). Lists keep their first CAIRN_DRILL_LIST_MAX items and count the
 * rest, so memory stays bounded. */
#include "cairn/drill.h"

#include "cairn/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a of a string, for the path set. */
static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s != '\0'; s++) {
		h ^= (uint8_t)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

static int pathset_grow(struct cairn_drill_pathset *set)
{
	size_t cap = set->cap ? set->cap * 2 : 64;
	char **slots = cairn_calloc(cap, sizeof(*slots));

	if (slots == NULL)
		return -1;
	for (size_t i = 0; i < set->cap; i++) {
		size_t k;

		if (set->slots[i] == NULL)
			continue;
		for (k = hash_str(set->slots[i]) & (cap - 1); slots[k] != NULL; k = (k + 1) & (cap - 1))
			;
		slots[k] = set->slots[i];
	}
	free(set->slots);
	set->slots = slots;
	set->cap = cap;
	return 0;
}

static int pathset_has(const struct cairn_drill_pathset *set, const char *path)
{
	if (set->cap == 0)
		return 0;
	for (size_t k = hash_str(path) & (set->cap - 1); set->slots[k] != NULL; k = (k + 1) & (set->cap - 1))
		if (strcmp(set->slots[k], path) == 0)
			return 1;
	return 0;
}

static void pathset_add(struct cairn_drill_pathset *set, const char *path)
{
	size_t k;

	if (pathset_has(set, path))
		return;
	if (set->used >= CAIRN_DRILL_ERROR_PATHS_MAX || ((set->used + 1) * 2 > set->cap && pathset_grow(set) < 0)) {
		set->full = 1;
		return;
	}
	for (k = hash_str(path) & (set->cap - 1); set->slots[k] != NULL; k = (k + 1) & (set->cap - 1))
		;
	set->slots[k] = cairn_strdup(path);
	if (set->slots[k] == NULL)
		set->full = 1;
	else
		set->used++;
}

static void pathset_free(struct cairn_drill_pathset *set)
{
	for (size_t i = 0; i < set->cap; i++)
		free(set->slots[i]);
	free(set->slots);
	memset(set, 0, sizeof(*set));
}

/* Keep an item when there is room; count it anyway. */
static void list_add(struct cairn_drill_list *l, const char *path, const char *msg, unsigned problems)
{
	struct cairn_drill_item *grown, *it;

	l->total++;
	if (l->n >= CAIRN_DRILL_LIST_MAX)
		return;
	grown = cairn_reallocarray(l->items, l->n + 1, sizeof(*l->items));
	if (grown == NULL)
		return;
	l->items = grown;
	it = &l->items[l->n];
	it->path = cairn_drill_clean_text(path);
	it->msg = cairn_drill_clean_text(msg);
	it->problems = problems;
	if (it->path == NULL || it->msg == NULL) {
		free(it->path);
		free(it->msg);
		return;
	}
	l->n++;
}

static void list_free(struct cairn_drill_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].path);
		free(l->items[i].msg);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

/* The group of the event's object, added when new: one per object the
 * event names (compared by type and id), one for all damage without a
 * named object. */
static struct cairn_drill_damaged *damaged_group(struct cairn_drill_findings *f, const struct cairn_event *ev)
{
	static const struct cairn_event_ref none = { CAIRN_EVENT_OBJECT_NONE, { 0 } };
	const struct cairn_event_ref *ref = ev->object_name != NULL ? &ev->object : &none;
	struct cairn_drill_damaged *grown;

	for (size_t i = 0; i < f->ndamaged; i++)
		if (cairn_event_ref_equal(&f->damaged[i].ref, ref))
			return &f->damaged[i];
	grown = cairn_reallocarray(f->damaged, f->ndamaged + 1, sizeof(*grown));
	if (grown == NULL)
		return NULL;
	f->damaged = grown;
	memset(&grown[f->ndamaged], 0, sizeof(grown[0]));
	grown[f->ndamaged].ref = *ref;
	if (ref != &none) {
		grown[f->ndamaged].object = cairn_strdup(ev->object_name);
		if (grown[f->ndamaged].object == NULL)
			return NULL;
	}
	return &f->damaged[f->ndamaged++];
}

static void damaged_add(struct cairn_drill_findings *f, const struct cairn_event *ev)
{
	struct cairn_drill_damaged *g = damaged_group(f, ev);
	char **grown;

	f->damaged_files++;
	if (g == NULL)
		return;
	g->files_total++;
	if (g->nfiles >= CAIRN_DRILL_LIST_MAX)
		return;
	grown = cairn_reallocarray(g->files, g->nfiles + 1, sizeof(*g->files));
	if (grown == NULL)
		return;
	g->files = grown;
	g->files[g->nfiles] = cairn_drill_clean_text(ev->path);
	if (g->files[g->nfiles] != NULL)
		g->nfiles++;
}

void cairn_drill_on_restore_problem(void *ctx, const struct cairn_event *ev)
{
	struct cairn_drill_findings *f = ctx;

	if (cairn_event_class(ev->code) != CAIRN_EVENT_CLASS_LOCAL) {
		damaged_add(f, ev);
		pathset_add(&f->damaged_paths, ev->path);
	} else {
		list_add(&f->errors, ev->path, ev->message, 0);
		pathset_add(&f->error_paths, ev->path);
	}
}

const char *cairn_drill_after_text(enum cairn_drill_after after)
{
	switch (after) {
	case CAIRN_DRILL_AFTER_DAMAGE:
		return " (the restore reported its data damaged)";
	case CAIRN_DRILL_AFTER_ERROR:
		return " (the restore reported an error for it)";
	default:
		return "";
	}
}

enum cairn_drill_after cairn_drill_on_verify_failure(void *ctx, const struct cairn_event *ev)
{
	struct cairn_drill_findings *f = ctx;
	const char *path = ev->path, *msg = ev->message;
	unsigned problems = ev->flags;
	enum cairn_drill_after after = CAIRN_DRILL_AFTER_NONE;
	char text[1200];

	if (pathset_has(&f->damaged_paths, path)) {
		f->failures_after_damage++;
		after = CAIRN_DRILL_AFTER_DAMAGE;
	} else if (pathset_has(&f->error_paths, path)) {
		f->failures_after_error++;
		after = CAIRN_DRILL_AFTER_ERROR;
	}
	snprintf(text, sizeof(text), "%s%s", msg, cairn_drill_after_text(after));
	list_add(&f->failures, path, text, problems);
	return after;
}

void cairn_drill_on_sync_warning(void *ctx, const struct cairn_event *ev)
{
	struct cairn_drill_findings *f = ctx;
	int named = ev->object.type != CAIRN_EVENT_OBJECT_NONE && ev->object_name != NULL;
	char **grown, *msg, *object = NULL;

	grown = cairn_reallocarray(f->sync_objects, f->nsync_damage + 1, sizeof(*grown));
	if (grown == NULL)
		return;
	f->sync_objects = grown;
	grown = cairn_reallocarray(f->sync_damage, f->nsync_damage + 1, sizeof(*grown));
	if (grown == NULL)
		return;
	f->sync_damage = grown;
	msg = cairn_drill_clean_text(ev->message);
	/* the object is the event's, when it has one */
	if (named)
		object = cairn_drill_clean_text(ev->object_name);
	if (msg == NULL || (named && object == NULL)) {
		free(msg);
		free(object);
		return;
	}
	f->sync_damage[f->nsync_damage] = msg;
	f->sync_objects[f->nsync_damage] = object;
	f->nsync_damage++;
}

json_t *cairn_drill_damaged_names(const struct cairn_drill_findings *f)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < f->ndamaged; i++)
		if (f->damaged[i].object != NULL)
			json_array_append_new(a, json_string(f->damaged[i].object));
	for (size_t i = 0; a != NULL && i < f->nsync_damage; i++)
		if (f->sync_objects[i] != NULL)
			json_array_append_new(a, json_string(f->sync_objects[i]));
	return a;
}

uint64_t cairn_drill_failed_files(const struct cairn_drill_findings *f)
{
	/* a damaged file is not left behind, so the verification finds it
	 * missing; without a verification the restore's count stands */
	return f->failures.total > f->damaged_files ? f->failures.total : f->damaged_files;
}

void cairn_drill_findings_free(struct cairn_drill_findings *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->ndamaged; i++) {
		for (size_t k = 0; k < f->damaged[i].nfiles; k++)
			free(f->damaged[i].files[k]);
		free(f->damaged[i].files);
		free(f->damaged[i].object);
	}
	free(f->damaged);
	for (size_t i = 0; i < f->nsync_damage; i++) {
		free(f->sync_damage[i]);
		free(f->sync_objects[i]);
	}
	free(f->sync_damage);
	free(f->sync_objects);
	list_free(&f->errors);
	list_free(&f->failures);
	pathset_free(&f->error_paths);
	pathset_free(&f->damaged_paths);
	memset(f, 0, sizeof(*f));
}
