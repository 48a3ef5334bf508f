// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-ring: administer nvme_ring_io rings and measure them.
 *
 * A thin, scriptable front over the module's configfs and sysfs trees:
 *
 *   /sys/kernel/config/nvme_ring_io/<name>/   configuration, enable
 *   /sys/class/nvme_ring_io/<name>/           state and counters
 *   /dev/nvme_ring/<name>                     the ring (libnvmering)
 *
 *   nvme-ring create NAME --device DEV [options]
 *   nvme-ring list|show NAME|stat NAME|destroy NAME
 *   nvme-ring perf NAME [options]
 *
 * Every subcommand takes --help. list, show, stat and perf take -o json.
 *
 * This file dispatches the commands; admin.c has create, destroy, list,
 * show and stat, perf.c and perf-worker.c perf, output.c the JSON emitter,
 * parse.c the option and number parsing, sysfs.c the module's files.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nvme-ring.h"

const char *cur_cmd = "";

void err_msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s%s%s: ", PROG, *cur_cmd ? " " : "", cur_cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void hint(const char *fmt, ...)
{
	va_list ap;

	fputs("  hint: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage_main(FILE *f)
{
	fprintf(f,
"Usage: nvme-ring COMMAND [options] [NAME]\n"
"\n"
"Administer nvme_ring_io rings (shared-memory NVMe passthrough queues).\n"
"\n"
"Commands:\n"
"  create NAME --device DEV [...]   make and enable a ring\n"
"  destroy NAME                     disable and remove a ring\n"
"  list [-o json]                   list the rings\n"
"  show NAME [-o json]              configuration and queues of a ring\n"
"  stat NAME [-i S] [-c N] [-o json] counters, or rates every S seconds\n"
"  perf NAME [...]                  measure (and verify) I/O through a ring\n"
"  save [FILE]                      write the rings' configuration to FILE\n"
"                                   (/etc/nvme-ring/rings.json)\n"
"  restore [FILE]                   make the saved rings again\n"
"  clear                            destroy every configured ring\n"
"  help [COMMAND]                   this text, or a command's\n"
"  version                          the tool's version\n"
"\n"
"'nvme-ring COMMAND --help' describes a command's options.\n");
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	void (*usage)(FILE *f);
} cmds[] = {
	{ "create", cmd_create, usage_create },
	{ "destroy", cmd_destroy, usage_destroy },
	{ "list", cmd_list, usage_list },
	{ "show", cmd_show, usage_show },
	{ "stat", cmd_stat, usage_stat },
	{ "perf", cmd_perf, usage_perf },
	{ "save", cmd_save, usage_save },
	{ "restore", cmd_restore, usage_restore },
	{ "clear", cmd_clear, usage_clear },
};

int main(int argc, char **argv)
{
	unsigned int i;

	if (argc < 2) {
		usage_main(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		if (argc > 2)
			for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
				if (!strcmp(argv[2], cmds[i].name)) {
					cmds[i].usage(stdout);
					return 0;
				}
		usage_main(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("nvme-ring %s (nvme_ring_io ABI %d)\n", VERSION,
		       NVME_RING_IO_ABI_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!strcmp(argv[1], cmds[i].name)) {
			static char prog[64];

			cur_cmd = cmds[i].name;
			snprintf(prog, sizeof(prog), "%s %s", PROG, cur_cmd);
			argv[1] = prog;	/* getopt's messages name the command */
			return cmds[i].fn(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "%s: unknown command '%s'; try '%s --help'\n", PROG,
		argv[1], PROG);
	return EXIT_USAGE;
}
