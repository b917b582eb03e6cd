/* Creating and opening a repository: config, key objects, catalog. */
#include "repo_internal.h"

#include "cairn/err.h"
#include "cairn/pack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

static void config_defaults(struct cairn_repo_config *cfg)
{
	uint8_t id[CAIRN_ID_BYTES];

	memset(cfg, 0, sizeof(*cfg));
	cfg->version = CAIRN_FORMAT_VERSION;
	cairn_random_bytes(id, sizeof(id));
	cairn_hex_encode(id, sizeof(id), cfg->id);
	cfg->chunker.min = CAIRN_CHUNK_MIN_DEFAULT;
	cfg->chunker.avg = CAIRN_CHUNK_AVG_DEFAULT;
	cfg->chunker.max = CAIRN_CHUNK_MAX_DEFAULT;
	cfg->pack_target = CAIRN_PACK_TARGET_DEFAULT;
	cfg->zstd_level = CAIRN_ZSTD_LEVEL_DEFAULT;
}

int cairn_repo_init(const char *url, const struct cairn_secret *secret, const char *host,
		    const struct cairn_repo_config *cfg_in, char ret_id[CAIRN_ID_HEX])
{
	struct cairn_store *store = NULL;
	int rc = cairn_store_open_url(url, 1, &store);

	if (rc < 0)
		return cairn_err_ctx(rc, "cannot initialise repository '%s'", url);
	return cairn_repo_init_store(store, url, secret, host, cfg_in, ret_id);
}

/* An object name (store.h: at most 255 bytes) and its NUL. */
#define STORE_NAME_BUF 256

static int first_object(void *ctx, const char *name, uint64_t size)
{
	(void)size;
	snprintf(ctx, STORE_NAME_BUF, "%s", name);
	return 1; /* one is enough */
}

/* 0 when `store` is empty; CAIRN_EEXIST naming what is there otherwise. */
static int init_target_check(struct cairn_store *store, const char *url)
{
	struct cairn_repo_config cfg;
	struct cairn_buf text = { 0 };
	char found[STORE_NAME_BUF] = "";
	int rc;

	rc = cairn_repo_get_small(store, CAIRN_REPO_CONFIG_NAME, UINT64_MAX, CAIRN_CONFIG_MAX_BYTES, "config object", &text);
	if (rc == 0)
		rc = cairn_repo_config_parse(text.data, text.len, &cfg);
	if (rc == 0)
		rc = cairn_err(CAIRN_EEXIST, "a Cairn repository (id %.8s, format version %u) already exists at '%s'; "
			       "open it, or choose another location", cfg.id, cfg.version, url);
	else if (rc == CAIRN_EFORMAT)
		rc = cairn_err(CAIRN_EEXIST, "a Cairn repository of a format this build does not know already exists "
			       "at '%s'; refusing to initialise over it", url);
	else if (rc == CAIRN_ECORRUPT)
		rc = cairn_err(CAIRN_EEXIST, "'%s' already holds a config object that is not a valid Cairn config; "
			       "refusing to initialise over it", url);
	cairn_buf_free(&text);
	if (rc != CAIRN_ENOTFOUND)
		return rc;
	/* objects without a config: another program's files, or an init that
	 * was interrupted after its key object (a second key object wrapping
	 * another master key for the same secret would make opens pick either) */
	rc = cairn_store_list(store, "", first_object, found);
	if (rc < 0)
		return rc;
	if (found[0] != '\0')
		return cairn_err(CAIRN_EEXIST, "'%s' is not empty (it holds '%s') and is not a Cairn repository (no "
				 "config object); initialise an empty location, or empty this one first", url, found);
	return 0;
}

