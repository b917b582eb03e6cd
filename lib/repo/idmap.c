/* Open-addressing (linear probing) map of blob ids; ids are uniformly random
 * so their first bytes serve as the hash. */
#include "idmap.h"

#include "cairn/buf.h"

#include <stdlib.h>
#include <string.h>

#define SLOT_DELETED 0xff

static size_t slot_of(const struct cairn_idmap *m, const uint8_t *id)
{
	return (size_t)cairn_le64_load(id) & (m->cap - 1);
}

void cairn_idmap_free(struct cairn_idmap *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

struct cairn_idmap_entry *cairn_idmap_get(struct cairn_idmap *m, const uint8_t id[CAIRN_ID_BYTES])
{
	if (m->cap == 0)
		return NULL;
	for (size_t i = slot_of(m, id), n = 0; n < m->cap; i = (i + 1) & (m->cap - 1), n++) {
		struct cairn_idmap_entry *e = &m->slots[i];

		if (e->state == 0)
			return NULL;
		if (e->state != SLOT_DELETED && memcmp(e->loc.id, id, CAIRN_ID_BYTES) == 0)
			return e;
	}
	return NULL;
}

static int grow(struct cairn_idmap *m)
{
	struct cairn_idmap old = *m;
	/* half full after the move: put grows again at three quarters */
	size_t cap = m->live * 2 > 64 ? m->live * 2 : 64;
	size_t pow = 64;

	while (pow < cap)
		pow *= 2;
	m->slots = cairn_calloc(pow, sizeof(*m->slots));
	if (m->slots == NULL) {
		*m = old;
		return -1;
	}
	m->cap = pow;
	m->used = m->live = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].state != 0 && old.slots[i].state != SLOT_DELETED)
			*cairn_idmap_put(m, old.slots[i].loc.id, old.slots[i].state) = old.slots[i];
	free(old.slots);
	return 0;
}

struct cairn_idmap_entry *cairn_idmap_put(struct cairn_idmap *m, const uint8_t id[CAIRN_ID_BYTES], uint8_t state)
{
	size_t i;

	if ((m->used + 1) * 4 > m->cap * 3 && grow(m) < 0)
		return NULL;
	for (i = slot_of(m, id); m->slots[i].state != 0 && m->slots[i].state != SLOT_DELETED; i = (i + 1) & (m->cap - 1))
		;
	if (m->slots[i].state == 0)
		m->used++;
	m->live++;
	memset(&m->slots[i], 0, sizeof(m->slots[i]));
	memcpy(m->slots[i].loc.id, id, CAIRN_ID_BYTES);
	m->slots[i].state = state;
	return &m->slots[i];
}

void cairn_idmap_remove(struct cairn_idmap *m, const uint8_t id[CAIRN_ID_BYTES])
{
	struct cairn_idmap_entry *e = cairn_idmap_get(m, id);

	if (e != NULL) {
		e->state = SLOT_DELETED;
		m->live--;
	}
}
