/* cairn-bench-stage: the data path's stages alone and fused (bench/README.md,
 * "Stage benchmark"). */
#include "stage.h"

#include "cairn/err.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RUNS 64

static const char usage[] =
	"usage: cairn-bench-stage [options] PATH\n"
	"       cairn-bench-stage [options] --gen random|text SIZE\n"
	"Runs Cairn's data path over PATH (a file or a directory, read into memory) or generated data:\n"
	"each stage alone and the fused path on one thread, the fused path on --threads threads, and\n"
	"alternative primitives; prints MB/s and CPU seconds per GB (medians over --repeat runs).\n"
	"  --repeat N        runs (default 5, at most 64)\n"
	"  --threads N       fused run on N threads (default 2; 0: none)\n"
	"  --level N         zstd level (default 3, the repository default)\n"
	"  --window SIZE     bytes of input per window of the staged run (default 64M)\n"
	"  --max-bytes SIZE  refuse larger inputs (default 4G)\n"
	"  --sample SIZE     bytes of input for the primitives (default 256M)\n"
	"  --gen-file SIZE   file size of generated data (default 8M)\n"
	"  --seed N          seed of the key and of generated data (default 1)\n"
	"  --no-prims        skip the primitives\n"
	"  --write-dir DIR   also time writing each pack to a file in DIR (page cache, no fsync)\n"
	"  --check           first check the output against the library's (exit 1 on a mismatch)\n"
	"  --json            print JSON instead of a table\n"
	"  --json-out FILE   also write the JSON report to FILE\n"
	"SIZE: bytes, or with K, M, G (powers of 1024).\n";

struct opts {
	const char *path, *json_out, *write_dir;
	enum stage_gen_kind gen;
	size_t gen_len, gen_file, window, max_bytes, sample;
	int repeat, threads, level, prims, check, json;
	uint64_t seed;
};

static int parse_size(const char *s, size_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return -1;
	switch (*end) {
	case 'K': case 'k': v <<= 10; end++; break;
	case 'M': case 'm': v <<= 20; end++; break;
	case 'G': case 'g': v <<= 30; end++; break;
	default: break;
	}
	if (*end != '\0' || v == 0 || v > SIZE_MAX / 2)
		return -1;
	*ret = (size_t)v;
	return 0;
}

static int parse_int(const char *s, int lo, int hi, int *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*ret = (int)v;
	return 0;
}

