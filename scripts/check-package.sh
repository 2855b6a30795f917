#!/usr/bin/env bash
# Checks by hand (not in CI: it downloads a Debian base system) that scripts/package.sh's output
# installs and runs on a clean Debian 12 without the Swift toolchain: debootstrap a bookworm
# chroot, install the .deb with apt (which pulls its Depends), then run `crashsift --version`,
# `crashsift analyze` of a corpus dump, `man crashsift`, and the tarball's binary. Run as root.
# Usage: scripts/check-package.sh [CHROOT_DIR]   (default: /tmp/crashsift-check-chroot, reused)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-/tmp/crashsift-check-chroot}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
deb=$(ls -t "$here"/dist/crashsift_*_amd64.deb | head -1)
tarball=$(ls -t "$here"/dist/crashsift-*-linux-x86_64.tar.gz | head -1)
corpus=${CRASHSIFT_CORPUS:-$here/../shared/corpus}

if [ ! -x "$root/usr/bin/apt-get" ]; then
  command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
  debootstrap --variant=minbase bookworm "$root" "$mirror" >/dev/null
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root/check"
cp "$deb" "$tarball" "$corpus/kernel/triage_x64.dmp" \
  "$corpus/minidump/breakpad/src/processor/testdata/minidump2.dmp" "$root/check/"
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
trap 'umount "$root/proc" 2>/dev/null || true' EXIT
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
  TERM=dumb bash -c "$1"; }
in_root "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq man-db \
  /check/$(basename "$deb") >/dev/null"
echo "== swift toolchain in the chroot: $(in_root 'command -v swift swiftc || echo none')"
echo "== crashsift --version"; in_root "crashsift --version"
echo "== crashsift analyze triage_x64.dmp (head)"; in_root "crashsift analyze /check/triage_x64.dmp | head -12"
echo "== crashsift analyze --json minidump2.dmp | schema"
in_root "crashsift analyze --json /check/minidump2.dmp | grep '\"schema\"'"
echo "== man crashsift (head)"; in_root "MANPAGER=cat man crashsift 2>/dev/null | head -12"
echo "== bash completion"; in_root "ls -l /usr/share/bash-completion/completions/crashsift"
echo "== rules"; in_root "ls /usr/share/crashsift/rules/"
echo "== tarball"
in_root "cd /tmp && tar xzf /check/$(basename "$tarball") && ./crashsift-*/bin/crashsift --version | head -2"
echo "check-package: ok"
