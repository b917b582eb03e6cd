/* The configuration file (INI, see docs/CONFIG.md): global settings, the
 * primary site, replicas, backup sets, job schedules and scheduled drills.
 *
 *	const char *path = cairn_config_path(opt_config, &explicit);
 *	struct cairn_config *cfg;
 *	rc = cairn_config_load(path, &cfg);
 *	if (rc == CAIRN_ENOTFOUND && !explicit) ... run from flags and environment alone ...
 *	else if (rc != 0) ... print cairn_err_msg(), exit 2 (CAIRN_EINVAL) or 1 ...
 *	const struct cairn_site_config *dr = cairn_config_site(cfg, "dr");
 *	... flags and environment fill what the file leaves unset ...
 *	cairn_config_free(cfg);
 *
 * Nothing here opens a store or reads a secret on its own: a site's S3
 * settings are plain fields for the caller to map onto struct
 * cairn_s3_options (cairn_config_read_secret() reads a secret file).
 *
 * "Unset" is explicit everywhere, so that flags and environment variables
 * can fill what the file leaves out: strings are NULL, numbers and
 * durations CAIRN_CONFIG_UNSET (-1), enums *_UNSET (0), schedules have a
 * NULL text. Defaults are applied by the file only where noted (replica
 * delete-grace, backup hook-timeout, drill within and sample); everything
 * else keeps its meaning "unset" and the documented default is the
 * caller's (macros below).
 *
 * Errors of the parsers are CAIRN_EINVAL with a detail "FILE:LINE: reason"
 * naming the section and key, e.g.
 *	"/etc/cairn/cairn.conf:12: unknown key 'keep-dayly' in [replica dr]";
 * secrets never appear in a detail.
 */
#ifndef CAIRN_CONFIG_H
#define CAIRN_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/schedule.h"
#include "cairn/timeutil.h" /* cairn_duration_parse, cairn_rate_parse */

#define CAIRN_CONFIG_DEFAULT_PATH "/etc/cairn/cairn.conf"
#define CAIRN_CONFIG_ENV "CAIRN_CONFIG" /* overrides the default path; --config FILE overrides both */

#define CAIRN_CONFIG_UNSET (-1)
#define CAIRN_CONFIG_NAME_MAX 32            /* replica and backup set names: [A-Za-z0-9_-]{1,32} */
#define CAIRN_CONFIG_MAX_BYTES (1 << 20)    /* larger files are refused */
#define CAIRN_CONFIG_MAX_REPLICAS 64
#define CAIRN_CONFIG_MAX_SETS 1024
#define CAIRN_CONFIG_MAX_DRILLS 64
#define CAIRN_CONFIG_THREADS_MAX 256
#define CAIRN_CONFIG_TRANSFERS_MAX 64
#define CAIRN_CONFIG_COUNT_MAX 2147483647   /* keep-* counts: 0..COUNT_MAX */
#define CAIRN_CONFIG_TAG_MAX 64
/* Defaults the file applies itself. */
#define CAIRN_CONFIG_DEFAULT_DELETE_GRACE_NS (7LL * 86400 * 1000000000LL)
#define CAIRN_CONFIG_DEFAULT_HOOK_TIMEOUT_NS (300LL * 1000000000LL)
#define CAIRN_CONFIG_DEFAULT_DRILL_WITHIN_NS (7LL * 86400 * 1000000000LL)
#define CAIRN_CONFIG_DEFAULT_DRILL_SAMPLE 100

enum cairn_config_log {
	CAIRN_CONFIG_LOG_UNSET = 0,
	CAIRN_CONFIG_LOG_STDERR,
	CAIRN_CONFIG_LOG_SYSLOG
};

/* Same meaning as enum cairn_s3_addressing, plus "unset". */
enum cairn_config_addressing {
	CAIRN_CONFIG_ADDRESSING_UNSET = 0,
	CAIRN_CONFIG_ADDRESSING_AUTO,
	CAIRN_CONFIG_ADDRESSING_PATH,
	CAIRN_CONFIG_ADDRESSING_VIRTUAL
};

enum cairn_config_url_kind {
	CAIRN_CONFIG_URL_LOCAL = 1, /* "/path" or "file:///path" */
	CAIRN_CONFIG_URL_S3         /* "s3://BUCKET[/PREFIX]" */
};

/* A schedule expression as written (NULL = unset) and parsed. */
struct cairn_config_schedule {
	char *text;
	struct cairn_schedule spec; /* kind CAIRN_SCHEDULE_NONE when text is NULL */
	unsigned line;              /* where it was set, 0 when unset */
};