/* 0, or 2 after printing what is wrong. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "repeat", required_argument, NULL, 'r' },   { "threads", required_argument, NULL, 't' },
		{ "level", required_argument, NULL, 'l' },    { "window", required_argument, NULL, 'w' },
		{ "max-bytes", required_argument, NULL, 'm' }, { "sample", required_argument, NULL, 's' },
		{ "gen", required_argument, NULL, 'g' },      { "gen-file", required_argument, NULL, 'f' },
		{ "seed", required_argument, NULL, 'S' },     { "no-prims", no_argument, NULL, 'P' },
		{ "check", no_argument, NULL, 'c' },          { "json", no_argument, NULL, 'j' },
		{ "json-out", required_argument, NULL, 'o' }, { "write-dir", required_argument, NULL, 'W' }, { "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
	};
	int c, seed, li = 0;

	*o = (struct opts){ .repeat = 5, .threads = 2, .level = CAIRN_ZSTD_LEVEL_DEFAULT, .window = 64u << 20,
			    .max_bytes = (size_t)4 << 30, .sample = 256u << 20, .gen_file = 8u << 20, .prims = 1,
			    .seed = 1 };
	while ((c = getopt_long(argc, argv, "h", longopts, &li)) != -1) {
		int bad = 0;

		switch (c) {
		case 'r': bad = parse_int(optarg, 1, MAX_RUNS, &o->repeat); break;
		case 't': bad = parse_int(optarg, 0, 64, &o->threads); break;
		case 'l': bad = parse_int(optarg, 1, 19, &o->level); break;
		case 'w': bad = parse_size(optarg, &o->window); break;
		case 'm': bad = parse_size(optarg, &o->max_bytes); break;
		case 's': bad = parse_size(optarg, &o->sample); break;
		case 'f': bad = parse_size(optarg, &o->gen_file); break;
		case 'S': bad = parse_int(optarg, 0, 1 << 30, &seed); o->seed = (uint64_t)seed; break;
		case 'P': o->prims = 0; break;
		case 'c': o->check = 1; break;
		case 'j': o->json = 1; break;
		case 'o': o->json_out = optarg; break;
		case 'W': o->write_dir = optarg; break;
		case 'g':
			if (strcmp(optarg, "random") == 0)
				o->gen = STAGE_GEN_RANDOM;
			else if (strcmp(optarg, "text") == 0)
				o->gen = STAGE_GEN_TEXT;
			else
				bad = -1;
			break;
		case 'h': fputs(usage, stdout); exit(0);
		default: fputs(usage, stderr); return 2;
		}
		if (bad) {
			fprintf(stderr, "cairn-bench-stage: invalid value '%s' for --%s\n", optarg,
				longopts[li].name);
			fputs(usage, stderr);
			return 2;
		}
	}
	if (o->gen != 0 && optind == argc - 1 && parse_size(argv[optind], &o->gen_len) == 0)
		return 0;
	if (o->gen == 0 && optind == argc - 1) {
		o->path = argv[optind];
		return 0;
	}
	fputs(usage, stderr);
	return 2;
}

/* The flags of /proc/cpuinfo that matter for the primitives, into buf. */
static void cpu_flags(char *buf, size_t len)
{
	static const char *const want[] = { "sha_ni", "aes", "vaes", "avx2", "avx512f", "vpclmulqdq" };
	char line[8192];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(buf, len, "?");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		buf[0] = '\0';
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			char pat[32];

			snprintf(pat, sizeof(pat), " %s", want[i]);
			for (char *p = strstr(line, pat); p != NULL; p = strstr(p + 1, pat))
				if (p[strlen(pat)] == ' ' || p[strlen(pat)] == '\n') {
					snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? " " : "", want[i]);
					break;
				}
		}
		break;
	}
	fclose(f);
}

/* One repetition of everything. */
static int run_once(const struct opts *o, const struct cairn_keys *keys, const struct cairn_chunker_params *chunker,
		    const struct stage_corpus *c, const uint8_t *random, size_t random_len, uint8_t *readbuf,
		    size_t readbuf_len, struct stage_run *run)
{
	struct stage_ctx ctx;
	int rc;

	memset(run, 0, sizeof(*run));
	rc = stage_read_files(c, readbuf, readbuf_len, &run->acc[STAGE_READ]);
	if (rc == 0)
		rc = stage_ctx_init(&ctx, keys, chunker, CAIRN_PACK_TARGET_DEFAULT, o->level);
	if (rc < 0)
		return rc;
	ctx.write_dir = o->write_dir;
	for (size_t f = 0; rc == 0 && f < c->nfiles;) {
		size_t n = stage_window_files(c, f, o->window);

		rc = stage_window(&ctx, c, f, n, run->acc);
		f += n;
	}
	if (rc == 0)
		rc = stage_finish_packs(&ctx, run->acc);
	stage_ctx_fini(&ctx);
	if (rc == 0 && o->threads > 0)
		rc = stage_fused_threads(keys, chunker, CAIRN_PACK_TARGET_DEFAULT, o->level, c, o->threads,
					 &run->threads);
	if (rc == 0 && o->prims)
		rc = stage_prims_run(keys, c->data, c->len < o->sample ? c->len : o->sample, random, random_len,
				     CAIRN_PACK_TARGET_DEFAULT, run->prims, &run->nprims);
	return rc;
}

static int write_json(const char *path, const struct stage_report *rep)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (f == NULL)
		return cairn_err(CAIRN_EIO, "cannot create '%s': %s", path, strerror(errno));
	rc = stage_report_json(f, rep);
	if (fclose(f) != 0 && rc == 0)
		rc = cairn_err(CAIRN_EIO, "cannot write '%s': %s", path, strerror(errno));
	return rc;
}

static int fail(int rc, const char *what)
{
	fprintf(stderr, "cairn-bench-stage: %s: %s (%s)\n", what, cairn_err_msg(), cairn_err_name(rc));
	return 1;
}

