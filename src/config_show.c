#include "autoconfig.h"

#include "config_show.h"

static void show_list(FILE *out, const char *label, const struct config_cors_list *list)
{
	if (list->count == 0)
		return;
	fprintf(out, "; %s", label);
	for (size_t i = 0; i < list->count; i++)
		fprintf(out, " %s", list->items[i]);
}

static void show_cors(const struct config *cfg, FILE *out)
{
	if (cfg->cors_origins.count == 0)
		return;
	fprintf(out, "cors: origins");
	for (size_t i = 0; i < cfg->cors_origins.count; i++)
		fprintf(out, " %s", cfg->cors_origins.items[i]);
	show_list(out, "request headers", &cfg->cors_headers);
	show_list(out, "exposed headers", &cfg->cors_expose_headers);
	fprintf(out, "; preflights kept %lld s\n", (long long)(cfg->cors_max_age_ms / 1000));
}

static void show_fallback(const struct config *cfg, FILE *out)
{
	if (cfg->fallback.path == NULL)
		return;
	fprintf(out, "fallback: %s for %s\n", cfg->fallback.path,
	        cfg->fallback.scope == FALLBACK_ALL
	            ? "every path that names nothing"
	            : "paths without an extension that name nothing");
}

void config_show(const struct config *cfg, FILE *out)
{
	show_cors(cfg, out);
	show_fallback(cfg, out);
}
