/* The repository layout: the one place that names every object
 * (docs/FORMAT.md "Layout").
 *
 *	config                      the configuration (no id)
 *	keys/<id>                   key objects
 *	data/<id[0..1]>/<id>        packs
 *	index/<id>                  index objects
 *	snapshots/<id>              snapshot objects
 *	locks/<id>                  lock objects
 *
 * <id> is always 64 lowercase hex digits. Every object name in the code,
 * and every prefix a listing uses, comes from these functions: no caller
 * formats "index/%s" itself. Names are built only from valid ids, so a
 * hostile id (from a user, a message, another repository) can never name
 * something outside its directory ("../", "/", NUL, upper case, short).
 */
#ifndef CAIRN_REPO_LAYOUT_H
#define CAIRN_REPO_LAYOUT_H

#include <stdint.h>

#include "cairn/crypto.h"

/* The kinds of objects of a repository. */
enum cairn_repo_obj {
	CAIRN_REPO_OBJ_CONFIG = 0, /* "config" */
	CAIRN_REPO_OBJ_KEY,        /* "keys/<id>" */
	CAIRN_REPO_OBJ_PACK,       /* "data/<first 2 hex>/<id>" */
	CAIRN_REPO_OBJ_INDEX,      /* "index/<id>" */
	CAIRN_REPO_OBJ_SNAPSHOT,   /* "snapshots/<id>" */
	CAIRN_REPO_OBJ_LOCK,       /* "locks/<id>" */
};
#define CAIRN_REPO_OBJ_KINDS 6

/* The config's name: the one object without an id. */
#define CAIRN_REPO_CONFIG_NAME "config"

/* Room for any object name with its NUL ("data/ab/" + 64 hex + NUL is the
 * longest, 73 bytes). */
#define CAIRN_REPO_NAME_MAX 80

/* 1 when `id` is exactly 64 lowercase hex digits (NUL-terminated), else 0.
 * NULL is 0. */
int cairn_repo_id_valid(const char *id);

/* The name of the object of `kind` with hex id `id` into out. `id` is
 * ignored for CAIRN_REPO_OBJ_CONFIG (may be NULL). 0, or CAIRN_EINVAL
 * (detail names the kind and the id, cut) for an id that is not 64
 * lowercase hex digits, a NULL id, or an unknown kind; out is then "". */
int cairn_repo_object_name(enum cairn_repo_obj kind, const char *id, char out[CAIRN_REPO_NAME_MAX]);

/* The same from a binary id (CAIRN_ID_BYTES bytes): cannot fail for a
 * known kind; an unknown kind gives "". */
void cairn_repo_object_name_bin(enum cairn_repo_obj kind, const uint8_t id[CAIRN_ID_BYTES],
				char out[CAIRN_REPO_NAME_MAX]);

/* The prefix a listing of every object of `kind` uses: "keys/", "data/",
 * "index/", "snapshots/", "locks/"; "config" for the config (a listing
 * with it finds at most the config). A static string; "" for an unknown
 * kind. */
const char *cairn_repo_object_prefix(enum cairn_repo_obj kind);

/* 1 when `name` is the name of an object of `kind` (exactly as
 * cairn_repo_object_name builds it: a pack's two-digit folder must agree
 * with its id), writing its hex id to ret_id ("" for the config); else 0
 * and ret_id is not written. `name` NULL is 0. */
int cairn_repo_object_parse(const char *name, enum cairn_repo_obj kind, char ret_id[CAIRN_ID_HEX]);

/* The kind of any object name: 1 and *ret_kind, ret_id (as
 * cairn_repo_object_parse; ret_id may be NULL) when `name` is a valid
 * object name of the layout, else 0 and nothing is written. */
int cairn_repo_object_kind(const char *name, enum cairn_repo_obj *ret_kind, char ret_id[CAIRN_ID_HEX]);

#endif
