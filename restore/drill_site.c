/* cairn-restore drill: which site is drilled, and under which name it is
 * recorded. The configured primary is refused unless --allow-primary: a
 * disaster-recovery drill proves that a replica alone is enough. */
#include "drill.h"

#include "cairn/buf.h"
#include "cairn/crypto.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* A location in a comparable form: local paths resolved (when they
 * exist), "file://" and trailing slashes dropped. malloc'd. */
static char *location_key(const char *url)
{
	const char *p = strncmp(url, "file://", 7) == 0 ? url + 7 : url;
	char resolved[PATH_MAX], *key;
	size_t n;

	if (strstr(p, "://") == NULL && realpath(p, resolved) != NULL)
		p = resolved;
	key = cairn_strdup(p);
	if (key == NULL)
		return NULL;
	for (n = strlen(key); n > 1 && key[n - 1] == '/'; n--)
		key[n - 1] = '\0';
	return key;
}

static int same_location(const char *a, const char *b)
{
	char *ka = location_key(a), *kb = location_key(b);
	int same = ka != NULL && kb != NULL && strcmp(ka, kb) == 0;

	free(ka);
	free(kb);
	return same;
}

/* The URL the environment's CAIRN_REPO names (a URL or a configured site), or NULL. */
static const char *env_primary_url(const struct drill *d)
{
	const char *v = getenv("CAIRN_REPO");
	const struct cairn_site_config *site;

	if (v == NULL || v[0] == '\0')
		return NULL;
	if (!cli_site_lookup(&d->o, v, &site))
		return v;
	return site != NULL ? site->url : NULL;
}

/* Whether the site is this host's primary: the configuration's
 * [repository], or the repository CAIRN_REPO names. */
static int is_primary(const struct drill *d)
{
	const char *env = env_primary_url(d);

	if (d->o.cfg != NULL && (d->o.repo_site == &d->o.cfg->primary || same_location(d->o.repo, d->o.cfg->primary.url)))
		return 1;
	return env != NULL && same_location(d->o.repo, env);
}

/* The configured site at the same location as the URL, or NULL. */
static const struct cairn_site_config *configured_site(const struct drill *d)
{
	if (d->o.repo_site != NULL || d->o.cfg == NULL)
		return d->o.repo_site;
	for (size_t i = 0; i < d->o.cfg->nreplicas; i++)
		if (same_location(d->o.repo, d->o.cfg->replicas[i].url))
			return &d->o.cfg->replicas[i];
	return NULL;
}

/* "url-" and the first 16 hex digits of the SHA-256 of the URL. */
static void url_file_name(const char *url, char *out, size_t len)
{
	uint8_t h[CAIRN_ID_BYTES];
	char hex[CAIRN_ID_HEX];

	cairn_storage_id(url, strlen(url), h);
	cairn_hex_encode(h, CAIRN_ID_BYTES, hex);
	snprintf(out, len, "url-%.16s", hex);
}

int drill_site_resolve(struct drill *d)
{
	const struct cairn_site_config *site;

	if (d->o.repo == NULL) {
		cli_error(d->o.ctx, "no site given: use --from NAME|URL");
		return CAIRN_EXIT_USAGE;
	}
	if (is_primary(d) && !d->a.allow_primary) {
		cli_error(d->o.ctx, "'%s' is the primary repository: a disaster-recovery drill reads a replica (--from "
			  "NAME|URL); give --allow-primary to drill the primary anyway", d->o.repo);
		return CAIRN_EXIT_USAGE;
	}
	site = configured_site(d);
	d->url = cairn_strdup(d->o.repo);
	d->site = cairn_strdup(site != NULL ? site->name : d->o.repo);
	if (d->url == NULL || d->site == NULL) {
		cli_error(d->o.ctx, "out of memory");
		return CAIRN_EXIT_ERROR;
	}
	if (site != NULL)
		snprintf(d->site_file, sizeof(d->site_file), "%s", site->name);
	else
		url_file_name(d->url, d->site_file, sizeof(d->site_file));
	return 0;
}
