// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-ring: save, restore and clear, the way nvmetcli keeps nvmet's
 * configuration: the administrator's rings go into a JSON file and come
 * back from it (at boot, from nvme-ring.service).
 *
 * The file (format "nvme-ring", version 1):
 *
 *   {
 *     "format": "nvme-ring",
 *     "version": 1,
 *     "rings": [
 *       {
 *         "name": "db0",
 *         "enable": true,
 *         "namespace": {
 *           "path": "/dev/nvme0n1",	the device attribute as written
 *           "nguid": "...", "eui64": "...", "uuid": "...",
 *           "subsysnqn": "...", "nsid": 1
 *         },
 *         "attributes": { "cpus": "0-3", "sq_entries": "256", ... }
 *       }
 *     ]
 *   }
 *
 * Identifiers the namespace does not have are left out. restore binds each
 * ring to the namespace with the same identity, in this order: NGUID,
 * EUI-64, UUID, then subsystem NQN and namespace id; the saved path only
 * names it in messages. A ring is made whole or not at all; a ring that
 * already exists as saved is left alone, one that differs is refused.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nvme-ring.h"

#define DEFAULT_FILE	"/etc/nvme-ring/rings.json"
#define FORMAT_NAME	"nvme-ring"
#define FORMAT_VERSION	1

/* ------------------------------------------------------------------ */
/* A small JSON reader, for this file's format                          */
/* ------------------------------------------------------------------ */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jval {
	enum jtype type;
	char *str;		/* J_STR */
	double num;		/* J_NUM, J_BOOL */
	char **keys;		/* J_OBJ */
	struct jval **items;	/* J_ARR, J_OBJ */
	int n;
};

struct jparse {
	const char *p;
	int line;
	char err[128];
};

static struct jval *jparse_value(struct jparse *jp, int depth);

static void jfree(struct jval *v)
{
	int i;

	if (!v)
		return;
	for (i = 0; i < v->n; i++) {
		if (v->keys)
			free(v->keys[i]);
		jfree(v->items[i]);
	}
	free(v->keys);
	free(v->items);
	free(v->str);
	free(v);
}

static void jskip(struct jparse *jp)
{
	while (isspace((unsigned char)*jp->p)) {
		if (*jp->p == '\n')
			jp->line++;
		jp->p++;
	}
}

static struct jval *jerr(struct jparse *jp, const char *what)
{
	if (!jp->err[0])
		snprintf(jp->err, sizeof(jp->err), "line %d: %s", jp->line, what);
	return NULL;
}

static char *jparse_string(struct jparse *jp)
{
	size_t cap = 32, len = 0;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	jp->p++;		/* the opening quote */
	while (*jp->p && *jp->p != '"') {
		char c = *jp->p++;

		if (c == '\\') {
			c = *jp->p++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'u': {
				unsigned int u;

				if (sscanf(jp->p, "%4x", &u) != 1 || u > 0x7f) {
					free(s);
					jerr(jp, "a \\u escape other than ASCII");
					return NULL;
				}
				c = (char)u;
				jp->p += 4;
				break;
			}
			case '"': case '\\': case '/': break;
			default:
				free(s);
				jerr(jp, "a bad escape in a string");
				return NULL;
			}
		} else if ((unsigned char)c < 0x20) {
			free(s);
			jerr(jp, "a control character in a string");
			return NULL;
		}
		if (len + 2 > cap) {
			char *t = realloc(s, cap *= 2);

			if (!t) {
				free(s);
				return NULL;
			}
			s = t;
		}
		s[len++] = c;
	}
	if (*jp->p != '"') {
		free(s);
		jerr(jp, "a string without its closing quote");
		return NULL;
	}
	jp->p++;
	s[len] = 0;
	return s;
}

static int jpush(struct jval *v, char *key, struct jval *item)
{
	struct jval **items = realloc(v->items, sizeof(*items) * (v->n + 1));

	if (!items)
		return -1;
	v->items = items;
	if (v->type == J_OBJ) {
		char **keys = realloc(v->keys, sizeof(*keys) * (v->n + 1));

		if (!keys)
			return -1;
		v->keys = keys;
		v->keys[v->n] = key;
	}
	v->items[v->n++] = item;
	return 0;
}

