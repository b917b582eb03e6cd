/* The packs of a check, without reading their data: one listing of data/,
 * each pack the index lists present and large enough for its entries,
 * orphans counted and their headers read. */
#include "check_internal.h"

#include "cairn/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 256

static int list_pack(void *ctx, const char *name, uint64_t size)
{
	struct check_run *c = ctx;
	uint8_t id[CAIRN_ID_BYTES];
	char hex[CAIRN_ID_HEX];

	if (!cairn_repo_object_parse(name, CAIRN_REPO_OBJ_PACK, hex) || cairn_hex_decode(hex, id, sizeof(id)) < 0)
		return 0;
	c->st.packs++;
	c->st.pack_bytes += size;
	check_progress(c, 0);
	return check_db_pack_add(c->db, id, size);
}

/* The smallest pack that can hold `entries` blobs ending at `data_end`:
 * a header of 4 + 49 bytes per entry, sealed, then the trailer. */
static uint64_t min_pack_size(uint64_t entries, uint64_t data_end)
{
	return data_end + 4 + entries * CAIRN_PACK_ENTRY_BYTES + CAIRN_SEAL_OVERHEAD + CAIRN_PACK_TRAILER_BYTES;
}

static int check_indexed_pack(void *ctx, const struct check_pack_row *row)
{
	struct check_run *c = ctx;
	uint64_t need = min_pack_size(row->entries, row->data_end);
	uint64_t usable = need - row->data_end; /* header and trailer */
	char name[CAIRN_PACK_NAME_MAX];
	int64_t no;
	int rc;

	cairn_repo_pack_name(row->id, name);
	if (!row->present) {
		rc = check_report(c, CAIRN_EVENT_MISSING_PACK, CAIRN_EVENT_OBJECT_PACK, row->id, name, &no,
				  "not in data/, but the index lists %llu blob%s in it", (unsigned long long)row->entries,
				  row->entries == 1 ? "" : "s");
		return rc < 0 ? rc : check_db_bad_pack(c->db, row->id, 0, no);
	}
	if (row->size >= need)
		return 0;
	rc = check_report(c, CAIRN_EVENT_DAMAGED_PACK, CAIRN_EVENT_OBJECT_PACK, row->id, name, &no,
			  "%llu bytes, too small for the %llu blob%s the index lists in it (at least %llu bytes)",
			  (unsigned long long)row->size, (unsigned long long)row->entries,
			  row->entries == 1 ? "" : "s", (unsigned long long)need);
	/* blobs that end where a header and a trailer must be are cut off */
	return rc < 0 ? rc : check_db_bad_pack(c->db, row->id, row->size > usable ? row->size - usable : 0, no);
}

/* An orphan: its header's blobs are recorded (a snapshot may need them
 * once a lost index object is rebuilt); a damaged header is a problem. */
static int check_orphan(struct check_run *c, const struct check_pack_row *row)
{
	struct cairn_blob_loc *locs = NULL;
	char name[CAIRN_PACK_NAME_MAX];
	size_t n = 0;
	int rc;

	c->st.orphan_packs++;
	cairn_repo_pack_name(row->id, name);
	rc = cairn_repo_pack_tail_read(cairn_repo_store(c->r), cairn_repo_keys(c->r), row->id, row->size, 0,
				       &c->st.bytes_read, &locs, &n);
	if (rc == CAIRN_ENOTFOUND)
		return 0; /* gone since the listing */
	if (rc == CAIRN_ECORRUPT)
		return check_report(c, CAIRN_EVENT_DAMAGED_PACK, CAIRN_EVENT_OBJECT_PACK, row->id, name, NULL,
				    "not listed by any index object, and its header is damaged: %s", cairn_err_msg());
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = check_db_loc_add(c->db, &locs[i], 0);
	free(locs);
	return rc;
}

typedef int (*page_fn)(struct check_db *db, const uint8_t *after, struct check_pack_row *rows, size_t max,
		       size_t *ret_n);

/* Call each(ctx, row) for every row of the pages of `page`. */
static int each_pack(struct check_run *c, page_fn page, int (*each)(void *ctx, const struct check_pack_row *row),
		     void *ctx)
{
	struct check_pack_row *rows = calloc(PAGE, sizeof(*rows));
	uint8_t after[CAIRN_ID_BYTES];
	size_t n = 0;
	int rc = 0, first = 1;

	if (rows == NULL)
		return cairn_err(CAIRN_ENOMEM, "check: out of memory");
	do {
		rc = page(c->db, first ? NULL : after, rows, PAGE, &n);
		for (size_t i = 0; rc == 0 && i < n; i++) {
			rc = each(ctx, &rows[i]);
			check_progress(c, 0);
		}
		if (n > 0)
			memcpy(after, rows[n - 1].id, CAIRN_ID_BYTES);
		first = 0;
	} while (rc == 0 && n == PAGE);
	free(rows);
	return rc;
}

static int present_pack(void *ctx, const struct check_pack_row *row)
{
	struct check_run *c = ctx;

	return row->entries == 0 ? check_orphan(c, row) : 0;
}

int check_packs_list(struct check_run *c)
{
	const char *prefix = cairn_repo_object_prefix(CAIRN_REPO_OBJ_PACK);
	int rc = cairn_store_list(cairn_repo_store(c->r), prefix, list_pack, c);

	if (rc < 0)
		return cairn_err_ctx(rc, "cannot list '%s'", prefix);
	rc = each_pack(c, check_db_indexed_page, check_indexed_pack, c);
	if (rc == 0)
		rc = each_pack(c, check_db_present_page, present_pack, c);
	return rc;
}

int check_pack_pages(struct check_run *c, int (*each)(void *ctx, const struct check_pack_row *row), void *ctx)
{
	return each_pack(c, check_db_present_page, each, ctx);
}
