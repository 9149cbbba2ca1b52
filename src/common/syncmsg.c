#include "tether/syncmsg.h"

#include <errno.h>
#include <glib.h>
#include "tether/jsonutil.h"
#include <stdio.h>
#include <string.h>

const char *syncmsg_key(int api_version, int is_exec)
{
	if (api_version >= 1)
		return "data";
	return is_exec ? "exit_code" : "pid";
}

/* Bytes one input byte takes once escaped for a JSON string. */
static size_t escaped_len(unsigned char c)
{
	switch (c) {
	case '"':
	case '\\':
	case '\n':
	case '\t':
	case '\r':
	case '\b':
	case '\f':
		return 2;
	default:
		return (c < 0x20 || c == 0x7f) ? 6 : 1;
	}
}

static size_t escape_byte(char *out, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	switch (c) {
	case '"':
		return (void)memcpy(out, "\\\"", 2), 2;
	case '\\':
		return (void)memcpy(out, "\\\\", 2), 2;
	case '\n':
		return (void)memcpy(out, "\\n", 2), 2;
	case '\t':
		return (void)memcpy(out, "\\t", 2), 2;
	case '\r':
		return (void)memcpy(out, "\\r", 2), 2;
	case '\b':
		return (void)memcpy(out, "\\b", 2), 2;
	case '\f':
		return (void)memcpy(out, "\\f", 2), 2;
	default:
		if (c < 0x20 || c == 0x7f) {
			memcpy(out, "\\u00", 4);
			out[4] = hex[c >> 4];
			out[5] = hex[c & 0xf];
			return 6;
		}
		out[0] = (char)c;
		return 1;
	}
}

size_t syncmsg_format(char *buf, size_t cap, const char *key, long long value, const char *message)
{
	g_assert(cap >= 64);
	size_t cap_total = MIN(cap, (size_t)SYNCMSG_MAX + 1);
	if (message == NULL) {
		int n = snprintf(buf, cap_total, "{\"%s\": %lld}\n", key, value);
		return (size_t)MIN((size_t)n, cap_total - 1);
	}

	int head = snprintf(buf, cap_total, "{\"%s\": %lld, \"message\": \"", key, value);
	const char *tail = "\"}\n";
	/* Room for the escaped text: leave space for the tail and the NUL. */
	size_t budget = cap_total - (size_t)head - strlen(tail) - 1;

	/* Keep the end of the message: walk back from it while it fits. */
	size_t len = strlen(message), start = len, used = 0;
	while (start > 0) {
		size_t e = escaped_len((unsigned char)message[start - 1]);
		if (used + e > budget)
			break;
		used += e;
		start--;
	}
	/* Do not begin in the middle of a UTF-8 sequence. */
	while (start < len && start > 0 && ((unsigned char)message[start] & 0xc0) == 0x80)
		start++;

	char *p = buf + head;
	for (size_t i = start; i < len; i++)
		p += escape_byte(p, (unsigned char)message[i]);
	memcpy(p, tail, strlen(tail) + 1);
	return (size_t)(p - buf) + strlen(tail);
}

int syncmsg_parse(const char *line, size_t len, long long *ret_value, char **ret_message)
{
	g_autoptr(json_tokener) tok = json_tokener_new();
	if (tok == NULL)
		return -ENOMEM;
	g_autoptr(json_object) obj = json_tokener_parse_ex(tok, line, (int)len);
	if (obj == NULL || !json_object_is_type(obj, json_type_object))
		return -EINVAL;

	static const char *const keys[] = {"data", "pid", "exit_code"};
	json_object *val = NULL;
	for (size_t i = 0; i < G_N_ELEMENTS(keys) && val == NULL; i++)
		json_object_object_get_ex(obj, keys[i], &val);
	if (val == NULL || !json_object_is_type(val, json_type_int))
		return -EINVAL;

	json_object *msg = NULL;
	char *message = NULL;
	if (json_object_object_get_ex(obj, "message", &msg)) {
		if (!json_object_is_type(msg, json_type_string))
			return -EINVAL;
		message = g_strdup(json_object_get_string(msg));
	}
	*ret_value = json_object_get_int64(val);
	if (ret_message)
		*ret_message = message;
	else
		g_free(message);
	return 0;
}
