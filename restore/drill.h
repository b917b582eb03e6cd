/* cairn-restore drill: a disaster-recovery rehearsal from one site.
 *
 * The drill is a sequence of steps over one struct drill, each in its own
 * file:
 *
 *   drill_args.c     options -> d->a (what was asked)
 *   drill_site.c     the site (name, URL, history file name); the primary refused
 *   drill_run.c      fresh state directory, open and sync (timed), restore (timed),
 *                    verification; the callbacks that print each problem and
 *                    record it in the findings (lib/drill)
 *   drill_point.c    the recovery point: --at, latest or a seeded random one,
 *                    and its loss window (cairn_drill_rpo_judge)
 *   drill_verdict.c  lib/drill's verdict (cairn_drill_verdict) as reasons and an exit code
 *   drill_record.c   the JSON record: --json, the history line
 *   drill_report.c   the report a person reads (Markdown or HTML)
 *   drill_print.c    the human summary on stdout
 *   drill_scratch.c  temporary directories: made, emptied, removed
 *   drill_text.c     the duration options; text escaped for Markdown and HTML
 *
 * The decisions live in lib/drill (include/cairn/drill.h): findings, the
 * verdict, the loss window, the history (<state dir>/drills/<site>.jsonl).
 *
 * Every member is owned by the struct and released by drill_free(). Times
 * are nanoseconds; a measure that was not taken is -1.
 */
#ifndef CAIRN_RESTORE_DRILL_H
#define CAIRN_RESTORE_DRILL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"

#include "cairn/clock.h"
#include "cairn/drill.h"
#include "cairn/restore.h"
#include "cairn/snapshot.h"
#include "cairn/s3.h"
#include "cairn/verify.h"

#include <jansson.h>

/* Default --within of --random-point. */
#define DRILL_WITHIN_DEFAULT_NS (7LL * 86400 * 1000000000LL)
/* The history file name of a site: a configured name, or "url-" and 16 hex
 * digits of the SHA-256 of the URL. */
#define DRILL_SITE_FILE_MAX 40

/* What was asked on the command line. */
struct drill_args {
	const char *at;          /* --at TIME, NULL = latest */
	int random_point;        /* --random-point */
	int64_t within_ns;       /* --within, default DRILL_WITHIN_DEFAULT_NS */
	int within_given;
	uint64_t seed;           /* --seed, else random */
	int seed_given;
	int64_t rpo_ns, rto_ns;  /* -1 = none */
	const char *scratch;     /* --scratch DIR, NULL = a new directory under $TMPDIR or /var/tmp */
	double sample;           /* --sample PERCENT, default 100 */
	int keep;                /* --keep */
	int allow_primary;       /* --allow-primary */
	const char *report;      /* --report FILE */
	const char *job;         /* --job NAME: the job record's name, default "drill:SITE" */
};

struct drill {
	struct cli_repo_opts o;        /* o.state_dir: the normal state directory (history, job record) */
	struct drill_args a;

	/* the site */
	char *site;                    /* a configured name, or the URL */
	char *url;
	char site_file[DRILL_SITE_FILE_MAX]; /* history file and job name part */

	/* clocks */
	int64_t start_ns;              /* wall clock at the start */
	int64_t start_mono_ns;         /* cairn_time_mono_ns() at the start */
	int64_t sync_ns;               /* start to catalog synchronised: open, keys, index, snapshots */
	int64_t restore_ns;            /* the restore itself */
	int64_t recovery_ns;           /* start to the restore's end: the RTO achieved */
	int64_t first_byte_ns;         /* start to the first content byte written */
	int64_t verify_ns;

	/* the point */
	int64_t requested_ns;          /* --at, else now */
	int have_point;
	struct cairn_snapshot snap;
	int64_t loss_window_ns;        /* requested minus the point's time */
	int64_t newest_ns;             /* the newest snapshot on the site, -1 none */
	size_t npoints;                /* snapshots on the site */
	size_t candidates;             /* --random-point: points in the window */

	/* the work */
	struct cli_progress progress;  /* the live line on stderr */
	struct cairn_repo *repo;
	char *state_tmp;               /* the fresh state directory */
	char *scratch;                 /* where the point is restored */
	int scratch_made;              /* created by the drill (removed whole), else emptied */
	int scratch_kept;
	int restored;                  /* the restore ran */
	int restore_rc;
	struct cairn_restore_stats rst;
	struct cairn_store_stats store; /* after the restore: sync and restore */
	int verified;                  /* the verification ran */
	int verify_rc;
	char *verify_error;            /* why it could not run */
	struct cairn_verify_stats vst;
	struct cairn_drill_findings f; /* lib/drill records them; the callbacks below print */

