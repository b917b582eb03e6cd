/* Sites for forget and prune (site_ops.h). */
#include "site_ops.h"

#include "cairn/err.h"
#include "cairn/replicate.h"
#include "cairn/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add(struct site_ref *v, size_t *n, const char *name, const char *url,
	       const struct cairn_site_config *site, int replica)
{
	v[*n].name = name;
	v[*n].url = url;
	v[*n].site = site;
	v[*n].is_replica = replica;
	(*n)++;
	return 0;
}

int site_ops_list(const struct cli_repo_opts *o, const char *arg, struct site_ref **ret, size_t *ret_n)
{
	const struct cairn_config *cfg = o->cfg;
	size_t cap = 1 + (cfg != NULL ? cfg->nreplicas : 0), n = 0;
	struct site_ref *v = calloc(cap, sizeof(*v));
	const struct cairn_site_config *site = NULL;
	char names[512];

	if (v == NULL) {
		cli_error(o->ctx, "out of memory");
		return CAIRN_EXIT_ERROR;
	}
	if (arg == NULL) {
		add(v, &n, "primary", o->repo, o->repo_site, 0);
		for (size_t i = 0; cfg != NULL && i < cfg->nreplicas; i++)
			add(v, &n, cfg->replicas[i].name, cfg->replicas[i].url, &cfg->replicas[i], 1);
	} else if (cli_site_lookup(o, arg, &site)) {
		if (site == NULL) {
			cli_replica_names(o, names, sizeof(names));
			cli_error(o->ctx, "--site '%s' is neither 'primary', a configured replica (%s) nor a URL", arg,
				  names);
			free(v);
			return CAIRN_EXIT_USAGE;
		}
		add(v, &n, site->is_replica ? site->name : "primary", site->is_replica ? site->url : o->repo, site,
		    site->is_replica);
	} else {
		int found = 0;

		for (size_t i = 0; cfg != NULL && i < cfg->nreplicas; i++)
			if (strcmp(cfg->replicas[i].url, arg) == 0) {
				add(v, &n, cfg->replicas[i].name, arg, &cfg->replicas[i], 1);
				found = 1;
			}
		if (!found && (cfg == NULL || strcmp(arg, o->repo) == 0)) {
			add(v, &n, "primary", arg, cfg != NULL ? o->repo_site : NULL, 0);
			found = 1;
		}
		if (!found) {
			cli_error(o->ctx, "--site '%s' is not the primary's URL nor a configured replica's; name a "
				  "site of '%s' or use --repo URL for another repository", arg, cfg->file);
			free(v);
			return CAIRN_EXIT_USAGE;
		}
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int site_ops_open(const struct cli_repo_opts *o, const struct site_ref *s, int sync, struct cairn_repo **ret)
{
	struct cli_repo_opts so = *o; /* borrows everything; never freed */

	so.repo = s->url;
	so.repo_site = s->site;
	so.no_sync = !sync;
	if (s->is_replica)
		memset(&so.s3, 0, sizeof(so.s3)); /* the flags are the primary's */
	return cli_open_repo(&so, ret);
}

static int policy_on(const struct cairn_retention_policy *p)
{
	return p != NULL && !cairn_retention_policy_is_empty(p);
}

void site_ops_policy(const struct site_ref *s, const struct cairn_retention_policy *flags,
		     struct cairn_retention_policy *ret)
{
	if (policy_on(flags))
		*ret = *flags;
	else
		cairn_retention_from_config(s->site != NULL ? &s->site->retention : NULL, ret);
}

void site_ops_policy_text(const struct cairn_retention_policy *p, char *out, size_t len)
{
	const struct {
		const char *name;
		int v;
	} rules[] = { { "last", p->last },	   { "hourly", p->hourly },   { "daily", p->daily },
		      { "weekly", p->weekly },	   { "monthly", p->monthly }, { "yearly", p->yearly } };
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].v > 0 && used < len)
			used += (size_t)snprintf(out + used, len - used, "%s%s %d", used ? ", " : "", rules[i].name,
						 rules[i].v);
	if (p->within_ns > 0 && used < len) {
		char d[32];

		cairn_duration_format(p->within_ns, d, sizeof(d));
		used += (size_t)snprintf(out + used, len - used, "%swithin %s", used ? ", " : "", d);
	}
	if (used == 0)
		snprintf(out, len, "none");
}

static void reasons_text(const struct cairn_forget_entry *e, char *out, size_t len)
{
	static const char *const names[] = { "last", "hourly", "daily", "weekly", "monthly", "yearly", "within" };
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((e->reasons & (1u << i)) && used < len)
			used += (size_t)snprintf(out + used, len - used, "%s%s", used ? ", " : "", names[i]);
	if (e->grace && used < len)
		snprintf(out + used, len - used, "%sdelete-grace", used ? ", " : "");
}

