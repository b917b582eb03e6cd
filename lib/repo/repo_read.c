/* Verified reads of a repository: the one re-read rule, whole objects
 * checked against their names, sealed objects, blobs, and pack headers read
 * from the tail (include/cairn/repo.h). */
#include "repo_internal.h"

#include "cairn/err.h"
#include "cairn/pack.h"
#include "cairn/retry.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The first read of a pack's tail: enough for the header of any pack of
 * the default target size. */
#define TAIL_GUESS (64 * 1024)

int cairn_repo_read_verified(const char *name, int (*read_once)(void *ctx, unsigned attempt), void *ctx)
{
	/* no waiting (a re-read is not a back-off), no deadline beyond the
	 * reads' own, corrupt results only */
	const struct cairn_retry_policy policy = {
		.deadline_ns = INT64_MAX,
		.max_attempts = CAIRN_REPO_READ_ATTEMPTS,
		.backoff_base_ns = 0,
		.backoff_cap_ns = 0,
		.retry_classes = 1u << CAIRN_CLASS_CORRUPT,
	};
	struct cairn_retry retry;
	char detail[1024];
	unsigned attempt = 0;
	int rc;

	rc = cairn_retry_begin(&retry, &policy, NULL);
	if (rc < 0)
		return rc;
	do
		rc = read_once(ctx, ++attempt);
	while (rc == CAIRN_ECORRUPT && cairn_retry_should_retry(&retry, rc));
	if (rc != CAIRN_ECORRUPT)
		return rc;
	snprintf(detail, sizeof(detail), "%s", cairn_err_msg());
	return cairn_err(CAIRN_ECORRUPT, "damaged object '%s': %s (%u read%s)", name, detail, attempt,
			 attempt == 1 ? "" : "s");
}

static int too_big(const char *what, const char *name, uint64_t size, uint64_t cap)
{
	return cairn_err(CAIRN_ECORRUPT, "%s '%s' has %llu bytes, more than the %llu a %s may have: not read", what,
			 name, (unsigned long long)size, (unsigned long long)cap, what);
}

int cairn_repo_get_small(struct cairn_store *store, const char *name, uint64_t size, uint64_t cap, const char *what,
			 struct cairn_buf *out)
{
	char detail[1024];
	uint64_t actual;
	int rc;

	if (size != UINT64_MAX) {
		if (size > cap)
			return too_big(what, name, size, cap);
		/* exactly `size` bytes, never "to the end": the read is bounded
		 * even if the object grew since it was listed */
		return cairn_store_get(store, name, 0, size, out);
	}
	/* size unknown: one bounded read (S3: one GET, not HEAD + GET) */
	rc = cairn_store_get(store, name, 0, CAIRN_STORE_AT_MOST(cap), out);
	if (rc != CAIRN_ECORRUPT)
		return rc;
	/* refused, or damaged on the way: say which in this caller's terms when
	 * the object's size confirms it is too big (a stat only on this path) */
	snprintf(detail, sizeof(detail), "%s", cairn_err_msg());
	if (cairn_store_stat(store, name, &actual) == 0 && actual > cap)
		return too_big(what, name, actual, cap);
	return cairn_err(rc, "%s", detail);
}

uint64_t cairn_repo_object_cap(enum cairn_repo_obj kind)
{
	return kind == CAIRN_REPO_OBJ_SNAPSHOT ? CAIRN_SNAPSHOT_MAX_BYTES : UINT64_MAX;
}

/* One whole read of an object named by its content's SHA-256. */
struct object_read {
	struct cairn_store *store;
	const char *name;
	const char *id;
	enum cairn_repo_obj kind;
	struct cairn_buf *out;
	size_t start;
};

static int object_read_once(void *ctx, unsigned attempt)
{
	struct object_read *o = ctx;
	uint64_t cap = cairn_repo_object_cap(o->kind);
	uint8_t sid[CAIRN_ID_BYTES];
	char hex[CAIRN_ID_HEX];
	int rc;

	(void)attempt;
	o->out->len = o->start;
	if (cap != UINT64_MAX)
		rc = cairn_repo_get_small(o->store, o->name, UINT64_MAX, cap, "snapshot", o->out);
	else
		rc = cairn_store_get(o->store, o->name, 0, UINT64_MAX, o->out);
	if (rc < 0)
		return rc;
	cairn_storage_id(o->out->data + o->start, o->out->len - o->start, sid);
	cairn_hex_encode(sid, sizeof(sid), hex);
	if (strcmp(hex, o->id) != 0)
		return cairn_err(CAIRN_ECORRUPT, "its content does not match its name");
	return 0;
}

