/* Growable buffers, checked allocation, LE encoding and the bounded reader. */
#include "cairn/buf.h"
#include "cairn/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *cairn_calloc(size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		return NULL;
	return calloc(nmemb ? nmemb : 1, size ? size : 1);
}

void *cairn_reallocarray(void *ptr, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		return NULL;
	return realloc(ptr, (nmemb * size) != 0 ? nmemb * size : 1);
}

char *cairn_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

char *cairn_asprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	s = malloc((size_t)n + 1);
	if (s == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

void cairn_buf_free(struct cairn_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void cairn_buf_reset(struct cairn_buf *b)
{
	b->len = 0;
}

int cairn_buf_reserve(struct cairn_buf *b, size_t extra)
{
	size_t need, cap;
	uint8_t *p;

	if (extra > SIZE_MAX - b->len)
		return cairn_err(CAIRN_ENOMEM, "buffer size overflow");
	need = b->len + extra;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (p == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot grow buffer to %zu bytes", cap);
	b->data = p;
	b->cap = cap;
	return 0;
}

int cairn_buf_append(struct cairn_buf *b, const void *data, size_t len)
{
	int rc;

	if (len == 0)
		return 0;
	rc = cairn_buf_reserve(b, len);
	if (rc < 0)
		return rc;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

int cairn_buf_put_u8(struct cairn_buf *b, uint8_t v)
{
	return cairn_buf_append(b, &v, 1);
}

int cairn_buf_put_u16le(struct cairn_buf *b, uint16_t v)
{
	uint8_t p[2];

	cairn_le16_store(p, v);
	return cairn_buf_append(b, p, sizeof(p));
}

int cairn_buf_put_u32le(struct cairn_buf *b, uint32_t v)
{
	uint8_t p[4];

	cairn_le32_store(p, v);
	return cairn_buf_append(b, p, sizeof(p));
}

int cairn_buf_put_u64le(struct cairn_buf *b, uint64_t v)
{
	uint8_t p[8];

	cairn_le64_store(p, v);
	return cairn_buf_append(b, p, sizeof(p));
}

int cairn_buf_put_bytes32(struct cairn_buf *b, const void *data, size_t len)
{
	int rc;

	if (len > UINT32_MAX)
		return cairn_err(CAIRN_EINVAL, "field of %zu bytes exceeds 4 GiB", len);
	rc = cairn_buf_put_u32le(b, (uint32_t)len);
	return rc < 0 ? rc : cairn_buf_append(b, data, len);
}

int cairn_buf_put_bytes16(struct cairn_buf *b, const void *data, size_t len)
{
	int rc;

	if (len > UINT16_MAX)
		return cairn_err(CAIRN_EINVAL, "field of %zu bytes exceeds 65535", len);
	rc = cairn_buf_put_u16le(b, (uint16_t)len);
	return rc < 0 ? rc : cairn_buf_append(b, data, len);
}

const uint8_t *cairn_rd_bytes(struct cairn_rd *r, size_t len)
{
	const uint8_t *p;

	if (r->bad || len > r->len - r->pos) {
		r->bad = 1;
		return NULL;
	}
	p = r->p + r->pos;
	r->pos += len;
	return p;
}

void cairn_rd_copy(struct cairn_rd *r, void *out, size_t len)
{
	const uint8_t *p = cairn_rd_bytes(r, len);

	if (p != NULL)
		memcpy(out, p, len);
	else
		memset(out, 0, len);
}

uint8_t cairn_rd_u8(struct cairn_rd *r)
{
	const uint8_t *p = cairn_rd_bytes(r, 1);

	return p ? p[0] : 0;
}

uint16_t cairn_rd_u16le(struct cairn_rd *r)
{
	const uint8_t *p = cairn_rd_bytes(r, 2);

	return p ? cairn_le16_load(p) : 0;
}

uint32_t cairn_rd_u32le(struct cairn_rd *r)
{
	const uint8_t *p = cairn_rd_bytes(r, 4);

	return p ? cairn_le32_load(p) : 0;
}

uint64_t cairn_rd_u64le(struct cairn_rd *r)
{
	const uint8_t *p = cairn_rd_bytes(r, 8);

	return p ? cairn_le64_load(p) : 0;
}

int cairn_rd_done(const struct cairn_rd *r)
{
	return (r->bad || r->pos != r->len) ? CAIRN_ECORRUPT : 0;
}

void cairn_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int cairn_hex_decode(const char *in, uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int hi = hex_value(in[2 * i]), lo;

		if (hi < 0)
			return CAIRN_EINVAL;
		lo = hex_value(in[2 * i + 1]);
		if (lo < 0)
			return CAIRN_EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return in[2 * len] == '\0' ? 0 : CAIRN_EINVAL;
}
