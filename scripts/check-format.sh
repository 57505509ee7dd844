#!/usr/bin/env bash
# Check (or with --fix, apply) clang-format on every C and C++ file git tracks: the kernel style
# of .clang-format for bench/ and the probes, native/.clang-format for the addon. Part of
# `npm run lint`; installs clang-format when run as root without it. Exit 0 clean, 1 a file
# needs formatting, 2 clang-format is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
# Like the lab's own prerequisites: root gets the package installed, anyone else the command.
if ! command -v clang-format >/dev/null && [ "$(id -u)" = 0 ]; then
	echo "check-format: installing clang-format (Debian package)" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends clang-format >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends clang-format >/dev/null; } || true
fi
if ! command -v clang-format >/dev/null; then
	echo "check-format: clang-format is not installed; as root: apt-get install -y clang-format (or scripts/install-deps.sh)" >&2
	exit 2
fi
mapfile -t files < <(git ls-files '*.c' '*.h' '*.cc')
if [ "${1:-}" = --fix ]; then
	clang-format -i "${files[@]}"
	exit 0
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! clang-format --dry-run --Werror "${files[@]}" 2>"$log"; then
	grep -E '^[^ ]+:[0-9]+:[0-9]+: error' "$log" | cut -d: -f1 | sort -u | sed 's/^/check-format: needs formatting: /' >&2
	echo "check-format: run scripts/check-format.sh --fix" >&2
	exit 1
fi
echo "check-format: ${#files[@]} C/C++ files clean"
