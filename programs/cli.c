/* Shared command-line plumbing for cairn-agent and cairn-restore. */
#include "cli.h"

#include "job_report.h"

#include "cairn/err.h"
#include "cairn/timeutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

void cli_ctx_init(struct cli_ctx *ctx, const char *program, struct job_report *report)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->program = program;
	ctx->report = report;
}

void cli_ctx_close(struct cli_ctx *ctx)
{
	if (ctx->syslog)
		closelog();
	ctx->syslog = 0;
}

/* printf into a new string; NULL when out of memory. */
static char *vformat(const char *fmt, va_list ap)
{
	va_list copy;
	char *out;
	int n;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return NULL;
	out = malloc((size_t)n + 1);
	if (out != NULL)
		vsnprintf(out, (size_t)n + 1, fmt, ap);
	return out;
}

/* Whether stderr is the systemd journal: JOURNAL_STREAM holds "DEV:INODE"
 * of the stream systemd connected (see systemd.exec(5)). */
static int stderr_is_journal(void)
{
	const char *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (v == NULL || sscanf(v, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void cli_syslog_enable(struct cli_ctx *ctx, int from_flag)
{
	if (ctx == NULL || ctx->syslog)
		return;
	if (!from_flag && stderr_is_journal())
		return; /* stderr already reaches the journal: one line per event */
	ctx->syslog = 1;
	openlog(ctx->program, LOG_PID, LOG_DAEMON);
}

/* "<program>: <kind><message>" on stderr, and to syslog when logging there;
 * an error's message is also the message of the run's job report. */
static void vmessage(const struct cli_ctx *ctx, const char *kind, int priority, const char *fmt, va_list ap)
{
	const char *program = ctx != NULL && ctx->program != NULL ? ctx->program : "cairn";
	char *msg = vformat(fmt, ap);

	if (msg == NULL) {
		fprintf(stderr, "%s: %s(out of memory formatting a message: %s)\n", program, kind, fmt);
		return;
	}
	fprintf(stderr, "%s: %s%s\n", program, kind, msg);
	if (ctx != NULL && priority == LOG_ERR)
		job_report_message(ctx->report, msg);
	if (ctx != NULL && ctx->syslog)
		syslog(priority, "%s%s", kind, msg);
	free(msg);
}

void cli_error(const struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(ctx, "error: ", LOG_ERR, fmt, ap);
	va_end(ap);
}

void cli_warn(const struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(ctx, "warning: ", LOG_WARNING, fmt, ap);
	va_end(ap);
}

void cli_log_line(const struct cli_ctx *ctx, int priority, int print, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = vformat(fmt, ap);
	va_end(ap);
	if (msg == NULL)
		return;
	if (print)
		fprintf(stderr, "%s\n", msg);
	if (ctx != NULL && ctx->syslog)
		syslog(priority, "%s", msg);
	free(msg);
}

void cli_info(const struct cli_repo_opts *o, const char *fmt, ...)
{
	va_list ap;

	if (o->quiet || o->json)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_exit_for(int rc)
{
	switch (rc) {
	case 0:
		return CAIRN_EXIT_OK;
	case CAIRN_EINVAL:
		return CAIRN_EXIT_USAGE;
	case CAIRN_EAUTH:
		return CAIRN_EXIT_AUTH;
	case CAIRN_EFORMAT:
		return CAIRN_EXIT_REPO;
	case CAIRN_ECORRUPT:
		return CAIRN_EXIT_DAMAGED;
	case CAIRN_ELOCKED:
		return CAIRN_EXIT_LOCKED;
	default:
		return CAIRN_EXIT_ERROR;
	}
}

int cli_fail(const struct cli_ctx *ctx, int rc, const char *what)
{
	const char *detail = cairn_err_msg();

	if (what != NULL && detail[0] != '\0')
		cli_error(ctx, "%s: %s", what, detail);
	else if (what != NULL)
		cli_error(ctx, "%s: %s", what, cairn_err_desc(rc));
	else
		cli_error(ctx, "%s", detail[0] ? detail : cairn_err_desc(rc));
	return cli_exit_for(rc);
}

int cli_load_secret(const struct cli_repo_opts *o, int create_key_file, struct cairn_secret **ret)
{
	const char *pass = getenv("CAIRN_PASSPHRASE");
	struct stat st;
	int rc;

	if (o->key_file != NULL && o->passphrase_file != NULL) {
		cli_error(o->ctx, "give either a key file or a passphrase file, not both");
		return CAIRN_EXIT_USAGE;
	}
	if (o->key_file != NULL) {
		if (create_key_file && stat(o->key_file, &st) < 0 && errno == ENOENT) {
			rc = cairn_secret_create_key_file(o->key_file, ret);
			if (rc < 0)
				return cli_fail(o->ctx, rc, "cannot create key file");
			cli_info(o, "created key file '%s': keep a copy in a safe place, the repository cannot be "
				 "read without it", o->key_file);
			return 0;
		}
		rc = cairn_secret_read_key_file(o->key_file, ret);
		if (rc < 0) {
			cli_fail(o->ctx, rc, "cannot use key file");
			return CAIRN_EXIT_USAGE;
		}
		return 0;
	}
	if (o->passphrase_file != NULL) {
		rc = cairn_secret_read_passphrase_file(o->passphrase_file, ret);
		if (rc < 0) {
			cli_fail(o->ctx, rc, "cannot use passphrase file");
			return CAIRN_EXIT_USAGE;
		}
		return 0;
	}
	if (pass != NULL && pass[0] != '\0') {
		rc = cairn_secret_new(CAIRN_SECRET_PASSPHRASE, pass, strlen(pass), ret);
		return rc < 0 ? cli_fail(o->ctx, rc, "cannot use CAIRN_PASSPHRASE") : 0;
	}
	cli_error(o->ctx, "no key given: set --key-file or CAIRN_KEY_FILE, --passphrase-file or CAIRN_PASSPHRASE_FILE, "
		  "or CAIRN_PASSPHRASE");
	return CAIRN_EXIT_USAGE;
}

char *cli_state_dir(const struct cli_repo_opts *o)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	if (o->state_dir != NULL)
		return cairn_strdup(o->state_dir);
	if (xdg != NULL && xdg[0] == '/')
		return cairn_asprintf("%s/cairn", xdg);
	if (home != NULL && home[0] == '/')
		return cairn_asprintf("%s/.cache/cairn", home);
	return cairn_strdup("/var/cache/cairn");
}

static void open_warning(void *ctx, const char *msg)
{
	cli_warn(ctx, "%s", msg);
}

static void sync_warning(void *ctx, const struct cairn_event *ev)
{
	cli_warn(ctx, "%s", ev->message);
}

int cli_open_repo(const struct cli_repo_opts *o, struct cairn_repo **ret)
{
	/* skipped key objects (malformed, too large, too costly) are warnings */
	const struct cairn_repo_open_opts open_opts = { .on_warning = open_warning, .ctx = o->ctx };
	struct cairn_secret *secret = NULL;
	char *state = NULL;
	int rc, code;

	if (o->cfg != NULL && o->cfg->log == CAIRN_CONFIG_LOG_SYSLOG)
		cli_syslog_enable(o->ctx, 0);
	if (o->repo == NULL) {
		cli_error(o->ctx, "no repository given: use --repo URL, set CAIRN_REPO, or name one in the "
			  "configuration file ([repository] url)");
		return CAIRN_EXIT_USAGE;
	}
	code = cli_load_secret(o, 0, &secret);
	if (code != 0)
		return code;
	state = cli_state_dir(o);
	if (state == NULL) {
		cairn_secret_free(secret);
		cli_error(o->ctx, "out of memory");
		return CAIRN_EXIT_ERROR;
	}
	if (o->repo_site != NULL) {
		/* a configured site: its own endpoint, region, credentials and limits */
		struct cairn_store *store = NULL;

		rc = cairn_site_store_open(o->repo_site, o->repo, &o->s3, 0, &store);
		if (rc == CAIRN_ENOTFOUND)
			rc = cairn_err_ctx(rc, "no repository at '%s' (run 'cairn-agent init' first)", o->repo);
		if (rc == 0)
			rc = cairn_repo_open_store_with(store, o->repo, secret, state, &open_opts, ret);
	} else {
		rc = cairn_repo_open_with(o->repo, secret, state, &open_opts, ret);
	}
	cairn_secret_free(secret);
	free(state);
	if (rc < 0) {
		code = cli_fail(o->ctx, rc, NULL);
		if (rc == CAIRN_ENOTFOUND || rc == CAIRN_ECORRUPT || rc == CAIRN_EFORMAT)
			code = CAIRN_EXIT_REPO;
		return code;
	}
	if (o->no_sync)
		return 0;
	rc = cairn_repo_sync(*ret, sync_warning, o->ctx);
	if (rc == CAIRN_ECORRUPT) {
		cli_warn(o->ctx, "%s", cairn_err_msg());
		return 0; /* usable; what is damaged was reported */
	}
	if (rc < 0) {
		code = cli_fail(o->ctx, rc, "cannot read the repository's index");
		cairn_repo_close(*ret);
		*ret = NULL;
		return code;
	}
	return 0;
}

void cli_format_bytes(uint64_t bytes, char *out, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024.0 && u < 5) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(out, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(out, len, "%.1f %s", v, units[u]);
}

void cli_progress_init(struct cli_progress *p, const struct cli_repo_opts *o)
{
	memset(p, 0, sizeof(*p));
	p->enabled = !o->quiet && !o->json;
	p->tty = isatty(STDERR_FILENO);
	p->start_ns = cairn_time_now_ns();
	p->last_line_ns = p->start_ns;
}

void cli_progress_line(struct cli_progress *p, const char *fmt, ...)
{
	char line[512];
	int64_t now = cairn_time_now_ns();
	va_list ap;

	if (!p->enabled)
		return;
	if (!p->tty && now - p->last_line_ns < 10 * CAIRN_NS_PER_SEC)
		return;
	p->last_line_ns = now;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (p->tty) {
		/* keep within a usual terminal width */
		fprintf(stderr, "\r\033[K%.150s", line);
		p->dirty = 1;
	} else {
		fprintf(stderr, "%s\n", line);
	}
	fflush(stderr);
}

void cli_progress_done(struct cli_progress *p)
{
	if (p->dirty) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		p->dirty = 0;
	}
}
