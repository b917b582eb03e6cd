/* The entry point both programs share: usage, --help, --version, the
 * libsodium start-up, dispatch to a command, and the run's job report. */
#ifndef CAIRN_CLI_MAIN_H
#define CAIRN_CLI_MAIN_H

#include <stddef.h>

struct cli_ctx;

struct cli_command {
	const char *name;
	int (*run)(struct cli_ctx *ctx, int argc, char **argv); /* argv[0] is the command name */
};

/* Run the command argv[1] of program `program`. The run's context
 * (struct cli_ctx: the program name, the syslog choice) and its job report
 * (job_report.h) live here, on this function's stack: the command gets
 * the context as its argument; the report is finished with the command's
 * exit code, which is returned. */
int cli_main(const char *program, const char *usage, const struct cli_command *commands, size_t ncommands,
	     int argc, char **argv);

#endif
