/* Fuzz target: the shared credentials file (AWS format, read by
 * cairn_s3_credentials_file in lib/store/store_s3_opts.c) for the profiles
 * "default" and "cairn". The file is a memfd named by its /proc path. */
#include "harness.h"

#include "cairn/err.h"
#include "store/store_s3_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void one(const char *path, const char *profile)
{
	char *access = NULL, *secret = NULL, *token = NULL;
	int rc = cairn_s3_credentials_file(path, profile, &access, &secret, &token);

	if (rc == 0) {
		if (access == NULL || secret == NULL || access[0] == '\0' || secret[0] == '\0' ||
		    (token != NULL && token[0] == '\0'))
			__builtin_trap();
		free(access);
		free(secret);
		free(token);
	} else if (access != NULL || secret != NULL || token != NULL ||
		   (rc != CAIRN_EAUTH && rc != CAIRN_EINVAL && rc != CAIRN_ENOMEM)) {
		__builtin_trap();
	}
	cairn_err_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = memfd_create("fuzz-credentials", MFD_CLOEXEC);

	if (fd < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	one(path, "default");
	one(path, "cairn");
	close(fd);
	return 0;
}
