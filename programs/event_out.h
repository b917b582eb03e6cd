/* Warnings and damage reports (include/cairn/event.h) as the programs show
 * them: the human line of a restore problem (restore and drill) and the
 * fields of the --json outputs (backup, restore, check, drill), each
 * written in one place so that every output says them alike. */
#ifndef CAIRN_EVENT_OUT_H
#define CAIRN_EVENT_OUT_H

#include <jansson.h>

#include "cairn/event.h"

struct cli_ctx;

/* Set on the object `obj` (a JSON object owned by the caller) the event's
 * "code" (cairn_event_code_name), and, when the event has them,
 * "object_type" and "object_id" (64 lowercase hex digits), "blob_type" and
 * "blob_id". The path and the message are left to the caller, which knows
 * how it makes them printable. 0, or -1 when out of memory (some fields may
 * then be missing). */
int event_json_fields(json_t *obj, const struct cairn_event *ev);

/* Print a restore problem on stderr (cli_error): "'PATH' not restored:
 * damaged data in object 'NAME': MESSAGE" for damage (" in object ..."
 * only when the event names its object), "'PATH': MESSAGE" for an entry
 * that could not be restored. To ctx (cli.h). */
void event_print_restore_problem(const struct cli_ctx *ctx, const struct cairn_event *ev);

#endif
