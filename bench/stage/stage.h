/* cairn-bench-stage: the data path's stages, each alone and fused, on one
 * thread (and the fused path on N threads), calling Cairn's real functions.
 *
 * The backup direction of one chunk, as lib/repo/packer.c does it:
 *
 *   read -> chunk (cairn_chunker_scan) -> id (cairn_blob_id, keyed BLAKE2b)
 *        -> compress (cairn_compress, zstd) -> seal (cairn_seal,
 *           XChaCha20-Poly1305) -> pack append (cairn_pack_writer_add)
 *        -> at 16 MiB: pack finish (sealed header + cairn_storage_id, SHA-256)
 *
 * and the restore direction: cairn_blob_decode (open, decompress, verify id).
 *
 * Stages alone run over windows of the input held in memory: each window's
 * chunks are chunked, then all identified, then all compressed, and so on,
 * each stage timed on its own (the thread's CPU clock, getrusage for the
 * user/sys split, and a monotonic clock around the whole window's work), its
 * output feeding the next stage.
 * The fused path runs cairn_blob_id + cairn_blob_encode +
 * cairn_pack_writer_add chunk by chunk, like cairn_packer_add, without the
 * deduplication lookup, the job copy and the storage put. Nothing here is a
 * part of the library: this is a benchmark program (bench/README.md).
 */
#ifndef CAIRN_BENCH_STAGE_H
#define CAIRN_BENCH_STAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

#include "cairn/buf.h"
#include "cairn/chunk.h"
#include "cairn/compress.h"
#include "cairn/crypto.h"
#include "cairn/pack.h"

/* ---- input (stage_input.c) ---- */

/* One input file: its bytes are corpus->data[off, off + len). */
struct stage_file {
	char *path; /* owned; NULL for generated data */
	size_t off;
	size_t len;
};

/* The whole input in memory (one allocation), split into files. */
struct stage_corpus {
	uint8_t *data;
	size_t len;
	struct stage_file *files;
	size_t nfiles;
};

enum stage_gen_kind { STAGE_GEN_RANDOM = 1, STAGE_GEN_TEXT = 2 };

/* Load every regular file under `path` (a file or a directory; symlinks are
 * not followed), sorted by path, into *ret (caller owns, stage_corpus_free).
 * Refuses more than `max_bytes` in all (CAIRN_EINVAL). 0, CAIRN_EIO (detail
 * names the file) or CAIRN_ENOMEM. */
int stage_corpus_load(const char *path, size_t max_bytes, struct stage_corpus *ret);

/* Generate `len` bytes of `kind` from `seed` (deterministic), in files of
 * `file_len` bytes (the last one shorter). random: incompressible bytes;
 * text: words of a fixed vocabulary and random identifiers (zstd -3:
 * about 0.3 of the input). 0 or
 * CAIRN_ENOMEM / CAIRN_EINVAL (len or file_len 0). */
int stage_corpus_gen(enum stage_gen_kind kind, size_t len, size_t file_len, uint64_t seed, struct stage_corpus *ret);

/* Fill `out` with `len` deterministic pseudo-random bytes of `kind`. */
void stage_gen_fill(enum stage_gen_kind kind, uint64_t seed, uint8_t *out, size_t len);

void stage_corpus_free(struct stage_corpus *c); /* zeroes *c; NULL fields ok */

/* ---- clocks (stage_clock.c) ---- */

/* CPU (user, sys) and wall seconds, summed over timed sections. */
struct stage_acc {
	double user, sys, wall;
	double cpu; /* CLOCK_THREAD_CPUTIME_ID: user + sys, exact (rusage splits it by ticks) */
	uint64_t bytes; /* the stage's own input bytes */
	uint64_t items; /* chunks, packs, files: what the stage counted */
};

struct stage_clock {
	struct timespec wall, cpu;
	struct rusage ru;
};

/* Read the calling thread's CPU times and the monotonic clock. */
void stage_clock_now(struct stage_clock *c);
/* acc += to - from (user, sys, cpu, wall). */
void stage_acc_add(struct stage_acc *acc, const struct stage_clock *from, const struct stage_clock *to);
/* acc -= to - from (user, sys, cpu, wall): a section timed inside another. */
void stage_acc_sub(struct stage_acc *acc, const struct stage_clock *from, const struct stage_clock *to);
/* Seconds of CPU (user + sys, from the thread's CPU clock). */
double stage_acc_cpu(const struct stage_acc *acc);

/* ---- the stages (stage_path.c) ---- */