int cairn_repo_object_read(struct cairn_store *store, const char *name, struct cairn_buf *out)
{
	struct object_read o = { .store = store, .name = name, .out = out, .start = out->len };
	char id[CAIRN_ID_HEX];
	int rc;

	if (!cairn_repo_object_kind(name, &o.kind, id) || o.kind == CAIRN_REPO_OBJ_CONFIG)
		return cairn_store_get(store, name, 0, UINT64_MAX, out);
	o.id = id;
	rc = cairn_repo_read_verified(name, object_read_once, &o);
	if (rc < 0)
		out->len = o.start;
	return rc;
}

int cairn_repo_get_verified(struct cairn_repo *r, enum cairn_repo_obj kind, const char *id, struct cairn_buf *out)
{
	char name[CAIRN_REPO_NAME_MAX];
	int rc;

	if (kind == CAIRN_REPO_OBJ_CONFIG)
		return cairn_err(CAIRN_EINVAL, "the config object is not named by its content");
	rc = cairn_repo_object_name(kind, id, name);
	if (rc < 0)
		return rc;
	return cairn_repo_object_read(r->store, name, out);
}

int cairn_repo_get_sealed(struct cairn_repo *r, enum cairn_repo_obj kind, const char *id, const char *ad,
			  struct cairn_buf *out)
{
	struct cairn_buf sealed = { 0 };
	char name[CAIRN_REPO_NAME_MAX];
	int rc;

	rc = cairn_repo_object_name(kind, id, name);
	if (rc == 0)
		rc = cairn_repo_get_verified(r, kind, id, &sealed);
	if (rc < 0)
		goto out;
	rc = cairn_open(r->keys->enc, ad, strlen(ad), sealed.data, sealed.len, out);
	if (rc < 0)
		rc = cairn_err(CAIRN_ECORRUPT, "object '%s' failed authentication (damaged or not ours)", name);
out:
	cairn_buf_free(&sealed);
	return rc;
}

/* One read of a blob at a known location. */
struct blob_read {
	struct cairn_repo *r;
	struct cairn_zctx *z;
	const struct cairn_blob_loc *loc;
	const char *name;
	int flags;
	struct cairn_buf stored;
	struct cairn_buf *out;
	size_t start;
	uint64_t *bytes_read;
};

static int blob_read_once(void *ctx, unsigned attempt)
{
	struct blob_read *b = ctx;
	const struct cairn_blob_loc *loc = b->loc;
	struct cairn_repo *r = b->r;
	int rc;

	b->out->len = b->start;
	cairn_buf_reset(&b->stored);
	/* a re-read after a failed verification bypasses the cache */
	if (r->packcache != NULL && (b->flags & CAIRN_REPO_READ_CACHED) && attempt == 1)
		rc = cairn_packcache_get(r->packcache, r->store, r->catalog, loc->pack, b->name, loc->offset,
					 loc->length, loc->type == CAIRN_BLOB_DATA, &b->stored);
	else
		rc = cairn_store_get(r->store, b->name, loc->offset, loc->length, &b->stored);
	if (b->bytes_read != NULL)
		*b->bytes_read += b->stored.len;
	if (rc == 0 && b->stored.len != loc->length)
		rc = cairn_err(CAIRN_ECORRUPT, "short read of %zu bytes instead of %u", b->stored.len, loc->length);
	if (rc == 0)
		rc = cairn_blob_decode(r->keys, b->z, loc->type, loc->id, b->stored.data, b->stored.len,
				       loc->raw_length, b->out);
	return rc;
}

int cairn_repo_blob_read_at(struct cairn_repo *r, struct cairn_zctx *z, const struct cairn_blob_loc *loc, int flags,
			    struct cairn_buf *out, uint64_t *bytes_read)
{
	struct blob_read b = { .r = r, .loc = loc, .flags = flags, .out = out, .start = out->len,
			       .bytes_read = bytes_read };
	struct cairn_zctx *own = NULL;
	char name[CAIRN_PACK_NAME_MAX];
	int rc;

