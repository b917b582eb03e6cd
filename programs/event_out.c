/* Warnings and damage reports as the programs show them. */
#include "event_out.h"

#include "cli.h"

#include "cairn/buf.h"

static int set_ref(json_t *obj, const char *type_key, const char *id_key, const struct cairn_event_ref *ref)
{
	const char *type = cairn_event_object_type_name(ref->type);
	char hex[2 * CAIRN_EVENT_ID_BYTES + 1];

	if (type == NULL)
		return 0;
	cairn_hex_encode(ref->id, sizeof(ref->id), hex);
	if (json_object_set_new(obj, type_key, json_string(type)) < 0 ||
	    json_object_set_new(obj, id_key, json_string(hex)) < 0)
		return -1;
	return 0;
}

int event_json_fields(json_t *obj, const struct cairn_event *ev)
{
	if (json_object_set_new(obj, "code", json_string(cairn_event_code_name(ev->code))) < 0)
		return -1;
	if (set_ref(obj, "object_type", "object_id", &ev->object) < 0)
		return -1;
	return set_ref(obj, "blob_type", "blob_id", &ev->blob);
}

void event_print_restore_problem(const struct cli_ctx *ctx, const struct cairn_event *ev)
{
	const char *object = ev->object_name;

	if (cairn_event_class(ev->code) != CAIRN_EVENT_CLASS_LOCAL)
		cli_error(ctx, "'%s' not restored: damaged data%s%s%s: %s", ev->path, object ? " in object '" : "",
			  object ? object : "", object ? "'" : "", ev->message);
	else
		cli_error(ctx, "'%s': %s", ev->path, ev->message);
}
