/* cairn-agent init: create a repository and its first key. */
#include "agent.h"

#include "cli_args.h"

#include "cairn/err.h"
#include "cairn/repo.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char usage[] = "usage: cairn-agent init --repo URL (--key-file FILE | --passphrase-file FILE)\n"
			    "\n"
			    "Creates the repository and wraps a new random master key for the given key.\n"
			    "A key file that does not exist yet is created (mode 0600). The location must\n"
			    "be empty: an existing repository, or any other object there, is refused\n"
			    "(exit 2) and left untouched.\n"
			    "\n" CLI_COMMON_OPTIONS_HELP;

int cmd_init(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_COMMON_LONG_OPTIONS, { NULL, 0, NULL, 0 } };
	struct cli_repo_opts o = { .ctx = ctx };
	struct cairn_secret *secret = NULL;
	char id[CAIRN_ID_HEX], host[256] = "";
	int opt, help = 0, code, rc;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int r = cli_common_option(&o, opt, optarg, &help);

		if (r < 0 || (r == 0)) {
			fputs(usage, stderr);
			return CAIRN_EXIT_USAGE;
		}
	}
	if (help) {
		fputs(usage, stdout);
		return CAIRN_EXIT_OK;
	}
	if (optind != argc) {
		cli_error(ctx, "unexpected argument '%s'", argv[optind]);
		return CAIRN_EXIT_USAGE;
	}
	code = cli_repo_opts_env(&o);
	if (code != 0)
		goto out;
	code = CAIRN_EXIT_USAGE;
	if (o.repo == NULL) {
		cli_error(ctx, "no repository given: use --repo URL, set CAIRN_REPO, or name one in the "
			  "configuration file ([repository] url)");
		goto out;
	}
	code = cli_load_secret(&o, 1, &secret);
	if (code != 0)
		goto out;
	if (o.host != NULL)
		snprintf(host, sizeof(host), "%s", o.host);
	else
		gethostname(host, sizeof(host) - 1);
	if (o.repo_site != NULL) {
		/* a configured site: its own endpoint, region and credentials */
		struct cairn_store *store = NULL;

		rc = cairn_site_store_open(o.repo_site, o.repo, &o.s3, 1, &store);
		if (rc == 0)
			rc = cairn_repo_init_store(store, o.repo, secret, host, NULL, id);
	} else {
		rc = cairn_repo_init(o.repo, secret, host, NULL, id);
	}
	cairn_secret_free(secret);
	if (rc < 0) {
		code = cli_fail(ctx, rc, NULL);
		if (rc == CAIRN_EEXIST)
			code = CAIRN_EXIT_USAGE;
		goto out;
	}
	if (o.json) {
		json_t *j = json_pack("{s:s, s:s, s:i}", "repository", o.repo, "id", id, "format", CAIRN_FORMAT_VERSION);
		char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

		if (text != NULL)
			puts(text);
		free(text);
		json_decref(j);
	} else if (!o.quiet) {
		printf("created repository %.8s at %s\n", id, o.repo);
	}
	code = CAIRN_EXIT_OK;
out:
	cli_repo_opts_free(&o);
	return code;
}
