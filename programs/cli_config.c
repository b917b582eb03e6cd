/* The configuration file and the environment under the command-line flags: flag > environment > file > default. */
#include "cli.h"

#include "cairn/err.h"

#include <stdlib.h>
#include <string.h>

static const char *env_value(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

int cli_url_supported(const char *value)
{
	const char *sep = strstr(value, "://");

	return sep == NULL || strncmp(value, "file://", 7) == 0 || strncmp(value, "s3://", 5) == 0;
}

int cli_url_check(const struct cli_ctx *ctx, const char *value, const char *from)
{
	const char *sep = strstr(value, "://");

	if (cli_url_supported(value))
		return 0;
	cli_error(ctx, "%s '%s': unsupported URL scheme '%.*s' (supported: " CLI_URL_FORMS ")", from, value,
		  (int)(sep - value), value);
	return CAIRN_EXIT_USAGE;
}

int cli_site_lookup(const struct cli_repo_opts *o, const char *value, const struct cairn_site_config **ret_site)
{
	if (!cli_url_supported(value)) {
		*ret_site = NULL; /* a URL of another scheme: no site either */
		return 1;
	}
	if (strstr(value, "://") != NULL || strchr(value, '/') != NULL) {
		*ret_site = NULL;
		return 0;
	}
	*ret_site = o->cfg != NULL ? cairn_config_site(o->cfg, value) : NULL;
	return 1;
}

void cli_replica_names(const struct cli_repo_opts *o, char *out, size_t len)
{
	size_t used = 0;

	snprintf(out, len, "none");
	for (size_t i = 0; o->cfg != NULL && i < o->cfg->nreplicas && used < len; i++) {
		int n = snprintf(out + used, len - used, "%s%s", i ? ", " : "", o->cfg->replicas[i].name);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* The repository: a URL (the primary's settings when it is the primary's
 * url), or the name of a configured site. */
static int resolve_repo(struct cli_repo_opts *o, const char *value, const char *from)
{
	const struct cairn_site_config *site;
	char names[512];
	int code;

	if ((code = cli_url_check(o->ctx, value, from)) != 0)
		return code;
	if (!cli_site_lookup(o, value, &site)) {
		o->repo = value;
		if (o->cfg != NULL && strcmp(value, o->cfg->primary.url) == 0)
			o->repo_site = &o->cfg->primary;
		return 0;
	}
	if (site == NULL) {
		cli_replica_names(o, names, sizeof(names));
		if (o->cfg == NULL)
			cli_error(o->ctx, "%s '%s' is not a URL, and there is no configuration file naming sites (a "
				  "directory here: ./%s)", from, value, value);
		else
			cli_error(o->ctx, "%s '%s' is neither a URL nor a site of '%s' (primary; replicas: %s); for a "
				  "directory here write ./%s", from, value, o->cfg->file, names, value);
		return CAIRN_EXIT_USAGE;
	}
	o->repo = site->url;
	o->repo_site = site;
	return 0;
}

int cli_repo_opts_env(struct cli_repo_opts *o)
{
	const struct cairn_config *cfg;
	const char *path, *repo;
	int explicit = 0, rc;

	path = cairn_config_path(o->config, &explicit);
	rc = cairn_config_load(path, &o->cfg);
	if (rc == CAIRN_ENOTFOUND && !explicit) {
		o->cfg = NULL; /* no file: flags and environment alone */
	} else if (rc < 0) {
		o->cfg = NULL;
		cli_error(o->ctx, "%s", cairn_err_msg());
		return rc == CAIRN_ENOMEM ? CAIRN_EXIT_ERROR : CAIRN_EXIT_USAGE;
	}
	cfg = o->cfg;
	if (cfg != NULL && cfg->log == CAIRN_CONFIG_LOG_SYSLOG)
		cli_syslog_enable(o->ctx, 0);
	/* the key is one setting: a key file, a passphrase file or a passphrase */
	if (o->key_file == NULL && o->passphrase_file == NULL) {
		o->key_file = env_value("CAIRN_KEY_FILE");
		o->passphrase_file = env_value("CAIRN_PASSPHRASE_FILE");
		if (o->key_file == NULL && o->passphrase_file == NULL && env_value("CAIRN_PASSPHRASE") == NULL &&
		    cfg != NULL) {
			o->key_file = cfg->key_file;
			o->passphrase_file = cfg->passphrase_file;
		}
	}
	if (o->state_dir == NULL)
		o->state_dir = env_value("CAIRN_STATE_DIR");
	if (o->state_dir == NULL && cfg != NULL)
		o->state_dir = cfg->state_dir;
	if (o->threads == 0 && cfg != NULL && cfg->threads > 0)
		o->threads = cfg->threads;
	if (cfg != NULL)
		o->host = cfg->host;
	if (o->repo != NULL)
		return resolve_repo(o, o->repo, "--repo/--from");
	repo = env_value("CAIRN_REPO");
	if (repo != NULL)
		return resolve_repo(o, repo, "CAIRN_REPO");
	if (cfg != NULL) {
		o->repo = cfg->primary.url;
		o->repo_site = &cfg->primary;
	}
	return 0;
}

void cli_repo_opts_free(struct cli_repo_opts *o)
{
	cairn_config_free(o->cfg);
	o->cfg = NULL;
	o->repo_site = NULL;
}
