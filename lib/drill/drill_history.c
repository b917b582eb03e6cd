/* The history of the drills of a site, one JSON line per drill in
 * <state dir>/drills/<site>.jsonl (directories 0700, file 0600). It is
 * appended to, never rewritten: a line is written with one write(2) on a
 * file opened with O_APPEND, so concurrent drills do not mix their lines,
 * and a reader skips a torn last line. */
#include "cairn/drill.h"

#include "cairn/buf.h"
#include "cairn/err.h"
#include "cairn/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cairn_drill_history_append(const char *state_dir, const char *site, json_t *record)
{
	char *path, *dir = NULL, *text = NULL, *line = NULL;
	int fd = -1, rc = 0;

	if (!cairn_drill_site_name_ok(site))
		return cairn_err(CAIRN_EINVAL, "'%s' cannot name a drill history", site ? site : "");
	path = cairn_drill_history_path(state_dir, site);
	dir = cairn_asprintf("%s/" CAIRN_DRILL_HISTORY_DIR, state_dir);
	text = json_dumps(record, JSON_COMPACT);
	if (path == NULL || dir == NULL || text == NULL || (line = cairn_asprintf("%s\n", text)) == NULL) {
		rc = cairn_err(CAIRN_ENOMEM, "out of memory");
		goto out;
	}
	if (cairn_file_mkdir_p(AT_FDCWD, dir, 0700, 0) < 0) {
		rc = cairn_err(CAIRN_EIO, "cannot create '%s': %s", dir, strerror(errno));
		goto out;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || cairn_file_write_all(fd, line, strlen(line), path) < 0 || fsync(fd) < 0)
		rc = cairn_err(CAIRN_EIO, "'%s': %s", path, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	free(line);
	free(text);
	free(path);
	free(dir);
	return rc;
}

/* One line of the history, or -1 when it is not a drill (torn, edited). */
static int parse_line(const char *line, size_t len, struct cairn_drill_past *ret)
{
	json_t *o = json_loadb(line, len, 0, NULL);
	json_t *t = json_object_get(o, "time_ns"), *r = json_object_get(o, "recovery_ns");
	const char *result = json_string_value(json_object_get(o, "result"));
	int ok = json_is_integer(t) && result != NULL;

	if (ok) {
		ret->time_ns = (int64_t)json_integer_value(t);
		ret->recovery_ns = json_is_integer(r) ? (int64_t)json_integer_value(r) : -1;
		ret->pass = strcmp(result, "pass") == 0;
	}
	json_decref(o);
	return ok ? 0 : -1;
}

size_t cairn_drill_history_last(const char *state_dir, const char *site, struct cairn_drill_past *past, size_t max)
{
	char *path = cairn_drill_history_path(state_dir, site), *line = NULL;
	size_t cap = 0, n = 0, total = 0;
	struct cairn_drill_past p;
	ssize_t len;
	FILE *f = path != NULL ? fopen(path, "re") : NULL;

	if (max > CAIRN_DRILL_CHART_MAX)
		max = CAIRN_DRILL_CHART_MAX;
	while (f != NULL && max > 0 && (len = getline(&line, &cap, f)) > 0) {
		if (parse_line(line, (size_t)len, &p) < 0)
			continue;
		past[total % max] = p; /* a ring of the last `max` */
		total++;
	}
	if (f != NULL)
		fclose(f);
	free(line);
	free(path);
	n = total < max ? total : max;
	if (total > max) { /* rotate the ring into oldest-first order */
		struct cairn_drill_past tmp[CAIRN_DRILL_CHART_MAX];
		size_t start = total % max;

		for (size_t i = 0; i < n; i++)
			tmp[i] = past[(start + i) % max];
		memcpy(past, tmp, n * sizeof(*past));
	}
	return n;
}
