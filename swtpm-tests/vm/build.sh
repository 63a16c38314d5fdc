#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the test gateway VM's boot disk from Debian packages and this tree's gwagent:
# a GPT disk with an ESP (GRUB, grub.cfg with doc/updates.md's A/B snippet, grubenv)
# and two slot groups rootfs-A and rootfs-B (ext2: /boot/vmlinuz + /boot/initrd.img).
#
# usage: swtpm-tests/vm/build.sh BUILD_DIR
# Prints the image directory (BUILD_DIR/vm/img-HASH) on standard output; the image
# is rebuilt only when the hash of its inputs changes. Needs no root and no loop
# mounts: sfdisk, mkfs.fat + mtools, mke2fs -d, busybox cpio.
# env: GW_VM_KERNEL_DEB  a linux-image-*.deb to use instead of apt-get download
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build=$(cd "$1" && pwd)
vm=$build/vm
mkdir -p "$vm/debs"
log() { echo "vm-build: $*" >&2; }
die() { echo "vm-build: $*" >&2; exit 1; }

for c in busybox socat sfdisk mkfs.fat mcopy mmd mke2fs grub-mkimage grub-editenv \
    dpkg-deb sha256sum gzip zstd; do
  command -v "$c" >/dev/null 2>&1 || die "$c is missing (scripts/deps.sh installs it)"
done
[ -x "$build/gwagent" ] || die "$build/gwagent is not built (make all)"
grubdir=/usr/lib/grub/x86_64-efi
[ -f "$grubdir/tpm.mod" ] || die "$grubdir has no tpm.mod (grub-efi-amd64-bin)"

# --- the guest kernel: linux-image-amd64's dependency, downloaded, never installed
kdeb=${GW_VM_KERNEL_DEB:-}
if [ -z "$kdeb" ]; then
  kdeb=$(ls -1 "$vm/debs"/linux-image-*-amd64_*.deb 2>/dev/null | sort -V | tail -n 1 || true)
fi
if [ -z "$kdeb" ]; then
  kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
  [ -n "$kpkg" ] || die "apt-cache does not know linux-image-amd64 (apt-get update?)"
  log "downloading $kpkg (not installed on the host)"
  (cd "$vm/debs" && apt-get download -q "$kpkg" >&2) || die "apt-get download $kpkg failed"
  kdeb=$(ls -1 "$vm/debs"/"$kpkg"_*.deb | tail -n 1)
fi
kname=$(basename "$kdeb" .deb)
kdir=$vm/kernel-$kname
if [ ! -d "$kdir/boot" ]; then
  rm -rf "$kdir.tmp"
  dpkg-deb -x "$kdeb" "$kdir.tmp"
  mv "$kdir.tmp" "$kdir"
fi
kver=$(basename "$(find "$kdir/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n 1)")
vmlinuz=$kdir/boot/vmlinuz-$kver
[ -f "$vmlinuz" ] || die "no vmlinuz-$kver in $kdeb"

# --- the initramfs tree: busybox, socat, gwagent with the libraries ldd names
stage=$vm/stage
rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,etc/gatewarden,proc,sys,dev,run,tmp,mnt,var/lib/gatewarden,boot/efi}
cp /usr/bin/busybox "$stage/bin/busybox"
for app in $("$stage/bin/busybox" --list); do
  [ "$app" = busybox ] || ln -sf busybox "$stage/bin/$app"
done
# The kernel asks /sbin/modprobe for crypto modules (ext4's crc32c).
ln -sf ../bin/busybox "$stage/sbin/modprobe"

