/* The storage contract: a flat namespace of immutable objects.
 *
 * Names are relative paths of the repository layout ("config",
 * "data/ab/abcd...", "index/...", "snapshots/...", "keys/...", "locks/...").
 * Drivers implement the operations; decorators (retry, faults) wrap a store
 * without the driver knowing. All operations are thread-safe.
 *
 * Errors: CAIRN_ENOTFOUND for a missing object, CAIRN_EEXIST from put when
 * the object exists (put never overwrites), transient classes for anything a
 * retry may fix, CAIRN_EAUTH for credential problems. Every error records a
 * detail naming the store and the object.
 *
 * Names (and list prefixes) are checked by every driver; an invalid one is
 * CAIRN_EINVAL before anything is touched. A valid name is 1..255 bytes of
 * [A-Za-z0-9._-/], relative, with components separated by single '/', no
 * empty, "." or ".." component, no component starting with '.' (hidden
 * files are not objects) and a first component other than "tmp" (reserved
 * for the local driver's temporary files). A list prefix is "" or a valid
 * name optionally followed by '/'.
 */
#ifndef CAIRN_STORE_H
#define CAIRN_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/buf.h"

struct cairn_store;

struct cairn_store_ops {
	/* Store `len` bytes under `name` atomically: afterwards the object is
	 * complete or absent, never partial. CAIRN_EEXIST if it already exists
	 * (the existing object is left untouched). */
	int (*put)(struct cairn_store *s, const char *name, const void *data, size_t len);
	/* Append bytes [offset, offset+length) of `name` to `out`; length
	 * UINT64_MAX means "to the end", and CAIRN_STORE_AT_MOST(n) means "to
	 * the end, if that is at most n bytes" (see below). A range past the
	 * end is CAIRN_EINVAL; a short object read is CAIRN_ECORRUPT. On error
	 * `out` is left as it was. */
	int (*get)(struct cairn_store *s, const char *name, uint64_t offset, uint64_t length,
		   struct cairn_buf *out);
	/* Size of `name`, or CAIRN_ENOTFOUND. */
	int (*stat)(struct cairn_store *s, const char *name, uint64_t *ret_size);
	/* Call cb(name, size) for each object whose name starts with `prefix`
	 * (e.g. "index/"), in no particular order. A non-zero return from cb
	 * stops listing and is returned. */
	int (*list)(struct cairn_store *s, const char *prefix,
		    int (*cb)(void *ctx, const char *name, uint64_t size), void *ctx);
	/* Remove `name`; CAIRN_ENOTFOUND if absent. */
	int (*del)(struct cairn_store *s, const char *name);
	/* Release the driver. */
	void (*free)(struct cairn_store *s);
	/* Optional (NULL: put, with CAIRN_EEXIST taken as success). Store an
	 * object whose name is derived from its bytes, so that an object
	 * already under that name holds these very bytes: the driver may write
	 * it again instead of checking first (S3: one PUT rather than a GET and
	 * a PUT). Atomic like put; 0 also when the object was already there. */
	int (*put_content)(struct cairn_store *s, const char *name, const void *data, size_t len);
};

/* A bounded whole-object read: get(name, offset, CAIRN_STORE_AT_MOST(n))
 * appends bytes [offset, end) of the object when they are at most n, and
 * otherwise fails with CAIRN_ECORRUPT and a detail naming the object, its
 * size when the driver learned it, and n. Whatever the object's size, a
 * driver reads (or downloads) at most about n+1 bytes of it: the read is
 * bounded even when the object grew since it was listed, and one request
 * replaces a stat and a get (S3: a GET "bytes=offset-(offset+n)" instead of
 * a HEAD and a GET). An offset past the end is CAIRN_EINVAL, an offset at
 * the end reads nothing. The bound travels in the top bit of `length`, so
 * decorators pass it through untouched; a decorator that looks at `length`
 * (to check what came back, say) decodes it with cairn_store_at_most(). n
 * is at most CAIRN_STORE_AT_MOST_MAX. */
#define CAIRN_STORE_AT_MOST_FLAG (UINT64_C(1) << 63)
#define CAIRN_STORE_AT_MOST_MAX ((UINT64_C(1) << 62) - 1)
#define CAIRN_STORE_AT_MOST(n) (CAIRN_STORE_AT_MOST_FLAG | (uint64_t)(n))

/* Whether a get `length` is a CAIRN_STORE_AT_MOST(n) bound (top bits 10);
 * if so, n goes to *ret_n. Lengths with the top bits 11 (UINT64_MAX, "to
 * the end", and absurd lengths that are CAIRN_EINVAL) are not bounds. */