/* Retention rules of a site; each -1 when unset. */
struct cairn_config_retention {
	int keep_last, keep_hourly, keep_daily, keep_weekly, keep_monthly, keep_yearly;
	int64_t keep_within_ns;
};

/* [repository] (name "primary") or [replica NAME]. Timeouts, deadline
 * and rpo are nanoseconds. Paths are absolute. */
struct cairn_site_config {
	char *name;                 /* "primary" or the replica's name */
	unsigned line;              /* line of the section header, for messages */
	int is_replica;
	char *url;                  /* as written; never NULL after a successful parse */
	enum cairn_config_url_kind url_kind;
	/* S3 only (refused on a local url). Flag / environment they stand for: */
	char *endpoint;             /* --s3-endpoint, AWS_ENDPOINT_URL_S3 */
	char *region;               /* --s3-region, AWS_REGION */
	enum cairn_config_addressing addressing; /* --s3-addressing, CAIRN_S3_ADDRESSING */
	char *ca_bundle;            /* --ca-bundle, AWS_CA_BUNDLE */
	char *profile;              /* AWS_PROFILE */
	char *credentials_file;     /* AWS_SHARED_CREDENTIALS_FILE */
	char *access_key_id;        /* AWS_ACCESS_KEY_ID; set together with secret_access_key_file */
	char *secret_access_key_file; /* a file holding AWS_SECRET_ACCESS_KEY */
	char *session_token_file;   /* a file holding AWS_SESSION_TOKEN (needs access_key_id) */
	int64_t connect_timeout_ns; /* CAIRN_S3_CONNECT_TIMEOUT */
	int64_t stall_timeout_ns;   /* CAIRN_S3_STALL_TIMEOUT */
	int64_t request_timeout_ns; /* CAIRN_S3_REQUEST_TIMEOUT */
	int64_t deadline_ns;        /* CAIRN_S3_DEADLINE */
	int64_t limit_upload;       /* bytes/s, 0 = none: --limit-upload, CAIRN_S3_LIMIT_UPLOAD */
	int64_t limit_download;     /* bytes/s, 0 = none: --limit-download, CAIRN_S3_LIMIT_DOWNLOAD */
	int transfers;              /* parallel transfers 1..64 */
	/* any site */
	int64_t rpo_ns;             /* overrides [cairn] rpo for this site */
	struct cairn_config_retention retention;
	/* replicas only (on the primary: -1, -1, unset) */
	int64_t delete_grace_ns;    /* default CAIRN_CONFIG_DEFAULT_DELETE_GRACE_NS */
	int64_t object_lock_ns;     /* S3 Object Lock retention; 0 = "off"; -1 unset (= off) */
	struct cairn_config_schedule schedule; /* when to replicate */
};

/* [backup NAME] */
struct cairn_backup_set {
	char *name;
	unsigned line;
	char **paths;               /* absolute paths, in file order; npaths >= 1 */
	size_t npaths;
	char **excludes;            /* glob patterns */
	size_t nexcludes;
	char **tags;                /* [A-Za-z0-9._:@+=-]{1,64} */
	size_t ntags;
	struct cairn_config_schedule schedule;
	int64_t jitter_ns;          /* -1 unset (= none) */
	char *pre_hook;             /* run by /bin/sh -c; NULL = none */
	char *post_hook;
	int64_t hook_timeout_ns;    /* default CAIRN_CONFIG_DEFAULT_HOOK_TIMEOUT_NS */
	int one_file_system;        /* 1, 0, or -1 when unset (= no) */
};

/* [jobs] */
struct cairn_config_jobs {
	struct cairn_config_schedule prune;
	struct cairn_config_schedule check;
	int check_read_data;        /* percentage 0..100, -1 unset */
};

/* [drill NAME]: a disaster-recovery drill that `cairn-agent run` runs on
 * its schedule as `cairn-restore drill --from SITE --random-point ...`.
 * Durations are nanoseconds. */
struct cairn_drill_config {
	char *name;
	unsigned line;              /* line of the section header */
	char *site;                 /* "primary" or a configured replica's name; never NULL after a parse */
	unsigned site_line;         /* where 'site' was set */
	struct cairn_config_schedule schedule; /* never unset after a parse */
	int64_t within_ns;          /* a random point of the last `within`; default CAIRN_CONFIG_DEFAULT_DRILL_WITHIN_NS */
	int sample;                 /* percentage of the files verified, 1..100; default CAIRN_CONFIG_DEFAULT_DRILL_SAMPLE */
	int64_t rpo_ns;             /* the drill's RPO objective, -1 unset (none) */
	int64_t rto_ns;             /* its RTO objective, -1 unset (none) */
	char *report;               /* report file, NULL = none */
	char *scratch;              /* directory to restore into, NULL = the drill's default */
	int64_t jitter_ns;          /* -1 unset (= none) */
};

