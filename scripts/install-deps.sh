#!/usr/bin/env bash
# Installs what crashsift needs on a Debian 12 machine with the Swift toolchain (run as root).
# Idempotent and quiet. Also installs the independent oracle tools from ../shared/oracles when that
# folder is present (required when CI=true, where the differential tests need them).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

# libarchive-dev, libsqlite3-dev, pkg-config: build (CArchive and GRDB's system SQLite).
# libarchive-tools (bsdtar), gcab: test fixtures and the ingest benchmark.
# chromium, fonts-dejavu-core: the test that renders the HTML report in a headless browser.
# python3-venv: the venv below (scripts/test-requirements.txt): jsonschema checks every JSON output
# against docs/schema/; volatility3 reads memory dumps' process lists as a second reader.
needed=()
for pkg in libarchive-dev libsqlite3-dev pkg-config libarchive-tools gcab chromium fonts-dejavu-core \
  python3-venv; do
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

# The schema tests' validator: Python's jsonschema (pinned in scripts/test-requirements.txt) in a
# venv of the user who runs the tests (under sudo, the invoking user, not root).
make_venv() {
  local venv="${CRASHSIFT_TEST_VENV:-$HOME/.cache/crashsift-test-venv}"
  if ! "$venv/bin/python" -c 'import jsonschema' 2>/dev/null \
    || ! cmp -s "$here/scripts/test-requirements.txt" "$venv/requirements.txt"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/scripts/test-requirements.txt"
    cp "$here/scripts/test-requirements.txt" "$venv/requirements.txt"
  fi
}
if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
  sudo -u "$SUDO_USER" -H env here="$here" bash -c "$(declare -f make_venv); make_venv"
else
  make_venv
fi

command -v swift >/dev/null 2>&1 || {
  echo "install-deps: the Swift 6 toolchain is not on PATH (expected at /opt/swift/usr/bin)" >&2
  exit 1
}
echo "install-deps: ok"
