#!/usr/bin/env python3
"""proc_compare VIEW KERNEL DIR...: every readable regular file below
VIEW/DIR and KERNEL/DIR (DIR "" for the top, not descending into process
directories), read through both. Prints the files whose content through
VIEW never equals the kernel's while the kernel's stays the same: content
rendered for another reader than the caller. Files whose kernel content
changes between reads (counters, states) cannot be compared and are left out.
"""
import os
import stat
import sys

# Not comparable: what the reading itself changes (file-nr counts the
# daemon's files, meminfo its render buffer, mapped while it reads: the
# daemon maps large blocks; loadavg's thread count the reader the view forks
# for it: its last pid is checked apart), or what reading would disturb.
SKIP = {"file-nr", "meminfo", "loadavg", "kmsg", "kcore", "sysrq-trigger", "pagemap", "mem", "clear_refs", "kpagecount",
        "kpageflags", "kpagecgroup", "kallsyms"}


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read(1 << 20)
    except OSError as e:
        return "errno %d" % e.errno


def differs(view, kernel):
    """True when the view's content never equals the kernel's while the
    kernel's stays the same around each read through the view."""
    seen = None
    for _ in range(5):
        before = read(kernel)
        a = read(view)
        after = read(kernel)
        if a in (before, after):
            return False
        if before != after or (seen is not None and before != seen):
            return False  # the kernel's own content changes: not comparable
        seen = before
    return True


def walk(view, kernel, rel, top, out, depth=0):
    try:
        names = sorted(os.listdir(os.path.join(kernel, rel)))
    except OSError:
        return
    for n in names:
        r = os.path.join(rel, n) if rel else n
        if top and (n.isdigit() or n in ("self", "thread-self")):
            continue
        if n in SKIP or (rel == "sys/fs" and n == "binfmt_misc"):
            continue
        try:
            st = os.lstat(os.path.join(kernel, r))
        except OSError:
            continue
        if stat.S_ISDIR(st.st_mode):
            if depth < 8:
                walk(view, kernel, r, False, out, depth + 1)
        elif stat.S_ISREG(st.st_mode) and differs(os.path.join(view, r), os.path.join(kernel, r)):
            out.append(r)


def main():
    view, kernel = sys.argv[1], sys.argv[2]
    out = []
    for d in sys.argv[3:]:
        walk(view, kernel, d, d == "", out)
    for r in out:
        print(r)


main()