	if (z == NULL) {
		rc = cairn_zctx_new(r->config.zstd_level, &own);
		if (rc < 0)
			return rc;
		z = own;
	}
	cairn_repo_pack_name(loc->pack, name);
	b.z = z;
	b.name = name;
	rc = cairn_repo_read_verified(name, blob_read_once, &b);
	if (rc < 0 && rc != CAIRN_ECORRUPT)
		rc = cairn_err_ctx(rc, "cannot read object '%s'", name);
	if (rc < 0)
		out->len = b.start;
	cairn_buf_free(&b.stored);
	cairn_zctx_free(own);
	return rc;
}

int cairn_repo_blob_read(struct cairn_repo *r, struct cairn_zctx *z, uint8_t type, const uint8_t id[CAIRN_ID_BYTES],
			 struct cairn_buf *out, struct cairn_blob_loc *ret_loc)
{
	struct cairn_blob_loc loc;
	char name[CAIRN_PACK_NAME_MAX], hex[CAIRN_ID_HEX];
	int rc;

	rc = cairn_catalog_blob_get(r->catalog, id, type, &loc);
	if (rc == CAIRN_ENOTFOUND) {
		cairn_hex_encode(id, CAIRN_ID_BYTES, hex);
		return cairn_err(CAIRN_ENOTFOUND, "%s blob %s is not in any index",
				 type == CAIRN_BLOB_TREE ? "tree" : "data", hex);
	}
	if (rc < 0)
		return rc;
	if (ret_loc != NULL)
		*ret_loc = loc;
	if (loc.type != type) {
		cairn_repo_pack_name(loc.pack, name);
		cairn_hex_encode(id, CAIRN_ID_BYTES, hex);
		return cairn_err(CAIRN_ECORRUPT, "blob %s in '%s' has type %u, expected %u", hex, name, loc.type, type);
	}
	return cairn_repo_blob_read_at(r, z, &loc, CAIRN_REPO_READ_CACHED, out, NULL);
}

/* One read of a pack's header from its tail. */
struct tail_read {
	struct cairn_store *store;
	const struct cairn_keys *keys;
	const uint8_t *pack_id;
	const char *name;
	uint64_t size;
	uint64_t *bytes_read;
	struct cairn_blob_loc **ret_locs;
	size_t *ret_count;
};

static int tail_read_once(void *ctx, unsigned attempt)
{
	struct tail_read *t = ctx;
	struct cairn_buf tail = { 0 };
	uint64_t want = t->size < TAIL_GUESS ? t->size : TAIL_GUESS;
	size_t need = 0;
	int rc = 0;

	(void)attempt;
	if (t->size < CAIRN_PACK_TRAILER_BYTES)
		return cairn_err(CAIRN_ECORRUPT, "%llu bytes is too short for a pack", (unsigned long long)t->size);
	/* the tail guess, then (a header larger than the guess) exactly the
	 * header the trailer announces */
	for (int read = 0; read < 2; read++) {
		cairn_buf_reset(&tail);
		rc = cairn_store_get(t->store, t->name, t->size - want, want, &tail);
		if (rc < 0)
			break;
		if (t->bytes_read != NULL)
			*t->bytes_read += tail.len;
		rc = cairn_pack_read_header(t->keys, t->pack_id, tail.data, tail.len, t->size, &need, t->ret_locs,
					    t->ret_count);
		if (rc != CAIRN_EINVAL || need == 0 || need > t->size)
			break;
		want = need;
	}
	cairn_buf_free(&tail);
	if (rc == CAIRN_EINVAL) {
		/* still too short after reading what the trailer asked for: the
		 * pack is damaged, whoever asks */
		char detail[512];

		snprintf(detail, sizeof(detail), "%s", cairn_err_msg());
		rc = cairn_err(CAIRN_ECORRUPT, "%s", detail);
	}
	return rc;
}

int cairn_repo_pack_tail_read(struct cairn_store *store, const struct cairn_keys *keys,
			      const uint8_t pack_id[CAIRN_ID_BYTES], uint64_t size, int flags, uint64_t *bytes_read,
			      struct cairn_blob_loc **ret_locs, size_t *ret_count)
{
	char name[CAIRN_PACK_NAME_MAX];
	struct tail_read t = { .store = store, .keys = keys, .pack_id = pack_id, .name = name, .size = size,
			       .bytes_read = bytes_read, .ret_locs = ret_locs, .ret_count = ret_count };

	cairn_repo_pack_name(pack_id, name);
	if (flags & CAIRN_REPO_READ_ONCE)
		return tail_read_once(&t, 1);
	return cairn_repo_read_verified(name, tail_read_once, &t);
}
