/* cairn-agent forget: not yet written. */
#include "agent.h"

#include "cli.h"

int cmd_forget(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("'forget' is not available yet");
	return CAIRN_EXIT_ERROR;
}
