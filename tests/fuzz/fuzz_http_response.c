/* Fuzz target: what an S3 server sends back before the XML - the response
 * head (status line and the headers the client keeps: ETag, Content-Range,
 * x-amz-request-id, Content-Length, in lib/http/http_client_perform.c), the
 * start of an error body, and the Content-Range of a ranged GET as the S3
 * store reads it (lib/store/store_s3.c). The callbacks and the range parser
 * are static, so this target compiles both files itself (the library's
 * copies are then not linked in). The input is the head, one header per
 * line, then an empty line and the body. */
#include "harness.h"

#include "../../lib/http/http_client_perform.c"
#include "../../lib/store/store_s3.c"

static void check_field(const char *s, size_t cap)
{
	if (strnlen(s, cap) >= cap)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cairn_http_client *client; /* made once, for the byte counter */
	struct cairn_http_options opts = cairn_http_options_default();
	struct cairn_http_request req;
	struct cairn_http_response resp;
	struct xfer x;
	const char *p = (const char *)data, *end = p + size;
	uint64_t a, b, total;
	char line[1024];

	if (client == NULL && cairn_http_client_new(&opts, &client) != 0)
		abort();
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	resp.content_length = -1;
	req.max_body = 64;
	memset(&x, 0, sizeof(x));
	x.c = client;
	x.req = &req;
	x.resp = &resp;
	while (p < end) { /* the head, as libcurl hands it over: one line at a time, CRLF kept */
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		if (len > sizeof(line))
			len = sizeof(line);
		memcpy(line, p, len);
		p += len;
		if (on_header(line, 1, len, &x) != len)
			__builtin_trap();
		if (len <= 2 && (line[0] == '\n' || line[0] == '\r'))
			break;
	}
	if (p < end)
		(void)on_write((char *)p, 1, (size_t)(end - p), &x);
	check_field(resp.etag, sizeof(resp.etag));
	check_field(resp.content_range, sizeof(resp.content_range));
	check_field(resp.request_id, sizeof(resp.request_id));
	if (resp.status < 0 || resp.status > 999 || resp.content_length < -1)
		__builtin_trap();
	if ((resp.status >= 300 || resp.status < 200) && resp.body.len > CAIRN_HTTP_ERROR_BODY_MAX)
		__builtin_trap();
	if (resp.body_received > req.max_body)
		__builtin_trap();
	if (parse_content_range(resp.content_range, &a, &b, &total) == 0 && a > b)
		__builtin_trap();
	cairn_http_response_free(&resp);
	cairn_err_clear();
	return 0;
}
