/* The filters on policies written in the policy language (pfs_policy_load_string). */
#include <criterion/criterion.h>
#include <string.h>

#include "test_filter_util.h"

static struct pfs_policy *load(const char *text)
{
	struct pfs_policy *p = NULL;
	struct pfs_error err = {0};
	int r = pfs_policy_load_string("e2e.policy", text, &p, &err);
	cr_assert_eq(r, 0, "policy: %s", err.msg);
	return p;
}

static void filter_expect(int (*f)(const struct pfs_policy *, const char *, size_t,
				   struct pfs_buf *, const struct pfs_trace *),
			  const struct pfs_policy *p, const char *in, const char *want)
{
	struct pfs_buf b = PFS_BUF_INIT;
	cr_assert_eq(f(p, in, strlen(in), &b, NULL), 0);
	cr_assert_eq(pfs_buf_append(&b, "", 0), 0);
	cr_assert_str_eq(b.data, want);
	pfs_buf_free(&b);
}

Test(filter_policy, mount_rules_from_the_language)
{
	struct pfs_policy *p = load("mount drop fstype=tmpfs target=/dev/*\n"
				    "mount rewrite-source fstype=ext4 to=/dev/root\n"
				    "mount redact-options lowerdir,upperdir fstype=overlay\n");
	filter_expect(pfs_filter_mountinfo, p,
		      "1 0 0:1 / / rw - overlay overlay rw,lowerdir=/a:/b,upperdir=/u\n"
		      "2 1 0:2 / /dev rw - tmpfs tmpfs rw\n"
		      "3 2 0:3 / /dev/shm rw - tmpfs shm rw\n"
		      "4 3 8:1 /x /dev/shm/y rw - ext4 /dev/nvme0n1 rw\n",
		      "1 0 0:1 / / rw - overlay overlay rw,lowerdir=redacted,upperdir=redacted\n"
		      "2 1 0:2 / /dev rw - tmpfs tmpfs rw\n"
		      "4 2 8:1 /x /dev/shm/y rw - ext4 /dev/root rw\n");
	pfs_policy_free(p);
}

Test(filter_policy, maps_environ_fd_content_from_the_language)
{
	struct pfs_policy *p = load("maps drop /secret/*\n"
				    "maps redact \\[heap]\n"
				    "environ redact *_TOKEN\n"
				    "environ redact AWS_* all with=x\n"
				    "fd hide socket:*\n"
				    "replace /proc/version \"v1\\n\"\n"
				    "hide-lines /proc/cpuinfo /^Serial/\n");
	filter_expect(pfs_filter_maps, p,
		      "55d000000000-55d000021000 rw-p 00000000 00:00 0                          "
		      "[heap]\n"
		      "7f0000001000-7f0000002000 r--p 00000000 fe:00 12                         "
		      "/secret/key\n",
		      "55d000000000-55d000021000 rw-p 00000000 00:00 0                          "
		      "[redacted]\n");
	struct pfs_buf b = PFS_BUF_INIT;
	static const char env[] = "A_TOKEN=1\0AWS_X=2\0B=3\0";
	cr_assert_eq(pfs_filter_environ(p, env, sizeof(env) - 1, true, &b, NULL), 0);
	static const char self[] = "A_TOKEN=1\0AWS_X=x\0B=3\0";
	cr_assert_eq(b.len, sizeof(self) - 1);
	cr_assert_eq(memcmp(b.data, self, b.len), 0);
	pfs_buf_reset(&b);
	cr_assert_eq(pfs_filter_environ(p, env, sizeof(env) - 1, false, &b, NULL), 0);
	static const char other[] = "A_TOKEN=[redacted]\0AWS_X=x\0B=3\0";
	cr_assert_eq(b.len, sizeof(other) - 1);
	cr_assert_eq(memcmp(b.data, other, b.len), 0);
	pfs_buf_reset(&b);
	cr_assert(pfs_fd_target_hidden(p, "socket:[9]", NULL));
	cr_assert_not(pfs_fd_target_hidden(p, "pipe:[9]", NULL));
	struct pfs_match_ctx m = {0};
	cr_assert_eq(pfs_filter_lines(p, "/proc/version", &m, "Linux 6\n", 8, &b, NULL), 0);
	cr_assert_str_eq(b.data, "v1\n");
	pfs_buf_reset(&b);
	cr_assert_eq(pfs_filter_lines(p, "/proc/cpuinfo", &m, "a\nSerial: 1\nb\n", 14, &b, NULL),
		     0);
	cr_assert_str_eq(b.data, "a\nb\n");
	pfs_buf_free(&b);
	pfs_policy_free(p);
}