int cairn_repo_init_store(struct cairn_store *store, const char *url, const struct cairn_secret *secret,
			  const char *host, const struct cairn_repo_config *cfg_in, char ret_id[CAIRN_ID_HEX])
{
	struct cairn_repo_config cfg;
	struct cairn_buf text = { 0 };
	uint8_t *master;
	char key_id[CAIRN_ID_HEX];
	int rc;

	if (store == NULL)
		return cairn_err(CAIRN_EINVAL, "init: no store");
	if (cfg_in != NULL)
		cfg = *cfg_in;
	else
		config_defaults(&cfg);
	master = sodium_malloc(CAIRN_KEY_BYTES);
	if (master == NULL) {
		cairn_store_free(store);
		return cairn_err(CAIRN_ENOMEM, "cannot allocate key memory");
	}
	cairn_random_bytes(master, CAIRN_KEY_BYTES);

	if (url == NULL)
		url = store->description;
	rc = init_target_check(store, url);
	if (rc < 0)
		goto out;
	/* key first, config last: without a config there is no repository */
	rc = cairn_repo_put_key_object(store, master, secret, host, "initial key", key_id);
	if (rc < 0)
		goto out;
	rc = cairn_repo_config_write(&cfg, &text);
	if (rc < 0)
		goto out;
	rc = cairn_store_put(store, CAIRN_REPO_CONFIG_NAME, text.data, text.len);
	if (rc < 0)
		goto out;
	if (ret_id != NULL)
		memcpy(ret_id, cfg.id, CAIRN_ID_HEX);
out:
	if (rc < 0)
		rc = cairn_err_ctx(rc, "cannot initialise repository '%s'", url);
	cairn_buf_free(&text);
	cairn_store_free(store);
	sodium_free(master);
	return rc;
}

/* Opening with a secret: the key object that worked last on this host
 * first, then every other one, each read with a size cap and tried only
 * when its declared KDF cost is within the local limits. */
struct key_try {
	struct cairn_store *store;
	const struct cairn_secret *secret;
	struct cairn_kdf_limits limits;
	const struct cairn_repo_open_opts *opts;
	uint8_t *master;
	char key_id[CAIRN_ID_HEX];
	char first_id[CAIRN_ID_HEX]; /* tried before the listing; "" if none */
	int found;
	int tried;
	int last_rc;
	/* a key object that could not be tried (I/O, memory): then no
	 * "wrong key" verdict, that very object may be the one */
	int untried_rc;
	char untried_msg[512];
	int costly;
	char costly_ids[200]; /* short ids of the keys skipped for their cost */
};

/* "skipping <what>key object '<name>': <detail of the last error>" */
static void key_warn(const struct key_try *t, const char *what, const char *name)
{
	char msg[1024];

	if (t->opts == NULL || t->opts->on_warning == NULL)
		return;
	snprintf(msg, sizeof(msg), "skipping %skey object '%s': %s", what, name, cairn_err_msg());
	t->opts->on_warning(t->opts->ctx, msg);
}

/* A key object that could not be tried: remembered, the first one named. */
static void key_untried(struct key_try *t, int rc, const char *name)
{
	if (t->untried_rc != 0)
		return;
	t->untried_rc = rc;
	snprintf(t->untried_msg, sizeof(t->untried_msg), "key object '%s' could not be tried: %s", name,
		 cairn_err_msg());
}

/* Try keys/<id> (size from a listing, or UINT64_MAX). 1 when it opened.
 * The errors of the fetch and of the unwrap are told apart: a store's
 * "permission denied" (CAIRN_EPERM, CAIRN_EAUTH) is not a KDF cost above
 * the limit, nor a wrong secret. */
static int try_key_id(struct key_try *t, const char *id, uint64_t size)
{
	struct cairn_buf obj = { 0 };
	char name[CAIRN_REPO_NAME_MAX];
	int rc;

	(void)cairn_repo_object_name(CAIRN_REPO_OBJ_KEY, id, name);
	rc = cairn_repo_get_small(t->store, name, size, CAIRN_KEYOBJ_MAX_BYTES, "key object", &obj);
	if (rc == 0) {
		rc = cairn_keyobj_unwrap_limited(obj.data, obj.len, t->secret, &t->limits, t->master);
		cairn_buf_free(&obj);
		if (rc == 0) {
			memcpy(t->key_id, id, CAIRN_ID_HEX);
			t->found = 1;
			return 1;
		}
		if (rc == CAIRN_EPERM) {
			size_t used = strlen(t->costly_ids);

			if (t->costly++ < 8)
				snprintf(t->costly_ids + used, sizeof(t->costly_ids) - used, "%s%.16s", used ? ", " : "",
					 id);
			key_warn(t, "", name);
			return 0;
		}
		if (rc == CAIRN_EAUTH) {
			t->tried++;
			return 0;
		}
	}
	cairn_buf_free(&obj);
	if (rc == CAIRN_ENOTFOUND)
		return 0; /* removed meanwhile, or a last-key hint of a key that is gone */
	if (rc == CAIRN_ECORRUPT || rc == CAIRN_EFORMAT) {
		/* malformed or too large: not a key object */
		key_warn(t, "unusable ", name);
		t->last_rc = rc;
		return 0;
	}
	key_untried(t, rc, name);
	return 0;
}

