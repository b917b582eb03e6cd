/* Section headers, the checks made when a section ends, and the checks
 * of the whole file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/buf.h"
#include "cairn/err.h"
#include "config/config_internal.h"

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int dup_section(struct cfg_parse *p, const char *label, unsigned first)
{
	return cfg_fail(p, p->lineno, "duplicate section %s (first on line %u)", label, first);
}

static int begin_replica(struct cfg_parse *p, const char *arg)
{
	struct cairn_config *c = p->cfg;
	struct cairn_site_config *s;

	if (strcmp(arg, "primary") == 0)
		return cfg_fail(p, p->lineno, "'primary' is reserved for the [repository] site; choose another "
				"replica name");
	for (size_t i = 0; i < c->nreplicas; i++) {
		if (strcmp(c->replicas[i].name, arg) == 0)
			return dup_section(p, p->label, c->replicas[i].line);
	}
	if (c->nreplicas == CAIRN_CONFIG_MAX_REPLICAS)
		return cfg_fail(p, p->lineno, "too many [replica] sections (at most %d)", CAIRN_CONFIG_MAX_REPLICAS);
	if (c->nreplicas == p->cap_replicas) {
		size_t cap = p->cap_replicas ? p->cap_replicas * 2 : 4;
		void *n = cairn_reallocarray(c->replicas, cap, sizeof(*c->replicas));

		if (n == NULL)
			return cfg_nomem(p);
		c->replicas = n;
		p->cap_replicas = cap;
	}
	s = &c->replicas[c->nreplicas];
	cfg_site_init(s);
	if ((s->name = cairn_strdup(arg)) == NULL)
		return cfg_nomem(p);
	c->nreplicas++;
	s->is_replica = 1;
	s->line = p->lineno;
	s->delete_grace_ns = CAIRN_CONFIG_DEFAULT_DELETE_GRACE_NS;
	p->target = s;
	p->sect = CFG_SECT_REPLICA;
	return 0;
}

static int begin_backup(struct cfg_parse *p, const char *arg)
{
	struct cairn_config *c = p->cfg;
	struct cairn_backup_set *b;

	for (size_t i = 0; i < c->nsets; i++) {
		if (strcmp(c->sets[i].name, arg) == 0)
			return dup_section(p, p->label, c->sets[i].line);
	}
	if (c->nsets == CAIRN_CONFIG_MAX_SETS)
		return cfg_fail(p, p->lineno, "too many [backup] sections (at most %d)", CAIRN_CONFIG_MAX_SETS);
	if (c->nsets == p->cap_sets) {
		size_t cap = p->cap_sets ? p->cap_sets * 2 : 4;
		void *n = cairn_reallocarray(c->sets, cap, sizeof(*c->sets));

		if (n == NULL)
			return cfg_nomem(p);
		c->sets = n;
		p->cap_sets = cap;
	}
	b = &c->sets[c->nsets];
	cfg_set_init(b);
	if ((b->name = cairn_strdup(arg)) == NULL)
		return cfg_nomem(p);
	c->nsets++;
	b->line = p->lineno;
	p->target = b;
	p->sect = CFG_SECT_BACKUP;
	return 0;
}

static int begin_drill(struct cfg_parse *p, const char *arg)
{
	struct cairn_config *c = p->cfg;
	struct cairn_drill_config *d;

	for (size_t i = 0; i < c->ndrills; i++) {
		if (strcmp(c->drills[i].name, arg) == 0)
			return dup_section(p, p->label, c->drills[i].line);
	}
	if (c->ndrills == CAIRN_CONFIG_MAX_DRILLS)
		return cfg_fail(p, p->lineno, "too many [drill] sections (at most %d)", CAIRN_CONFIG_MAX_DRILLS);
	if (c->ndrills == p->cap_drills) {
		size_t cap = p->cap_drills ? p->cap_drills * 2 : 4;
		void *n = cairn_reallocarray(c->drills, cap, sizeof(*c->drills));

		if (n == NULL)
			return cfg_nomem(p);
		c->drills = n;
		p->cap_drills = cap;
	}
	d = &c->drills[c->ndrills];
	cfg_drill_init(d);
	if ((d->name = cairn_strdup(arg)) == NULL)
		return cfg_nomem(p);
	c->ndrills++;
	d->line = p->lineno;
	p->target = d;
	p->sect = CFG_SECT_DRILL;
	return 0;
}

/* [cairn], [repository], [jobs]: no name, once each. */
static int begin_single(struct cfg_parse *p, const char *word, const char *arg)
{
	struct cairn_config *c = p->cfg;
	unsigned *line;

	if (*arg != '\0')
		return cfg_fail(p, p->lineno, "[%s] takes no name (found [%s %.40s])", word, word, arg);
	snprintf(p->label, sizeof(p->label), "[%s]", word);
	if (strcmp(word, "cairn") == 0) {
		line = &c->cairn_line;
		p->sect = CFG_SECT_CAIRN;
		p->target = c;
	} else if (strcmp(word, "repository") == 0) {
		line = &c->primary.line;
		p->sect = CFG_SECT_REPOSITORY;
		p->target = &c->primary;
	} else {
		line = &p->jobs_line;
		p->sect = CFG_SECT_JOBS;
		p->target = &c->jobs;
	}
	if (*line != 0) {
		p->sect = CFG_SECT_NONE;
		return dup_section(p, p->label, *line);
	}
	*line = p->lineno;
	if (p->sect == CFG_SECT_REPOSITORY && (c->primary.name = cairn_strdup("primary")) == NULL)
		return cfg_nomem(p);
	return 0;
}

