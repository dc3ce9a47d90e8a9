#!/bin/sh
# Builds the eBPF probe and its helper into build/syscall (idempotent: make rebuilds only what is
# older than its sources). Exits 3 with "ERR_SYSCALL_UNSUPPORTED: ..." naming what is missing.
set -e
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=${LANNER_PROBE_OUT:-$ROOT/build/syscall}
BTF=${LANNER_BTF:-/sys/kernel/btf/vmlinux}

unsupported () {
  echo "ERR_SYSCALL_UNSUPPORTED: $1" >&2
  exit 3
}

[ -r "$BTF" ] || unsupported "kernel BTF not found at $BTF: the kernel needs CONFIG_DEBUG_INFO_BTF=y (or set LANNER_BTF)"
for tool in clang bpftool make cc pkg-config; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || \
    unsupported "'$tool' not found: run scripts/install-deps.sh as root (apt-get install clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev make pkg-config)"
done
pkg-config --exists libbpf || unsupported "libbpf development files not found: apt-get install libbpf-dev libelf-dev zlib1g-dev"
BPFTOOL=$(command -v bpftool || echo /usr/sbin/bpftool)

mkdir -p "$OUT"
# tests build concurrently: one build at a time
exec 9>"$OUT/.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
make -s -C "$ROOT/src/syscall/bpf" OUT="$OUT" BTF="$BTF" BPFTOOL="$BPFTOOL" all
