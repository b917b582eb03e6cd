/* The site a restore reads: a named one, or cairn_site_select's choice, printed (see site_select.h). */
#include "site_select.h"

#include "cairn/err.h"
#include "cairn/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int site_select_unnamed(const struct cli_repo_opts *o)
{
	const char *env = getenv("CAIRN_REPO");

	return o->repo == NULL && (env == NULL || env[0] == '\0');
}

void site_choice_free(struct site_choice *ch)
{
	cairn_site_choice_free(&ch->sel);
	memset(ch, 0, sizeof(*ch));
}

static void format_ms(int64_t ns, char *buf, size_t len)
{
	double ms = (double)ns / 1e6;

	snprintf(buf, len, ms < 10 ? "%.1f ms" : "%.0f ms", ms);
}

/* A named site (or a configuration without replicas): that one. */
static int open_named(struct cli_repo_opts *o, const struct cairn_site_query *q, struct site_choice *ch,
		      struct cairn_repo **ret_repo, struct cairn_snapshot *snap, int *found)
{
	int code = cli_open_repo(o, ret_repo), rc;

	ch->site = o->repo_site;
	ch->url = o->repo;
	if (code != 0)
		return code;
	rc = cairn_site_find_point(*ret_repo, q, snap);
	if (rc == 0 || rc == CAIRN_ENOTFOUND) {
		*found = rc == 0;
		return 0;
	}
	code = cli_fail(o->ctx, rc, "cannot look up the recovery point");
	cairn_repo_close(*ret_repo);
	*ret_repo = NULL;
	return code;
}

/* The opener of cairn_site_select: the site with the command's key and state directory (its own settings). */
struct opener {
	struct cli_repo_opts *o;
	int code;                   /* the exit code of the last failed open (its message printed) */
};

static int open_site(void *ctx, const struct cairn_site_config *site, struct cairn_repo **ret)
{
	struct opener *op = ctx;

	op->o->repo = site->url;
	op->o->repo_site = site;
	op->code = cli_open_repo(op->o, ret);
	return op->code == 0 ? 0 : cairn_err(CAIRN_EIO, "cannot open the repository of site '%s'", site->name);
}

/* No site can be read: say why for each, and exit with the primary's reason. */
static int none_healthy(const struct cli_ctx *ctx, const struct cairn_site_choice *ch)
{
	char list[2048];
	size_t used = 0;

	list[0] = '\0';
	for (size_t i = 0; i < ch->nprobes && used < sizeof(list); i++) {
		int n = snprintf(list + used, sizeof(list) - used, "%s%s: %s", i ? "; " : "", ch->probes[i].site->name,
				 ch->probes[i].why);

		if (n < 0)
			break;
		used += (size_t)n;
	}
	cli_error(ctx, "no site can be read: %s", list);
	return ch->probes[0].rc == CAIRN_ENOTFOUND ? CAIRN_EXIT_REPO : cli_exit_for(ch->probes[0].rc);
}

/* The exit code (after a message) for a failed cairn_site_select. */
static int select_failed(const struct site_choice *ch, const struct opener *op, int rc)
{
	switch (ch->sel.failure) {
	case CAIRN_SITE_FAIL_PROBE:
		return cli_fail(op->o->ctx, rc, "cannot probe the sites");
	case CAIRN_SITE_FAIL_NONE_HEALTHY:
		return none_healthy(op->o->ctx, &ch->sel);
	case CAIRN_SITE_FAIL_OPEN_PRIMARY:
		return op->code != 0 ? op->code : cli_fail(op->o->ctx, rc, NULL); /* printed by cli_open_repo */
	case CAIRN_SITE_FAIL_NONE_OPENED:
		cli_error(op->o->ctx, "no site could be opened (see above)");
		return CAIRN_EXIT_ERROR;
	case CAIRN_SITE_FAIL_BUG:
		cli_error(op->o->ctx, "internal error: %s", cairn_err_msg());
		return CAIRN_EXIT_ERROR;
	case CAIRN_SITE_FAIL_LOOKUP:
	default:
		return cli_fail(op->o->ctx, rc, "cannot look up the recovery point");
	}
}

int site_select_open(struct cli_repo_opts *o, int unnamed, const struct cairn_site_query *q, struct site_choice *ch,
		     struct cairn_repo **ret_repo, struct cairn_snapshot *ret_snap, int *ret_found)
{
	struct cairn_site_probe_opts po = { .deadline_ns = CAIRN_SITE_PROBE_DEADLINE_NS, .primary_flags = &o->s3 };
	struct opener op = { .o = o };
	int rc;

	memset(ch, 0, sizeof(*ch));
	*ret_repo = NULL;
	*ret_found = 0;
	if (!unnamed || o->cfg == NULL || o->cfg->nreplicas == 0 || o->repo_site != &o->cfg->primary)
		return open_named(o, q, ch, ret_repo, ret_snap, ret_found);
	ch->probed = 1;
	rc = cairn_site_select(o->cfg, &po, q, open_site, &op, &ch->sel, ret_repo, ret_snap, ret_found);
	if (rc != 0)
		return select_failed(ch, &op, rc);
	ch->site = ch->sel.site;
	ch->url = ch->site->url;
	o->repo = ch->site->url;
	o->repo_site = ch->site;
	return 0;
}

void site_choice_notes(const struct site_choice *ch, int with_chosen, char *buf, size_t len)
{
	if (len == 0)
		return;
	buf[0] = '\0';
	if (ch->probed)
		cairn_site_choice_notes(&ch->sel, with_chosen, buf, len);
}

void site_choice_print(const struct cli_repo_opts *o, const struct site_choice *ch, const char *verb)
{
	char notes[3072], ms[32];

	if (!ch->probed || o->quiet || o->json)
		return;
	format_ms(ch->sel.probes[ch->sel.chosen].latency_ns, ms, sizeof(ms));
	site_choice_notes(ch, 0, notes, sizeof(notes));
	cli_info(o, "%s site %s (config read in %s%s%s)", verb, ch->site->name, ms, notes[0] ? "; " : "", notes);
}

static json_t *probe_json(const struct cairn_site_probe *p)
{
	return json_pack("{s:s, s:s, s:b, s:o, s:o, s:o}", "name", p->site->name, "url", p->site->url, "healthy",
			 p->healthy, "config_read_ms", p->healthy ? json_real((double)p->latency_ns / 1e6) : json_null(),
			 "error", p->healthy ? json_null() : json_string(p->why), "skipped",
			 p->note[0] ? json_string(p->note) : json_null());
}

json_t *site_choice_json(const struct site_choice *ch)
{
	json_t *j = json_pack("{s:o, s:o, s:b}", "name", ch->site ? json_string(ch->site->name) : json_null(), "url",
			      ch->url ? json_string(ch->url) : json_null(), "probed", ch->probed);
	json_t *sites;

	if (j == NULL || !ch->probed)
		return j;
	json_object_set_new(j, "config_read_ms", json_real((double)ch->sel.probes[ch->sel.chosen].latency_ns / 1e6));
	sites = json_array();
	for (size_t i = 0; sites != NULL && i < ch->sel.nprobes; i++)
		json_array_append_new(sites, probe_json(&ch->sel.probes[i]));
	json_object_set_new(j, "sites", sites);
	return j;
}
