/* cairn-restore drill: the command line. */
#include "drill.h"

#include "cli_args.h"
#include "job_report.h"

#include "cairn/err.h"
#include "cairn/timeutil.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: cairn-restore drill --from NAME|URL [--at TIME | --random-point [--within DURATION]]\n"
	"       [--seed N] [--rpo DURATION] [--rto DURATION] [--scratch DIR] [--sample PERCENT]\n"
	"       [--keep] [--report FILE] [--allow-primary] [--json]\n"
	"\n"
	"A disaster-recovery drill: from nothing but the site and the key (a fresh,\n"
	"temporary catalog; the local one is never used), restore a recovery point\n"
	"into a scratch directory, verify every file's content and metadata against\n"
	"the snapshot, measure the recovery, and judge it against the objectives.\n"
	"The drill is recorded in STATE-DIR/drills/SITE.jsonl and as the job\n"
	"drill:SITE.\n"
	"\n"
	"  --from NAME|URL      the site to recover from: a replica named in the\n"
	"                       configuration file, or a URL (required)\n"
	"  --allow-primary      drill the configured primary too (refused otherwise:\n"
	"                       a disaster-recovery drill reads a replica)\n"
	"  --job NAME           record the run as job NAME (default drill:SITE); the\n"
	"                       scheduler passes drill:SECTION for a [drill SECTION]\n"
	"  --at TIME            the newest point at or before TIME (default: latest);\n"
	"                       RFC 3339, local time, or relative (2h ago, -30m)\n"
	"  --random-point       a random point among those of the last --within\n"
	"                       (default 7d); the RPO is then judged on the site's\n"
	"                       newest point\n"
	"  --seed N             seed of the random point and of the sample (default:\n"
	"                       random; printed, so a drill can be repeated)\n"
	"  --rpo DURATION       objective for the data-loss window (TIME minus the\n"
	"                       point's time; without --at, the point's age)\n"
	"  --rto DURATION       objective for the recovery time: from the start of the\n"
	"                       drill (catalog rebuilt from the site included) to the\n"
	"                       end of the restore; 90s, 15m, 1h, or 500ms\n"
	"  --scratch DIR        restore into DIR (created, or empty; default a new\n"
	"                       directory under $TMPDIR or /var/tmp); removed after\n"
	"  --sample PERCENT     compare the content of this share of the files, picked\n"
	"                       by the seed (default 100); metadata is always checked\n"
	"  --keep               keep the restored data (its path is printed)\n"
	"  --report FILE        write a report to read: Markdown, or HTML when FILE ends\n"
	"                       in .html, with the recovery-time history of the site\n"
	"  --json               print the drill's record as JSON on stdout\n"
	"\n"
	"Exit codes of a drill, the first that applies: 8 damaged data, or a restored\n"
	"entry that differs from the snapshot; 1 the verification could not run; 3\n"
	"entries that could not be restored; 7 RPO not met; 11 RTO not met; else 0.\n"
	"9: no recovery point (in the window); 2, 4, 5 as below.\n"
	"\n" CLI_COMMON_OPTIONS_HELP "\n" CAIRN_EXIT_CODES_HELP;

enum {
	OPT_AT = CLI_OPT_COMMAND_BASE,
	OPT_RANDOM_POINT,
	OPT_WITHIN,
	OPT_SEED,
	OPT_RPO,
	OPT_RTO,
	OPT_SCRATCH,
	OPT_SAMPLE,
	OPT_KEEP,
	OPT_ALLOW_PRIMARY,
	OPT_REPORT,
	OPT_JOB
};

