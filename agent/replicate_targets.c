/* Which sites `replicate` and `backup --replicate` copy to: --to NAME|URL, or every configured replica. */
#include "replicate_print.h"

#include <stdlib.h>

int replicate_targets(const struct cli_repo_opts *o, const char *const *to, size_t nto,
		      struct replicate_target **ret, size_t *ret_n)
{
	size_t n = nto > 0 ? nto : (o->cfg != NULL ? o->cfg->nreplicas : 0);
	struct replicate_target *t;
	char names[512];

	if (n == 0) {
		if (o->cfg == NULL)
			cli_error(o->ctx, "no replica given: use --to URL, or name replicas in a configuration file "
				  "([replica NAME] sections; see --config)");
		else
			cli_error(o->ctx, "no replica given: '%s' has no [replica NAME] section; use --to URL",
				  o->cfg->file);
		return CAIRN_EXIT_USAGE;
	}
	t = calloc(n, sizeof(*t));
	if (t == NULL) {
		cli_error(o->ctx, "out of memory");
		return CAIRN_EXIT_ERROR;
	}
	for (size_t i = 0; i < n; i++) {
		const struct cairn_site_config *site;

		if (nto == 0) {
			site = &o->cfg->replicas[i];
		} else if (cli_site_lookup(o, to[i], &site)) {
			if (site == NULL || !site->is_replica) {
				cli_replica_names(o, names, sizeof(names));
				cli_error(o->ctx, "--to '%s' is neither a configured replica nor a URL (configured "
					  "replicas%s%s: %s); a URL is file:///path, /path or s3://BUCKET/PREFIX",
					  to[i], o->cfg != NULL ? " in " : "", o->cfg != NULL ? o->cfg->file : "",
					  names);
				free(t);
				return CAIRN_EXIT_USAGE;
			}
		}
		t[i].site = site;
		t[i].name = site != NULL ? site->name : to[i];
		t[i].url = site != NULL ? site->url : to[i];
	}
	*ret = t;
	*ret_n = n;
	return 0;
}
