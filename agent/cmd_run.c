/* cairn-agent run: the built-in scheduler. Runs each scheduled job of the configuration, one at a time. */
#include "agent.h"

#include "cli_args.h"
#include "run.h"

#include "cairn/buf.h"
#include "cairn/err.h"
#include "cairn/timeutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static const char usage[] =
	"usage: cairn-agent run [--once | --dry-run [--json]] [OPTIONS]\n"
	"\n"
	"Runs the jobs the configuration file schedules, each as 'cairn-agent COMMAND\n"
	"--config FILE': every [backup NAME] with a schedule (backup --set NAME), every\n"
	"[replica NAME] with a schedule (replicate --to NAME), [jobs] prune (prune),\n"
	"[jobs] check (check, --read-data=N with check-read-data), and every\n"
	"[drill NAME] (cairn-restore drill --job drill:NAME, the binary next to this\n"
	"one). One job at a time;\n"
	"a job never runs twice at once; a job due while another runs starts after it.\n"
	"Run times passed while the agent was not running are caught up with one run.\n"
	"The last run of each job is kept in STATE_DIR/scheduler.json.\n"
	"\n"
	"SIGHUP reloads the configuration (after the running job; a malformed file is\n"
	"reported and the old one kept). SIGTERM or SIGINT stops: the running job is\n"
	"sent SIGTERM (SIGKILL after 60 s) and runs again at the next start. Under\n"
	"systemd (Type=notify) it reports READY, STATUS and STOPPING and feeds the\n"
	"watchdog (WatchdogSec).\n"
	"\n"
	"  --once      run every job that is due now (or missed), then exit with the\n"
	"              first failing job's exit code, or 0\n"
	"  --dry-run   print each job, its schedule, last run and next run, then exit\n"
	"  --json      with --dry-run: the plan as JSON\n"
	"\n"
	"The repository options below (except --config and --json) are passed on to\n"
	"every job.\n"
	"\n" CLI_COMMON_OPTIONS_HELP;

enum { OPT_ONCE = CLI_OPT_COMMAND_BASE, OPT_DRY_RUN };

static void ctx_init(struct run_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->lock_fd = -1;
	c->sigfd = -1;
	c->notify.fd = -1;
}

static void ctx_free(struct run_ctx *c)
{
	for (size_t i = 0; i < c->nfwd; i++)
		free(c->fwd[i]);
	free(c->fwd);
	free(c->config_path);
	free(c->state_dir);
	free(c->state_file);
	cairn_scheduler_free(c->sched);
	cli_repo_opts_free(&c->o);
	run_unlock(c);
	run_events_close(c);
	sd_notifier_close(&c->notify);
}

/* Keep a common option given on the command line for the jobs: "--NAME[=VALUE]". */
static int forward_option(struct run_ctx *c, const struct option *opt, const char *arg)
{
	char *s = opt->has_arg != no_argument ? cairn_asprintf("--%s=%s", opt->name, arg)
					       : cairn_asprintf("--%s", opt->name);

	if (s == NULL) {
		cli_error(c->o.ctx, "out of memory");
		return -1;
	}
	c->fwd[c->nfwd++] = s;
	return 0;
}

/* Returns 0 to go on, or an exit code; *done when it printed the help. */
static int parse_args(struct run_ctx *c, int argc, char **argv, bool *done)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG_OPTIONS,
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ NULL, 0, NULL, 0 },
	};
	int opt, idx = -1, help = 0;

	c->fwd = calloc((size_t)argc + 1, sizeof(*c->fwd));
	if (c->fwd == NULL) {
		cli_error(c->o.ctx, "out of memory");
		return CAIRN_EXIT_ERROR;
	}
	while ((opt = getopt_long(argc, argv, "", longopts, &idx)) != -1) {
		int r = cli_common_option(&c->flags, opt, optarg, &help);

		if (r < 0)
			return CAIRN_EXIT_USAGE;
		if (r == 1 && opt != CLI_OPT_CONFIG && opt != CLI_OPT_JSON && opt != CLI_OPT_HELP && idx >= 0 &&
		    forward_option(c, &longopts[idx], optarg) < 0)
			return CAIRN_EXIT_ERROR;
		if (r == 0 && opt == OPT_ONCE) {
			c->once = 1;
		} else if (r == 0 && opt == OPT_DRY_RUN) {
			c->dry_run = 1;
		} else if (r == 0) {
			fputs(usage, stderr);
			return CAIRN_EXIT_USAGE;
		}
		idx = -1;
	}
	if (help || optind < argc) {
		fputs(usage, help ? stdout : stderr);
		*done = help;
		return help ? CAIRN_EXIT_OK : CAIRN_EXIT_USAGE;
	}
	c->json = c->flags.json;
	c->flags.json = 0;
	if (c->once && c->dry_run) {
		cli_error(c->o.ctx, "give --once or --dry-run, not both");
		return CAIRN_EXIT_USAGE;
	}
	if (c->json && !c->dry_run) {
		cli_error(c->o.ctx, "--json goes with --dry-run only: the jobs log on stderr");
		return CAIRN_EXIT_USAGE;
	}
	return 0;
}

