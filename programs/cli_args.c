/* Parsing the options shared by every repository command. */
#include "cli_args.h"

#include <stdlib.h>

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
			cli_error("--threads takes a number from 1 to 256, not '%s'", arg);
			return -1;
		}
		o->threads = (int)n;
		return 1;
	case CLI_OPT_HELP:
		*want_help = 1;
		return 1;
	default:
		return 0;
	}
}
