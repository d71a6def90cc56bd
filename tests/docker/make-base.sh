#!/bin/sh
# Make the Debian bookworm image the Dockerfile builds on where no image registry is
# reachable: debootstrap a minimal root file system with Python 3.11 and its venv module,
# give it this host's CA certificates (pip in the build must trust the same package index
# as the host), and import it. Usage: make-base.sh [IMAGE]   (default wirewatch-base:bookworm)
set -eu
image=${1:-wirewatch-base:bookworm}
mirror=$(sed -n 's/^URIs: *//p; s/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) .*/\2/p' \
  /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | head -n 1)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
  bookworm "$root" "${mirror:-http://deb.debian.org/debian}" >/dev/null
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
if [ -d /usr/local/share/ca-certificates ]; then
  cp -r /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
fi
rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*
tar -C "$root" -c . | docker import - "$image" >/dev/null
echo "$image"