enum stage_id {
	STAGE_READ,       /* open + read() into a reused buffer + close, page cache */
	STAGE_CHUNK,      /* cairn_chunker_scan over each file */
	STAGE_ID,         /* cairn_blob_id of each chunk */
	STAGE_COMPRESS,   /* codec byte + cairn_compress (raw copy when not smaller) */
	STAGE_SEAL,       /* cairn_seal of each plaintext with the blob AD */
	STAGE_PACK,       /* cairn_pack_writer_add, and _finish at the pack target */
	STAGE_STORAGE_ID, /* cairn_storage_id of each finished pack */
	STAGE_WRITE,      /* --write-dir: each finished pack written to a new file (no fsync) */
	STAGE_FUSED,      /* chunk -> id -> cairn_blob_encode -> pack add/finish */
	STAGE_RESTORE,    /* cairn_blob_decode of each stored blob */
	STAGE_COUNT
};

/* Short name of a stage ("read", "chunk", ...). */
const char *stage_name(enum stage_id s);

/* One finished pack, for checks: called by the fused path when it finishes a
 * pack. The arguments are valid during the call only. */
typedef int (*stage_pack_cb)(void *arg, const struct cairn_buf *pack, const uint8_t id[CAIRN_ID_BYTES],
			     const struct cairn_blob_loc *locs, size_t count);

/* STAGE_WRITE's file in ctx->write_dir (removed by stage_ctx_fini). */
#define STAGE_WRITE_FILE "cairn-bench-stage.pack"

/* Per-thread state of a run: keys (borrowed), a zstd context, pack writers
 * and the reused buffers of the stages. */
struct stage_ctx {
	const struct cairn_keys *keys; /* borrowed */
	struct cairn_chunker_params chunker;
	uint32_t pack_target;
	struct cairn_zctx *z;
	struct cairn_pack_writer *pack_w;  /* STAGE_PACK's writer */
	struct cairn_pack_writer *fused_w; /* STAGE_FUSED's writer */
	struct cairn_buf scratch;          /* fused: one stored blob */
	struct cairn_buf pt;               /* compress -> seal: codec || payload, back to back */
	struct cairn_buf sealed;           /* seal -> pack, restore: stored blobs, back to back */
	struct cairn_buf out;              /* restore: one plaintext */
	size_t *chunk_off, *chunk_len;     /* window's chunks (offsets into the corpus) */
	size_t *pt_off, *sealed_off;       /* per chunk: offsets into pt and sealed */
	uint8_t *ids;                      /* per chunk: CAIRN_ID_BYTES */
	size_t nchunks, cap;
	const char *write_dir;             /* STAGE_WRITE's directory (borrowed), or NULL: not measured */
	stage_pack_cb on_pack;             /* fused path; may be NULL */
	void *on_pack_arg;
};

/* Set up a context: zstd at `level`, chunker parameters and pack target as
 * given. 0 or CAIRN_ENOMEM / CAIRN_EINVAL. Release with stage_ctx_fini. */
int stage_ctx_init(struct stage_ctx *ctx, const struct cairn_keys *keys, const struct cairn_chunker_params *chunker,
		   uint32_t pack_target, int level);
void stage_ctx_fini(struct stage_ctx *ctx); /* safe on a zeroed or failed context */

/* How many files from `first` make a window: at least one, and files until
 * they hold min_bytes (0 when first >= c->nfiles). */
size_t stage_window_files(const struct stage_corpus *c, size_t first, size_t min_bytes);

/* Run every stage but STAGE_READ alone over files [first, first + n) of `c`
 * (one window), adding each stage's times to acc[stage]. STAGE_FUSED runs
 * last over the same files. Packs stay open across windows: call
 * stage_finish_packs after the last window. 0 or a Cairn error. */
int stage_window(struct stage_ctx *ctx, const struct stage_corpus *c, size_t first, size_t n,
		 struct stage_acc acc[STAGE_COUNT]);

/* The fused path alone over files [first, first + n) (timed into *acc). */
int stage_fused(struct stage_ctx *ctx, const struct stage_corpus *c, size_t first, size_t n, struct stage_acc *acc);

/* Finish the open packs of both writers (timed into acc[STAGE_PACK],
 * acc[STAGE_STORAGE_ID], acc[STAGE_WRITE] and acc[STAGE_FUSED]). 0 or a
 * Cairn error. */
int stage_finish_packs(struct stage_ctx *ctx, struct stage_acc acc[STAGE_COUNT]);

/* STAGE_READ: open, read() into `buf` of `buf_len` bytes until EOF, close,
 * for every file of `c` that has a path (timed into *acc). 0 or CAIRN_EIO. */
int stage_read_files(const struct stage_corpus *c, uint8_t *buf, size_t buf_len, struct stage_acc *acc);

/* ---- fused on threads (stage_threads.c) ---- */

