// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-ring: output. The JSON emitter (one value per line, keys in a fixed
 * order: scripts parse it) and sizes for humans.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "nvme-ring.h"

/* ------------------------------------------------------------------ */
/* JSON: one value per line, fixed key order                            */
/* ------------------------------------------------------------------ */

static struct {
	int depth;
	bool comma[16];
} js;

static void j_sep(const char *key)
{
	if (js.depth) {
		fputs(js.comma[js.depth] ? ",\n" : "\n", stdout);
		printf("%*s", js.depth * 2, "");
	}
	js.comma[js.depth] = true;
	if (key)
		printf("\"%s\": ", key);
}

static void j_strval(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

void j_open(const char *key, char brace)
{
	j_sep(key);
	putchar(brace);
	js.depth++;
	js.comma[js.depth] = false;
}

void j_close(char brace)
{
	bool any = js.comma[js.depth];

	js.depth--;
	if (any)
		printf("\n%*s", js.depth * 2, "");
	putchar(brace);
	if (!js.depth)
		putchar('\n');
}

void j_str(const char *key, const char *val)
{
	j_sep(key);
	j_strval(val);
}

void j_u64(const char *key, uint64_t v)
{
	j_sep(key);
	printf("%" PRIu64, v);
}

void j_i64(const char *key, int64_t v)
{
	j_sep(key);
	printf("%" PRId64, v);
}

void j_dbl(const char *key, double v)
{
	j_sep(key);
	printf("%.2f", v);
}

void j_bool(const char *key, bool v)
{
	j_sep(key);
	fputs(v ? "true" : "false", stdout);
}

void human(uint64_t v, char *buf, size_t size)
{
	const char *u = "KMGT";
	double d = (double)v;
	int i = -1;

	while (d >= 1024 && i < 3) {
		d /= 1024;
		i++;
	}
	if (i < 0)
		snprintf(buf, size, "%" PRIu64, v);
	else
		snprintf(buf, size, "%.*f%c", d == (uint64_t)d ? 0 : 1, d, u[i]);
}
