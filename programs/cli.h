/* What cairn-agent and cairn-restore share: exit codes, messages, options
 * for opening a repository, progress output and formatting. */
#ifndef CAIRN_CLI_H
#define CAIRN_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "cairn/config.h"
#include "cairn/crypto.h"
#include "cairn/repo.h"
#include "cairn/restore.h"

#include "cairn/site.h"

/* Exit codes, documented in README.md and in --help. */
enum cairn_exit {
	CAIRN_EXIT_OK = 0,
	CAIRN_EXIT_ERROR = 1,       /* the command failed (I/O error, internal error) */
	CAIRN_EXIT_USAGE = 2,       /* bad arguments or configuration */
	CAIRN_EXIT_PARTIAL = 3,     /* completed, but some entries could not be read/restored */
	CAIRN_EXIT_AUTH = 4,        /* wrong key or passphrase */
	CAIRN_EXIT_REPO = 5,        /* repository missing, malformed or of an unsupported version */
	CAIRN_EXIT_LOCKED = 6,      /* another run holds the repository */
	CAIRN_EXIT_RPO = 7,         /* the recovery point is older than the RPO allows */
	CAIRN_EXIT_DAMAGED = 8,     /* damaged or missing data was found */
	CAIRN_EXIT_NO_POINT = 9,    /* no recovery point at or before the requested time */
	CAIRN_EXIT_REPLICATION = 10, /* replication to a site failed (the primary's snapshots are safe) */
	CAIRN_EXIT_RTO = 11         /* a drill's recovery took longer than its RTO allows */
};

#define CAIRN_EXIT_CODES_HELP                                                              \
	"Exit codes:\n"                                                                    \
	"  0  success\n"                                                                   \
	"  1  failure (I/O or internal error)\n"                                           \
	"  2  usage error: bad arguments, or a target that is not empty\n"                 \
	"  3  partial: some entries could not be read (backup) or restored (restore)\n"    \
	"  4  wrong key or passphrase, or S3 credentials refused\n"                        \
	"  5  repository (or its S3 bucket) missing, malformed or of an unsupported\n"     \
	"     version\n"                                                                   \
	"  6  repository locked by another run\n"                                          \
	"  7  RPO not met: the recovery point is older than --rpo allows\n"                \
	"  8  damaged or missing data found in the repository\n"                           \
	"  9  no recovery point at or before the requested time\n"                         \
	"  10 replication to a replica site failed (the primary is unaffected)\n"          \
	"  11 RTO not met: a drill's recovery took longer than --rto allows\n"

/* What one run of a program carries from main() to every message and job
 * record. main() (cli_main) creates it and passes it down explicitly:
 * to each command as an argument, to the command's helpers inside
 * struct cli_repo_opts (o->ctx). Nothing of a run lives in a global, so two
 * contexts (tests, a program that runs jobs one after the other) keep their
 * own job report and messages. */
struct job_report;
struct cli_ctx {
	const char *program;       /* "cairn-agent": the prefix of messages, syslog's ident (borrowed) */
	struct job_report *report; /* the run's job record (job_report.h), or NULL: none is kept */
	int syslog;                /* log lines also go to syslog(3) (cli_syslog_enable) */
};

/* A context for `program` (borrowed, e.g. a string literal) whose errors
 * become `report`'s message (NULL: no report). */
void cli_ctx_init(struct cli_ctx *ctx, const char *program, struct job_report *report);
/* Close what the run opened (the syslog connection). */
void cli_ctx_close(struct cli_ctx *ctx);

/* Options every repository command takes. Strings are borrowed from argv,
 * the environment or `cfg`; cfg is owned (cli_repo_opts_free). */
struct cli_repo_opts {
	struct cli_ctx *ctx;         /* the run (borrowed): where messages and the job record go */
	const char *config;          /* --config FILE, else CAIRN_CONFIG, else the default path */
	const char *repo;            /* --repo/--from URL|NAME, CAIRN_REPO, [repository] url */
	const char *key_file;        /* --key-file, CAIRN_KEY_FILE, [cairn] key-file */
	const char *passphrase_file; /* --passphrase-file, CAIRN_PASSPHRASE_FILE, [cairn] passphrase-file */
	const char *state_dir;       /* --state-dir, CAIRN_STATE_DIR, [cairn] state-dir */
	const char *host;            /* [cairn] host; NULL = this host's name */
	int json;
	int quiet;
	int threads;                 /* --threads, [cairn] threads; 0 = the program's default */
	int no_sync;                 /* cli_open_repo: do not synchronise the catalog (status) */
	struct cairn_site_flags s3;       /* S3 flags given on the command line (they beat the file) */
	struct cairn_config *cfg;    /* the configuration file, NULL when there is none */
	const struct cairn_site_config *repo_site; /* the configured site the repository is, or NULL */
};

