/* Drills: the decisions of a disaster-recovery rehearsal, and the record of
 * the ones that ran. No printing, no exit codes: the programs print what
 * these functions decide and map a result to an exit code.
 *
 *   the loss window   how much of the requested time a recovery point
 *                     misses, and whether that is within an RPO: the one
 *                     rule `cairn-restore restore --rpo`, the drill and
 *                     `cairn-agent status` share (cairn_drill_rpo_judge)
 *   the verdict       pass or fail of a drill against its data, RPO and RTO,
 *                     with every reason as data (cairn_drill_verdict)
 *   findings          what went wrong, collected from the callbacks of the
 *                     sync, the restore and the verification
 *   the history       <state dir>/drills/<site>.jsonl, one JSON object per
 *                     drill: appended by the drill, read back for its chart,
 *                     by `status` and by the metrics file
 *
 * Times are nanoseconds; a measure that was not taken is -1.
 */
#ifndef CAIRN_DRILL_H
#define CAIRN_DRILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cairn/event.h"
#include "cairn/restore.h"

/* ---- the loss window and the RPO ---- */

/* What a recovery point misses of a requested time, judged against an RPO. */
struct cairn_drill_rpo {
	bool have_point;      /* a recovery point was given */
	int64_t window_ns;    /* requested minus the point's time, never below 0; -1 without a point */
	bool met;             /* within the RPO (always without one; never without a point when there is one) */
	int64_t over_ns;      /* by how much the window exceeds the RPO, 0 when met */
};

/* The one loss-window rule. `requested_ns`: the time asked for (--at, or now);
 * `point_ns`: the recovery point's time, < 0 when there is none; `rpo_ns`:
 * the objective, < 0 for none. The window is requested - point, 0 when the
 * point lies after the requested time (a clock set back). The RPO is met
 * when there is no RPO, or when there is a point and window <= rpo (the
 * boundary is met). Pure; never fails; *ret is always written. */
void cairn_drill_rpo_judge(int64_t requested_ns, int64_t point_ns, int64_t rpo_ns, struct cairn_drill_rpo *ret);

/* ---- the verdict of a drill ---- */

/* The result of a drill, from the worst down: the first that applies. */
enum cairn_drill_result {
	CAIRN_DRILL_PASS = 0,
	CAIRN_DRILL_DAMAGED,     /* damaged data, or restored entries that differ from the snapshot */
	CAIRN_DRILL_UNVERIFIED,  /* the verification could not run */
	CAIRN_DRILL_PARTIAL,     /* entries the restore could not create */
	CAIRN_DRILL_RPO,         /* the loss window exceeds the RPO */
	CAIRN_DRILL_RTO          /* the recovery took longer than the RTO */
};

/* One reason a drill failed: its kind (the result it leads to) and the
 * sentence a person reads ("RPO not met: the data-loss window of 2h exceeds
 * the RPO of 1h by 1h"). */
struct cairn_drill_reason {
	enum cairn_drill_result kind;
	char text[1100];       /* a library detail (up to 1023 bytes) fits whole */
};

#define CAIRN_DRILL_REASONS_MAX 8

/* What a drill that ran through measured: the verdict's input. */
struct cairn_drill_outcome {
	/* the data */
	size_t damaged_objects;     /* objects the restore found damaged (one group without an object counts) */
	uint64_t damaged_files;     /* files not restored for damage */
	size_t sync_damage;         /* damaged index or snapshot objects on the site */
	uint64_t differ;            /* restored entries that differ from the snapshot, not counting those
				     * that are consequences of damage or errors the restore reported */
	bool verified;              /* the verification ran */
	const char *verify_error;   /* why it could not run (NULL: unknown) */
	uint64_t restore_errors;    /* entries the restore could not create or set up */
	/* the objectives */
	int64_t rpo_ns, rto_ns;     /* -1 = none */
	bool rpo_of_newest;         /* the RPO is judged on the age of the site's newest point (a random
				     * point was restored), not on the restored point's loss window */
	struct cairn_drill_rpo rpo; /* the loss window judged against rpo_ns (cairn_drill_rpo_judge) */
	int64_t recovery_ns;        /* the recovery time achieved, -1 unknown */
};

struct cairn_drill_verdict {
	enum cairn_drill_result result; /* the worst reason's kind; CAIRN_DRILL_PASS when there is none */
	size_t nreasons;
	struct cairn_drill_reason reasons[CAIRN_DRILL_REASONS_MAX]; /* in this order: damage, verification,
								     * partial restore, RPO, RTO */
};

/* Judge a drill that ran through: every reason to fail, in order, and the
 * result of the worst (see enum cairn_drill_result). Pure; *ret is always
 * written. A drill stopped early is not judged here: the program keeps the
 * code of the step that stopped it. */
