/* S3 storage driver (any S3-compatible endpoint) and the stack it runs in.
 *
 *	struct cairn_s3_options o;
 *	rc = cairn_s3_options_from_url("s3://bucket/some/prefix", &o); // + environment
 *	rc = cairn_s3_open(&o, &store);  // statistics(retry(S3 driver))
 *	cairn_s3_options_free(&o);
 *	... cairn_store_put(store, "config", ...) ...
 *	struct cairn_store_stats st;
 *	cairn_store_stats_get(store, &st);  // for --json: requests, retries, bytes
 *	cairn_store_free(store);
 *
 * The driver (cairn_s3_driver_open) knows nothing of retries or counters
 * beyond its HTTP client's: it declares CAIRN_STORE_CAP_BATCH_DELETE,
 * CAIRN_STORE_CAP_RANGED_READ and CAIRN_STORE_CAP_REMOTE, not
 * CAIRN_STORE_CAP_ATOMIC_CREATE (a server may refuse or ignore
 * If-None-Match, below), and answers the statistics query with its HTTP
 * requests and bytes on the wire (wire = 1).
 *
 * Mapping of the storage contract (include/cairn/store.h); object "NAME" is
 * the key "PREFIX/NAME" (no leading slash), percent-encoded with
 * cairn_sigv4_encode_key(); every request is signed with SigV4 and carries
 * x-amz-content-sha256 (the SHA-256 of its body):
 *   put   A one-byte GET (exists? -> CAIRN_EEXIST), then PUT with Content-MD5
 *         and "If-None-Match: *" (412 -> CAIRN_EEXIST). Once a server has
 *         honoured If-None-Match, the check is skipped and put is one atomic
 *         request. A server that refuses conditional PUTs (501
 *         NotImplemented, e.g. OpenStack Swift's s3api) is remembered and
 *         gets check-then-PUT: not atomic, two writers of the same new name
 *         may both succeed (last writer wins). A server that ignores the
 *         header overwrites. Both are harmless for Cairn's content-addressed
 *         names (same name, same bytes). Above the multipart threshold:
 *         the check, CreateMultipartUpload, UploadPart for each part,
 *         CompleteMultipartUpload; the upload is aborted on any failure. A
 *         retry re-sends the whole object.
 *   get   GET, with "Range: bytes=A-B" unless the whole object is wanted; the
 *         body length must equal what was asked (a short or long body, or a
 *         Content-Range that does not match, is CAIRN_ETRANSIENT); a range
 *         past the end is CAIRN_EINVAL.
 *   stat  HEAD (Content-Length).
 *   list  ListObjectsV2 (list-type=2, 1000 keys a page, continuation tokens);
 *         keys whose rest after the prefix is not a valid object name are
 *         skipped.
 *   del   the one-byte GET check, then DELETE (S3 answers 204 for a missing
 *         key, the contract wants CAIRN_ENOTFOUND).
 *   del_many  one multi-object delete request (POST ?delete=, quiet mode,
 *         Content-MD5) for up to 1000 keys; missing keys count as deleted;
 *         keys the server reports failed give the class of the first one's
 *         S3 error with a detail naming it and how many failed.
 * S3 errors (XML bodies parsed with expat; DTDs refused) become details like
 * "S3 PUT 'bucket/prefix/config': 403 SignatureDoesNotMatch: <message>
 * (request id <id>)", classified: 404 -> CAIRN_ENOTFOUND (NoSuchBucket says
 * "bucket 'X' does not exist"); 401, 403 -> CAIRN_EAUTH; 400 (e.g.
 * AuthorizationHeaderMalformed), 3xx, other 4xx -> CAIRN_EINVAL; 408, 429,
 * 5xx, SlowDown, RequestTimeout, InternalError -> CAIRN_ETRANSIENT; 412 ->
 * CAIRN_EEXIST; NotImplemented -> CAIRN_EUNSUPPORTED. Transport errors are
 * those of include/cairn/http.h.
 *
 * The store is thread-safe; parallelism is the caller's (requests from
 * several threads run at once on pooled connections).
 */