	/* the verdict */
	char *fatal;                   /* what stopped the drill early, NULL when it ran through */
	int exit_code;
	int pass;
	char **reasons;
	size_t nreasons;
};

/* A drill of the run `ctx` (kept in d->o.ctx: where messages and the job record go). */
void drill_init(struct drill *d, struct cli_ctx *ctx);
void drill_free(struct drill *d);

/* drill_args.c: parse argv (after "drill"). Returns -1 to go on, else the
 * exit code (help printed, or a usage error reported). */
int drill_parse_args(struct drill *d, int argc, char **argv);

/* drill_site.c: after cli_repo_opts_env: the site's name, URL and file
 * name; refuses the configured primary without --allow-primary. Returns 0
 * or an exit code. */
int drill_site_resolve(struct drill *d);

/* drill_run.c */
/* The scratch directory, before the drill starts (a non-empty one is a
 * usage error): 0 or an exit code, reported. */
int drill_scratch_setup(struct drill *d);
int drill_open(struct drill *d);          /* fresh state dir, open, sync: 0 or an exit code */
int drill_restore(struct drill *d);       /* scratch, restore: 0 or an exit code */
void drill_verify(struct drill *d);
void drill_cleanup(struct drill *d);      /* scratch (unless --keep) and the state dir removed */

/* drill_point.c: choose the point (needs d->repo). 0 or an exit code
 * (CAIRN_EXIT_NO_POINT when there is none). */
int drill_choose_point(struct drill *d);

/* drill_run.c: the callbacks of the sync, the restore and the
 * verification: print the event, then record it in d->f (lib/drill, which
 * files it from its fields). */
void drill_print_restore_problem(void *ctx, const struct cairn_event *ev);
void drill_print_verify_failure(void *ctx, const struct cairn_event *ev);
void drill_print_sync_warning(void *ctx, const struct cairn_event *ev);

/* drill_verdict.c: pass/fail, reasons and the exit code (the verdict is
 * lib/drill's; this maps it); `code` is the exit code of a step that
 * stopped the drill (0 when it ran through). */
void drill_verdict(struct drill *d, int code);

/* drill_record.c */
json_t *drill_history_record(const struct drill *d); /* the history line's members (the contract) */
json_t *drill_json(const struct drill *d);           /* --json: the record and the details */

/* The state directory the history lives in (cli_state_dir of d->o), malloc'd; NULL when out of memory. */
char *drill_state_dir(const struct drill *d);

/* drill_report.c: write --report FILE (Markdown, or HTML for *.html). */
void drill_report_write(const struct drill *d);

/* drill_print.c: the human summary on stdout, and the hypothesis in words
 * ("restore the data as of T from site 'dr' within 5m (RTO), losing at
 * most 1h"). */
void drill_print(const struct drill *d);
void drill_hypothesis(const struct drill *d, char *out, size_t len);

/* drill_scratch.c */
/* A new directory "<$TMPDIR or /var/tmp>/<prefix>XXXXXX", mode 0700
 * (malloc'd); NULL with a detail (cairn_err_msg). */
char *drill_tempdir(const char *prefix);
/* Create `dir` (0700) when missing, else check that it is an empty
 * directory; *ret_made says which. 0, or a CAIRN_E* code with a detail. */
int drill_scratch_prepare(const char *dir, int *ret_made);
/* Remove everything under dir (never following a symbolic link; directory
 * modes are lifted as needed), and dir itself when `self`. 0 or -1 (warned,
 * to ctx). */
int drill_remove_tree(const struct cli_ctx *ctx, const char *dir, int self);

/* drill_text.c (durations and clean text: cairn_drill_format_span and
 * cairn_drill_clean_text, lib/drill) */
/* Parse a duration: cairn_duration_parse's forms, or "<N>ms". 0 or -1. */
int drill_duration_parse(const char *text, int64_t *ret_ns);
/* Write `s` escaped for HTML text and attributes. */
void drill_put_html(FILE *f, const char *s);
/* Write `s` as a Markdown code span. */
void drill_put_code(FILE *f, const char *s);

#endif