static struct jval *jparse_container(struct jparse *jp, int depth, char close)
{
	struct jval *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->type = close == '}' ? J_OBJ : J_ARR;
	jp->p++;
	jskip(jp);
	if (*jp->p == close) {
		jp->p++;
		return v;
	}
	for (;;) {
		struct jval *item;
		char *key = NULL;

		jskip(jp);
		if (v->type == J_OBJ) {
			if (*jp->p != '"')
				goto bad;
			key = jparse_string(jp);
			if (!key)
				goto fail;
			jskip(jp);
			if (*jp->p != ':') {
				free(key);
				goto bad;
			}
			jp->p++;
		}
		item = jparse_value(jp, depth + 1);
		if (!item || jpush(v, key, item)) {
			free(key);
			jfree(item);
			goto fail;
		}
		jskip(jp);
		if (*jp->p == ',') {
			jp->p++;
			continue;
		}
		if (*jp->p == close) {
			jp->p++;
			return v;
		}
		goto bad;
	}
bad:
	jerr(jp, close == '}' ? "expected a \"key\": value, ',' or '}'" :
				"expected a value, ',' or ']'");
fail:
	jfree(v);
	return NULL;
}

static struct jval *jparse_value(struct jparse *jp, int depth)
{
	struct jval *v;
	char *end;

	if (depth > 16)
		return jerr(jp, "nested too deep");
	jskip(jp);
	if (*jp->p == '{')
		return jparse_container(jp, depth, '}');
	if (*jp->p == '[')
		return jparse_container(jp, depth, ']');
	v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	if (*jp->p == '"') {
		v->type = J_STR;
		v->str = jparse_string(jp);
		if (!v->str) {
			free(v);
			return NULL;
		}
	} else if (!strncmp(jp->p, "true", 4) || !strncmp(jp->p, "false", 5)) {
		v->type = J_BOOL;
		v->num = *jp->p == 't';
		jp->p += *jp->p == 't' ? 4 : 5;
	} else if (!strncmp(jp->p, "null", 4)) {
		jp->p += 4;
	} else {
		v->type = J_NUM;
		v->num = strtod(jp->p, &end);
		if (end == jp->p) {
			free(v);
			return jerr(jp, "expected a value");
		}
		jp->p = end;
	}
	return v;
}

static struct jval *jget(const struct jval *o, const char *key)
{
	int i;

	if (!o || o->type != J_OBJ)
		return NULL;
	for (i = 0; i < o->n; i++) {
		if (!strcmp(o->keys[i], key))
			return o->items[i];
	}
	return NULL;
}

static const char *jstr(const struct jval *o, const char *key)
{
	const struct jval *v = jget(o, key);

	return v && v->type == J_STR ? v->str : NULL;
}

/* ------------------------------------------------------------------ */
/* Namespace identity                                                   */
/* ------------------------------------------------------------------ */

struct ns_id {
	char blk[64];		/* nvmeXnY */
	char nguid[64], eui64[64], uuid[64], subsysnqn[256];
	uint64_t nsid;
};

/* /dev/nvmeXnY or /dev/ngXnY -> nvmeXnY; false if neither */
static bool ns_block_name(const char *path, char *blk, size_t size)
{
	const char *b = strrchr(path, '/');
	unsigned int c, n;

	b = b ? b + 1 : path;
	if (sscanf(b, "nvme%un%u", &c, &n) == 2 || sscanf(b, "ng%un%u", &c, &n) == 2) {
		snprintf(blk, size, "nvme%un%u", c, n);
		return true;
	}
	return false;
}

static void read_id(const char *blk, const char *file, char *out, size_t size)
{
	out[0] = 0;
	read_strf(out, size, "/sys/block/%s/%s", blk, file);
}

/* The identity of namespace blk; -ENODEV when it is not there. */
static int ns_identity(const char *blk, struct ns_id *id)
{
	char buf[64];

	memset(id, 0, sizeof(*id));
	snprintf(id->blk, sizeof(id->blk), "%s", blk);
	if (read_strf(buf, sizeof(buf), "/sys/block/%s/nsid", blk) < 0)
		return -ENODEV;
	id->nsid = strtoull(buf, NULL, 0);
	read_id(blk, "nguid", id->nguid, sizeof(id->nguid));
	read_id(blk, "eui", id->eui64, sizeof(id->eui64));
	read_id(blk, "uuid", id->uuid, sizeof(id->uuid));
	/* the controller's, or a multipath head's subsystem's */
	read_id(blk, "device/subsysnqn", id->subsysnqn, sizeof(id->subsysnqn));
	return 0;
}