#ifndef CAIRN_S3_H
#define CAIRN_S3_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/http.h"
#include "cairn/retry.h"
#include "cairn/store.h"

enum cairn_s3_addressing {
	CAIRN_S3_ADDRESSING_AUTO = 0, /* virtual for *.amazonaws.com endpoints, path for others */
	CAIRN_S3_ADDRESSING_PATH,     /* http://host/bucket/key */
	CAIRN_S3_ADDRESSING_VIRTUAL   /* http://bucket.host/key */
};

#define CAIRN_S3_DEFAULT_MULTIPART_THRESHOLD (64ULL << 20)
#define CAIRN_S3_DEFAULT_PART_SIZE (16ULL << 20)
#define CAIRN_S3_MIN_PART_SIZE (5ULL << 20)
#define CAIRN_S3_MAX_PARTS 10000u

/* Everything needed to open an S3 store. Every string is owned by the
 * struct (malloc'd; replace one by freeing it and storing a new malloc'd
 * string) and released by cairn_s3_options_free(). */
struct cairn_s3_options {
	char *endpoint;      /* "https://s3.eu-west-1.amazonaws.com" or "http://127.0.0.1:9000"; an
			      * optional base path is kept; plain http only when it says http:// */
	char *region;        /* signing region, e.g. "us-east-1" */
	char *bucket;
	char *prefix;        /* key prefix, "" for none; no leading or trailing '/' */
	enum cairn_s3_addressing addressing;
	char *access_key;
	char *secret_key;    /* wiped by cairn_s3_options_free() */
	char *session_token; /* NULL for none */
	char *ca_bundle;     /* CA bundle file for TLS, NULL for the system's */
	uint64_t multipart_threshold; /* objects larger than this go multipart (default 64 MiB) */
	uint64_t part_size;           /* multipart part size, >= 5 MiB (default 16 MiB); grown when an
				       * object would need more than 10000 parts */
	unsigned list_page_keys;      /* keys asked per ListObjectsV2 page, 1..1000 (default 1000) */
	struct cairn_http_options http; /* timeouts, stall detection, bandwidth limits; its ca_bundle
					 * and user_agent are ignored (ca_bundle above is used) */
	struct cairn_retry_policy retry; /* the retry decorator's policy (cairn_s3_open) */
	int no_retry;        /* non-zero: cairn_s3_open returns the bare driver, no decorator */
	/* S3 Object Lock: when > 0, every object written gets
	 * x-amz-object-lock-mode (COMPLIANCE, or GOVERNANCE when
	 * object_lock_governance) and a retain-until date this far from the
	 * time of the PUT. The bucket must have Object Lock enabled; a server
	 * without it refuses the PUT (InvalidRequest), which is reported. */
	int64_t object_lock_ns;
	int object_lock_governance;
};

/* Zero *o and set the defaults: no strings, addressing AUTO, 64 MiB
 * threshold, 16 MiB parts, 1000 keys a list page, cairn_http_options_default(),
 * cairn_retry_policy_default(). */
void cairn_s3_options_init(struct cairn_s3_options *o);

/* Free the strings (wiping the secret and token) and re-initialise *o.
 * NULL does nothing. */
void cairn_s3_options_free(struct cairn_s3_options *o);

/* Split "s3://BUCKET" or "s3://BUCKET/PREFIX" (trailing '/' dropped). The
 * bucket is 3..63 characters of [a-z0-9.-] (also '_' and uppercase, which
 * older buckets may have); the prefix is '/'-separated components of
 * [A-Za-z0-9._-] without "." or "..". *ret_bucket and *ret_prefix ("" for
 * none) are malloc'd, written only on success. 0, CAIRN_EINVAL (with a
 * detail quoting the URL) or CAIRN_ENOMEM. */
