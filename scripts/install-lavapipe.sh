#!/usr/bin/env bash
# Installs Mesa's software Vulkan driver (lavapipe) so that WebGPU runs in Node on a machine
# without a GPU: for the conformance suite, not for speed. Debian 12 needs Mesa from
# bookworm-backports (25.x); bookworm's own 22.x is too old for Dawn and yields no adapter.
set -euo pipefail
if [ -f /usr/share/vulkan/icd.d/lvp_icd.json ] && dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -q '^2[5-9]\.'; then
  echo "install-lavapipe: Mesa lavapipe $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers) already installed"
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "install-lavapipe: run as root (it uses apt-get)" >&2; exit 1; }
. /etc/os-release
if [ "${VERSION_CODENAME:-}" = bookworm ]; then
  uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  uri=${uri:-http://deb.debian.org/debian}
  printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" \
    > /etc/apt/sources.list.d/backports.sources
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers
else
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mesa-vulkan-drivers
fi
