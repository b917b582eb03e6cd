/* account_objects: list every object of a repository and say what accounts
 * for it (docs/FORMAT.md sections 2, 8, 12, 13), for the kill -9 matrix
 * (scripts/kill-matrix.sh).
 *
 *   account_objects REPO_URL KEY_FILE STATE_DIR
 *
 * Prints one JSON object on stdout with the counts below, and on stderr one
 * line per object that nothing accounts for. Exit 0 when every object is
 * accounted for, 1 when some are not (or a referenced object is missing),
 * 2 on usage or open errors.
 *
 * Accounted for:
 *   config, keys/<id>            the repository and its keys
 *   snapshots/<id>               a snapshot that opens
 *   index/<id>                   an index object that opens; "redundant" when
 *                                every pack it lists is also listed by another
 *                                one, "superseded" when a present index object
 *                                names it as superseded (a sweep that stopped
 *                                between storing the new index objects and
 *                                deleting the old ones: the next sweep does it)
 *   data/xx/<id>                 "indexed" when an index object lists it;
 *                                "orphan" when none does but its header opens
 *                                (the next backup's orphan recovery indexes it,
 *                                FORMAT.md 13.3)
 *   locks/<id>                   "live" (holder alive, lease running) or
 *                                "stale" (holder dead on this host, or expired:
 *                                the next run that takes a lock, or for a
 *                                backup's lock the next orphan scan, deletes it)
 * Not accounted for (each is a failure):
 *   a snapshot, index object or lock that does not open, an orphan pack whose
 *   header does not open, a name outside the layout, and (a missing object, not
 *   an extra one) a pack an index object lists that is absent.
 * "vanished": listed, then not found when read (deleted meanwhile by a request
 * a killed run had sent); neither.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cairn/buf.h"
#include "cairn/crypto.h"
#include "cairn/err.h"
#include "cairn/lock.h"
#include "cairn/pack.h"
#include "cairn/repo.h"
#include "cairn/snapshot.h"
#include "cairn/store.h"


struct name_list {
	char **names;
	uint64_t *sizes;
	size_t n, capn, caps;
};

/* The packs one index object lists (distinct ids, 32 bytes each). */
struct index_info {
	char name[128];
	uint8_t *packs;
	size_t npacks, cap;
	int superseded; /* named by another present index object */
};

struct acct {
	struct cairn_repo *r;
	struct name_list all;
	struct index_info *idx;
	size_t nidx, capidx;
	uint8_t *superseded; /* ids named in superseded lists, 32 bytes each */
	size_t nsup, capsup;
	uint8_t *listed; /* every pack listed by some index object, with repeats */
	size_t nlisted, caplisted;
	int64_t now_ns;
	/* counts */
	uint64_t config, keys, snapshots, snapshots_bad;
	uint64_t index, index_bad, index_redundant, index_superseded;
	uint64_t packs, packs_indexed, packs_orphan, packs_orphan_bad, packs_missing, pack_bytes, orphan_bytes;
	uint64_t locks, locks_live, locks_stale, locks_bad, other, vanished;
};

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap * 2 : 64;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

static int add_name(void *ctx, const char *name, uint64_t size)
{
	struct name_list *l = ctx;

	if (grow((void **)&l->names, &l->capn, l->n + 1, sizeof(char *)) < 0 ||
	    grow((void **)&l->sizes, &l->caps, l->n + 1, sizeof(uint64_t)) < 0)
		return CAIRN_ENOMEM;
	l->names[l->n] = strdup(name);
	if (!l->names[l->n])
		return CAIRN_ENOMEM;
	l->sizes[l->n++] = size;
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, CAIRN_ID_BYTES);
}

/* Number of times `id` appears in the sorted array. */
static size_t count_id(const uint8_t *arr, size_t n, const uint8_t *id)
{
	if (n == 0)
		return 0;
	const uint8_t *hit = bsearch(id, arr, n, CAIRN_ID_BYTES, cmp_id);
	if (!hit)
		return 0;
	const uint8_t *lo = hit, *hi = hit;
	while (lo > arr && memcmp(lo - CAIRN_ID_BYTES, id, CAIRN_ID_BYTES) == 0)
		lo -= CAIRN_ID_BYTES;
	while (hi + CAIRN_ID_BYTES < arr + n * CAIRN_ID_BYTES && memcmp(hi + CAIRN_ID_BYTES, id, CAIRN_ID_BYTES) == 0)
		hi += CAIRN_ID_BYTES;
	return (size_t)(hi - lo) / CAIRN_ID_BYTES + 1;
}

/* What parsing one index object collects: its packs, and the ids it
 * names as superseded (kept apart until the object parsed whole). */
