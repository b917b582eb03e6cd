/* cairn-agent config check: parse and validate the configuration file, and each site's store settings. */
#include "agent.h"

#include "cli_args.h"
#include "cairn/site.h"

#include "cairn/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: cairn-agent config check [--config FILE]\n"
	"\n"
	"Reads and validates the configuration file (--config, else CAIRN_CONFIG, else\n"
	"" CAIRN_CONFIG_DEFAULT_PATH "): every key, value and section, then each site's store\n"
	"settings (S3 endpoint, credentials and secret files readable) and the key file,\n"
	"without sending any request. Prints 'FILE: OK (...)' and exits 0, or prints\n"
	"each problem (FILE:LINE: reason for the file's own errors) and exits 2.\n"
	"\n"
	"  --config FILE   the file to check\n"
	"  --quiet         print nothing when the file is fine\n";

/* Open the site's store from its settings alone: for S3 nothing is sent. */
static int check_site(const struct cli_ctx *ctx, const struct cairn_config *cfg, const struct cairn_site_config *site)
{
	struct cairn_store *store = NULL;
	struct cairn_s3_options so;
	int rc;

	if (site->url_kind != CAIRN_CONFIG_URL_S3)
		return 0;
	rc = cairn_site_s3_options(site, NULL, &so);
	if (rc == 0) {
		rc = cairn_s3_open(&so, &store);
		cairn_s3_options_free(&so);
	}
	cairn_store_free(store);
	if (rc != 0) {
		cli_error(ctx, "%s:%u: [%s%s]: %s", cfg->file, site->line, site->is_replica ? "replica " : "repository",
			  site->is_replica ? site->name : "", cairn_err_msg());
		return -1;
	}
	return 0;
}

static int check_file_readable(const struct cli_ctx *ctx, const struct cairn_config *cfg, const char *key,
			       const char *path)
{
	if (path == NULL || access(path, R_OK) == 0)
		return 0;
	if (errno == ENOENT) {
		/* 'cairn-agent init' creates a missing key file */
		cli_warn(ctx, "%s:%u: [cairn] %s '%s' does not exist yet", cfg->file, cfg->cairn_line, key, path);
		return 0;
	}
	cli_error(ctx, "%s:%u: [cairn] %s '%s' cannot be read: %s", cfg->file, cfg->cairn_line, key, path,
		  strerror(errno));
	return -1;
}

static int run_check(const struct cli_ctx *ctx, const char *flag, int quiet)
{
	struct cairn_config *cfg = NULL;
	const char *path;
	int explicit = 0, rc, bad = 0;

	path = cairn_config_path(flag, &explicit);
	rc = cairn_config_load(path, &cfg);
	if (rc < 0) {
		cli_error(ctx, "%s", cairn_err_msg());
		return rc == CAIRN_ENOMEM ? CAIRN_EXIT_ERROR : CAIRN_EXIT_USAGE;
	}
	bad |= check_file_readable(ctx, cfg, "key-file", cfg->key_file);
	bad |= check_file_readable(ctx, cfg, "passphrase-file", cfg->passphrase_file);
	bad |= check_site(ctx, cfg, &cfg->primary);
	for (size_t i = 0; i < cfg->nreplicas; i++)
		bad |= check_site(ctx, cfg, &cfg->replicas[i]);
	if (!bad && !quiet)
		printf("%s: OK (primary %s, %zu replica%s, %zu backup set%s)\n", cfg->file, cfg->primary.url,
		       cfg->nreplicas, cfg->nreplicas == 1 ? "" : "s", cfg->nsets, cfg->nsets == 1 ? "" : "s");
	cairn_config_free(cfg);
	return bad ? CAIRN_EXIT_USAGE : CAIRN_EXIT_OK;
}

int cmd_config(struct cli_ctx *ctx, int argc, char **argv)
{
	enum { OPT_CONFIG = CLI_OPT_COMMAND_BASE, OPT_HELP, OPT_QUIET };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL;
	int opt, help = 0, quiet = 0;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (opt == OPT_CONFIG) {
			config = optarg;
		} else if (opt == OPT_HELP) {
			help = 1;
		} else if (opt == OPT_QUIET) {
			quiet = 1;
		} else {
			fputs(usage, stderr);
			return CAIRN_EXIT_USAGE;
		}
	}
	if (help) {
		fputs(usage, stdout);
		return CAIRN_EXIT_OK;
	}
	if (optind + 1 != argc || strcmp(argv[optind], "check") != 0) {
		if (optind < argc)
			cli_error(ctx, "unknown config command '%s'", argv[optind]);
		fputs(usage, stderr);
		return CAIRN_EXIT_USAGE;
	}
	return run_check(ctx, config, quiet);
}
