/* Per-thread error detail and the code table (see include/cairn/err.h). */
#include "cairn/err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define CAIRN_ERR_MSG_MAX 1024

/* A detail longer than the buffer is cut short on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

/* errno-like: one detail buffer per thread, written only by cairn_err*. */
static _Thread_local char err_msg[CAIRN_ERR_MSG_MAX];

int cairn_err(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err_msg, sizeof(err_msg), fmt, ap);
	va_end(ap);
	return code;
}

int cairn_err_ctx(int code, const char *fmt, ...)
{
	char prev[CAIRN_ERR_MSG_MAX];
	char ctx[CAIRN_ERR_MSG_MAX];
	va_list ap;

	memcpy(prev, err_msg, sizeof(prev));
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	if (prev[0] != '\0')
		snprintf(err_msg, sizeof(err_msg), "%s: %s", ctx, prev);
	else
		snprintf(err_msg, sizeof(err_msg), "%s: %s", ctx, cairn_err_desc(code));
	return code;
}

int cairn_err_from_errno(int errnum)
{
	switch (errnum) {
	case ENOENT:
	case ENOTDIR:
		return CAIRN_ENOTFOUND;
	case ENOSPC:
	case EDQUOT:
		return CAIRN_ENOSPC;
	case EACCES:
	case EPERM:
	case EROFS:
		return CAIRN_EPERM;
	case ENOMEM:
		return CAIRN_ENOMEM;
	case EEXIST:
		return CAIRN_EEXIST;
	case ENOTSUP:
		return CAIRN_EUNSUPPORTED;
	default:
		return CAIRN_EIO;
	}
}

const char *cairn_err_msg(void)
{
	return err_msg;
}

void cairn_err_clear(void)
{
	err_msg[0] = '\0';
}

const char *cairn_err_name(int code)
{
	switch (code) {
	case CAIRN_OK:
		return "CAIRN_OK";
#define CAIRN_ERR_NAME(name, value, cls, desc) \
	case name:                             \
		return #name;
		CAIRN_ERRORS(CAIRN_ERR_NAME)
#undef CAIRN_ERR_NAME
	default:
		return "CAIRN_E?";
	}
}

const char *cairn_err_desc(int code)
{
	switch (code) {
	case CAIRN_OK:
		return "success";
#define CAIRN_ERR_DESC(name, value, cls, desc) \
	case name:                             \
		return desc;
		CAIRN_ERRORS(CAIRN_ERR_DESC)
#undef CAIRN_ERR_DESC
	default:
		return "unknown error";
	}
}

enum cairn_err_class cairn_err_class(int code)
{
	switch (code) {
	case CAIRN_OK:
		return CAIRN_CLASS_NONE;
#define CAIRN_ERR_CLASS(name, value, cls, desc) \
	case name:                              \
		return cls;
		CAIRN_ERRORS(CAIRN_ERR_CLASS)
#undef CAIRN_ERR_CLASS
	default:
		return CAIRN_CLASS_BUG;
	}
}