/* A parsed file. Owns every string and array in it. */
struct cairn_config {
	char *file;                 /* the name used in messages */
	/* [cairn] */
	unsigned cairn_line;        /* 0 when there is no [cairn] section */
	char *state_dir;            /* --state-dir, CAIRN_STATE_DIR */
	char *key_file;             /* --key-file, CAIRN_KEY_FILE (never with passphrase_file) */
	char *passphrase_file;      /* --passphrase-file, CAIRN_PASSPHRASE_FILE */
	char *host;                 /* NULL = the caller uses gethostname() */
	int threads;                /* --threads, 1..256, -1 unset */
	int64_t rpo_ns;             /* default RPO target of every site, -1 unset */
	char *metrics_file;         /* Prometheus textfile path, NULL = none */
	enum cairn_config_log log;  /* --syslog */
	int64_t lock_wait_ns;       /* 0 = do not wait, -1 unset (= 0) */
	/* sites */
	struct cairn_site_config primary;
	struct cairn_site_config *replicas;
	size_t nreplicas;
	/* backup sets, in file order */
	struct cairn_backup_set *sets;
	size_t nsets;
	struct cairn_config_jobs jobs;
	/* drills, in file order */
	struct cairn_drill_config *drills;
	size_t ndrills;
};

/* The file to load: `flag` (the --config argument) when not NULL, else
 * $CAIRN_CONFIG when set and not empty, else CAIRN_CONFIG_DEFAULT_PATH.
 * *ret_explicit (may be NULL) is 1 unless the default was chosen, so a
 * program can run without a file when the default one does not exist but
 * must fail when a named one does not. The string is borrowed. */
const char *cairn_config_path(const char *flag, int *ret_explicit);

/* Read and parse the file at `path`. The file must be a regular file, at
 * most CAIRN_CONFIG_MAX_BYTES, and not writable by others. 0 and *ret (free
 * with cairn_config_free), or CAIRN_ENOTFOUND (no such file, named),
 * CAIRN_EIO (cannot open or read it, with strerror), CAIRN_EINVAL (a
 * world-writable or non-regular file, or any error of the contents),
 * CAIRN_ENOMEM. */
int cairn_config_load(const char *path, struct cairn_config **ret);

/* Parse `len` bytes of configuration text; `name` stands for the file in
 * messages (copied; NULL = "config"). A NUL byte is an error. 0 and *ret,
 * CAIRN_EINVAL or CAIRN_ENOMEM. */
int cairn_config_parse_buf(const void *data, size_t len, const char *name, struct cairn_config **ret);

/* The same for a NUL-terminated string. */
int cairn_config_parse(const char *text, const char *name, struct cairn_config **ret);

/* Free everything. NULL does nothing. */
void cairn_config_free(struct cairn_config *cfg);

/* The site called `name`: "primary" for [repository], else a replica's
 * name. NULL when there is none (or name is NULL). Borrowed from cfg. */
const struct cairn_site_config *cairn_config_site(const struct cairn_config *cfg, const char *name);

/* The backup set called `name`, or NULL. Borrowed from cfg. */
const struct cairn_backup_set *cairn_config_backup_set(const struct cairn_config *cfg, const char *name);

/* The drill called `name`, or NULL. Borrowed from cfg. */
const struct cairn_drill_config *cairn_config_drill(const struct cairn_config *cfg, const char *name);

/* The RPO target of `site`: its own rpo, else [cairn] rpo, else -1. */
int64_t cairn_config_site_rpo(const struct cairn_config *cfg, const struct cairn_site_config *site);

/* Non-zero when any retention rule is set. */
int cairn_config_retention_is_set(const struct cairn_config_retention *r);

/* Read a secret (S3 secret key, session token) from the file at `path`:
 * its first line without the line end, 1..4096 bytes, no NUL. The file
 * must not be readable or writable by others. *ret is malloc'd (the
 * caller wipes and frees it). 0, CAIRN_ENOTFOUND, CAIRN_EIO, CAIRN_EINVAL
 * (empty, too long, or open to others; the detail names the file, never
 * the secret), CAIRN_ENOMEM. */
int cairn_config_read_secret(const char *path, char **ret);

#endif
