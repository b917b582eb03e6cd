/* The benchmark's input: files read into memory, or generated data. */
#include "stage.h"

#include "cairn/err.h"

#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp_names(const FTSENT **a, const FTSENT **b)
{
	return strcmp((*a)->fts_name, (*b)->fts_name);
}

/* Append a file entry (path copied, may be NULL). */
static int add_file(struct stage_corpus *c, size_t *cap, const char *path, size_t off, size_t len)
{
	if (c->nfiles == *cap) {
		size_t n = *cap ? *cap * 2 : 1024;
		struct stage_file *f = cairn_reallocarray(c->files, n, sizeof(*f));

		if (f == NULL)
			return cairn_err(CAIRN_ENOMEM, "cannot list %zu files", n);
		c->files = f;
		*cap = n;
	}
	c->files[c->nfiles].path = NULL;
	if (path != NULL && (c->files[c->nfiles].path = cairn_strdup(path)) == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot copy the path '%s'", path);
	c->files[c->nfiles].off = off;
	c->files[c->nfiles].len = len;
	c->nfiles++;
	return 0;
}

/* Read exactly len bytes of `path` into out (a file that shrank is an error:
 * the input must not change under the benchmark). */
static int read_whole(const char *path, uint8_t *out, size_t len)
{
	size_t have = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return cairn_err(CAIRN_EIO, "cannot open '%s': %s", path, strerror(errno));
	while (have < len) {
		ssize_t n = read(fd, out + have, len - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = errno;

			close(fd);
			return cairn_err(CAIRN_EIO, "cannot read '%s': %s", path, n < 0 ? strerror(e) : "file shrank");
		}
		have += (size_t)n;
	}
	close(fd);
	return 0;
}

int stage_corpus_load(const char *path, size_t max_bytes, struct stage_corpus *ret)
{
	struct stage_corpus c = { 0 };
	char *const roots[] = { (char *)path, NULL };
	size_t cap = 0, total = 0;
	FTSENT *e;
	FTS *fts;
	int rc = 0;

	fts = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR, cmp_names);
	if (fts == NULL)
		return cairn_err(CAIRN_EIO, "cannot walk '%s': %s", path, strerror(errno));
	while (rc == 0 && (e = fts_read(fts)) != NULL) {
		if (e->fts_info == FTS_ERR || e->fts_info == FTS_DNR || e->fts_info == FTS_NS)
			rc = cairn_err(CAIRN_EIO, "cannot walk '%s': %s", e->fts_path, strerror(e->fts_errno));
		else if (e->fts_info == FTS_F && e->fts_statp->st_size > 0) {
			size_t len = (size_t)e->fts_statp->st_size;

			if (len > max_bytes - total)
				rc = cairn_err(CAIRN_EINVAL, "'%s' holds more than %zu bytes (--max-bytes)", path,
					       max_bytes);
			else
				rc = add_file(&c, &cap, e->fts_path, total, len);
			total += len;
		}
	}
	fts_close(fts);
	if (rc == 0 && c.nfiles == 0)
		rc = cairn_err(CAIRN_EINVAL, "'%s' holds no non-empty regular file", path);
	if (rc == 0 && (c.data = malloc(total)) == NULL)
		rc = cairn_err(CAIRN_ENOMEM, "cannot allocate %zu bytes for '%s'", total, path);
	c.len = total;
	for (size_t i = 0; rc == 0 && i < c.nfiles; i++)
		rc = read_whole(c.files[i].path, c.data + c.files[i].off, c.files[i].len);
	if (rc < 0) {
		stage_corpus_free(&c);
		return rc;
	}
	*ret = c;
	return 0;
}

/* splitmix64: a seeded, deterministic generator. */
static uint64_t next_u64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static const char *const words[] = {
	"the", "backup", "of", "a", "file", "is", "stored", "in", "packs", "and", "index", "objects", "each",
	"blob", "sealed", "with", "key", "static", "int", "return", "struct", "if", "for", "while", "const",
	"char", "size_t", "uint8_t", "error", "repository", "snapshot", "tree", "restore", "chunk", "data",
	"=", "{", "}", "(", ")", ";", "0", "1", "->", "NULL", "buffer", "length", "offset", "count", "name",
	"path", "directory", "time", "value", "table", "list", "read", "write", "open", "close", "new", "free",
	"lock", "catalog",
};

void stage_gen_fill(enum stage_gen_kind kind, uint64_t seed, uint8_t *out, size_t len)
{
	uint64_t s = seed, v = 0;
	size_t i = 0;

	if (kind == STAGE_GEN_RANDOM) {
		for (; i + 8 <= len; i += 8) {
			v = next_u64(&s);
			memcpy(out + i, &v, 8);
		}
		v = next_u64(&s);
		memcpy(out + i, &v, len - i);
		return;
	}
	while (i < len) {
		uint64_t r = next_u64(&s);
		/* skew the choice towards the first words, like real text */
		size_t w = (size_t)((r & 0xffff) * (r >> 48 & 0xffff) >> 32) % (sizeof(words) / sizeof(words[0]));
		size_t n = strlen(words[w]);

		if (n > len - i)
			n = len - i;
		memcpy(out + i, words[w], n);
		i += n;
		/* an identifier or a number of random characters now and then */
		if ((r >> 32) % 3 == 0) {
			uint64_t q = next_u64(&s);

			for (int d = 0; d < 2 + (int)(q % 6) && i < len; d++, q >>= 5)
				out[i++] = (uint8_t)((r >> 40) % 4 == 0 ? '0' + (q >> 3) % 10 : 'a' + (q >> 3) % 26);
		}
		if (i < len)
			out[i++] = (r >> 20) % 12 == 0 ? '\n' : ' ';
	}
}

int stage_corpus_gen(enum stage_gen_kind kind, size_t len, size_t file_len, uint64_t seed, struct stage_corpus *ret)
{
	struct stage_corpus c = { 0 };
	size_t cap = 0;
	int rc = 0;

	if (len == 0 || file_len == 0)
		return cairn_err(CAIRN_EINVAL, "cannot generate %zu bytes in files of %zu bytes", len, file_len);
	c.data = malloc(len);
	if (c.data == NULL)
		return cairn_err(CAIRN_ENOMEM, "cannot allocate %zu bytes of generated data", len);
	c.len = len;
	for (size_t off = 0; rc == 0 && off < len; off += file_len) {
		size_t n = len - off < file_len ? len - off : file_len;

		/* each file from its own seed: the same file whatever the total */
		stage_gen_fill(kind, seed + off / file_len, c.data + off, n);
		rc = add_file(&c, &cap, NULL, off, n);
	}
	if (rc < 0) {
		stage_corpus_free(&c);
		return rc;
	}
	*ret = c;
	return 0;
}

void stage_corpus_free(struct stage_corpus *c)
{
	for (size_t i = 0; i < c->nfiles; i++)
		free(c->files[i].path);
	free(c->files);
	free(c->data);
	memset(c, 0, sizeof(*c));
}
