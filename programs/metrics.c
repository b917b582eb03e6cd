/* The Prometheus metrics file: jobs' last runs and sites' replication status (see metrics.h). */
#include "metrics.h"

#include "cli.h"

#include "cairn/buf.h"
#include "cairn/catalog.h"
#include "cairn/err.h"
#include "cairn/file.h"
#include "cairn/replicate.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SITES_VERSION 1

/* A sample's value: an integer, or nanoseconds shown as seconds. */
struct value {
	int present;
	int64_t v;
	int ns;
};

/* ---- rendering ---- */

int metrics_escape_label(const char *value, char *out, size_t len)
{
	size_t o = 0;

	for (const char *p = value; *p != '\0'; p++) {
		const char *esc = *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : *p == '\n' ? "\\n" : NULL;
		size_t n = esc ? 2 : 1;

		if (o + n >= len)
			return -1;
		if (esc != NULL)
			memcpy(out + o, esc, 2);
		else
			out[o] = *p;
		o += n;
	}
	if (o >= len)
		return -1;
	out[o] = '\0';
	return 0;
}

static void print_value(FILE *f, struct value v)
{
	int64_t x = v.v;

	if (!v.ns) {
		fprintf(f, "%lld\n", (long long)x);
		return;
	}
	if (x < 0) {
		fputc('-', f);
		x = x == INT64_MIN ? INT64_MAX : -x;
	}
	fprintf(f, "%lld.%03lld\n", (long long)(x / CAIRN_NS_PER_SEC),
		(long long)(x % CAIRN_NS_PER_SEC / 1000000));
}

static void print_header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void print_sample(FILE *f, const char *name, const char *label, const char *value_of_label, struct value v)
{
	char esc[4 * JOB_NAME_MAX];

	if (metrics_escape_label(value_of_label, esc, sizeof(esc)) < 0)
		return; /* names are validated and short: cannot happen */
	fprintf(f, "%s{%s=\"%s\"} ", name, label, esc);
	print_value(f, v);
}

/* Job metrics: one family per getter. */
typedef struct value (*job_getter)(const struct job_report *r, int arg);

static struct value job_time(const struct job_report *r, int which)
{
	int64_t ns = which == 0 ? r->start_ns : which == 1 ? r->last_success_ns : r->end_ns - r->start_ns;

	return (struct value){ 1, ns, 1 };
}

static struct value job_number(const struct job_report *r, int which)
{
	int64_t v = which == 0 ? r->exit_code : which == 1 ? r->runs_total : r->failures_total;

	return (struct value){ 1, v, 0 };
}

static struct value job_counter(const struct job_report *r, int which)
{
	return (struct value){ r->counters[which] >= 0, r->counters[which], 0 };
}

struct job_family {
	const char *name, *type, *help;
	job_getter get;
	int arg;
};

static const struct job_family job_families[] = {
	{ "cairn_job_last_run_timestamp_seconds", "gauge", "Start of the job's last run (Unix time).", job_time, 0 },
	{ "cairn_job_last_success_timestamp_seconds", "gauge",
	  "End of the job's last successful run (exit code 0 or 3), 0 if it never succeeded.", job_time, 1 },
	{ "cairn_job_last_duration_seconds", "gauge", "Duration of the job's last run.", job_time, 2 },
	{ "cairn_job_last_exit_code", "gauge", "Exit code of the job's last run (0 success, 3 partial).",
	  job_number, 0 },
	{ "cairn_job_runs_total", "counter", "Runs of the job recorded on this host.", job_number, 1 },
	{ "cairn_job_failures_total", "counter", "Runs of the job that failed (exit code other than 0 and 3).",
	  job_number, 2 },
	{ "cairn_job_last_files", "gauge", "Files backed up or checked by the job's last run.", job_counter,
	  JOB_FILES },
	{ "cairn_job_last_read_bytes", "gauge", "Bytes of file content read by the job's last run.", job_counter,
	  JOB_BYTES_READ },
	{ "cairn_job_last_added_bytes", "gauge", "Plaintext bytes of new data added by the job's last run.",
	  job_counter, JOB_BYTES_ADDED },
	{ "cairn_job_last_uploaded_bytes", "gauge", "Bytes sent to the stores by the job's last run.", job_counter,
	  JOB_BYTES_UPLOADED },
	{ "cairn_job_last_errors", "gauge", "Entries that failed or damaged objects found in the job's last run.",
	  job_counter, JOB_ERRORS },
	{ "cairn_job_last_retries", "gauge", "Store requests retried in the job's last run.", job_counter,
	  JOB_RETRIES },
	{ "cairn_job_last_requests", "gauge", "Store requests sent in the job's last run.", job_counter,
	  JOB_REQUESTS },
	{ "cairn_job_last_snapshots_removed", "gauge", "Snapshots removed by the job's last run (forget).",
	  job_counter, JOB_SNAPSHOTS_REMOVED },
	{ "cairn_job_last_packs_deleted", "gauge", "Packs deleted by the job's last run (prune).", job_counter,
	  JOB_PACKS_DELETED },
	{ "cairn_job_last_freed_bytes", "gauge", "Bytes freed by the job's last run (prune).", job_counter,
	  JOB_BYTES_FREED },
};

