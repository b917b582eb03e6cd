/* The stages of the data path, each alone over a window, and fused. */
#include "stage.h"

#include "cairn/err.h"
#include "cairn/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The blob AD of lib/pack/blob.c: "cairn-blob-v1" || type || blob id. */

static const char *const names[STAGE_COUNT] = {
	[STAGE_READ] = "read",       [STAGE_CHUNK] = "chunk",     [STAGE_ID] = "id",
	[STAGE_COMPRESS] = "compress", [STAGE_SEAL] = "seal",     [STAGE_PACK] = "pack",
	[STAGE_STORAGE_ID] = "storage_id", [STAGE_WRITE] = "write", [STAGE_FUSED] = "fused",
	[STAGE_RESTORE] = "restore",
};

const char *stage_name(enum stage_id s)
{
	return s < STAGE_COUNT ? names[s] : "?";
}

int stage_ctx_init(struct stage_ctx *ctx, const struct cairn_keys *keys, const struct cairn_chunker_params *chunker,
		   uint32_t pack_target, int level)
{
	int rc;

	memset(ctx, 0, sizeof(*ctx));
	ctx->keys = keys;
	ctx->chunker = *chunker;
	ctx->pack_target = pack_target;
	rc = cairn_chunker_params_check(chunker);
	if (rc < 0)
		return rc;
	rc = cairn_zctx_new(level, &ctx->z);
	if (rc == 0)
		rc = cairn_pack_writer_new(&ctx->pack_w);
	if (rc == 0)
		rc = cairn_pack_writer_new(&ctx->fused_w);
	if (rc < 0)
		stage_ctx_fini(ctx);
	return rc;
}

void stage_ctx_fini(struct stage_ctx *ctx)
{
	if (ctx->write_dir != NULL) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/" STAGE_WRITE_FILE, ctx->write_dir);
		unlink(path);
	}
	cairn_zctx_free(ctx->z);
	cairn_pack_writer_free(ctx->pack_w);
	cairn_pack_writer_free(ctx->fused_w);
	cairn_buf_free(&ctx->scratch);
	cairn_buf_free(&ctx->pt);
	cairn_buf_free(&ctx->sealed);
	cairn_buf_free(&ctx->out);
	free(ctx->chunk_off);
	free(ctx->chunk_len);
	free(ctx->pt_off);
	free(ctx->sealed_off);
	free(ctx->ids);
	memset(ctx, 0, sizeof(*ctx));
}