static inline int cairn_store_at_most(uint64_t length, uint64_t *ret_n)
{
	if ((length >> 62) != 2)
		return 0;
	*ret_n = length & CAIRN_STORE_AT_MOST_MAX;
	return 1;
}

struct cairn_store {
	const struct cairn_store_ops *ops;
	const char *description; /* e.g. "file:///srv/repo"; owned by the driver */
	void *impl;              /* driver state */
};

static inline int cairn_store_put(struct cairn_store *s, const char *name, const void *data, size_t len)
{
	return s->ops->put(s, name, data, len);
}
/* Store a content-addressed object (see put_content above): "already
 * there" is success. The caller guarantees the name comes from the bytes. */
int cairn_store_put_content(struct cairn_store *s, const char *name, const void *data, size_t len);
static inline int cairn_store_get(struct cairn_store *s, const char *name, uint64_t offset, uint64_t length,
				  struct cairn_buf *out)
{
	return s->ops->get(s, name, offset, length, out);
}
static inline int cairn_store_stat(struct cairn_store *s, const char *name, uint64_t *ret_size)
{
	return s->ops->stat(s, name, ret_size);
}
static inline int cairn_store_list(struct cairn_store *s, const char *prefix,
				   int (*cb)(void *ctx, const char *name, uint64_t size), void *ctx)
{
	return s->ops->list(s, prefix, cb, ctx);
}
static inline int cairn_store_del(struct cairn_store *s, const char *name)
{
	return s->ops->del(s, name);
}
/* NULL is a no-op. */
void cairn_store_free(struct cairn_store *s);

/* Local directory driver rooted at `root` (created when `create` is set,
 * with mode 0700; otherwise it must exist: CAIRN_ENOTFOUND). put writes a
 * temporary file under root/tmp/, fsyncs it, links it into place without
 * replacing (EEXIST -> CAIRN_EEXIST), and fsyncs the directory. Missing
 * parent directories (data/ab/) are created on demand. A root that is not a
 * directory is CAIRN_EINVAL. Temporary files older than a day (left by a
 * killed writer) are removed at open. Symbolic links inside the root are not
 * objects: list skips them and get/stat refuse them (CAIRN_EIO). The
 * description is "file://<absolute root>". */
int cairn_store_local_open(const char *root, int create, struct cairn_store **ret);

/* In-memory driver for tests; same semantics and errors as the local driver.
 * Its description is "mem://". */
int cairn_store_mem_open(struct cairn_store **ret);

/* Fault decorator for tests: wraps `inner` (taking ownership). Faults are
 * set with cairn_store_fault_set(). */
enum cairn_fault_kind {
	CAIRN_FAULT_NONE = 0,
	CAIRN_FAULT_FAIL,      /* the operation returns `code` without running */
	CAIRN_FAULT_FLIP_BIT,  /* get succeeds but one bit of the result is flipped */
	CAIRN_FAULT_TRUNCATE   /* get returns only half the requested bytes */
};
enum cairn_fault_op { CAIRN_OP_PUT = 1, CAIRN_OP_GET = 2, CAIRN_OP_STAT = 4, CAIRN_OP_LIST = 8, CAIRN_OP_DEL = 16 };
int cairn_store_fault_wrap(struct cairn_store *inner, struct cairn_store **ret);
/* From the nth matching call on (1-based) for `times` calls (0 = forever),
 * calls whose op is in `ops` (bit mask) and whose name contains `substr`
 * (NULL = any) get `kind`; `code` is returned for CAIRN_FAULT_FAIL. The
 * name of a list call is its prefix. Setting a fault replaces the previous
 * one and restarts the count; nth 0 means 1; a store that is not a fault
 * decorator is left alone. */
void cairn_store_fault_set(struct cairn_store *s, enum cairn_fault_kind kind, unsigned ops, const char *substr,
			   unsigned nth, unsigned times, int code);
/* Number of calls seen per op since wrap, faulted or not (0 for a store that
 * is not a fault decorator or an op that is not a single CAIRN_OP_*). */
unsigned cairn_store_fault_calls(struct cairn_store *s, enum cairn_fault_op op);

/* Open a store from a repository URL: "file:///path" or a bare path (local
 * driver), or "s3://BUCKET[/PREFIX]" (S3 driver in its retry decorator,
 * configured from the environment: see cairn_s3_open_url in s3.h). Other
 * schemes give CAIRN_EUNSUPPORTED with a message naming the URL. */
int cairn_store_open_url(const char *url, int create, struct cairn_store **ret);

#endif
