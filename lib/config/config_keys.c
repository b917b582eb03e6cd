/* The keys of each section and how their values are checked and stored. */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/buf.h"
#include "cairn/err.h"
#include "cairn/timeutil.h"
#include "config/config_internal.h"

enum ktype {
	K_PATH,         /* absolute path (char *) */
	K_SECRET_PATH,  /* absolute path of a secret; the value is never quoted */
	K_TOKEN,        /* printable, no blanks (char *) */
	K_ENDPOINT,     /* http:// or https:// URL (char *) */
	K_URL,          /* repository URL (char *) */
	K_HOST,         /* host name (char *) */
	K_COMMAND,      /* shell command (char *) */
	K_DURATION,     /* >= 0 (int64_t ns) */
	K_DURATION_POS, /* > 0 (int64_t ns) */
	K_RATE,         /* int64_t bytes/s */
	K_COUNT,        /* 0..COUNT_MAX (int) */
	K_THREADS,      /* 1..256 (int) */
	K_TRANSFERS,    /* 1..64 (int) */
	K_PERCENT,      /* 0..100 (int) */
	K_SAMPLE,       /* 1..100 (int) */
	K_SITE,         /* "primary" or a replica name (char *; its line at off2) */
	K_BOOL,         /* int */
	K_LOG,          /* enum cairn_config_log */
	K_ADDRESSING,   /* enum cairn_config_addressing */
	K_OBJECT_LOCK,  /* duration > 0 or "off" (int64_t ns) */
	K_SCHEDULE,     /* struct cairn_config_schedule */
	K_LIST_PATH,    /* list of absolute paths (char **, count at off2) */
	K_LIST_GLOB,    /* list of patterns */
	K_LIST_TAG,     /* list of tags */
	K_REFUSED       /* a literal secret: always an error */
};

#define F_S3 1u      /* only for s3:// sites */
#define F_REPLICA 2u /* only in [replica NAME] */

struct key_def {
	const char *name;
	enum ktype type;
	size_t off, off2;
	unsigned flags;
	const char *hint; /* K_REFUSED: the key to use instead */
};

#define G(f) offsetof(struct cairn_config, f)
#define S(f) offsetof(struct cairn_site_config, f)
#define B(f) offsetof(struct cairn_backup_set, f)
#define J(f) offsetof(struct cairn_config_jobs, f)
#define D(f) offsetof(struct cairn_drill_config, f)

static const struct key_def cairn_keys[] = {
	{ "state-dir", K_PATH, G(state_dir), 0, 0, NULL },
	{ "key-file", K_SECRET_PATH, G(key_file), 0, 0, NULL },
	{ "passphrase-file", K_SECRET_PATH, G(passphrase_file), 0, 0, NULL },
	{ "host", K_HOST, G(host), 0, 0, NULL },
	{ "threads", K_THREADS, G(threads), 0, 0, NULL },
	{ "rpo", K_DURATION_POS, G(rpo_ns), 0, 0, NULL },
	{ "metrics-file", K_PATH, G(metrics_file), 0, 0, NULL },
	{ "log", K_LOG, G(log), 0, 0, NULL },
	{ "lock-wait", K_DURATION, G(lock_wait_ns), 0, 0, NULL },
	{ "passphrase", K_REFUSED, 0, 0, 0, "passphrase-file" },
	{ NULL, K_PATH, 0, 0, 0, NULL },
};

