/* The storage contract: a flat namespace of immutable objects.
 *
 * Names are relative paths of the repository layout ("config",
 * "data/ab/abcd...", "index/...", "snapshots/...", "keys/...", "locks/...").
 *
 * A store is a stack: one driver (local, S3, memory) at the bottom, which
 * talks to the storage and knows nothing of retries, faults or counters,
 * under any number of decorators (retry, statistics, faults), each of which
 * wraps any `struct cairn_store` and takes ownership of it. Decorators stack
 * in any order; cairn_store_open_url() builds the stack a URL needs. What a
 * store can do beyond the required operations is said by its capability
 * flags (cairn_store_caps()), which the driver declares and decorators pass
 * through; nothing learns it from the description string. All operations
 * are thread-safe.
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
#include "cairn/retry.h"

struct cairn_store;
struct cairn_store_writer;

/* Capabilities: what a store guarantees beyond the required operations. A
 * driver declares those it really implements; a decorator passes its inner
 * store's through (or adds one it implements itself). Callers may rely on a
 * flag that is set and must work without any of them. */
enum cairn_store_cap {
	/* put is an atomic create-if-absent: of concurrent puts of one new
	 * name exactly one succeeds and the others get CAIRN_EEXIST. Without
	 * it put checks, then writes: concurrent writers of the same new name
	 * may all succeed, the object then holding one writer's complete
	 * bytes (harmless for content-addressed names). */
	CAIRN_STORE_CAP_ATOMIC_CREATE = 1u << 0,
	/* del_many deletes many objects in one request (S3: multi-object
	 * delete, up to CAIRN_STORE_DEL_MANY_MAX keys). Without it
	 * cairn_store_del_many() deletes one object at a time: same result,
	 * more requests. */
	CAIRN_STORE_CAP_BATCH_DELETE = 1u << 1,
	/* New objects are protected from deletion and overwriting by the
	 * storage for a retention period (S3 Object Lock). Declared by no
	 * driver yet (issue 14). */
	CAIRN_STORE_CAP_OBJECT_LOCK = 1u << 2,
	/* An object can be copied inside the storage without passing through
	 * this host. Declared by no driver yet. */
	CAIRN_STORE_CAP_SERVER_COPY = 1u << 3,
	/* A get of a range transfers that range only (its cost grows with the
	 * length read, not with the object's size). */
	CAIRN_STORE_CAP_RANGED_READ = 1u << 4,
	/* Every request crosses a network and costs a round trip: callers
	 * should read many small pieces with one larger request (the pack
	 * cache) and keep more requests in flight. */
	CAIRN_STORE_CAP_REMOTE = 1u << 5,
	/* A content-named object can be written in pieces and named once
	 * complete (cairn_store_writer_open), so its writer need not hold it
	 * whole in memory. Without it callers buffer the object and put it.
	 * Never declared: cairn_store_caps() derives it from the top layer's
	 * writer_open (a decorator that does not pass writers on hides it). */
	CAIRN_STORE_CAP_STREAMED_PUT = 1u << 6
};

/* Most names one del_many call of a store receives (cairn_store_del_many()
 * splits larger arrays into batches of this many). */
#define CAIRN_STORE_DEL_MANY_MAX 1000

/* Counters of a store stack (cairn_store_stats_get()), for --json summaries,
 * metrics and the "store:" line. Each field is counted by one layer:
 *   operations, failures, bytes_up, bytes_down   the statistics decorator
 *   attempts, retries                            the retry decorator
 *   requests, http_bytes_sent, http_bytes_received, wire   a remote driver
 * A layer that is not in the stack leaves its fields zero, except requests:
 * without a driver that counts requests (wire 0) it equals attempts. */
