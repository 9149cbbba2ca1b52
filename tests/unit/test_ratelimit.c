/* --log-rate: the token bucket, the drop policy's line filter, the block
 * policy's read allowance, and the size parser. Time is passed in (µs). */
#include "testutil.h"
#include "tether/ratelimit.h"

#include "tether/jsonutil.h"
#include <string.h>

#define S 1000000 /* µs in a second */

static void test_bucket(void **state)
{
	struct ratelimit_bucket b;
	ratelimit_bucket_init(&b, 1000, 500, 0);
	assert_true(b.tokens == 500);
	/* Full: time adds nothing. */
	ratelimit_bucket_refill(&b, 10 * S);
	assert_true(b.tokens == 500);
	b.tokens = 0;
	ratelimit_bucket_refill(&b, 10 * S + S / 10); /* 100 ms: 100 bytes */
	assert_true(b.tokens > 99.99 && b.tokens < 100.01);
	/* A clock that goes back adds nothing either. */
	ratelimit_bucket_refill(&b, 5 * S);
	assert_true(b.tokens > 99.99 && b.tokens < 100.01);
	assert_int_equal(ratelimit_bucket_wait_us(&b, 50), 0);
	/* 150 more bytes: 150 ms, rounded up. */
	int64_t w = ratelimit_bucket_wait_us(&b, 250);
	assert_true(w >= 150000 && w <= 150001);
	/* Owed bytes take their time too. */
	b.tokens = -1000;
	w = ratelimit_bucket_wait_us(&b, 0);
	assert_true(w >= S && w <= S + 1);
}

struct sink {
	GString *out;
	int calls;
};

static void collect(void *ctx, const char *data, size_t len)
{
	struct sink *s = ctx;
	g_string_append_len(s->out, data, (gssize)len);
	s->calls++;
}

static size_t feed(struct ratelimit *rl, int idx, const char *text, int64_t now, struct sink *s)
{
	return ratelimit_filter(rl, idx, text, strlen(text), now, collect, s);
}

static void test_drop_whole_lines(void **state)
{
	/* 10 bytes a second, a burst of 10: "aaaa\n" and "bbbb\n" fit. */
	struct ratelimit *rl = ratelimit_new(10, 10, false, 0);
	struct sink s = {g_string_new(NULL), 0};
	assert_int_equal(feed(rl, 0, "aaaa\nbbbb\ncccc\ndddd\n", 0, &s), 10);
	assert_string_equal(s.out->str, "aaaa\nbbbb\n");
	/* One emit for the contiguous span. */
	assert_int_equal(s.calls, 1);
	assert_int_equal(rl->streams[0].dropped_bytes, 10);
	assert_int_equal(rl->streams[0].dropped_lines, 2);
	assert_true(rl->streams[0].dropping);
	/* Half a second later: 5 tokens, one line. */
	g_string_truncate(s.out, 0);
	assert_int_equal(feed(rl, 0, "eeee\nffff\n", S / 2, &s), 5);
	assert_string_equal(s.out->str, "eeee\n");
	/* stderr has its own bucket. */
	g_string_truncate(s.out, 0);
	assert_int_equal(feed(rl, 1, "xxxx\nyyyy\n", S / 2, &s), 0);
	assert_string_equal(s.out->str, "xxxx\nyyyy\n");
	assert_int_equal(rl->streams[1].dropped_bytes, 0);
	/* A full bucket ends the episode. */
	g_string_truncate(s.out, 0);
	assert_int_equal(feed(rl, 0, "gg\n", 10 * S, &s), 0);
	assert_false(rl->streams[0].dropping);
	assert_int_equal(rl->streams[0].dropped_bytes, 15);
	g_string_free(s.out, TRUE);
	ratelimit_free(rl);
}