static int parse_seed(const char *text, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	if (text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*ret = (uint64_t)v;
	return 0;
}

/* "5", "0.5", "5%": more than 0 and at most 100. */
static int parse_percent(const char *text, double *ret)
{
	char *end;
	double v;

	if ((text[0] < '0' || text[0] > '9') && text[0] != '.')
		return -1;
	errno = 0;
	v = strtod(text, &end);
	if (*end == '%')
		end++;
	if (errno != 0 || *end != '\0' || !isfinite(v) || !(v > 0.0) || v > 100.0)
		return -1;
	*ret = v;
	return 0;
}

static int parse_duration_opt(const struct cli_ctx *ctx, const char *opt, const char *text, int64_t *ret)
{
	if (drill_duration_parse(text, ret) == 0)
		return 0;
	cli_error(ctx, "%s: invalid duration '%s' (e.g. 500ms, 90s, 15m, 1h30m, 7d)", opt, text);
	return -1;
}

/* One drill option; 0, or -1 for a bad value (reported). */
static int drill_option(struct drill *d, int opt, const char *arg)
{
	struct drill_args *a = &d->a;

	switch (opt) {
	case OPT_AT:
		a->at = arg;
		return 0;
	case OPT_RANDOM_POINT:
		a->random_point = 1;
		return 0;
	case OPT_WITHIN:
		a->within_given = 1;
		return parse_duration_opt(d->o.ctx, "--within", arg, &a->within_ns);
	case OPT_SEED:
		a->seed_given = 1;
		if (parse_seed(arg, &a->seed) == 0)
			return 0;
		cli_error(d->o.ctx, "--seed: '%s' is not a number from 0 to 18446744073709551615", arg);
		return -1;
	case OPT_RPO:
		return parse_duration_opt(d->o.ctx, "--rpo", arg, &a->rpo_ns);
	case OPT_RTO:
		return parse_duration_opt(d->o.ctx, "--rto", arg, &a->rto_ns);
	case OPT_SCRATCH:
		a->scratch = arg;
		return 0;
	case OPT_SAMPLE:
		if (parse_percent(arg, &a->sample) == 0)
			return 0;
		cli_error(d->o.ctx, "--sample: '%s' is not a percentage above 0 and at most 100", arg);
		return -1;
	case OPT_KEEP:
		a->keep = 1;
		return 0;
	case OPT_ALLOW_PRIMARY:
		a->allow_primary = 1;
		return 0;
	case OPT_JOB:
		if (strncmp(arg, "drill:", 6) == 0 && job_report_check_name(arg) == 0) {
			a->job = arg;
			return 0;
		}
		cli_error(d->o.ctx, "--job: '%s' is not a job name of the form drill:NAME", arg);
		return -1;
	case OPT_REPORT:
		a->report = arg;
		return 0;
	default:
		fputs(usage, stderr);
		return -1;
	}
}

/* The options that only make sense together. */
static int check_combination(struct drill *d)
{
	if (d->o.repo == NULL) {
		cli_error(d->o.ctx, "no site given: drill a replica with --from NAME|URL (never the local catalog, and "
			  "not the primary unless --allow-primary)");
		return -1;
	}
	if (d->a.random_point && d->a.at != NULL) {
		cli_error(d->o.ctx, "give either --at TIME or --random-point, not both");
		return -1;
	}
	if (d->a.within_given && !d->a.random_point) {
		cli_error(d->o.ctx, "--within goes with --random-point");
		return -1;
	}
	if (d->a.within_given && d->a.within_ns <= 0) {
		cli_error(d->o.ctx, "--within must be longer than 0s");
		return -1;
	}
	if (d->a.at != NULL && cairn_time_parse(d->a.at, d->start_ns, &d->requested_ns) < 0) {
		cli_error(d->o.ctx, "--at: %s", cairn_err_msg());
		return -1;
	}
	if (!d->a.seed_given)
		cairn_random_bytes(&d->a.seed, sizeof(d->a.seed));
	return 0;
}

int drill_parse_args(struct drill *d, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG_OPTIONS,
		CLI_FROM_LONG_OPTION,
		{ "at", required_argument, NULL, OPT_AT },
		{ "random-point", no_argument, NULL, OPT_RANDOM_POINT },
		{ "within", required_argument, NULL, OPT_WITHIN },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "rpo", required_argument, NULL, OPT_RPO },
		{ "rto", required_argument, NULL, OPT_RTO },
		{ "scratch", required_argument, NULL, OPT_SCRATCH },
		{ "sample", required_argument, NULL, OPT_SAMPLE },
		{ "keep", no_argument, NULL, OPT_KEEP },
		{ "allow-primary", no_argument, NULL, OPT_ALLOW_PRIMARY },
		{ "job", required_argument, NULL, OPT_JOB },
		{ "report", required_argument, NULL, OPT_REPORT },
		{ NULL, 0, NULL, 0 },
	};
	int opt, help = 0;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int r = cli_common_option(&d->o, opt, optarg, &help);

		if (r == 1)
			continue;
		if (r < 0 || drill_option(d, opt, optarg) < 0)
			return CAIRN_EXIT_USAGE;
	}
	if (help) {
		fputs(usage, stdout);
		return CAIRN_EXIT_OK;
	}
	if (optind != argc) {
		cli_error(d->o.ctx, "unexpected argument '%s'", argv[optind]);
		return CAIRN_EXIT_USAGE;
	}
	return check_combination(d) < 0 ? CAIRN_EXIT_USAGE : -1;
}