/* Room for one more chunk in the per-chunk arrays. */
static int grow_chunks(struct stage_ctx *ctx)
{
	size_t n = ctx->cap ? ctx->cap * 2 : 1024;
	size_t **arrays[] = { &ctx->chunk_off, &ctx->chunk_len, &ctx->pt_off, &ctx->sealed_off };

	if (ctx->nchunks < ctx->cap)
		return 0;
	for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++) {
		size_t *p = cairn_reallocarray(*arrays[i], n, sizeof(size_t));

		if (p == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot track %zu chunks", n);
		*arrays[i] = p;
	}
	uint8_t *ids = cairn_reallocarray(ctx->ids, n, CAIRN_ID_BYTES);
	if (ids == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot track %zu chunk ids", n);
	ctx->ids = ids;
	ctx->cap = n;
	return 0;
}

/* Cut files [first, first + n) of c into chunks as a backup does, calling
 * emit(ctx, offset in c->data, length, arg) for each; stops at its first
 * error. */
static int cut_files(struct stage_ctx *ctx, const struct stage_corpus *c, size_t first, size_t n,
		     int (*emit)(struct stage_ctx *ctx, size_t off, size_t len, void *arg), void *arg)
{
	struct cairn_chunker ch;
	int rc;

	cairn_chunker_init(&ch, ctx->keys->gear, &ctx->chunker);
	for (size_t f = first; f < first + n; f++) {
		const uint8_t *data = c->data + c->files[f].off;
		size_t len = c->files[f].len, pos = 0, start = 0;

		cairn_chunker_reset(&ch);
		while (pos < len) {
			int boundary;

			pos += cairn_chunker_scan(&ch, data + pos, len - pos, &boundary);
			if (!boundary && pos < len)
				continue;
			rc = emit(ctx, c->files[f].off + start, pos - start, arg);
			if (rc < 0)
				return rc;
			start = pos;
		}
	}
	return 0;
}

static int record_chunk(struct stage_ctx *ctx, size_t off, size_t len, void *arg)
{
	int rc = grow_chunks(ctx);

	(void)arg;
	if (rc < 0)
		return rc;
	ctx->chunk_off[ctx->nchunks] = off;
	ctx->chunk_len[ctx->nchunks++] = len;
	return 0;
}

/* STAGE_CHUNK: cut files [first, first + n) into ctx's chunk list. */
static int run_chunk(struct stage_ctx *ctx, const struct stage_corpus *c, size_t first, size_t n)
{
	ctx->nchunks = 0;
	return cut_files(ctx, c, first, n, record_chunk, NULL);
}

/* STAGE_COMPRESS: plaintext = codec || payload (cairn_blob_plaintext). */
static int run_compress(struct stage_ctx *ctx, const struct stage_corpus *c)
{
	int rc;

	cairn_buf_reset(&ctx->pt);
	for (size_t i = 0; i < ctx->nchunks; i++) {
		ctx->pt_off[i] = ctx->pt.len;
		rc = cairn_blob_plaintext(ctx->z, c->data + ctx->chunk_off[i], ctx->chunk_len[i], &ctx->pt);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static size_t span(const size_t *off, size_t i, size_t n, size_t total)
{
	return (i + 1 < n ? off[i + 1] : total) - off[i];
}

static int run_seal(struct stage_ctx *ctx)
{
	int rc;

	cairn_buf_reset(&ctx->sealed);
	for (size_t i = 0; i < ctx->nchunks; i++) {
		ctx->sealed_off[i] = ctx->sealed.len;
		rc = cairn_blob_seal(ctx->keys, CAIRN_BLOB_DATA, ctx->ids + i * CAIRN_ID_BYTES,
				     ctx->pt.data + ctx->pt_off[i], span(ctx->pt_off, i, ctx->nchunks, ctx->pt.len),
				     &ctx->sealed);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* STAGE_WRITE: the pack into a new file of ctx->write_dir, as a local
 * store's put does it but without the fsyncs (they wait for the disk); the
 * previous file is removed outside the timed section. */
static int write_pack(struct stage_ctx *ctx, const struct cairn_buf *pack, struct stage_acc *acc)
{
	char path[4096];
	struct stage_clock t0, t1;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/" STAGE_WRITE_FILE, ctx->write_dir);
	unlink(path);
	stage_clock_now(&t0);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return cairn_err(CAIRN_EIO, "cannot create '%s': %s", path, strerror(errno));
	rc = cairn_file_write_all(fd, pack->data, pack->len, path);
	if (close(fd) < 0 && rc == 0)
		rc = cairn_err(CAIRN_EIO, "cannot close '%s': %s", path, strerror(errno));
	stage_clock_now(&t1);
	stage_acc_add(acc, &t0, &t1);
	acc->bytes += pack->len;
	acc->items++;
	return rc;
}

/* Finish w's pack (timed by the caller into *acc). For the pack stage
 * (`accs` not NULL) the storage id is timed again alone into
 * accs[STAGE_STORAGE_ID], the pack written into accs[STAGE_WRITE] when
 * ctx->write_dir is set, and both taken out of *acc. */
static int finish_one(struct stage_ctx *ctx, struct cairn_pack_writer *w, struct stage_acc *acc,
		      struct stage_acc *accs, int report)
{
	struct cairn_buf pack = { 0 };
	struct cairn_blob_loc *locs = NULL;
	uint8_t id[CAIRN_ID_BYTES], again[CAIRN_ID_BYTES];
	struct stage_clock t0, t1;
	size_t count = 0;
	int rc;

	rc = cairn_pack_writer_finish(w, ctx->keys, &pack, id, &locs, &count);
	if (rc < 0)
		return rc;
	acc->items++;
	if (accs != NULL) {
		struct stage_acc *sid = &accs[STAGE_STORAGE_ID];

		stage_clock_now(&t0);
		cairn_storage_id(pack.data, pack.len, again);
		stage_clock_now(&t1);
		stage_acc_add(sid, &t0, &t1);
		stage_acc_sub(acc, &t0, &t1); /* the pack stage counts the SHA-256 of finish only once */
		sid->bytes += pack.len;
		sid->items++;
		if (memcmp(again, id, CAIRN_ID_BYTES) != 0)
			rc = cairn_err(CAIRN_EBUG, "the pack id is not the SHA-256 of the pack");
		if (rc == 0 && ctx->write_dir != NULL) {
			stage_clock_now(&t0);
			rc = write_pack(ctx, &pack, &accs[STAGE_WRITE]);
			stage_clock_now(&t1);
			stage_acc_sub(acc, &t0, &t1);
		}
	}
	if (rc == 0 && report && ctx->on_pack != NULL)
		rc = ctx->on_pack(ctx->on_pack_arg, &pack, id, locs, count);
	/* like the packer: the pack's buffer is freed once stored */
	cairn_buf_free(&pack);
	free(locs);
	return rc;
}

/* STAGE_PACK: add, and finish (with its own SHA-256) at the pack target. */
static int run_pack(struct stage_ctx *ctx, struct stage_acc accs[STAGE_COUNT])
{
	int rc;

	for (size_t i = 0; i < ctx->nchunks; i++) {
		rc = cairn_pack_writer_add(ctx->pack_w, CAIRN_BLOB_DATA, ctx->ids + i * CAIRN_ID_BYTES,
					   ctx->sealed.data + ctx->sealed_off[i],
					   span(ctx->sealed_off, i, ctx->nchunks, ctx->sealed.len),
					   (uint32_t)ctx->chunk_len[i]);
		if (rc == 0 && cairn_pack_writer_bytes(ctx->pack_w) >= ctx->pack_target)
			rc = finish_one(ctx, ctx->pack_w, &accs[STAGE_PACK], accs, 0);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int run_restore(struct stage_ctx *ctx)
{
	int rc;

	for (size_t i = 0; i < ctx->nchunks; i++) {
		cairn_buf_reset(&ctx->out);
		rc = cairn_blob_decode(ctx->keys, ctx->z, CAIRN_BLOB_DATA, ctx->ids + i * CAIRN_ID_BYTES,
				       ctx->sealed.data + ctx->sealed_off[i],
				       span(ctx->sealed_off, i, ctx->nchunks, ctx->sealed.len),
				       (uint32_t)ctx->chunk_len[i], &ctx->out);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* One fused chunk, as cairn_packer_add does it (without dedup and locks). */
static int fused_chunk(struct stage_ctx *ctx, const uint8_t *chunk, size_t len, struct stage_acc *acc)
{
	uint8_t id[CAIRN_ID_BYTES];
	int rc;

	cairn_blob_id(ctx->keys, chunk, len, id);
	cairn_buf_reset(&ctx->scratch);
	rc = cairn_blob_encode(ctx->keys, ctx->z, CAIRN_BLOB_DATA, id, chunk, len, &ctx->scratch);
	if (rc == 0)
		rc = cairn_pack_writer_add(ctx->fused_w, CAIRN_BLOB_DATA, id, ctx->scratch.data, ctx->scratch.len,
					   (uint32_t)len);
	if (rc == 0 && cairn_pack_writer_bytes(ctx->fused_w) >= ctx->pack_target)
		rc = finish_one(ctx, ctx->fused_w, acc, NULL, 1);
	return rc;
}

struct fused_arg {
	const struct stage_corpus *c;
	struct stage_acc *acc;
};

static int fuse_chunk(struct stage_ctx *ctx, size_t off, size_t len, void *arg)
{
	struct fused_arg *fa = arg;

	return fused_chunk(ctx, fa->c->data + off, len, fa->acc);
}

static int fused_files(struct stage_ctx *ctx, const struct stage_corpus *c, size_t first, size_t n,
		       struct stage_acc *acc)
{
	struct fused_arg fa = { c, acc };
	int rc = cut_files(ctx, c, first, n, fuse_chunk, &fa);

	for (size_t f = first; rc == 0 && f < first + n; f++)
		acc->bytes += c->files[f].len;
	return rc;
}

int stage_fused(struct stage_ctx *ctx, const struct stage_corpus *c, size_t first, size_t n, struct stage_acc *acc)
{
	struct stage_clock t0, t1;
	int rc;

	stage_clock_now(&t0);
	rc = fused_files(ctx, c, first, n, acc);
	stage_clock_now(&t1);
	stage_acc_add(acc, &t0, &t1);
	return rc;
}

size_t stage_window_files(const struct stage_corpus *c, size_t first, size_t min_bytes)
{
	size_t n = 0, bytes = 0;

	while (first + n < c->nfiles && (n == 0 || bytes < min_bytes))
		bytes += c->files[first + n++].len;
	return n;
}

int stage_window(struct stage_ctx *ctx, const struct stage_corpus *c, size_t first, size_t n,
		 struct stage_acc acc[STAGE_COUNT])
{
	struct stage_clock t[2];
	size_t bytes = c->files[first + n - 1].off + c->files[first + n - 1].len - c->files[first].off;
	int rc;

	stage_clock_now(&t[0]);
	rc = run_chunk(ctx, c, first, n);
	stage_clock_now(&t[1]);
	stage_acc_add(&acc[STAGE_CHUNK], &t[0], &t[1]);
	acc[STAGE_CHUNK].bytes += bytes;
	acc[STAGE_CHUNK].items += ctx->nchunks;
	if (rc < 0)
		return rc;

	stage_clock_now(&t[0]);
	for (size_t i = 0; i < ctx->nchunks; i++)
		cairn_blob_id(ctx->keys, c->data + ctx->chunk_off[i], ctx->chunk_len[i], ctx->ids + i * CAIRN_ID_BYTES);
	stage_clock_now(&t[1]);
	stage_acc_add(&acc[STAGE_ID], &t[0], &t[1]);
	acc[STAGE_ID].bytes += bytes;
	acc[STAGE_ID].items += ctx->nchunks;

	stage_clock_now(&t[0]);
	rc = run_compress(ctx, c);
	stage_clock_now(&t[1]);
	stage_acc_add(&acc[STAGE_COMPRESS], &t[0], &t[1]);
	acc[STAGE_COMPRESS].bytes += bytes;
	acc[STAGE_COMPRESS].items += ctx->nchunks;
	if (rc < 0)
		return rc;

	stage_clock_now(&t[0]);
	rc = run_seal(ctx);
	stage_clock_now(&t[1]);
	stage_acc_add(&acc[STAGE_SEAL], &t[0], &t[1]);
	acc[STAGE_SEAL].bytes += ctx->pt.len;
	acc[STAGE_SEAL].items += ctx->nchunks;
	if (rc < 0)
		return rc;

	/* pack: add + finish; the storage id is timed alone inside it */
	stage_clock_now(&t[0]);
	rc = run_pack(ctx, acc);
	stage_clock_now(&t[1]);
	stage_acc_add(&acc[STAGE_PACK], &t[0], &t[1]);
	acc[STAGE_PACK].bytes += ctx->sealed.len;
	if (rc < 0)
		return rc;

	stage_clock_now(&t[0]);
	rc = run_restore(ctx);
	stage_clock_now(&t[1]);
	stage_acc_add(&acc[STAGE_RESTORE], &t[0], &t[1]);
	acc[STAGE_RESTORE].bytes += bytes; /* restored bytes */
	acc[STAGE_RESTORE].items += ctx->nchunks;
	if (rc < 0)
		return rc;

	return stage_fused(ctx, c, first, n, &acc[STAGE_FUSED]);
}

int stage_finish_packs(struct stage_ctx *ctx, struct stage_acc acc[STAGE_COUNT])
{
	struct stage_clock t0, t1;
	int rc = 0;

	if (cairn_pack_writer_count(ctx->pack_w) > 0) {
		stage_clock_now(&t0);
		rc = finish_one(ctx, ctx->pack_w, &acc[STAGE_PACK], acc, 0);
		stage_clock_now(&t1);
		stage_acc_add(&acc[STAGE_PACK], &t0, &t1);
	}
	if (rc == 0 && cairn_pack_writer_count(ctx->fused_w) > 0) {
		stage_clock_now(&t0);
		rc = finish_one(ctx, ctx->fused_w, &acc[STAGE_FUSED], NULL, 1);
		stage_clock_now(&t1);
		stage_acc_add(&acc[STAGE_FUSED], &t0, &t1);
	}
	return rc;
}

int stage_read_files(const struct stage_corpus *c, uint8_t *buf, size_t buf_len, struct stage_acc *acc)
{
	struct stage_clock t0, t1;
	int rc = 0;

	stage_clock_now(&t0);
	for (size_t f = 0; rc == 0 && f < c->nfiles; f++) {
		int fd;

		if (c->files[f].path == NULL)
			continue;
		fd = open(c->files[f].path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			rc = cairn_err(CAIRN_EIO, "cannot open '%s': %s", c->files[f].path, strerror(errno));
			break;
		}
		for (;;) {
			ssize_t n = read(fd, buf, buf_len);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				rc = cairn_err(CAIRN_EIO, "cannot read '%s': %s", c->files[f].path, strerror(errno));
			if (n <= 0)
				break;
			acc->bytes += (uint64_t)n;
		}
		close(fd);
		acc->items++;
	}
	stage_clock_now(&t1);
	stage_acc_add(acc, &t0, &t1);
	return rc;
}
