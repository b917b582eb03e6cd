/* Shared helpers for the cmocka unit tests. */
#ifndef CAIRN_TEST_H
#define CAIRN_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Create a fresh, empty, uniquely named directory for one test under
 * $CAIRN_TEST_TMP (or /tmp) and return its path (malloc'd; caller frees).
 * Fails the test if it cannot. */
char *cairn_test_mkdtemp(const char *name);

/* Remove a directory tree (like rm -rf). Ignores errors. */
void cairn_test_rmtree(const char *path);

/* The text of the file at `path` (at most 64 KiB), or NULL when it cannot
 * be read. The buffer is static: valid until the next call. */
char *cairn_test_file_text(const char *path);

/* The number of entries in directory `dir`, "." and ".." not counted; 0
 * when it cannot be read. */
size_t cairn_test_count_entries(const char *dir);

/* Deterministic pseudo-random bytes (xorshift64*) from `seed`. */
void cairn_test_fill_random(void *buf, size_t len, uint64_t seed);

/* Write `len` bytes of cairn_test_fill_random(seed) to a new file at
 * `path` (replaced if it exists). Fails the test if it cannot. */
void cairn_test_write_random_file(const char *path, size_t len, uint64_t seed);

/* Fixed test master key 0x00, 0x01, ..., 0x1f. */
extern const uint8_t cairn_test_master_key[32];

#endif
