#!/usr/bin/env bash
# Install the Debian 12 packages ffs-lab needs (kernel build, QEMU lab, OpenSSH, udev, C
# toolchain for the native addon). Idempotent; run as root. Daemons are not started.
set -euo pipefail
pkgs=(
  linux-source-6.12 linux-source-6.1 gcc g++ make flex bison bc perl xz-utils patch libelf-dev libssl-dev
  python3 qemu-system-x86 openssh-server openssh-client udev iproute2 util-linux
  libusb-1.0-0-dev zlib1g-dev chromium
)
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
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
fi
trap '[ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
