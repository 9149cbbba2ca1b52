/* ratelimit: --log-rate, a token bucket per output stream (stdout and
 * stderr each have their own; with -t the terminal is one stream), filled
 * at rate bytes a second up to burst bytes (see docs/log-policies.md).
 *
 *   drop   output over the limit never reaches the log sinks; it is counted
 *          per stream. Lines go whole: a line whose start finds the bucket
 *          short is dropped, up to and including its "\n"; a line whose
 *          start was logged is finished on credit (the bucket may owe up to
 *          one burst), and only a line longer than that is cut, its rest
 *          dropped. Attach clients still get everything.
 *   block  the stream is not read until the bucket holds tokens again: the
 *          pipe fills and the container's writes wait (back-pressure).
 *          Nothing is lost; what is read goes to the logs and the clients.
 *
 * The bucket and the line filter are pure (time is passed in, µs of a
 * monotonic clock), so the tests drive them without a clock. */
#ifndef TETHER_RATELIMIT_H
#define TETHER_RATELIMIT_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest --log-rate and --log-burst: 1 GiB. */
#define RATELIMIT_MAX ((uint64_t)1 << 30)
/* block: the stream is read again once this share of a second's tokens
 * (or the whole burst, if smaller) is there: at most 20 wake-ups a second. */
#define RATELIMIT_RESUME_DIV 20

struct ratelimit_bucket {
	double rate;   /* bytes a second */
	double burst;  /* capacity, bytes */
	double tokens; /* may be below 0: bytes owed */
	int64_t last;  /* µs, when tokens was last brought up to date */
};

void ratelimit_bucket_init(struct ratelimit_bucket *b, uint64_t rate, uint64_t burst,
			   int64_t now_us);
/* Add what the time since the last call earned, up to the burst. */
void ratelimit_bucket_refill(struct ratelimit_bucket *b, int64_t now_us);
/* µs until the bucket holds want tokens (0: it does now). */
int64_t ratelimit_bucket_wait_us(const struct ratelimit_bucket *b, double want);

enum ratelimit_line {
	RATELIMIT_LINE_START, /* at the start of a line */
	RATELIMIT_LINE_LOGGED,
	RATELIMIT_LINE_DROPPED,
};

/* One stream's bucket, its line state and its counters. */
struct ratelimit_stream {
	struct ratelimit_bucket bucket;
	enum ratelimit_line line;
	uint64_t dropped_bytes; /* drop: in all */
	uint64_t dropped_lines; /* drop: lines left out or cut */
	int64_t blocked_us;	/* block: time the stream was not read */
	/* The current drop episode (from the first drop until the bucket is
	 * full again): reported once when it starts and once when it ends. */
	bool dropping;
	int64_t episode_start;
	uint64_t episode_bytes;
	/* block: whether and since when the stream is held back, and the
	 * timer that reads it again (owned by stdio.c). */
	bool held;
	int64_t blocked_since;
	guint resume_src;
};

struct ratelimit {
	uint64_t rate, burst;
	bool block;
	struct ratelimit_stream streams[2]; /* stdout, stderr */
};

/* rate > 0; burst 0: one second's worth. */
struct ratelimit *ratelimit_new(uint64_t rate, uint64_t burst, bool block, int64_t now_us);
/* Timers are the caller's. */
void ratelimit_free(struct ratelimit *rl);
/* Report the drop episodes still open (at exit); rl may be NULL. */
void ratelimit_report(struct ratelimit *rl, int64_t now_us);

/* drop: pass data through the stream's bucket; each admitted span goes to
 * emit, in order. Returns the bytes dropped. */
typedef void (*ratelimit_emit_fn)(void *ctx, const char *data, size_t len);
size_t ratelimit_filter(struct ratelimit *rl, int idx, const char *data, size_t len, int64_t now_us,
			ratelimit_emit_fn emit, void *ctx);

/* block: how many bytes stream idx may read now, at most want: none (0)
 * until the bucket holds a twentieth of a second's tokens (or the burst),
 * so that a held stream is read at most 20 times a second; then
 * *ret_wait_us says when to try again. */
size_t ratelimit_allow(struct ratelimit *rl, int idx, size_t want, int64_t now_us,
		       int64_t *ret_wait_us);
/* block: n bytes were read. */
void ratelimit_charge(struct ratelimit *rl, int idx, size_t n);

/* The counters, for the control socket (nothing when rl is NULL): stats
 * gets {stdout,stderr}_rate_dropped_bytes, _rate_dropped_lines and
 * _rate_blocked_seconds; metrics (labels: the sample's other labels) the
 * families tether_log_rate_dropped_bytes_total, _dropped_lines_total and
 * tether_log_rate_blocked_seconds_total, by stream. */
struct json_object;
void ratelimit_stats(const struct ratelimit *rl, struct json_object *obj);
void ratelimit_metrics(const struct ratelimit *rl, const char *labels, GString *out);

/* "200k", "1M", "1.5m", "64KiB", "2mb", "500", "100k/s": bytes, with
 * binary multiples (k = 1024). 1 to RATELIMIT_MAX; 0 or -EINVAL/-ERANGE. */
int ratelimit_parse_bytes(const char *text, uint64_t *ret_bytes);
/* "drop" or "block": 0 with *ret_block set, or -EINVAL. */
int ratelimit_parse_policy(const char *text, bool *ret_block);

#endif