static const struct key_def site_keys[] = {
	{ "url", K_URL, S(url), 0, 0, NULL },
	{ "endpoint", K_ENDPOINT, S(endpoint), 0, F_S3, NULL },
	{ "region", K_TOKEN, S(region), 0, F_S3, NULL },
	{ "addressing", K_ADDRESSING, S(addressing), 0, F_S3, NULL },
	{ "ca-bundle", K_PATH, S(ca_bundle), 0, F_S3, NULL },
	{ "profile", K_TOKEN, S(profile), 0, F_S3, NULL },
	{ "credentials-file", K_PATH, S(credentials_file), 0, F_S3, NULL },
	{ "access-key-id", K_TOKEN, S(access_key_id), 0, F_S3, NULL },
	{ "secret-access-key-file", K_SECRET_PATH, S(secret_access_key_file), 0, F_S3, NULL },
	{ "session-token-file", K_SECRET_PATH, S(session_token_file), 0, F_S3, NULL },
	{ "connect-timeout", K_DURATION_POS, S(connect_timeout_ns), 0, F_S3, NULL },
	{ "stall-timeout", K_DURATION_POS, S(stall_timeout_ns), 0, F_S3, NULL },
	{ "request-timeout", K_DURATION_POS, S(request_timeout_ns), 0, F_S3, NULL },
	{ "deadline", K_DURATION_POS, S(deadline_ns), 0, F_S3, NULL },
	{ "limit-upload", K_RATE, S(limit_upload), 0, F_S3, NULL },
	{ "limit-download", K_RATE, S(limit_download), 0, F_S3, NULL },
	{ "transfers", K_TRANSFERS, S(transfers), 0, 0, NULL },
	{ "rpo", K_DURATION_POS, S(rpo_ns), 0, 0, NULL },
	{ "keep-last", K_COUNT, S(retention.keep_last), 0, 0, NULL },
	{ "keep-hourly", K_COUNT, S(retention.keep_hourly), 0, 0, NULL },
	{ "keep-daily", K_COUNT, S(retention.keep_daily), 0, 0, NULL },
	{ "keep-weekly", K_COUNT, S(retention.keep_weekly), 0, 0, NULL },
	{ "keep-monthly", K_COUNT, S(retention.keep_monthly), 0, 0, NULL },
	{ "keep-yearly", K_COUNT, S(retention.keep_yearly), 0, 0, NULL },
	{ "keep-within", K_DURATION_POS, S(retention.keep_within_ns), 0, 0, NULL },
	{ "delete-grace", K_DURATION, S(delete_grace_ns), 0, F_REPLICA, NULL },
	{ "object-lock", K_OBJECT_LOCK, S(object_lock_ns), 0, F_REPLICA | F_S3, NULL },
	{ "schedule", K_SCHEDULE, S(schedule), 0, F_REPLICA, NULL },
	{ "secret-access-key", K_REFUSED, 0, 0, 0, "secret-access-key-file" },
	{ "session-token", K_REFUSED, 0, 0, 0, "session-token-file" },
	{ NULL, K_PATH, 0, 0, 0, NULL },
};

static const struct key_def backup_keys[] = {
	{ "path", K_LIST_PATH, B(paths), B(npaths), 0, NULL },
	{ "exclude", K_LIST_GLOB, B(excludes), B(nexcludes), 0, NULL },
	{ "tag", K_LIST_TAG, B(tags), B(ntags), 0, NULL },
	{ "schedule", K_SCHEDULE, B(schedule), 0, 0, NULL },
	{ "jitter", K_DURATION, B(jitter_ns), 0, 0, NULL },
	{ "pre-hook", K_COMMAND, B(pre_hook), 0, 0, NULL },
	{ "post-hook", K_COMMAND, B(post_hook), 0, 0, NULL },
	{ "hook-timeout", K_DURATION_POS, B(hook_timeout_ns), 0, 0, NULL },
	{ "one-file-system", K_BOOL, B(one_file_system), 0, 0, NULL },
	{ NULL, K_PATH, 0, 0, 0, NULL },
};

static const struct key_def jobs_keys[] = {
	{ "prune", K_SCHEDULE, J(prune), 0, 0, NULL },
	{ "check", K_SCHEDULE, J(check), 0, 0, NULL },
	{ "check-read-data", K_PERCENT, J(check_read_data), 0, 0, NULL },
	{ NULL, K_PATH, 0, 0, 0, NULL },
};

static const struct key_def drill_keys[] = {
	{ "site", K_SITE, D(site), D(site_line), 0, NULL },
	{ "schedule", K_SCHEDULE, D(schedule), 0, 0, NULL },
	{ "within", K_DURATION_POS, D(within_ns), 0, 0, NULL },
	{ "sample", K_SAMPLE, D(sample), 0, 0, NULL },
	{ "rpo", K_DURATION_POS, D(rpo_ns), 0, 0, NULL },
	{ "rto", K_DURATION_POS, D(rto_ns), 0, 0, NULL },
	{ "report", K_PATH, D(report), 0, 0, NULL },
	{ "scratch", K_PATH, D(scratch), 0, 0, NULL },
	{ "jitter", K_DURATION, D(jitter_ns), 0, 0, NULL },
	{ NULL, K_PATH, 0, 0, 0, NULL },
};

static const struct key_def *table_of(enum cfg_section s)
{
	switch (s) {
	case CFG_SECT_CAIRN:
		return cairn_keys;
	case CFG_SECT_REPOSITORY:
	case CFG_SECT_REPLICA:
		return site_keys;
	case CFG_SECT_BACKUP:
		return backup_keys;
	case CFG_SECT_JOBS:
		return jobs_keys;
	case CFG_SECT_DRILL:
		return drill_keys;
	default:
		return NULL;
	}
}

/* "'key' in [section] must be <what>, not 'value'" */
static int bad_value(struct cfg_parse *p, const char *key, const char *what, const char *value)
{
	return cfg_fail(p, p->lineno, "'%s' in %s must be %s, not '%.64s%s'", key, p->label, what, value,
			strlen(value) > 64 ? "..." : "");
}

static int set_string(struct cfg_parse *p, char **field, const char *value)
{
	char *s = cairn_strdup(value);

	if (s == NULL)
		return cfg_nomem(p);
	free(*field);
	*field = s;
	return 0;
}

