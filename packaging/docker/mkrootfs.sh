#!/bin/sh
# Build a minimal root filesystem that runs the single-file ocis binary and nothing else:
# the binary, the C library it and its bundled extensions link against (the only things
# PyInstaller leaves out), /tmp for the one-file unpacking, and a data directory.
#
#   packaging/docker/mkrootfs.sh dist/ocis /tmp/rootfs [uid]
#   chroot /tmp/rootfs /usr/bin/ocis version              # no Python, no shell inside
#
# Used by packaging/docker/Dockerfile (FROM scratch) and by tests/binary (chroot smoke test).
# Needs: sh, ldd, cp, mkdir, chown (any glibc Linux: Debian, Ubuntu, ...). Not for musl/Alpine.
set -eu

binary=${1:?usage: mkrootfs.sh BINARY ROOTFS [UID]}
root=${2:?usage: mkrootfs.sh BINARY ROOTFS [UID]}
uid=${3:-1000}

mkdir -p "$root/usr/bin" "$root/tmp" "$root/etc" "$root/var/lib/ocis"
cp "$binary" "$root/usr/bin/ocis"
chmod 0755 "$root/usr/bin/ocis"
chmod 1777 "$root/tmp"

# copy a library (following symlinks) to the same path inside the root
copy_lib() {
    [ -e "$1" ] || return 0
    mkdir -p "$root$(dirname "$1")"
    cp -L "$1" "$root$1"
}

# What the bootloader links: libc, libdl, libpthread, libz and the dynamic loader.
libc=""
for lib in $(ldd "$binary" | awk '/=> \//{print $3} /^\t\//{print $1}'); do
    copy_lib "$lib"
    case "$lib" in */libc.so.*) libc=$lib ;; esac
done
[ -n "$libc" ] || { echo "mkrootfs.sh: $binary does not link glibc (ldd found no libc.so)" >&2; exit 1; }

# The rest of the glibc family, which PyInstaller never bundles (see PyInstaller/depend/dylib.py).
libdir=$(dirname "$libc")
for name in libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1 libutil.so.1 libresolv.so.2 \
            libcrypt.so.1 libanl.so.1 libnss_files.so.2 libnss_dns.so.2; do
    copy_lib "$libdir/$name"
done

# Just enough identity for the server user; name resolution for localhost.
printf 'root:x:0:0:root:/root:/sbin/nologin\nocis:x:%s:%s:ocis:/var/lib/ocis:/sbin/nologin\n' "$uid" "$uid" \
    > "$root/etc/passwd"
printf 'root:x:0:\nocis:x:%s:\n' "$uid" > "$root/etc/group"
printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
chown "$uid:$uid" "$root/var/lib/ocis" 2>/dev/null || true
chmod 0700 "$root/var/lib/ocis"
