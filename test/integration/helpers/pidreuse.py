"""Forking a child at a chosen pid, for the pid-reuse tests (root only)."""
import os


def fork_at(pid, child, attempts=50):
    """Forks until the child gets pid (ns_last_pid = pid - 1 before each
    fork; another process may take it in between). child() runs in the
    child and must not return. Returns the child's pid; raises
    RuntimeError when pid could not be had."""
    for _ in range(attempts):
        with open("/proc/sys/kernel/ns_last_pid", "w") as f:
            f.write(str(pid - 1))
        b = os.fork()
        if b == 0:
            child()
            os._exit(0)
        if b == pid:
            return b
        os.kill(b, 9)
        os.waitpid(b, 0)
    raise RuntimeError("could not reuse the pid %d" % pid)
