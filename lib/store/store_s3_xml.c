/* S3 XML responses parsed with expat: error bodies, list pages, multipart and multi-delete results; DTDs refused. */
#include <expat.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/buf.h"
#include "cairn/err.h"
#include "store/store_s3_int.h"

#define XML_PATH_MAX 256      /* "/ListBucketResult/Contents/Key" and the like */
#define XML_TEXT_MAX 65536    /* longest text of one element */

/* A walk over a document that reports each element's path and text at its end. */
struct walk {
	XML_Parser p;
	char path[XML_PATH_MAX];
	size_t path_len;
	char root[64];
	struct cairn_buf text; /* character data since the current element started */
	int bad;               /* a limit was crossed or a DTD seen: stop */
	int rc;                /* a handler's error */
	int (*on_end)(struct walk *w, const char *path, const char *text);
	void *ctx;
};

static void walk_stop(struct walk *w)
{
	w->bad = 1;
	XML_StopParser(w->p, XML_FALSE);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct walk *w = ud;
	size_t n = strlen(name);

	(void)attrs;
	if (w->bad || w->rc != 0)
		return;
	if (w->path_len == 0 && n < sizeof(w->root))
		memcpy(w->root, name, n + 1);
	if (w->path_len + 1 + n >= sizeof(w->path)) {
		walk_stop(w);
		return;
	}
	w->path[w->path_len++] = '/';
	memcpy(w->path + w->path_len, name, n + 1);
	w->path_len += n;
	cairn_buf_reset(&w->text);
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct walk *w = ud;
	char *slash;

	(void)name;
	if (w->bad || w->rc != 0)
		return;
	if (cairn_buf_put_u8(&w->text, 0) != 0) {
		w->rc = CAIRN_ENOMEM;
		XML_StopParser(w->p, XML_FALSE);
		return;
	}
	w->rc = w->on_end(w, w->path, (const char *)w->text.data);
	if (w->rc != 0) {
		XML_StopParser(w->p, XML_FALSE);
		return;
	}
	cairn_buf_reset(&w->text);
	slash = strrchr(w->path, '/');
	w->path_len = slash != NULL ? (size_t)(slash - w->path) : 0;
	w->path[w->path_len] = '\0';
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct walk *w = ud;

	if (w->bad || w->rc != 0 || w->path_len == 0 || len <= 0)
		return;
	if (w->text.len + (size_t)len > XML_TEXT_MAX) {
		walk_stop(w);
		return;
	}
	if (cairn_buf_append(&w->text, s, (size_t)len) != 0) {
		w->rc = CAIRN_ENOMEM;
		XML_StopParser(w->p, XML_FALSE);
	}
}

/* S3 never sends a DTD: any doctype or entity declaration is refused. */
static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
			       int has_internal_subset)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	walk_stop(ud);
}

static void XMLCALL on_entity_decl(void *ud, const XML_Char *name, int is_param, const XML_Char *value,
				   int value_len, const XML_Char *base, const XML_Char *sysid,
				   const XML_Char *pubid, const XML_Char *notation)
{
	(void)name;
	(void)is_param;
	(void)value;
	(void)value_len;
	(void)base;
	(void)sysid;
	(void)pubid;
	(void)notation;
	walk_stop(ud);
}

/* Parse the document. 0, the handler's code, CAIRN_ENOMEM, or CAIRN_EFORMAT
 * (no detail) with a static reason in *why. */