void cairn_drill_verdict(const struct cairn_drill_outcome *in, struct cairn_drill_verdict *ret);

/* The outcome members a set of findings decides (damaged_objects,
 * damaged_files, sync_damage, differ); the others are left alone. */
struct cairn_drill_findings;
void cairn_drill_outcome_from_findings(const struct cairn_drill_findings *f, struct cairn_drill_outcome *out);

/* ---- findings ---- */

/* Paths kept per list (all are counted). */
#define CAIRN_DRILL_LIST_MAX 200
/* Paths of restore problems remembered (per kind), so that the
 * verification's findings at those paths are known as their consequences. */
#define CAIRN_DRILL_ERROR_PATHS_MAX 100000

/* A damaged object and the files it kept from being restored. */
struct cairn_drill_damaged {
	struct cairn_event_ref ref; /* the object (type none with a NULL object) */
	char *object;            /* "data/ab/<pack>"; NULL: damage not tied to a known object */
	char **files;            /* the first CAIRN_DRILL_LIST_MAX, clean text */
	size_t nfiles;
	uint64_t files_total;
};

/* A kept message about one path. */
struct cairn_drill_item {
	char *path;              /* clean text */
	char *msg;
	unsigned problems;       /* verification failures: enum cairn_verify_problem bits */
};

struct cairn_drill_list {
	struct cairn_drill_item *items; /* the first CAIRN_DRILL_LIST_MAX */
	size_t n;
	uint64_t total;
};

/* Paths, for membership tests (open addressing, owned copies). */
struct cairn_drill_pathset {
	char **slots;
	size_t cap, used;
	int full;                /* some were not kept: membership is then unknown */
};

/* Everything is owned by the struct; a zeroed struct is empty. */
struct cairn_drill_findings {
	struct cairn_drill_damaged *damaged; /* in the order found */
	size_t ndamaged;
	uint64_t damaged_files;        /* files the restore did not restore for damage */
	char **sync_damage;            /* messages of damaged index or snapshot objects */
	char **sync_objects;           /* for each message, the object's name, or NULL when it names none */
	size_t nsync_damage;
	struct cairn_drill_pathset damaged_paths; /* the files the restore reported damaged */
	struct cairn_drill_list errors;      /* restore errors (entries not created or set up) */
	struct cairn_drill_pathset error_paths;
	struct cairn_drill_list failures;    /* verification failures */
	uint64_t failures_after_damage; /* of which at a path the restore reported damaged */
	uint64_t failures_after_error; /* of which at a path the restore reported an error for */
};

/* What a verification failure is a consequence of. */
enum cairn_drill_after {
	CAIRN_DRILL_AFTER_NONE = 0,
	CAIRN_DRILL_AFTER_DAMAGE, /* the restore reported the path's data damaged */
	CAIRN_DRILL_AFTER_ERROR   /* the restore reported an error for the path */
};

/* Record a restore problem (the shape of cairn_restore_opts.on_problem;
 * ctx: the struct cairn_drill_findings), filed from the event's fields
 * (class, object type and id, path), never from its message. Memory stays bounded: lists keep
 * their first CAIRN_DRILL_LIST_MAX items and count the rest; a failed
 * allocation loses an item, never the count. */
void cairn_drill_on_restore_problem(void *ctx, const struct cairn_event *ev);
/* Record a verification failure (ctx: the findings) and return what it is a
 * consequence of; the kept message says so ("... (the restore reported its
 * data damaged)", cairn_drill_after_text). */
enum cairn_drill_after cairn_drill_on_verify_failure(void *ctx, const struct cairn_event *ev);
/* Record a damaged index or snapshot object reported by the sync (ctx: the
 * findings); the object's name is the event's, not one found in the message. */
void cairn_drill_on_sync_warning(void *ctx, const struct cairn_event *ev);
/* " (the restore reported its data damaged)", " (the restore reported an
 * error for it)" or "": a static string. */
const char *cairn_drill_after_text(enum cairn_drill_after after);
/* Free what the findings hold and zero them; NULL does nothing. */
void cairn_drill_findings_free(struct cairn_drill_findings *f);
/* Names of the damaged objects (those known), as a new JSON array (NULL
 * when out of memory). */
json_t *cairn_drill_damaged_names(const struct cairn_drill_findings *f);
/* Entries that failed verification, damaged files included. */
uint64_t cairn_drill_failed_files(const struct cairn_drill_findings *f);

/* ---- text ---- */

/* A copy of `in` (NULL: "") that is valid UTF-8 without control characters:
 * other bytes become "\xNN". malloc'd, NULL when out of memory. */
