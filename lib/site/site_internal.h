/* What the files of lib/site share. */
#ifndef CAIRN_SITE_INTERNAL_H
#define CAIRN_SITE_INTERNAL_H

#include "cairn/config.h"

/* The directory of a local site: its URL without "file://". */
const char *site_local_root(const struct cairn_site_config *site);

#endif