struct cairn_store_stats {
	uint64_t operations;     /* store operations seen by the statistics decorator */
	uint64_t attempts;       /* attempts of the retry decorator's operations, first tries included */
	uint64_t retries;        /* attempts after the first */
	uint64_t failures;       /* operations that failed in the end (not-found included) */
	uint64_t bytes_up;       /* payload bytes of successful puts */
	uint64_t bytes_down;     /* bytes delivered by successful gets */
	uint64_t requests;       /* requests on the wire (S3: HTTP requests), else equal to attempts */
	uint64_t http_bytes_sent;     /* request body bytes on the wire, retries included */
	uint64_t http_bytes_received; /* response body bytes on the wire, retries included */
	int wire;                /* non-zero when a driver in the stack counts requests on the wire */
};

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
	/* Optional (NULL: del of each name, CAIRN_ENOTFOUND taken as success).
	 * Delete `n` (1..CAIRN_STORE_DEL_MANY_MAX) objects whose names the
	 * caller has checked; missing ones count as deleted. 0 when every one
	 * is gone, else an error whose detail names the first object that
	 * failed (others may be gone). A driver sets it when it declares
	 * CAIRN_STORE_CAP_BATCH_DELETE; a decorator sets it to pass a batch on
	 * whole (calling cairn_store_del_many() on its inner store). Called
	 * only through cairn_store_del_many(). */
	int (*del_many)(struct cairn_store *s, const char *const *names, size_t n);
	/* Optional (NULL: the layer counts nothing and has no inner store).
	 * Add this layer's counters to *acc, then those of the layers beneath
	 * (a decorator calls cairn_store_stats_add() on its inner store). Must
	 * be safe to call from any thread at any time. */
	void (*stats)(struct cairn_store *s, struct cairn_store_stats *acc);
	/* Optional (NULL: not offered; CAIRN_STORE_CAP_STREAMED_PUT follows
	 * from it). Start an object written in pieces whose name is given at
	 * the end (see struct cairn_store_writer). */
	int (*writer_open)(struct cairn_store *s, struct cairn_store_writer **ret);
};

/* An object being written in pieces (cairn_store_writer_open): nothing is
 * visible under any name until commit, which stores the bytes written so
 * far under `name` with put_content's semantics (atomic; 0 also when an
 * object of that name exists, the name being derived from the bytes).
 * Commit and abort end the writer (it is freed, whatever the result); a
 * writer killed before commit leaves nothing but a temporary file that the
 * driver removes later. */
struct cairn_store_writer;
struct cairn_store_writer_ops {
	int (*write)(struct cairn_store_writer *w, const void *data, size_t len);
	int (*commit)(struct cairn_store_writer *w, const char *name);
	void (*abort)(struct cairn_store_writer *w);
};
struct cairn_store_writer {
	const struct cairn_store_writer_ops *ops;
};

/* Start a streamed object: CAIRN_EUNSUPPORTED (no detail recorded) when the
 * store does not offer it (callers then buffer and put), else 0 or the
 * driver's error. Writes go to the object in order; a write error leaves
 * the writer to be aborted. */
int cairn_store_writer_open(struct cairn_store *s, struct cairn_store_writer **ret);
int cairn_store_writer_write(struct cairn_store_writer *w, const void *data, size_t len);
int cairn_store_writer_commit(struct cairn_store_writer *w, const char *name);
void cairn_store_writer_abort(struct cairn_store_writer *w); /* NULL ok */

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
	const char *description; /* e.g. "file:///srv/repo"; owned by the driver (a decorator shows its
				  * inner store's); for messages and identities only, never parsed */
	void *impl;              /* driver or decorator state */
	unsigned caps;           /* CAIRN_STORE_CAP_* flags: set by the driver, passed on by decorators */
};

/* The CAIRN_STORE_CAP_* flags of `s` (of its whole stack: the driver's, as
 * the decorators pass them on; streamed put when `s` offers writer_open). */
static inline unsigned cairn_store_caps(const struct cairn_store *s)
{
	return (s->caps & ~(unsigned)CAIRN_STORE_CAP_STREAMED_PUT) |
	       (s->ops->writer_open != NULL ? (unsigned)CAIRN_STORE_CAP_STREAMED_PUT : 0u);
}

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
/* Delete the `n` objects named in `names` (n may be 0), with as few
 * requests as the store allows: batches of up to CAIRN_STORE_DEL_MANY_MAX
 * through the stack's del_many when it has one (one request a batch for a
 * store with CAIRN_STORE_CAP_BATCH_DELETE), else one del per object. Every
 * name is checked first: an invalid one is CAIRN_EINVAL and nothing is
 * deleted. Missing objects count as deleted. 0 when every object is gone;
 * else the first failure (with a detail naming the object; with a batch,
 * how many of it failed), objects of earlier batches being gone and others
 * maybe. */
int cairn_store_del_many(struct cairn_store *s, const char *const *names, size_t n);
/* NULL is a no-op (for every layer of the stack). */
void cairn_store_free(struct cairn_store *s);

/* Fill *ret with the counters of the whole stack of `s` (see struct
 * cairn_store_stats); zeros for NULL or a stack in which nothing counts (a
 * bare local driver). Readable at any time from any thread. */
