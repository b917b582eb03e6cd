/* Waits for a database another connection holds, through the retry policy. */
#include "catalog/catalog_internal.h"

#include "cairn/err.h"

struct cairn_retry_policy cairn_catalog_busy_policy(void)
{
	struct cairn_retry_policy p = {
		.deadline_ns = CAIRN_CATALOG_BUSY_DEADLINE_NS,
		.max_attempts = UINT32_MAX,
		.backoff_base_ns = 1000000LL,   /* 1 ms */
		.backoff_cap_ns = 100000000LL,  /* 100 ms */
		.flags = CAIRN_RETRY_LAST_AT_DEADLINE,
	};
	return p;
}

static int busy_handler(void *ctx, int count)
{
	return cairn_catalog_busy_wait(ctx, count);
}

int cairn_catalog_busy_attach(struct cairn_catalog_busy *busy, struct sqlite3 *db,
			      const struct cairn_retry_policy *policy, const struct cairn_retry_env *env)
{
	int rc;

	busy->policy = policy != NULL ? *policy : cairn_catalog_busy_policy();
	busy->env = env != NULL ? *env : cairn_retry_env_default();
	busy->gave_up = 0;
	/* a trial begin validates the policy and the environment now */
	rc = cairn_retry_begin(&busy->retry, &busy->policy, &busy->env);
	if (rc != 0)
		return rc;
	if (sqlite3_busy_handler(db, busy_handler, busy) != SQLITE_OK)
		return cairn_err(CAIRN_EBUG, "cannot install the SQLite busy handler");
	return 0;
}

int cairn_catalog_busy_wait(struct cairn_catalog_busy *busy, int count)
{
	int again;

	if (count == 0) {
		busy->gave_up = 0;
		if (cairn_retry_begin(&busy->retry, &busy->policy, &busy->env) != 0)
			return 0; /* validated at attach: cannot happen */
	}
	/* the detail this attempt leaves in the folded message */
	cairn_err(CAIRN_ELOCKED, "database is locked");
	again = cairn_retry_should_retry(&busy->retry, CAIRN_ELOCKED);
	if (!again)
		busy->gave_up = 1;
	return again;
}
