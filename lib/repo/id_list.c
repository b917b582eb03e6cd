/* Lists of object ids (id_list.h). */
#include "id_list.h"

#include "repo_internal.h"

#include "cairn/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int repo_id_list_add(struct repo_id_list *l, const char *id)
{
	if (l->count == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		void *p = cairn_reallocarray(l->ids, cap, sizeof(*l->ids));

		if (p == NULL)
			return cairn_err(CAIRN_ENOMEM, "out of memory listing object ids");
		l->ids = p;
		l->cap = cap;
	}
	memcpy(l->ids[l->count++], id, CAIRN_ID_HEX);
	return 0;
}

struct dir_walk {
	struct repo_id_list *list;
	enum cairn_repo_obj kind;
};

static int collect_id(void *ctx, const char *name, uint64_t size)
{
	struct dir_walk *w = ctx;
	char id[CAIRN_ID_HEX];

	(void)size;
	if (!cairn_repo_object_parse(name, w->kind, id))
		return 0;
	return repo_id_list_add(w->list, id);
}

static int id_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

int repo_id_list_dir(struct cairn_repo *r, enum cairn_repo_obj kind, struct repo_id_list *l)
{
	struct dir_walk w = { l, kind };
	int rc;

	rc = cairn_store_list(cairn_repo_store(r), cairn_repo_object_prefix(kind), collect_id, &w);
	if (rc == 0 && l->count > 1)
		qsort(l->ids, l->count, sizeof(*l->ids), id_cmp);
	return rc;
}

int repo_id_list_has(const struct repo_id_list *l, const char *id)
{
	return l->count > 0 && bsearch(id, l->ids, l->count, sizeof(*l->ids), id_cmp) != NULL;
}

void repo_id_list_free(struct repo_id_list *l)
{
	free(l->ids);
	l->ids = NULL;
	l->count = l->cap = 0;
}
