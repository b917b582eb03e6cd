/* cairn-agent key add | list | remove: the key objects of a repository. */
#include "agent.h"

#include "cli_args.h"

#include "cairn/err.h"
#include "cairn/repo.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: cairn-agent key add (--new-key-file FILE | --new-passphrase-file FILE) [--label TEXT]\n"
	"       cairn-agent key list [--json]\n"
	"       cairn-agent key remove ID\n"
	"\n"
	"Every key opens the same repository (they wrap one master key). 'add' creates\n"
	"a missing key file. 'remove' refuses the key in use and the last key.\n"
	"'list' names unusable key objects too (kind \"unusable\", exit 8) and lists\n"
	"the others; 'remove' deletes one of them.\n"
	"\n" CLI_COMMON_OPTIONS_HELP;

enum { OPT_NEW_KEY_FILE = CLI_OPT_COMMAND_BASE, OPT_NEW_PASSPHRASE_FILE, OPT_LABEL };

struct list_ctx {
	const struct cli_ctx *cli;
	json_t *array;
	int unusable;
};

static int print_key(void *ctx, const struct cairn_repo_key_entry *e)
{
	struct list_ctx *l = ctx;
	const struct cairn_keyobj_info *info = e->info;

	if (info == NULL) {
		/* named, and the listing goes on: one bad object must not hide the others */
		l->unusable++;
		char name[CAIRN_REPO_NAME_MAX];

		(void)cairn_repo_object_name(CAIRN_REPO_OBJ_KEY, e->id, name); /* listed: a valid id */
		cli_warn(l->cli, "key object '%s' is unusable: %s", name, e->problem);
		if (l->array != NULL)
			json_array_append_new(l->array, json_pack("{s:s, s:s, s:s, s:b}", "id", e->id, "kind",
								  "unusable", "error", e->problem, "current",
								  e->current));
		else
			printf("! %.16s  %-10s  %s\n", e->id, "unusable", e->problem);
		return 0;
	}
	if (l->array != NULL) {
		json_array_append_new(l->array, json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "id", e->id, "kind",
							  info->kind, "created", info->created, "host", info->host,
							  "label", info->label, "current", e->current));
		return 0;
	}
	printf("%c %.16s  %-10s  %-20.20s  %-16.16s  %s\n", e->current ? '*' : ' ', e->id, info->kind, info->created,
	       info->host, info->label);
	return 0;
}

int cmd_key(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG_OPTIONS,
		{ "new-key-file", required_argument, NULL, OPT_NEW_KEY_FILE },
		{ "new-passphrase-file", required_argument, NULL, OPT_NEW_PASSPHRASE_FILE },
		{ "label", required_argument, NULL, OPT_LABEL },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_repo_opts o = { .ctx = ctx }, newkey = { .ctx = ctx };
	struct cairn_repo *repo = NULL;
	const char *label = "", *sub;
	int opt, help = 0, code, rc = 0;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int r = cli_common_option(&o, opt, optarg, &help);

		if (r == 1)
			continue;
		if (r == 0 && opt == OPT_NEW_KEY_FILE)
			newkey.key_file = optarg;
		else if (r == 0 && opt == OPT_NEW_PASSPHRASE_FILE)
			newkey.passphrase_file = optarg;
		else if (r == 0 && opt == OPT_LABEL)
			label = optarg;
		else {
			fputs(usage, stderr);
			return CAIRN_EXIT_USAGE;
		}
	}
	if (help) {
		fputs(usage, stdout);
		return CAIRN_EXIT_OK;
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return CAIRN_EXIT_USAGE;
	}
	sub = argv[optind];
	if (strcmp(sub, "add") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "remove") != 0) {
		cli_error(ctx, "unknown key command '%s'", sub);
		return CAIRN_EXIT_USAGE;
	}
	if ((strcmp(sub, "remove") == 0) != (optind + 2 == argc) || (strcmp(sub, "remove") != 0 && optind + 1 != argc)) {
		fputs(usage, stderr);
		return CAIRN_EXIT_USAGE;
	}
	if (strcmp(sub, "add") == 0 && (newkey.key_file == NULL) == (newkey.passphrase_file == NULL)) {
		cli_error(ctx, "key add needs exactly one of --new-key-file or --new-passphrase-file");
		return CAIRN_EXIT_USAGE;
	}
	code = cli_repo_opts_env(&o);
	if (code == 0)
		code = cli_open_repo(&o, &repo);
	if (code != 0) {
		cli_repo_opts_free(&o);
		return code;
	}
	if (strcmp(sub, "add") == 0) {
		struct cairn_secret *secret = NULL;
		char id[CAIRN_ID_HEX], host[256] = "";

		newkey.quiet = o.quiet;
		newkey.json = o.json;
		code = cli_load_secret(&newkey, 1, &secret);
		if (code == 0) {
			if (o.host != NULL)
				snprintf(host, sizeof(host), "%s", o.host);
			else
				gethostname(host, sizeof(host) - 1);
			rc = cairn_repo_key_add(repo, secret, host, label, id);
			cairn_secret_free(secret);
			if (rc < 0)
				code = cli_fail(ctx, rc, "cannot add key");
			else if (!o.quiet)
				printf("added key %.16s\n", id);
		}
	} else if (strcmp(sub, "list") == 0) {
		struct list_ctx l = { ctx, o.json ? json_array() : NULL, 0 };

		rc = cairn_repo_key_list(repo, print_key, &l);
		if (rc < 0) {
			code = cli_fail(ctx, rc, "cannot list keys");
		} else if (l.array != NULL) {
			char *text = json_dumps(l.array, JSON_COMPACT);

			if (text != NULL)
				puts(text);
			free(text);
		}
		json_decref(l.array);
		if (rc == 0 && l.unusable > 0)
			code = CAIRN_EXIT_DAMAGED;
	} else {
		rc = cairn_repo_key_remove(repo, argv[optind + 1]);
		if (rc < 0)
			code = cli_fail(ctx, rc, "cannot remove key");
		else if (!o.quiet)
			printf("removed key %s\n", argv[optind + 1]);
	}
	cairn_repo_close(repo);
	cli_repo_opts_free(&o);
	return code;
}
