/* Reading many data blobs of a restore with one read of their pack.
 *
 * Consecutive files of a directory were usually backed up one after the
 * other, so their blobs sit next to each other in one pack. A worker looks
 * up the locations of all the blobs of its batch of files first; when a
 * blob is needed that the last window read does not hold, one read covers
 * it and the blobs after it in the batch that follow it in the same pack
 * (gaps of at most RESTORE_WINDOW_GAP bytes, a window of at most
 * RESTORE_WINDOW_MAX bytes, or the one blob when larger). Each blob is then
 * decoded and verified from the window; a blob that fails (or any blob of a
 * pack the window read failed on) is read again alone by the repository's
 * re-read rule, so damage is reported exactly as a read of that blob alone
 * reports it. Remote stores read through their pack cache instead, which
 * reads windows of its own: there every blob is read alone.
 * A window is kept small (1 MiB): it is for many small blobs, where it
 * saves an open, a stat and a read per blob; a large blob is read alone,
 * so it is decrypted while still in the CPU's cache (a 4 MiB window cost
 * ~5% more user time on 1 GiB of 1 MiB blobs). */
#ifndef CAIRN_RESTORE_WINDOW_H
#define CAIRN_RESTORE_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/buf.h"
#include "cairn/pack.h"

#define RESTORE_WINDOW_MAX (1024u * 1024u)
#define RESTORE_WINDOW_GAP (64u * 1024u)

/* The blobs one window read serves, starting at locs[0] (which must be
 * known): locs[1..] are taken while known[i], in the same pack as locs[0],
 * starting at or after the end of the one before, at most `max_gap` bytes
 * after it, and ending at most `max_len` bytes after locs[0]'s offset.
 * Returns how many (>= 1); *ret_end is the end of the last one. Pure. */
size_t restore_window_span(const struct cairn_blob_loc *locs, const unsigned char *known, size_t n, uint64_t max_len,
			   uint64_t max_gap, uint64_t *ret_end);

/* A worker's last window: the bytes [start, end) of pack `pack`, in buf.
 * Zero-initialise; restore_window_free releases the buffer. */
struct restore_window {
	uint8_t pack[CAIRN_ID_BYTES];
	uint64_t start, end; /* end 0: empty */
	struct cairn_buf buf;
};

/* 1 when the window holds the stored bytes of `loc`; *ret_data points at them. */
int restore_window_has(const struct restore_window *w, const struct cairn_blob_loc *loc, const uint8_t **ret_data);

void restore_window_free(struct restore_window *w);

#endif
