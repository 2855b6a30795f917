#!/usr/bin/env bash
# Installs what crashsift needs on a Debian 12 machine with the Swift toolchain (run as root).
# Idempotent and quiet. Also installs the independent oracle tools from ../shared/oracles when that
# folder is present (required when CI=true, where the differential tests need them).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

# libarchive-dev, libsqlite3-dev, pkg-config: build (CArchive and GRDB's system SQLite).
# libarchive-tools (bsdtar), gcab: test fixtures and the ingest benchmark.
# chromium, fonts-dejavu-core: the test that renders the HTML report in a headless browser.
needed=()
for pkg in libarchive-dev libsqlite3-dev pkg-config libarchive-tools gcab chromium fonts-dejavu-core; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || needed+=("$pkg")
done
if [ ${#needed[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: run as root (or with sudo) to install: ${needed[*]}" >&2
    exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
fi

oracles="$here/../shared/oracles/install.sh"
if [ -f "$oracles" ]; then
  bash "$oracles"
elif [ "${CI:-}" = "true" ]; then
  echo "install-deps: $oracles is missing; CI needs the shared oracles" >&2
  exit 1
else
  echo "install-deps: ../shared/oracles not found; differential tests will skip" >&2
fi

command -v swift >/dev/null 2>&1 || {
  echo "install-deps: the Swift 6 toolchain is not on PATH (expected at /opt/swift/usr/bin)" >&2
  exit 1
}
echo "install-deps: ok"
