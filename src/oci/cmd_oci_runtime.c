/*
 * pfs oci-runtime (also installed as pfs-crun and pfs-runc): an OCI runtime
 * that is runc or crun plus the procfilterfs hook. On `create` and `run` it
 * adds `pfs oci-hook` (createRuntime and poststop) to the bundle's
 * config.json, then executes the real runtime with the same arguments; every
 * other command passes through untouched. This is what `podman --runtime`,
 * containerd's runtime `BinaryName` and a Kubernetes RuntimeClass select.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pfs/cleanup.h"
#include "pfs/oci.h"

/* Global options of runc and crun that take a value (as "--opt v" or "--opt=v"). */
static const char *const global_with_value[] = {"--root", "--log",	"--log-format",
						"--criu", "--rootless", "--cgroup-manager"};

static bool takes_value(const char *a, const char *const *names, size_t n)
{
	if (strchr(a, '='))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(a, names[i]))
			return true;
	return false;
}

/* Index of the command word in args, or n. */
static int find_command(int n, char **args)
{
	int i = 0;
	while (i < n && args[i][0] == '-')
		i += takes_value(args[i], global_with_value, ARRAY_SIZE(global_with_value)) ? 2 : 1;
	return i;
}

/* The bundle of create/run: --bundle/-b, else the current directory. */
static const char *find_bundle(int n, char **args)
{
	for (int i = 0; i < n; i++) {
		if (!strcmp(args[i], "--"))
			break;
		if ((!strcmp(args[i], "--bundle") || !strcmp(args[i], "-b")) && i + 1 < n)
			return args[i + 1];
		if (!strncmp(args[i], "--bundle=", 9))
			return args[i] + 9;
	}
	return ".";
}

static json_t *hook_entry(const char *exe, const char *config, const char *stage)
{
	json_t *args = json_array();
	json_array_append_new(args, json_string("pfs"));
	json_array_append_new(args, json_string("oci-hook"));
	if (config) {
		json_array_append_new(args, json_string("--config"));
		json_array_append_new(args, json_string(config));
	}
	json_array_append_new(args, json_string(stage));
	return json_pack("{s:s, s:o}", "path", exe, "args", args);
}

/* Appends the hook to hooks[stage] unless an equal entry is there (a re-run create). */
static int add_hook(json_t *hooks, const char *stage, json_t *entry)
{
	json_t *list = json_object_get(hooks, stage);
	if (!list) {
		list = json_array();
		if (!list || json_object_set_new(hooks, stage, list) < 0)
			return -ENOMEM;
	}
	if (!json_is_array(list))
		return -EINVAL;
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e) if (json_equal(e, entry)) return 0;
	return json_array_append(list, entry) < 0 ? -ENOMEM : 0;
}

static int patch_bundle(const char *bundle, const char *config, struct pfs_error *err)
{
	char path[PATH_MAX], tmp[PATH_MAX + 16], exe[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/config.json", bundle) >= (int)sizeof(path))
		return pfs_err_set(err, ENAMETOOLONG, "bundle path too long");
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return pfs_err_set(err, errno, "readlink /proc/self/exe: %s", strerror(errno));
	exe[n] = '\0';
	json_error_t je;
	json_t *cfg = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(cfg)) {
		json_decref(cfg);
		return pfs_err_set(err, EINVAL, "%s:%d:%d: not an OCI config: %s", path, je.line,
				   je.column, je.text);
	}
	/* crun sends a hook's stderr to /dev/null: the hook's message must reach the caller */
	json_t *ann = json_object_get(cfg, "annotations");
	if (!ann) {
		ann = json_object();
		json_object_set_new(cfg, "annotations", ann);
	}
	if (json_is_object(ann) && !json_object_get(ann, "run.oci.hooks.stderr"))
		json_object_set_new(ann, "run.oci.hooks.stderr", json_string("/dev/stderr"));
	json_t *hooks = json_object_get(cfg, "hooks");
	if (!hooks) {
		hooks = json_object();
		json_object_set_new(cfg, "hooks", hooks);
	}
	json_t *start = hook_entry(exe, config, "createRuntime");
	json_t *stop = hook_entry(exe, config, "poststop");
	int r = json_is_object(hooks) && start && stop ? 0 : -EINVAL;
	if (r == 0)
		r = add_hook(hooks, "createRuntime", start);
	if (r == 0)
		r = add_hook(hooks, "poststop", stop);
	json_decref(start);
	json_decref(stop);
	snprintf(tmp, sizeof(tmp), "%s.pfs-tmp", path);
	struct stat st;
	if (r == 0 && (stat(path, &st) < 0 ||
		       json_dump_file(cfg, tmp, JSON_INDENT(1) | JSON_PRESERVE_ORDER) < 0 ||
		       chmod(tmp, st.st_mode & 07777) < 0 || rename(tmp, path) < 0))
		r = -(errno ? errno : EIO);
	json_decref(cfg);
	if (r < 0) {
		unlink(tmp);
		return pfs_err_set(err, -r, "cannot add the procfilterfs hook to %s: %s", path,
				   strerror(-r));
	}
	return 0;
}

int pfs_cmd_oci_runtime(int argc, char **argv, const char *runtime)
{
	const char *config = getenv("PFS_OCI_CONFIG");
	int i = 1;
	for (; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--pfs-runtime"))
			runtime = argv[i + 1];
		else if (!strcmp(argv[i], "--pfs-config"))
			config = argv[i + 1];
		else
			break;
	}
	struct pfs_error err = {0};
	struct pfs_oci_config c = {0};
	int r = pfs_oci_config_load(config ? config : PFS_OCI_CONFIG, config != NULL, &c, &err);
	if (r == 0 && !runtime)
		runtime = c.runtime ? c.runtime : "runc";
	int n = argc - i;
	char **args = argv + i;
	int cmd = find_command(n, args);
	if (r == 0 && cmd < n && (!strcmp(args[cmd], "create") || !strcmp(args[cmd], "run")))
		r = patch_bundle(find_bundle(n - cmd - 1, args + cmd + 1), config, &err);
	if (r < 0) {
		fprintf(stderr, "pfs oci-runtime: %s\n", err.msg[0] ? err.msg : strerror(-r));
		pfs_oci_config_free(&c);
		return 1;
	}
	/* argv[i - 1] becomes the runtime's argv[0]: the arguments stay in place */
	args[-1] = (char *)runtime;
	execvp(runtime, args - 1);
	fprintf(stderr,
		"pfs oci-runtime: cannot run the OCI runtime '%s': %s; install it or set "
		"`runtime` in %s\n",
		runtime, strerror(errno), config ? config : PFS_OCI_CONFIG);
	pfs_oci_config_free(&c);
	return 127;
}
