#!/usr/bin/env bash
# `make setup`: the Debian packages the tests need (Chromium for the browser tests, CJK fonts so screenshots
# show Chinese, redis-server for the fault tests). Installs only what is missing; needs root to install.
set -euo pipefail
present() {
  case "$1" in
    chromium) command -v chromium >/dev/null ;;
    redis-server) command -v redis-server >/dev/null ;;
    fonts-noto-cjk) fc-list :lang=zh 2>/dev/null | grep -q . ;;
    *) dpkg -s "$1" >/dev/null 2>&1 ;;
  esac
}
wanted=()
for package in "$@"; do present "$package" || wanted+=("$package"); done
[ ${#wanted[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: these Debian packages are missing: ${wanted[*]}; installing them needs root:" >&2
  echo "       sudo apt-get install ${wanted[*]}   (then run make again)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "setup: these packages are missing and this is no Debian system: ${wanted[*]}; install their equivalents" >&2
  exit 1
fi
echo "setup: Debian packages ${wanted[*]} (apt-get, about 200 MB for Chromium)"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${wanted[@]}" >/dev/null
