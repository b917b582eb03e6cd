/* Private to check_data.c and check_pack_read.c: reading one pack whole,
 * on a reader thread, for --read-data. */
#ifndef CAIRN_CHECK_DATA_H
#define CAIRN_CHECK_DATA_H

#include "check_internal.h"

/* A blob found damaged, or listed by the index where the pack has none. */
struct check_bad {
	uint8_t id[CAIRN_ID_BYTES];
	uint8_t type;
};

/* One pack to read. The main thread fills the input, a reader the output. */
struct check_job {
	/* input */
	uint8_t id[CAIRN_ID_BYTES];
	char name[CAIRN_PACK_NAME_MAX];
	uint64_t size;
	struct cairn_blob_loc *index; /* the index entries for it, by offset (owned) */
	size_t nindex;
	size_t window;
	/* output */
	int rc;            /* a failure that stops the check (not damage) */
	char err[512];     /* its detail */
	int missing;       /* gone since the listing */
	uint64_t bytes_read;
	uint64_t blobs_ok;
	struct cairn_buf msg;     /* what is damaged, as text; empty when the pack is sound */
	enum cairn_event_code code; /* with msg: CAIRN_EVENT_DAMAGED_BLOB when blobs fail, else _DAMAGED_PACK */
	struct check_bad *bad;    /* the blobs it makes damaged */
	size_t nbad, capbad;
	struct cairn_buf trees;   /* verified tree blobs: id[32] || u32le length || plaintext, repeated */
};

/* What one reader thread keeps from one pack to the next. */
struct check_reader {
	struct cairn_buf win; /* the part of the pack in memory */
	struct cairn_buf out; /* a decoded blob */
	struct cairn_zctx *z;
};

/* Read and verify job's pack (re-read when damaged, since damage may be on
 * the way). Results in the job; thread-safe for distinct readers. */
void check_job_run(const struct cairn_keys *keys, struct cairn_store *store, struct check_reader *rd,
		   struct check_job *job);
/* Free the job's input and output; it can be reused. */
void check_job_clear(struct check_job *job);
void check_reader_clear(struct check_reader *rd);

#endif