int main(int argc, char **argv)
{
	const struct cairn_chunker_params chunker = { CAIRN_CHUNK_MIN_DEFAULT, CAIRN_CHUNK_AVG_DEFAULT,
						      CAIRN_CHUNK_MAX_DEFAULT };
	struct stage_corpus c = { 0 };
	struct stage_report rep = { 0 };
	struct cairn_keys *keys = NULL;
	struct stage_run *runs = NULL;
	uint8_t master[CAIRN_KEY_BYTES], *random = NULL, *readbuf = NULL;
	size_t random_len = 0, readbuf_len = 2 * (size_t)CAIRN_CHUNK_MAX_DEFAULT;
	char flags[128], input[64];
	struct opts o;
	int rc, status = 1;

	if ((rc = parse_args(argc, argv, &o)) != 0)
		return rc;
	if ((rc = cairn_crypto_init()) < 0)
		return fail(rc, "cannot initialise libsodium");
	stage_gen_fill(STAGE_GEN_RANDOM, o.seed, master, sizeof(master));
	if ((rc = cairn_keys_derive(master, &keys)) < 0)
		return fail(rc, "cannot derive the keys");
	if (o.path != NULL)
		rc = stage_corpus_load(o.path, o.max_bytes, &c);
	else
		rc = stage_corpus_gen(o.gen, o.gen_len, o.gen_file, o.seed, &c);
	if (rc < 0) {
		fail(rc, "cannot prepare the input");
		goto out;
	}
	snprintf(input, sizeof(input), "gen:%s:%zu", o.gen == STAGE_GEN_TEXT ? "text" : "random", o.gen_len);
	cpu_flags(flags, sizeof(flags));
	rep = (struct stage_report){ .input = o.path ? o.path : input, .bytes = c.len, .files = c.nfiles,
				     .has_read = o.path != NULL, .threads = o.threads, .level = o.level,
				     .pack_target = CAIRN_PACK_TARGET_DEFAULT, .chunker = chunker, .cpu_flags = flags,
				     .check_blobs = -1 };
	if (o.check) {
		size_t blobs = 0;

		rc = stage_check(keys, &chunker, CAIRN_PACK_TARGET_DEFAULT, o.level, &c, &blobs);
		if (rc < 0) {
			fail(rc, "check failed");
			goto out;
		}
		rep.check_blobs = (long)blobs;
	}
	random_len = o.prims ? (c.len < o.sample ? c.len : o.sample) : 0;
	random = malloc(random_len ? random_len : 1);
	readbuf = malloc(readbuf_len);
	runs = cairn_calloc((size_t)o.repeat, sizeof(*runs));
	if (random == NULL || readbuf == NULL || runs == NULL) {
		fail(cairn_err(CAIRN_ENOMEM, "cannot allocate the buffers of %d runs", o.repeat), "out of memory");
		goto out;
	}
	stage_gen_fill(STAGE_GEN_RANDOM, o.seed + 0x5eed, random, random_len);
	for (int i = 0; i < o.repeat; i++) {
		rc = run_once(&o, keys, &chunker, &c, random, random_len, readbuf, readbuf_len, &runs[i]);
		if (rc < 0) {
			fail(rc, "run failed");
			goto out;
		}
		if (!o.json)
			fprintf(stderr, "run %d/%d: fused %.2f CPU s\n", i + 1, o.repeat,
				stage_acc_cpu(&runs[i].acc[STAGE_FUSED]));
	}
	rep.runs = runs;
	rep.nruns = (size_t)o.repeat;
	rep.chunks = runs[0].acc[STAGE_CHUNK].items;
	rep.packs = runs[0].acc[STAGE_FUSED].items;
	rc = o.json ? stage_report_json(stdout, &rep) : stage_report_text(stdout, &rep);
	if (rc == 0 && o.json_out != NULL)
		rc = write_json(o.json_out, &rep);
	if (rc < 0)
		fail(rc, "cannot print");
	else
		status = 0;
out:
	free(runs);
	free(readbuf);
	free(random);
	stage_corpus_free(&c);
	cairn_keys_free(keys);
	return status;
}