int cfg_section_begin(struct cfg_parse *p, const char *name)
{
	char word[16];
	const char *arg;
	size_t wl;
	int rc;

	if ((rc = cfg_section_end(p)) != 0)
		return rc;
	memset(p->seen, 0, sizeof(p->seen));
	p->s3_key_line = 0;
	p->s3_key = NULL;
	p->sect_line = p->lineno;
	wl = strcspn(name, " \t");
	arg = name + wl;
	while (is_blank(*arg))
		arg++;
	if (wl == 0)
		return cfg_fail(p, p->lineno, "empty section name");
	if (wl < sizeof(word)) {
		memcpy(word, name, wl);
		word[wl] = '\0';
		if (strcmp(word, "cairn") == 0 || strcmp(word, "repository") == 0 || strcmp(word, "jobs") == 0)
			return begin_single(p, word, arg);
		if (strcmp(word, "replica") == 0 || strcmp(word, "backup") == 0 || strcmp(word, "drill") == 0) {
			if (*arg == '\0')
				return cfg_fail(p, p->lineno, "[%s] needs a name: [%s NAME]", word, word);
			if (!cfg_valid_name(arg))
				return cfg_fail(p, p->lineno, "invalid name '%.40s' in [%s ...]: a name is 1 to %d "
						"characters of A-Z, a-z, 0-9, '_' and '-'", arg, word,
						CAIRN_CONFIG_NAME_MAX);
			snprintf(p->label, sizeof(p->label), "[%s %s]", word, arg);
			if (strcmp(word, "drill") == 0)
				return begin_drill(p, arg);
			return strcmp(word, "replica") == 0 ? begin_replica(p, arg) : begin_backup(p, arg);
		}
	}
	return cfg_fail(p, p->lineno, "unknown section [%.40s] (known: [cairn], [repository], [replica NAME], "
			"[backup NAME], [jobs], [drill NAME])", name);
}

static int end_site(struct cfg_parse *p, const struct cairn_site_config *s)
{
	if (s->url == NULL)
		return cfg_fail(p, p->sect_line, "%s has no 'url'", p->label);
	if (s->url_kind == CAIRN_CONFIG_URL_LOCAL && p->s3_key != NULL)
		return cfg_fail(p, p->s3_key_line, "'%s' in %s applies only to s3:// URLs, and this url is local",
				p->s3_key, p->label);
	if (s->access_key_id != NULL && s->secret_access_key_file == NULL)
		return cfg_fail(p, p->sect_line, "%s sets 'access-key-id' without 'secret-access-key-file'",
				p->label);
	if (s->secret_access_key_file != NULL && s->access_key_id == NULL)
		return cfg_fail(p, p->sect_line, "%s sets 'secret-access-key-file' without 'access-key-id'",
				p->label);
	if (s->session_token_file != NULL && s->access_key_id == NULL)
		return cfg_fail(p, p->sect_line, "%s sets 'session-token-file' without 'access-key-id'", p->label);
	if (s->access_key_id != NULL && (s->profile != NULL || s->credentials_file != NULL))
		return cfg_fail(p, p->sect_line, "%s sets both 'access-key-id' and '%s': use one source of "
				"credentials", p->label, s->profile != NULL ? "profile" : "credentials-file");
	return 0;
}