# copy_with_libs FILE DEST: FILE and every library ldd names (with the loader),
# at their own paths.
copy_with_libs() {
  local f=$1 dest=$2 lib
  install -D -m 0755 "$f" "$stage$dest"
  for lib in $(ldd "$f" | awk '/=> \//{print $3} /^\t\/lib/{print $1}'); do
    [ -e "$stage$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$stage$lib"
  done
}
# gwagent links libarchive statically (the Makefile's AGENT_ARCHIVE): the shared
# one would bring libxml2 and ICU, half of the initramfs.
if ldd "$build/gwagent" | grep -Eq 'lib(archive|xml2|icuuc)\.so'; then
  die "$build/gwagent loads libarchive or libxml2 (not linked as the Makefile does)"
fi
copy_with_libs "$build/gwagent" /usr/bin/gwagent
copy_with_libs /usr/bin/socat /usr/bin/socat
# The scenarios read the grubenv in the guest with GRUB's own tool (the agent's
# grub backend writes it itself).
copy_with_libs "$(command -v grub-editenv)" /usr/bin/grub-editenv
# The TSS's TCTI loader dlopens the device TCTI: ldd cannot see it.
tcti=$(ls /usr/lib/x86_64-linux-gnu/libtss2-tcti-device.so.0 2>/dev/null || true)
[ -n "$tcti" ] || die "libtss2-tcti-device.so.0 not found (libtss2-dev)"
copy_with_libs "$tcti" "$tcti"
# glibc loads these for name lookups of "localhost"; the agent only uses 127.0.0.1.
printf 'hosts: files\n' >"$stage/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n' >"$stage/etc/hosts"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$stage/etc/passwd"

# Modules the Debian kernel builds as modules (TPM TIS/CRB are built in): virtio
# PCI, block and console, ext4 for the data disk, vfat for the ESP and the io disk.
mods="virtio_pci virtio_blk virtio_console crc32c_generic ext4 vfat nls_cp437 nls_ascii"
mdir=$kdir/lib/modules/$kver
mkdir -p "$stage/lib/modules/$kver"
cp "$mdir"/modules.order "$mdir"/modules.builtin "$stage/lib/modules/$kver/" 2>/dev/null || true
# Resolve dependencies with busybox's depmod over the extracted tree, then copy
# only what the wanted modules need.
moddep=$mdir/modules.dep
if [ ! -s "$moddep" ]; then
  busybox depmod -b "$kdir" "$kver" || die "busybox depmod failed on $mdir"
fi
want=()
for m in $mods; do
  line=$(grep -E "(^|/)$m\.ko:" "$moddep" | head -n 1) || die "module $m not in $kname"
  for p in $(echo "$line" | tr -d ':'); do want+=("$p"); done
done
# modules.dep names them relative to the module directory (kernel/...).
for p in $(printf '%s\n' "${want[@]}" | sort -u); do
  install -D -m 0644 "$mdir/$p" "$stage/lib/modules/$kver/$p"
done
busybox depmod -b "$stage" "$kver" || die "busybox depmod failed on the initramfs"
echo "$mods" | tr ' ' '\n' >"$stage/etc/gatewarden/modules"

install -m 0755 "$here/init" "$stage/init"
install -m 0755 "$here/gw-health" "$stage/usr/bin/gw-health"
install -m 0755 "$here/gw-reboot" "$stage/usr/bin/gw-reboot"
# The release this initramfs is; releases made by the scenarios (vmlib.sh,
# vm_slot_image) append a cpio archive that replaces it.
echo 1.0 >"$stage/etc/gw-release"
install -m 0644 "$here/agent.conf" "$stage/etc/gatewarden/agent.conf"

# --- the inputs' hash: the staged tree, the kernel, GRUB, this script, the snippet
snippet=$(sed -n '/^```grub$/,/^```$/p' "$root/doc/updates.md" | sed '1d;$d')
[ -n "$snippet" ] || die "doc/updates.md has no grub snippet"
hash=$(
  {
    (cd "$stage" && find . -printf '%p %y %m %l\n' | LC_ALL=C sort &&
      find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    for f in "$vmlinuz" "$here/build.sh" "$here/grub-head.cfg" "$here/grub-entry.cfg"; do
      sha256sum <"$f"
    done
    printf '%s\n' "$snippet"
    dpkg-query -W -f='${Version}\n' grub-efi-amd64-bin
  } | sha256sum | cut -c1-16
)
out=$vm/img-$hash
if [ -s "$out/disk.img" ]; then
  log "cached: $out"
  echo "$out"
  exit 0
fi
log "building $out"
tmp=$vm/img-$hash.tmp
rm -rf "$tmp"
mkdir -p "$tmp/slot/boot"

# initramfs: newc cpio, zstd (Debian's kernel has CONFIG_RD_ZSTD). Most of it is
# libraries the loader maps at every start of gwagent; libarchive is linked into
# gwagent statically, so libxml2 and ICU's 30 MB data are no longer among them
# (26 MB -> 12.9 MB, doc/testing.md). Measured under TCG (doc/testing.md):
# zstd -9 is 17 % smaller than gzip -1 and unpacks faster; xz is 36 % smaller but
# the kernel takes 18 s to unpack it.
(cd "$stage" && find . | LC_ALL=C sort | busybox cpio -o -H newc 2>/dev/null) |
  zstd -q -9 -T2 >"$tmp/slot/boot/initrd.img"
cp "$vmlinuz" "$tmp/slot/boot/vmlinuz"

# grub.cfg: our head (console, no menu delay), the documented A/B snippet up to its
# menuentry, and our menuentry (the slot group's ext2 by its label).
{
  cat "$here/grub-head.cfg"
  printf '%s\n' "$snippet" | sed '/^menuentry /,$d'
  cat "$here/grub-entry.cfg"
} >"$tmp/grub.cfg"
grub-editenv "$tmp/grubenv" create
grub-mkimage -O x86_64-efi -o "$tmp/BOOTX64.EFI" -p /EFI/gatewarden \
  part_gpt fat ext2 search search_label loadenv test echo sleep halt linux normal \
  configfile linuxefi tpm 2>/dev/null || die "grub-mkimage failed"

# ESP (FAT, 32 MiB), slots (ext2, 96 MiB each), one GPT disk
esp_mib=32 slot_mib=96
mkfs.fat -C -n GW-ESP "$tmp/esp.img" $((esp_mib * 1024)) >/dev/null
mmd -i "$tmp/esp.img" ::/EFI ::/EFI/BOOT ::/EFI/gatewarden
mcopy -i "$tmp/esp.img" "$tmp/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$tmp/esp.img" "$tmp/grub.cfg" "$tmp/grubenv" ::/EFI/gatewarden/
mke2fs -q -t ext2 -L gw-slot-A -d "$tmp/slot" "$tmp/slot-A.img" ${slot_mib}M >/dev/null
mkdir -p "$tmp/empty"
mke2fs -q -t ext2 -L gw-slot-B -d "$tmp/empty" "$tmp/slot-B.img" ${slot_mib}M >/dev/null
total_mib=$((1 + esp_mib + 2 * slot_mib + 1))
truncate -s ${total_mib}M "$tmp/disk.img"
sfdisk -q "$tmp/disk.img" <<SFD
label: gpt
first-lba: 2048
start=1MiB, size=${esp_mib}MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="esp"
size=${slot_mib}MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="rootfs-A"
size=${slot_mib}MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="rootfs-B"
SFD
put() { dd if="$1" of="$tmp/disk.img" bs=1M seek="$2" conv=notrunc,sparse status=none; }
put "$tmp/esp.img" 1
put "$tmp/slot-A.img" $((1 + esp_mib))
put "$tmp/slot-B.img" $((1 + esp_mib + slot_mib))
rm -f "$tmp/esp.img" "$tmp/slot-B.img"
rm -rf "$tmp/empty"
printf 'esp_offset=%d\nslot_mib=%d\nkernel=%s\n' $((1024 * 1024)) "$slot_mib" "$kname" \
  >"$tmp/layout"
# Older images are no longer needed: keep only this one.
for old in "$vm"/img-*; do
  [ "$old" = "$tmp" ] || rm -rf "$old"
done
mv "$tmp" "$out"
log "built $out"
echo "$out"