static void test_drop_line_in_parts(void **state)
{
	struct ratelimit *rl = ratelimit_new(10, 10, false, 0);
	struct sink s = {g_string_new(NULL), 0};
	/* A line started with tokens is finished on credit... */
	assert_int_equal(feed(rl, 0, "12345678", 0, &s), 0);
	assert_int_equal(feed(rl, 0, "9abcdef\n", 0, &s), 0);
	assert_string_equal(s.out->str, "123456789abcdef\n");
	assert_true(rl->streams[0].bucket.tokens < 0);
	/* ...and the next line, with nothing left, is dropped whole, its
	 * continuation too, even once tokens are back. */
	g_string_truncate(s.out, 0);
	assert_int_equal(feed(rl, 0, "xy", 0, &s), 2);
	assert_int_equal(feed(rl, 0, "zzzzzz\nok\n", 5 * S, &s), 7);
	assert_string_equal(s.out->str, "ok\n");
	/* A line longer than the burst goes when the bucket is full. */
	g_string_truncate(s.out, 0);
	assert_int_equal(feed(rl, 0, "0123456789ABCDEF\n", 10 * S, &s), 0);
	assert_string_equal(s.out->str, "0123456789ABCDEF\n");
	/* An endless line is cut once it owes more than a burst. */
	g_string_truncate(s.out, 0);
	rl->streams[0].bucket.tokens = 10;
	assert_int_equal(feed(rl, 0, "aaaaaaaaaa", 20 * S, &s), 0);
	assert_int_equal(feed(rl, 0, "bbbbbbbbbbb", 20 * S, &s), 0);
	assert_int_equal(feed(rl, 0, "cccc", 20 * S, &s), 4);
	/* (and the line after it finds the bucket owing) */
	assert_int_equal(feed(rl, 0, "dd\nok\n", 20 * S, &s), 6);
	assert_string_equal(s.out->str, "aaaaaaaaaabbbbbbbbbbb");
	g_string_free(s.out, TRUE);
	ratelimit_free(rl);
}

/* Over a long flood the bytes logged are burst + rate * time. */
static void test_drop_rate_holds(void **state)
{
	struct ratelimit *rl = ratelimit_new(200 * 1024, 0, false, 0);
	assert_int_equal(rl->burst, 200 * 1024);
	struct sink s = {g_string_new(NULL), 0};
	char block[65536];
	for (size_t i = 0; i < sizeof(block); i++)
		block[i] = i % 64 == 63 ? '\n' : 'x';
	uint64_t logged = 0, dropped = 0;
	for (int i = 0; i <= 100; i++) {
		g_string_truncate(s.out, 0);
		dropped += ratelimit_filter(rl, 0, block, sizeof(block), (int64_t)i * S / 30,
					    collect, &s);
		logged += s.out->len;
	}
	double expected = 200 * 1024 + 200 * 1024 * 100.0 / 30;
	assert_true(logged > expected * 0.99 && logged < expected * 1.01);
	assert_int_equal(logged + dropped, 101 * sizeof(block));
	assert_int_equal(rl->streams[0].dropped_bytes, dropped);
	g_string_free(s.out, TRUE);
	ratelimit_free(rl);
}

