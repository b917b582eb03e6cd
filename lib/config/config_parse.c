/* Configuration text to struct cairn_config: the line reader in front of
 * libinih, and the entry points that parse a buffer or a string.
 *
 * inih is fed through ini_parse_stream() by a reader that sees every line
 * first. It counts lines (this inih does not pass them to the handler),
 * strips indentation (so an indented key is a key, never a multi-line
 * continuation, whatever inih was built with), handles section headers
 * itself (inih would silently cut long names and ignore text after ']'),
 * refuses lines without '=' and lines longer than inih's line buffer
 * (inih would split them), and stops the parse at the first error. What
 * reaches inih is one well-formed "key = value" or "[section]" per line;
 * inih splits the key from the value, trims them and cuts inline comments.
 */
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/buf.h"
#include "cairn/err.h"
#include "config/config_internal.h"

int cfg_fail(struct cfg_parse *p, unsigned line, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	if (p->rc != 0)
		return p->rc;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->rc = CAIRN_EINVAL;
	if (line == 0)
		return cairn_err(CAIRN_EINVAL, "%s: %s", p->name, msg);
	return cairn_err(CAIRN_EINVAL, "%s:%u: %s", p->name, line, msg);
}

int cfg_nomem(struct cfg_parse *p)
{
	if (p->rc == 0)
		p->rc = cairn_err(CAIRN_ENOMEM, "out of memory reading %s", p->name);
	return p->rc;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

/* Where inih's inline comment starts in `s` (a ';' after a blank), or end. */
static size_t comment_at(const char *s, size_t len)
{
	int was_blank = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == ';' && was_blank && INI_ALLOW_INLINE_COMMENTS)
			return i;
		was_blank = is_blank(s[i]);
	}
	return len;
}

/* A "[...]" line: check it, begin the section, and write "[name]" to out. */
static int header_line(struct cfg_parse *p, const char *s, size_t len, char *out, int num)
{
	size_t close = 0, a, b;
	char name[80];

	while (close < len && s[close] != ']')
		close++;
	if (close == len)
		return cfg_fail(p, p->lineno, "missing ']' in section header");
	for (size_t i = close + 1; i < len; i++) {
		if (s[i] == ';' || s[i] == '#')
			break;
		if (!is_blank(s[i]))
			return cfg_fail(p, p->lineno, "unexpected text after ']' in section header");
	}
	for (a = 1; a < close && is_blank(s[a]); a++)
		;
	for (b = close; b > a && is_blank(s[b - 1]); b--)
		;
	if (b - a >= sizeof(name) || b - a + 4 > (size_t)num)
		return cfg_fail(p, p->lineno, "section name too long");
	memcpy(name, s + a, b - a);
	name[b - a] = '\0';
	if (cfg_section_begin(p, name) != 0)
		return p->rc;
	snprintf(out, (size_t)num, "[%s]\n", name);
	return 0;
}

/* A "key = value" line: check it and copy it to out. */
static int key_line(struct cfg_parse *p, const char *s, size_t len, char *out, int num)
{
	size_t sep = 0, cut;

	/* inih looks for '=' or ':' up to an inline comment */
	cut = comment_at(s, len);
	while (sep < cut && s[sep] != '=' && s[sep] != ':')
		sep++;
	if (sep == cut)
		return cfg_fail(p, p->lineno, "expected 'key = value' or a [section] header");
	if (sep == 0)
		return cfg_fail(p, p->lineno, "missing key name before '%c'", s[sep]);
	/* the value's own inline comment, as inih will find it */
	p->inline_comment = comment_at(s + sep + 1, len - sep - 1) < len - sep - 1;
	if (len + 2 > (size_t)num)
		return cfg_fail(p, p->lineno, "line too long (at most %d characters; put long commands in a script)",
				num - 2);
	memcpy(out, s, len);
	out[len] = '\n';
	out[len + 1] = '\0';
	return 0;
}

/* ini_reader: hand inih the next line, or NULL at the end or after an error. */
static char *reader(char *out, int num, void *stream)
{
	struct cfg_parse *p = stream;
	const char *s, *nl;
	size_t len;

	if (p->rc != 0 || p->pos >= p->len)
		return NULL;
	if (num < 64) { /* inih built with a tiny line buffer: refuse rather than misread */
		cfg_fail(p, p->lineno + 1, "libinih's line buffer is too small (%d bytes)", num);
		return NULL;
	}
	s = p->data + p->pos;
	nl = memchr(s, '\n', p->len - p->pos);
	len = nl != NULL ? (size_t)(nl - s) : p->len - p->pos;
	p->pos += len + (nl != NULL);
	p->lineno++;
	p->inline_comment = 0;
	if (len > 0 && s[len - 1] == '\r')
		len--;
	if (p->lineno == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
		s += 3;
		len -= 3;
	}
	while (len > 0 && is_blank(*s)) {
		s++;
		len--;
	}
	while (len > 0 && is_blank(s[len - 1]))
		len--;
	if (len == 0 || *s == ';' || *s == '#') {
		strcpy(out, "\n");
		return out;
	}
	if (*s == '[') {
		if (header_line(p, s, len, out, num) != 0)
			return NULL;
		return out;
	}
	if (key_line(p, s, len, out, num) != 0)
		return NULL;
	return out;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct cfg_parse *p = user;

	(void)section; /* the reader tracks the section */
	if (p->rc == 0)
		cfg_key_set(p, name, value);
	return 1;
}

/* Line of the first NUL byte, or 0 when there is none. */
static unsigned nul_line(const char *data, size_t len)
{
	const char *z = memchr(data, '\0', len);
	unsigned line = 1;

	if (z == NULL)
		return 0;
	for (const char *c = data; c < z; c++)
		line += *c == '\n';
	return line;
}

int cairn_config_parse_buf(const void *data, size_t len, const char *name, struct cairn_config **ret)
{
	struct cfg_parse p;
	struct cairn_config *cfg;
	unsigned zl;
	int rc;

	memset(&p, 0, sizeof(p));
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return cairn_err(CAIRN_ENOMEM, "out of memory");
	cfg_config_init(cfg);
	if ((cfg->file = cairn_strdup(name != NULL ? name : "config")) == NULL) {
		rc = cairn_err(CAIRN_ENOMEM, "out of memory");
		goto err;
	}
	p.cfg = cfg;
	p.name = cfg->file;
	p.data = len > 0 ? data : "";
	p.len = len;
	if (len > CAIRN_CONFIG_MAX_BYTES) {
		rc = cfg_fail(&p, 0, "file too large (more than %d bytes)", CAIRN_CONFIG_MAX_BYTES);
		goto err;
	}
	if ((zl = nul_line(p.data, len)) != 0) {
		rc = cfg_fail(&p, zl, "NUL byte in the file (a configuration file is text)");
		goto err;
	}
	rc = ini_parse_stream(reader, &p, handler, &p);
	if (p.rc != 0) {
		rc = p.rc;
		goto err;
	}
	if (rc == -2) {
		rc = cfg_nomem(&p);
		goto err;
	}
	if (rc != 0) { /* inih refused a line the reader let through */
		rc = cfg_fail(&p, rc > 0 ? (unsigned)rc : 0, "syntax error");
		goto err;
	}
	if ((rc = cfg_section_end(&p)) != 0 || (rc = cfg_check_file(&p)) != 0)
		goto err;
	*ret = cfg;
	return 0;
err:
	cairn_config_free(cfg);
	return rc;
}

int cairn_config_parse(const char *text, const char *name, struct cairn_config **ret)
{
	return cairn_config_parse_buf(text, strlen(text), name, ret);
}
