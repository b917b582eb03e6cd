/* Key objects of an open repository: add, list, remove. */
#include "id_list.h"
#include "repo_internal.h"

#include "cairn/err.h"
#include "cairn/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LAST_KEY_FILE "last-key"

void repo_last_key_read(const char *cache_dir, char ret_id[CAIRN_ID_HEX])
{
	char *path = cairn_asprintf("%s/" LAST_KEY_FILE, cache_dir);
	char buf[CAIRN_ID_HEX + 1];
	ssize_t n = -1;
	int fd;

	ret_id[0] = '\0';
	fd = path != NULL ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf));
		close(fd);
	}
	free(path);
	/* 64 lowercase hex digits and one newline, nothing else */
	if (n == CAIRN_ID_HEX && buf[CAIRN_ID_HEX - 1] == '\n' &&
	    strspn(buf, "0123456789abcdef") == CAIRN_ID_HEX - 1) {
		memcpy(ret_id, buf, CAIRN_ID_HEX - 1);
		ret_id[CAIRN_ID_HEX - 1] = '\0';
	}
}

void repo_last_key_write(const char *cache_dir, const char *id)
{
	char *path = cairn_asprintf("%s/" LAST_KEY_FILE, cache_dir);
	char line[CAIRN_ID_HEX];

	snprintf(line, sizeof(line), "%.64s", id);
	line[CAIRN_ID_HEX - 1] = '\n';
	if (path != NULL)
		(void)cairn_file_write_atomic(path, line, sizeof(line), 0600); /* a hint: best effort */
	free(path);
}

int cairn_repo_put_key_object(struct cairn_store *store, const uint8_t master[CAIRN_KEY_BYTES],
			      const struct cairn_secret *secret, const char *host, const char *label,
			      char ret_id[CAIRN_ID_HEX])
{
	struct cairn_kdf_params params = cairn_kdf_params_default();
	struct cairn_buf obj = { 0 };
	uint8_t sid[CAIRN_ID_BYTES];
	char name[CAIRN_REPO_NAME_MAX];
	int rc;

	rc = cairn_keyobj_wrap(master, secret, &params, host, label, &obj);
	if (rc < 0)
		goto out;
	cairn_storage_id(obj.data, obj.len, sid);
	cairn_hex_encode(sid, sizeof(sid), ret_id);
	cairn_repo_object_name_bin(CAIRN_REPO_OBJ_KEY, sid, name);
	rc = cairn_store_put(store, name, obj.data, obj.len);
out:
	cairn_buf_free(&obj);
	return rc;
}

int cairn_repo_key_add(struct cairn_repo *r, const struct cairn_secret *secret, const char *host, const char *label,
		       char ret_id[CAIRN_ID_HEX])
{
	return cairn_repo_put_key_object(r->store, r->keys->master, secret, host, label, ret_id);
}


int cairn_repo_key_list(struct cairn_repo *r, int (*cb)(void *ctx, const struct cairn_repo_key_entry *e), void *ctx)
{
	struct repo_id_list k = { 0 };
	struct cairn_buf obj = { 0 };
	int rc = repo_id_list_dir(r, CAIRN_REPO_OBJ_KEY, &k);

	for (size_t i = 0; rc == 0 && i < k.count; i++) {
		struct cairn_keyobj_info info;
		struct cairn_repo_key_entry e = { k.ids[i], strcmp(k.ids[i], r->key_id) == 0, NULL, 0, NULL };
		char name[CAIRN_REPO_NAME_MAX];

		(void)cairn_repo_object_name(CAIRN_REPO_OBJ_KEY, k.ids[i], name);
		cairn_buf_reset(&obj);
		rc = cairn_repo_get_small(r->store, name, UINT64_MAX, CAIRN_KEYOBJ_MAX_BYTES, "key object", &obj);
		if (rc == CAIRN_ENOTFOUND) {
			rc = 0; /* removed meanwhile */
			continue;
		}
		if (rc == 0)
			rc = cairn_keyobj_info(obj.data, obj.len, &info);
		if (rc == 0) {
			e.info = &info;
		} else if (rc == CAIRN_ECORRUPT || rc == CAIRN_EFORMAT) {
			e.rc = rc;
			e.problem = cairn_err_msg();
		} else {
			rc = cairn_err_ctx(rc, "cannot read key object '%s'", name);
			break;
		}
		rc = cb(ctx, &e);
	}
	cairn_buf_free(&obj);
	repo_id_list_free(&k);
	return rc;
}

int cairn_repo_key_remove(struct cairn_repo *r, const char *id_prefix)
{
	struct repo_id_list k = { 0 };
	size_t plen = strlen(id_prefix), match = 0, matches = 0;
	char name[CAIRN_REPO_NAME_MAX];
	int rc;

	if (plen < 8 || plen > 64 || strspn(id_prefix, "0123456789abcdef") != plen)
		return cairn_err(CAIRN_EINVAL, "key id '%s' must be 8 to 64 lowercase hex digits", id_prefix);
	rc = repo_id_list_dir(r, CAIRN_REPO_OBJ_KEY, &k);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < k.count; i++)
		if (strncmp(k.ids[i], id_prefix, plen) == 0) {
			match = i;
			matches++;
		}
	if (matches == 0) {
		rc = cairn_err(CAIRN_ENOTFOUND, "no key with id '%s'", id_prefix);
		goto out;
	}
	if (matches > 1) {
		rc = cairn_err(CAIRN_EINVAL, "key id '%s' is ambiguous", id_prefix);
		goto out;
	}
	if (strcmp(k.ids[match], r->key_id) == 0) {
		rc = cairn_err(CAIRN_EINVAL, "refusing to remove key %.8s: it is the key in use; open the repository with "
			       "another key to remove it", r->key_id);
		goto out;
	}
	if (k.count == 1) {
		rc = cairn_err(CAIRN_EINVAL, "refusing to remove the last key");
		goto out;
	}
	(void)cairn_repo_object_name(CAIRN_REPO_OBJ_KEY, k.ids[match], name);
	rc = cairn_store_del(r->store, name);
out:
	repo_id_list_free(&k);
	return rc;
}
