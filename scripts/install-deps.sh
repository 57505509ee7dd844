#!/usr/bin/env bash
# Install the Debian 12 packages ffs-lab needs: kernel build, QEMU lab (x86_64 and arm64, with
# mmdebstrap for the arm64 guest's root), OpenSSH, udev, the C toolchain for the native addon
# and the cross compilers of `ffs-lab pack-agent` and the arm64 kernel, clang-format
# for `npm run lint`, and the libraries and JS modules Debian's Node 18 links to (for the agent's
# tests: scripts/test-agent-node18.sh unpacks nodejs 18 itself, since the machine's nodejs is
# another version), and the Python modules LAVA's dispatcher imports (the LAVA tests run its
# parser and a whole lava-run; lava-dispatcher itself is only downloaded and extracted, see
# integrations/lava/README.md). Idempotent; run as root. Daemons are not started.
set -euo pipefail
pkgs=(
  linux-source-6.12 linux-source-6.1 gcc g++ make flex bison bc perl xz-utils patch libelf-dev libssl-dev
  python3 qemu-system-x86 qemu-system-arm mmdebstrap openssh-server openssh-client udev iproute2 util-linux
  libusb-1.0-0-dev libaio-dev zlib1g-dev chromium clang-format g++-aarch64-linux-gnu g++-arm-linux-gnueabihf
  gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf
  libuv1 libc-ares2 libnghttp2-14 libbrotli1 libicu72 node-acorn node-cjs-module-lexer node-undici
  python3-pexpect python3-requests python3-yaml python3-voluptuous python3-setproctitle python3-jinja2
  python3-configobj python3-magic python3-tz python3-netifaces python3-pyudev python3-aiohttp
)
# Daemons must not start while we install (the lab starts its own sshd and udevd), so apt runs
# with a policy-rc.d that denies them. The file carries our marker: one left by a run that was
# killed before its trap could remove it is ours to remove, and anyone else's is never touched.
POLICY_RC=${FFS_LAB_POLICY_RC:-/usr/sbin/policy-rc.d}  # the variable is for the tests
MARKER='# ffs-lab install-deps: temporary, removed when the install ends'
if [ -f "$POLICY_RC" ] && grep -qxF "$MARKER" "$POLICY_RC" 2>/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    rm -f "$POLICY_RC"
    echo "install-deps: removed $POLICY_RC, left by an earlier install-deps that was killed (it kept daemons from starting)"
  else
    echo "install-deps: $POLICY_RC was left by an earlier install-deps that was killed; as root: rm $POLICY_RC" >&2
  fi
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-deps: missing packages; run as root: apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 2
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
own_policy=0
if [ ! -e "$POLICY_RC" ]; then
  printf '#!/bin/sh\n%s\nexit 101\n' "$MARKER" > "$POLICY_RC" && chmod +x "$POLICY_RC" && own_policy=1
fi
trap '[ $own_policy = 1 ] && rm -f "$POLICY_RC"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
