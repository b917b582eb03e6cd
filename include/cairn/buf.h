/* Byte buffers, overflow-checked allocation, little-endian encoding and a
 * bounds-checked reader for parsing untrusted bytes.
 */
#ifndef CAIRN_BUF_H
#define CAIRN_BUF_H

#include <stddef.h>
#include <stdint.h>

/* Overflow-checked array allocation: nmemb * size bytes, zeroed.
 * Returns NULL on overflow or allocation failure. Free with free(). */
void *cairn_calloc(size_t nmemb, size_t size);
/* Overflow-checked realloc of an array; on failure the old block is kept. */
void *cairn_reallocarray(void *ptr, size_t nmemb, size_t size);
/* strdup that returns NULL on failure (never aborts). */
char *cairn_strdup(const char *s);
/* printf into a newly allocated string, or NULL on failure. Caller frees. */
char *cairn_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer. Zero-initialise ({0}) before first use; the buffer
 * owns `data`; release with cairn_buf_free(). */
struct cairn_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

void cairn_buf_free(struct cairn_buf *b);           /* frees data, zeroes fields */
void cairn_buf_reset(struct cairn_buf *b);          /* len = 0, keeps capacity */
/* Ensure room for `extra` more bytes. 0 or CAIRN_ENOMEM. */
int cairn_buf_reserve(struct cairn_buf *b, size_t extra);
int cairn_buf_append(struct cairn_buf *b, const void *data, size_t len);
int cairn_buf_put_u8(struct cairn_buf *b, uint8_t v);
int cairn_buf_put_u16le(struct cairn_buf *b, uint16_t v);
int cairn_buf_put_u32le(struct cairn_buf *b, uint32_t v);
int cairn_buf_put_u64le(struct cairn_buf *b, uint64_t v);
/* u32 length followed by the bytes. */
int cairn_buf_put_bytes32(struct cairn_buf *b, const void *data, size_t len);
/* u16 length followed by the bytes; CAIRN_EINVAL when len > 65535. */
int cairn_buf_put_bytes16(struct cairn_buf *b, const void *data, size_t len);

static inline void cairn_le16_store(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void cairn_le32_store(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline void cairn_le64_store(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t cairn_le16_load(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t cairn_le32_load(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t cairn_le64_load(const uint8_t *p)
{
	return (uint64_t)cairn_le32_load(p) | ((uint64_t)cairn_le32_load(p + 4) << 32);
}

/* Bounds-checked reader over borrowed bytes. Any read past the end sets
 * `bad` and yields zeros / NULL; check `bad` (or cairn_rd_done()) once at the
 * end of parsing instead of after every field. */
struct cairn_rd {
	const uint8_t *p;
	size_t len;
	size_t pos;
	int bad;
};

static inline struct cairn_rd cairn_rd_init(const void *p, size_t len)
{
	struct cairn_rd r = { (const uint8_t *)p, len, 0, 0 };
	return r;
}
uint8_t cairn_rd_u8(struct cairn_rd *r);
uint16_t cairn_rd_u16le(struct cairn_rd *r);
uint32_t cairn_rd_u32le(struct cairn_rd *r);
uint64_t cairn_rd_u64le(struct cairn_rd *r);
/* Borrow `len` bytes; NULL (and bad set) when fewer remain. */
const uint8_t *cairn_rd_bytes(struct cairn_rd *r, size_t len);
/* Copy `len` bytes into out (zero-filled and bad set when short). */
void cairn_rd_copy(struct cairn_rd *r, void *out, size_t len);
/* Bytes still unread. */
static inline size_t cairn_rd_left(const struct cairn_rd *r) { return r->bad ? 0 : r->len - r->pos; }
/* 0 when no read overran and every byte was consumed, else CAIRN_ECORRUPT
 * (no detail recorded: the caller names the object). */
int cairn_rd_done(const struct cairn_rd *r);

/* Hex encoding (lowercase). `out` must hold 2*len+1 bytes. */
void cairn_hex_encode(const uint8_t *in, size_t len, char *out);
/* Decode exactly 2*len hex digits, followed by NUL, from `in` into out[len].
 * 0 or CAIRN_EINVAL (no detail recorded). */
int cairn_hex_decode(const char *in, uint8_t *out, size_t len);

#endif
