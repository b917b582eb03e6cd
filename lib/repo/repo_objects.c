/* Sealed writes: index and snapshot objects named by their storage id. */
#include "repo_internal.h"

#include "cairn/err.h"

#include <string.h>

int cairn_repo_put_sealed(struct cairn_repo *r, enum cairn_repo_obj kind, const char *ad, const void *plain,
			  size_t len, char ret_id[CAIRN_ID_HEX])
{
	struct cairn_buf sealed = { 0 };
	uint8_t sid[CAIRN_ID_BYTES];
	char name[CAIRN_REPO_NAME_MAX];
	int rc;

	rc = cairn_seal(r->keys->enc, ad, strlen(ad), plain, len, NULL, &sealed);
	if (rc < 0)
		goto out;
	cairn_storage_id(sealed.data, sealed.len, sid);
	cairn_hex_encode(sid, sizeof(sid), ret_id);
	cairn_repo_object_name_bin(kind, sid, name);
	rc = cairn_store_put_content(r->store, name, sealed.data, sealed.len);
out:
	cairn_buf_free(&sealed);
	return rc;
}