/* How a saved identity and a namespace's agree: the strongest shared id */
static const char *id_match(const struct ns_id *saved, const struct ns_id *ns)
{
	if (saved->nguid[0] && ns->nguid[0])
		return strcmp(saved->nguid, ns->nguid) ? NULL : "NGUID";
	if (saved->eui64[0] && ns->eui64[0])
		return strcmp(saved->eui64, ns->eui64) ? NULL : "EUI-64";
	if (saved->uuid[0] && ns->uuid[0])
		return strcmp(saved->uuid, ns->uuid) ? NULL : "UUID";
	if (saved->subsysnqn[0] && ns->subsysnqn[0])
		return !strcmp(saved->subsysnqn, ns->subsysnqn) &&
		       saved->nsid == ns->nsid ? "subsystem NQN and namespace id" : NULL;
	return NULL;
}

static void id_describe(const struct ns_id *id, char *out, size_t size)
{
	if (id->nguid[0])
		snprintf(out, size, "NGUID %s", id->nguid);
	else if (id->eui64[0])
		snprintf(out, size, "EUI-64 %s", id->eui64);
	else if (id->uuid[0])
		snprintf(out, size, "UUID %s", id->uuid);
	else
		snprintf(out, size, "namespace %llu of %s",
			 (unsigned long long)id->nsid, id->subsysnqn);
}

/* ------------------------------------------------------------------ */
/* save                                                                 */
/* ------------------------------------------------------------------ */

void usage_save(FILE *f)
{
	fprintf(f,
"Usage: nvme-ring save [FILE]\n"
"\n"
"Write every configured ring (configfs), enabled or not, to FILE (default\n"
DEFAULT_FILE "; - for standard output) as JSON: its attributes, whether\n"
"it is enabled, and its namespace by a stable identity (NGUID, EUI-64,\n"
"UUID, subsystem NQN and namespace id) besides the path it was given.\n"
"nvme-ring restore makes them again. Anonymous rings are not saved.\n");
}

/* The ring's attributes, in the features file's order */
static int attr_names(char ***out)
{
	char buf[4096], *save = NULL, *tok;
	char **names = NULL;
	int n = 0;

	if (read_str(CFS_ROOT "/features", buf, sizeof(buf)) < 0)
		return -1;
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		char **t = realloc(names, sizeof(*names) * (n + 1));

		if (!t)
			exit(1);
		names = t;
		names[n++] = strdup(tok);
	}
	*out = names;
	return n;
}

static void free_names(char **names, int n)
{
	while (n > 0)
		free(names[--n]);
	free(names);
}

static void save_ring(const char *name, char **attrs, int nattrs)
{
	char val[4096], blk[64], en[16] = "0";
	struct ns_id id;
	int i;

	j_open(NULL, '{');
	j_str("name", name);
	read_strf(en, sizeof(en), CFS_ROOT "/%s/enable", name);
	j_bool("enable", en[0] == '1');
	j_open("namespace", '{');
	val[0] = 0;
	read_strf(val, sizeof(val), CFS_ROOT "/%s/device", name);
	j_str("path", val);
	if (ns_block_name(val, blk, sizeof(blk)) && !ns_identity(blk, &id)) {
		if (id.nguid[0])
			j_str("nguid", id.nguid);
		if (id.eui64[0])
			j_str("eui64", id.eui64);
		if (id.uuid[0])
			j_str("uuid", id.uuid);
		if (id.subsysnqn[0])
			j_str("subsysnqn", id.subsysnqn);
		j_u64("nsid", id.nsid);
	}
	j_close('}');
	j_open("attributes", '{');
	for (i = 0; i < nattrs; i++) {
		if (!strcmp(attrs[i], "device") || !strcmp(attrs[i], "enable"))
			continue;
		val[0] = 0;
		if (read_strf(val, sizeof(val), CFS_ROOT "/%s/%s", name, attrs[i]) < 0)
			continue;
		j_str(attrs[i], val);
	}
	j_close('}');
	j_close('}');
}

