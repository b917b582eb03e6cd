/* cairn-restore drill: the drill as JSON. The history line has exactly the
 * members `cairn-agent status` reads (the contract, docs/OPERATIONS.md
 * section 13); --json prints the same members and the details. A measure
 * that was not taken (the drill stopped before it) is null. */
#include "drill.h"

#include "snapshot_print.h"

#include "cairn/timeutil.h"

#include <stdlib.h>

/* A nanosecond measure, or null when it was not taken. */
static json_t *ns_or_null(int64_t ns)
{
	return ns >= 0 ? json_integer((json_int_t)ns) : json_null();
}

static json_t *count_or_null(int known, uint64_t v)
{
	return known ? json_integer((json_int_t)v) : json_null();
}

/* A string made valid UTF-8; "" when out of memory. */
static json_t *clean_string(const char *s)
{
	char *c = cairn_drill_clean_text(s);
	json_t *j = json_string(c != NULL ? c : "");

	free(c);
	return j;
}

static json_t *reasons_json(const struct drill *d)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < d->nreasons; i++)
		json_array_append_new(a, clean_string(d->reasons[i]));
	return a;
}

/* Sets `key` on obj to v (taken); returns 0, or -1 when v is NULL. */
static int put(json_t *obj, const char *key, json_t *v)
{
	return v != NULL && json_object_set_new(obj, key, v) == 0 ? 0 : -1;
}

json_t *drill_history_record(const struct drill *d)
{
	json_t *j = json_object();
	char when[CAIRN_TIME_STR];
	int bad = j == NULL;

	cairn_time_format(d->start_ns, 0, when);
	bad |= put(j, "time_ns", json_integer((json_int_t)d->start_ns));
	bad |= put(j, "time", json_string(when));
	bad |= put(j, "site", clean_string(d->site));
	bad |= put(j, "url", clean_string(d->url));
	bad |= put(j, "point", d->have_point ? json_string(d->snap.id) : json_null());
	bad |= put(j, "point_time_ns", d->have_point ? json_integer((json_int_t)d->snap.time_ns) : json_null());
	bad |= put(j, "requested_time_ns", json_integer((json_int_t)d->requested_ns));
	bad |= put(j, "loss_window_ns", ns_or_null(d->loss_window_ns));
	bad |= put(j, "rpo_ns", ns_or_null(d->a.rpo_ns));
	bad |= put(j, "rto_ns", ns_or_null(d->a.rto_ns));
	bad |= put(j, "recovery_ns", ns_or_null(d->recovery_ns));
	bad |= put(j, "first_byte_ns", ns_or_null(d->first_byte_ns));
	bad |= put(j, "sync_ns", ns_or_null(d->sync_ns));
	bad |= put(j, "files", count_or_null(d->restored, d->rst.files));
	bad |= put(j, "bytes", count_or_null(d->restored, d->rst.bytes));
	bad |= put(j, "verified_files", count_or_null(d->verified, d->vst.files_verified));
	bad |= put(j, "sample_percent", json_real(d->a.sample));
	bad |= put(j, "requests", count_or_null(d->sync_ns >= 0, d->store.requests));
	bad |= put(j, "retries", count_or_null(d->sync_ns >= 0, d->store.retries));
	bad |= put(j, "damaged_objects", cairn_drill_damaged_names(&d->f));
	bad |= put(j, "failed_files", json_integer((json_int_t)cairn_drill_failed_files(&d->f)));
	bad |= put(j, "result", json_string(d->pass ? "pass" : "fail"));
	bad |= put(j, "reasons", reasons_json(d));
	bad |= put(j, "exit_code", json_integer(d->exit_code));
	if (bad) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static const char *const problem_names[] = { "missing", "extra",    "type",    "size",       "mode",
					     "mtime",   "owner",    "target",  "rdev",       "hardlink",
					     "content", "unreadable", "tree" };

static json_t *problems_json(unsigned problems)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < sizeof(problem_names) / sizeof(problem_names[0]); i++)
		if (problems & (1u << i))
			json_array_append_new(a, json_string(problem_names[i]));
	return a;
}

