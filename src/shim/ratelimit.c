#define G_LOG_DOMAIN "ratelimit"

#include "tether/ratelimit.h"
#include "tether/diag.h"

#include <errno.h>
#include <json-c/json.h>
#include <string.h>

static const char *const stream_names[] = {"stdout", "stderr"};

void ratelimit_bucket_init(struct ratelimit_bucket *b, uint64_t rate, uint64_t burst,
			   int64_t now_us)
{
	b->rate = (double)rate;
	b->burst = (double)burst;
	b->tokens = (double)burst;
	b->last = now_us;
}

void ratelimit_bucket_refill(struct ratelimit_bucket *b, int64_t now_us)
{
	if (now_us <= b->last)
		return;
	b->tokens += b->rate * (double)(now_us - b->last) / 1e6;
	if (b->tokens > b->burst)
		b->tokens = b->burst;
	b->last = now_us;
}

int64_t ratelimit_bucket_wait_us(const struct ratelimit_bucket *b, double want)
{
	if (b->tokens >= want)
		return 0;
	/* Rounded up: never wake a microsecond too early. */
	return (int64_t)((want - b->tokens) * 1e6 / b->rate) + 1;
}

struct ratelimit *ratelimit_new(uint64_t rate, uint64_t burst, bool block, int64_t now_us)
{
	struct ratelimit *rl = g_new0(struct ratelimit, 1);
	rl->rate = rate;
	rl->burst = burst > 0 ? burst : rate;
	rl->block = block;
	for (int i = 0; i < 2; i++)
		ratelimit_bucket_init(&rl->streams[i].bucket, rl->rate, rl->burst, now_us);
	return rl;
}

static void episode_end(struct ratelimit_stream *s, int idx, int64_t now_us)
{
	diag_warn("Container %s: %" G_GUINT64_FORMAT " bytes dropped over --log-rate in %.1f s "
		  "(%" G_GUINT64_FORMAT " in all)",
		  stream_names[idx], s->episode_bytes, (double)(now_us - s->episode_start) / 1e6,
		  s->dropped_bytes);
	s->dropping = false;
}

void ratelimit_report(struct ratelimit *rl, int64_t now_us)
{
	for (int i = 0; rl != NULL && i < 2; i++)
		if (rl->streams[i].dropping)
			episode_end(&rl->streams[i], i, now_us);
}

void ratelimit_free(struct ratelimit *rl)
{
	g_free(rl);
}

static void drop(struct ratelimit *rl, int idx, size_t n, int64_t now_us)
{
	struct ratelimit_stream *s = &rl->streams[idx];
	if (!s->dropping) {
		diag_warn("Container %s is over --log-rate (%" G_GUINT64_FORMAT
			  " bytes/s, burst %" G_GUINT64_FORMAT "): output is being dropped",
			  stream_names[idx], rl->rate, rl->burst);
		s->dropping = true;
		s->episode_start = now_us;
		s->episode_bytes = 0;
	}
	s->dropped_bytes += n;
	s->episode_bytes += n;
}

size_t ratelimit_filter(struct ratelimit *rl, int idx, const char *data, size_t len, int64_t now_us,
			ratelimit_emit_fn emit, void *ctx)
{
	struct ratelimit_stream *s = &rl->streams[idx];
	struct ratelimit_bucket *b = &s->bucket;
	ratelimit_bucket_refill(b, now_us);
	const char *span = data; /* the admitted bytes not yet emitted */
	size_t span_len = 0, dropped = 0;
	const char *p = data, *end = data + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t piece = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		bool admit;
		switch (s->line) {
		case RATELIMIT_LINE_START:
			/* A line longer than the burst goes when the bucket is full. */
			admit = b->tokens >= MIN((double)piece, b->burst);
			/* A full bucket: the output stayed under the rate. */
			if (s->dropping && b->tokens >= b->burst)
				episode_end(s, idx, now_us);
			if (!admit)
				s->dropped_lines++;
			break;
		case RATELIMIT_LINE_LOGGED:
			/* Finish the line on credit, up to one burst owed. */
			admit = b->tokens > -b->burst;
			if (!admit)
				s->dropped_lines++;
			break;
		default:
			admit = false;
		}
		if (admit) {
			b->tokens -= (double)piece;
			if (span_len == 0)
				span = p;
			span_len += piece;
		} else {
			if (span_len > 0)
				emit(ctx, span, span_len);
			span_len = 0;
			drop(rl, idx, piece, now_us);
			dropped += piece;
		}
		if (nl != NULL)
			s->line = RATELIMIT_LINE_START;
		else
			s->line = admit ? RATELIMIT_LINE_LOGGED : RATELIMIT_LINE_DROPPED;
		p += piece;
	}
	if (span_len > 0)
		emit(ctx, span, span_len);
	return dropped;
}

