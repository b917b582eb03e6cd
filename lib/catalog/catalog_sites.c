/* Catalog records of the objects stored on replica sites. */
#include "catalog/catalog_internal.h"

#include <string.h>

#include "cairn/err.h"

#define SITE_MAX 512

static int check_args(struct cairn_catalog *c, const char *site, const char *name, const char *what)
{
	size_t len;

	if (c == NULL || site == NULL)
		return cairn_err(CAIRN_EINVAL, "catalog: %s: catalog and site are required", what);
	len = strnlen(site, SITE_MAX + 1);
	if (len == 0 || len > SITE_MAX)
		return cairn_err(CAIRN_EINVAL, "catalog '%s': %s: a site name is 1 to %d bytes", c->path, what,
				 SITE_MAX);
	if (name != NULL && name[0] == '\0')
		return cairn_err(CAIRN_EINVAL, "catalog '%s': %s: empty object name", c->path, what);
	return 0;
}

/* Bind site (and name, size when given) to statement `which` and run it:
 * exists-queries return 1/0, the others 0. */
static int site_run(struct cairn_catalog *c, enum cairn_catalog_stmt which, const char *site, const char *name,
		    int64_t size, const char *what)
{
	sqlite3_stmt *st;
	int rc, ret;

	ret = check_args(c, site, which == CAT_SITE_CLEAR ? NULL : name, what);
	if (ret != 0)
		return ret;
	cairn_catalog_lock(c);
	st = c->stmt[which];
	rc = sqlite3_bind_text(st, 1, site, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK && which != CAT_SITE_CLEAR)
		rc = sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK && which == CAT_SITE_PUT)
		rc = sqlite3_bind_int64(st, 3, size);
	if (rc != SQLITE_OK) {
		ret = cairn_catalog_sqlerr(c, rc, what);
		sqlite3_reset(st);
	} else if (which == CAT_SITE_HAS) {
		ret = cairn_catalog_step_exists(c, st, what);
	} else {
		ret = cairn_catalog_step_done(c, st, what);
	}
	sqlite3_clear_bindings(st);
	cairn_catalog_unlock(c);
	return ret;
}

int cairn_catalog_site_has(struct cairn_catalog *c, const char *site, const char *name)
{
	return site_run(c, CAT_SITE_HAS, site, name, 0, "cannot look up a replicated object");
}

int cairn_catalog_site_put(struct cairn_catalog *c, const char *site, const char *name, uint64_t size)
{
	return site_run(c, CAT_SITE_PUT, site, name, (int64_t)size, "cannot record a replicated object");
}

int cairn_catalog_site_forget(struct cairn_catalog *c, const char *site, const char *name)
{
	return site_run(c, CAT_SITE_FORGET, site, name, 0, "cannot forget a replicated object");
}

int cairn_catalog_site_clear(struct cairn_catalog *c, const char *site)
{
	return site_run(c, CAT_SITE_CLEAR, site, NULL, 0, "cannot clear a site's objects");
}

int cairn_catalog_site_count(struct cairn_catalog *c, const char *site, uint64_t *ret_objects, uint64_t *ret_bytes)
{
	sqlite3_stmt *st;
	int rc, ret;

	ret = check_args(c, site, NULL, "cannot count a site's objects");
	if (ret != 0)
		return ret;
	cairn_catalog_lock(c);
	st = c->stmt[CAT_SITE_COUNT];
	rc = sqlite3_bind_text(st, 1, site, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*ret_objects = (uint64_t)sqlite3_column_int64(st, 0);
		*ret_bytes = (uint64_t)sqlite3_column_int64(st, 1);
		ret = 0;
	} else {
		ret = cairn_catalog_sqlerr(c, rc, "cannot count a site's objects");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	cairn_catalog_unlock(c);
	return ret;
}

int cairn_catalog_site_newest(struct cairn_catalog *c, const char *site, char ret_id[CAIRN_ID_HEX],
			      int64_t *ret_time_ns)
{
	sqlite3_stmt *st;
	int rc, ret;

	ret = check_args(c, site, NULL, "cannot find a site's newest snapshot");
	if (ret != 0)
		return ret;
	cairn_catalog_lock(c);
	st = c->stmt[CAT_SITE_NEWEST];
	rc = sqlite3_bind_text(st, 1, site, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == CAIRN_ID_HEX - 1) {
		memcpy(ret_id, sqlite3_column_text(st, 0), CAIRN_ID_HEX - 1);
		ret_id[CAIRN_ID_HEX - 1] = '\0';
		*ret_time_ns = sqlite3_column_int64(st, 1);
		ret = 0;
	} else if (rc == SQLITE_ROW) {
		ret = cairn_err(CAIRN_ECORRUPT, "catalog '%s': malformed snapshot row", c->path);
	} else if (rc == SQLITE_DONE) {
		ret = cairn_err(CAIRN_ENOTFOUND, "no snapshot of this repository is on site '%s' yet", site);
	} else {
		ret = cairn_catalog_sqlerr(c, rc, "cannot find a site's newest snapshot");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	cairn_catalog_unlock(c);
	return ret;
}
