/* Shared between the files of lib/config: the parse state and helpers. */
#ifndef CAIRN_CONFIG_INTERNAL_H
#define CAIRN_CONFIG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/config.h"

enum cfg_section {
	CFG_SECT_NONE = 0,
	CFG_SECT_CAIRN,
	CFG_SECT_REPOSITORY,
	CFG_SECT_REPLICA,
	CFG_SECT_BACKUP,
	CFG_SECT_JOBS,
	CFG_SECT_DRILL
};

#define CFG_KEYS_MAX 48 /* more than any section has */

/* The state of one parse. */
struct cfg_parse {
	struct cairn_config *cfg;
	const char *name;          /* the file, for messages */
	const char *data;
	size_t len;
	size_t pos;                /* next byte to hand to inih */
	unsigned lineno;           /* line last handed to inih */
	int rc;                    /* first error, 0 while none */
	int inline_comment;        /* the current line's value was cut by an inline comment */
	/* the current section */
	enum cfg_section sect;
	void *target;              /* struct cairn_config, site, set, jobs or drill */
	char label[64];            /* "[replica dr]" */
	unsigned sect_line;
	unsigned seen[CFG_KEYS_MAX]; /* line where each key was set, 0 = not yet */
	unsigned s3_key_line;      /* first S3-only key of a site section */
	const char *s3_key;
	unsigned jobs_line;
	size_t cap_replicas, cap_sets, cap_drills;
};

/* Record "NAME:LINE: message" as the parse's error (the first one wins) and
 * return CAIRN_EINVAL. */
int cfg_fail(struct cfg_parse *p, unsigned line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Record CAIRN_ENOMEM as the parse's error and return it. */
int cfg_nomem(struct cfg_parse *p);

/* config_section.c: begin the section of a header (name trimmed, without
 * brackets) and finish the previous one; finish the last one at the end. */
int cfg_section_begin(struct cfg_parse *p, const char *name);
int cfg_section_end(struct cfg_parse *p);
/* Whole-file checks once everything has been read. */
int cfg_check_file(struct cfg_parse *p);

/* config_keys.c: one key = value line of the current section. */
int cfg_key_set(struct cfg_parse *p, const char *key, const char *value);

/* config_values.c: value parsers; 0 or -1, no detail recorded. */
int cfg_parse_bool(const char *text, int *ret);
int cfg_parse_int(const char *text, int64_t min, int64_t max, int64_t *ret);
int cfg_valid_name(const char *name);
int cfg_valid_tag(const char *tag);
int cfg_valid_host(const char *host);
/* 0 and the kind, or -1 for a URL that is none of the accepted forms. */
int cfg_url_kind(const char *url, enum cairn_config_url_kind *ret);

/* config_model.c: reset a site, set or drill to "unset" (drills: to their
 * defaults) / release its contents. */
void cfg_site_init(struct cairn_site_config *s);
void cfg_site_release(struct cairn_site_config *s);
void cfg_set_init(struct cairn_backup_set *b);
void cfg_set_release(struct cairn_backup_set *b);
void cfg_drill_init(struct cairn_drill_config *d);
void cfg_drill_release(struct cairn_drill_config *d);
void cfg_config_init(struct cairn_config *c);

#endif
