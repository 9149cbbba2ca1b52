/* jsonutil: g_autoptr support for json-c types, in one place. */
#ifndef TETHER_JSONUTIL_H
#define TETHER_JSONUTIL_H

#include <glib.h>
#include <json-c/json.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_object, json_object_put)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_tokener, json_tokener_free)

#endif
