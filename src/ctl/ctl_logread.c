/* Log records of both file formats, and --since times. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl_logread.h"
#include "tether/jsonutil.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#define NSEC_PER_SEC INT64_C(1000000000)

struct ctl_logread {
	enum ctl_logread_format format;
	json_tokener *tok;
	json_object *obj; /* the last json-file record: its strings back rec */
};

struct ctl_logread *ctl_logread_new(enum ctl_logread_format format)
{
	struct ctl_logread *r = g_new0(struct ctl_logread, 1);
	r->format = format;
	if (format == CTL_LOGREAD_JSON)
		r->tok = json_tokener_new();
	return r;
}

void ctl_logread_free(struct ctl_logread *r)
{
	if (r == NULL)
		return;
	g_clear_pointer(&r->obj, json_object_put);
	g_clear_pointer(&r->tok, json_tokener_free);
	g_free(r);
}

static bool get_string(json_object *obj, const char *key, const char **ret, size_t *ret_len)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return false;
	*ret = json_object_get_string(v);
	*ret_len = (size_t)json_object_get_string_len(v);
	return true;
}

static int parse_json(struct ctl_logread *r, const char *line, size_t len,
		      struct ctl_logread_record *ret_rec)
{
	g_clear_pointer(&r->obj, json_object_put);
	if (len > INT_MAX)
		return -EINVAL;
	json_tokener_reset(r->tok);
	json_object *obj = json_tokener_parse_ex(r->tok, line, (int)len);
	if (obj == NULL)
		return -EINVAL;
	r->obj = obj;
	/* One object and nothing after it but blanks (a "\r" from an editor). */
	for (size_t end = json_tokener_get_parse_end(r->tok); end < len; end++)
		if (!g_ascii_isspace(line[end]))
			return -EINVAL;
	if (!json_object_is_type(obj, json_type_object))
		return -EINVAL;

	struct ctl_logread_record rec = {0};
	const char *stream;
	size_t stream_len;
	if (!get_string(obj, "log", &rec.content, &rec.content_len) ||
	    !get_string(obj, "stream", &stream, &stream_len) ||
	    !get_string(obj, "time", &rec.time, &rec.time_len) || rec.time_len == 0)
		return -EINVAL;
	if (strcmp(stream, "stdout") == 0)
		rec.stream = K8SLOG_STDOUT;
	else if (strcmp(stream, "stderr") == 0)
		rec.stream = K8SLOG_STDERR;
	else
		return -EINVAL;
	rec.partial = rec.content_len == 0 || rec.content[rec.content_len - 1] != '\n';
	if (!rec.partial)
		rec.content_len--;
	*ret_rec = rec;
	return 0;
}

int ctl_logread_parse(struct ctl_logread *r, const char *line, size_t len,
		      struct ctl_logread_record *ret_rec)
{
	if (r->format == CTL_LOGREAD_JSON)
		return parse_json(r, line, len, ret_rec);
	struct k8slog_record k;
	int ret = k8slog_parse_record(line, len, &k);
	if (ret < 0)
		return ret;
	*ret_rec = (struct ctl_logread_record){
		.time = k.timestamp,
		.time_len = k.timestamp_len,
		.stream = k.stream,
		.partial = k.partial,
		.content = k.content,
		.content_len = k.content_len,
	};
	return 0;
}

int ctl_logread_record_time(const struct ctl_logread_record *rec, struct timespec *ret_ts)
{
	/* Both formats are RFC 3339: k8s-file with an offset, json-file in UTC. */
	return k8slog_parse_timestamp(rec->time, rec->time_len, ret_ts);
}

bool ctl_logread_time_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* DIGITS[.DIGITS] at *p: the whole part and the fraction in nanoseconds. */
static int parse_number(const char **p, int64_t *ret_whole, int64_t *ret_frac_ns)
{
	const char *s = *p;
	int64_t whole = 0, frac = 0, scale = NSEC_PER_SEC;
	if (!g_ascii_isdigit(*s))
		return -EINVAL;
	for (; g_ascii_isdigit(*s); s++)
		if (__builtin_mul_overflow(whole, 10, &whole) ||
		    __builtin_add_overflow(whole, *s - '0', &whole))
			return -EINVAL;
	if (*s == '.') {
		s++;
		if (!g_ascii_isdigit(*s))
			return -EINVAL;
		for (; g_ascii_isdigit(*s); s++)
			if (scale > 1) {
				scale /= 10;
				frac += (*s - '0') * scale;
			}
	}
	*p = s;
	*ret_whole = whole;
	*ret_frac_ns = frac;
	return 0;
}

static int parse_unix(const char *text, struct timespec *ret_ts)
{
	const char *p = text;
	int64_t whole, frac;
	if (parse_number(&p, &whole, &frac) < 0 || *p != '\0')
		return -EINVAL;
	ret_ts->tv_sec = (time_t)whole;
	ret_ts->tv_nsec = (long)frac;
	return 0;
}

/* Go's duration syntax (as docker logs --since takes it), plus days. */
static int parse_duration(const char *text, int64_t *ret_ns)
{
	static const struct {
		const char *name;
		int64_t ns;
	} units[] = {
		/* Longest first: "ms" before "m". */
		{"ns", 1},
		{"us", 1000},
		{"ms", 1000000},
		{"s", NSEC_PER_SEC},
		{"m", 60 * NSEC_PER_SEC},
		{"h", 3600 * NSEC_PER_SEC},
		{"d", 86400 * NSEC_PER_SEC},
	};
	const char *p = text;
	int64_t total = 0;
	if (*p == '\0')
		return -EINVAL;
	while (*p != '\0') {
		int64_t whole, frac;
		if (parse_number(&p, &whole, &frac) < 0)
			return -EINVAL;
		size_t u = 0;
		while (u < G_N_ELEMENTS(units) && !g_str_has_prefix(p, units[u].name))
			u++;
		if (u == G_N_ELEMENTS(units))
			return -EINVAL;
		p += strlen(units[u].name);
		int64_t part;
		/* frac is in 1e-9 units: frac * unit / 1e9, without overflow. */
		int64_t frac_part = frac / 1000 * (units[u].ns / 1000) / 1000;
		if (units[u].ns < NSEC_PER_SEC)
			frac_part = frac * units[u].ns / NSEC_PER_SEC;
		if (__builtin_mul_overflow(whole, units[u].ns, &part) ||
		    __builtin_add_overflow(part, frac_part, &part) ||
		    __builtin_add_overflow(total, part, &total))
			return -EINVAL;
	}
	*ret_ns = total;
	return 0;
}

int ctl_logread_parse_since(const char *text, const struct timespec *now, struct timespec *ret_ts)
{
	if (text == NULL)
		return -EINVAL;
	if (k8slog_parse_timestamp(text, strlen(text), ret_ts) == 0)
		return 0;
	if (parse_unix(text, ret_ts) == 0)
		return 0;
	int64_t ns;
	if (parse_duration(text, &ns) < 0)
		return -EINVAL;
	int64_t t = (int64_t)now->tv_sec * NSEC_PER_SEC + now->tv_nsec;
	if (ns > t)
		ns = t; /* no further back than 1970 */
	t -= ns;
	ret_ts->tv_sec = (time_t)(t / NSEC_PER_SEC);
	ret_ts->tv_nsec = (long)(t % NSEC_PER_SEC);
	return 0;
}