char *cairn_drill_clean_text(const char *in);
/* "1.234 s" below a minute, else "3m12s"; "-" for a negative span. */
void cairn_drill_format_span(int64_t ns, char *out, size_t len);

/* ---- the history ---- */

#define CAIRN_DRILL_HISTORY_DIR "drills"
#define CAIRN_DRILL_SITE_MAX 32 /* a history's site part: "primary", a replica's name, "url-<16 hex>" */
#define CAIRN_DRILL_LAST_REASONS_MAX 512

/* Whether `site` can name a history file: 1 to 32 of [A-Za-z0-9_-] (no
 * '/', no leading '.'). */
int cairn_drill_site_name_ok(const char *site);

/* <state_dir>/drills/<site>.jsonl, malloc'd; NULL when out of memory or the
 * name is not one cairn_drill_site_name_ok accepts. */
char *cairn_drill_history_path(const char *state_dir, const char *site);

/* Append `record` as one line to the history of `site` (directories 0700,
 * file 0600), with one write(2) on a file opened with O_APPEND, then fsync:
 * concurrent drills do not mix their lines. 0; CAIRN_EINVAL (a site that
 * cannot name a file), CAIRN_ENOMEM, CAIRN_EIO with a detail naming the
 * directory or file. */
int cairn_drill_history_append(const char *state_dir, const char *site, json_t *record);

/* One past drill, for a chart. */
struct cairn_drill_past {
	int64_t time_ns;
	int64_t recovery_ns;           /* -1 unknown */
	int pass;
};
/* The last drills of `site` (at most `max`, which is at most
 * CAIRN_DRILL_CHART_MAX), oldest first, into past[]; lines that are not a
 * drill (torn, edited) are skipped. Returns how many; a history that is
 * missing or cannot be read has none. */
#define CAIRN_DRILL_CHART_MAX 12
size_t cairn_drill_history_last(const char *state_dir, const char *site, struct cairn_drill_past *past, size_t max);

/* The last drill of a site, as `status` and the metrics show it. A line
 * counts when it is a JSON object with an integer "time_ns" > 0 and a
 * "result" of "pass" or "fail"; the other members are read when present
 * with the right type. The last line that counts is the site's last drill:
 * a torn or malformed line is skipped, never an error. */
struct cairn_drill_last {
	char site[CAIRN_DRILL_SITE_MAX + 1];
	int64_t time_ns;          /* when the drill ran */
	int pass;                 /* "result": 1 "pass", 0 "fail" */
	int64_t recovery_ns;      /* "recovery_ns": the recovery time achieved (RTO), -1 unknown */
	int64_t rto_ns;           /* "rto_ns": the RTO objective, -1 none */
	int64_t loss_window_ns;   /* "loss_window_ns": the requested time minus the point's time, -1 unknown */
	int64_t rpo_ns;           /* "rpo_ns": the RPO objective, -1 none */
	int exit_code;            /* "exit_code", -1 unknown */
	char point[72];           /* "point": the snapshot id, "" unknown */
	char reasons[CAIRN_DRILL_LAST_REASONS_MAX]; /* "reasons" joined with "; ", "" none */
};

/* Parse one line (`len` bytes, no line end needed). 0 and *ret (and, when
 * ret_record is not NULL, the object as read: a new reference), or -1 when
 * the line does not count. ret->site is left alone. */
int cairn_drill_last_parse(const char *line, size_t len, struct cairn_drill_last *ret, json_t **ret_record);

/* The last drill of `site`: 0 and *ret (and *ret_record, may be NULL);
 * CAIRN_ENOTFOUND when there is no history file or no line counts;
 * CAIRN_EINVAL for a site name that cannot be a file's; CAIRN_EIO (the file
 * cannot be read, named) or CAIRN_ENOMEM. */
int cairn_drill_last_read(const char *state_dir, const char *site, struct cairn_drill_last *ret,
			  json_t **ret_record);

/* The last drill of every site that has a history file under
 * <state_dir>/drills (files whose name is not <site>.jsonl of a valid
 * site name are ignored, as are sites without a line that counts), sorted
 * by site. *ret is malloc'd (NULL when there is none). 0, CAIRN_EIO or
 * CAIRN_ENOMEM; a missing directory is no drill. */
int cairn_drill_last_list(const char *state_dir, struct cairn_drill_last **ret, size_t *ret_n);

/* "pass, 2026-11-27T06:00:12Z, RTO achieved 12.3 s (target 1h), loss window
 * 2h" and, for a failed drill, "; " and its reasons, into buf. */
void cairn_drill_last_describe(const struct cairn_drill_last *d, char *buf, size_t len);

#endif
