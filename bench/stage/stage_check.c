/* Is the benchmark's data path the library's? Fused and staged output
 * against cairn_blob_encode / cairn_pack_read_header / cairn_blob_decode. */
#include "stage.h"

#include "cairn/err.h"

#include <stdlib.h>
#include <string.h>

/* The reference: chunks cut by a chunker of their own, each encoded by
 * cairn_blob_encode alone. */
struct ref {
	const struct stage_corpus *c;
	const struct cairn_keys *keys;
	size_t *off, *len, *stored;
	uint8_t *ids;
	size_t n, cap;
	size_t next_pack; /* blobs the fused path has checked so far */
	size_t next_stage; /* blobs the staged path has checked so far */
};

static int grow_sizes(size_t **arr, size_t n)
{
	size_t *p = cairn_reallocarray(*arr, n, sizeof(size_t));

	if (p == NULL)
		return -1;
	*arr = p;
	return 0;
}

static int ref_push(struct ref *r, size_t off, size_t len, size_t stored, const uint8_t id[CAIRN_ID_BYTES])
{
	if (r->n == r->cap) {
		size_t n = r->cap ? r->cap * 2 : 256;
		uint8_t *ids;

		if (grow_sizes(&r->off, n) < 0 || grow_sizes(&r->len, n) < 0 || grow_sizes(&r->stored, n) < 0 ||
		    (ids = cairn_reallocarray(r->ids, n, CAIRN_ID_BYTES)) == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot track %zu reference chunks", n);
		r->ids = ids;
		r->cap = n;
	}
	r->off[r->n] = off;
	r->len[r->n] = len;
	r->stored[r->n] = stored;
	memcpy(r->ids + r->n * CAIRN_ID_BYTES, id, CAIRN_ID_BYTES);
	r->n++;
	return 0;
}

static int ref_build(struct ref *r, const struct cairn_chunker_params *chunker, int level)
{
	struct cairn_buf blob = { 0 };
	struct cairn_zctx *z = NULL;
	struct cairn_chunker ch;
	int rc;

	rc = cairn_zctx_new(level, &z);
	cairn_chunker_init(&ch, r->keys->gear, chunker);
	for (size_t f = 0; rc == 0 && f < r->c->nfiles; f++) {
		const uint8_t *data = r->c->data + r->c->files[f].off;
		size_t len = r->c->files[f].len, start = 0, pos = 0;

		cairn_chunker_reset(&ch);
		while (rc == 0 && pos < len) {
			uint8_t id[CAIRN_ID_BYTES];
			int boundary;

			pos += cairn_chunker_scan(&ch, data + pos, len - pos, &boundary);
			if (!boundary && pos < len)
				continue;
			cairn_blob_id(r->keys, data + start, pos - start, id);
			cairn_buf_reset(&blob);
			rc = cairn_blob_encode(r->keys, z, CAIRN_BLOB_DATA, id, data + start, pos - start, &blob);
			if (rc == 0)
				rc = ref_push(r, r->c->files[f].off + start, pos - start, blob.len, id);
			start = pos;
		}
	}
	cairn_buf_free(&blob);
	cairn_zctx_free(z);
	return rc;
}

/* stage_pack_cb: one pack of the fused path against the reference. */
static int check_pack(void *arg, const struct cairn_buf *pack, const uint8_t id[CAIRN_ID_BYTES],
		      const struct cairn_blob_loc *locs, size_t count)
{
	struct ref *r = arg;
	struct cairn_blob_loc *hdr = NULL;
	struct cairn_buf out = { 0 };
	uint8_t sum[CAIRN_ID_BYTES];
	size_t nhdr = 0;
	int rc;

	cairn_storage_id(pack->data, pack->len, sum);
	if (memcmp(sum, id, CAIRN_ID_BYTES) != 0)
		return cairn_err(CAIRN_ECORRUPT, "fused pack %zu: its id is not the SHA-256 of its bytes", r->next_pack);
	rc = cairn_pack_read_header(r->keys, id, pack->data, pack->len, pack->len, NULL, &hdr, &nhdr);
	if (rc < 0)
		return cairn_err_ctx(rc, "fused pack after blob %zu", r->next_pack);
	if (nhdr != count)
		rc = cairn_err(CAIRN_ECORRUPT, "fused pack: header lists %zu blobs, writer %zu", nhdr, count);
	for (size_t i = 0; rc == 0 && i < count; i++) {
		size_t k = r->next_pack;
		const struct cairn_blob_loc *l = &locs[i];

		if (k >= r->n)
			rc = cairn_err(CAIRN_ECORRUPT, "fused path packed more blobs than the reference's %zu", r->n);
		else if (memcmp(l->id, r->ids + k * CAIRN_ID_BYTES, CAIRN_ID_BYTES) != 0 ||
			 memcmp(hdr[i].id, l->id, CAIRN_ID_BYTES) != 0)
			rc = cairn_err(CAIRN_ECORRUPT, "blob %zu: fused id differs from cairn_blob_id's", k);
		else if (l->length != r->stored[k] || hdr[i].length != l->length || hdr[i].offset != l->offset)
			rc = cairn_err(CAIRN_ECORRUPT, "blob %zu: fused stored length %u, cairn_blob_encode's %zu", k,
				       l->length, r->stored[k]);
		else if (l->raw_length != r->len[k])
			rc = cairn_err(CAIRN_ECORRUPT, "blob %zu: raw length %u, chunk of %zu bytes", k, l->raw_length,
				       r->len[k]);
		if (rc < 0)
			break;
		cairn_buf_reset(&out);
		rc = cairn_blob_decode(r->keys, NULL, l->type, l->id, pack->data + l->offset, l->length, l->raw_length,
				       &out);
		if (rc == 0 && (out.len != r->len[k] || memcmp(out.data, r->c->data + r->off[k], out.len) != 0))
			rc = cairn_err(CAIRN_ECORRUPT, "blob %zu: decodes to other bytes than its chunk", k);
		r->next_pack++;
	}
	cairn_buf_free(&out);
	free(hdr);
	return rc;
}

/* The window just run by the stages alone against the reference. */
static int check_staged(struct ref *r, const struct stage_ctx *ctx)
{
	for (size_t i = 0; i < ctx->nchunks; i++) {
		size_t k = r->next_stage++;
		size_t end = i + 1 < ctx->nchunks ? ctx->sealed_off[i + 1] : ctx->sealed.len;

		if (k >= r->n)
			return cairn_err(CAIRN_ECORRUPT, "the stages cut more chunks than the reference's %zu", r->n);
		if (ctx->chunk_off[i] != r->off[k] || ctx->chunk_len[i] != r->len[k])
			return cairn_err(CAIRN_ECORRUPT, "chunk %zu: stage chunk at %zu+%zu, reference %zu+%zu", k,
					 ctx->chunk_off[i], ctx->chunk_len[i], r->off[k], r->len[k]);
		if (memcmp(ctx->ids + i * CAIRN_ID_BYTES, r->ids + k * CAIRN_ID_BYTES, CAIRN_ID_BYTES) != 0)
			return cairn_err(CAIRN_ECORRUPT, "chunk %zu: stage id differs from cairn_blob_id's", k);
		if (end - ctx->sealed_off[i] != r->stored[k])
			return cairn_err(CAIRN_ECORRUPT, "chunk %zu: stage stored length %zu, cairn_blob_encode's %zu", k,
					 end - ctx->sealed_off[i], r->stored[k]);
	}
	return 0;
}

int stage_check(const struct cairn_keys *keys, const struct cairn_chunker_params *chunker, uint32_t pack_target,
		int level, const struct stage_corpus *c, size_t *ret_blobs)
{
	struct ref r = { .c = c, .keys = keys };
	struct stage_acc acc[STAGE_COUNT];
	struct stage_ctx ctx;
	int rc;

	memset(acc, 0, sizeof(acc));
	rc = ref_build(&r, chunker, level);
	if (rc == 0)
		rc = stage_ctx_init(&ctx, keys, chunker, pack_target, level);
	if (rc == 0) {
		ctx.on_pack = check_pack;
		ctx.on_pack_arg = &r;
		/* small windows: several per pack, as in a run over a real tree */
		for (size_t f = 0; rc == 0 && f < c->nfiles;) {
			size_t n = stage_window_files(c, f, pack_target / 4);

			rc = stage_window(&ctx, c, f, n, acc);
			if (rc == 0)
				rc = check_staged(&r, &ctx);
			f += n;
		}
		if (rc == 0)
			rc = stage_finish_packs(&ctx, acc);
		stage_ctx_fini(&ctx);
	}
	if (rc == 0 && (r.next_pack != r.n || r.next_stage != r.n))
		rc = cairn_err(CAIRN_ECORRUPT, "reference has %zu blobs, fused path packed %zu, stages %zu", r.n,
			       r.next_pack, r.next_stage);
	if (rc == 0)
		*ret_blobs = r.n;
	free(r.off);
	free(r.len);
	free(r.stored);
	free(r.ids);
	return rc;
}
