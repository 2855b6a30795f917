#!/usr/bin/env bash
# Builds the release packages into dist/: a tarball (bin/crashsift, the default rules, man page,
# shell completions) and a .deb installing the same under /usr. The binary links the Swift
# runtime and Foundation statically, so neither needs the toolchain; it still links the system's
# libarchive and SQLite, which the .deb's Depends names (computed from the binary's NEEDED
# entries). The git commit is baked in with a C define (Sources/CBuildInfo), without editing or
# generating sources. Check the result on a clean Debian 12 with scripts/check-package.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  echo "package: the checkout has uncommitted changes; the package names $commit anyway" >&2
fi
flags=(-c release --static-swift-stdlib --product crashsift -Xcc "-DCRASHSIFT_GIT_COMMIT=\"$commit\"")
swift build "${flags[@]}"
bin="$(swift build "${flags[@]}" --show-bin-path)/crashsift"
version=$("$bin" --version | head -1 | cut -d' ' -f2)
baked=$("$bin" --version | sed -n 's/^commit: //p')
[ "$baked" = "$commit" ] || { echo "package: binary says commit $baked, not $commit" >&2; exit 1; }

dist=dist
name="crashsift-$version-linux-x86_64"
stage="$dist/$name"
rm -rf "$stage" "$dist/deb"
mkdir -p "$stage/bin" "$stage/share/crashsift/rules" "$stage/share/man/man1" \
  "$stage/share/bash-completion/completions" "$stage/share/zsh/vendor-completions" \
  "$stage/share/fish/vendor_completions.d" "$stage/share/doc/crashsift"
install -m 755 "$bin" "$stage/bin/crashsift"
strip "$stage/bin/crashsift"
install -m 644 pipelines/rules/*.json "$stage/share/crashsift/rules/"
install -m 644 README.md docs/schema/*.json "$stage/share/doc/crashsift/"
"$bin" --generate-completion-script bash >"$stage/share/bash-completion/completions/crashsift"
"$bin" --generate-completion-script zsh >"$stage/share/zsh/vendor-completions/_crashsift"
"$bin" --generate-completion-script fish >"$stage/share/fish/vendor_completions.d/crashsift.fish"
# The man page: swift-argument-parser's generate-manual plugin, from the binary's help.
# Its help text is the same in every configuration, so the debug build (which tests use) serves.
swift package plugin generate-manual --configuration debug >/dev/null
manual=$(find .build/plugins -name crashsift.1 | head -1)
[ -n "$manual" ] || { echo "package: generate-manual wrote no crashsift.1" >&2; exit 1; }
gzip -9n <"$manual" >"$stage/share/man/man1/crashsift.1.gz"
tar -C "$dist" -czf "$dist/$name.tar.gz" "$name"

# The .deb: the same files under /usr; Depends from the libraries the binary needs.
root="$dist/deb/root"
mkdir -p "$root/usr" "$root/DEBIAN"
cp -a "$stage/bin" "$stage/share" "$root/usr/"
# dpkg -S by file name: on a merged-/usr system the loader's path and dpkg's record differ.
owner() {
  dpkg -S "*/$1" 2>/dev/null | grep -e x86_64-linux-gnu -e /lib64/ | grep -v -e lib32 -e libx32 \
    | head -1 | cut -d: -f1 || true
}
depends=$(objdump -p "$stage/bin/crashsift" | awk '/NEEDED/ {print $2}' | while read -r lib; do
  path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ {print $NF; exit}')
  owner "$(basename "$(readlink -f "${path:-$lib}")")"
done | sort -u | grep . | while read -r pkg; do
  echo "$pkg (>= $(dpkg-query -W -f='${Version}' "$pkg" | sed 's/-[^-]*$//'))"
done | paste -sd, - | sed 's/,/, /g')
case "$depends" in *libarchive13*) ;; *) echo "package: no libarchive in Depends: $depends" >&2; exit 1 ;; esac
case "$depends" in *libsqlite3-0*) ;; *) echo "package: no libsqlite3 in Depends: $depends" >&2; exit 1 ;; esac
cat >"$root/DEBIAN/control" <<CONTROL
Package: crashsift
Version: $version
Architecture: amd64
Maintainer: crashsift maintainers <crashsift@invalid>
Depends: $depends
Section: devel
Priority: optional
Description: Windows crash-dump analytics pipeline, offline
 Ingests archives of Windows minidumps and kernel dumps, parses, symbolizes,
 buckets them as WinDbg's !analyze does and writes a nightly report (HTML, CSV,
 JSON). Built from commit $commit.
CONTROL
dpkg-deb --root-owner-group --build "$root" "$dist/crashsift_${version}_amd64.deb" >/dev/null
echo "package: $dist/$name.tar.gz and $dist/crashsift_${version}_amd64.deb (commit $commit)"
echo "package: Depends: $depends"