struct index_parse {
	struct index_info *ii;
	uint8_t *sup;
	size_t nsup, capsup;
};

static int on_blob(void *ctx, const struct cairn_blob_loc *loc)
{
	struct index_info *ii = ((struct index_parse *)ctx)->ii;
	if (ii->npacks > 0 && memcmp(ii->packs + (ii->npacks - 1) * CAIRN_ID_BYTES, loc->pack, CAIRN_ID_BYTES) == 0)
		return 0;
	if (grow((void **)&ii->packs, &ii->cap, ii->npacks + 1, CAIRN_ID_BYTES) < 0)
		return CAIRN_ENOMEM;
	memcpy(ii->packs + ii->npacks++ * CAIRN_ID_BYTES, loc->pack, CAIRN_ID_BYTES);
	return 0;
}

static int add_id(uint8_t **arr, size_t *n, size_t *cap, const uint8_t id[CAIRN_ID_BYTES])
{
	if (grow((void **)arr, cap, *n + 1, CAIRN_ID_BYTES) < 0)
		return CAIRN_ENOMEM;
	memcpy(*arr + (*n)++ * CAIRN_ID_BYTES, id, CAIRN_ID_BYTES);
	return 0;
}

static int on_superseded(void *ctx, const uint8_t id[CAIRN_ID_BYTES])
{
	struct index_parse *ip = ctx;
	return add_id(&ip->sup, &ip->nsup, &ip->capsup, id);
}

/* Parse index object `name`; on damage report it and count it bad. */
static int load_index(struct acct *a, const char *name)
{
	struct cairn_buf obj = { 0 };
	struct index_info *ii;
	int rc;

	if (grow((void **)&a->idx, &a->capidx, a->nidx + 1, sizeof(*a->idx)) < 0)
		return CAIRN_ENOMEM;
	ii = &a->idx[a->nidx];
	memset(ii, 0, sizeof(*ii));
	snprintf(ii->name, sizeof(ii->name), "%s", name);
	rc = cairn_store_get(cairn_repo_store(a->r), name, 0, UINT64_MAX, &obj);
	if (rc == 0) {
		struct index_parse ip = { .ii = ii };
		rc = cairn_index_parse(cairn_repo_keys(a->r), obj.data, obj.len, on_blob, on_superseded, &ip);
		for (size_t i = 0; rc == 0 && i < ip.nsup; i++)
			rc = add_id(&a->superseded, &a->nsup, &a->capsup, ip.sup + i * CAIRN_ID_BYTES);
		free(ip.sup);
	}
	cairn_buf_free(&obj);
	if (rc == CAIRN_ENOTFOUND) {
		/* listed, then gone: deleted meanwhile (a request the killed
		 * run sent, finished by the server after the listing) */
		fprintf(stderr, "vanished: %s\n", name);
		a->vanished++;
		free(ii->packs);
		return 0;
	}
	if (rc < 0) {
		fprintf(stderr, "unaccounted: %s: index object does not open: %s\n", name, cairn_err_msg());
		a->index_bad++;
		free(ii->packs);
		return rc == CAIRN_ENOMEM ? rc : 0;
	}
	a->nidx++;
	return 0;
}

/* The kernel's pack-tail read, once: an accounting tool reports what it
 * reads, it does not re-read. */
static int read_pack_header(struct acct *a, const uint8_t pack_id[CAIRN_ID_BYTES], uint64_t size)
{
	struct cairn_blob_loc *locs = NULL;
	size_t count = 0;
	int rc = cairn_repo_pack_tail_read(cairn_repo_store(a->r), cairn_repo_keys(a->r), pack_id, size,
					   CAIRN_REPO_READ_ONCE, NULL, &locs, &count);

	free(locs);
	return rc;
}

struct lock_seen {
	struct acct *a;
	struct name_list ids; /* locks that opened */
};

static int on_lock(void *ctx, const char *id, const struct cairn_lock_info *info)
{
	struct lock_seen *ls = ctx;
	int dead = cairn_lock_holder_dead(info);
	int expired = info->expires_ns <= ls->a->now_ns;

	if (dead || expired || cairn_lock_stale(info, ls->a->now_ns))
		ls->a->locks_stale++;
	else
		ls->a->locks_live++;
	fprintf(stderr, "lock %.16s: %s pid %" PRId64 " purpose %s: %s\n", id, info->host, info->pid, info->purpose,
		dead ? "holder dead" : expired ? "expired" : "live");
	return add_name(&ls->ids, id, 0);
}