static void render_job_family(FILE *f, const struct job_family *fam, const struct job_report *jobs, size_t n)
{
	int header = 0;

	for (size_t i = 0; i < n; i++) {
		struct value v = fam->get(&jobs[i], fam->arg);

		if (!v.present)
			continue;
		if (!header++)
			print_header(f, fam->name, fam->type, fam->help);
		print_sample(f, fam->name, "job", jobs[i].job, v);
	}
}

/* Site metrics. */
enum site_metric { SITE_NEWEST, SITE_EXPOSURE, SITE_TARGET, SITE_PENDING, SITE_OBJECTS, SITE_BYTES, SITE_LAG_OBJECTS,
		   SITE_LAG_BYTES };

struct site_family {
	const char *name, *help;
	enum site_metric which;
};

static const struct site_family site_families[] = {
	{ "cairn_site_newest_snapshot_timestamp_seconds",
	  "Time of the newest snapshot complete on the site (Unix time), 0 if none.", SITE_NEWEST },
	{ "cairn_site_rpo_exposure_seconds",
	  "Age of the site's newest complete snapshot when this file was written (data at risk).", SITE_EXPOSURE },
	{ "cairn_site_rpo_target_seconds", "RPO target of the site (only sites that have one).", SITE_TARGET },
	{ "cairn_site_snapshots_pending", "Snapshots of the primary not yet complete on the replica.", SITE_PENDING },
	{ "cairn_site_objects", "Objects recorded on the replica.", SITE_OBJECTS },
	{ "cairn_site_bytes", "Bytes of the objects recorded on the replica.", SITE_BYTES },
	{ "cairn_site_lag_objects", "Objects of the primary not yet on the replica (replication lag).", SITE_LAG_OBJECTS },
	{ "cairn_site_lag_bytes", "Bytes of the primary's packs not yet on the replica (replication lag).",
	  SITE_LAG_BYTES },
};

static struct value site_value(const struct metrics_site *s, enum site_metric which, int64_t now_ns)
{
	switch (which) {
	case SITE_NEWEST:
		return (struct value){ 1, s->newest_ns, 1 };
	case SITE_EXPOSURE:
		return (struct value){ s->newest_ns > 0, now_ns - s->newest_ns, 1 };
	case SITE_TARGET:
		return (struct value){ s->rpo_ns >= 0, s->rpo_ns, 1 };
	case SITE_PENDING:
		return (struct value){ s->pending >= 0, s->pending, 0 };
	case SITE_OBJECTS:
		return (struct value){ s->objects >= 0, s->objects, 0 };
	case SITE_BYTES:
		return (struct value){ s->bytes >= 0, s->bytes, 0 };
	case SITE_LAG_OBJECTS:
		return (struct value){ s->lag_objects >= 0, s->lag_objects, 0 };
	case SITE_LAG_BYTES:
		return (struct value){ s->lag_bytes >= 0, s->lag_bytes, 0 };
	}
	return (struct value){ 0, 0, 0 };
}

static void render_site_family(FILE *f, const struct site_family *fam, const struct metrics_site *sites, size_t n,
			       int64_t now_ns)
{
	int header = 0;

	for (size_t i = 0; i < n; i++) {
		struct value v = site_value(&sites[i], fam->which, now_ns);

		if (!v.present || sites[i].status_unknown)
			continue;
		if (!header++)
			print_header(f, fam->name, "gauge", fam->help);
		print_sample(f, fam->name, "site", sites[i].name, v);
	}
}

