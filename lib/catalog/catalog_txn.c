/* Catalog transactions (counted nesting) and the meta key/value table. */
#include "catalog/catalog_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/buf.h"
#include "cairn/err.h"

int cairn_catalog_begin(struct cairn_catalog *c)
{
	int ret = 0;

	if (c == NULL)
		return cairn_err(CAIRN_EINVAL, "catalog begin: no catalog");
	cairn_catalog_lock(c);
	if (c->depth == INT_MAX)
		ret = cairn_err(CAIRN_EINVAL, "catalog '%s': transactions nested too deeply", c->path);
	else if (c->depth == 0)
		ret = cairn_catalog_read_end_locked(c);
	if (ret == 0 && c->depth == 0)
		ret = cairn_catalog_exec(c, "BEGIN IMMEDIATE", "cannot begin transaction");
	if (ret == 0)
		c->depth++;
	cairn_catalog_unlock(c);
	return ret;
}

int cairn_catalog_commit(struct cairn_catalog *c)
{
	int ret = 0;

	if (c == NULL)
		return cairn_err(CAIRN_EINVAL, "catalog commit: no catalog");
	cairn_catalog_lock(c);
	if (c->depth == 0) {
		ret = cairn_err(CAIRN_EINVAL, "catalog '%s': commit without a transaction", c->path);
	} else if (c->depth > 1) {
		c->depth--;
	} else {
		ret = cairn_catalog_exec(c, "COMMIT", "cannot commit");
		/* A failed COMMIT may leave the transaction open (retry or roll
		 * back) or may have rolled it back already. */
		if (ret == 0 || sqlite3_get_autocommit(c->db))
			c->depth = 0;
	}
	cairn_catalog_unlock(c);
	return ret;
}

int cairn_catalog_rollback(struct cairn_catalog *c)
{
	int ret = 0;

	if (c == NULL)
		return cairn_err(CAIRN_EINVAL, "catalog rollback: no catalog");
	cairn_catalog_lock(c);
	if (c->depth > 0 && !sqlite3_get_autocommit(c->db))
		ret = cairn_catalog_exec(c, "ROLLBACK", "cannot roll back");
	c->depth = 0;
	cairn_catalog_unlock(c);
	return ret;
}

int cairn_catalog_read_end_locked(struct cairn_catalog *c)
{
	int ret = 0;

	if (!c->reading)
		return 0;
	c->reading = 0;
	if (c->depth == 0 && !sqlite3_get_autocommit(c->db))
		ret = cairn_catalog_exec(c, "COMMIT", "cannot end read transaction");
	return ret;
}

int cairn_catalog_read_begin(struct cairn_catalog *c)
{
	int ret = 0;

	if (c == NULL)
		return cairn_err(CAIRN_EINVAL, "catalog read begin: no catalog");
	cairn_catalog_lock(c);
	if (c->depth == 0 && !c->reading) {
		/* deferred: the read lock is taken by the first statement */
		ret = cairn_catalog_exec(c, "BEGIN DEFERRED", "cannot begin read transaction");
		if (ret == 0)
			c->reading = 1;
	}
	cairn_catalog_unlock(c);
	return ret;
}

int cairn_catalog_read_end(struct cairn_catalog *c)
{
	int ret;

	if (c == NULL)
		return 0;
	cairn_catalog_lock(c);
	ret = cairn_catalog_read_end_locked(c);
	cairn_catalog_unlock(c);
	return ret;
}

int cairn_catalog_meta_get(struct cairn_catalog *c, const char *key, char **ret_value)
{
	sqlite3_stmt *st;
	char *value = NULL;
	int rc, ret = 0;

	if (c == NULL || key == NULL || ret_value == NULL)
		return cairn_err(CAIRN_EINVAL, "catalog meta get: catalog, key and result are required");
	cairn_catalog_lock(c);
	st = c->stmt[CAT_META_GET];
	rc = sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		value = cairn_strdup((const char *)sqlite3_column_text(st, 0));
		if (value == NULL)
			ret = cairn_err(CAIRN_ENOMEM, "catalog '%s': out of memory reading meta '%s'", c->path, key);
	} else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		ret = cairn_err(CAIRN_ENOTFOUND, "catalog '%s': no meta '%s'", c->path, key);
	} else {
		ret = cairn_catalog_sqlerr(c, rc, "cannot read meta");
	}
	sqlite3_reset(st);
	cairn_catalog_unlock(c);
	if (ret == 0)
		*ret_value = value;
	return ret;
}

int cairn_catalog_meta_set(struct cairn_catalog *c, const char *key, const char *value)
{
	sqlite3_stmt *st;
	int rc, ret;

	if (c == NULL || key == NULL || value == NULL)
		return cairn_err(CAIRN_EINVAL, "catalog meta set: catalog, key and value are required");
	if (strcmp(key, "repo_id") == 0)
		return cairn_err(CAIRN_EINVAL, "catalog '%s': meta 'repo_id' is set only by open", c->path);
	cairn_catalog_lock(c);
	st = c->stmt[CAT_META_SET];
	rc = sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK) {
		ret = cairn_catalog_step_done(c, st, "cannot write meta");
	} else {
		ret = cairn_catalog_sqlerr(c, rc, "cannot write meta");
		sqlite3_reset(st);
	}
	cairn_catalog_unlock(c);
	return ret;
}

int64_t cairn_catalog_meta_get_i64(struct cairn_catalog *c, const char *key)
{
	char *v = NULL, *end;
	long long n = 0;

	if (cairn_catalog_meta_get(c, key, &v) == 0 && v != NULL) {
		n = strtoll(v, &end, 10);
		if (end == v || *end != '\0')
			n = 0;
	}
	free(v);
	return (int64_t)n;
}

int cairn_catalog_meta_set_i64(struct cairn_catalog *c, const char *key, int64_t value)
{
	char text[24];

	snprintf(text, sizeof(text), "%lld", (long long)value);
	return cairn_catalog_meta_set(c, key, text);
}