int cmd_save(int argc, char **argv)
{
	const char *file = DEFAULT_FILE;
	char tmp[PATH_MAX + 8], dir[PATH_MAX], **names, **attrs;
	int n, nattrs, i, saved = 0, ind;
	FILE *f = stdout;

	ind = simple_opts(argc, argv, usage_save, NULL);
	if (ind < argc)
		file = argv[ind++];
	if (ind < argc)
		usage_error(usage_save, "unexpected argument '%s'", argv[ind]);
	if (require_module(true))
		return 1;
	nattrs = attr_names(&attrs);
	if (nattrs < 0) {
		err_msg("cannot read %s/features", CFS_ROOT);
		return 1;
	}
	if (strcmp(file, "-")) {
		char *slash;

		snprintf(dir, sizeof(dir), "%s", file);
		slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = 0;
			if (mkdir(dir, 0755) && errno != EEXIST) {
				err_msg("cannot create %s: %s", dir, strerror(errno));
				return 1;
			}
		}
		/* written beside it and renamed: never half a file */
		snprintf(tmp, sizeof(tmp), "%s.tmp", file);
		f = fopen(tmp, "w");
		if (!f) {
			err_msg("cannot write %s: %s%s", tmp, strerror(errno),
				errno == EACCES ? " (run as root)" : "");
			return 1;
		}
	}
	j_output(f);
	j_open(NULL, '{');
	j_str("format", FORMAT_NAME);
	j_u64("version", FORMAT_VERSION);
	j_open("rings", '[');
	n = ring_names(&names);
	for (i = 0; i < n; i++) {
		if (ring_configured(names[i])) {
			save_ring(names[i], attrs, nattrs);
			saved++;
		}
		free(names[i]);
	}
	free(names);
	j_close(']');
	j_close('}');
	j_output(NULL);
	free_names(attrs, nattrs);
	if (f != stdout) {
		if (fflush(f) || fsync(fileno(f)) || fclose(f) || rename(tmp, file)) {
			err_msg("cannot write %s: %s", file, strerror(errno));
			unlink(tmp);
			return 1;
		}
		printf("saved %d ring(s) to %s\n", saved, file);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* restore                                                              */
/* ------------------------------------------------------------------ */

void usage_restore(FILE *f)
{
	fprintf(f,
"Usage: nvme-ring restore [FILE]\n"
"\n"
"Make the rings nvme-ring save wrote to FILE (default " DEFAULT_FILE ";\n"
"- for standard input). Each ring is bound to the namespace with the saved\n"
"identity (NGUID, EUI-64, UUID, or subsystem NQN and namespace id), wherever\n"
"it is now; a ring whose namespace is not found, or whose saved path now\n"
"holds another namespace and the saved one is nowhere, is refused. A ring\n"
"is made whole or not at all. One that already exists as saved is left\n"
"alone (restore can run again); one that exists but differs is refused.\n"
"Exit status 1 when any ring was refused; the others are made.\n");
}

static char *slurp(const char *file)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	size_t cap = 4096, len = 0, r;
	char *buf;

	if (!f)
		return NULL;
	buf = malloc(cap);
	while (buf && (r = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += r;
		if (len + 1 == cap) {
			char *t = realloc(buf, cap *= 2);

			if (!t)
				free(buf);
			buf = t;
		}
	}
	if (buf)
		buf[len] = 0;
	if (f != stdin)
		fclose(f);
	return buf;
}

/* The namespace with the saved identity: 0 and *found, or -errno */
static int find_namespace(const struct ns_id *saved, struct ns_id *found,
			  const char **how)
{
	DIR *d = opendir("/sys/block");
	struct dirent *e;
	int matches = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		struct ns_id id;
		const char *m;
		unsigned int c, n;

		if (sscanf(e->d_name, "nvme%un%u", &c, &n) != 2 ||
		    ns_identity(e->d_name, &id))
			continue;
		m = id_match(saved, &id);
		if (!m)
			continue;
		if (!matches++) {
			*found = id;
			*how = m;
		}
	}
	closedir(d);
	if (matches > 1)
		return -EEXIST;
	return matches ? 0 : -ENOENT;
}

/* The device path to write: the saved one if it still names the
 * namespace (the same kind of node), else /dev/<blk> */
static void device_path(const char *saved_path, const struct ns_id *ns,
			char *out, size_t size)
{
	char blk[64];

	if (ns_block_name(saved_path, blk, sizeof(blk)) && !strcmp(blk, ns->blk)) {
		snprintf(out, size, "%s", saved_path);
		return;
	}
	if (strstr(saved_path, "/ng")) {
		unsigned int c, n;

		sscanf(ns->blk, "nvme%un%u", &c, &n);
		snprintf(out, size, "/dev/ng%un%u", c, n);
		return;
	}
	snprintf(out, size, "/dev/%s", ns->blk);
}

