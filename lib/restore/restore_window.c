/* Pack windows of a restore (restore_window.h). */
#include "restore_window.h"

#include <string.h>

size_t restore_window_span(const struct cairn_blob_loc *locs, const unsigned char *known, size_t n, uint64_t max_len,
			   uint64_t max_gap, uint64_t *ret_end)
{
	uint64_t start = locs[0].offset, end = locs[0].offset + locs[0].length;
	size_t k = 1;

	for (; k < n; k++) {
		const struct cairn_blob_loc *l = &locs[k];

		if (!known[k] || memcmp(l->pack, locs[0].pack, CAIRN_ID_BYTES) != 0 || l->offset < end ||
		    l->offset - end > max_gap || l->offset + l->length - start > max_len)
			break;
		end = l->offset + l->length;
	}
	*ret_end = end;
	return k;
}

int restore_window_has(const struct restore_window *w, const struct cairn_blob_loc *loc, const uint8_t **ret_data)
{
	if (w->end == 0 || memcmp(w->pack, loc->pack, CAIRN_ID_BYTES) != 0 || loc->offset < w->start ||
	    loc->offset + loc->length > w->end || w->buf.len != w->end - w->start)
		return 0;
	*ret_data = w->buf.data + (loc->offset - w->start);
	return 1;
}

void restore_window_free(struct restore_window *w)
{
	cairn_buf_free(&w->buf);
	memset(w, 0, sizeof(*w));
}
