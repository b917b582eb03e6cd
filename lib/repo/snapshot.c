/* Snapshot documents: JSON encoding, writing, listing and choosing. */
#include "repo_internal.h"

#include "cairn/err.h"
#include "cairn/snapshot.h"
#include "cairn/timeutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cairn_snapshot_clear(struct cairn_snapshot *s)
{
	free(s->host);
	free(s->user);
	for (size_t i = 0; i < s->npaths; i++)
		free(s->paths[i]);
	free(s->paths);
	for (size_t i = 0; i < s->ntags; i++)
		free(s->tags[i]);
	free(s->tags);
	memset(s, 0, sizeof(*s));
}

void cairn_snapshots_free(struct cairn_snapshot *s, size_t count)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < count; i++)
		cairn_snapshot_clear(&s[i]);
	free(s);
}

/* A JSON string for bytes that may not be UTF-8: invalid bytes become '?'
 * (snapshot paths are informational; the tree holds the exact names). */
static json_t *json_text(const char *s)
{
	json_t *j = json_string(s ? s : "");
	char *copy;

	if (j != NULL)
		return j;
	copy = cairn_strdup(s);
	if (copy == NULL)
		return NULL;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

static json_t *json_text_array(char *const *items, size_t count)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < count; i++)
		if (json_array_append_new(a, json_text(items[i])) != 0) {
			json_decref(a);
			a = NULL;
		}
	return a;
}

int cairn_snapshot_to_json(const struct cairn_snapshot *s, char **ret_json)
{
	char tree[CAIRN_ID_HEX], when[CAIRN_TIME_STR];
	json_t *root, *stats;
	char *text;

	cairn_hex_encode(s->tree, CAIRN_ID_BYTES, tree);
	cairn_time_format(s->time_ns, 1, when);
	stats = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "files",
			  (json_int_t)s->stats.files, "dirs", (json_int_t)s->stats.dirs, "others",
			  (json_int_t)s->stats.others, "bytes", (json_int_t)s->stats.bytes, "bytes_read",
			  (json_int_t)s->stats.bytes_read, "bytes_added", (json_int_t)s->stats.bytes_added,
			  "bytes_stored", (json_int_t)s->stats.bytes_stored, "blobs_added",
			  (json_int_t)s->stats.blobs_added, "packs_written", (json_int_t)s->stats.packs_written,
			  "files_unchanged", (json_int_t)s->stats.files_unchanged, "errors", (json_int_t)s->stats.errors,
			  "duration_ns", (json_int_t)s->stats.duration_ns);
	root = json_pack("{s:i, s:s, s:I, s:o, s:o, s:o, s:o, s:s, s:o, s:b, s:o, s:s}", "version", 1, "time", when,
			 "time_ns", (json_int_t)s->time_ns, "host", json_text(s->host), "user", json_text(s->user),
			 "paths", json_text_array(s->paths, s->npaths), "tags", json_text_array(s->tags, s->ntags),
			 "tree", tree, "parent", s->parent[0] ? json_string(s->parent) : json_null(), "partial",
			 s->partial, "stats", stats, "program", "cairn " CAIRN_VERSION);
	if (root == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot build snapshot document");
	text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(root);
	if (text == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot serialise snapshot document");
	*ret_json = text;
	return 0;
}

static int strings_from_json(json_t *arr, char ***ret, size_t *ret_count)
{
	size_t n = json_array_size(arr);
	char **items;

	if (!json_is_array(arr))
		return CAIRN_ECORRUPT;
	items = cairn_calloc(n, sizeof(*items));
	if (items == NULL)
		return CAIRN_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(arr, i));

		items[i] = s ? cairn_strdup(s) : NULL;
		if (items[i] == NULL) {
			for (size_t j = 0; j < i; j++)
				free(items[j]);
			free(items);
			return s ? CAIRN_ENOMEM : CAIRN_ECORRUPT;
		}
	}
	*ret = items;
	*ret_count = n;
	return 0;
}

static int is_lower_hex_id(const char *s)
{
	return strlen(s) == 2 * CAIRN_ID_BYTES && strspn(s, "0123456789abcdef") == 2 * CAIRN_ID_BYTES;
}