/* Drill metrics: each site's last drill. */
enum drill_metric { DRILL_TIME, DRILL_SUCCESS, DRILL_RECOVERY, DRILL_LOSS_WINDOW };

struct drill_family {
	const char *name, *help;
	enum drill_metric which;
};

static const struct drill_family drill_families[] = {
	{ "cairn_drill_last_timestamp_seconds", "When the site's last recovery drill ran (Unix time).", DRILL_TIME },
	{ "cairn_drill_last_success", "1 when the site's last recovery drill passed, 0 when it failed.", DRILL_SUCCESS },
	{ "cairn_drill_last_recovery_seconds", "Recovery time achieved by the site's last drill (the RTO measured).",
	  DRILL_RECOVERY },
	{ "cairn_drill_last_loss_window_seconds",
	  "Loss window of the site's last drill: the requested time minus the recovery point's time.",
	  DRILL_LOSS_WINDOW },
};

static struct value drill_value(const struct cairn_drill_last *d, enum drill_metric which)
{
	switch (which) {
	case DRILL_TIME:
		return (struct value){ 1, d->time_ns, 1 };
	case DRILL_SUCCESS:
		return (struct value){ 1, d->pass, 0 };
	case DRILL_RECOVERY:
		return (struct value){ d->recovery_ns >= 0, d->recovery_ns, 1 };
	case DRILL_LOSS_WINDOW:
		return (struct value){ d->loss_window_ns >= 0, d->loss_window_ns, 1 };
	}
	return (struct value){ 0, 0, 0 };
}

static void render_drill_family(FILE *f, const struct drill_family *fam, const struct metrics_site *sites, size_t n)
{
	int header = 0;

	for (size_t i = 0; i < n; i++) {
		struct value v;

		if (!sites[i].has_drill)
			continue;
		v = drill_value(&sites[i].drill, fam->which);
		if (!v.present)
			continue;
		if (!header++)
			print_header(f, fam->name, "gauge", fam->help);
		print_sample(f, fam->name, "site", sites[i].name, v);
	}
}

int metrics_render(FILE *f, const struct job_report *jobs, size_t njobs, const struct metrics_site *sites,
		   size_t nsites, int64_t now_ns)
{
	for (size_t i = 0; i < sizeof(job_families) / sizeof(job_families[0]); i++)
		render_job_family(f, &job_families[i], jobs, njobs);
	for (size_t i = 0; i < sizeof(site_families) / sizeof(site_families[0]); i++)
		render_site_family(f, &site_families[i], sites, nsites, now_ns);
	for (size_t i = 0; i < sizeof(drill_families) / sizeof(drill_families[0]); i++)
		render_drill_family(f, &drill_families[i], sites, nsites);
	print_header(f, "cairn_metrics_timestamp_seconds", "gauge",
		     "When cairn wrote this file (Unix time); the RPO exposure is as of then.");
	fputs("cairn_metrics_timestamp_seconds ", f);
	print_value(f, (struct value){ 1, now_ns, 1 });
	return ferror(f) ? cairn_err(CAIRN_EIO, "cannot render the metrics") : 0;
}

int metrics_write(const char *path, const struct job_report *jobs, size_t njobs, const struct metrics_site *sites,
		  size_t nsites, int64_t now_ns)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc;

	if (f == NULL)
		return cairn_err(CAIRN_ENOMEM, "out of memory rendering the metrics for '%s'", path);
	rc = metrics_render(f, jobs, njobs, sites, nsites, now_ns);
	if (fclose(f) != 0 && rc == 0)
		rc = cairn_err(CAIRN_ENOMEM, "out of memory rendering the metrics for '%s'", path);
	if (rc == 0)
		rc = cairn_file_write_atomic(path, text, len, 0644);
	free(text);
	return rc;
}

/* ---- site rows ---- */

static int newest_row(void *ctx, const struct cairn_catalog_snapshot *row)
{
	*(int64_t *)ctx = row->time_ns;
	return 1; /* the first is the newest: stop */
}

