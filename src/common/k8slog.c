#include "tether/k8slog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t k8slog_format_timestamp(char *buf, size_t cap, const struct timespec *ts)
{
	struct tm tm;
	time_t secs = ts->tv_sec;
	localtime_r(&secs, &tm);
	long off = tm.tm_gmtoff;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	int n = snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%09ld%c%02ld:%02ld",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, ts->tv_nsec, sign, off / 3600, (off % 3600) / 60);
	return n < 0 ? 0 : (size_t)n;
}

static const char *next_field(const char *p, const char *end, const char **ret_start,
			      size_t *ret_len)
{
	const char *sp = memchr(p, ' ', (size_t)(end - p));
	if (sp == NULL)
		return NULL;
	*ret_start = p;
	*ret_len = (size_t)(sp - p);
	return sp + 1;
}

int k8slog_parse_record(const char *line, size_t len, struct k8slog_record *ret_rec)
{
	/* An empty line is no record (and may come as NULL, 0). */
	if (len == 0)
		return -EINVAL;
	const char *end = line + len, *p = line;
	const char *stream, *tag;
	size_t stream_len, tag_len;
	struct k8slog_record rec = {0};

	if ((p = next_field(p, end, &rec.timestamp, &rec.timestamp_len)) == NULL ||
	    (p = next_field(p, end, &stream, &stream_len)) == NULL)
		return -EINVAL;
	/* The content may be empty ("... stdout F " is an empty line), but the
	 * space after the tag is always there. */
	if ((p = next_field(p, end, &tag, &tag_len)) == NULL)
		return -EINVAL;
	if (rec.timestamp_len == 0)
		return -EINVAL;
	if (stream_len == 6 && memcmp(stream, "stdout", 6) == 0)
		rec.stream = K8SLOG_STDOUT;
	else if (stream_len == 6 && memcmp(stream, "stderr", 6) == 0)
		rec.stream = K8SLOG_STDERR;
	else
		return -EINVAL;
	/* The tag may carry more flags after a ':' in newer CRI versions. */
	if (tag_len == 0 || (tag[0] != 'F' && tag[0] != 'P') || (tag_len > 1 && tag[1] != ':'))
		return -EINVAL;
	rec.partial = tag[0] == 'P';
	rec.content = p;
	rec.content_len = (size_t)(end - p);
	*ret_rec = rec;
	return 0;
}

static int parse_digits(const char **p, const char *end, int n, long *ret)
{
	long v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (*p >= end || **p < '0' || **p > '9')
			return -EINVAL;
		v = v * 10 + (**p - '0');
	}
	*ret = v;
	return 0;
}

static int expect(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return -EINVAL;
	(*p)++;
	return 0;
}

int k8slog_parse_timestamp(const char *ts, size_t len, struct timespec *ret_ts)
{
	const char *p = ts, *end = ts + len;
	long y, mo, d, h, mi, s, nsec = 0, oh = 0, om = 0;
	if (parse_digits(&p, end, 4, &y) || expect(&p, end, '-') || parse_digits(&p, end, 2, &mo) ||
	    expect(&p, end, '-') || parse_digits(&p, end, 2, &d) || expect(&p, end, 'T') ||
	    parse_digits(&p, end, 2, &h) || expect(&p, end, ':') || parse_digits(&p, end, 2, &mi) ||
	    expect(&p, end, ':') || parse_digits(&p, end, 2, &s))
		return -EINVAL;
	if (p < end && *p == '.') {
		p++;
		int digits = 0;
		while (p < end && *p >= '0' && *p <= '9') {
			if (digits < 9) {
				nsec = nsec * 10 + (*p - '0');
				digits++;
			}
			p++;
		}
		if (digits == 0)
			return -EINVAL;
		for (; digits < 9; digits++)
			nsec *= 10;
	}
	int sign = 0;
	if (p < end && *p == 'Z') {
		p++;
	} else if (p < end && (*p == '+' || *p == '-')) {
		sign = *p == '-' ? -1 : 1;
		p++;
		if (parse_digits(&p, end, 2, &oh) || expect(&p, end, ':') ||
		    parse_digits(&p, end, 2, &om))
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (p != end || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 ||
	    oh > 23 || om > 59)
		return -EINVAL;

	struct tm tm = {.tm_year = (int)y - 1900,
			.tm_mon = (int)mo - 1,
			.tm_mday = (int)d,
			.tm_hour = (int)h,
			.tm_min = (int)mi,
			.tm_sec = (int)s};
	time_t t = timegm(&tm);
	t -= sign * (oh * 3600 + om * 60);
	ret_ts->tv_sec = t;
	ret_ts->tv_nsec = nsec;
	return 0;
}
