/* Replica forget: a snapshot deleted on a replica and tombstoned in the primary's catalog (see replicate.h). */
#include "cairn/catalog.h"
#include "cairn/config.h"
#include "cairn/err.h"
#include "cairn/replicate.h"
#include "cairn/snapshot.h"

#include <stdio.h>

int64_t cairn_replicate_forget_grace_ns(const struct cairn_site_config *site)
{
	return site != NULL && site->is_replica && site->delete_grace_ns > 0 ? site->delete_grace_ns : 0;
}

int cairn_replicate_forget_snapshot(struct cairn_repo *replica, struct cairn_repo *primary, const char *site,
				    const char *id, int *ret_tombstone_rc)
{
	char name[CAIRN_REPO_NAME_MAX];
	int rc = cairn_snapshot_delete(replica, id);

	if (rc < 0)
		return rc;
	if (primary != NULL) {
		rc = cairn_repo_object_name(CAIRN_REPO_OBJ_SNAPSHOT, id, name);
		if (rc == 0)
			rc = cairn_catalog_site_tombstone(cairn_repo_catalog(primary), site, name);
	}
	if (ret_tombstone_rc != NULL)
		*ret_tombstone_rc = rc;
	return 0;
}