static int primary_site(struct cairn_repo *repo, const struct cli_repo_opts *o, struct metrics_site *row)
{
	int rc;

	snprintf(row->name, sizeof(row->name), "primary");
	row->newest_ns = 0;
	rc = cairn_catalog_snapshot_each_newest(cairn_repo_catalog(repo), newest_row, &row->newest_ns);
	if (rc < 0)
		return rc;
	row->rpo_ns = o->cfg != NULL ? cairn_config_site_rpo(o->cfg, &o->cfg->primary) : -1;
	row->pending = row->objects = row->bytes = row->lag_objects = row->lag_bytes = -1;
	return 0;
}

static int replica_site(struct cairn_repo *repo, const struct cli_repo_opts *o, const struct cairn_site_config *site,
			struct metrics_site *row)
{
	struct cairn_site_status ss;
	int rc = cairn_replicate_site_status(repo, site->name, &ss);

	if (rc < 0)
		return cairn_err_ctx(rc, "replica '%s'", site->name);
	snprintf(row->name, sizeof(row->name), "%s", site->name);
	row->is_replica = 1;
	row->newest_ns = ss.newest_time_ns;
	row->rpo_ns = cairn_config_site_rpo(o->cfg, site);
	row->pending = (int64_t)ss.snapshots_pending;
	row->objects = (int64_t)ss.objects_on_site;
	row->bytes = (int64_t)ss.bytes_on_site;
	row->lag_objects = (int64_t)ss.objects_pending;
	row->lag_bytes = (int64_t)ss.bytes_pending;
	return 0;
}

int metrics_sites_collect(struct cairn_repo *repo, const struct cli_repo_opts *o, struct metrics_site **ret,
			  size_t *ret_n)
{
	size_t nrep = o->cfg != NULL ? o->cfg->nreplicas : 0;
	struct metrics_site *rows = cairn_calloc(nrep + 1, sizeof(*rows));
	int rc;

	if (rows == NULL)
		return cairn_err(CAIRN_ENOMEM, "out of memory");
	rc = primary_site(repo, o, &rows[0]);
	for (size_t i = 0; rc == 0 && i < nrep; i++)
		rc = replica_site(repo, o, &o->cfg->replicas[i], &rows[i + 1]);
	if (rc < 0) {
		free(rows);
		return rc;
	}
	*ret = rows;
	*ret_n = nrep + 1;
	return 0;
}

static json_t *site_json(const struct metrics_site *s)
{
	return json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "site", s->name, "replica", s->is_replica,
			 "newest_ns", (json_int_t)s->newest_ns, "rpo_ns", (json_int_t)s->rpo_ns, "pending",
			 (json_int_t)s->pending, "objects", (json_int_t)s->objects, "bytes", (json_int_t)s->bytes,
			 "lag_objects", (json_int_t)s->lag_objects, "lag_bytes", (json_int_t)s->lag_bytes);
}

static char *sites_path(const char *state_dir)
{
	return cairn_asprintf("%s/jobs/.sites.json", state_dir);
}

int metrics_sites_save(const char *state_dir, const struct metrics_site *sites, size_t n)
{
	json_t *arr = json_array(), *doc = arr ? json_pack("{s:i, s:o}", "version", SITES_VERSION, "sites", arr) : NULL;
	char *dir = cairn_asprintf("%s/jobs", state_dir), *path = sites_path(state_dir), *text = NULL;
	int rc = 0;

	for (size_t i = 0; doc != NULL && i < n; i++)
		if (json_array_append_new(arr, site_json(&sites[i])) < 0)
			rc = -1;
	if (doc != NULL && rc == 0)
		text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (text == NULL || dir == NULL || path == NULL) {
		rc = cairn_err(CAIRN_ENOMEM, "out of memory");
	} else {
		rc = cairn_file_mkdir_p(AT_FDCWD, dir, 0700, 0);
		if (rc == 0)
			rc = cairn_file_write_atomic(path, text, strlen(text), 0600);
	}
	free(text);
	free(dir);
	free(path);
	return rc;
}

static int valid_site_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > CAIRN_CONFIG_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_' && name[i] != '-')
			return 0;
	return 1;
}

static int site_parse(json_t *j, struct metrics_site *s)
{
	const char *name = NULL;
	json_int_t newest, rpo, pending, objects, bytes, lag_objects = -1, lag_bytes = -1;
	int replica;

	if (json_unpack(j, "{s:s, s:b, s:I, s:I, s:I, s:I, s:I, s?I, s?I}", "site", &name, "replica", &replica,
			"newest_ns", &newest, "rpo_ns", &rpo, "pending", &pending, "objects", &objects, "bytes", &bytes,
			"lag_objects", &lag_objects, "lag_bytes", &lag_bytes) < 0 ||
	    !valid_site_name(name))
		return -1;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->is_replica = replica;
	s->newest_ns = newest;
	s->rpo_ns = rpo;
	s->pending = pending;
	s->objects = objects;
	s->bytes = bytes;
	s->lag_objects = lag_objects;
	s->lag_bytes = lag_bytes;
	return 0;
}

