/* Parsing the options shared by every repository command. */
#include "cli_args.h"

#include <stdlib.h>
#include <string.h>

int cli_common_option(struct cli_repo_opts *o, int opt, const char *arg, int *want_help)
{
	char *end;
	long n;

	switch (opt) {
	case CLI_OPT_REPO:
		o->repo = arg;
		return 1;
	case CLI_OPT_KEY_FILE:
		o->key_file = arg;
		return 1;
	case CLI_OPT_PASSPHRASE_FILE:
		o->passphrase_file = arg;
		return 1;
	case CLI_OPT_STATE_DIR:
		o->state_dir = arg;
		return 1;
	case CLI_OPT_JSON:
		o->json = 1;
		return 1;
	case CLI_OPT_QUIET:
		o->quiet = 1;
		return 1;
	case CLI_OPT_THREADS:
		n = strtol(arg, &end, 10);
		if (*arg == '\0' || *end != '\0' || n < 1 || n > 256) {
			cli_error(o->ctx, "--threads takes a number from 1 to 256, not '%s'", arg);
			return -1;
		}
		o->threads = (int)n;
		return 1;
	case CLI_OPT_HELP:
		*want_help = 1;
		return 1;
	case CLI_OPT_CONFIG:
		o->config = arg;
		return 1;
	case CLI_OPT_SYSLOG:
		cli_syslog_enable(o->ctx, 1);
		return 1;
	/* S3 settings are the standard AWS variables: a flag sets the variable
	 * for this process, so flags and environment mean exactly the same
	 * (for one-off URLs); they are also kept to beat a configured primary's keys */
	case CLI_OPT_S3_ENDPOINT:
		o->s3.endpoint = arg;
		setenv("AWS_ENDPOINT_URL_S3", arg, 1);
		return 1;
	case CLI_OPT_S3_REGION:
		o->s3.region = arg;
		setenv("AWS_REGION", arg, 1);
		return 1;
	case CLI_OPT_S3_ADDRESSING:
		if (strcmp(arg, "path") != 0 && strcmp(arg, "virtual") != 0) {
			cli_error(o->ctx, "--s3-addressing takes 'path' or 'virtual', not '%s'", arg);
			return -1;
		}
		o->s3.addressing = arg;
		setenv("CAIRN_S3_ADDRESSING", arg, 1);
		return 1;
	case CLI_OPT_CA_BUNDLE:
		o->s3.ca_bundle = arg;
		setenv("AWS_CA_BUNDLE", arg, 1);
		return 1;
	case CLI_OPT_LIMIT_UPLOAD:
	case CLI_OPT_LIMIT_DOWNLOAD:
		/* the value is checked, with the variable named, when the store opens */
		if (arg[0] == '\0') {
			cli_error(o->ctx, "--limit-%s takes a rate such as 512k or 10M (0 for none), not ''",
				  opt == CLI_OPT_LIMIT_UPLOAD ? "upload" : "download");
			return -1;
		}
		if (opt == CLI_OPT_LIMIT_UPLOAD)
			o->s3.limit_upload = arg;
		else
			o->s3.limit_download = arg;
		setenv(opt == CLI_OPT_LIMIT_UPLOAD ? "CAIRN_S3_LIMIT_UPLOAD" : "CAIRN_S3_LIMIT_DOWNLOAD", arg, 1);
		return 1;
	default:
		return 0;
	}
}
