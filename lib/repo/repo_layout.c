/* The repository layout: every object name (include/cairn/repo_layout.h). */
#include "cairn/repo.h"

#include "cairn/err.h"

#include <stdio.h>
#include <string.h>

/* The folder of each kind, in enum order; the config has none. */
static const char *const layout_dirs[CAIRN_REPO_OBJ_KINDS] = {
	[CAIRN_REPO_OBJ_CONFIG] = NULL,         [CAIRN_REPO_OBJ_KEY] = "keys",
	[CAIRN_REPO_OBJ_PACK] = "data",         [CAIRN_REPO_OBJ_INDEX] = "index",
	[CAIRN_REPO_OBJ_SNAPSHOT] = "snapshots", [CAIRN_REPO_OBJ_LOCK] = "locks",
};
static const char *const layout_prefixes[CAIRN_REPO_OBJ_KINDS] = {
	[CAIRN_REPO_OBJ_CONFIG] = CAIRN_REPO_CONFIG_NAME,       [CAIRN_REPO_OBJ_KEY] = "keys/",
	[CAIRN_REPO_OBJ_PACK] = "data/",           [CAIRN_REPO_OBJ_INDEX] = "index/",
	[CAIRN_REPO_OBJ_SNAPSHOT] = "snapshots/", [CAIRN_REPO_OBJ_LOCK] = "locks/",
};
#define LAYOUT_HEX 64

static int layout_kind_ok(enum cairn_repo_obj kind)
{
	return (unsigned)kind < CAIRN_REPO_OBJ_KINDS;
}

int cairn_repo_id_valid(const char *id)
{
	return id != NULL && strspn(id, "0123456789abcdef") == LAYOUT_HEX && id[LAYOUT_HEX] == '\0';
}

/* The name of a valid id (or of the config). */
static void layout_format(enum cairn_repo_obj kind, const char *id, char out[CAIRN_REPO_NAME_MAX])
{
	if (kind == CAIRN_REPO_OBJ_CONFIG)
		snprintf(out, CAIRN_REPO_NAME_MAX, "%s", CAIRN_REPO_CONFIG_NAME);
	else if (kind == CAIRN_REPO_OBJ_PACK)
		snprintf(out, CAIRN_REPO_NAME_MAX, "%s/%.2s/%s", layout_dirs[kind], id, id);
	else
		snprintf(out, CAIRN_REPO_NAME_MAX, "%s/%s", layout_dirs[kind], id);
}

int cairn_repo_object_name(enum cairn_repo_obj kind, const char *id, char out[CAIRN_REPO_NAME_MAX])
{
	out[0] = '\0';
	if (!layout_kind_ok(kind))
		return cairn_err(CAIRN_EINVAL, "no object kind %d in the repository layout", (int)kind);
	if (kind != CAIRN_REPO_OBJ_CONFIG && !cairn_repo_id_valid(id))
		return cairn_err(CAIRN_EINVAL, "'%.80s' is not a valid id for an object of '%s' (64 lowercase hex digits)",
				 id != NULL ? id : "(null)", layout_prefixes[kind]);
	layout_format(kind, id, out);
	return 0;
}

void cairn_repo_object_name_bin(enum cairn_repo_obj kind, const uint8_t id[CAIRN_ID_BYTES],
				char out[CAIRN_REPO_NAME_MAX])
{
	char hex[CAIRN_ID_HEX];

	out[0] = '\0';
	if (!layout_kind_ok(kind))
		return;
	cairn_hex_encode(id, CAIRN_ID_BYTES, hex);
	layout_format(kind, hex, out);
}

const char *cairn_repo_object_prefix(enum cairn_repo_obj kind)
{
	return layout_kind_ok(kind) ? layout_prefixes[kind] : "";
}

int cairn_repo_object_parse(const char *name, enum cairn_repo_obj kind, char ret_id[CAIRN_ID_HEX])
{
	const char *prefix, *id;
	size_t plen;

	if (name == NULL || !layout_kind_ok(kind))
		return 0;
	if (kind == CAIRN_REPO_OBJ_CONFIG) {
		if (strcmp(name, CAIRN_REPO_CONFIG_NAME) != 0)
			return 0;
		ret_id[0] = '\0';
		return 1;
	}
	prefix = layout_prefixes[kind];
	plen = strlen(prefix);
	if (strncmp(name, prefix, plen) != 0)
		return 0;
	id = name + plen;
	if (kind == CAIRN_REPO_OBJ_PACK) {
		/* data/ab/<id>: the folder is the id's first two digits */
		if (strlen(id) != 3 + LAYOUT_HEX || id[2] != '/' || strncmp(id, id + 3, 2) != 0)
			return 0;
		id += 3;
	}
	if (!cairn_repo_id_valid(id))
		return 0;
	memcpy(ret_id, id, CAIRN_ID_HEX);
	return 1;
}

int cairn_repo_object_kind(const char *name, enum cairn_repo_obj *ret_kind, char ret_id[CAIRN_ID_HEX])
{
	char id[CAIRN_ID_HEX];

	for (int k = 0; k < CAIRN_REPO_OBJ_KINDS; k++) {
		if (!cairn_repo_object_parse(name, (enum cairn_repo_obj)k, id))
			continue;
		*ret_kind = (enum cairn_repo_obj)k;
		if (ret_id != NULL)
			memcpy(ret_id, id, CAIRN_ID_HEX);
		return 1;
	}
	return 0;
}

void cairn_repo_pack_name(const uint8_t pack_id[CAIRN_ID_BYTES], char out[CAIRN_PACK_NAME_MAX])
{
	cairn_repo_object_name_bin(CAIRN_REPO_OBJ_PACK, pack_id, out);
}
