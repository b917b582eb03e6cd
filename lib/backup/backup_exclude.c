/* Exclude patterns of a backup (include/cairn/backup.h). */
#include "backup_internal.h"

#include "cairn/err.h"

#include <fnmatch.h>
#include <string.h>

int backup_check_excludes(const struct cairn_backup_opts *o)
{
	for (size_t i = 0; i < o->nexcludes; i++) {
		const char *p = o->excludes[i];

		if (p == NULL || p[0] == '\0')
			return cairn_err(CAIRN_EINVAL, "empty exclude pattern");
		if (strchr(p, '/') != NULL && p[0] != '/')
			return cairn_err(CAIRN_EINVAL,
					 "exclude pattern '%s' has a '/' but is not absolute: write '/...' for a "
					 "path, or a name without '/'",
					 p);
	}
	return 0;
}

int backup_excluded(const struct backup_ctx *c, const char *path, const char *name)
{
	const struct cairn_backup_opts *o = c->opts;

	for (size_t i = 0; i < o->nexcludes; i++) {
		const char *p = o->excludes[i];

		if (p[0] == '/' ? fnmatch(p, path, FNM_PATHNAME) == 0 : fnmatch(p, name, 0) == 0)
			return 1;
	}
	return 0;
}