int cairn_snapshot_from_json(const char *json, size_t len, const char *id, struct cairn_snapshot *ret)
{
	struct cairn_snapshot s = { 0 };
	json_error_t jerr;
	json_t *root, *paths = NULL, *tags = NULL, *stats = NULL, *parent = NULL;
	const char *host = "", *user = "", *tree = NULL;
	json_int_t version = 0, time_ns = 0;
	json_int_t st[12] = { 0 };
	int partial = 0, rc = 0;

	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return cairn_err(CAIRN_ECORRUPT, "snapshot %.8s is not valid JSON: %s", id ? id : "", jerr.text);
	if (json_unpack_ex(root, &jerr, 0, "{s:I, s:I, s?s, s?s, s:o, s?o, s:s, s?o, s?b, s?o}", "version", &version,
			   "time_ns", &time_ns, "host", &host, "user", &user, "paths", &paths, "tags", &tags, "tree",
			   &tree, "parent", &parent, "partial", &partial, "stats", &stats) != 0) {
		rc = cairn_err(CAIRN_ECORRUPT, "snapshot %.8s is malformed: %s", id ? id : "", jerr.text);
		goto out;
	}
	if (version != 1) {
		rc = cairn_err(CAIRN_EFORMAT, "snapshot %.8s has unsupported version %lld", id ? id : "",
			       (long long)version);
		goto out;
	}
	/* ids are 64 lowercase hex digits, nothing else (FORMAT.md 1.1) */
	if (!is_lower_hex_id(tree) || cairn_hex_decode(tree, s.tree, CAIRN_ID_BYTES) < 0) {
		rc = cairn_err(CAIRN_ECORRUPT, "snapshot %.8s has an invalid tree id '%.80s': not 64 lowercase hex digits",
			       id ? id : "", tree);
		goto out;
	}
	if (parent != NULL && !json_is_null(parent)) {
		const char *p = json_string_value(parent);

		if (p == NULL || !is_lower_hex_id(p)) {
			rc = cairn_err(CAIRN_ECORRUPT,
				       "snapshot %.8s has an invalid parent id '%.80s': not 64 lowercase hex digits",
				       id ? id : "", p != NULL ? p : "(not a string)");
			goto out;
		}
		memcpy(s.parent, p, CAIRN_ID_HEX);
	}
	if (stats != NULL)
		json_unpack(stats, "{s?I, s?I, s?I, s?I, s?I, s?I, s?I, s?I, s?I, s?I, s?I, s?I}", "files", &st[0],
			    "dirs", &st[1], "others", &st[2], "bytes", &st[3], "bytes_read", &st[4], "bytes_added",
			    &st[5], "bytes_stored", &st[6], "blobs_added", &st[7], "packs_written", &st[8],
			    "files_unchanged", &st[9], "errors", &st[10], "duration_ns", &st[11]);
	s.stats.files = (uint64_t)st[0];
	s.stats.dirs = (uint64_t)st[1];
	s.stats.others = (uint64_t)st[2];
	s.stats.bytes = (uint64_t)st[3];
	s.stats.bytes_read = (uint64_t)st[4];
	s.stats.bytes_added = (uint64_t)st[5];
	s.stats.bytes_stored = (uint64_t)st[6];
	s.stats.blobs_added = (uint64_t)st[7];
	s.stats.packs_written = (uint64_t)st[8];
	s.stats.files_unchanged = (uint64_t)st[9];
	s.stats.errors = (uint64_t)st[10];
	s.stats.duration_ns = st[11];
	s.time_ns = time_ns;
	s.partial = partial;
	s.host = cairn_strdup(host);
	s.user = cairn_strdup(user);
	if (s.host == NULL || s.user == NULL) {
		rc = cairn_err(CAIRN_ENOMEM, "cannot load snapshot");
		goto out;
	}
	rc = strings_from_json(paths, &s.paths, &s.npaths);
	if (rc == 0 && tags != NULL)
		rc = strings_from_json(tags, &s.tags, &s.ntags);
	if (rc < 0) {
		rc = cairn_err(rc, "snapshot %.8s has invalid paths or tags", id ? id : "");
		goto out;
	}
	if (id != NULL)
		snprintf(s.id, sizeof(s.id), "%s", id);
	*ret = s;
	json_decref(root);
	return 0;
out:
	cairn_snapshot_clear(&s);
	json_decref(root);
	return rc;
}

int cairn_snapshot_write(struct cairn_repo *r, struct cairn_snapshot *s)
{
	char *json = NULL;
	char id[CAIRN_ID_HEX];
	int rc;

	rc = cairn_snapshot_to_json(s, &json);
	if (rc < 0)
		return rc;
	/* readers refuse larger snapshot objects unread (FORMAT.md 2.4) */
	if (strlen(json) > CAIRN_SNAPSHOT_MAX_BYTES - CAIRN_SEAL_OVERHEAD) {
		rc = cairn_err(CAIRN_EINVAL,
			       "snapshot document of %zu bytes is larger than a snapshot may be (%u bytes sealed): too "
			       "many or too long paths or tags", strlen(json), CAIRN_SNAPSHOT_MAX_BYTES);
		free(json);
		return rc;
	}
	rc = cairn_repo_put_sealed(r, CAIRN_REPO_OBJ_SNAPSHOT, CAIRN_SNAPSHOT_AD, json, strlen(json), id);
	if (rc == 0) {
		memcpy(s->id, id, sizeof(id));
		rc = cairn_catalog_snapshot_put(r->catalog, id, s->time_ns, json);
	}
	free(json);
	return rc;
}

