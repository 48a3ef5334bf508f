// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-ring: parsing. Numbers, sizes, CPU and queue lists, ring names,
 * the options every command shares, and usage errors (exit status 2).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "nvme-ring.h"

bool valid_name(const char *name)
{
	const char *p;

	if (!*name || strlen(name) > 31 || !strncmp(name, "anon.", 5))
		return false;
	for (p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' &&
		    *p != '.')
			return false;
	return true;
}

/* Size with optional k/m/g (binary) suffix. */
int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno)
		return -1;
	switch (tolower((unsigned char)*end)) {
	case 'k': v <<= 10; end++; break;
	case 'm': v <<= 20; end++; break;
	case 'g': v <<= 30; end++; break;
	default: break;
	}
	if (*end == 'i' || *end == 'I')
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end)
		return -1;
	*out = v;
	return 0;
}

int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

int parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno || *end || end == s || *out < 0 ? -1 : 0;
}

/* A CPU list "0-3,8": just its syntax; the kernel checks the CPUs. */
bool cpulist_syntax_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && *s != ',' && *s != '-')
			return false;
	return true;
}

/* After getopt's own message: where to look, exit status 2. */
void try_help(void)
{
	fprintf(stderr, "Try '%s %s --help'.\n", PROG, cur_cmd);
	exit(EXIT_USAGE);
}

void usage_error(void (*usage)(FILE *), const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s %s: ", PROG, cur_cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	(void)usage;
	try_help();
}

/* -o json / -o normal */
bool parse_output(const char *s, void (*usage)(FILE *))
{
	if (!strcmp(s, "json"))
		return true;
	if (!strcmp(s, "normal") || !strcmp(s, "table"))
		return false;
	usage_error(usage, "unknown output format '%s' (json or normal)", s);
}

/* Options of commands with no others: --help, and -o where json is given. */
int simple_opts(int argc, char **argv, void (*usage)(FILE *), bool *json)
{
	static const struct option lo[] = {
		{ "output-format", 1, NULL, 'o' }, { "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, json ? "o:h" : "h", lo, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!json)
				usage_error(usage, "-o is not supported here");
			*json = parse_output(optarg, usage);
			break;
		case 'h': usage(stdout); exit(0);
		default: try_help();
		}
	}
	return optind;
}

/* The one NAME argument at argv[ind]. */
const char *need_name(int argc, char **argv, int ind, void (*usage)(FILE *))
{
	if (ind >= argc)
		usage_error(usage, "missing ring NAME");
	if (ind + 1 < argc)
		usage_error(usage, "unexpected argument '%s'", argv[ind + 1]);
	return argv[ind];
}

/* A queue list "0,2-3" as a mask of up to 256 queues. */
int parse_queue_list(const char *s, uint64_t mask[4])
{
	char *copy = strdup(s), *tok, *save;
	int ret = 0;

	memset(mask, 0, 4 * sizeof(*mask));
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');
		uint64_t lo, hi, i;

		if (dash)
			*dash = 0;
		if (parse_u64(tok, &lo) || (dash && parse_u64(dash + 1, &hi))) {
			ret = -1;
			break;
		}
		if (!dash)
			hi = lo;
		if (lo > hi || hi >= 256) {
			ret = -1;
			break;
		}
		for (i = lo; i <= hi; i++)
			mask[i / 64] |= 1ULL << (i % 64);
	}
	free(copy);
	return ret;
}