void cairn_store_stats_get(struct cairn_store *s, struct cairn_store_stats *ret);

/* For decorators' stats operation: add the counters of `s` and the layers
 * beneath it to *acc (nothing when s has no stats operation). */
static inline void cairn_store_stats_add(struct cairn_store *s, struct cairn_store_stats *acc)
{
	if (s->ops->stats != NULL)
		s->ops->stats(s, acc);
}

/* ---- Drivers ------------------------------------------------------------ */

/* Local directory driver rooted at `root` (created when `create` is set,
 * with mode 0700; otherwise it must exist: CAIRN_ENOTFOUND). put writes a
 * temporary file under root/tmp/, fsyncs it, links it into place without
 * replacing (EEXIST -> CAIRN_EEXIST), and fsyncs the directory. Missing
 * parent directories (data/ab/) are created on demand. A root that is not a
 * directory is CAIRN_EINVAL. Temporary files older than a day (left by a
 * killed writer) are removed at open. Symbolic links inside the root are not
 * objects: list skips them and get/stat refuse them (CAIRN_EIO). The
 * description is "file://<absolute root>". Capabilities: atomic create,
 * ranged reads. */
int cairn_store_local_open(const char *root, int create, struct cairn_store **ret);

/* In-memory driver for tests; same semantics, errors and capabilities as the
 * local driver. Its description is "mem://". */
int cairn_store_mem_open(struct cairn_store **ret);

/* ---- Decorators: each wraps any store ------------------------------------ */

/* Fault decorator for tests: wraps `inner` (taking ownership on success).
 * Faults are set with cairn_store_fault_set(). Capabilities, description
 * and statistics are the inner store's. A del_many is counted and faulted
 * as a del of each of its names in order, up to the first that gets a
 * CAIRN_FAULT_FAIL (which is returned, nothing deleted); without one the
 * batch runs whole on the inner store. */
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

/* Retry decorator: wraps `inner` (taking ownership, also on failure) so
 * that each operation runs under `policy` (NULL =
 * cairn_retry_policy_default()) with `env` (NULL = the real clock; copied,
 * for tests): transient errors are retried with backoff and jitter within
 * the deadline, permanent ones returned at once, and the final error folds
 * every attempt's detail. Beyond the contract:
 *   - a get that returns fewer or more bytes than an explicit length asked
 *     for is treated as a transient failure and retried;
 *   - a put that meets CAIRN_EEXIST after a failed attempt (the earlier
 *     attempt may have stored the object before its answer was lost)
 *     reads the object back and returns 0 if the bytes are the same;
 *   - a del that meets CAIRN_ENOTFOUND after a failed attempt returns 0;
 *   - a del_many batch is retried whole (missing objects count as deleted);
 *   - list gathers the complete listing under the retry policy, then calls
 *     the callback for each entry (no entry is seen twice after a retry;
 *     memory grows with the listing).
 * It counts attempts and retries (struct cairn_store_stats). Description
 * and capabilities are the inner store's. 0, CAIRN_EINVAL (bad policy, NULL
 * inner) or CAIRN_ENOMEM. */
int cairn_store_retry_wrap(struct cairn_store *inner, const struct cairn_retry_policy *policy,
			   const struct cairn_retry_env *env, struct cairn_store **ret);

/* Statistics decorator: wraps `inner` (taking ownership, also on failure)
 * and counts the operations that reach it, those that failed in the end
 * (not-found included), the payload bytes of successful puts and the bytes
 * of successful gets (struct cairn_store_stats). A del_many batch is one
 * operation. Above a retry decorator it counts what callers asked for;
 * below one, every attempt. Description and capabilities are the inner
 * store's. 0, CAIRN_EINVAL (NULL inner) or CAIRN_ENOMEM. */
int cairn_store_stats_wrap(struct cairn_store *inner, struct cairn_store **ret);

/* ---- Opening a stack ----------------------------------------------------- */

/* Open a store from a repository URL: "file:///path" or a bare path (the
 * local driver alone), or "s3://BUCKET[/PREFIX]" (the S3 driver configured
 * from the environment, under the retry decorator, under the statistics
 * decorator: see cairn_s3_open in s3.h). Other schemes give
 * CAIRN_EUNSUPPORTED with a message naming the URL. */
int cairn_store_open_url(const char *url, int create, struct cairn_store **ret);

#endif