int cairn_snapshot_delete(struct cairn_repo *r, const char *id)
{
	char name[CAIRN_REPO_NAME_MAX];
	int rc;

	if (r->config.version < 2)
		return cairn_err(CAIRN_EFORMAT,
				 "repository '%s' has format version 1, which promised that nothing is ever deleted; "
				 "forget needs a version 2 repository",
				 r->url);
	rc = cairn_repo_object_name(CAIRN_REPO_OBJ_SNAPSHOT, id, name);
	if (rc < 0)
		return rc;
	rc = cairn_store_del(r->store, name);
	if (rc < 0 && rc != CAIRN_ENOTFOUND)
		return cairn_err_ctx(rc, "cannot delete '%s'", name);
	return cairn_catalog_snapshot_delete(r->catalog, id);
}

struct snap_collect {
	struct cairn_snapshot *items;
	size_t count, cap;
	int rc;
};

static int collect_snapshot(void *ctx, const struct cairn_catalog_snapshot *row)
{
	struct snap_collect *c = ctx;
	int rc;

	if (c->count == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		void *p = cairn_reallocarray(c->items, cap, sizeof(*c->items));

		if (p == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot list snapshots");
		c->items = p;
		c->cap = cap;
	}
	rc = cairn_snapshot_from_json(row->json, strlen(row->json), row->id, &c->items[c->count]);
	if (rc < 0)
		return rc;
	c->count++;
	return 0;
}

int cairn_snapshot_list(struct cairn_repo *r, struct cairn_snapshot **ret, size_t *ret_count)
{
	struct snap_collect c = { 0 };
	int rc = cairn_catalog_snapshot_each(r->catalog, collect_snapshot, &c);

	if (rc < 0) {
		cairn_snapshots_free(c.items, c.count);
		return rc;
	}
	*ret = c.items;
	*ret_count = c.count;
	return 0;
}

int cairn_snapshot_find(struct cairn_repo *r, const char *prefix, struct cairn_snapshot *ret)
{
	struct cairn_snapshot *all;
	size_t count, plen = strlen(prefix), match = 0, matches = 0;
	int rc;

	if (plen < 4 || plen > 64 || strspn(prefix, "0123456789abcdef") != plen)
		return cairn_err(CAIRN_EINVAL, "snapshot id '%s' must be 4 to 64 lowercase hex digits", prefix);
	rc = cairn_snapshot_list(r, &all, &count);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < count; i++)
		if (strncmp(all[i].id, prefix, plen) == 0) {
			match = i;
			matches++;
		}
	if (matches == 1) {
		*ret = all[match];
		memset(&all[match], 0, sizeof(all[match]));
	}
	cairn_snapshots_free(all, count);
	if (matches == 0)
		return cairn_err(CAIRN_ENOTFOUND, "no snapshot with id '%s'", prefix);
	if (matches > 1)
		return cairn_err(CAIRN_EINVAL, "snapshot id '%s' is ambiguous (%zu matches)", prefix, matches);
	return 0;
}

struct at_search {
	int64_t at_ns;
	struct cairn_snapshot *ret;
	int found;
};

static int match_at(void *ctx, const struct cairn_catalog_snapshot *row)
{
	struct at_search *a = ctx;
	int rc;

	if (row->time_ns > a->at_ns)
		return 0;
	rc = cairn_snapshot_from_json(row->json, strlen(row->json), row->id, a->ret);
	if (rc < 0)
		return rc;
	a->found = 1;
	return 1;
}

int cairn_snapshot_at(struct cairn_repo *r, int64_t at_ns, struct cairn_snapshot *ret)
{
	struct at_search a = { at_ns, ret, 0 };
	int rc;

	/* newest first: the first one at or before at_ns wins */
	rc = cairn_catalog_snapshot_each_newest(r->catalog, match_at, &a);
	if (rc < 0)
		return rc;
	if (!a.found) {
		char when[CAIRN_TIME_STR];

		cairn_time_format(at_ns, 0, when);
		return cairn_err(CAIRN_ENOTFOUND, "no snapshot was taken at or before %s", when);
	}
	return 0;
}
