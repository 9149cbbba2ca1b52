/* Signal names and numbers, as kill takes them. */
#include "tether/signame.h"

#include <errno.h>
#include <stdbool.h>
#include <glib.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	int signo;
} signame_table[] = {
	{"HUP", SIGHUP},       {"INT", SIGINT},	    {"QUIT", SIGQUIT}, {"ILL", SIGILL},
	{"TRAP", SIGTRAP},     {"ABRT", SIGABRT},   {"IOT", SIGIOT},   {"BUS", SIGBUS},
	{"FPE", SIGFPE},       {"KILL", SIGKILL},   {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},
	{"USR2", SIGUSR2},     {"PIPE", SIGPIPE},   {"ALRM", SIGALRM}, {"TERM", SIGTERM},
	{"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CLD", SIGCHLD},  {"CONT", SIGCONT},
	{"STOP", SIGSTOP},     {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},
	{"URG", SIGURG},       {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM},
	{"PROF", SIGPROF},     {"WINCH", SIGWINCH}, {"IO", SIGIO},     {"POLL", SIGPOLL},
	{"PWR", SIGPWR},       {"SYS", SIGSYS},
};

/* A decimal number in [lo, hi], nothing else. */
static int parse_num(const char *s, int lo, int hi)
{
	if (*s == '\0' || !g_ascii_isdigit(*s))
		return -EINVAL;
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -EINVAL;
	return (int)v;
}

int signame_parse(const char *text)
{
	if (text == NULL || *text == '\0')
		return -EINVAL;
	if (g_ascii_isdigit(*text))
		return parse_num(text, 1, SIGRTMAX);

	const char *name = text;
	if (g_ascii_strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; i < G_N_ELEMENTS(signame_table); i++)
		if (g_ascii_strcasecmp(name, signame_table[i].name) == 0)
			return signame_table[i].signo;

	/* RTMIN, RTMIN+N, RTMAX, RTMAX-N */
	if (g_ascii_strncasecmp(name, "RTMIN", 5) == 0 ||
	    g_ascii_strncasecmp(name, "RTMAX", 5) == 0) {
		bool min = g_ascii_toupper(name[4]) == 'N';
		int base = min ? SIGRTMIN : SIGRTMAX;
		const char *rest = name + 5;
		if (*rest == '\0')
			return base;
		if (*rest != (min ? '+' : '-'))
			return -EINVAL;
		int off = parse_num(rest + 1, 0, SIGRTMAX - SIGRTMIN);
		if (off < 0)
			return off;
		return min ? base + off : base - off;
	}
	return -EINVAL;
}

const char *signame_name(int signo)
{
	for (size_t i = 0; i < G_N_ELEMENTS(signame_table); i++)
		if (signame_table[i].signo == signo)
			return signame_table[i].name;
	return NULL;
}