static int try_key(void *ctx, const char *name, uint64_t size)
{
	struct key_try *t = ctx;
	char id[CAIRN_ID_HEX];

	if (!cairn_repo_object_parse(name, CAIRN_REPO_OBJ_KEY, id) || strcmp(id, t->first_id) == 0)
		return 0;
	return try_key_id(t, id, size); /* 1 stops the listing */
}

static int keys_try_all(struct key_try *t, const char *url)
{
	int rc;

	if (t->first_id[0] != '\0' && try_key_id(t, t->first_id, UINT64_MAX))
		return 0;
	rc = cairn_store_list(t->store, cairn_repo_object_prefix(CAIRN_REPO_OBJ_KEY), try_key, t);
	if (rc < 0)
		return rc;
	if (t->found)
		return 0;
	if (t->untried_rc < 0)
		return cairn_err(t->untried_rc, "cannot open repository '%s': %s (%d other key%s did not open with this "
				 "secret)", url, t->untried_msg, t->tried, t->tried == 1 ? "" : "s");
	if (t->costly > 0)
		return cairn_err(CAIRN_EAUTH,
				 "wrong key or passphrase for repository '%s' (tried %d key%s; skipped %d whose argon2id "
				 "cost is above this host's limit: %s%s; if one of them is yours, raise "
				 "CAIRN_KDF_MAX_OPSLIMIT or CAIRN_KDF_MAX_MEMLIMIT)",
				 url, t->tried, t->tried == 1 ? "" : "s", t->costly, t->costly_ids,
				 t->costly > 8 ? ", ..." : "");
	if (t->tried == 0 && t->last_rc < 0)
		return cairn_err_ctx(t->last_rc, "repository '%s': no usable key object", url);
	if (t->tried == 0)
		return cairn_err(CAIRN_ECORRUPT, "repository '%s' has no key objects", url);
	return cairn_err(CAIRN_EAUTH, "wrong key or passphrase for repository '%s' (tried %d key%s)", url, t->tried,
			 t->tried == 1 ? "" : "s");
}

int cairn_repo_open(const char *url, const struct cairn_secret *secret, const char *state_dir,
		    struct cairn_repo **ret)
{
	return cairn_repo_open_with(url, secret, state_dir, NULL, ret);
}

int cairn_repo_open_with(const char *url, const struct cairn_secret *secret, const char *state_dir,
			 const struct cairn_repo_open_opts *opts, struct cairn_repo **ret)
{
	struct cairn_store *store = NULL;
	int rc;

	rc = cairn_store_open_url(url, 0, &store);
	if (rc == CAIRN_ENOTFOUND)
		return cairn_err(CAIRN_ENOTFOUND, "no repository at '%s' (run 'cairn-agent init' first)", url);
	if (rc < 0)
		return rc;
	return cairn_repo_open_store_with(store, url, secret, state_dir, opts, ret);
}

int cairn_repo_open_store(struct cairn_store *store, const char *url, const struct cairn_secret *secret,
			  const char *state_dir, struct cairn_repo **ret)
{
	return cairn_repo_open_store_with(store, url, secret, state_dir, NULL, ret);
}

int cairn_repo_open_store_with(struct cairn_store *store, const char *url, const struct cairn_secret *secret,
			       const char *state_dir, const struct cairn_repo_open_opts *opts,
			       struct cairn_repo **ret)
{
	struct cairn_repo *r;
	struct cairn_buf cfgtext = { 0 };
	struct key_try kt = { 0 };
	uint8_t where[CAIRN_ID_BYTES];
	char where_hex[CAIRN_ID_HEX];
	char *cache_dir = NULL;
	int rc;

