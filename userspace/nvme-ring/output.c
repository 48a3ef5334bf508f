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
	FILE *out;		/* NULL: stdout */
} js;

#define JOUT	(js.out ? js.out : stdout)

/* Where the JSON goes from now on (NULL: stdout). */
void j_output(FILE *f)
{
	js.out = f;
}

static void j_sep(const char *key)
{
	if (js.depth) {
		fputs(js.comma[js.depth] ? ",\n" : "\n", JOUT);
		fprintf(JOUT, "%*s", js.depth * 2, "");
	}
	js.comma[js.depth] = true;
	if (key)
		fprintf(JOUT, "\"%s\": ", key);
}

static void j_strval(const char *s)
{
	fputc('"', JOUT);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(JOUT, "\\%c", c);
		else if (c < 0x20)
			fprintf(JOUT, "\\u%04x", c);
		else
			fputc(c, JOUT);
	}
	fputc('"', JOUT);
}

void j_open(const char *key, char brace)
{
	j_sep(key);
	fputc(brace, JOUT);
	js.depth++;
	js.comma[js.depth] = false;
}

void j_close(char brace)
{
	bool any = js.comma[js.depth];

	js.depth--;
	if (any)
		fprintf(JOUT, "\n%*s", js.depth * 2, "");
	fputc(brace, JOUT);
	if (!js.depth)
		fputc('\n', JOUT);
}

void j_str(const char *key, const char *val)
{
	j_sep(key);
	j_strval(val);
}

void j_u64(const char *key, uint64_t v)
{
	j_sep(key);
	fprintf(JOUT, "%" PRIu64, v);
}

void j_i64(const char *key, int64_t v)
{
	j_sep(key);
	fprintf(JOUT, "%" PRId64, v);
}

void j_dbl(const char *key, double v)
{
	j_sep(key);
	fprintf(JOUT, "%.2f", v);
}

void j_bool(const char *key, bool v)
{
	j_sep(key);
	fputs(v ? "true" : "false", JOUT);
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
