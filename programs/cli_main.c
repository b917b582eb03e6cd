/* The entry point both programs share (cli_main.h). */
#include "cli_main.h"

#include "cli.h"
#include "job_report.h"

#include "cairn/crypto.h"
#include "cairn/repo.h"

#include <stdio.h>
#include <string.h>

static int dispatch(struct cli_ctx *ctx, const char *usage, const struct cli_command *commands, size_t ncommands,
		    int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		fputs(usage, stderr);
		return CAIRN_EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage, stdout);
		return CAIRN_EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("%s %s (repository format %d)\n", ctx->program, CAIRN_VERSION, CAIRN_FORMAT_VERSION);
		return CAIRN_EXIT_OK;
	}
	if (cairn_crypto_init() < 0) {
		cli_error(ctx, "cannot initialise libsodium");
		return CAIRN_EXIT_ERROR;
	}
	for (size_t i = 0; i < ncommands; i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].run(ctx, argc - 1, argv + 1);
	cli_error(ctx, "unknown command '%s' (see '%s --help')", cmd, ctx->program);
	return CAIRN_EXIT_USAGE;
}

int cli_main(const char *program, const char *usage, const struct cli_command *commands, size_t ncommands,
	     int argc, char **argv)
{
	struct job_report rep;
	struct cli_ctx ctx;
	int code;

	job_report_init(&rep);
	cli_ctx_init(&ctx, program, &rep);
	code = dispatch(&ctx, usage, commands, ncommands, argc, argv);
	code = job_report_finish(&rep, &ctx, code);
	cli_ctx_close(&ctx);
	return code;
}
