/* Fuzz target: the configuration file (lib/config/, INI read by inih, and
 * every value parser behind its keys: durations, rates, schedules, URLs,
 * names, tags, counts, booleans). The parsed model must hold the invariants
 * config.h promises, and every name must look itself up. */
#include "harness.h"

#include "cairn/config.h"
#include "cairn/err.h"

#include <string.h>

static void check_site(const struct cairn_config *cfg, const struct cairn_site_config *s)
{
	if (s->name == NULL || s->url == NULL)
		__builtin_trap();
	if (s->url_kind != CAIRN_CONFIG_URL_LOCAL && s->url_kind != CAIRN_CONFIG_URL_S3)
		__builtin_trap();
	if (cairn_config_site(cfg, s->name) != s)
		__builtin_trap();
	if (s->transfers != CAIRN_CONFIG_UNSET && (s->transfers < 1 || s->transfers > CAIRN_CONFIG_TRANSFERS_MAX))
		__builtin_trap();
	(void)cairn_config_site_rpo(cfg, s);
	(void)cairn_config_retention_is_set(&s->retention);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cairn_config *cfg = NULL;
	int rc = cairn_config_parse_buf(data, size, "fuzz.conf", &cfg);

	if (rc != 0) {
		if (cfg != NULL || (rc != CAIRN_EINVAL && rc != CAIRN_ENOMEM))
			__builtin_trap();
		cairn_err_clear();
		return 0;
	}
	if (cfg->primary.url != NULL) /* a file without [repository] is allowed for some commands */
		check_site(cfg, &cfg->primary);
	if (cfg->nreplicas > CAIRN_CONFIG_MAX_REPLICAS || cfg->nsets > CAIRN_CONFIG_MAX_SETS ||
	    cfg->ndrills > CAIRN_CONFIG_MAX_DRILLS)
		__builtin_trap();
	if (cfg->threads != CAIRN_CONFIG_UNSET && (cfg->threads < 1 || cfg->threads > CAIRN_CONFIG_THREADS_MAX))
		__builtin_trap();
	for (size_t i = 0; i < cfg->nreplicas; i++)
		check_site(cfg, &cfg->replicas[i]);
	for (size_t i = 0; i < cfg->nsets; i++) {
		const struct cairn_backup_set *b = &cfg->sets[i];

		if (b->name == NULL || b->npaths < 1 || cairn_config_backup_set(cfg, b->name) != b)
			__builtin_trap();
		for (size_t k = 0; k < b->npaths; k++)
			if (b->paths[k] == NULL || b->paths[k][0] != '/')
				__builtin_trap();
		for (size_t k = 0; k < b->ntags; k++)
			if (strlen(b->tags[k]) < 1 || strlen(b->tags[k]) > CAIRN_CONFIG_TAG_MAX)
				__builtin_trap();
	}
	for (size_t i = 0; i < cfg->ndrills; i++) {
		const struct cairn_drill_config *d = &cfg->drills[i];

		if (d->name == NULL || d->site == NULL || cairn_config_drill(cfg, d->name) != d)
			__builtin_trap();
		if (d->schedule.spec.kind == CAIRN_SCHEDULE_NONE || d->sample < 1 || d->sample > 100)
			__builtin_trap();
	}
	cairn_config_free(cfg);
	return 0;
}
