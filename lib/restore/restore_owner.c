/* Owner lookups cached per name for a restore run (restore_owner.h). */
#include "restore_owner.h"

#include "cairn/buf.h"

#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

struct restore_owner_slot {
	char *name; /* NULL: empty */
	int group;
	int found;
	uint32_t id;
};

static uint64_t name_hash(int group, const char *name)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)group;

	for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ull;
	return h;
}

static struct restore_owner_slot *slot_find(struct restore_owner_slot *slots, size_t cap, int group,
					    const char *name)
{
	size_t i = (size_t)name_hash(group, name) & (cap - 1);

	while (slots[i].name != NULL && (slots[i].group != group || strcmp(slots[i].name, name) != 0))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

/* Room for one more name at a load of at most a half. 0 or -1. */
static int grow(struct restore_owners *o)
{
	struct restore_owner_slot *slots;
	size_t cap;

	if ((o->count + 1) * 2 <= o->cap)
		return 0;
	cap = o->cap ? o->cap * 2 : 64;
	slots = cairn_calloc(cap, sizeof(*slots));
	if (slots == NULL)
		return -1;
	for (size_t i = 0; i < o->cap; i++)
		if (o->slots[i].name != NULL)
			*slot_find(slots, cap, o->slots[i].group, o->slots[i].name) = o->slots[i];
	free(o->slots);
	o->slots = slots;
	o->cap = cap;
	return 0;
}

/* Ask the name service. 1 and *ret_id when the name exists here. */
static int lookup(int group, const char *name, uint32_t *ret_id)
{
	char buf[4096];
	struct passwd pw, *pres = NULL;
	struct group gr, *gres = NULL;

	if (group) {
		if (getgrnam_r(name, &gr, buf, sizeof(buf), &gres) != 0 || gres == NULL)
			return 0;
		*ret_id = gres->gr_gid;
		return 1;
	}
	if (getpwnam_r(name, &pw, buf, sizeof(buf), &pres) != 0 || pres == NULL)
		return 0;
	*ret_id = pres->pw_uid;
	return 1;
}

uint32_t restore_owner_id(struct restore_owners *o, int group, const char *name, uint32_t fallback)
{
	struct restore_owner_slot *s;
	uint32_t id = 0;
	int found;

	if (name == NULL)
		return fallback;
	if (o->cap > 0) {
		s = slot_find(o->slots, o->cap, group, name);
		if (s->name != NULL)
			return s->found ? s->id : fallback;
	}
	o->lookups++;
	found = lookup(group, name, &id);
	if (grow(o) == 0) {
		char *copy = cairn_strdup(name);

		if (copy != NULL) {
			s = slot_find(o->slots, o->cap, group, name);
			*s = (struct restore_owner_slot){ .name = copy, .group = group, .found = found, .id = id };
			o->count++;
		}
	}
	return found ? id : fallback;
}

void restore_owners_free(struct restore_owners *o)
{
	for (size_t i = 0; i < o->cap; i++)
		free(o->slots[i].name);
	free(o->slots);
	memset(o, 0, sizeof(*o));
}