/* The host name the jitter is seeded with: [cairn] host, else this machine's name. */
static void host_name(const struct cli_repo_opts *o, char *buf, size_t len)
{
	if (o->host != NULL) {
		snprintf(buf, len, "%s", o->host);
		return;
	}
	if (gethostname(buf, len) < 0)
		snprintf(buf, len, "localhost");
	buf[len - 1] = '\0';
}

/* Load the configuration file and build its jobs into *o and *ret (both the
 * caller's to free). 0, or an exit code after an error message. */
static int load_jobs(const struct run_ctx *c, struct cli_repo_opts *o, struct cairn_scheduler **ret)
{
	struct cairn_scheduler *s = NULL;
	char host[256];
	size_t n = 0;
	int code, rc;

	*o = c->flags;
	*ret = NULL;
	if ((code = cli_repo_opts_env(o)) != 0)
		return code;
	if (o->cfg == NULL) {
		cli_error(o->ctx, "'run' needs a configuration file, and there is none at %s (give --config FILE or "
			  "set CAIRN_CONFIG)", CAIRN_CONFIG_DEFAULT_PATH);
		return CAIRN_EXIT_USAGE;
	}
	host_name(o, host, sizeof(host));
	rc = cairn_scheduler_new(host, CAIRN_SCHEDULE_LOCAL, &s);
	if (rc == 0)
		rc = cairn_scheduler_add_config(s, o->cfg, &n);
	if (rc != 0) {
		cairn_scheduler_free(s);
		return cli_fail(o->ctx, rc, "cannot build the job table");
	}
	if (n == 0) {
		cli_error(o->ctx, "%s schedules no job: give a [backup NAME] or [replica NAME] section a 'schedule', "
			  "add a [drill NAME], or set 'prune' or 'check' in [jobs]", o->cfg->file);
		cairn_scheduler_free(s);
		return CAIRN_EXIT_USAGE;
	}
	*ret = s;
	return 0;
}

/* One line per job: its schedule and next run. */
static void log_jobs(const struct run_ctx *c, int64_t now)
{
	for (size_t i = 0; i < cairn_scheduler_count(c->sched); i++) {
		const struct cairn_job *j = cairn_scheduler_job(c->sched, i);
		char when[64];
		int64_t due;

		if (cairn_scheduler_due(c->sched, i, now, &due) != 0)
			snprintf(when, sizeof(when), "never (no such date)");
		else if (due <= now)
			snprintf(when, sizeof(when), "now%s", j->catch_up || j->state.interrupted ? " (catch-up)" : "");
		else
			run_format_local(due, when, sizeof(when));
		cli_log_line(c->o.ctx, LOG_INFO, !c->o.quiet, "job %s: schedule '%s', next run %s", j->name,
			     j->schedule_text, when);
	}
}

/* `path` made absolute against the working directory (malloc'd), so that the
 * jobs and every log line name the file unambiguously. */
static char *absolute_path(const char *path)
{
	char cwd[4096];

	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return cairn_strdup(path);
	return cairn_asprintf("%s/%s", cwd, path);
}

/* Everything before the first job: configuration, jobs, state dir, lock, state, signals. */
static int setup(struct run_ctx *c)
{
	int code;

	c->config_path = absolute_path(cairn_config_path(c->flags.config, NULL));
	if (c->config_path == NULL) {
		cli_error(c->o.ctx, "out of memory");
		return CAIRN_EXIT_ERROR;
	}
	c->flags.config = c->config_path; /* a reload reads the same file */
	if ((code = load_jobs(c, &c->o, &c->sched)) != 0)
		return code;
	c->state_dir = cli_state_dir(&c->o); /* where the jobs keep their catalogs and records too */
	c->state_file = c->state_dir ? cairn_asprintf("%s/%s", c->state_dir, RUN_STATE_FILE) : NULL;
	if (c->state_file == NULL) {
		cli_error(c->o.ctx, "out of memory");
		return CAIRN_EXIT_ERROR;
	}
	if (!c->dry_run && (code = run_lock(c)) != 0)
		return code;
	run_state_load(c);
	cairn_scheduler_start(c->sched, cairn_time_now_ns());
	if (c->dry_run)
		return 0;
	run_state_save(c);
	return run_events_open(c);
}

/* SIGHUP: the new configuration's jobs take over the state of the old ones; a bad file changes nothing. */
static void reload(struct run_ctx *c)
{
	struct cairn_scheduler *s = NULL;
	struct cli_repo_opts o;
	int64_t now;

	c->reload = 0;
	sd_notify(&c->notify, "RELOADING=1\nMONOTONIC_USEC=%lld\nSTATUS=reloading %s",
		  (long long)(cairn_time_mono_ns() / 1000), c->config_path);
	cli_log_line(c->o.ctx, LOG_INFO, !c->o.quiet, "reloading %s (SIGHUP)", c->config_path);
	if (load_jobs(c, &o, &s) != 0) {
		cli_repo_opts_free(&o);
		cli_error(c->o.ctx, "reload failed: keeping the configuration in force (%zu job%s)",
			  cairn_scheduler_count(c->sched), cairn_scheduler_count(c->sched) == 1 ? "" : "s");
		sd_notify(&c->notify, "READY=1");
		return;
	}
	now = cairn_time_now_ns();
	cairn_scheduler_adopt(s, c->sched);
	cairn_scheduler_start(s, now);
	cairn_scheduler_free(c->sched);
	cli_repo_opts_free(&c->o);
	c->sched = s;
	c->o = o;
	run_state_save(c);
	cli_log_line(c->o.ctx, LOG_INFO, !c->o.quiet, "reloaded %s: %zu job%s", c->config_path,
		     cairn_scheduler_count(s), cairn_scheduler_count(s) == 1 ? "" : "s");
	log_jobs(c, now);
	sd_notify(&c->notify, "READY=1");
}