static int walk_run(struct walk *w, const void *xml, size_t len, const char **why)
{
	enum XML_Status st;
	int rc = 0;

	*why = "";
	w->p = XML_ParserCreate("UTF-8");
	if (w->p == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot create an XML parser");
	XML_SetUserData(w->p, w);
	XML_SetParamEntityParsing(w->p, XML_PARAM_ENTITY_PARSING_NEVER);
	XML_SetElementHandler(w->p, on_start, on_end);
	XML_SetCharacterDataHandler(w->p, on_text);
	XML_SetStartDoctypeDeclHandler(w->p, on_doctype);
	XML_SetEntityDeclHandler(w->p, on_entity_decl);
	if (len > INT_MAX) {
		*why = "document too large";
		rc = CAIRN_EFORMAT;
		goto out;
	}
	/* AWS may pad an answer with leading whitespace while it works */
	while (len > 0 && (*(const char *)xml == ' ' || *(const char *)xml == '\n' || *(const char *)xml == '\r' ||
			   *(const char *)xml == '\t')) {
		xml = (const char *)xml + 1;
		len--;
	}
	st = XML_Parse(w->p, len > 0 ? xml : "", (int)len, XML_TRUE);
	if (w->rc != 0) {
		rc = w->rc;
	} else if (w->bad) {
		*why = "a DTD, or an element nested too deep or too long";
		rc = CAIRN_EFORMAT;
	} else if (st != XML_STATUS_OK) {
		*why = XML_ErrorString(XML_GetErrorCode(w->p));
		if (*why == NULL)
			*why = "syntax error";
		rc = CAIRN_EFORMAT;
	}
out:
	XML_ParserFree(w->p);
	w->p = NULL;
	cairn_buf_free(&w->text);
	return rc;
}

static void copy_cut(char *out, size_t outlen, const char *s)
{
	size_t n = strlen(s);

	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

static int error_end(struct walk *w, const char *path, const char *text)
{
	struct cairn_s3_error *e = w->ctx;

	if (strcmp(path, "/Error/Code") == 0)
		copy_cut(e->code, sizeof(e->code), text);
	else if (strcmp(path, "/Error/Message") == 0)
		copy_cut(e->message, sizeof(e->message), text);
	else if (strcmp(path, "/Error/Resource") == 0)
		copy_cut(e->resource, sizeof(e->resource), text);
	else if (strcmp(path, "/Error/RequestId") == 0)
		copy_cut(e->request_id, sizeof(e->request_id), text);
	else if (strcmp(path, "/Error/BucketName") == 0)
		copy_cut(e->bucket, sizeof(e->bucket), text);
	return 0;
}

int cairn_s3_xml_error(const void *xml, size_t len, struct cairn_s3_error *ret)
{
	struct walk w = { .on_end = error_end, .ctx = ret };
	const char *why;
	int rc;

	memset(ret, 0, sizeof(*ret));
	rc = walk_run(&w, xml, len, &why);
	if (rc == 0 && strcmp(w.root, "Error") != 0)
		rc = CAIRN_ENOTFOUND;
	if (rc != 0)
		memset(ret, 0, sizeof(*ret));
	return rc;
}

/* Errors of the documents a request must get right. */
static int doc_error(int rc, const char *what, const char *why)
{
	if (rc == CAIRN_EFORMAT && strncmp(why, "a DTD", 5) == 0)
		return cairn_err(CAIRN_EINVAL, "S3 %s refused: %s", what, why);
	if (rc == CAIRN_EFORMAT)
		return cairn_err(CAIRN_ETRANSIENT, "S3 %s is not valid XML: %s", what, why);
	return rc;
}

/* Strict decimal uint64: digits only, no sign, no overflow. */
static int parse_u64(const char *s, uint64_t *ret)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*ret = v;
	return 0;
}

struct list_state {
	int (*cb)(void *ctx, const char *key, uint64_t size);
	void *ctx;
	char *key;
	uint64_t size;
	int have_size;
	int truncated;
	char *token;
};

static int list_end(struct walk *w, const char *path, const char *text)
{
	struct list_state *ls = w->ctx;
	int rc;

	if (strcmp(path, "/ListBucketResult/Contents/Key") == 0) {
		free(ls->key);
		ls->key = cairn_strdup(text);
		if (ls->key == NULL)
			return CAIRN_ENOMEM;
	} else if (strcmp(path, "/ListBucketResult/Contents/Size") == 0) {
		if (parse_u64(text, &ls->size) != 0)
			return cairn_err(CAIRN_ETRANSIENT, "S3 list page: invalid <Size> '%.40s'", text);
		ls->have_size = 1;
	} else if (strcmp(path, "/ListBucketResult/Contents") == 0) {
		if (ls->key == NULL || !ls->have_size)
			return cairn_err(CAIRN_ETRANSIENT, "S3 list page: <Contents> without <Key> or <Size>");
		rc = ls->cb(ls->ctx, ls->key, ls->size);
		free(ls->key);
		ls->key = NULL;
		ls->have_size = 0;
		return rc;
	} else if (strcmp(path, "/ListBucketResult/IsTruncated") == 0) {
		if (strcmp(text, "true") == 0)
			ls->truncated = 1;
		else if (strcmp(text, "false") == 0)
			ls->truncated = 0;
		else
			return cairn_err(CAIRN_ETRANSIENT, "S3 list page: invalid <IsTruncated> '%.40s'", text);
	} else if (strcmp(path, "/ListBucketResult/NextContinuationToken") == 0) {
		free(ls->token);
		ls->token = cairn_strdup(text);
		if (ls->token == NULL)
			return CAIRN_ENOMEM;
	}
	return 0;
}

int cairn_s3_xml_list(const void *xml, size_t len, int (*cb)(void *ctx, const char *key, uint64_t size),
		      void *ctx, int *ret_truncated, char **ret_token)
{
	struct list_state ls = { .cb = cb, .ctx = ctx };
	struct walk w = { .on_end = list_end, .ctx = &ls };
	const char *why;
	int rc;

	rc = walk_run(&w, xml, len, &why);
	if (rc == CAIRN_ENOMEM)
		rc = cairn_err(rc, "cannot parse an S3 list page: out of memory");
	else if (rc != 0)
		rc = doc_error(rc, "list page", why);
	else if (strcmp(w.root, "ListBucketResult") != 0)
		rc = cairn_err(CAIRN_EINVAL, "S3 list page: unexpected root element <%.40s>", w.root);
	free(ls.key);
	if (rc != 0) {
		free(ls.token);
		return rc;
	}
	*ret_truncated = ls.truncated;
	*ret_token = ls.token;
	return 0;
}

static int upload_id_end(struct walk *w, const char *path, const char *text)
{
	char **id = w->ctx;

	if (strcmp(path, "/InitiateMultipartUploadResult/UploadId") == 0) {
		free(*id);
		*id = cairn_strdup(text);
		if (*id == NULL)
			return CAIRN_ENOMEM;
	}
	return 0;
}

int cairn_s3_xml_upload_id(const void *xml, size_t len, char **ret_upload_id)
{
	char *id = NULL;
	struct walk w = { .on_end = upload_id_end, .ctx = &id };
	const char *why;
	int rc;

	rc = walk_run(&w, xml, len, &why);
	if (rc == CAIRN_ENOMEM)
		rc = cairn_err(rc, "cannot parse an S3 multipart answer: out of memory");
	else if (rc != 0)
		rc = doc_error(rc, "multipart upload answer", why);
	else if (id == NULL || id[0] == '\0')
		rc = cairn_err(CAIRN_ETRANSIENT, "S3 multipart upload answer without an <UploadId>");
	if (rc != 0) {
		free(id);
		return rc;
	}
	*ret_upload_id = id;
	return 0;
}

struct del_state {
	int (*cb)(void *ctx, const char *key, const char *code, const char *message);
	void *ctx;
	char key[1024], code[64], message[256];
};

static int delete_end(struct walk *w, const char *path, const char *text)
{
	struct del_state *ds = w->ctx;
	int rc;

	if (strcmp(path, "/DeleteResult/Error/Key") == 0) {
		copy_cut(ds->key, sizeof(ds->key), text);
	} else if (strcmp(path, "/DeleteResult/Error/Code") == 0) {
		copy_cut(ds->code, sizeof(ds->code), text);
	} else if (strcmp(path, "/DeleteResult/Error/Message") == 0) {
		copy_cut(ds->message, sizeof(ds->message), text);
	} else if (strcmp(path, "/DeleteResult/Error") == 0) {
		rc = ds->cb(ds->ctx, ds->key, ds->code, ds->message);
		ds->key[0] = ds->code[0] = ds->message[0] = '\0';
		return rc;
	}
	return 0;
}

int cairn_s3_xml_delete_errors(const void *xml, size_t len,
			       int (*cb)(void *ctx, const char *key, const char *code, const char *message),
			       void *ctx)
{
	struct del_state *ds = calloc(1, sizeof(*ds));
	struct walk w = { .on_end = delete_end, .ctx = ds };
	const char *why;
	int rc;

	if (ds == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot parse an S3 delete answer: out of memory");
	ds->cb = cb;
	ds->ctx = ctx;
	rc = walk_run(&w, xml, len, &why);
	if (rc == CAIRN_ENOMEM)
		rc = cairn_err(rc, "cannot parse an S3 delete answer: out of memory");
	else if (rc == CAIRN_EFORMAT)
		rc = doc_error(rc, "delete answer", why);
	else if (rc == 0 && strcmp(w.root, "DeleteResult") != 0)
		rc = cairn_err(CAIRN_EINVAL, "S3 delete answer: unexpected root element <%.40s>", w.root);
	free(ds);
	return rc;
}

int cairn_s3_xml_escape(struct cairn_buf *out, const char *s)
{
	int rc = 0;

	for (; *s != '\0' && rc == 0; s++) {
		switch (*s) {
		case '&':
			rc = cairn_buf_append(out, "&amp;", 5);
			break;
		case '<':
			rc = cairn_buf_append(out, "&lt;", 4);
			break;
		case '>':
			rc = cairn_buf_append(out, "&gt;", 4);
			break;
		case '"':
			rc = cairn_buf_append(out, "&quot;", 6);
			break;
		case '\'':
			rc = cairn_buf_append(out, "&apos;", 6);
			break;
		default:
			rc = cairn_buf_put_u8(out, (uint8_t)*s);
		}
	}
	return rc != 0 ? cairn_err(CAIRN_ENOMEM, "cannot build an XML document: out of memory") : 0;
}
