/* The repository config object: plaintext JSON, written once by init. */
#include "repo_internal.h"

#include "cairn/err.h"
#include "cairn/pack.h"

#include <jansson.h>
#include <string.h>

int cairn_repo_config_write(const struct cairn_repo_config *cfg, struct cairn_buf *out)
{
	json_t *root;
	char *text;
	int rc;

	root = json_pack("{s:i, s:s, s:{s:i, s:i, s:i}, s:i, s:s, s:i}", "version", (json_int_t)cfg->version, "id",
			 cfg->id, "chunker", "min", (json_int_t)cfg->chunker.min, "avg", (json_int_t)cfg->chunker.avg,
			 "max", (json_int_t)cfg->chunker.max, "pack_target", (json_int_t)cfg->pack_target,
			 "compression", "zstd", "zstd_level", (json_int_t)cfg->zstd_level);
	if (root == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot build config object");
	text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(root);
	if (text == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot serialise config object");
	rc = cairn_buf_append(out, text, strlen(text));
	if (rc == 0)
		rc = cairn_buf_append(out, "\n", 1);
	free(text);
	return rc;
}

int cairn_repo_config_parse(const void *data, size_t len, struct cairn_repo_config *ret)
{
	json_error_t jerr;
	json_t *root;
	json_int_t version = 0, cmin = 0, cavg = 0, cmax = 0, pack_target = 0, level = CAIRN_ZSTD_LEVEL_DEFAULT;
	const char *id = NULL, *compression = "zstd";
	struct cairn_repo_config cfg = { 0 };
	int rc = 0;

	root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return cairn_err(CAIRN_ECORRUPT, "config is not valid JSON: %s (line %d)", jerr.text, jerr.line);
	if (json_unpack_ex(root, &jerr, 0, "{s:I, s:s, s:{s:I, s:I, s:I}, s:I, s?s, s?I}", "version", &version, "id",
			   &id, "chunker", "min", &cmin, "avg", &cavg, "max", &cmax, "pack_target", &pack_target,
			   "compression", &compression, "zstd_level", &level) != 0) {
		rc = cairn_err(CAIRN_ECORRUPT, "config is malformed: %s", jerr.text);
		goto out;
	}
	if (version < CAIRN_FORMAT_VERSION_MIN || version > CAIRN_FORMAT_VERSION) {
		rc = cairn_err(CAIRN_EFORMAT, "repository format version %lld is not supported (this build reads %d to %d)",
			       (long long)version, CAIRN_FORMAT_VERSION_MIN, CAIRN_FORMAT_VERSION);
		goto out;
	}
	if (strlen(id) != 2 * CAIRN_ID_BYTES || strspn(id, "0123456789abcdef") != 2 * CAIRN_ID_BYTES) {
		rc = cairn_err(CAIRN_ECORRUPT, "config has an invalid repository id");
		goto out;
	}
	if (strcmp(compression, "zstd") != 0) {
		rc = cairn_err(CAIRN_EFORMAT, "config names unknown compression '%s'", compression);
		goto out;
	}
	cfg.version = (uint32_t)version;
	memcpy(cfg.id, id, sizeof(cfg.id));
	if (cmin <= 0 || cavg <= 0 || cmax <= 0 || cmin > CAIRN_BLOB_MAX_RAW || cavg > CAIRN_BLOB_MAX_RAW ||
	    cmax > CAIRN_BLOB_MAX_RAW) {
		rc = cairn_err(CAIRN_ECORRUPT, "config has invalid chunker parameters");
		goto out;
	}
	cfg.chunker.min = (uint32_t)cmin;
	cfg.chunker.avg = (uint32_t)cavg;
	cfg.chunker.max = (uint32_t)cmax;
	if (cairn_chunker_params_check(&cfg.chunker) < 0) {
		rc = cairn_err(CAIRN_ECORRUPT, "config has invalid chunker parameters");
		goto out;
	}
	if (pack_target < 1024 * 1024 || pack_target > 1024LL * 1024 * 1024 || level < 1 || level > 19) {
		rc = cairn_err(CAIRN_ECORRUPT, "config has an invalid pack target or zstd level");
		goto out;
	}
	cfg.pack_target = (uint32_t)pack_target;
	cfg.zstd_level = (int)level;
	*ret = cfg;
out:
	json_decref(root);
	return rc;
}
