/* The control socket's requests, against fake monitor ops. */
#include "testutil.h"
#include "tether/control.h"
#include "tether/jsonutil.h"

#include <string.h>

struct fake {
	bool exited;
	unsigned rows, cols;
	int reopens;
	int starts;
};

static void f_state(void *data, json_object *obj)
{
	struct fake *f = data;
	json_object_object_add(obj, "status",
			       json_object_new_string(f->exited ? "exited" : "running"));
}

static void f_stats(void *data, json_object *obj)
{
	json_object_object_add(obj, "stdout_bytes", json_object_new_int(42));
}

static bool f_exited(void *data)
{
	return ((struct fake *)data)->exited;
}

static const char *f_resize(void *data, unsigned rows, unsigned cols)
{
	struct fake *f = data;
	f->rows = rows;
	f->cols = cols;
	return NULL;
}

static const char *f_reopen(void *data)
{
	((struct fake *)data)->reopens++;
	return "no log";
}

static const char *f_started(void *data)
{
	struct fake *f = data;
	return f->starts++ > 0 ? "already started" : NULL;
}

static char *f_metrics(void *data)
{
	return g_strdup("# TYPE x gauge\nx{a=\"b\"} 1\n");
}

static json_object *f_replay(void *data, size_t n)
{
	if (n == 0)
		return NULL;
	json_object *a = json_object_new_array();
	json_object_array_add(a, json_object_new_int((int)n));
	return a;
}

static char *f_upgrade(void *data, const char *binary)
{
	if (binary != NULL && strcmp(binary, "/no/such") == 0)
		return g_strdup("/no/such: No such file or directory");
	return NULL;
}

static const struct control_ops ops = {f_state,	  f_stats,   f_exited, f_resize, f_reopen,
				       f_started, f_metrics, f_replay, f_upgrade};

static struct control_defer last_defer;

static char *ask(struct fake *f, const char *line, bool *wait, bool *sub)
{
	g_autoptr(json_object) r = control_handle(&ops, f, line, strlen(line), &last_defer);
	if (wait)
		*wait = last_defer.wait;
	if (sub)
		*sub = last_defer.subscribe;
	return r ? g_strdup(json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN)) : NULL;
}

static void test_requests(void **state)
{
	struct fake f = {0};
	g_autofree char *v = ask(&f, "{\"id\": 7, \"request\": \"version\"}", NULL, NULL);
	assert_non_null(strstr(v, "\"ok\":true"));
	assert_non_null(strstr(v, "\"id\":7"));
	g_autofree char *st = ask(&f, "{\"request\": \"state\"}", NULL, NULL);
	assert_non_null(strstr(st, "\"status\":\"running\""));
	g_autofree char *ss = ask(&f, "{\"request\": \"stats\", \"id\": \"x\"}", NULL, NULL);
	assert_non_null(strstr(ss, "\"stdout_bytes\":42"));
	assert_non_null(strstr(ss, "\"id\":\"x\""));
	g_autofree char *rs =
		ask(&f, "{\"request\": \"resize\", \"rows\": 40, \"cols\": 132}", NULL, NULL);
	assert_non_null(strstr(rs, "\"ok\":true"));
	assert_int_equal(f.rows, 40);
	assert_int_equal(f.cols, 132);
	g_autofree char *ro = ask(&f, "{\"request\": \"reopen\"}", NULL, NULL);
	assert_non_null(strstr(ro, "\"error\":\"no log\""));
	assert_int_equal(f.reopens, 1);
	g_autofree char *s1 = ask(&f, "{\"request\": \"started\"}", NULL, NULL);
	assert_non_null(strstr(s1, "\"ok\":true"));
	g_autofree char *s2 = ask(&f, "{\"request\": \"started\"}", NULL, NULL);
	assert_non_null(strstr(s2, "\"error\":\"already started\""));
	assert_int_equal(f.starts, 2);
	g_autofree char *rp = ask(&f, "{\"request\": \"replay\", \"bytes\": 7}", NULL, NULL);
	assert_non_null(strstr(rp, "\"chunks\":[7]"));
	g_autofree char *rn = ask(&f, "{\"request\": \"replay\", \"bytes\": 0}", NULL, NULL);
	assert_non_null(strstr(rn, "no output is kept"));
	g_autofree char *rb = ask(&f, "{\"request\": \"replay\"}", NULL, NULL);
	assert_non_null(strstr(rb, "replay needs"));
	g_autofree char *m = ask(&f, "{\"request\": \"metrics\"}", NULL, NULL);
	assert_non_null(strstr(m, "\"text\":\"# TYPE x gauge\\nx{a=\\\"b\\\"} 1\\n\""));
}

