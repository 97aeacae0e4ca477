#!/usr/bin/env bash
# Installs what the integration tests need: the Debian packages listed in
# .ci/packages.txt (test daemons, nftables, iproute2 …). It installs only what is
# missing, so a second run costs nothing. Without root or apt-get it says what is
# missing and leaves it: the tests that need it skip (or fail under CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t want < <(grep -v '^\s*#' .ci/packages.txt | sed '/^\s*$/d' | sort -u)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "test-deps: missing Debian packages (integration tests will skip): ${missing[*]}" >&2
  exit 0
fi
echo "test-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-o DPkg::Lock::Timeout=600 -y --no-install-recommends)
apt-get update -qq || true
apt-get install "${apt_opts[@]}" "${missing[@]}" >/tmp/portreach-test-deps.log 2>&1 || {
  tail -30 /tmp/portreach-test-deps.log >&2; exit 1; }
# Debian starts some daemons on install; the tests run their own instances in
# network namespaces and need the ports free on loopback too.
for svc in bind9 named dnsmasq snmpd chrony tftpd-hpa freeradius xl2tpd strongswan-starter ipsec \
           samba samba-ad-dc smbd nmbd winbind krb5-kdc krb5-admin-server minissdpd prometheus prometheus-alertmanager \
           prometheus-node-exporter postfix dovecot nginx xrdp xrdp-sesman; do
  if [ -x "/etc/init.d/$svc" ]; then "/etc/init.d/$svc" stop >/dev/null 2>&1 || true; fi
done