/* The job --once runs next: the one due first among those due now that did not run yet. */
static bool next_once(const struct run_ctx *c, const bool *ran, int64_t now, size_t *ret)
{
	int64_t best = 0, due;
	bool found = false;

	for (size_t i = 0; i < cairn_scheduler_count(c->sched); i++) {
		if (ran[i] || cairn_scheduler_due(c->sched, i, now, &due) != 0 || due > now)
			continue;
		if (!found || due < best) {
			best = due;
			*ret = i;
			found = true;
		}
	}
	return found;
}

static int run_once(struct run_ctx *c)
{
	bool *ran = calloc(cairn_scheduler_count(c->sched), sizeof(*ran));
	int code = CAIRN_EXIT_OK, nran = 0;
	size_t i;

	if (ran == NULL) {
		cli_error(c->o.ctx, "out of memory");
		return CAIRN_EXIT_ERROR;
	}
	while (!c->stop && next_once(c, ran, cairn_time_now_ns(), &i)) {
		int rc;

		ran[i] = true;
		nran++;
		rc = run_job(c, i);
		if (rc != 0 && code == CAIRN_EXIT_OK)
			code = rc;
	}
	free(ran);
	if (nran == 0) {
		cli_log_line(c->o.ctx, LOG_INFO, !c->o.quiet, "no job is due");
		log_jobs(c, cairn_time_now_ns());
	}
	return code;
}

/* Log and report the idle state when what comes next changed. */
static void report_idle(struct run_ctx *c, int have_next, size_t i, int64_t due, char *last, size_t lastlen)
{
	char line[256], when[64];

	if (have_next) {
		run_format_local(due, when, sizeof(when));
		snprintf(line, sizeof(line), "idle, next: %s at %s", cairn_scheduler_job(c->sched, i)->name, when);
	} else {
		snprintf(line, sizeof(line), "idle, no job will run again (see 'cairn-agent run --dry-run')");
	}
	if (strcmp(line, last) == 0)
		return;
	snprintf(last, lastlen, "%s", line);
	cli_log_line(c->o.ctx, LOG_INFO, !c->o.quiet, "%s", line);
	sd_notify(&c->notify, "STATUS=%s", line);
}

static int run_daemon(struct run_ctx *c)
{
	char err[256], last[256] = "";

	if (sd_notifier_open(&c->notify, err, sizeof(err)) != 0)
		cli_warn(c->o.ctx, "systemd notification disabled: %s", err);
	cli_log_line(c->o.ctx, LOG_INFO, !c->o.quiet, "scheduler started: %zu job%s from %s, state in %s",
		     cairn_scheduler_count(c->sched), cairn_scheduler_count(c->sched) == 1 ? "" : "s", c->config_path,
		     c->state_file);
	log_jobs(c, cairn_time_now_ns());
	sd_notify(&c->notify, "READY=1");
	while (!c->stop) {
		int64_t now = cairn_time_now_ns(), due = 0;
		size_t i = 0;
		int have;

		if (c->reload) {
			reload(c);
			continue;
		}
		have = cairn_scheduler_next(c->sched, now, &i, &due) == 0;
		if (have && due <= now) {
			run_job(c, i);
			last[0] = '\0';
			continue;
		}
		report_idle(c, have, i, due, last, sizeof(last));
		run_wait(c, have && due - now < RUN_SLEEP_MAX_NS ? due - now : RUN_SLEEP_MAX_NS);
	}
	sd_notify(&c->notify, "STOPPING=1\nSTATUS=stopping");
	cli_log_line(c->o.ctx, LOG_INFO, !c->o.quiet, "scheduler stopping (signal received)");
	run_state_save(c);
	return CAIRN_EXIT_OK;
}

int cmd_run(struct cli_ctx *ctx, int argc, char **argv)
{
	struct run_ctx c;
	bool done = false;
	int code;

	ctx_init(&c);
	c.flags.ctx = ctx; /* copied into c.o by every load of the configuration */
	c.o.ctx = ctx;
	code = parse_args(&c, argc, argv, &done);
	if (code == 0 && !done)
		code = setup(&c);
	if (code == 0 && !done) {
		if (c.dry_run)
			code = run_print_plan(&c, cairn_time_now_ns());
		else if (c.once)
			code = run_once(&c);
		else
			code = run_daemon(&c);
	}
	ctx_free(&c);
	return code;
}