static json_t *entry_json(const struct cairn_forget_entry *e)
{
	static const char *const names[] = { "last", "hourly", "daily", "weekly", "monthly", "yearly", "within" };
	char when[CAIRN_TIME_STR];
	json_t *reasons = json_array(), *paths = json_array();

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (e->reasons & (1u << i))
			json_array_append_new(reasons, json_string(names[i]));
	if (e->grace)
		json_array_append_new(reasons, json_string("delete-grace"));
	for (size_t i = 0; i < e->snap.npaths; i++)
		json_array_append_new(paths, json_string(e->snap.paths[i]));
	cairn_time_format(e->snap.time_ns, 0, when);
	return json_pack("{s:s, s:s, s:s, s:o, s:b, s:o}", "id", e->snap.id, "time", when, "host",
			 e->snap.host ? e->snap.host : "", "paths", paths, "keep", e->keep, "reasons", reasons);
}

static void print_entry(const struct cairn_forget_entry *e)
{
	char when[CAIRN_TIME_STR], why[160];

	cairn_time_format(e->snap.time_ns, 0, when);
	reasons_text(e, why, sizeof(why));
	printf("  %-6s %.8s  %s  %s%s%s  %s\n", e->keep ? "keep" : "forget", e->snap.id, when,
	       e->snap.host ? e->snap.host : "", e->snap.npaths > 0 ? "  " : "", e->snap.npaths > 0 ? e->snap.paths[0] : "",
	       e->keep ? why : "");
}

int site_ops_forget(const struct cli_repo_opts *o, const struct site_ref *s, struct cairn_repo *repo,
		    struct cairn_repo *primary, const struct cairn_retention_policy *policy, int dry_run,
		    json_t *json_sites, uint64_t *ret_removed)
{
	int64_t grace = cairn_replicate_forget_grace_ns(s->site);
	struct cairn_forget_entry *e = NULL;
	size_t n = 0, kept = 0;
	json_t *list = json_sites != NULL ? json_array() : NULL;
	char text[200];
	int rc, tomb = 0, code = CAIRN_EXIT_OK;

	*ret_removed = 0;
	rc = cairn_forget_plan(repo, policy, grace, cairn_time_now_ns(), &e, &n);
	if (rc < 0) {
		json_decref(list);
		return cli_fail(o->ctx, rc, "cannot apply the retention policy");
	}
	for (size_t i = 0; i < n; i++)
		kept += e[i].keep != 0;
	site_ops_policy_text(policy, text, sizeof(text));
	if (!o->json && !o->quiet)
		printf("site %s: %zu snapshot%s, keep %zu, %s %zu (policy: %s%s)\n", s->name, n, n == 1 ? "" : "s", kept,
		       dry_run ? "would forget" : "forget", n - kept, text,
		       grace > 0 ? "; snapshots younger than delete-grace are kept" : "");
	for (size_t i = 0; i < n; i++) {
		if (list != NULL)
			json_array_append_new(list, entry_json(&e[i]));
		else if (!o->json && !o->quiet)
			print_entry(&e[i]);
		if (e[i].keep || dry_run)
			continue;
		if (s->is_replica)
			rc = cairn_replicate_forget_snapshot(repo, primary, s->name, e[i].snap.id, &tomb);
		else
			rc = cairn_forget_snapshot(repo, e[i].snap.id);
		if (rc < 0) {
			code = cli_fail(o->ctx, rc, "cannot forget a snapshot");
			break;
		}
		(*ret_removed)++;
		if (s->is_replica && tomb < 0)
			cli_warn(o->ctx, "site %s: snapshot %.8s forgotten, but not recorded in the primary's catalog: "
				 "the next replication may copy it again (%s)",
				 s->name, e[i].snap.id, cairn_err_msg());
	}
	if (json_sites != NULL)
		json_array_append_new(json_sites,
				      json_pack("{s:s, s:s, s:b, s:I, s:I, s:o}", "site", s->name, "policy", text,
						"dry_run", dry_run, "kept", (json_int_t)kept, "forgotten",
						(json_int_t)(dry_run ? n - kept : *ret_removed), "snapshots", list));
	cairn_forget_plan_free(e, n);
	return code;
}

int site_ops_keep_option(const struct cli_ctx *ctx, int opt, const char *arg, struct cairn_retention_policy *p)
{
	int *count = NULL;
	char *end;
	long v;

	switch (opt) {
	case SITE_OPT_KEEP_LAST: count = &p->last; break;
	case SITE_OPT_KEEP_HOURLY: count = &p->hourly; break;
	case SITE_OPT_KEEP_DAILY: count = &p->daily; break;
	case SITE_OPT_KEEP_WEEKLY: count = &p->weekly; break;
	case SITE_OPT_KEEP_MONTHLY: count = &p->monthly; break;
	case SITE_OPT_KEEP_YEARLY: count = &p->yearly; break;
	case SITE_OPT_KEEP_WITHIN:
		if (cairn_duration_parse(arg, &p->within_ns) < 0 || p->within_ns <= 0) {
			cli_error(ctx, "--keep-within: '%s' is not a duration (e.g. 2d, 12h)", arg);
			return -1;
		}
		return 1;
	default: return 0;
	}
	v = strtol(arg, &end, 10);
	if (end == arg || *end != '\0' || v < 1 || v > 2147483647L) {
		cli_error(ctx, "--keep-*: '%s' is not a count from 1", arg);
		return -1;
	}
	*count = (int)v;
	return 1;
}