/* "cairn-agent: error: <msg>" on stderr, and to syslog(3) (LOG_ERR,
 * LOG_WARNING) when the run logs there. cli_error's message also becomes
 * the message of ctx's job report (job_report_message). A NULL ctx (code
 * used outside a run) prints with the prefix "cairn" and records nothing. */
void cli_error(const struct cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_warn(const struct cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line on stderr (when `print`) and to syslog with `priority` (LOG_INFO,
 * ...) when the run logs there: the job summary. */
void cli_log_line(const struct cli_ctx *ctx, int priority, int print, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Log lines also to syslog (ident: the program name, facility LOG_DAEMON):
 * --syslog (from_flag 1) or [cairn] log = syslog (0). From the
 * configuration only when stderr is not already the systemd journal
 * (JOURNAL_STREAM names stderr), so that each line is logged once; the
 * flag always. The choice is kept in ctx; cli_ctx_close closes the log
 * (syslog(3) itself has one connection per process: one logging run at a
 * time). */
void cli_syslog_enable(struct cli_ctx *ctx, int from_flag);
void cli_info(const struct cli_repo_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print the library's error detail for rc (cli_error) and return the exit
 * code for it. */
int cli_fail(const struct cli_ctx *ctx, int rc, const char *what);
/* The exit code for a library error code. */
int cli_exit_for(int rc);

/* Load the configuration file (--config, CAIRN_CONFIG, else the default
 * path, which may be missing), then fill what the flags left unset from the
 * environment, then from the file: flag > environment > file > default.
 * The repository (--repo, --from, CAIRN_REPO) may name a configured site
 * ("primary" or a replica's name); when it is, or when it comes from the
 * file, o->repo_site is that site. Prints errors; returns 0 or an exit code
 * (CAIRN_EXIT_USAGE for a bad, or an explicitly named but missing, file). */
int cli_repo_opts_env(struct cli_repo_opts *o);
/* Free what cli_repo_opts_env loaded. */
void cli_repo_opts_free(struct cli_repo_opts *o);
/* The repository URLs every command takes, for messages. */
#define CLI_URL_FORMS "/path or file:///path for a directory, s3://BUCKET/PREFIX"
/* Whether `value` is a URL of a scheme Cairn supports (file://, s3://) or
 * has no scheme ("://") at all: a path or a site name. */
int cli_url_supported(const char *value);
/* 0 when cli_url_supported(value); else prints "FROM 'ftp://x': unsupported
 * URL scheme 'ftp' (supported: ...)" and returns CAIRN_EXIT_USAGE. `from`
 * says where the value came from ("--to", "CAIRN_REPO"). */
int cli_url_check(const struct cli_ctx *ctx, const char *value, const char *from);
/* A configured site by `value`: NULL when `value` is a URL (it holds "://"
 * or a '/'), else *ret_site (NULL when there is no such site). Returns 1
 * when `value` is a site name, 0 when it is a URL. A URL of an unsupported
 * scheme (ftp://, gs://) is neither: 1 with *ret_site NULL, so that every
 * caller refuses it as a usage error ("neither a site nor a URL"). */
int cli_site_lookup(const struct cli_repo_opts *o, const char *value, const struct cairn_site_config **ret_site);
/* "dr, offsite" (the configured replicas' names) or "none", into out. */
void cli_replica_names(const struct cli_repo_opts *o, char *out, size_t len);
/* Load the secret named by the options (key file, passphrase file, or the
 * CAIRN_PASSPHRASE environment variable). `create_key_file`: create a
 * missing key file (init). */
int cli_load_secret(const struct cli_repo_opts *o, int create_key_file, struct cairn_secret **ret);
/* The state directory: o->state_dir, else $XDG_CACHE_HOME/cairn, else
 * ~/.cache/cairn, else /var/cache/cairn. malloc'd; NULL when out of memory. */
char *cli_state_dir(const struct cli_repo_opts *o);
/* Open and synchronise the repository; prints errors. Returns an exit code. */
int cli_open_repo(const struct cli_repo_opts *o, struct cairn_repo **ret);

/* Human sizes and rates. */
void cli_format_bytes(uint64_t bytes, char *out, size_t len);

/* Progress on stderr: a rewritten line on a terminal, a plain line every
 * 10 s otherwise, nothing with --quiet or --json. */
struct cli_progress {
	int enabled;
	int tty;
	int64_t start_ns;
	int64_t last_line_ns;
	int dirty;
};
void cli_progress_init(struct cli_progress *p, const struct cli_repo_opts *o);
void cli_progress_line(struct cli_progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_progress_done(struct cli_progress *p);

#endif
