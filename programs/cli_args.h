/* Parsing the options shared by every repository command. */
#ifndef CAIRN_CLI_ARGS_H
#define CAIRN_CLI_ARGS_H

#include <getopt.h>

#include "cli.h"

/* Long option values of the common options (>= 1000 to stay clear of
 * single-letter options). */
enum {
	CLI_OPT_REPO = 1000,
	CLI_OPT_KEY_FILE,
	CLI_OPT_PASSPHRASE_FILE,
	CLI_OPT_STATE_DIR,
	CLI_OPT_JSON,
	CLI_OPT_QUIET,
	CLI_OPT_THREADS,
	CLI_OPT_HELP,
	CLI_OPT_S3_ENDPOINT,
	CLI_OPT_S3_REGION,
	CLI_OPT_S3_ADDRESSING,
	CLI_OPT_CA_BUNDLE,
	CLI_OPT_LIMIT_UPLOAD,
	CLI_OPT_LIMIT_DOWNLOAD,
	CLI_OPT_CONFIG,
	CLI_OPT_SYSLOG,
	CLI_OPT_COMMAND_BASE = 1100 /* commands number their own options from here */
};

#define CLI_COMMON_LONG_OPTIONS                                                   \
	{ "repo", required_argument, NULL, CLI_OPT_REPO },                        \
	{ "key-file", required_argument, NULL, CLI_OPT_KEY_FILE },                \
	{ "passphrase-file", required_argument, NULL, CLI_OPT_PASSPHRASE_FILE },  \
	{ "state-dir", required_argument, NULL, CLI_OPT_STATE_DIR },              \
	{ "json", no_argument, NULL, CLI_OPT_JSON },                              \
	{ "quiet", no_argument, NULL, CLI_OPT_QUIET },                            \
	{ "threads", required_argument, NULL, CLI_OPT_THREADS },                  \
	{ "help", no_argument, NULL, CLI_OPT_HELP },                              \
	{ "s3-endpoint", required_argument, NULL, CLI_OPT_S3_ENDPOINT },          \
	{ "s3-region", required_argument, NULL, CLI_OPT_S3_REGION },              \
	{ "s3-addressing", required_argument, NULL, CLI_OPT_S3_ADDRESSING },      \
	{ "ca-bundle", required_argument, NULL, CLI_OPT_CA_BUNDLE },              \
	{ "limit-upload", required_argument, NULL, CLI_OPT_LIMIT_UPLOAD },        \
	{ "limit-download", required_argument, NULL, CLI_OPT_LIMIT_DOWNLOAD },    \
	{ "config", required_argument, NULL, CLI_OPT_CONFIG },                    \
	{ "syslog", no_argument, NULL, CLI_OPT_SYSLOG }

#define CLI_COMMON_OPTIONS_HELP                                                          \
	"Repository options (also from the environment, then the configuration file):\n"  \
	"  --config FILE           configuration file (CAIRN_CONFIG, default\n"           \
	"                          " CAIRN_CONFIG_DEFAULT_PATH ", which may be missing)\n" \
	"  --repo URL|NAME         file:///path, a path, or    (CAIRN_REPO, else\n"      \
	"                          s3://BUCKET/PREFIX (below), [repository] url)\n"      \
	"                          or a configured site's name\n"                        \
	"  --key-file FILE         raw key file, mode 0600     (CAIRN_KEY_FILE)\n"       \
	"  --passphrase-file FILE  file holding a passphrase   (CAIRN_PASSPHRASE_FILE;\n" \
	"                          or the passphrase itself in CAIRN_PASSPHRASE)\n"      \
	"  --state-dir DIR         local catalog cache         (CAIRN_STATE_DIR,\n"      \
	"                          default ~/.cache/cairn)\n"                            \
	"  --json                  machine-readable output on stdout\n"                  \
	"  --quiet                 no progress or informational messages\n"              \
	"  --threads N             worker threads (default: number of CPUs)\n"              \
	"  --syslog                also send errors, warnings and job summaries to\n"    \
	"                          syslog (facility daemon; [cairn] log = syslog, which\n" \
	"                          is skipped when stderr is already the journal)\n"     \
	"Precedence: flag > environment variable > configuration file > default.\n"      \
	"S3 repositories (URL s3://BUCKET/PREFIX; credentials from AWS_ACCESS_KEY_ID,\n"  \
	"AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN or ~/.aws/credentials with AWS_PROFILE;\n" \
	"a configured site's own keys beat these variables, the flags beat both):\n"     \
	"  --s3-endpoint URL       endpoint, http:// only when given so\n"                 \
	"                          (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL)\n"              \
	"  --s3-region REGION      signing region (AWS_REGION, AWS_DEFAULT_REGION)\n"       \
	"  --s3-addressing STYLE   path or virtual (CAIRN_S3_ADDRESSING)\n"                 \
	"  --ca-bundle FILE        CA certificates for a private CA (AWS_CA_BUNDLE)\n"          \
	"  --limit-upload RATE     bandwidth per request in bytes/s: 512k, 10M, 1.5G;\n"      \
	"                          0 = none (CAIRN_S3_LIMIT_UPLOAD, default none)\n"          \
	"  --limit-download RATE   the same for downloads (CAIRN_S3_LIMIT_DOWNLOAD)\n"         \
	"Timeouts (durations: 90s, 2m, 1h30m): CAIRN_S3_CONNECT_TIMEOUT (10s),\n"           \
	"CAIRN_S3_STALL_TIMEOUT (30s below 1 KiB/s), CAIRN_S3_REQUEST_TIMEOUT (5m),\n"       \
	"CAIRN_S3_DEADLINE (2m per operation, retries included)\n"

/* `--from URL|NAME`: the repository to read, for restore commands (the same
 * as --repo; reads better for a replica in a disaster-recovery run). */
#define CLI_FROM_LONG_OPTION { "from", required_argument, NULL, CLI_OPT_REPO }

/* Handle a common option. Returns 1 if `opt` was one, 0 if not, -1 for a
 * bad value (message printed). CLI_OPT_HELP sets *want_help. */
int cli_common_option(struct cli_repo_opts *o, int opt, const char *arg, int *want_help);

#endif
