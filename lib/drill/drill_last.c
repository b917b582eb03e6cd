/* The last drill of each site, from <state dir>/drills/<site>.jsonl (see cairn/drill.h). */
#include "cairn/drill.h"

#include "cairn/buf.h"
#include "cairn/err.h"
#include "cairn/timeutil.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSONL_SUFFIX ".jsonl"

int cairn_drill_site_name_ok(const char *site)
{
	size_t n = 0;

	if (site == NULL)
		return 0;
	for (; site[n] != '\0'; n++) {
		char c = site[n];

		if (!(isalnum((unsigned char)c) && (unsigned char)c < 0x80) && c != '_' && c != '-')
			return 0;
	}
	return n >= 1 && n <= CAIRN_DRILL_SITE_MAX;
}

char *cairn_drill_history_path(const char *state_dir, const char *site)
{
	if (!cairn_drill_site_name_ok(site))
		return NULL;
	return cairn_asprintf("%s/" CAIRN_DRILL_HISTORY_DIR "/%s" JSONL_SUFFIX, state_dir, site);
}

/* An integer member, or `def` when it is missing, null or not an integer. */
static int64_t int_member(json_t *obj, const char *key, int64_t def)
{
	json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
}

static void join_reasons(json_t *arr, char *out, size_t len)
{
	size_t used = 0, i;
	json_t *v;

	out[0] = '\0';
	json_array_foreach(arr, i, v) {
		int n;

		if (!json_is_string(v) || used >= len)
			continue;
		n = snprintf(out + used, len - used, "%s%s", used ? "; " : "", json_string_value(v));
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

int cairn_drill_last_parse(const char *line, size_t len, struct cairn_drill_last *ret, json_t **ret_record)
{
	json_t *obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	const char *result, *point;
	int64_t time_ns;

	if (!json_is_object(obj)) {
		json_decref(obj);
		return -1;
	}
	time_ns = int_member(obj, "time_ns", -1);
	result = json_string_value(json_object_get(obj, "result"));
	if (time_ns <= 0 || result == NULL || (strcmp(result, "pass") != 0 && strcmp(result, "fail") != 0)) {
		json_decref(obj);
		return -1;
	}
	ret->time_ns = time_ns;
	ret->pass = strcmp(result, "pass") == 0;
	ret->recovery_ns = int_member(obj, "recovery_ns", -1);
	ret->rto_ns = int_member(obj, "rto_ns", -1);
	ret->loss_window_ns = int_member(obj, "loss_window_ns", -1);
	ret->rpo_ns = int_member(obj, "rpo_ns", -1);
	ret->exit_code = (int)int_member(obj, "exit_code", -1);
	point = json_string_value(json_object_get(obj, "point"));
	snprintf(ret->point, sizeof(ret->point), "%s", point != NULL ? point : "");
	join_reasons(json_object_get(obj, "reasons"), ret->reasons, sizeof(ret->reasons));
	if (ret_record != NULL)
		*ret_record = obj;
	else
		json_decref(obj);
	return 0;
}

int cairn_drill_last_read(const char *state_dir, const char *site, struct cairn_drill_last *ret, json_t **ret_record)
{
	char *path = cairn_drill_history_path(state_dir, site), *line = NULL;
	struct cairn_drill_last cur, best;
	json_t *record = NULL, *rec = NULL;
	size_t cap = 0;
	ssize_t n;
	int found = 0, rc = 0;
	FILE *f;

	if (path == NULL)
		return cairn_drill_site_name_ok(site) ? cairn_err(CAIRN_ENOMEM, "out of memory")
						: cairn_err(CAIRN_EINVAL, "'%s' cannot name a drill history", site);
	f = fopen(path, "r");
	if (f == NULL) {
		rc = errno == ENOENT ? cairn_err(CAIRN_ENOTFOUND, "no drill history '%s'", path)
				     : cairn_err(CAIRN_EIO, "cannot open the drill history '%s': %s", path, strerror(errno));
		free(path);
		return rc;
	}
	memset(&best, 0, sizeof(best));
	while ((n = getline(&line, &cap, f)) > 0) {
		memset(&cur, 0, sizeof(cur));
		if (cairn_drill_last_parse(line, (size_t)n, &cur, ret_record != NULL ? &rec : NULL) != 0)
			continue;
		best = cur;
		found = 1;
		if (ret_record != NULL) {
			json_decref(record);
			record = rec;
		}
	}
	if (ferror(f))
		rc = cairn_err(CAIRN_EIO, "cannot read the drill history '%s': %s", path, strerror(errno));
	else if (!found)
		rc = cairn_err(CAIRN_ENOTFOUND, "no drill recorded in '%s'", path);
	fclose(f);
	free(line);
	free(path);
	if (rc != 0) {
		json_decref(record);
		return rc;
	}
	snprintf(best.site, sizeof(best.site), "%s", site);
	*ret = best;
	if (ret_record != NULL)
		*ret_record = record;
	return 0;
}

static int by_site(const void *a, const void *b)
{
	return strcmp(((const struct cairn_drill_last *)a)->site, ((const struct cairn_drill_last *)b)->site);
}

/* The site a directory entry is the history of, into site; 0, or -1 when it is none. */
static int site_of_entry(const char *name, char *site, size_t len)
{
	size_t n = strlen(name), sl = sizeof(JSONL_SUFFIX) - 1;

	if (n <= sl || strcmp(name + n - sl, JSONL_SUFFIX) != 0 || n - sl >= len)
		return -1;
	memcpy(site, name, n - sl);
	site[n - sl] = '\0';
	return cairn_drill_site_name_ok(site) ? 0 : -1;
}

int cairn_drill_last_list(const char *state_dir, struct cairn_drill_last **ret, size_t *ret_n)
{
	char *dir = cairn_asprintf("%s/" CAIRN_DRILL_HISTORY_DIR, state_dir), site[CAIRN_DRILL_SITE_MAX + 1];
	struct cairn_drill_last *list = NULL, *grown;
	size_t n = 0;
	struct dirent *e;
	int rc = 0;
	DIR *d;

	*ret = NULL;
	*ret_n = 0;
	if (dir == NULL)
		return cairn_err(CAIRN_ENOMEM, "out of memory");
	d = opendir(dir);
	if (d == NULL) {
		rc = errno == ENOENT ? 0 : cairn_err(CAIRN_EIO, "cannot read '%s': %s", dir, strerror(errno));
		free(dir);
		return rc;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		struct cairn_drill_last last;
		int r;

		if (site_of_entry(e->d_name, site, sizeof(site)) != 0)
			continue;
		r = cairn_drill_last_read(state_dir, site, &last, NULL);
		if (r == CAIRN_ENOTFOUND)
			continue;
		if (r != 0) {
			rc = r;
			break;
		}
		grown = cairn_reallocarray(list, n + 1, sizeof(*list));
		if (grown == NULL) {
			rc = cairn_err(CAIRN_ENOMEM, "out of memory");
			break;
		}
		list = grown;
		list[n++] = last;
	}
	closedir(d);
	free(dir);
	if (rc != 0) {
		free(list);
		return rc;
	}
	if (n > 1)
		qsort(list, n, sizeof(*list), by_site);
	*ret = list;
	*ret_n = n;
	return 0;
}

/* "12.3 s" below a minute, else "3m12s". */
static void format_span(int64_t ns, char *buf, size_t len)
{
	if (ns < 60 * CAIRN_NS_PER_SEC)
		snprintf(buf, len, "%.1f s", (double)ns / 1e9);
	else
		cairn_duration_format(ns, buf, len);
}

/* Append printf-like text to buf (holding *used bytes), cutting at its end. */
static void append(char *buf, size_t len, size_t *used, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*used >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	if (n > 0)
		*used += (size_t)n;
}

void cairn_drill_last_describe(const struct cairn_drill_last *d, char *buf, size_t len)
{
	char when[CAIRN_TIME_STR], rto[48], took[48], window[48];
	size_t used = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	cairn_time_format(d->time_ns, 0, when);
	append(buf, len, &used, "%s, %s", d->pass ? "pass" : "FAIL", when);
	if (d->recovery_ns >= 0) {
		format_span(d->recovery_ns, took, sizeof(took));
		if (d->rto_ns > 0)
			cairn_duration_format(d->rto_ns, rto, sizeof(rto));
		append(buf, len, &used, ", RTO achieved %s (%s%s)", took, d->rto_ns > 0 ? "target " : "no target",
		       d->rto_ns > 0 ? rto : "");
	}
	if (d->loss_window_ns >= 0) {
		cairn_duration_format(d->loss_window_ns, window, sizeof(window));
		append(buf, len, &used, ", loss window %s", window);
	}
	if (!d->pass && d->reasons[0] != '\0')
		append(buf, len, &used, "; %s", d->reasons);
}