	if (store == NULL)
		return cairn_err(CAIRN_EINVAL, "cannot open a repository without a store");
	if (url == NULL)
		url = store->description;
	r = calloc(1, sizeof(*r));
	kt.master = sodium_malloc(CAIRN_KEY_BYTES);
	if (r == NULL || kt.master == NULL) {
		cairn_store_free(store);
		rc = cairn_err(CAIRN_ENOMEM, "cannot allocate repository handle");
		goto fail;
	}
	r->store = store; /* owned by r from here on */
	r->url = cairn_strdup(url);
	if (r->url == NULL) {
		rc = cairn_err(CAIRN_ENOMEM, "cannot allocate repository handle");
		goto fail;
	}
	rc = cairn_repo_get_small(r->store, CAIRN_REPO_CONFIG_NAME, UINT64_MAX, CAIRN_CONFIG_MAX_BYTES, "config object", &cfgtext);
	if (rc == CAIRN_ENOTFOUND) {
		/* keep the store's detail: it tells a missing bucket from a missing config */
		rc = cairn_err_ctx(CAIRN_ENOTFOUND, "no repository at '%s' (no config object; run 'cairn-agent init' "
				   "first)", url);
		goto fail;
	}
	if (rc < 0) {
		rc = cairn_err_ctx(rc, "repository '%s'", url);
		goto fail;
	}
	rc = cairn_repo_config_parse(cfgtext.data, cfgtext.len, &r->config);
	if (rc < 0) {
		rc = cairn_err_ctx(rc, "repository '%s'", url);
		goto fail;
	}
	/* one catalog per repository and location: a replica (same id, maybe
	 * not every object yet) never shares the primary's catalog */
	cairn_storage_id(r->store->description, strlen(r->store->description), where);
	cairn_hex_encode(where, sizeof(where), where_hex);
	cache_dir = cairn_asprintf("%s/%s/%.16s", state_dir, r->config.id, where_hex);
	r->catalog_path = cache_dir != NULL ? cairn_asprintf("%s/catalog.db", cache_dir) : NULL;
	if (r->catalog_path == NULL) {
		rc = cairn_err(CAIRN_ENOMEM, "cannot allocate catalog path");
		goto fail;
	}
	kt.store = r->store;
	kt.secret = secret;
	kt.opts = opts;
	kt.limits = opts != NULL && opts->kdf_limits != NULL ? *opts->kdf_limits : cairn_kdf_limits_default();
	repo_last_key_read(cache_dir, kt.first_id);
	rc = keys_try_all(&kt, url);
	if (rc < 0)
		goto fail;
	memcpy(r->key_id, kt.key_id, sizeof(r->key_id));
	rc = cairn_keys_derive(kt.master, &r->keys);
	if (rc < 0)
		goto fail;
	rc = cairn_catalog_open(r->catalog_path, r->config.id, &r->catalog);
	if (rc < 0)
		goto fail;
	if (strcmp(kt.first_id, r->key_id) != 0)
		repo_last_key_write(cache_dir, r->key_id); /* a hint: failing to keep it costs time only */
	/* remote stores: read packs in windows, many blobs per request */
	if (cairn_store_caps(r->store) & CAIRN_STORE_CAP_REMOTE) {
		rc = cairn_packcache_new(CAIRN_REPO_PACKCACHE_BUDGET, CAIRN_REPO_PACKCACHE_WINDOW,
					 CAIRN_REPO_PACKCACHE_FETCHERS, &r->packcache);
		if (rc < 0)
			goto fail;
	}
	sodium_free(kt.master);
	cairn_buf_free(&cfgtext);
	free(cache_dir);
	*ret = r;
	return 0;
fail:
	sodium_free(kt.master);
	cairn_buf_free(&cfgtext);
	free(cache_dir);
	cairn_repo_close(r);
	return rc;
}

void cairn_repo_close(struct cairn_repo *r)
{
	if (r == NULL)
		return;
	cairn_catalog_close(r->catalog);
	cairn_packcache_free(r->packcache);
	cairn_keys_free(r->keys);
	cairn_store_free(r->store);
	free(r->catalog_path);
	free(r->url);
	free(r);
}

const struct cairn_repo_config *cairn_repo_config(const struct cairn_repo *r)
{
	return &r->config;
}

const struct cairn_keys *cairn_repo_keys(const struct cairn_repo *r)
{
	return r->keys;
}

struct cairn_store *cairn_repo_store(struct cairn_repo *r)
{
	return r->store;
}

struct cairn_catalog *cairn_repo_catalog(struct cairn_repo *r)
{
	return r->catalog;
}

const char *cairn_repo_key_id(const struct cairn_repo *r)
{
	return r->key_id;
}
