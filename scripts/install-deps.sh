#!/usr/bin/env bash
# Installs what procfilterfs needs to build, test and run on Debian 12.
# Run as root it installs missing packages with apt; otherwise it lists them
# and exits non-zero so the user knows what to install.
set -euo pipefail

build_pkgs=(gcc make pkg-config libfuse3-dev fuse3 uthash-dev libseccomp-dev libjansson-dev uidmap)
test_pkgs=(libcriterion-dev clang libclang-rt-14-dev procps psmisc lsof util-linux acl
	python3 python3-psutil htop tmux iproute2 net-tools strace gdb openjdk-17-jdk-headless bubblewrap
	runc crun podman containerd busybox-static stress-ng)
lint_pkgs=(clang-format clang-tidy cppcheck shellcheck)
bench_pkgs=(lxcfs stress-ng)

usage() {
	echo "usage: $0 [build|test|bench]..." >&2
	exit 2
}

[ $# -gt 0 ] || set -- build
wanted=()
for profile in "$@"; do
	case "$profile" in
	build) wanted+=("${build_pkgs[@]}") ;;
	test) wanted+=("${build_pkgs[@]}" "${test_pkgs[@]}" "${lint_pkgs[@]}") ;;
	bench) wanted+=("${build_pkgs[@]}" "${bench_pkgs[@]}") ;;
	*) usage ;;
	esac
done

missing=()
# Each package once, in order.
mapfile -t wanted < <(printf '%s\n' "${wanted[@]}" | awk '!seen[$0]++')
for p in "${wanted[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "procfilterfs: missing packages: ${missing[*]}" >&2
	echo "procfilterfs: run as root, or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi

echo "procfilterfs: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt run rather than failing on its lock.
lock=(-o DPkg::Lock::Timeout=600)
# Refresh the package lists unless they are less than a day old.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -n1)" ]; then
	apt-get "${lock[@]}" update -qq
fi
if ! apt-get "${lock[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
	# Lists may be stale: refresh once and retry.
	apt-get "${lock[@]}" update -qq
	apt-get "${lock[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
