/* Warnings and damage reports as data: classes and names of the codes. */
#include "cairn/event.h"

#include <stddef.h>
#include <string.h>

enum cairn_event_class cairn_event_class(enum cairn_event_code code)
{
	switch (code) {
	case CAIRN_EVENT_DAMAGED_INDEX:
	case CAIRN_EVENT_DAMAGED_SNAPSHOT:
	case CAIRN_EVENT_DAMAGED_PACK:
	case CAIRN_EVENT_DAMAGED_BLOB:
	case CAIRN_EVENT_SIZE_MISMATCH:
	case CAIRN_EVENT_DAMAGED_TREE:
	case CAIRN_EVENT_DAMAGED_HARDLINK:
		return CAIRN_EVENT_CLASS_DAMAGED;
	case CAIRN_EVENT_MISSING_PACK:
	case CAIRN_EVENT_MISSING_BLOB:
		return CAIRN_EVENT_CLASS_MISSING;
	case CAIRN_EVENT_UNREADABLE:
	case CAIRN_EVENT_CHANGED:
	case CAIRN_EVENT_VANISHED:
	case CAIRN_EVENT_NOT_RESTORED:
	case CAIRN_EVENT_DIFFERS:
		break;
	}
	return CAIRN_EVENT_CLASS_LOCAL;
}

const char *cairn_event_code_name(enum cairn_event_code code)
{
	switch (code) {
	case CAIRN_EVENT_UNREADABLE:
		return "unreadable";
	case CAIRN_EVENT_CHANGED:
		return "changed";
	case CAIRN_EVENT_VANISHED:
		return "vanished";
	case CAIRN_EVENT_NOT_RESTORED:
		return "not_restored";
	case CAIRN_EVENT_DIFFERS:
		return "differs";
	case CAIRN_EVENT_DAMAGED_INDEX:
		return "damaged_index";
	case CAIRN_EVENT_DAMAGED_SNAPSHOT:
		return "damaged_snapshot";
	case CAIRN_EVENT_DAMAGED_PACK:
		return "damaged_pack";
	case CAIRN_EVENT_DAMAGED_BLOB:
		return "damaged_blob";
	case CAIRN_EVENT_SIZE_MISMATCH:
		return "size_mismatch";
	case CAIRN_EVENT_DAMAGED_TREE:
		return "damaged_tree";
	case CAIRN_EVENT_DAMAGED_HARDLINK:
		return "damaged_hardlink";
	case CAIRN_EVENT_MISSING_PACK:
		return "missing_pack";
	case CAIRN_EVENT_MISSING_BLOB:
		return "missing_blob";
	}
	return "unknown";
}

const char *cairn_event_object_type_name(enum cairn_event_object type)
{
	switch (type) {
	case CAIRN_EVENT_OBJECT_PACK:
		return "pack";
	case CAIRN_EVENT_OBJECT_INDEX:
		return "index";
	case CAIRN_EVENT_OBJECT_SNAPSHOT:
		return "snapshot";
	case CAIRN_EVENT_OBJECT_DATA_BLOB:
		return "data_blob";
	case CAIRN_EVENT_OBJECT_TREE_BLOB:
		return "tree_blob";
	case CAIRN_EVENT_OBJECT_NONE:
		break;
	}
	return NULL;
}

void cairn_event_ref_set(struct cairn_event_ref *ref, enum cairn_event_object type, const uint8_t *id)
{
	ref->type = type;
	if (id != NULL && type != CAIRN_EVENT_OBJECT_NONE)
		memcpy(ref->id, id, sizeof(ref->id));
	else
		memset(ref->id, 0, sizeof(ref->id));
}

int cairn_event_ref_equal(const struct cairn_event_ref *a, const struct cairn_event_ref *b)
{
	return a->type == b->type && memcmp(a->id, b->id, sizeof(a->id)) == 0;
}
