/* hold_lock: take a repository lock and hold it until stdin closes (or the
 * process is killed), for the e2e tests of overlapping runs.
 *
 *   hold_lock REPO_URL KEY_FILE STATE_DIR shared|exclusive PURPOSE
 *
 * Prints "held" on stdout once the lock is stored, then waits.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cairn/crypto.h"
#include "cairn/err.h"
#include "cairn/lock.h"
#include "cairn/repo.h"

int main(int argc, char **argv)
{
	struct cairn_secret *secret = NULL;
	struct cairn_repo *r = NULL;
	struct cairn_lock *lock = NULL;
	char buf[64];

	if (argc != 6 || (strcmp(argv[4], "shared") != 0 && strcmp(argv[4], "exclusive") != 0)) {
		fprintf(stderr, "usage: hold_lock REPO_URL KEY_FILE STATE_DIR shared|exclusive PURPOSE\n");
		return 2;
	}
	if (cairn_crypto_init() < 0 || cairn_secret_read_key_file(argv[2], &secret) < 0 ||
	    cairn_repo_open(argv[1], secret, argv[3], &r) < 0 ||
	    cairn_lock_acquire(r, strcmp(argv[4], "exclusive") == 0, argv[5], 0, &lock) < 0) {
		fprintf(stderr, "hold_lock: %s\n", cairn_err_msg());
		return 1;
	}
	printf("held\n");
	fflush(stdout);
	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
	cairn_lock_release(lock);
	cairn_repo_close(r);
	cairn_secret_free(secret);
	return 0;
}
