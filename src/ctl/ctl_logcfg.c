/* A container's log driver and limits: options, checks, shim flags. */
#define G_LOG_DOMAIN "ctl"

#include "tether/ctl_logcfg.h"
#include "tether/ctl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

/* The shim renames every kept file on each rotation. */
#define CTL_LOGCFG_MAX_FILES 1000

static const char *const driver_names[] = {
	[CTL_LOG_K8S_FILE] = "k8s-file", [CTL_LOG_JSON_FILE] = "json-file",
	[CTL_LOG_JOURNALD] = "journald", [CTL_LOG_NONE] = "none",
	[CTL_LOG_SYSLOG] = "syslog",
};

const char *ctl_logcfg_driver_name(enum ctl_log_driver driver)
{
	return driver_names[driver];
}

int ctl_logcfg_driver_from_name(const char *name, enum ctl_log_driver *ret_driver)
{
	for (size_t i = 0; i < G_N_ELEMENTS(driver_names); i++)
		if (name != NULL && strcmp(name, driver_names[i]) == 0) {
			*ret_driver = (enum ctl_log_driver)i;
			return 0;
		}
	return -EINVAL;
}

int ctl_logcfg_parse_size(const char *text, int64_t *ret_bytes)
{
	const char *p = text;
	if (p == NULL || !g_ascii_isdigit(*p))
		return -EINVAL;
	int64_t v = 0;
	for (; g_ascii_isdigit(*p); p++) {
		if (v > (INT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (*p - '0');
	}
	int64_t mult = 1;
	switch (g_ascii_tolower(*p)) {
	case 'k':
		mult = INT64_C(1) << 10;
		break;
	case 'm':
		mult = INT64_C(1) << 20;
		break;
	case 'g':
		mult = INT64_C(1) << 30;
		break;
	}
	if (mult > 1) {
		p++;
		if (g_ascii_tolower(*p) == 'i' && g_ascii_tolower(p[1]) == 'b')
			p++;
	}
	if (g_ascii_tolower(*p) == 'b')
		p++;
	if (*p != '\0')
		return -EINVAL;
	if (v > INT64_MAX / mult)
		return -ERANGE;
	*ret_bytes = v * mult;
	return 0;
}

/* A rate or burst: 1 byte to 1 GiB, as the shim takes it. */
static bool parse_rate(const char *flag, const char *text, int64_t *ret, GError **error)
{
	if (ctl_logcfg_parse_size(text, ret) < 0 || *ret <= 0 || *ret > (INT64_C(1) << 30))
		return ctl_usage_error(
			error,
			"invalid %s '%s': give bytes, optionally with a k, m or g suffix, "
			"from 1 to 1g",
			flag, text);
	return true;
}

static bool policy_from_args(const struct ctl_logcfg_args *a, struct ctl_log_config *cfg,
			     GError **error)
{
	struct ctl_log_policy *p = &cfg->policy;
	if (a->rate != NULL && cfg->driver == CTL_LOG_NONE)
		return ctl_usage_error(error,
				       "--log-rate with --log-driver none: nothing is logged");
	if (a->rate != NULL && !parse_rate("--log-rate", a->rate, &p->rate, error))
		return false;
	if (a->burst != NULL && !parse_rate("--log-burst", a->burst, &p->burst, error))
		return false;
	if (a->rate_policy != NULL && strcmp(a->rate_policy, "drop") != 0 &&
	    strcmp(a->rate_policy, "block") != 0)
		return ctl_usage_error(error, "invalid --log-rate-policy '%s' (drop or block)",
				       a->rate_policy);
	if ((a->burst != NULL || a->rate_policy != NULL) && a->rate == NULL)
		return ctl_usage_error(error, "--log-burst and --log-rate-policy need --log-rate");
	p->block = a->rate_policy != NULL && strcmp(a->rate_policy, "block") == 0;
	if (a->compress && cfg->max_files == 0)
		return ctl_usage_error(error, "--log-compress needs --log-max-files (rotation)");
	p->compress = a->compress;
	return true;
}

bool ctl_logcfg_from_args(const struct ctl_logcfg_args *a, const char *id,
			  struct ctl_log_config *ret_cfg, GError **error)
{
	struct ctl_log_config cfg = {CTL_LOG_K8S_FILE, 0, 0, {0}};
	if (a->driver != NULL && ctl_logcfg_driver_from_name(a->driver, &cfg.driver) < 0)
		return ctl_usage_error(
			error,
			"unknown log driver '%s' (use k8s-file, json-file, journald, "
			"syslog or none)",
			a->driver);
	if (cfg.driver == CTL_LOG_JOURNALD && strlen(id) < CTL_LOGCFG_JOURNALD_MIN_ID)
		return ctl_usage_error(
			error,
			"--log-driver journald needs a container id of at least %d characters "
			"(the journal's CONTAINER_ID is its first 12); '%s' is too short",
			CTL_LOGCFG_JOURNALD_MIN_ID, id);
	bool file = cfg.driver == CTL_LOG_K8S_FILE || cfg.driver == CTL_LOG_JSON_FILE;
	if (a->size_max != NULL) {
		if (!file)
			return ctl_usage_error(
				error,
				"--log-size-max applies to the k8s-file and json-file drivers "
				"only, not %s",
				ctl_logcfg_driver_name(cfg.driver));
		int r = ctl_logcfg_parse_size(a->size_max, &cfg.size_max);
		if (r < 0 || cfg.size_max <= 0)
			return ctl_usage_error(
				error,
				"invalid --log-size-max '%s': give bytes, optionally with a k, "
				"m or g suffix (20k, 10m), more than 0",
				a->size_max);
	}
	if (a->max_files != CTL_LOGCFG_UNSET) {
		if (cfg.size_max == 0)
			return ctl_usage_error(error, "--log-max-files needs --log-size-max");
		if (a->max_files < 1 || a->max_files > CTL_LOGCFG_MAX_FILES)
			return ctl_usage_error(error, "--log-max-files must be between 1 and %d",
					       CTL_LOGCFG_MAX_FILES);
		cfg.max_files = a->max_files;
	}
	if (!policy_from_args(a, &cfg, error))
		return false;
	*ret_cfg = cfg;
	return true;
}

void ctl_logcfg_args_clear(struct ctl_logcfg_args *a)
{
	g_clear_pointer(&a->driver, g_free);
	g_clear_pointer(&a->size_max, g_free);
	a->max_files = CTL_LOGCFG_UNSET;
	g_clear_pointer(&a->rate, g_free);
	g_clear_pointer(&a->burst, g_free);
	g_clear_pointer(&a->rate_policy, g_free);
	a->compress = FALSE;
}

char *ctl_logcfg_file_path(enum ctl_log_driver driver, const char *cdir)
{
	if (driver == CTL_LOG_K8S_FILE)
		return g_build_filename(cdir, "ctr.log", NULL);
	if (driver == CTL_LOG_JSON_FILE)
		return g_build_filename(cdir, "ctr.json", NULL);
	return NULL;
}

void ctl_logcfg_shim_args(const struct ctl_log_config *cfg, const char *cdir, GPtrArray *argv)
{
	g_autofree char *path = ctl_logcfg_file_path(cfg->driver, cdir);
	g_ptr_array_add(argv, g_strdup("-l"));
	if (path != NULL)
		g_ptr_array_add(
			argv, g_strdup_printf("%s:%s", ctl_logcfg_driver_name(cfg->driver), path));
	else
		g_ptr_array_add(argv, g_strdup(ctl_logcfg_driver_name(cfg->driver)));
	if (cfg->size_max > 0) {
		g_ptr_array_add(argv, g_strdup("--log-size-max"));
		g_ptr_array_add(argv, g_strdup_printf("%" PRId64, cfg->size_max));
	}
	if (cfg->size_max > 0 && cfg->max_files > 0) {
		g_ptr_array_add(argv, g_strdup("--log-rotate"));
		g_ptr_array_add(argv, g_strdup("--log-max-files"));
		g_ptr_array_add(argv, g_strdup_printf("%d", cfg->max_files));
	}
	const struct ctl_log_policy *p = &cfg->policy;
	if (p->rate > 0) {
		g_ptr_array_add(argv, g_strdup("--log-rate"));
		g_ptr_array_add(argv, g_strdup_printf("%" PRId64, p->rate));
	}
	if (p->rate > 0 && p->burst > 0) {
		g_ptr_array_add(argv, g_strdup("--log-burst"));
		g_ptr_array_add(argv, g_strdup_printf("%" PRId64, p->burst));
	}
	if (p->rate > 0 && p->block) {
		g_ptr_array_add(argv, g_strdup("--log-rate-policy"));
		g_ptr_array_add(argv, g_strdup("block"));
	}
	if (p->compress && cfg->size_max > 0 && cfg->max_files > 0)
		g_ptr_array_add(argv, g_strdup("--log-compress"));
}