/* true when the existing ring name is as saved */
static bool ring_as_saved(const char *name, const struct jval *attrs,
			  const char *dev, bool enable, char *why, size_t size)
{
	char val[4096], en[16] = "0";
	int i;

	val[0] = 0;
	read_strf(val, sizeof(val), CFS_ROOT "/%s/device", name);
	if (strcmp(val, dev)) {
		snprintf(why, size, "its device is %.200s, not %.200s", val, dev);
		return false;
	}
	for (i = 0; attrs && i < attrs->n; i++) {
		const struct jval *v = attrs->items[i];

		if (v->type != J_STR)
			continue;
		val[0] = 0;
		read_strf(val, sizeof(val), CFS_ROOT "/%s/%s", name, attrs->keys[i]);
		if (strcmp(val, v->str)) {
			snprintf(why, size, "its %.64s is '%.200s', not '%.200s'",
				 attrs->keys[i], val, v->str);
			return false;
		}
	}
	read_strf(en, sizeof(en), CFS_ROOT "/%s/enable", name);
	if ((en[0] == '1') != enable) {
		snprintf(why, size, "it is %s", enable ? "disabled" : "enabled");
		return false;
	}
	return true;
}

static int restore_ring(const struct jval *r)
{
	const char *name = jstr(r, "name"), *path, *how = NULL;
	const struct jval *nsj = jget(r, "namespace"), *attrs = jget(r, "attributes");
	const struct jval *en = jget(r, "enable"), *nsid = jget(nsj, "nsid");
	char dir[128], p[PATH_MAX], dev[256], desc[320], why[512];
	struct ns_id saved, ns;
	bool enable = en && en->type == J_BOOL && en->num;
	int i, ret, kfd;

	if (!name || !valid_name(name) || !nsj || !(path = jstr(nsj, "path")) ||
	    (attrs && attrs->type != J_OBJ)) {
		err_msg("a ring entry without a valid name, namespace path or attributes: skipped");
		return 1;
	}
	memset(&saved, 0, sizeof(saved));
	snprintf(saved.nguid, sizeof(saved.nguid), "%s", jstr(nsj, "nguid") ?: "");
	snprintf(saved.eui64, sizeof(saved.eui64), "%s", jstr(nsj, "eui64") ?: "");
	snprintf(saved.uuid, sizeof(saved.uuid), "%s", jstr(nsj, "uuid") ?: "");
	snprintf(saved.subsysnqn, sizeof(saved.subsysnqn), "%s", jstr(nsj, "subsysnqn") ?: "");
	saved.nsid = nsid && nsid->type == J_NUM ? (uint64_t)nsid->num : 0;
	id_describe(&saved, desc, sizeof(desc));
	if (!saved.nguid[0] && !saved.eui64[0] && !saved.uuid[0] && !saved.subsysnqn[0]) {
		err_msg("%s: the file has no identity for its namespace (saved as %s): refused", name, path);
		return 1;
	}
	ret = find_namespace(&saved, &ns, &how);
	if (ret == -ENOENT) {
		err_msg("%s: no namespace has %s (saved as %s): not restored", name, desc, path);
		return 1;
	}
	if (ret == -EEXIST) {
		err_msg("%s: more than one namespace has %s: not restored", name, desc);
		return 1;
	}
	if (ret) {
		err_msg("%s: cannot look for its namespace: %s", name, strerror(-ret));
		return 1;
	}
	device_path(path, &ns, dev, sizeof(dev));
	if (strcmp(dev, path))
		printf("%s: %s is now %s (found by its %s; saved as %s)\n", name,
		       desc, dev, how, path);

	snprintf(dir, sizeof(dir), CFS_ROOT "/%s", name);
	if (is_dir(dir)) {
		if (ring_as_saved(name, attrs, dev, enable, why, sizeof(why))) {
			printf("%s: already as saved\n", name);
			return 0;
		}
		err_msg("%s: a ring of that name exists and differs from the file: %s (nvme-ring destroy %s first to restore it)",
			name, why, name);
		return 1;
	}
	if (mkdir(dir, 0755)) {
		err_msg("%s: cannot create %s: %s", name, dir, strerror(errno));
		return 1;
	}
	kfd = klog_mark();
	snprintf(p, sizeof(p), "%s/device", dir);
	ret = write_str(p, dev);
	for (i = 0; !ret && attrs && i < attrs->n; i++) {
		const struct jval *v = attrs->items[i];

		/* empty: the default, which a new ring has */
		if (v->type != J_STR || !v->str[0])
			continue;
		snprintf(p, sizeof(p), "%s/%.64s", dir, attrs->keys[i]);
		ret = write_str(p, v->str);
		if (ret)
			snprintf(why, sizeof(why), "%.64s '%.256s'", attrs->keys[i], v->str);
	}
	if (!ret && enable) {
		snprintf(p, sizeof(p), "%s/enable", dir);
		ret = write_str(p, "1");
		if (ret)
			snprintf(why, sizeof(why), "enable");
	}
	if (ret) {
		char reason[512];

		err_msg("%s: %s refused: %s; the ring is removed again", name,
			why, strerror(-ret));
		if (kernel_reason(kfd, reason, sizeof(reason)))
			fprintf(stderr, "  kernel: %s\n", reason);
		snprintf(p, sizeof(p), "%s/enable", dir);
		write_str(p, "0");
		rmdir(dir);
		return 1;
	}
	if (kfd >= 0)
		close(kfd);
	printf("%s: restored on %s%s\n", name, dev, enable ? "" : " (disabled, as saved)");
	return 0;
}

