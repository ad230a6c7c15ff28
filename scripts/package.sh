#!/usr/bin/env bash
# Builds what a packager builds and checks what an operator gets:
#   1. the plain Release build users type (prefix /usr), warnings as errors;
#   2. `cmake --install` into a staging directory: every file in its place;
#   3. `systemd-analyze verify` on the unit;
#   4. `cpack -G DEB`, lintian's findings (listed, see the README);
#   5. with INSTALL=1 (CI, as root): dpkg -i, the installed chat-server's
#      --version and --check-config of the shipped configuration, the user,
#      then dpkg -r and --purge, and nothing left behind.
#
#   scripts/package.sh                 # 1-4, into build/pkg
#   INSTALL=1 scripts/package.sh       # and 5 (changes the machine: CI only)
#   CXX=clang++ BUILD=build/pkg-clang PACKAGE=0 scripts/package.sh   # the build alone, with clang
#
# BUILD_TYPE (default Release) and DEBUG_FLAGS (CMAKE_CXX_FLAGS_DEBUG) pick
# another build: CI checks clang's warnings on an unoptimised build
# (BUILD_TYPE=Debug DEBUG_FLAGS="-O0 -g0"), which compiles twice as fast and
# warns the same (clang's warnings come from its front end).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${BUILD:-build/pkg}
BUILD_TYPE=${BUILD_TYPE:-Release}
DEBUG_FLAGS=${DEBUG_FLAGS:-}
PACKAGE=${PACKAGE:-1}
INSTALL=${INSTALL:-0}

scripts/install-deps.sh

say() { printf '== %s\n' "$*"; }
fail() { printf 'package.sh: %s\n' "$*" >&2; exit 1; }

say "plain $BUILD_TYPE build in $BUILD (${CXX:-c++})"
extra=()
if [ -n "$DEBUG_FLAGS" ]; then extra+=("-DCMAKE_CXX_FLAGS_DEBUG=$DEBUG_FLAGS"); fi
if [ "$PACKAGE" = 1 ] && [ "$BUILD_TYPE" != Release ]; then fail "a package is built from a Release build"; fi
cmake -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DCMAKE_INSTALL_PREFIX=/usr \
  -DCHAT_WARNINGS_AS_ERRORS=ON -DCHAT_BUILD_TESTS=OFF "${extra[@]}" >/dev/null
cmake --build "$BUILD"
[ "$PACKAGE" = 1 ] || exit 0

say "staged install"
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
DESTDIR="$STAGE" cmake --install "$BUILD" >/dev/null
expected=(
  usr/sbin/chat-server
  usr/bin/chat-client
  usr/bin/chat-bench
  usr/share/man/man8/chat-server.8.gz
  usr/share/man/man5/chat-server.toml.5.gz
  usr/share/man/man1/chat-client.1.gz
  usr/share/man/man1/chat-bench.1.gz
  etc/chat/chat-server.toml
  lib/systemd/system/chat-server.service
  usr/share/doc/chat-server/README.md
  usr/share/doc/chat-server/copyright
  usr/share/doc/chat-server/changelog.gz
)
for f in "${expected[@]}"; do
  [ -f "$STAGE/$f" ] || fail "not installed: /$f"
done
actual=$(cd "$STAGE" && find . -type f | sed 's|^\./||' | sort)
wanted=$(printf '%s\n' "${expected[@]}" | sort)
[ "$actual" = "$wanted" ] || fail "installed files differ from the list:$(diff <(echo "$wanted") <(echo "$actual"))"
for b in usr/sbin/chat-server usr/bin/chat-client usr/bin/chat-bench; do
  "$STAGE/$b" --version | grep -Eq "^chat-(server|client|bench) [0-9]+\.[0-9]+\.[0-9]+" || fail "$b --version"
done
"$STAGE/usr/sbin/chat-server" --config "$STAGE/etc/chat/chat-server.toml" --check-config
for page in "$STAGE"/usr/share/man/man*/*; do
  # man renders each page without a warning.
  out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) || fail "man $page"
  [ -z "$out" ] || fail "man $page: $out"
done
echo "every file in place"

say "systemd-analyze verify"
# The unit names /usr/sbin/chat-server: verify a copy that names the staged one.
sed "s|/usr/sbin/chat-server|$STAGE/usr/sbin/chat-server|" "$STAGE/lib/systemd/system/chat-server.service" \
  >"$STAGE/chat-server.service"
out=$(MANPATH="$STAGE/usr/share/man" systemd-analyze verify "$STAGE/chat-server.service" 2>&1) || fail "systemd-analyze verify: $out"
if grep -v -e '^$' <<<"$out" | grep -q .; then fail "systemd-analyze verify: $out"; fi
echo "unit OK"

say "cpack -G DEB"
rm -f "$BUILD"/chat-server_*.deb  # an older version's would be picked up below
(cd "$BUILD" && cpack -G DEB >/dev/null)
DEB=$(realpath "$BUILD"/chat-server_*.deb)
dpkg-deb --field "$DEB"
say "lintian (findings are listed and explained in the README)"
lintian --tag-display-limit 0 "$DEB" || true

[ "$INSTALL" = 1 ] || exit 0
say "dpkg -i, run, dpkg -r, dpkg --purge"
[ "$(id -u)" -eq 0 ] || fail "INSTALL=1 needs root"
apt-get install -y -qq "$DEB" >/dev/null
/usr/sbin/chat-server --version
getent passwd chat >/dev/null || fail "no user chat"
[ "$(stat -c %U:%G /etc/chat/chat-server.toml)" = root:chat ] || fail "configuration not root:chat"
su -s /bin/sh chat -c '/usr/sbin/chat-server --config /etc/chat/chat-server.toml --check-config'
# (Minimal images may exclude /usr/share/man from installs: the pages were
# checked in the stage and in the .deb; the staged ones serve the unit's
# Documentation= here.)
dpkg-deb --contents "$DEB" | grep -q 'usr/share/man/man8/chat-server.8.gz' || fail "no man page in the .deb"
out=$(MANPATH="$STAGE/usr/share/man" systemd-analyze verify /lib/systemd/system/chat-server.service 2>&1) ||
  fail "systemd-analyze verify (installed): $out"
dpkg -r chat-server >/dev/null
[ ! -e /usr/sbin/chat-server ] || fail "dpkg -r left /usr/sbin/chat-server"
[ -e /etc/chat/chat-server.toml ] || fail "dpkg -r removed the conffile (only a purge may)"
dpkg --purge chat-server >/dev/null
[ ! -e /etc/chat/chat-server.toml ] || fail "dpkg --purge left /etc/chat/chat-server.toml"
echo "installed, ran, removed and purged cleanly"
