#!/usr/bin/env bash
# Builds the release packages (scripts/package.sh) and runs the tarball's binary from a clean
# directory with a bare environment (no toolchain on PATH or in the loader's path):
# `crashsift --version` and `crashsift analyze` of a corpus kernel dump and minidump.
# CI runs this before the test suite; scripts/check-package.sh goes further (a Debian 12 chroot).
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)
bash scripts/package.sh >/dev/null
tarball=$(ls dist/crashsift-*-linux-x86_64.tar.gz | head -1)
clean=$(mktemp -d /tmp/crashsift-smoke.XXXXXX)
trap 'rm -rf "$clean"' EXIT
tar -C "$clean" -xzf "$tarball"
bin=$(ls -d "$clean"/crashsift-*/bin/crashsift)
corpus=${CRASHSIFT_CORPUS:-$here/../shared/corpus}
cd "$clean"
run() { env -i HOME="$clean" PATH=/usr/bin:/bin "$bin" "$@"; }
run --version
# Outputs are captured before they are searched: `grep -q` stops reading at the first match, and
# under pipefail the writer's SIGPIPE would decide the check at random (CI failed on it once).
libraries=$(ldd "$bin")
if grep -q /opt/swift <<<"$libraries"; then
  echo "smoke-package: the binary loads libraries from the toolchain" >&2
  exit 1
fi
text=$(run analyze "$corpus/kernel/triage_x64.dmp")
grep -q "BugCheck 1000007E" <<<"$text" || {
  echo "smoke-package: analyze of triage_x64.dmp did not print its bug check" >&2
  exit 1
}
dump="$corpus/minidump/breakpad/src/processor/testdata/null_read_av.dmp"
json=$(run analyze --json "$dump")
grep -q '"schema"' <<<"$json" || {
  echo "smoke-package: analyze --json of $dump printed no schema" >&2
  exit 1
}
echo "smoke-package: ok ($(basename "$tarball"))"
