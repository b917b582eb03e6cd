/* Error codes and error detail for the Cairn core.
 *
 * Every fallible function returns int: 0 on success or a negative CAIRN_E*
 * code. The place that detects an error records a human-readable detail with
 * cairn_err(); callers on the way up may prepend context with cairn_err_ctx().
 * The detail lives in a per-thread buffer, like errno: read it with
 * cairn_err_msg() before the next failing call on the same thread.
 *
 * Each code carries a class so that retry logic and the programs' exit codes
 * can be decided without string matching.
 */
#ifndef CAIRN_ERR_H
#define CAIRN_ERR_H

#include <stdarg.h>

enum cairn_err_class {
	CAIRN_CLASS_NONE = 0,
	CAIRN_CLASS_TRANSIENT, /* may succeed if retried later */
	CAIRN_CLASS_PERMANENT, /* will fail the same way again */
	CAIRN_CLASS_CORRUPT,   /* stored data failed verification */
	CAIRN_CLASS_AUTH,      /* wrong key, passphrase or credentials */
	CAIRN_CLASS_NOTFOUND,  /* the named object does not exist */
	CAIRN_CLASS_BUG        /* internal invariant violated */
};

/* X(name, value, class, short description) */
#define CAIRN_ERRORS(X)                                                        \
	X(CAIRN_ENOMEM, -1, CAIRN_CLASS_TRANSIENT, "out of memory")            \
	X(CAIRN_EINVAL, -2, CAIRN_CLASS_PERMANENT, "invalid argument")          \
	X(CAIRN_EIO, -3, CAIRN_CLASS_PERMANENT, "input/output error")           \
	X(CAIRN_ENOTFOUND, -4, CAIRN_CLASS_NOTFOUND, "not found")               \
	X(CAIRN_EEXIST, -5, CAIRN_CLASS_PERMANENT, "already exists")            \
	X(CAIRN_ECORRUPT, -6, CAIRN_CLASS_CORRUPT, "data corrupted")            \
	X(CAIRN_EAUTH, -7, CAIRN_CLASS_AUTH, "wrong key or passphrase")         \
	X(CAIRN_ETRANSIENT, -8, CAIRN_CLASS_TRANSIENT, "temporary failure")     \
	X(CAIRN_ETIMEOUT, -9, CAIRN_CLASS_TRANSIENT, "timed out")               \
	X(CAIRN_ELOCKED, -10, CAIRN_CLASS_TRANSIENT, "locked")                  \
	X(CAIRN_EFORMAT, -11, CAIRN_CLASS_PERMANENT, "unsupported format")      \
	X(CAIRN_ENOSPC, -12, CAIRN_CLASS_TRANSIENT, "no space left")            \
	X(CAIRN_EPERM, -13, CAIRN_CLASS_PERMANENT, "permission denied")         \
	X(CAIRN_EUNSUPPORTED, -14, CAIRN_CLASS_PERMANENT, "not supported")      \
	X(CAIRN_ECANCELED, -15, CAIRN_CLASS_PERMANENT, "canceled")              \
	X(CAIRN_EBUG, -16, CAIRN_CLASS_BUG, "internal error")

enum cairn_err_code {
	CAIRN_OK = 0,
#define CAIRN_ERR_ENUM(name, value, cls, desc) name = value,
	CAIRN_ERRORS(CAIRN_ERR_ENUM)
#undef CAIRN_ERR_ENUM
};

/* Record a detail message for `code` and return `code`. The message is
 * formatted like printf. Use as: return cairn_err(CAIRN_EIO, "cannot open '%s': %s", path, strerror(errno)); */
int cairn_err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prepend context to the current detail ("context: previous detail") and
 * return `code` unchanged. */
int cairn_err_ctx(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Map an errno value to a code: ENOENT -> ENOTFOUND, ENOSPC -> ENOSPC,
 * EACCES/EPERM -> EPERM, ENOMEM -> ENOMEM, EEXIST -> EEXIST, else EIO. */
int cairn_err_from_errno(int errnum);

/* The detail recorded by the last cairn_err() on this thread ("" if none).
 * Valid until the next cairn_err()/cairn_err_ctx() on this thread. */
const char *cairn_err_msg(void);

/* Clear the detail on this thread. */
void cairn_err_clear(void);

/* Name ("CAIRN_EIO"), short description and class of a code. Unknown codes
 * give "CAIRN_E?", "unknown error", CAIRN_CLASS_BUG. */
const char *cairn_err_name(int code);
const char *cairn_err_desc(int code);
enum cairn_err_class cairn_err_class(int code);

#endif