int cairn_s3_parse_url(const char *url, char **ret_bucket, char **ret_prefix);

/* Fill the endpoint, region, addressing, credentials, CA bundle and
 * timeouts of *o from the environment (bucket and prefix are left alone;
 * the fields set are replaced):
 *   endpoint      AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, else
 *                 https://s3.<region>.amazonaws.com
 *   region        AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1
 *   addressing    CAIRN_S3_ADDRESSING=path|virtual, else path for an endpoint
 *                 from the environment and virtual for AWS
 *   credentials   AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN),
 *                 else the shared credentials file (AWS_SHARED_CREDENTIALS_FILE,
 *                 else $HOME/.aws/credentials), profile AWS_PROFILE, else
 *                 "default": an INI file of [profile] sections with
 *                 aws_access_key_id, aws_secret_access_key, aws_session_token
 *   CA bundle     AWS_CA_BUNDLE
 *   timeouts      CAIRN_S3_CONNECT_TIMEOUT, CAIRN_S3_STALL_TIMEOUT (the
 *                 low-speed time), CAIRN_S3_REQUEST_TIMEOUT (per request) and
 *                 CAIRN_S3_DEADLINE (per operation, all retries included),
 *                 durations like "10s", "2m"
 * Empty variables count as unset. 0; CAIRN_EAUTH when no credentials are
 * found (the detail says where it looked); CAIRN_EINVAL for a bad value
 * (named); CAIRN_ENOMEM. Credentials are looked up last: after CAIRN_EAUTH
 * every other field above has been filled, so a caller with credentials of
 * its own (a configured site) may go on and set them. */
int cairn_s3_options_from_env(struct cairn_s3_options *o);

/* Replace the credentials of *o (access_key, secret_key, session_token)
 * with those of `profile` ("default", or NAME for a [NAME] or
 * [profile NAME] section) in the AWS shared credentials file at `path`: an
 * INI file with aws_access_key_id, aws_secret_access_key and, optionally,
 * aws_session_token. Nothing is taken from the environment. 0; CAIRN_EAUTH
 * when the file, the profile or its keys are missing (the detail names the
 * file and the profile, never a secret); CAIRN_EINVAL for an unreadable
 * file or one larger than 1 MiB; CAIRN_ENOMEM. On failure *o is unchanged. */
int cairn_s3_options_credentials_file(struct cairn_s3_options *o, const char *path, const char *profile);

/* cairn_s3_options_init + cairn_s3_parse_url + cairn_s3_options_from_env.
 * On failure *o is left initialised with no strings. */
int cairn_s3_options_from_url(const char *url, struct cairn_s3_options *o);

/* Open the S3 driver alone from *o (copied; o may be freed afterwards):
 * no retries, no counters beyond the HTTP client's; o->retry and
 * o->no_retry are ignored. Nothing is sent yet. The description is
 * "s3://BUCKET[/PREFIX]". 0, CAIRN_EINVAL (a missing or invalid option,
 * named), CAIRN_EAUTH (no credentials), CAIRN_ENOMEM. */
int cairn_s3_driver_open(const struct cairn_s3_options *o, struct cairn_store **ret);

/* Open an S3 store stack from *o (copied; o may be freed afterwards): the
 * driver, in the retry decorator with o->retry, in the statistics
 * decorator; with o->no_retry the bare driver. With retries the
 * per-request timeout is capped at the retry deadline (an operation may
 * still end up to one stall or request timeout after its deadline: the
 * attempt running when it passes is not cut short). Nothing is sent yet.
 * Errors as cairn_s3_driver_open. */
int cairn_s3_open(const struct cairn_s3_options *o, struct cairn_store **ret);

/* cairn_s3_options_from_url + cairn_s3_open: "s3://BUCKET/PREFIX" with
 * everything else from the environment. */
int cairn_s3_open_url(const char *url, struct cairn_store **ret);

#endif