static int list_add(struct cfg_parse *p, char ***list, size_t *n, const char *value)
{
	char **grown;
	char *s;

	/* grow by powers of two: reallocate when n is 0 or a power of two */
	if ((*n & (*n - 1)) == 0) {
		grown = cairn_reallocarray(*list, *n ? *n * 2 : 1, sizeof(**list));
		if (grown == NULL)
			return cfg_nomem(p);
		*list = grown;
	}
	if ((s = cairn_strdup(value)) == NULL)
		return cfg_nomem(p);
	(*list)[(*n)++] = s;
	return 0;
}

static int set_int(struct cfg_parse *p, const char *key, const char *value, int64_t min, int64_t max,
		   const char *what, int *field)
{
	int64_t v;

	if (cfg_parse_int(value, min, max, &v) != 0)
		return bad_value(p, key, what, value);
	*field = (int)v;
	return 0;
}

static int set_duration(struct cfg_parse *p, const char *key, const char *value, int positive, int64_t *field)
{
	int64_t v;

	if (cairn_duration_parse(value, &v) != 0)
		return bad_value(p, key, "a duration such as 90s, 15m, 1h30m or 7d", value);
	if (positive && v == 0)
		return bad_value(p, key, "a duration greater than zero", value);
	*field = v;
	return 0;
}

static int set_schedule(struct cfg_parse *p, const char *key, const char *value, struct cairn_config_schedule *f)
{
	struct cairn_schedule s;
	char why[256];

	if (cairn_schedule_parse(value, &s) != 0) {
		snprintf(why, sizeof(why), "%s", cairn_err_msg());
		return cfg_fail(p, p->lineno, "'%s' in %s is not a valid schedule: %s", key, p->label, why);
	}
	if (set_string(p, &f->text, value) != 0)
		return p->rc;
	f->spec = s;
	f->line = p->lineno;
	return 0;
}

static int set_enum(struct cfg_parse *p, const char *key, const char *value, const char *const *names,
		    const char *what, int *field)
{
	for (int i = 0; names[i] != NULL; i++) {
		if (strcmp(value, names[i]) == 0) {
			*field = i + 1;
			return 0;
		}
	}
	return bad_value(p, key, what, value);
}

/* "N" or "N%" with N in [min, 100]. */
static int set_percent(struct cfg_parse *p, const char *key, const char *value, int64_t min, int *field)
{
	const char *what = min > 0 ? "a percentage from 1 to 100" : "a percentage from 0 to 100";
	size_t n = strlen(value);
	char num[8];
	int64_t v;

	if (cfg_parse_int(value, min, 100, &v) != 0) {
		if (n < 2 || n > 4 || value[n - 1] != '%')
			return bad_value(p, key, what, value);
		memcpy(num, value, n - 1);
		num[n - 1] = '\0';
		if (cfg_parse_int(num, min, 100, &v) != 0)
			return bad_value(p, key, what, value);
	}
	*field = (int)v;
	return 0;
}

static int is_token(const char *v)
{
	for (; *v != '\0'; v++) {
		if (!isgraph((unsigned char)*v))
			return 0;
	}
	return 1;
}