static void test_block(void **state)
{
	struct ratelimit *rl = ratelimit_new(1000, 100, true, 0);
	int64_t wait = -1;
	assert_int_equal(ratelimit_allow(rl, 0, 4096, 0, &wait), 100);
	ratelimit_charge(rl, 0, 100);
	assert_int_equal(ratelimit_allow(rl, 0, 4096, 0, &wait), 0);
	/* Read again once a twentieth of a second's worth is there: 50 ms. */
	assert_true(wait >= 50000 && wait <= 50001);
	assert_int_equal(ratelimit_allow(rl, 0, 4096, 50000, &wait), 50);
	/* The time held back is counted. */
	assert_int_equal(rl->streams[0].blocked_us, 50000);
	assert_int_equal(ratelimit_allow(rl, 0, 10, 50000, &wait), 10);
	/* Not a read for every few bytes earned: held until 50 are there. */
	ratelimit_charge(rl, 0, 50);
	assert_int_equal(ratelimit_allow(rl, 0, 4096, 60000, &wait), 0);
	assert_true(wait >= 40000 && wait <= 40001);
	assert_int_equal(ratelimit_allow(rl, 0, 4096, 100000, &wait), 50);
	/* The other stream is not held. */
	assert_int_equal(ratelimit_allow(rl, 1, 4096, 0, &wait), 100);

	g_autoptr(json_object) obj = json_object_new_object();
	ratelimit_stats(rl, obj);
	json_object *v;
	assert_true(json_object_object_get_ex(obj, "stdout_rate_blocked_seconds", &v));
	assert_true(json_object_get_double(v) > 0.049);
	assert_true(json_object_object_get_ex(obj, "stderr_rate_dropped_bytes", &v));
	assert_int_equal(json_object_get_int64(v), 0);
	GString *m = g_string_new(NULL);
	ratelimit_metrics(rl, "name=\"c\"", m);
	assert_non_null(strstr(m->str, "# TYPE tether_log_rate_dropped_bytes_total counter\n"));
	assert_non_null(strstr(
		m->str, "tether_log_rate_dropped_bytes_total{name=\"c\",stream=\"stderr\"} 0\n"));
	g_string_free(m, TRUE);
	ratelimit_free(rl);
	/* Nothing without a limit. */
	GString *none = g_string_new(NULL);
	ratelimit_metrics(NULL, "x", none);
	assert_int_equal(none->len, 0);
	g_string_free(none, TRUE);
}

static void test_parse(void **state)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} ok[] = {
		{"1", 1},
		{"500", 500},
		{"200k", 200 * 1024},
		{"200K", 200 * 1024},
		{"1M", 1 << 20},
		{"1.5m", 3 << 19},
		{"64KiB", 64 << 10},
		{"2mb", 2 << 20},
		{"100k/s", 100 << 10},
		{"1g", 1 << 30},
		{"0.5k", 512},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
		uint64_t v = 0;
		assert_int_equal(ratelimit_parse_bytes(ok[i].text, &v), 0);
		assert_int_equal(v, ok[i].bytes);
	}
	static const char *const bad[] = {"",	  "0",	 "k",	"-1", "1x",  "1.k",
					  "1..5", "1/m", "1k/", " 1", "1 k", "0.0001"};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		uint64_t v = 7;
		assert_int_equal(ratelimit_parse_bytes(bad[i], &v), -EINVAL);
		assert_int_equal(v, 7);
	}
	uint64_t v;
	assert_int_equal(ratelimit_parse_bytes("2g", &v), -ERANGE);
	assert_int_equal(ratelimit_parse_bytes("1073741825", &v), -ERANGE);
	assert_int_equal(ratelimit_parse_bytes("99999999999999999999999", &v), -ERANGE);
	assert_int_equal(ratelimit_parse_bytes(NULL, &v), -EINVAL);
	bool block = false;
	assert_int_equal(ratelimit_parse_policy("block", &block), 0);
	assert_true(block);
	assert_int_equal(ratelimit_parse_policy("drop", &block), 0);
	assert_false(block);
	assert_int_equal(ratelimit_parse_policy("Drop", &block), -EINVAL);
	assert_int_equal(ratelimit_parse_policy(NULL, &block), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bucket, testutil_fd_setup, testutil_fd_check),
		cmocka_unit_test_setup_teardown(test_drop_whole_lines, testutil_fd_setup,
						testutil_fd_check),
		cmocka_unit_test_setup_teardown(test_drop_line_in_parts, testutil_fd_setup,
						testutil_fd_check),
		cmocka_unit_test_setup_teardown(test_drop_rate_holds, testutil_fd_setup,
						testutil_fd_check),
		cmocka_unit_test_setup_teardown(test_block, testutil_fd_setup, testutil_fd_check),
		cmocka_unit_test_setup_teardown(test_parse, testutil_fd_setup, testutil_fd_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