size_t ratelimit_allow(struct ratelimit *rl, int idx, size_t want, int64_t now_us,
		       int64_t *ret_wait_us)
{
	struct ratelimit_stream *s = &rl->streams[idx];
	struct ratelimit_bucket *b = &s->bucket;
	ratelimit_bucket_refill(b, now_us);
	if (s->held) {
		s->blocked_us += now_us - s->blocked_since;
		s->held = false;
	}
	/* Not a read per token: a stream read as soon as one byte is allowed
	 * would be read again and again for the few bytes earned meanwhile. */
	double resume = MIN(b->burst, MAX(b->rate / RATELIMIT_RESUME_DIV, 1.0));
	if (b->tokens >= resume)
		return MIN(want, (size_t)b->tokens);
	*ret_wait_us = MAX(ratelimit_bucket_wait_us(b, resume), 1);
	s->blocked_since = now_us;
	s->held = true;
	return 0;
}

void ratelimit_charge(struct ratelimit *rl, int idx, size_t n)
{
	rl->streams[idx].bucket.tokens -= (double)n;
}

/* Seconds held back, with the current stretch if the stream is held now. */
static double blocked_seconds(const struct ratelimit_stream *s)
{
	int64_t us = s->blocked_us;
	if (s->held)
		us += g_get_monotonic_time() - s->blocked_since;
	return (double)us / 1e6;
}

void ratelimit_stats(const struct ratelimit *rl, struct json_object *obj)
{
	for (int i = 0; rl != NULL && i < 2; i++) {
		const struct ratelimit_stream *s = &rl->streams[i];
		g_autofree char *bytes = g_strdup_printf("%s_rate_dropped_bytes", stream_names[i]);
		g_autofree char *lines = g_strdup_printf("%s_rate_dropped_lines", stream_names[i]);
		g_autofree char *secs = g_strdup_printf("%s_rate_blocked_seconds", stream_names[i]);
		json_object_object_add(obj, bytes,
				       json_object_new_int64((int64_t)s->dropped_bytes));
		json_object_object_add(obj, lines,
				       json_object_new_int64((int64_t)s->dropped_lines));
		json_object_object_add(obj, secs, json_object_new_double(blocked_seconds(s)));
	}
}

void ratelimit_metrics(const struct ratelimit *rl, const char *labels, GString *out)
{
	if (rl == NULL)
		return;
	static const struct {
		const char *name, *help;
	} families[] = {
		{"tether_log_rate_dropped_bytes_total",
		 "Bytes of output not logged for --log-rate (policy drop)"},
		{"tether_log_rate_dropped_lines_total",
		 "Lines not logged, or cut, for --log-rate (policy drop)"},
		{"tether_log_rate_blocked_seconds_total",
		 "Time the stream was not read for --log-rate (policy block)"},
	};
	for (size_t f = 0; f < G_N_ELEMENTS(families); f++) {
		g_string_append_printf(out, "# HELP %s %s\n# TYPE %s counter\n", families[f].name,
				       families[f].help, families[f].name);
		for (int i = 0; i < 2; i++) {
			const struct ratelimit_stream *s = &rl->streams[i];
			double v = f == 0   ? (double)s->dropped_bytes
				   : f == 1 ? (double)s->dropped_lines
					    : blocked_seconds(s);
			g_string_append_printf(out, "%s{%s,stream=\"%s\"} %.17g\n",
					       families[f].name, labels, stream_names[i], v);
		}
	}
}

int ratelimit_parse_bytes(const char *text, uint64_t *ret_bytes)
{
	const char *p = text;
	if (p == NULL || !g_ascii_isdigit(*p))
		return -EINVAL;
	uint64_t whole = 0, frac = 0, scale = 1;
	for (; g_ascii_isdigit(*p); p++) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > RATELIMIT_MAX)
			return -ERANGE;
	}
	if (*p == '.') {
		p++;
		if (!g_ascii_isdigit(*p))
			return -EINVAL;
		/* Six digits are finer than a byte of a gibibyte. */
		for (; g_ascii_isdigit(*p); p++)
			if (scale < 1000000) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			}
	}
	uint64_t mult = 1;
	switch (g_ascii_tolower(*p)) {
	case 'k':
		mult = 1 << 10;
		break;
	case 'm':
		mult = 1 << 20;
		break;
	case 'g':
		mult = 1 << 30;
		break;
	}
	if (mult > 1) {
		p++;
		if (g_ascii_tolower(*p) == 'i' && g_ascii_tolower(p[1]) == 'b')
			p++;
	}
	if (g_ascii_tolower(*p) == 'b')
		p++;
	if (strcmp(p, "/s") == 0)
		p += 2;
	if (*p != '\0')
		return -EINVAL;
	if (whole > RATELIMIT_MAX / mult)
		return -ERANGE;
	uint64_t v = whole * mult + frac * mult / scale;
	if (v == 0)
		return -EINVAL;
	if (v > RATELIMIT_MAX)
		return -ERANGE;
	*ret_bytes = v;
	return 0;
}

int ratelimit_parse_policy(const char *text, bool *ret_block)
{
	if (text != NULL && strcmp(text, "drop") == 0)
		*ret_block = false;
	else if (text != NULL && strcmp(text, "block") == 0)
		*ret_block = true;
	else
		return -EINVAL;
	return 0;
}
