/* The Prometheus metrics file ([cairn] metrics-file): every job's last run
 * and every site's replication status, in the text exposition format, for
 * node_exporter's textfile collector. job_report_finish rewrites it after
 * each job (see job_report.h); docs/OPERATIONS.md lists the metrics.
 *
 * The site rows come from the primary's catalog, which only a command
 * holding the repository open can read: job_report_sites collects them
 * (metrics_sites_collect) and saves them under <state dir>/jobs/.sites.json
 * (metrics_sites_save); the writer takes the last saved rows
 * (metrics_sites_load), and computes the RPO exposure as of its own time.
 * metrics_sites_load also attaches each site's last drill, read afresh
 * from <state dir>/drills/<site>.jsonl (cairn/drill.h), so the drill
 * metrics are as of the file's writing too (a history that cannot be read
 * is a warning: the other metrics are still written).
 */
#ifndef CAIRN_METRICS_H
#define CAIRN_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cairn/config.h"

#include "cairn/drill.h"
#include "job_report.h"

struct cli_ctx;
struct cli_repo_opts;
struct cairn_repo;

/* One site's row. */
struct metrics_site {
	char name[CAIRN_CONFIG_NAME_MAX + 1]; /* "primary" or a replica's name */
	int is_replica;
	int64_t newest_ns;  /* time of the newest snapshot complete there, 0 = none */
	int64_t rpo_ns;     /* RPO target, -1 = none */
	int64_t pending;    /* snapshots not there yet, -1 = not known (the primary) */
	int64_t objects;    /* objects recorded there, -1 = not known (the primary) */
	int64_t bytes;      /* their bytes, -1 = not known */
	int64_t lag_objects; /* objects of the primary not there yet, -1 = not known (the primary) */
	int64_t lag_bytes;   /* their bytes (packs), -1 = not known */
	/* the site's last drill (cairn_drill_* metrics) */
	int status_unknown; /* 1: only the drill is known of this site (no cairn_site_* metric) */
	int has_drill;      /* 0: no drill recorded */
	struct cairn_drill_last drill;
};

/* Render every metric into `f`: the jobs' last runs, the sites' rows (RPO
 * exposure as of now_ns) and the time of writing. 0, or CAIRN_EIO. */
int metrics_render(FILE *f, const struct job_report *jobs, size_t njobs, const struct metrics_site *sites,
		   size_t nsites, int64_t now_ns);
/* Render into `path` atomically (mode 0644: the exporter usually runs as
 * another user). 0, CAIRN_EIO or CAIRN_ENOMEM with a detail naming the file. */
int metrics_write(const char *path, const struct job_report *jobs, size_t njobs, const struct metrics_site *sites,
		  size_t nsites, int64_t now_ns);

/* The primary's and every configured replica's row from the open
 * repository's catalog (no request is sent). *ret is malloc'd. 0 or a
 * library error code. */
int metrics_sites_collect(struct cairn_repo *repo, const struct cli_repo_opts *o, struct metrics_site **ret,
			  size_t *ret_n);
/* Save rows under <state_dir>/jobs/.sites.json (atomically, mode 0600);
 * load them back (*ret NULL and 0 rows when there is no file yet; a drill
 * history that cannot be read is a warning to `ctx`). 0 or a library error
 * code with a detail. */
int metrics_sites_save(const char *state_dir, const struct metrics_site *sites, size_t n);
int metrics_sites_load(const struct cli_ctx *ctx, const char *state_dir, struct metrics_site **ret, size_t *ret_n);
/* Attach the last drill of every site with a drill history under
 * <state_dir>/drills to its row of *rows (n of them, malloc'd or NULL); a
 * site without a row gets one of its own (status_unknown). metrics_sites_load
 * calls it. 0 or a library error code (*rows is then unchanged). */
int metrics_drills_merge(const char *state_dir, struct metrics_site **rows, size_t *n);

/* Escape a label value for the exposition format (\\, \" and \n) into
 * out; returns 0, or -1 when it does not fit. */
int metrics_escape_label(const char *value, char *out, size_t len);

#endif