/* A drill names its site (checked against the sites once the whole file
 * is read) and runs on a schedule: a [drill] section exists for the
 * scheduler, so one without a schedule would silently never run. */
static int end_drill(struct cfg_parse *p, const struct cairn_drill_config *d)
{
	if (d->site == NULL)
		return cfg_fail(p, p->sect_line, "%s has no 'site' (the replica to recover from, or primary)",
				p->label);
	if (d->schedule.text == NULL)
		return cfg_fail(p, p->sect_line, "%s has no 'schedule' (when 'cairn-agent run' runs the drill)",
				p->label);
	return 0;
}

int cfg_section_end(struct cfg_parse *p)
{
	int rc = 0;

	switch (p->sect) {
	case CFG_SECT_REPOSITORY:
	case CFG_SECT_REPLICA:
		rc = end_site(p, p->target);
		break;
	case CFG_SECT_BACKUP:
		if (((struct cairn_backup_set *)p->target)->npaths == 0)
			rc = cfg_fail(p, p->sect_line, "%s has no 'path'", p->label);
		break;
	case CFG_SECT_DRILL:
		rc = end_drill(p, p->target);
		break;
	default:
		break;
	}
	p->sect = CFG_SECT_NONE;
	p->target = NULL;
	return rc;
}

/* URLs equal but for trailing slashes. */
static int same_url(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (lb > 1 && b[lb - 1] == '/')
		lb--;
	return la == lb && memcmp(a, b, la) == 0;
}

/* Each drill's site is the primary or a configured replica. */
static int check_drill_sites(struct cfg_parse *p)
{
	const struct cairn_config *c = p->cfg;
	char names[256];
	size_t used = 0;

	for (size_t i = 0; i < c->ndrills; i++) {
		const struct cairn_drill_config *d = &c->drills[i];

		if (cairn_config_site(c, d->site) != NULL)
			continue;
		snprintf(names, sizeof(names), "none");
		for (size_t r = 0; r < c->nreplicas && used < sizeof(names); r++) {
			int n = snprintf(names + used, sizeof(names) - used, "%s%s", r ? ", " : "", c->replicas[r].name);

			if (n < 0)
				break;
			used += (size_t)n;
		}
		return cfg_fail(p, d->site_line, "'site' in [drill %s] is '%s', which is neither 'primary' nor a "
				"configured replica (replicas: %s)", d->name, d->site, names);
	}
	return 0;
}

int cfg_check_file(struct cfg_parse *p)
{
	const struct cairn_config *c = p->cfg;

	if (c->primary.line == 0)
		return cfg_fail(p, 0, "no [repository] section (the primary site is required)");
	if (c->key_file != NULL && c->passphrase_file != NULL)
		return cfg_fail(p, c->cairn_line, "[cairn] sets both 'key-file' and 'passphrase-file'; set only one");
	for (size_t i = 0; i < c->nreplicas; i++) {
		const struct cairn_site_config *r = &c->replicas[i];

		if (same_url(r->url, c->primary.url))
			return cfg_fail(p, r->line, "[replica %s] has the same url as [repository] (line %u)", r->name,
					c->primary.line);
		for (size_t j = 0; j < i; j++) {
			if (same_url(r->url, c->replicas[j].url))
				return cfg_fail(p, r->line, "[replica %s] has the same url as [replica %s] (line %u)",
						r->name, c->replicas[j].name, c->replicas[j].line);
		}
	}
	return check_drill_sites(p);
}
