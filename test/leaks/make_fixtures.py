#!/usr/bin/env python3
"""Regenerates the scenario fixture proc trees of test/leaks/.

Each scenario is test/leaks/<name>/proc/..., holding only the files its
detectors read. Run from anywhere: python3 test/leaks/make_fixtures.py
The trees are committed; this script documents how they were made.
"""
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = "/work/shared/fixtures/mountinfo"


def put(scn, rel, data, binary=False):
    path = os.path.join(HERE, scn, "proc", rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if binary else data.encode())


def link(scn, rel, target):
    path = os.path.join(HERE, scn, "proc", rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.lexists(path):
        os.unlink(path)
    os.symlink(target, path)


def env(*pairs):
    return ("\0".join(pairs) + "\0").encode()


def proc(scn, pid, comm, cmdline=None, environ=None, nspid=None, cgroup=None):
    put(scn, f"{pid}/comm", comm + "\n")
    args = cmdline or [comm]
    put(scn, f"{pid}/cmdline", ("\0".join(args) + "\0").encode(), binary=True)
    put(scn, f"{pid}/environ", environ or env("PATH=/usr/bin:/bin", "HOME=/root"), binary=True)
    ns = "\t".join(str(p) for p in (nspid or [pid]))
    put(scn, f"{pid}/status",
        f"Name:\t{comm}\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t{pid}\nPid:\t{pid}\n"
        f"PPid:\t0\nUid:\t0\t0\t0\t0\nNSpid:\t{ns}\nNSpgid:\t{ns}\n")
    if cgroup is not None:
        put(scn, f"{pid}/cgroup", cgroup)


def shared_mountinfo(name):
    try:
        with open(os.path.join(SHARED, name)) as f:
            return f.read()
    except OSError:
        return None


CLEAN_MOUNTINFO = (
    "40 39 0:41 / / rw,nosuid,relatime - overlay overlay rw,lowerdir=redacted,upperdir=redacted,workdir=redacted\n"
    "41 40 0:42 / /proc rw,nosuid,nodev,noexec,relatime - fuse.procfilterfs procfilterfs rw,user_id=0,group_id=0,allow_other\n"
    "42 40 0:43 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755\n"
    "43 42 0:44 / /dev/pts rw,nosuid,noexec,relatime - devpts devpts rw,gid=5,mode=620,ptmxmode=666\n"
    "44 40 0:45 / /tmp rw,nosuid,nodev - tmpfs tmpfs rw,size=65536k\n"
)
CLEAN_MAPS = (
    "55d0c4a00000-55d0c4a28000 r--p 00000000 00:29 1234                       /usr/bin/python3.11\n"
    "55d0c6a51000-55d0c6b72000 rw-p 00000000 00:00 0                          [heap]\n"
    "7f1c2e600000-7f1c2e628000 r--p 00000000 00:29 5678                       /usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "7ffd1d2e1000-7ffd1d302000 rw-p 00000000 00:00 0                          [stack]\n"
)
NET_DEV_HEAD = (
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
)
NET_LO = "    lo:    1234      12    0    0    0     0          0         0     1234      12    0    0    0     0       0          0\n"
ROUTE_HEAD = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT                                                       \n"
TCP_HEAD = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
UNIX_HEAD = "Num       RefCount Protocol Flags    Type St Inode Path\n"


def clean():
    s = "clean"
    link(s, "self", "1")
    proc(s, 1, "sh", ["sh", "-c", "app --password-file /run/app/pw"],
         env("PATH=/usr/bin:/bin", "HOME=/home/app", "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D",
             "PASSWORD_FILE=/run/app/pw", "TOKEN_TTL=3600", "API_KEY=", "SECRET_NAME=db",
             "PWD=/home/app"), cgroup="0::/\n")
    proc(s, 7, "python3", ["python3", "app.py", "--token-file=/run/app/token"],
         env("PATH=/usr/bin", "LANG=C.UTF-8", "KEYBOARD=us", "DB_PASSWORD=changeme"))
    put(s, "1/mountinfo", CLEAN_MOUNTINFO)
    put(s, "7/maps", CLEAN_MAPS)
    link(s, "7/fd/0", "/dev/null")
    link(s, "7/fd/1", "pipe:[31337]")
    link(s, "7/fd/3", "socket:[4100]")
    link(s, "7/fd/4", "/tmp/app.log")
    put(s, "net/unix", UNIX_HEAD + "0000000000000000: 00000003 00000000 00000000 0001 03  4100\n")
    put(s, "net/dev", NET_DEV_HEAD + NET_LO)
    put(s, "net/route", ROUTE_HEAD)
    put(s, "net/tcp", TCP_HEAD +
        "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4200 1 0000000000000000 100 0 0 10 0\n")
    put(s, "kallsyms", "0000000000000000 T _text\n0000000000000000 T startup_64\n")
    put(s, "keys", "")
    put(s, "kcore", "")
    put(s, "sys/kernel/hostname", "sandbox\n")


def docker_overlay():
    s = "docker-overlay"
    link(s, "self", "1")
    proc(s, 1, "node", ["node", "server.js"], cgroup="0::/\n")
    put(s, "1/mountinfo", shared_mountinfo("docker-overlay.mountinfo") or "")


def k8s_pod():
    s = "k8s-pod"
    link(s, "self", "1")
    proc(s, 1, "api", ["/app/api"], cgroup=(
        "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod7f3c2a1e_5b4d_4c3a_9e8f_0a1b2c3d4e5f.slice/"
        "cri-containerd-8e2f1c0b9a8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e.scope\n"))
    put(s, "1/mountinfo", shared_mountinfo("k8s-pod.mountinfo") or "")


def home_bind():
    # Rootless podman: storage under the user's home, a bind of a source tree.
    s = "home-bind"
    link(s, "self", "1")
    proc(s, 1, "bash", cgroup="0::/\n")
    put(s, "1/mountinfo",
        "801 790 0:88 / / rw,relatime - overlay overlay rw,lowerdir=/home/bob/.local/share/containers/storage/overlay/l/XK2M4TQ:/home/bob/.local/share/containers/storage/overlay/l/B7QW3ZP,upperdir=/home/bob/.local/share/containers/storage/overlay/9c1e/diff,workdir=/home/bob/.local/share/containers/storage/overlay/9c1e/work,userxattr\n"
        "802 801 0:91 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
        "803 801 8:2 /home/bob/src/payments /workspace rw,relatime - ext4 /dev/sda2 rw\n"
        "804 801 0:25 /user/1000/containers/overlay-containers/9c1e/userdata/resolv.conf /etc/resolv.conf rw,nosuid,nodev,relatime - tmpfs tmpfs rw,size=1632452k,mode=700,uid=1000,gid=1000\n")


def lxd_zfs():
    # A LXD system container on ZFS: the source is a dataset, not a path.
    s = "lxd-zfs"
    link(s, "self", "310")
    proc(s, 310, "bash", cgroup="0::/lxc.payload.web01/system.slice/ssh.service\n")
    put(s, "310/mountinfo",
        "1021 1020 0:77 / / rw,relatime shared:581 - zfs default/containers/web01 rw,xattr,posixacl,casesensitive\n"
        "1022 1021 0:84 / /dev rw,relatime shared:582 - tmpfs none rw,size=492k,mode=755,uid=1000000,gid=1000000,inode64\n"
        "1030 1021 0:26 / /var/lib/shared rw,relatime - btrfs /dev/nvme1n1 rw,ssd,space_cache=v2,subvolid=257,subvol=/@lxd/custom/default_shared\n")


def inherited_fd():
    s = "inherited-fd"
    link(s, "self", "1")
    proc(s, 1, "sh", cgroup="0::/\n")
    proc(s, 12, "worker")
    link(s, "12/fd/0", "/dev/null")
    link(s, "12/fd/1", "pipe:[20001]")
    link(s, "12/fd/3", "/home/alice/.ssh/id_ed25519")
    link(s, "12/fd/4", "/var/lib/docker/containers/9b1c4e7d0a3f/config.v2.json")
    link(s, "12/fd/5", "socket:[88123]")
    link(s, "12/fd/6", "socket:[4100]")
    put(s, "net/unix", UNIX_HEAD + "0000000000000000: 00000003 00000000 00000000 0001 03  4100\n")
    put(s, "12/maps",
        "55d0c4a00000-55d0c4a28000 r--p 00000000 fd:01 1234                       /var/lib/docker/overlay2/3f0d3b6a2b0f/merged/usr/bin/worker\n"
        "7f1c2e600000-7f1c2e628000 r--p 00000000 fd:01 5678                       /usr/lib/x86_64-linux-gnu/libc.so.6\n")


def sibling_environ():
    s = "sibling-environ"
    link(s, "self", "1")
    proc(s, 1, "sh", cgroup="0::/\n", environ=env("PATH=/bin", "MY_OWN_TOKEN=ghp_OwnTokenOfTheAuditorItself0001"))
    proc(s, 23, "deployer", ["deployer", "--region", "eu-west-1"],
         env("PATH=/usr/bin", "GITHUB_TOKEN=ghp_R8x2Lq9ZkP4mW7vT1nY6cB3dF5gH0jK2sA8e",
             "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
             "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
             "DB_PASSWORD=Tr0ub4dor&3xYz", "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D",
             "PASSWORD_FILE=/run/secrets/db"))
    proc(s, 24, "mysql", ["mysql", "-h", "db.internal", "--password=S3cr3t-Passw0rd-77", "app"])
    proc(s, 25, "curl", ["curl", "https://api.example.com/v1/data?token=Zx8Qv2Lm9Kp4Rt7Wn3Yb6Hc1"])


def host_pids():
    s = "host-pids"
    link(s, "self", "4242")
    proc(s, 1, "systemd", ["/sbin/init", "splash"])
    proc(s, 2, "kthreadd", [])
    proc(s, 612, "dockerd", ["/usr/bin/dockerd", "-H", "fd://"])
    proc(s, 700, "containerd", ["/usr/bin/containerd"])
    proc(s, 801, "sshd", ["sshd: /usr/sbin/sshd -D [listener]"])
    proc(s, 4242, "app", ["app"], nspid=[4242, 1], cgroup="0::/\n")


def host_network():
    s = "host-network"
    link(s, "self", "1")
    proc(s, 1, "sh", cgroup="0::/\n")
    put(s, "net/dev", NET_DEV_HEAD + NET_LO +
        "  eth0: 98234112   81231    0    0    0     0          0         0  1823411   12312    0    0    0     0       0          0\n"
        "docker0:  12341      92    0    0    0     0          0         0    23411     112    0    0    0     0       0          0\n"
        "veth3f2a1b0:  23411  112    0    0    0     0          0         0    12341      92    0    0    0     0       0          0\n")
    put(s, "net/route", ROUTE_HEAD +
        "eth0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
        "eth0\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n"
        "docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n")
    put(s, "net/tcp", TCP_HEAD +
        "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 19121 1 0000000000000000 100 0 0 10 0\n"
        "   1: 0F02A8C0:0016 0A02A8C0:D431 01 00000000:00000000 02:000A7D8F 00000000     0        0 51234 4 0000000000000000 20 4 31 10 -1\n")


def kernel_info():
    s = "kernel-info"
    link(s, "self", "1")
    proc(s, 1, "sh", cgroup="0::/\n")
    put(s, "kallsyms", "ffffffff81000000 T _text\nffffffff81000000 T startup_64\nffffffff81001000 T secondary_startup_64\n")
    put(s, "kcore", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56, binary=True)
    put(s, "sched_debug", "Sched Debug Version: v0.11, 6.1.0-13-amd64 #1\nktime                                   : 123456.789\n")
    put(s, "timer_list", "Timer List Version: v0.9\nHRTIMER_MAX_CLOCK_BASES: 8\nnow at 123456789 nsecs\n")
    put(s, "keys", "0202ce7a I--Q---     1 perm 3f030000     0     0 keyring   _ses: 1\n")
    put(s, "sys/kernel/hostname", "build-host-17.corp.example\n")
    put(s, "sys/kernel/random/boot_id", "f09d3a61-2c4e-4b8a-9d7e-1a2b3c4d5e6f\n")


for f in (clean, docker_overlay, k8s_pod, home_bind, lxd_zfs, inherited_fd, sibling_environ,
          host_pids, host_network, kernel_info):
    d = os.path.join(HERE, f.__name__.replace("_", "-"))
    shutil.rmtree(d, ignore_errors=True)
    f()
