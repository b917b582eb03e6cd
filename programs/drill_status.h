/* The last drill of each site, read back from the drill history this host
 * keeps: <state dir>/drills/<site>.jsonl, one JSON object per line, appended
 * by `cairn-restore drill` (the site part is the configured name as is:
 * "primary" or a replica's name). `cairn-agent status` and the metrics file
 * show it.
 *
 * A line counts when it is a JSON object with an integer "time_ns" and a
 * "result" of "pass" or "fail"; the other members are read when present
 * with the right type (see struct drill_last). The last line that counts
 * is the site's last drill: a torn or malformed line (a drill killed while
 * appending, a hand edit) is skipped, never an error.
 */
#ifndef CAIRN_PROGRAMS_DRILL_STATUS_H
#define CAIRN_PROGRAMS_DRILL_STATUS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define DRILL_HISTORY_DIR "drills"
#define DRILL_SITE_MAX 32 /* a configured site's name: "primary" or [A-Za-z0-9_-]{1,32} */
#define DRILL_REASONS_MAX 512

struct drill_last {
	char site[DRILL_SITE_MAX + 1];
	int64_t time_ns;          /* when the drill ran */
	int pass;                 /* "result": 1 "pass", 0 "fail" */
	int64_t recovery_ns;      /* "recovery_ns": the recovery time achieved (RTO), -1 unknown */
	int64_t rto_ns;           /* "rto_ns": the RTO objective, -1 none */
	int64_t loss_window_ns;   /* "loss_window_ns": the requested time minus the point's time, -1 unknown */
	int64_t rpo_ns;           /* "rpo_ns": the RPO objective, -1 none */
	int exit_code;            /* "exit_code", -1 unknown */
	char point[72];           /* "point": the snapshot id, "" unknown */
	char reasons[DRILL_REASONS_MAX]; /* "reasons" joined with "; ", "" none */
};

/* Whether `site` can name a history file: "primary" or 1 to 32 of
 * [A-Za-z0-9_-] (no '/', no leading '.'). */
int drill_site_name_ok(const char *site);

/* <state_dir>/drills/<site>.jsonl, malloc'd; NULL when out of memory or the
 * name is not one drill_site_name_ok accepts. */
char *drill_history_path(const char *state_dir, const char *site);

/* Parse one line (`len` bytes, no line end needed). 0 and *ret (and, when
 * ret_record is not NULL, the object as read: a new reference), or -1 when
 * the line does not count. ret->site is left alone. */
int drill_last_parse(const char *line, size_t len, struct drill_last *ret, json_t **ret_record);

/* The last drill of `site`: 0 and *ret (and *ret_record, may be NULL);
 * CAIRN_ENOTFOUND when there is no history file or no line counts;
 * CAIRN_EINVAL for a site name that cannot be a file's; CAIRN_EIO (the file
 * cannot be read, named) or CAIRN_ENOMEM. */
int drill_last_read(const char *state_dir, const char *site, struct drill_last *ret, json_t **ret_record);

/* The last drill of every site that has a history file under
 * <state_dir>/drills (files whose name is not <site>.jsonl of a valid
 * site name are ignored, as are sites without a line that counts), sorted
 * by site. *ret is malloc'd (NULL when there is none). 0, CAIRN_EIO or
 * CAIRN_ENOMEM; a missing directory is no drill. */
int drill_last_list(const char *state_dir, struct drill_last **ret, size_t *ret_n);

/* "pass, 2026-11-27T06:00:12Z, RTO achieved 12.3 s (target 1h), loss window
 * 2h" and, for a failed drill, "; " and its reasons, into buf. */
void drill_last_describe(const struct drill_last *d, char *buf, size_t len);

#endif