static int set_value(struct cfg_parse *p, const struct key_def *k, char *base, const char *key, const char *value)
{
	static const char *const logs[] = { "stderr", "syslog", NULL };
	static const char *const styles[] = { "auto", "path", "virtual", NULL };
	void *f = base + k->off;
	uint64_t rate;
	int64_t v;

	switch (k->type) {
	case K_SECRET_PATH:
		if (value[0] != '/')
			return cfg_fail(p, p->lineno, "'%s' in %s must be an absolute path (the value is not shown)",
					key, p->label);
		return set_string(p, f, value);
	case K_PATH:
		if (value[0] != '/')
			return bad_value(p, key, "an absolute path", value);
		return set_string(p, f, value);
	case K_TOKEN:
		if (!is_token(value))
			return bad_value(p, key, "a single word without blanks", value);
		return set_string(p, f, value);
	case K_ENDPOINT:
		if ((strncmp(value, "https://", 8) != 0 && strncmp(value, "http://", 7) != 0) || !is_token(value))
			return bad_value(p, key, "an http:// or https:// URL", value);
		return set_string(p, f, value);
	case K_URL:
		if (cfg_url_kind(value, &((struct cairn_site_config *)(void *)base)->url_kind) != 0)
			return bad_value(p, key, "an absolute path, file:///path or s3://BUCKET/PREFIX", value);
		return set_string(p, f, value);
	case K_HOST:
		if (!cfg_valid_host(value))
			return bad_value(p, key, "a host name (letters, digits, '.', '_' and '-')", value);
		return set_string(p, f, value);
	case K_COMMAND:
		if (p->inline_comment)
			return cfg_fail(p, p->lineno, "'%s' in %s has ' ;' in it, which starts a comment in this "
					"file and would cut the command short; write ';' without a blank before it, or "
					"use a script", key, p->label);
		return set_string(p, f, value);
	case K_DURATION:
	case K_DURATION_POS:
		return set_duration(p, key, value, k->type == K_DURATION_POS, f);
	case K_RATE:
		if (cairn_rate_parse(value, &rate) != 0)
			return bad_value(p, key, "a rate in bytes per second such as 512k, 10M or 1.5G (at least 4k; "
					 "0 for no limit)", value);
		*(int64_t *)f = (int64_t)rate;
		return 0;
	case K_COUNT:
		return set_int(p, key, value, 0, CAIRN_CONFIG_COUNT_MAX, "a whole number from 0 to 2147483647",
			       f);
	case K_THREADS:
		return set_int(p, key, value, 1, CAIRN_CONFIG_THREADS_MAX, "a number from 1 to 256", f);
	case K_TRANSFERS:
		return set_int(p, key, value, 1, CAIRN_CONFIG_TRANSFERS_MAX, "a number from 1 to 64", f);
	case K_PERCENT:
		return set_percent(p, key, value, 0, f);
	case K_SAMPLE:
		return set_percent(p, key, value, 1, f);
	case K_SITE:
		if (strcmp(value, "primary") != 0 && !cfg_valid_name(value))
			return bad_value(p, key, "'primary' or the name of a [replica NAME] section", value);
		*(unsigned *)(void *)(base + k->off2) = p->lineno;
		return set_string(p, f, value);
	case K_BOOL:
		if (cfg_parse_bool(value, f) != 0)
			return bad_value(p, key, "yes or no (also true/false, on/off, 1/0)", value);
		return 0;
	case K_LOG:
		return set_enum(p, key, value, logs, "stderr or syslog", f);
	case K_ADDRESSING:
		return set_enum(p, key, value, styles, "auto, path or virtual", f);
	case K_OBJECT_LOCK:
		if (strcmp(value, "off") == 0) {
			*(int64_t *)f = 0;
			return 0;
		}
		if (cairn_duration_parse(value, &v) != 0 || v == 0)
			return bad_value(p, key, "a duration such as 30d, or off", value);
		*(int64_t *)f = v;
		return 0;
	case K_SCHEDULE:
		return set_schedule(p, key, value, f);
	case K_LIST_PATH:
		if (value[0] != '/')
			return bad_value(p, key, "an absolute path", value);
		return list_add(p, f, (size_t *)(void *)(base + k->off2), value);
	case K_LIST_GLOB:
		return list_add(p, f, (size_t *)(void *)(base + k->off2), value);
	case K_LIST_TAG:
		if (!cfg_valid_tag(value))
			return bad_value(p, key, "a tag of 1 to 64 letters, digits and . _ : @ + = -", value);
		return list_add(p, f, (size_t *)(void *)(base + k->off2), value);
	case K_REFUSED:
		break;
	}
	return cfg_fail(p, p->lineno, "'%s' in %s is not allowed: keep the secret in a file readable only by "
			"cairn and name the file with '%s'", key, p->label, k->hint);
}

int cfg_key_set(struct cfg_parse *p, const char *key, const char *value)
{
	const struct key_def *table = table_of(p->sect), *k = NULL;
	size_t i;

	if (table == NULL)
		return cfg_fail(p, p->lineno, "'%.64s' is outside of any section (put it under [cairn], "
				"[repository], [replica NAME], [backup NAME], [jobs] or [drill NAME])", key);
	for (i = 0; table[i].name != NULL; i++) {
		if (strcmp(table[i].name, key) == 0) {
			k = &table[i];
			break;
		}
	}
	if (k == NULL)
		return cfg_fail(p, p->lineno, "unknown key '%.64s' in %s", key, p->label);
	if ((k->flags & F_REPLICA) && p->sect != CFG_SECT_REPLICA)
		return cfg_fail(p, p->lineno, "'%s' is only valid in [replica NAME] sections, not in %s", key,
				p->label);
	if (k->type == K_REFUSED)
		return set_value(p, k, p->target, key, value);
	if (k->type != K_LIST_PATH && k->type != K_LIST_GLOB && k->type != K_LIST_TAG && p->seen[i] != 0)
		return cfg_fail(p, p->lineno, "'%s' in %s is set twice (first on line %u)", key, p->label,
				p->seen[i]);
	if (value[0] == '\0')
		return cfg_fail(p, p->lineno, "'%s' in %s has no value", key, p->label);
	if ((k->flags & F_S3) && p->s3_key == NULL) {
		p->s3_key = k->name;
		p->s3_key_line = p->lineno;
	}
	p->seen[i] = p->lineno;
	return set_value(p, k, p->target, key, value);
}
