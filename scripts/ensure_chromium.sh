#!/usr/bin/env bash
# Install Debian's chromium for the browser tests (tests marked `browser`), if it is not there already.
# Idempotent: does nothing when /usr/bin/chromium exists.  Needs root (or sudo) and apt.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q chromium chromium-driver fonts-dejavu-core
test -x /usr/bin/chromium
echo "chromium installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
