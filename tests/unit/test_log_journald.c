/* The journald sink against a datagram socket of our own standing in for
 * journald: every datagram is parsed back from the native protocol and its
 * fields checked, in order, against conmon-spec §2.12.3. */
#include "testutil.h"
#include "tether/log_journald.h"

#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CID	 "0123456789abcdef0123"
#define SHORT_ID "0123456789ab"

struct fixture {
	char *dir;
	char *path;
	int rx; /* the stand-in journal, bound at path */
};

static int bind_journal(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static int setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);
	f->dir = testutil_tmpdir();
	f->path = g_build_filename(f->dir, "socket", NULL);
	f->rx = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (f->rx >= 0)
		close(f->rx);
	testutil_rmtree(f->dir);
	g_free(f->dir);
	g_free(f->path);
	g_free(f);
	return 0;
}

/* --- the native protocol, read back ----------------------------------------- */

struct field {
	char *key;
	GString *value;
	bool binary;
};

static void field_free(gpointer p)
{
	struct field *fl = p;
	g_free(fl->key);
	g_string_free(fl->value, TRUE);
	g_free(fl);
}

/* KEY=VALUE\n, or KEY\n + le64 length + VALUE + \n; anything else fails. */
static GPtrArray *parse_entry(const char *buf, size_t len)
{
	GPtrArray *fields = g_ptr_array_new_with_free_func(field_free);
	const char *p = buf, *end = buf + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		assert_non_null(nl);
		const char *eq = memchr(p, '=', (size_t)(nl - p));
		struct field *fl = g_new0(struct field, 1);
		if (eq != NULL) {
			fl->key = g_strndup(p, (gsize)(eq - p));
			fl->value = g_string_new_len(eq + 1, nl - eq - 1);
			p = nl + 1;
		} else {
			fl->key = g_strndup(p, (gsize)(nl - p));
			fl->binary = true;
			p = nl + 1;
			assert_true(end - p >= 8);
			guint64 le;
			memcpy(&le, p, 8);
			size_t vlen = (size_t)GUINT64_FROM_LE(le);
			p += 8;
			assert_true((size_t)(end - p) >= vlen + 1);
			fl->value = g_string_new_len(p, (gssize)vlen);
			p += vlen;
			assert_int_equal(*p, '\n');
			p++;
		}
		assert_true(*fl->key != '\0');
		g_ptr_array_add(fields, fl);
	}
	return fields;
}

/* The next datagram, which must be there already: the sink's sendmsg
 * queued it before returning. NULL if there is none. */
static GPtrArray *recv_entry(int rx)
{
	static char buf[64 * 1024];
	ssize_t n = recv(rx, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0) {
		assert_int_equal(errno, EAGAIN);
		return NULL;
	}
	return parse_entry(buf, (size_t)n);
}

