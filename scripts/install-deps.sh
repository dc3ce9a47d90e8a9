#!/bin/sh
# Installs everything the build and tests need on a fresh machine: npm packages (npm ci) and, when
# running as root, the Debian packages the eBPF probe is built with (and the tools tests drive:
# ip, openssl, jq, curl, python3, the system CA bundle). Safe to run repeatedly.
set -e
cd "$(dirname "$0")/.."
PKGS="clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev make pkg-config iproute2 openssl jq curl python3 ca-certificates"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  missing=""
  for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
  fi
fi
npm ci --no-audit --no-fund
