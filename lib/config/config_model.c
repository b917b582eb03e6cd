/* struct cairn_config: initialisation to "unset", release, and lookups. */
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"

static void retention_init(struct cairn_config_retention *r)
{
	r->keep_last = r->keep_hourly = r->keep_daily = CAIRN_CONFIG_UNSET;
	r->keep_weekly = r->keep_monthly = r->keep_yearly = CAIRN_CONFIG_UNSET;
	r->keep_within_ns = CAIRN_CONFIG_UNSET;
}

void cfg_site_init(struct cairn_site_config *s)
{
	memset(s, 0, sizeof(*s));
	s->connect_timeout_ns = s->stall_timeout_ns = CAIRN_CONFIG_UNSET;
	s->request_timeout_ns = s->deadline_ns = CAIRN_CONFIG_UNSET;
	s->limit_upload = s->limit_download = CAIRN_CONFIG_UNSET;
	s->transfers = CAIRN_CONFIG_UNSET;
	s->rpo_ns = CAIRN_CONFIG_UNSET;
	retention_init(&s->retention);
	s->delete_grace_ns = CAIRN_CONFIG_UNSET;
	s->object_lock_ns = CAIRN_CONFIG_UNSET;
}

void cfg_site_release(struct cairn_site_config *s)
{
	free(s->name);
	free(s->url);
	free(s->endpoint);
	free(s->region);
	free(s->ca_bundle);
	free(s->profile);
	free(s->credentials_file);
	free(s->access_key_id);
	free(s->secret_access_key_file);
	free(s->session_token_file);
	free(s->schedule.text);
	cfg_site_init(s);
}

void cfg_set_init(struct cairn_backup_set *b)
{
	memset(b, 0, sizeof(*b));
	b->jitter_ns = CAIRN_CONFIG_UNSET;
	b->hook_timeout_ns = CAIRN_CONFIG_DEFAULT_HOOK_TIMEOUT_NS;
	b->one_file_system = CAIRN_CONFIG_UNSET;
}

static void free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void cfg_set_release(struct cairn_backup_set *b)
{
	free(b->name);
	free_list(b->paths, b->npaths);
	free_list(b->excludes, b->nexcludes);
	free_list(b->tags, b->ntags);
	free(b->schedule.text);
	free(b->pre_hook);
	free(b->post_hook);
	cfg_set_init(b);
}

void cfg_drill_init(struct cairn_drill_config *d)
{
	memset(d, 0, sizeof(*d));
	d->within_ns = CAIRN_CONFIG_DEFAULT_DRILL_WITHIN_NS;
	d->sample = CAIRN_CONFIG_DEFAULT_DRILL_SAMPLE;
	d->rpo_ns = d->rto_ns = CAIRN_CONFIG_UNSET;
	d->jitter_ns = CAIRN_CONFIG_UNSET;
}

void cfg_drill_release(struct cairn_drill_config *d)
{
	free(d->name);
	free(d->site);
	free(d->schedule.text);
	free(d->report);
	free(d->scratch);
	cfg_drill_init(d);
}

void cfg_config_init(struct cairn_config *c)
{
	memset(c, 0, sizeof(*c));
	c->threads = CAIRN_CONFIG_UNSET;
	c->rpo_ns = CAIRN_CONFIG_UNSET;
	c->lock_wait_ns = CAIRN_CONFIG_UNSET;
	cfg_site_init(&c->primary);
	c->jobs.check_read_data = CAIRN_CONFIG_UNSET;
}

void cairn_config_free(struct cairn_config *c)
{
	if (c == NULL)
		return;
	free(c->file);
	free(c->state_dir);
	free(c->key_file);
	free(c->passphrase_file);
	free(c->host);
	free(c->metrics_file);
	cfg_site_release(&c->primary);
	for (size_t i = 0; i < c->nreplicas; i++)
		cfg_site_release(&c->replicas[i]);
	free(c->replicas);
	for (size_t i = 0; i < c->nsets; i++)
		cfg_set_release(&c->sets[i]);
	free(c->sets);
	free(c->jobs.prune.text);
	free(c->jobs.check.text);
	for (size_t i = 0; i < c->ndrills; i++)
		cfg_drill_release(&c->drills[i]);
	free(c->drills);
	free(c);
}

const char *cairn_config_path(const char *flag, int *ret_explicit)
{
	const char *env = getenv(CAIRN_CONFIG_ENV);
	int expl = 1;
	const char *path = flag;

	if (path == NULL)
		path = env != NULL && env[0] != '\0' ? env : NULL;
	if (path == NULL) {
		path = CAIRN_CONFIG_DEFAULT_PATH;
		expl = 0;
	}
	if (ret_explicit != NULL)
		*ret_explicit = expl;
	return path;
}

const struct cairn_site_config *cairn_config_site(const struct cairn_config *cfg, const char *name)
{
	if (cfg == NULL || name == NULL)
		return NULL;
	if (strcmp(name, "primary") == 0)
		return cfg->primary.url != NULL ? &cfg->primary : NULL;
	for (size_t i = 0; i < cfg->nreplicas; i++) {
		if (strcmp(cfg->replicas[i].name, name) == 0)
			return &cfg->replicas[i];
	}
	return NULL;
}

const struct cairn_backup_set *cairn_config_backup_set(const struct cairn_config *cfg, const char *name)
{
	if (cfg == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < cfg->nsets; i++) {
		if (strcmp(cfg->sets[i].name, name) == 0)
			return &cfg->sets[i];
	}
	return NULL;
}

const struct cairn_drill_config *cairn_config_drill(const struct cairn_config *cfg, const char *name)
{
	if (cfg == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < cfg->ndrills; i++) {
		if (strcmp(cfg->drills[i].name, name) == 0)
			return &cfg->drills[i];
	}
	return NULL;
}

int64_t cairn_config_site_rpo(const struct cairn_config *cfg, const struct cairn_site_config *site)
{
	if (site != NULL && site->rpo_ns >= 0)
		return site->rpo_ns;
	return cfg != NULL ? cfg->rpo_ns : CAIRN_CONFIG_UNSET;
}

int cairn_config_retention_is_set(const struct cairn_config_retention *r)
{
	return r->keep_last >= 0 || r->keep_hourly >= 0 || r->keep_daily >= 0 || r->keep_weekly >= 0 ||
	       r->keep_monthly >= 0 || r->keep_yearly >= 0 || r->keep_within_ns >= 0;
}
