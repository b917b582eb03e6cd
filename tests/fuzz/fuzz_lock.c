/* Fuzz target: lock objects (locks/<id>, JSON after opening; the decoder in
 * lib/repo/lock.c). Every run that takes a lock reads every other host's lock
 * objects. The decoder is static, so this target compiles lock.c itself (the
 * library's copy is then not linked in). Invariant: a decoded lock encoded
 * again decodes to the same fields. */
#include "harness.h"

#include "../../lib/repo/lock.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cairn_lock_info info, back;
	char *json = NULL;

	memset(&info, 0, sizeof(info));
	if (lock_decode(data, size, &info) != 0)
		return 0;
	if (strnlen(info.host, sizeof(info.host)) >= sizeof(info.host) ||
	    strnlen(info.purpose, sizeof(info.purpose)) >= sizeof(info.purpose))
		__builtin_trap();
	(void)cairn_lock_stale(&info, 1764590400000000000LL);
	if (lock_conflict_error(&info) != CAIRN_ELOCKED) /* the message naming the holder */
		__builtin_trap();
	cairn_err_clear();
	memset(&back, 0, sizeof(back));
	if (lock_encode(&info, &json) != 0 || lock_decode(json, strlen(json), &back) != 0 ||
	    strcmp(info.host, back.host) != 0 || strcmp(info.purpose, back.purpose) != 0 || info.pid != back.pid ||
	    info.start_ns != back.start_ns || info.expires_ns != back.expires_ns || info.exclusive != back.exclusive)
		__builtin_trap();
	free(json);
	return 0;
}
