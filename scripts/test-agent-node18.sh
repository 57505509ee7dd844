#!/usr/bin/env bash
# The agent runs on boards whose Debian 12 ships Node 18: run its unit tests, and the contract's,
# under Debian's own nodejs 18. The machine's nodejs is another version (the project needs 20 on
# the host), so the nodejs and libnode108 packages are unpacked into the cache, not installed;
# scripts/install-deps.sh installs the libraries and JS modules that libnode links to.
# Run from the repository root after `npm run build`. Exit 2 when Node 18 cannot be had.
set -euo pipefail
dir="${FFS_LAB_CACHE:-$HOME/.cache/ffs-lab}/node18"
lib="$dir/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo "$(uname -m)-linux-gnu")"
if [ ! -x "$dir/usr/bin/node" ]; then
  version=$(apt-cache madison nodejs | awk -F'|' '$2 ~ /^ *18\./ { gsub(/ /, "", $2); print $2; exit }')
  if [ -z "$version" ]; then
    echo "test-agent-node18: apt knows no nodejs 18 (Debian 12's bookworm main has 18.x): run apt-get update" >&2
    exit 2
  fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "test-agent-node18: unpacking Debian's nodejs $version into $dir"
  (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "nodejs=$version" "libnode108=$version" >/dev/null) || {
    echo "test-agent-node18: apt-get download nodejs=$version libnode108=$version failed" >&2
    exit 2
  }
  for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$tmp/root"; done
  mkdir -p "$(dirname "$dir")"
  rm -rf "$dir"
  mv "$tmp/root" "$dir"
  rm -rf "$tmp"
  trap - EXIT
fi
export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if ! version=$("$dir/usr/bin/node" --version 2>&1); then
  echo "test-agent-node18: $dir/usr/bin/node does not start: $version (missing libraries? run scripts/install-deps.sh)" >&2
  exit 2
fi
echo "test-agent-node18: the agent's and the contract's unit tests under Node $version"
exec "$dir/usr/bin/node" --test --test-reporter=spec contract/dist/test gadget-agent/dist/test