static void assert_no_entry(int rx)
{
	char c;
	assert_int_equal(recv(rx, &c, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
}

/* What an entry must hold, in order (conmon's fields). */
struct want {
	enum k8slog_stream stream;
	const char *msg;
	size_t msg_len; /* 0: strlen(msg) */
	bool partial;
	const char *tag, *name;
	const char *const *labels;
	bool no_partial;
};

static void expect_field(GPtrArray *fields, guint *i, const char *key, const char *value,
			 size_t len)
{
	assert_true(*i < fields->len);
	struct field *fl = g_ptr_array_index(fields, *i);
	assert_string_equal(fl->key, key);
	assert_int_equal(fl->value->len, len);
	assert_memory_equal(fl->value->str, value, len);
	/* A value with a newline must use the binary form; others the text form. */
	assert_int_equal(fl->binary, memchr(value, '\n', len) != NULL);
	(*i)++;
}

static void expect_str(GPtrArray *fields, guint *i, const char *key, const char *value)
{
	expect_field(fields, i, key, value, strlen(value));
}

static void check_entry(GPtrArray *fields, const struct want *w)
{
	assert_non_null(fields);
	guint i = 0;
	expect_field(fields, &i, "MESSAGE", w->msg, w->msg_len ? w->msg_len : strlen(w->msg));
	expect_str(fields, &i, "CONTAINER_ID_FULL", CID);
	expect_str(fields, &i, "PRIORITY", w->stream == K8SLOG_STDERR ? "3" : "6");
	expect_str(fields, &i, "CONTAINER_ID", SHORT_ID);
	if (w->tag)
		expect_str(fields, &i, "CONTAINER_TAG", w->tag);
	if (w->name)
		expect_str(fields, &i, "CONTAINER_NAME", w->name);
	expect_str(fields, &i, "SYSLOG_IDENTIFIER", w->tag ? w->tag : w->name ? w->name : SHORT_ID);
	if (w->partial && !w->no_partial)
		expect_str(fields, &i, "CONTAINER_PARTIAL_MESSAGE", "true");
	for (const char *const *l = w->labels; l && *l; l++) {
		const char *eq = strchr(*l, '=');
		g_autofree char *key = g_strndup(*l, (gsize)(eq - *l));
		expect_str(fields, &i, key, eq + 1);
	}
	assert_int_equal(i, fields->len);
	g_ptr_array_unref(fields);
}

/* Our own warnings, counted (each cause is to be reported once). */
static void count_warning(const char *domain, GLogLevelFlags level, const char *message,
			  gpointer data)
{
	(*(int *)data)++;
}

static guint count_warnings(int *counter)
{
	*counter = 0;
	return g_log_set_handler("log-journald", G_LOG_LEVEL_WARNING, count_warning, counter);
}

static struct log_journald *sink_new(struct fixture *f, const struct log_journald_config *base)
{
	struct log_journald_config cfg = {.cid = CID};
	if (base)
		cfg = *base;
	cfg.socket_path = f->path;
	g_autoptr(GError) error = NULL;
	struct log_journald *j = log_journald_new(&cfg, &error);
	assert_null(error);
	assert_non_null(j);
	return j;
}

/* Through the sink's entry in the log, as the shim calls it. */
static void sink_write(struct log_journald *j, enum k8slog_stream stream, const char *s, size_t len)
{
	struct timespec ts = {0, 0};
	log_journald_ops.write(j, stream, s, len ? len : strlen(s), &ts);
}

/* --- tests ------------------------------------------------------------------- */

static void test_native_format(void **state)
{
	/* The protocol document's own examples. */
	g_autoptr(GString) s = g_string_new(NULL);
	log_journald_field_append(s, "FOO", "BAR", 3);
	assert_int_equal(s->len, 8);
	assert_memory_equal(s->str, "FOO=BAR\n", 8);
	g_string_truncate(s, 0);
	log_journald_field_append(s, "BINARY_BLOB", "xx\nx", 4);
	static const char want[] = "BINARY_BLOB\n\004\0\0\0\0\0\0\0xx\nx\n";
	assert_int_equal(s->len, sizeof(want) - 1);
	assert_memory_equal(s->str, want, sizeof(want) - 1);
}

static void test_record_build(void **state)
{
	struct fixture *f = *state;
	static const char *const labels[] = {"A=1", "B=2", NULL};
	struct log_journald_config cfg = {
		.cid = CID, .name = "n", .tag = "t", .labels = (char **)labels};
	g_autoptr(log_journald) j = sink_new(f, &cfg);
	struct log_journald_record rec;
	log_journald_record_build(j, K8SLOG_STDERR, true, "he", 2, "llo", 3, &rec);
	assert_true(rec.n_iov <= LOG_JOURNALD_IOV_MAX);
	GString *flat = g_string_new(NULL);
	for (size_t i = 0; i < rec.n_iov; i++)
		g_string_append_len(flat, rec.iov[i].iov_base, (gssize)rec.iov[i].iov_len);
	assert_int_equal(flat->len, rec.len);
	struct want w = {.stream = K8SLOG_STDERR,
			 .msg = "hello",
			 .partial = true,
			 .tag = "t",
			 .name = "n",
			 .labels = labels};
	check_entry(parse_entry(flat->str, flat->len), &w);
	g_string_free(flat, TRUE);
}

static void test_lines(void **state)
{
	struct fixture *f = *state;
	TEST_NO_FD_LEAK({
		f->rx = bind_journal(f->path);
		struct log_journald *j = sink_new(f, NULL);
		/* Two lines in one chunk, an empty line, then stderr. */
		sink_write(j, K8SLOG_STDOUT, "one\ntwo\n\n", 0);
		sink_write(j, K8SLOG_STDERR, "err\n", 0);
		check_entry(recv_entry(f->rx),
			    &(struct want){.stream = K8SLOG_STDOUT, .msg = "one\n"});
		check_entry(recv_entry(f->rx),
			    &(struct want){.stream = K8SLOG_STDOUT, .msg = "two\n"});
		check_entry(recv_entry(f->rx),
			    &(struct want){.stream = K8SLOG_STDOUT, .msg = "\n"});
		check_entry(recv_entry(f->rx),
			    &(struct want){.stream = K8SLOG_STDERR, .msg = "err\n"});
		assert_no_entry(f->rx);
		/* Binary bytes, NUL included, stay as they are. */
		sink_write(j, K8SLOG_STDOUT, "a\0b\xff\x01\n", 6);
		check_entry(recv_entry(f->rx), &(struct want){.stream = K8SLOG_STDOUT,
							      .msg = "a\0b\xff\x01\n",
							      .msg_len = 6});
		assert_int_equal(log_journald_ops.lost_bytes(j), 0);
		assert_int_equal(log_journald_ops.finish(j, true), 0);
		assert_no_entry(f->rx);
		log_journald_ops.free(j);
		close(f->rx);
		f->rx = -1;
	});
}

static void test_short_writes_join(void **state)
{
	struct fixture *f = *state;
	TEST_NO_FD_LEAK({
		f->rx = bind_journal(f->path);
		struct log_journald *j = sink_new(f, NULL);
		sink_write(j, K8SLOG_STDOUT, "ab", 0);
		assert_no_entry(f->rx);
		/* Each stream has its own buffer. */
		sink_write(j, K8SLOG_STDERR, "x", 0);
		sink_write(j, K8SLOG_STDERR, "y\nz", 0);
		check_entry(recv_entry(f->rx),
			    &(struct want){.stream = K8SLOG_STDERR, .msg = "xy\n"});
		sink_write(j, K8SLOG_STDOUT, "c\nd", 0);
		check_entry(recv_entry(f->rx),
			    &(struct want){.stream = K8SLOG_STDOUT, .msg = "abc\n"});
		assert_no_entry(f->rx);
		/* At exit what is buffered goes out as partial entries. */
		assert_int_equal(log_journald_ops.finish(j, false), 0);
		check_entry(recv_entry(f->rx),
			    &(struct want){.stream = K8SLOG_STDOUT, .msg = "d", .partial = true});
		check_entry(recv_entry(f->rx),
			    &(struct want){.stream = K8SLOG_STDERR, .msg = "z", .partial = true});
		assert_no_entry(f->rx);
		/* Nothing twice. */
		assert_int_equal(log_journald_ops.finish(j, false), 0);
		assert_no_entry(f->rx);
		log_journald_ops.free(j);
		close(f->rx);
		f->rx = -1;
	});
}

static char *filled(size_t len, char c)
{
	char *s = g_malloc(len + 1);
	memset(s, c, len);
	s[len] = '\0';
	return s;
}

static void test_long_lines(void **state)
{
	struct fixture *f = *state;
	const size_t max = LOG_JOURNALD_LINE_MAX;
	TEST_NO_FD_LEAK({
		f->rx = bind_journal(f->path);
		struct log_journald *j = sink_new(f, NULL);

		/* 2 × 8 KiB + 100 and a newline: two partial entries, then the rest. */
		size_t len = 2 * max + 101;
		g_autofree char *line = g_malloc(len);
		for (size_t i = 0; i < len; i++)
			line[i] = (char)('a' + i % 26);
		line[len - 1] = '\n';
		sink_write(j, K8SLOG_STDOUT, line, len);
		check_entry(recv_entry(f->rx), &(struct want){.stream = K8SLOG_STDOUT,
							      .msg = line,
							      .msg_len = max,
							      .partial = true});
		check_entry(recv_entry(f->rx), &(struct want){.stream = K8SLOG_STDOUT,
							      .msg = line + max,
							      .msg_len = max,
							      .partial = true});
		check_entry(recv_entry(f->rx), &(struct want){.stream = K8SLOG_STDOUT,
							      .msg = line + 2 * max,
							      .msg_len = 101});
		assert_no_entry(f->rx);

		/* Exactly 8 KiB with its newline is one full entry... */
		g_autofree char *exact = filled(max, 'e');
		exact[max - 1] = '\n';
		sink_write(j, K8SLOG_STDOUT, exact, max);
		check_entry(recv_entry(f->rx),
			    &(struct want){.stream = K8SLOG_STDOUT, .msg = exact, .msg_len = max});
		/* ...one byte more, and the newline comes alone. */
		g_autofree char *over = filled(max + 1, 'o');
		over[max] = '\n';
		sink_write(j, K8SLOG_STDERR, over, max + 1);
		check_entry(recv_entry(f->rx), &(struct want){.stream = K8SLOG_STDERR,
							      .msg = over,
							      .msg_len = max,
							      .partial = true});
		check_entry(recv_entry(f->rx),
			    &(struct want){.stream = K8SLOG_STDERR, .msg = "\n"});

		/* Buffered bytes plus a chunk that overflows: cut at 8 KiB. */
		g_autofree char *a = filled(max - 100, 'a');
		g_autofree char *b = filled(300, 'b');
		sink_write(j, K8SLOG_STDOUT, a, 0);
		assert_no_entry(f->rx);
		sink_write(j, K8SLOG_STDOUT, b, 0);
		g_autofree char *joined = g_strconcat(a, b, NULL);
		check_entry(recv_entry(f->rx), &(struct want){.stream = K8SLOG_STDOUT,
							      .msg = joined,
							      .msg_len = max,
							      .partial = true});
		assert_no_entry(f->rx);
		sink_write(j, K8SLOG_STDOUT, "!\n", 0);
		g_autofree char *rest = g_strconcat(b + 100, "!\n", NULL);
		check_entry(recv_entry(f->rx),
			    &(struct want){.stream = K8SLOG_STDOUT, .msg = rest});
		assert_no_entry(f->rx);
		assert_int_equal(log_journald_lost_bytes(j), 0);
		log_journald_free(j);
		close(f->rx);
		f->rx = -1;
	});
}

static void test_no_partial(void **state)
{
	struct fixture *f = *state;
	const size_t max = LOG_JOURNALD_LINE_MAX;
	TEST_NO_FD_LEAK({
		f->rx = bind_journal(f->path);
		struct log_journald_config cfg = {.cid = CID, .no_partial = true};
		struct log_journald *j = sink_new(f, &cfg);
		g_autofree char *line = filled(max + 3, 'x');
		line[max + 2] = '\n';
		sink_write(j, K8SLOG_STDOUT, line, max + 3);
		sink_write(j, K8SLOG_STDOUT, "tail", 0);
		log_journald_flush(j);
		struct want w = {.stream = K8SLOG_STDOUT,
				 .msg = line,
				 .msg_len = max,
				 .partial = true,
				 .no_partial = true};
		check_entry(recv_entry(f->rx), &w);
		check_entry(recv_entry(f->rx),
			    &(struct want){.stream = K8SLOG_STDOUT, .msg = "xx\n"});
		w.msg = "tail";
		w.msg_len = 0;
		check_entry(recv_entry(f->rx), &w);
		assert_no_entry(f->rx);
		log_journald_free(j);
		close(f->rx);
		f->rx = -1;
	});
}

static void test_identifiers(void **state)
{
	struct fixture *f = *state;
	static const char *const labels[] = {"POD_NAME=web-1", "ZONE_2=a b", "EMPTY=", NULL};
	const struct {
		const char *tag, *name;
		const char *const *labels;
	} cases[] = {
		{NULL, NULL, NULL},	   {"mytag", NULL, NULL}, {NULL, "myname", NULL},
		{"mytag", "myname", NULL}, {NULL, NULL, labels},  {"t", "n", labels},
	};
	TEST_NO_FD_LEAK({
		f->rx = bind_journal(f->path);
		for (size_t c = 0; c < G_N_ELEMENTS(cases); c++) {
			struct log_journald_config cfg = {
				.cid = CID,
				.tag = cases[c].tag,
				.name = cases[c].name,
				.labels = (char **)cases[c].labels,
			};
			struct log_journald *j = sink_new(f, &cfg);
			sink_write(j, K8SLOG_STDERR, "line\npart", 0);
			log_journald_flush(j);
			struct want w = {.stream = K8SLOG_STDERR,
					 .msg = "line\n",
					 .tag = cases[c].tag,
					 .name = cases[c].name,
					 .labels = cases[c].labels};
			check_entry(recv_entry(f->rx), &w);
			w.msg = "part";
			w.partial = true;
			check_entry(recv_entry(f->rx), &w);
			assert_no_entry(f->rx);
			log_journald_free(j);
		}
		close(f->rx);
		f->rx = -1;
	});
}

static void test_newline_in_fixed_fields(void **state)
{
	struct fixture *f = *state;
	static const char *const labels[] = {"NOTE=two\nlines", NULL};
	TEST_NO_FD_LEAK({
		f->rx = bind_journal(f->path);
		struct log_journald_config cfg = {
			.cid = CID, .tag = "a\nb", .labels = (char **)labels};
		struct log_journald *j = sink_new(f, &cfg);
		sink_write(j, K8SLOG_STDOUT, "m\n", 0);
		check_entry(recv_entry(f->rx), &(struct want){.stream = K8SLOG_STDOUT,
							      .msg = "m\n",
							      .tag = "a\nb",
							      .labels = labels});
		log_journald_free(j);
		close(f->rx);
		f->rx = -1;
	});
}

static void test_no_journal(void **state)
{
	struct fixture *f = *state;
	TEST_NO_FD_LEAK({
		/* No socket at all (ENOENT): counted, no crash, nothing blocks. */
		int warnings;
		guint handler = count_warnings(&warnings);
		struct log_journald *j = sink_new(f, NULL);
		sink_write(j, K8SLOG_STDOUT, "one\ntwo\n", 0);
		sink_write(j, K8SLOG_STDERR, "three", 0);
		assert_int_equal(log_journald_lost_bytes(j), 8);
		assert_int_equal(log_journald_ops.finish(j, true), 0);
		assert_int_equal(log_journald_lost_bytes(j), 13);

		/* The journal appears: the next write gets through. */
		f->rx = bind_journal(f->path);
		sink_write(j, K8SLOG_STDOUT, "four\n", 0);
		check_entry(recv_entry(f->rx),
			    &(struct want){.stream = K8SLOG_STDOUT, .msg = "four\n"});
		assert_int_equal(log_journald_lost_bytes(j), 13);

		/* It goes away, leaving its socket file (ECONNREFUSED). */
		close(f->rx);
		f->rx = -1;
		sink_write(j, K8SLOG_STDOUT, "five\n", 0);
		assert_int_equal(log_journald_lost_bytes(j), 18);

		/* And comes back at the same path. */
		assert_int_equal(unlink(f->path), 0);
		f->rx = bind_journal(f->path);
		sink_write(j, K8SLOG_STDOUT, "six\n", 0);
		check_entry(recv_entry(f->rx),
			    &(struct want){.stream = K8SLOG_STDOUT, .msg = "six\n"});
		assert_int_equal(log_journald_lost_bytes(j), 18);
		/* One warning per cause, not one per entry. */
		assert_int_equal(warnings, 2);
		g_log_remove_handler("log-journald", handler);
		log_journald_free(j);
		close(f->rx);
		f->rx = -1;
	});
}

static void test_full_queue(void **state)
{
	struct fixture *f = *state;
	TEST_NO_FD_LEAK({
		f->rx = bind_journal(f->path);
		int warnings;
		guint handler = count_warnings(&warnings);
		struct log_journald *j =
			sink_new(f, &(struct log_journald_config){.cid = CID, .block_ms = 50});
		/* More lines than the receive queue holds (net.unix.max_dgram_qlen)
		 * and a journal that takes none: the sink waits block_ms once, then
		 * stops waiting; what does not fit is counted. */
		GString *chunk = g_string_new(NULL);
		const int lines = 2000;
		for (int i = 0; i < lines; i++)
			g_string_append_printf(chunk, "line %04d\n", i);
		sink_write(j, K8SLOG_STDOUT, chunk->str, chunk->len);
		int got = 0;
		GPtrArray *e;
		while ((e = recv_entry(f->rx)) != NULL) {
			g_autofree char *want = g_strdup_printf("line %04d\n", got);
			check_entry(e, &(struct want){.stream = K8SLOG_STDOUT, .msg = want});
			got++;
		}
		assert_true(got > 0 && got < lines);
		assert_int_equal(log_journald_lost_bytes(j), (uint64_t)(lines - got) * 10);
		/* Once drained, entries get through again. */
		sink_write(j, K8SLOG_STDOUT, "after\n", 0);
		check_entry(recv_entry(f->rx),
			    &(struct want){.stream = K8SLOG_STDOUT, .msg = "after\n"});
		assert_int_equal(warnings, 1);
		g_log_remove_handler("log-journald", handler);
		g_string_free(chunk, TRUE);
		log_journald_free(j);
		close(f->rx);
		f->rx = -1;
	});
}

/* A journal that reads slowly, in another thread. */
struct slow_reader {
	int rx;
	int want;
	int got;
	bool in_order;
};

static gpointer slow_read(gpointer data)
{
	struct slow_reader *r = data;
	char buf[4096];
	r->in_order = true;
	while (r->got < r->want) {
		struct pollfd pfd = {.fd = r->rx, .events = POLLIN};
		if (poll(&pfd, 1, 5000) <= 0)
			break;
		ssize_t n = recv(r->rx, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			break;
		buf[n] = '\0';
		/* MESSAGE holds a newline: it travels in the binary form. */
		g_autofree char *want = g_strdup_printf("line %04d\n", r->got);
		if (memmem(buf, (size_t)n, want, strlen(want)) == NULL)
			r->in_order = false;
		r->got++;
		if (r->got % 100 == 0)
			g_usleep(1000);
	}
	return NULL;
}

/* A burst bigger than the journal's queue: the sink waits for room, as
 * conmon's blocking socket does, and loses nothing. */
static void test_backpressure_loses_nothing(void **state)
{
	struct fixture *f = *state;
	f->rx = bind_journal(f->path);
	struct slow_reader r = {.rx = f->rx, .want = 3000};
	GThread *t = g_thread_new("journal", slow_read, &r);
	struct log_journald *j = sink_new(f, NULL);
	GString *chunk = g_string_new(NULL);
	for (int i = 0; i < r.want; i++)
		g_string_append_printf(chunk, "line %04d\n", i);
	sink_write(j, K8SLOG_STDOUT, chunk->str, chunk->len);
	g_thread_join(t);
	assert_int_equal(log_journald_lost_bytes(j), 0);
	assert_int_equal(r.got, r.want);
	assert_true(r.in_order);
	g_string_free(chunk, TRUE);
	log_journald_free(j);
	close(f->rx);
	f->rx = -1;
}

/* An entry larger than the socket's send buffer goes in a sealed memfd. */
static void test_memfd(void **state)
{
	struct fixture *f = *state;
	const size_t big = 20 * 1024 * 1024;
	g_autofree char *label = filled(big, 'v');
	memcpy(label, "BIG=", 4);
	const char *labels[] = {label, NULL};
	TEST_NO_FD_LEAK({
		f->rx = bind_journal(f->path);
		struct log_journald_config cfg = {.cid = CID, .labels = (char **)labels};
		struct log_journald *j = sink_new(f, &cfg);
		sink_write(j, K8SLOG_STDOUT, "hello\n", 0);
		assert_int_equal(log_journald_lost_bytes(j), 0);

		char byte;
		struct iovec iov = {&byte, 1};
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(int) * 4)];
		} control;
		struct msghdr mh = {.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = control.buf,
				    .msg_controllen = sizeof(control.buf)};
		/* An empty payload and exactly one fd. */
		assert_int_equal(recvmsg(f->rx, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC), 0);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		assert_non_null(c);
		assert_int_equal(c->cmsg_type, SCM_RIGHTS);
		assert_int_equal(c->cmsg_len, CMSG_LEN(sizeof(int)));
		int fd;
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
		assert_null(CMSG_NXTHDR(&mh, c));
		assert_int_equal(fcntl(fd, F_GET_SEALS),
				 F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
		off_t size = lseek(fd, 0, SEEK_END);
		assert_true(size > (off_t)big);
		char *data = g_malloc((size_t)size);
		assert_int_equal(pread(fd, data, (size_t)size, 0), size);
		close(fd);
		check_entry(parse_entry(data, (size_t)size), &(struct want){.stream = K8SLOG_STDOUT,
									    .msg = "hello\n",
									    .labels = labels});
		g_free(data);
		assert_no_entry(f->rx);
		log_journald_free(j);
		close(f->rx);
		f->rx = -1;
	});
}

static void expect_refused(const struct log_journald_config *cfg, const char *message)
{
	g_autoptr(GError) error = NULL;
	assert_null(log_journald_new(cfg, &error));
	assert_non_null(error);
	assert_string_equal(error->message, message);
}

static void test_refused(void **state)
{
	TEST_NO_FD_LEAK({
		expect_refused(&(struct log_journald_config){.cid = "0123456789ab"},
			       "Container ID must be longer than 12 characters");
		expect_refused(&(struct log_journald_config){.cid = NULL},
			       "Container ID must be longer than 12 characters");
		static const struct {
			const char *label, *message;
		} bad[] = {
			{"=x",
			 "Container labels must be in format LABEL=VALUE (no LABEL present in "
			 "'=x')"},
			{"NOVALUE", "Container labels must be in format LABEL=VALUE (none or more "
				    "than one '=' present in 'NOVALUE')"},
			{"A=B=C", "Container labels must be in format LABEL=VALUE (none or more "
				  "than one '=' present in 'A=B=C')"},
			{"lower=x", "Container label names must contain only uppercase letters, "
				    "numbers and underscore (in 'lower=x')"},
			{"MY%LABEL=x", "Container label names must contain only uppercase "
				       "letters, numbers and underscore (in 'MY%LABEL=x')"},
		};
		for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
			const char *labels[] = {"GOOD_1=ok", bad[i].label, NULL};
			expect_refused(&(struct log_journald_config){.cid = CID,
								     .labels = (char **)labels},
				       bad[i].message);
			g_autoptr(GError) error = NULL;
			assert_false(log_journald_check_labels((char **)labels, &error));
			assert_string_equal(error->message, bad[i].message);
		}
		const char *good[] = {"A=", "Z_9=any thing", "_X=y", NULL};
		assert_true(log_journald_check_labels((char **)good, NULL));
		assert_true(log_journald_check_labels(NULL, NULL));
		g_autofree char *long_path = filled(200, 'p');
		g_autofree char *message =
			g_strdup_printf("Invalid journal socket path '%s'", long_path);
		expect_refused(&(struct log_journald_config){.cid = CID, .socket_path = long_path},
			       message);
	});
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_native_format),
		cmocka_unit_test_setup_teardown(test_record_build, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_writes_join, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_partial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identifiers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newline_in_fixed_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backpressure_loses_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memfd, setup, teardown),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