static void test_wait_and_subscribe(void **state)
{
	struct fake f = {0};
	bool wait, sub;
	g_autofree char *w = ask(&f, "{\"request\": \"wait\"}", &wait, &sub);
	assert_null(w); /* answered at exit */
	assert_true(wait);
	f.exited = true;
	g_autofree char *w2 = ask(&f, "{\"request\": \"wait\"}", &wait, &sub);
	assert_non_null(strstr(w2, "\"status\":\"exited\""));
	assert_false(wait);
	g_autofree char *s = ask(&f, "{\"request\": \"subscribe\"}", &wait, &sub);
	assert_true(sub);
	assert_non_null(strstr(s, "\"ok\":true"));
}

static void test_upgrade(void **state)
{
	struct fake f = {0};
	/* Under way: answered by the upgraded shim. */
	g_autofree char *u = ask(&f, "{\"request\": \"upgrade\"}", NULL, NULL);
	assert_null(u);
	assert_true(last_defer.upgrade);
	assert_false(last_defer.wait);
	g_autofree char *u2 = ask(&f, "{\"request\": \"upgrade\", \"binary\": \"/x\"}", NULL, NULL);
	assert_null(u2);
	assert_true(last_defer.upgrade);
	/* Refused at once: the reason, and nothing deferred. */
	g_autofree char *bad = ask(
		&f, "{\"request\": \"upgrade\", \"binary\": \"/no/such\", \"id\": 4}", NULL, NULL);
	assert_string_equal(bad, "{\"ok\":false,\"error\":\"\\/no\\/such: No such file or "
				 "directory\",\"id\":4}");
	assert_false(last_defer.upgrade);
	g_autofree char *bad2 = ask(&f, "{\"request\": \"upgrade\", \"binary\": 1}", NULL, NULL);
	assert_non_null(strstr(bad2, "\"ok\":false"));
	assert_false(last_defer.upgrade);
}

static void test_bad_requests(void **state)
{
	struct fake f = {0};
	const char *bad[] = {"",
			     "{",
			     "[1]",
			     "\"state\"",
			     "{\"request\": 3}",
			     "{}",
			     "{\"request\": \"state\"} trailing",
			     "{\"request\":\"state\"}{}"};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *r = ask(&f, bad[i], NULL, NULL);
		assert_non_null(r);
		assert_non_null(strstr(r, "\"ok\":false"));
	}
	g_autofree char *u = ask(&f, "{\"request\": \"reboot\"}", NULL, NULL);
	assert_non_null(strstr(u, "unknown request 'reboot'"));
	const char *sizes[] = {"{\"request\": \"resize\", \"rows\": -1, \"cols\": 2}",
			       "{\"request\": \"resize\", \"rows\": 70000, \"cols\": 2}",
			       "{\"request\": \"resize\", \"rows\": \"1\", \"cols\": 2}",
			       "{\"request\": \"resize\", \"rows\": 1}"};
	for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
		g_autofree char *r = ask(&f, sizes[i], NULL, NULL);
		assert_non_null(strstr(r, "\"ok\":false"));
	}
	assert_int_equal(f.rows, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_wait_and_subscribe),
		cmocka_unit_test(test_upgrade),
		cmocka_unit_test(test_bad_requests),
	};
	return cmocka_run_group_tests_name("control", tests, NULL, NULL);
}
