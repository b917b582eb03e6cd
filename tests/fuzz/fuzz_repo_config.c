/* Fuzz target: the repository config object (plaintext JSON, read by every
 * open before anything is authenticated; lib/repo/repo_config.c).
 * Invariant: an accepted config written back parses to the same values. */
#include "harness.h"

#include "cairn/err.h"
#include "repo/repo_internal.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cairn_repo_config cfg, back;
	struct cairn_buf out = { 0 };

	memset(&cfg, 0, sizeof(cfg));
	if (cairn_repo_config_parse(data, size, &cfg) != 0) {
		cairn_err_clear();
		return 0;
	}
	if (cairn_chunker_params_check(&cfg.chunker) != 0 || cfg.zstd_level < 1 || cfg.zstd_level > 19 ||
	    cfg.id[CAIRN_ID_HEX - 1] != '\0' || strlen(cfg.id) != 2 * CAIRN_ID_BYTES)
		__builtin_trap();
	memset(&back, 0, sizeof(back));
	if (cairn_repo_config_write(&cfg, &out) != 0 || cairn_repo_config_parse(out.data, out.len, &back) != 0 ||
	    back.version != cfg.version || strcmp(back.id, cfg.id) != 0 || back.chunker.min != cfg.chunker.min ||
	    back.chunker.avg != cfg.chunker.avg || back.chunker.max != cfg.chunker.max ||
	    back.pack_target != cfg.pack_target || back.zstd_level != cfg.zstd_level)
		__builtin_trap();
	cairn_buf_free(&out);
	return 0;
}