/* Split `c` into `threads` contiguous shares of about equal bytes and run
 * the fused path on each share in its own thread (own context), all started
 * together. *ret_acc: wall from the start to the last thread's end; cpu,
 * user and sys summed over the threads; bytes (all of c) and items (packs)
 * summed. CAIRN_EINVAL unless 1 <= threads <= 256; otherwise 0 or the first
 * failing thread's error (*ret_acc untouched). */
int stage_fused_threads(const struct cairn_keys *keys, const struct cairn_chunker_params *chunker,
			uint32_t pack_target, int level, const struct stage_corpus *c, int threads,
			struct stage_acc *ret_acc);

/* ---- primitives (stage_prim.c) ---- */

/* One primitive measured alone. */
struct stage_prim {
	const char *name;  /* static */
	const char *note;  /* static: what it is compared with */
	struct stage_acc acc;
	double ratio;      /* compression: output / input; else 0 */
	int available;     /* 0: not on this machine (acc empty) */
};

#define STAGE_PRIM_MAX 24

/* XChaCha20-Poly1305-IETF computed by libcrypto: HChaCha20 (libsodium)
 * derives the subkey, OpenSSL's ChaCha20-Poly1305 seals; the output
 * (ciphertext || 16-byte tag, len + 16 bytes into `out`) must equal
 * crypto_aead_xchacha20poly1305_ietf_encrypt's, i.e. cairn_seal's box
 * after its nonce: the same format, another implementation. `cctx` is an
 * EVP_CIPHER_CTX. 0, or CAIRN_EINVAL (more than INT_MAX bytes) /
 * CAIRN_EBUG (libcrypto failed). */
int stage_xchacha_libcrypto(void *cctx, const uint8_t key[CAIRN_KEY_BYTES], const uint8_t nonce[CAIRN_NONCE_BYTES],
			    const void *ad, size_t adlen, const void *plain, size_t len, uint8_t *out);

/* Measure the alternative primitives over `sample` (compressible or not, as
 * given) and `random` (incompressible), in pieces of `piece` bytes (hashes of
 * packs: 16 MiB pieces). Fills ret[0..*ret_count). 0 or a Cairn error. */
int stage_prims_run(const struct cairn_keys *keys, const uint8_t *sample, size_t sample_len, const uint8_t *random,
		    size_t random_len, size_t piece, struct stage_prim ret[STAGE_PRIM_MAX], size_t *ret_count);

/* ---- check (stage_check.c) ---- */

/* Correctness of the fused path against the library's own functions, on
 * `c`: every blob the fused path packs has the id (cairn_blob_id) and the
 * stored length of cairn_blob_encode on the same chunk (chunks cut by a
 * separate chunker run), in order; each finished pack's id is the SHA-256
 * of its bytes, its header (cairn_pack_read_header) lists those blobs, and
 * each blob decodes (cairn_blob_decode) to its chunk's bytes. The stages
 * alone must give the same ids and stored lengths. *ret_blobs = blobs
 * checked. 0, or CAIRN_ECORRUPT with a detail naming the first mismatch. */
int stage_check(const struct cairn_keys *keys, const struct cairn_chunker_params *chunker, uint32_t pack_target,
		int level, const struct stage_corpus *c, size_t *ret_blobs);

/* ---- report (stage_report.c) ---- */

/* One repetition: every stage alone, the fused path on N threads, the
 * primitives. */
struct stage_run {
	struct stage_acc acc[STAGE_COUNT];
	struct stage_acc threads; /* fused on `threads` threads; bytes 0 when not run */
	struct stage_prim prims[STAGE_PRIM_MAX];
	size_t nprims;
};

struct stage_report {
	const char *input;  /* path or "gen:random:SIZE" (borrowed) */
	uint64_t bytes;     /* source bytes */
	size_t files;
	int has_read;       /* STAGE_READ was measured (the input has paths) */
	int threads;        /* 0: no threaded run */
	int level;
	uint32_t pack_target;
	struct cairn_chunker_params chunker;
	uint64_t packs, chunks; /* per run, from the fused path */
	const char *cpu_flags;  /* borrowed: the flags of interest found */
	long check_blobs;       /* blobs checked by --check, -1 when not run */
	const struct stage_run *runs;
	size_t nruns;
};

/* Median, min and max of v[0..n) (n >= 1; v is not changed). */
struct stage_stat {
	double med, min, max;
};
struct stage_stat stage_stat_of(const double *v, size_t n);

/* Print the report as a table (text) or as one JSON object. 0, or
 * CAIRN_ENOMEM / CAIRN_EIO (json). */
int stage_report_text(FILE *f, const struct stage_report *r);
int stage_report_json(FILE *f, const struct stage_report *r);

#endif
