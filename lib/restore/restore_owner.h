/* Owner lookups of a restore, cached for the run: a user or group name is
 * looked up in the name service (getpwnam_r / getgrnam_r) once per distinct
 * name, whatever the number of entries that carry it. Names win over the
 * recorded numbers when they exist here (a fresh host may number users
 * differently); a name that does not exist here falls back to the number. */
#ifndef CAIRN_RESTORE_OWNER_H
#define CAIRN_RESTORE_OWNER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Zero-initialise; free with restore_owners_free. Not thread-safe: the
 * caller serialises (the restore holds its lock). */
struct restore_owners {
	struct restore_owner_slot *slots; /* open addressing, cap a power of two */
	size_t count, cap;
	size_t lookups;                   /* name-service calls made (for tests) */
};

/* The id the name `name` (NUL-terminated, may be NULL) of kind `group`
 * (0: user, 1: group) has on this host, or `fallback` when it is NULL or
 * unknown here. The first call for a name asks the name service; later
 * calls answer from the cache. Out of memory only costs the caching. */
uint32_t restore_owner_id(struct restore_owners *o, int group, const char *name, uint32_t fallback);

/* Free the cache; o is zeroed again. */
void restore_owners_free(struct restore_owners *o);

#endif
