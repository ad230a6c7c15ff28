#!/usr/bin/env bash
# Installs everything the build, the tests and the benchmarks need on Debian 12.
# Safe to run again; needs root (or sudo) for apt-get.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libasio-dev libexpected-dev catch2 libbenchmark-dev
  libcli11-dev libspdlog-dev libfmt-dev
  libreadline-dev libssl-dev openssl
  libtomlplusplus-dev libargon2-dev libsqlite3-dev sqlite3
  libhiredis-dev redis-server
  scdoc dpkg-dev lintian systemd man-db adduser
  clang-format python3 python3-irc python3-pyte ngircd irssi weechat-curses tmux
  clang libclang-rt-14-dev
  chromium chromium-driver python3-selenium python3-prometheus-client
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