static json_t *list_json(const struct cairn_drill_list *l, int with_problems)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < l->n; i++) {
		json_t *o = json_pack("{s:s, s:s}", "path", l->items[i].path, "message", l->items[i].msg);

		if (o != NULL && with_problems)
			json_object_set_new(o, "problems", problems_json(l->items[i].problems));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *damage_json(const struct cairn_drill_findings *f)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < f->ndamaged; i++) {
		const struct cairn_drill_damaged *g = &f->damaged[i];
		json_t *files = json_array();

		for (size_t k = 0; files != NULL && k < g->nfiles; k++)
			json_array_append_new(files, json_string(g->files[k]));
		json_array_append_new(a, json_pack("{s:o, s:o, s:I}", "object",
						   g->object ? json_string(g->object) : json_null(), "files",
						   files ? files : json_array(), "files_total",
						   (json_int_t)g->files_total));
	}
	for (size_t i = 0; a != NULL && i < f->nsync_damage; i++)
		json_array_append_new(a, json_pack("{s:n, s:s, s:[], s:I}", "object", "message", f->sync_damage[i],
						   "files", "files_total", (json_int_t)0));
	return a;
}

static json_t *store_json(const struct cairn_store_stats *st)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "requests", (json_int_t)st->requests, "retries",
			 (json_int_t)st->retries, "attempts", (json_int_t)st->attempts, "operations",
			 (json_int_t)st->operations, "failures", (json_int_t)st->failures, "bytes_up",
			 (json_int_t)st->bytes_up, "bytes_down", (json_int_t)st->bytes_down);
}

static const char *selection(const struct drill *d)
{
	return d->a.random_point ? "random" : d->a.at != NULL ? "at" : "latest";
}

/* What was restored and verified, when it was. */
static void put_work(json_t *j, const struct drill *d)
{
	double secs = (double)d->restore_ns / 1e9;

	if (d->restored)
		put(j, "restored",
		    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f}", "files", (json_int_t)d->rst.files, "dirs",
			      (json_int_t)d->rst.dirs, "others", (json_int_t)d->rst.others, "bytes",
			      (json_int_t)d->rst.bytes, "errors", (json_int_t)d->rst.errors, "damaged_files",
			      (json_int_t)d->rst.damaged_files, "restore_ns", (json_int_t)d->restore_ns,
			      "throughput_bytes_per_s", secs > 0 ? (double)d->rst.bytes / secs : 0.0));
	if (d->verified)
		put(j, "verification",
		    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "entries", (json_int_t)d->vst.entries, "files",
			      (json_int_t)d->vst.files, "files_verified", (json_int_t)d->vst.files_verified, "bytes",
			      (json_int_t)d->vst.bytes, "failed", (json_int_t)d->vst.failed, "verify_ns",
			      (json_int_t)d->verify_ns));
}

json_t *drill_json(const struct drill *d)
{
	json_t *j = drill_history_record(d);
	char seed[24];

	if (j == NULL)
		return NULL;
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)d->a.seed);
	put(j, "seed", json_string(seed)); /* a string: 64 bits do not fit every JSON reader's numbers */
	put(j, "selection", json_string(selection(d)));
	if (d->a.random_point) {
		put(j, "within_ns", json_integer((json_int_t)d->a.within_ns));
		put(j, "candidates", json_integer((json_int_t)d->candidates));
	}
	put(j, "points", json_integer((json_int_t)d->npoints));
	put(j, "newest_point_time_ns", ns_or_null(d->newest_ns));
	if (d->have_point)
		put(j, "snapshot", snapshot_json(&d->snap));
	put(j, "restore_ns", ns_or_null(d->restore_ns));
	put(j, "verify_ns", ns_or_null(d->verify_ns));
	put_work(j, d);
	put(j, "damage", damage_json(&d->f));
	put(j, "failures", list_json(&d->f.failures, 1));
	put(j, "failures_total", json_integer((json_int_t)d->f.failures.total));
	put(j, "errors", list_json(&d->f.errors, 0));
	put(j, "errors_total", json_integer((json_int_t)d->f.errors.total));
	put(j, "scratch", d->scratch_kept ? clean_string(d->scratch) : json_null());
	put(j, "report", d->a.report != NULL ? clean_string(d->a.report) : json_null());
	if (d->sync_ns >= 0)
		put(j, "store", store_json(&d->store));
	return j;
}