static int parse_name(const char *name, const char *dir, uint8_t id[CAIRN_ID_BYTES])
{
	size_t dl = strlen(dir);
	const char *hex;

	if (strncmp(name, dir, dl) != 0 || name[dl] != '/')
		return 0;
	hex = name + dl + 1;
	if (strcmp(dir, "data") == 0) {
		if (strlen(hex) != 3 + 2 * CAIRN_ID_BYTES || hex[2] != '/' || strncmp(hex, hex + 3, 2) != 0)
			return 0;
		hex += 3;
	}
	if (strlen(hex) != 2 * CAIRN_ID_BYTES)
		return 0;
	for (const char *p = hex; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return cairn_hex_decode(hex, id, CAIRN_ID_BYTES) == 0;
}

static int account(struct acct *a)
{
	struct cairn_store *st = cairn_repo_store(a->r);
	struct cairn_buf plain = { 0 };
	struct lock_seen ls = { .a = a };
	uint8_t id[CAIRN_ID_BYTES];
	char hex[CAIRN_ID_HEX];
	int rc;

	rc = cairn_store_list(st, "", add_name, &a->all);
	if (rc < 0)
		return rc;
	/* index objects first: what packs they list */
	for (size_t i = 0; i < a->all.n; i++)
		if (parse_name(a->all.names[i], "index", id) && (rc = load_index(a, a->all.names[i])) < 0)
			return rc;
	for (size_t i = 0; i < a->nidx; i++)
		for (size_t j = 0; j < a->idx[i].npacks; j++) {
			if (grow((void **)&a->listed, &a->caplisted, a->nlisted + 1, CAIRN_ID_BYTES) < 0)
				return CAIRN_ENOMEM;
			memcpy(a->listed + a->nlisted++ * CAIRN_ID_BYTES, a->idx[i].packs + j * CAIRN_ID_BYTES,
			       CAIRN_ID_BYTES);
		}
	if (a->nlisted > 0)
		qsort(a->listed, a->nlisted, CAIRN_ID_BYTES, cmp_id);
	if (a->nsup > 0)
		qsort(a->superseded, a->nsup, CAIRN_ID_BYTES, cmp_id);
	rc = cairn_lock_list(a->r, on_lock, &ls);
	if (rc < 0)
		return rc;

	uint8_t *present = NULL; /* packs present, sorted */
	size_t npresent = 0, cappresent = 0;
	for (size_t i = 0; i < a->all.n; i++) {
		const char *name = a->all.names[i];
		if (strcmp(name, "config") == 0) {
			a->config++;
		} else if (parse_name(name, "keys", id)) {
			a->keys++;
		} else if (parse_name(name, "snapshots", id)) {
			a->snapshots++;
			cairn_hex_encode(id, CAIRN_ID_BYTES, hex);
			cairn_buf_reset(&plain);
			rc = cairn_repo_get_sealed(a->r, CAIRN_REPO_OBJ_SNAPSHOT, hex, CAIRN_SNAPSHOT_AD, &plain);
			if (rc == CAIRN_ENOTFOUND) {
				a->snapshots--;
				a->vanished++;
				fprintf(stderr, "vanished: %s\n", name);
			} else if (rc < 0) {
				fprintf(stderr, "unaccounted: %s: snapshot does not open: %s\n", name, cairn_err_msg());
				a->snapshots_bad++;
			}
		} else if (parse_name(name, "index", id)) {
			a->index++;
		} else if (parse_name(name, "data", id)) {
			a->packs++;
			a->pack_bytes += a->all.sizes[i];
			if (grow((void **)&present, &cappresent, npresent + 1, CAIRN_ID_BYTES) < 0) {
				free(present);
				cairn_buf_free(&plain);
				return CAIRN_ENOMEM;
			}
			memcpy(present + npresent++ * CAIRN_ID_BYTES, id, CAIRN_ID_BYTES);
			if (count_id(a->listed, a->nlisted, id) > 0) {
				a->packs_indexed++;
			} else if ((rc = read_pack_header(a, id, a->all.sizes[i])) == 0) {
				a->packs_orphan++;
				a->orphan_bytes += a->all.sizes[i];
				fprintf(stderr, "orphan pack (next backup indexes it): %s\n", name);
			} else if (rc == CAIRN_ENOTFOUND) {
				a->packs--;
				a->pack_bytes -= a->all.sizes[i];
				npresent--;
				a->vanished++;
				fprintf(stderr, "vanished: %s\n", name);
			} else {
				a->packs_orphan_bad++;
				fprintf(stderr, "unaccounted: %s: orphan pack whose header does not open: %s\n", name,
					cairn_err_msg());
			}
		} else if (strncmp(name, "locks/", 6) == 0) {
			int opened = 0;
			a->locks++;
			for (size_t j = 0; j < ls.ids.n; j++)
				opened |= strcmp(ls.ids.names[j], name + 6) == 0;
			if (!opened) {
				a->locks_bad++;
				fprintf(stderr, "unaccounted: %s: lock object that does not open\n", name);
			}
		} else {
			a->other++;
			fprintf(stderr, "unaccounted: %s: not a name of the repository layout\n", name);
		}
	}
	cairn_buf_free(&plain);
	if (npresent > 0)
		qsort(present, npresent, CAIRN_ID_BYTES, cmp_id);

	for (size_t i = 0; i < a->nidx; i++) {
		struct index_info *ii = &a->idx[i];
		size_t shared = 0;
		for (size_t j = 0; j < ii->npacks; j++) {
			const uint8_t *p = ii->packs + j * CAIRN_ID_BYTES;
			if (count_id(present, npresent, p) == 0) {
				cairn_hex_encode(p, CAIRN_ID_BYTES, hex);
				fprintf(stderr, "missing: pack %s listed by %s is absent\n", hex, ii->name);
				a->packs_missing++;
			}
			shared += count_id(a->listed, a->nlisted, p) > 1;
		}
		if (ii->npacks > 0 && shared == ii->npacks)
			a->index_redundant++;
		if (parse_name(ii->name, "index", id) && count_id(a->superseded, a->nsup, id) > 0) {
			a->index_superseded++;
			fprintf(stderr, "superseded index object still present (next sweep deletes it): %s\n", ii->name);
		}
	}
	free(present);
	for (size_t j = 0; j < ls.ids.n; j++)
		free(ls.ids.names[j]);
	free(ls.ids.names);
	free(ls.ids.sizes);
	return 0;
}

int main(int argc, char **argv)
{
	struct cairn_secret *secret = NULL;
	struct acct a = { 0 };
	struct timespec ts;
	int rc;

	if (argc != 4) {
		fprintf(stderr, "usage: account_objects REPO_URL KEY_FILE STATE_DIR\n");
		return 2;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	a.now_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	if (cairn_crypto_init() < 0 || cairn_secret_read_key_file(argv[2], &secret) < 0 ||
	    cairn_repo_open(argv[1], secret, argv[3], &a.r) < 0) {
		fprintf(stderr, "account_objects: %s\n", cairn_err_msg());
		cairn_secret_free(secret);
		return 2;
	}
	rc = account(&a);
	if (rc < 0) {
		fprintf(stderr, "account_objects: %s\n", cairn_err_msg());
	} else {
		uint64_t bad = a.snapshots_bad + a.index_bad + a.packs_orphan_bad + a.packs_missing + a.locks_bad + a.other;
		printf("{\"objects\":%zu,\"config\":%" PRIu64 ",\"keys\":%" PRIu64 ",\"snapshots\":%" PRIu64
		       ",\"snapshots_bad\":%" PRIu64 ",\"index\":%" PRIu64 ",\"index_bad\":%" PRIu64
		       ",\"index_redundant\":%" PRIu64 ",\"index_superseded\":%" PRIu64 ",\"packs\":%" PRIu64
		       ",\"pack_bytes\":%" PRIu64 ",\"packs_indexed\":%" PRIu64 ",\"packs_orphan\":%" PRIu64
		       ",\"orphan_bytes\":%" PRIu64 ",\"packs_orphan_bad\":%" PRIu64 ",\"packs_missing\":%" PRIu64
		       ",\"locks\":%" PRIu64 ",\"locks_live\":%" PRIu64 ",\"locks_stale\":%" PRIu64
		       ",\"locks_bad\":%" PRIu64 ",\"other\":%" PRIu64 ",\"vanished\":%" PRIu64
		       ",\"unaccounted\":%" PRIu64 "}\n",
		       a.all.n, a.config, a.keys, a.snapshots, a.snapshots_bad, a.index, a.index_bad, a.index_redundant,
		       a.index_superseded, a.packs, a.pack_bytes, a.packs_indexed, a.packs_orphan, a.orphan_bytes,
		       a.packs_orphan_bad, a.packs_missing, a.locks, a.locks_live, a.locks_stale, a.locks_bad, a.other,
		       a.vanished, bad);
		rc = bad == 0 && a.config == 1 ? 0 : 1;
	}
	for (size_t i = 0; i < a.all.n; i++)
		free(a.all.names[i]);
	free(a.all.names);
	free(a.all.sizes);
	for (size_t i = 0; i < a.nidx; i++)
		free(a.idx[i].packs);
	free(a.idx);
	free(a.superseded);
	free(a.listed);
	cairn_repo_close(a.r);
	cairn_secret_free(secret);
	return rc < 0 ? 2 : rc;
}
