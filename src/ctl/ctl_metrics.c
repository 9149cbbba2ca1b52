/* Merging the shims' metrics into one Prometheus exposition. */
#include "tether/ctl_metrics.h"

#include <stdbool.h>
#include <string.h>

struct family {
	GString *head;	  /* HELP and TYPE lines */
	GString *samples; /* name{...} value lines */
};

static void family_free(gpointer p)
{
	struct family *f = p;
	g_string_free(f->head, TRUE);
	g_string_free(f->samples, TRUE);
	g_free(f);
}

static size_t name_len(const char *s)
{
	size_t n = 0;
	while (g_ascii_isalpha(s[n]) || s[n] == '_' || s[n] == ':' ||
	       (n > 0 && g_ascii_isdigit(s[n])))
		n++;
	return n;
}

/* NAME[{...}] VALUE, VALUE a number. */
static bool is_sample(const char *line, size_t n)
{
	const char *p = line + n;
	if (*p == '{') {
		/* To the '}' that is not in a quoted label value. */
		bool quoted = false;
		for (p++; *p && (quoted || *p != '}'); p++) {
			if (quoted && *p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"')
				quoted = !quoted;
		}
		if (*p++ != '}')
			return false;
	}
	if (*p != ' ')
		return false;
	char *end = NULL;
	(void)g_ascii_strtod(p + 1, &end);
	return end != p + 1 && *end == '\0';
}

/* The family a line belongs to: the name after "# HELP "/"# TYPE ", or the
 * sample's name. NULL for other lines. */
static char *family_of(const char *line, bool *ret_head)
{
	*ret_head = g_str_has_prefix(line, "# HELP ") || g_str_has_prefix(line, "# TYPE ");
	const char *name = *ret_head ? line + 7 : line;
	size_t n = name_len(name);
	if (n == 0 || (*ret_head ? name[n] != ' ' : !is_sample(line, n)))
		return NULL;
	return g_strndup(name, n);
}

char *ctl_metrics_merge(char *const *texts)
{
	g_autoptr(GHashTable) by_name =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, family_free);
	g_autoptr(GPtrArray) order = g_ptr_array_new();
	for (char *const *t = texts; t && *t; t++) {
		g_auto(GStrv) lines = g_strsplit(*t, "\n", -1);
		for (char **l = lines; *l; l++) {
			bool head;
			char *name = family_of(*l, &head);
			if (name == NULL)
				continue;
			struct family *f = g_hash_table_lookup(by_name, name);
			if (f == NULL) {
				f = g_new0(struct family, 1);
				f->head = g_string_new(NULL);
				f->samples = g_string_new(NULL);
				g_hash_table_insert(by_name, name, f);
				g_ptr_array_add(order, f);
			} else {
				g_free(name);
			}
			/* A head seen once is enough: every shim sends the same. */
			if (head && strstr(f->head->str, *l) == NULL)
				g_string_append_printf(f->head, "%s\n", *l);
			else if (!head)
				g_string_append_printf(f->samples, "%s\n", *l);
		}
	}
	GString *out = g_string_new(NULL);
	for (guint i = 0; i < order->len; i++) {
		struct family *f = order->pdata[i];
		g_string_append(out, f->head->str);
		g_string_append(out, f->samples->str);
	}
	return g_string_free(out, FALSE);
}
