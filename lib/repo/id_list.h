/* A growable, sortable list of object ids (64 hex digits each), and the
 * listing of a repository directory into one. */
#ifndef CAIRN_REPO_ID_LIST_H
#define CAIRN_REPO_ID_LIST_H

#include <stddef.h>

#include "cairn/repo.h"

struct repo_id_list {
	char (*ids)[CAIRN_ID_HEX]; /* malloc'd; free with repo_id_list_free */
	size_t count, cap;
};

/* Append `id` (NUL-terminated, CAIRN_ID_HEX bytes with the NUL). */
int repo_id_list_add(struct repo_id_list *l, const char *id);
/* The ids of the valid names of the objects of `kind` (index, snapshots,
 * keys), appended and then sorted. */
int repo_id_list_dir(struct cairn_repo *r, enum cairn_repo_obj kind, struct repo_id_list *l);
/* 1 when `id` is in the list (sorted by repo_id_list_dir), else 0. */
int repo_id_list_has(const struct repo_id_list *l, const char *id);
void repo_id_list_free(struct repo_id_list *l);

#endif