int cmd_restore(int argc, char **argv)
{
	const char *file = DEFAULT_FILE;
	const struct jval *rings, *fmt, *ver;
	struct jparse jp = { .line = 1 };
	struct jval *root;
	char *text;
	int ind, i, bad = 0;

	ind = simple_opts(argc, argv, usage_restore, NULL);
	if (ind < argc)
		file = argv[ind++];
	if (ind < argc)
		usage_error(usage_restore, "unexpected argument '%s'", argv[ind]);
	text = slurp(file);
	if (!text) {
		err_msg("cannot read %s: %s", file, strerror(errno));
		return 1;
	}
	jp.p = text;
	root = jparse_value(&jp, 0);
	if (root) {
		jskip(&jp);
		if (*jp.p) {
			jfree(root);
			root = jerr(&jp, "text after the end");
		}
	}
	free(text);
	if (!root) {
		err_msg("%s is not valid JSON: %s", file, jp.err[0] ? jp.err : "out of memory");
		return 1;
	}
	fmt = jget(root, "format");
	ver = jget(root, "version");
	rings = jget(root, "rings");
	if (!fmt || fmt->type != J_STR || strcmp(fmt->str, FORMAT_NAME) ||
	    !rings || rings->type != J_ARR) {
		err_msg("%s is not an nvme-ring save file (no \"format\": \"%s\" and \"rings\")", file, FORMAT_NAME);
		jfree(root);
		return 1;
	}
	if (!ver || ver->type != J_NUM || ver->num != FORMAT_VERSION) {
		err_msg("%s has format version %g; this nvme-ring reads version %d", file,
			ver && ver->type == J_NUM ? ver->num : 0.0, FORMAT_VERSION);
		jfree(root);
		return 1;
	}
	if (require_module(true)) {
		jfree(root);
		return 1;
	}
	for (i = 0; i < rings->n; i++)
		bad |= restore_ring(rings->items[i]);
	jfree(root);
	return bad;
}

/* ------------------------------------------------------------------ */
/* clear                                                                */
/* ------------------------------------------------------------------ */

void usage_clear(FILE *f)
{
	fprintf(f,
"Usage: nvme-ring clear\n"
"\n"
"Disable and remove every configured ring (nvme-ring destroy for each).\n"
"Anonymous rings belong to the programs that made them and stay.\n");
}

int cmd_clear(int argc, char **argv)
{
	char **names, dir[128], p[PATH_MAX];
	int n, i, bad = 0, ret;

	if (simple_opts(argc, argv, usage_clear, NULL) < argc)
		usage_error(usage_clear, "unexpected argument '%s'", argv[optind]);
	if (require_module(true))
		return 1;
	n = ring_names(&names);
	for (i = 0; i < n; i++) {
		if (!ring_configured(names[i]))
			goto next;
		snprintf(dir, sizeof(dir), CFS_ROOT "/%s", names[i]);
		snprintf(p, sizeof(p), "%s/enable", dir);
		ret = write_str(p, "0");
		if (ret || rmdir(dir)) {
			err_msg("%s: cannot remove: %s", names[i],
				strerror(ret ? -ret : errno));
			bad = 1;
		} else {
			printf("%s: destroyed\n", names[i]);
		}
next:
		free(names[i]);
	}
	free(names);
	return bad;
}
