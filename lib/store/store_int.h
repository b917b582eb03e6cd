/* Internal helpers shared by the store drivers: name validation and range checks. */
#ifndef CAIRN_STORE_INT_H
#define CAIRN_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest valid object name, in bytes. */
#define CAIRN_STORE_NAME_MAX 255

/* Whether `name` is a valid object name: non-empty, at most 255 bytes, only
 * [A-Za-z0-9._-] and '/', relative, components separated by single '/', no
 * empty, "." or ".." component, no component starting with '.' (hidden
 * files), and a first component other than "tmp" (reserved for temporary
 * files). `why` (may be NULL) receives a static reason on failure. */
bool cairn_store_name_valid(const char *name, const char **why);

/* 0 when `name` is valid, else CAIRN_EINVAL with a detail naming the store
 * description `where` and the (escaped) name. NULL name is CAIRN_EINVAL. */
int cairn_store_name_check(const char *where, const char *name);

/* 0 when `prefix` is a valid list prefix: "" or the start of a valid name
 * (a valid name, optionally followed by '/'). Else CAIRN_EINVAL. */
int cairn_store_prefix_check(const char *where, const char *prefix);

/* Resolve the range [offset, offset+length) of an object of `size` bytes
 * (length UINT64_MAX = to the end, CAIRN_STORE_AT_MOST(n) = to the end if
 * that is at most n bytes) into *ret_len. CAIRN_EINVAL when the range
 * starts or ends past the end, or does not fit in memory; CAIRN_ECORRUPT
 * (cairn_store_too_big) when it is more than an AT_MOST bound. */
int cairn_store_range(const char *where, const char *name, uint64_t size, uint64_t offset, uint64_t length,
		      size_t *ret_len);

/* Record and return CAIRN_ECORRUPT for a CAIRN_STORE_AT_MOST(n) read of
 * `name` in `where` refused: the object has `size` bytes (UINT64_MAX:
 * unknown, only known to be more than n from `offset`). */
int cairn_store_too_big(const char *where, const char *name, uint64_t size, uint64_t offset, uint64_t n);

#endif