/* The rows saved by the last job that had the primary open; none when no
 * job saved any yet. */
static int saved_rows(const char *state_dir, struct metrics_site **ret, size_t *ret_n)
{
	char *path = sites_path(state_dir);
	struct metrics_site *rows = NULL;
	json_error_t jerr;
	json_t *doc, *arr;
	size_t n;
	int rc = 0;

	if (path == NULL)
		return cairn_err(CAIRN_ENOMEM, "out of memory");
	doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		if (access(path, F_OK) < 0 && errno == ENOENT)
			rc = 0; /* no site rows saved yet */
		else
			rc = cairn_err(CAIRN_EFORMAT, "cannot read '%s': %s", path, jerr.text);
		free(path);
		return rc;
	}
	arr = json_object_get(doc, "sites");
	n = json_array_size(arr);
	if (!json_is_array(arr))
		rc = cairn_err(CAIRN_EFORMAT, "'%s' has no \"sites\" list", path);
	else if (n > 0 && (rows = cairn_calloc(n, sizeof(*rows))) == NULL)
		rc = cairn_err(CAIRN_ENOMEM, "out of memory");
	for (size_t i = 0; rows != NULL && rc == 0 && i < n; i++)
		if (site_parse(json_array_get(arr, i), &rows[i]) < 0)
			rc = cairn_err(CAIRN_EFORMAT, "'%s': site %zu is malformed", path, i);
	json_decref(doc);
	free(path);
	if (rc < 0 || rows == NULL) {
		free(rows);
		return rc;
	}
	*ret = rows;
	*ret_n = n;
	return 0;
}

int metrics_sites_load(const struct cli_ctx *ctx, const char *state_dir, struct metrics_site **ret, size_t *ret_n)
{
	struct metrics_site *rows = NULL;
	size_t n = 0;
	int rc;

	*ret = NULL;
	*ret_n = 0;
	rc = saved_rows(state_dir, &rows, &n);
	/* a drill history that cannot be read costs its metrics, not the others */
	if (rc == 0 && metrics_drills_merge(state_dir, &rows, &n) < 0)
		cli_warn(ctx, "the drill metrics are left out: %s", cairn_err_msg());
	if (rc < 0 || rows == NULL) {
		free(rows);
		return rc;
	}
	*ret = rows;
	*ret_n = n;
	return 0;
}

int metrics_drills_merge(const char *state_dir, struct metrics_site **rows, size_t *n)
{
	struct cairn_drill_last *drills = NULL;
	struct metrics_site *all;
	size_t ndrills = 0, extra = 0, k;
	int rc = cairn_drill_last_list(state_dir, &drills, &ndrills);

	if (rc < 0)
		return rc;
	for (size_t d = 0; d < ndrills; d++) {
		size_t i = 0;

		while (i < *n && strcmp((*rows)[i].name, drills[d].site) != 0)
			i++;
		extra += i == *n;
	}
	all = extra > 0 ? cairn_reallocarray(*rows, *n + extra, sizeof(**rows)) : *rows;
	if (all == NULL && *n + extra > 0) {
		free(drills);
		return cairn_err(CAIRN_ENOMEM, "out of memory");
	}
	k = *n;
	for (size_t d = 0; d < ndrills; d++) {
		size_t i = 0;

		while (i < k && strcmp(all[i].name, drills[d].site) != 0)
			i++;
		if (i == k) {
			memset(&all[k], 0, sizeof(all[k]));
			snprintf(all[k].name, sizeof(all[k].name), "%s", drills[d].site);
			all[k].status_unknown = 1;
			all[k].rpo_ns = all[k].pending = all[k].objects = all[k].bytes = -1;
			all[k].lag_objects = all[k].lag_bytes = -1;
			k++;
		}
		all[i].has_drill = 1;
		all[i].drill = drills[d];
	}
	free(drills);
	*rows = all;
	*n = k;
	return 0;
}
