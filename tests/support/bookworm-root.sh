#!/usr/bin/env bash
# Prints the path of a clean Debian 12 root filesystem as a tarball (debootstrap --variant=minbase
# bookworm, with the package lists fetched), building it when it is missing. It lives outside the
# clone (CACHE, default /var/cache/fazt-tests) so CI builds it once per machine, not per run.
# Exit 77 (skip) when it cannot be built: not root, no debootstrap, or the archive unreachable.
set -euo pipefail
cache=${1:-/var/cache/fazt-tests}
mirror=${FAZT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
tarball=$cache/bookworm-minbase.tar.gz
if [[ -s $tarball ]]; then echo "$tarball"; exit 0; fi
[[ $(id -u) -eq 0 ]] || { echo "building $tarball needs root" >&2; exit 77; }
command -v debootstrap >/dev/null || { echo "debootstrap is missing (installers/deps.sh test)" >&2; exit 77; }
mkdir -p "$cache"
work=$(mktemp -d "$cache/build.XXXXXX")
trap 'umount -l "$work/root/proc" 2>/dev/null || true; rm -rf "$work"' EXIT
echo "building $tarball (once per machine; a few minutes)" >&2
if ! debootstrap --variant=minbase bookworm "$work/root" "$mirror" >"$work/log" 2>&1; then
    tail -5 "$work/log" >&2
    echo "debootstrap cannot reach $mirror" >&2
    exit 77
fi
cat >"$work/root/etc/apt/sources.list" <<LIST
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${FAZT_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security} bookworm-security main
LIST
chroot "$work/root" apt-get update -qq >&2 || { echo "apt-get update failed in the chroot" >&2; exit 77; }
chroot "$work/root" apt-get clean
tar -C "$work/root" -czf "$work/root.tar.gz" .
mv "$work/root.tar.gz" "$tarball"
echo "$tarball"
