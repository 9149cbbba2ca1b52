/* Fuzz target: a control-socket request line, through the same handler the
 * socket uses, against fake monitor ops. */
#include "tether/control.h"

#include <stdint.h>

static void state(void *data, json_object *obj)
{
	json_object_object_add(obj, "status", json_object_new_string("running"));
}

static bool exited(void *data)
{
	return true;
}

static const char *resize(void *data, unsigned rows, unsigned cols)
{
	return rows > 10000 ? "too big" : NULL;
}

static const char *reopen(void *data)
{
	return NULL;
}

static char *metrics(void *data)
{
	return g_strdup("");
}

static json_object *replay(void *data, size_t n)
{
	return n % 2 ? json_object_new_array() : NULL;
}

static char *upgrade(void *data, const char *binary)
{
	return binary != NULL ? g_strdup(binary) : NULL;
}

static const struct control_ops ops = {state,  state,	exited,	 resize, reopen,
				       reopen, metrics, replay, upgrade};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct control_defer defer;
	json_object *r = control_handle(&ops, NULL, (const char *)data, size, &defer);
	if (r != NULL)
		(void)json_object_to_json_string(r);
	json_object_put(r);
	return 0;
}
