/* many_snapshots: take N small snapshots in one process, for the catalog
 * rebuild benchmark (bench/catalog_rebuild.sh): each backs up SRC_DIR after
 * rewriting SRC_DIR/counter, so each writes one pack, one index object and
 * one snapshot object, as a long-lived repository of frequent backups does.
 *
 *   many_snapshots REPO_URL KEY_FILE STATE_DIR SRC_DIR N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/backup.h"
#include "cairn/crypto.h"
#include "cairn/err.h"
#include "cairn/repo.h"
#include "cairn/snapshot.h"

int main(int argc, char **argv)
{
	struct cairn_secret *secret = NULL;
	struct cairn_repo *r = NULL;
	char counter[4096];
	long n;
	int rc;

	if (argc != 6 || (n = strtol(argv[5], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: many_snapshots REPO_URL KEY_FILE STATE_DIR SRC_DIR N\n");
		return 2;
	}
	snprintf(counter, sizeof(counter), "%s/counter", argv[4]);
	if (cairn_crypto_init() < 0 || cairn_secret_read_key_file(argv[2], &secret) < 0 ||
	    cairn_repo_open(argv[1], secret, argv[3], &r) < 0 || cairn_repo_sync(r, NULL, NULL) < 0) {
		fprintf(stderr, "many_snapshots: cannot open '%s': %s\n", argv[1], cairn_err_msg());
		return 1;
	}
	for (long i = 0; i < n; i++) {
		const char *paths[1] = { argv[4] };
		struct cairn_backup_opts o = { 0 };
		struct cairn_snapshot snap = { 0 };
		FILE *f = fopen(counter, "w");

		if (f == NULL || fprintf(f, "snapshot %ld of %ld\n", i, n) < 0 || fclose(f) != 0) {
			fprintf(stderr, "many_snapshots: cannot write '%s'\n", counter);
			return 1;
		}
		o.paths = paths;
		o.npaths = 1;
		o.threads = 1;
		rc = cairn_backup_run(r, &o, &snap);
		cairn_snapshot_clear(&snap);
		if (rc < 0) {
			fprintf(stderr, "many_snapshots: backup %ld: %s\n", i, cairn_err_msg());
			return 1;
		}
		if ((i + 1) % 1000 == 0)
			fprintf(stderr, "many_snapshots: %ld of %ld\n", i + 1, n);
	}
	cairn_repo_close(r);
	cairn_secret_free(secret);
	return 0;
}
