#!/usr/bin/env bash
# Installs Fazt on Debian 12 / Ubuntu as a service: the package (apt resolves its Depends), the
# `fazt` system user, /var/lib/fazt (0700), the database (`fazt server init`), and fazt.service
# with fazt.socket on ports 80 and 443. Idempotent: run it again to upgrade or change options.
#
#   installers/install.sh                        from a source checkout: builds the .deb first
#   installers/install.sh --deb fazt_X_amd64.deb a package copied to the server ("scp it and go")
#   options:  --domain example.com   --email me@example.com (Let's Encrypt; turns HTTPS on)
#             --password-file FILE ('-': stdin)   --username NAME   --no-start
#   installers/install.sh --uninstall [--purge]  removes the package; --purge also the data
#
# Without --domain (and no database yet) it asks on the terminal.
set -euo pipefail

db=/var/lib/fazt/fazt.db
defaults=/etc/default/fazt
deb= domain= email= password_file= username=admin start=1 uninstall=0 purge=0

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
die() { echo "install.sh: $*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --deb) deb=${2:?--deb takes a file}; shift ;;
    --domain) domain=${2:?--domain takes a name}; shift ;;
    --email) email=${2:?--email takes an address}; shift ;;
    --password-file) password_file=${2:?--password-file takes a file}; shift ;;
    --username) username=${2:?--username takes a name}; shift ;;
    --no-start) start=0 ;;
    --uninstall) uninstall=1 ;;
    --purge) purge=1 ;;
    -h|--help) usage 0 ;;
    *) echo "install.sh: unknown option '$1'" >&2; usage ;;
  esac
  shift
done

[[ $(id -u) -eq 0 ]] || die "run it as root (sudo $0 $*)"
# What an earlier run chose (FAZT_DOMAIN, FAZT_OPTIONS); flags override it.
if [[ -f $defaults ]]; then
  # shellcheck disable=SC1090
  source "$defaults"
fi
has_systemd() { [[ -d /run/systemd/system ]]; }
export DEBIAN_FRONTEND=noninteractive

if [[ $uninstall -eq 1 ]]; then
  if has_systemd; then systemctl disable --now fazt.service fazt.socket 2>/dev/null || true; fi
  if dpkg-query -W -f='${Status}' fazt 2>/dev/null | grep -q 'ok installed'; then
    apt-get remove -y -qq fazt >/dev/null
    echo "Removed the fazt package."
  fi
  if [[ $purge -eq 1 ]]; then
    dpkg --purge fazt >/dev/null 2>&1 || true
    rm -rf /var/lib/fazt "$defaults"
    if getent passwd fazt >/dev/null; then deluser --quiet --system fazt >/dev/null 2>&1 || userdel fazt; fi
    if getent group fazt >/dev/null; then delgroup --quiet --system fazt >/dev/null 2>&1 || groupdel fazt; fi
    echo "Purged /var/lib/fazt, $defaults and the fazt user."
  else
    if [[ -d /var/lib/fazt ]]; then echo "The data stays in /var/lib/fazt (--purge removes it)."; fi
  fi
  exit 0
fi

# The package: the one given, or one built from this checkout.
if [[ -z $deb ]]; then
  repo=$(cd "$(dirname "$0")/.." && pwd)
  [[ -f $repo/CMakeLists.txt ]] || die "no --deb given and $repo is not a source checkout"
  echo "Building the package from $repo (make package; the first build takes a while)"
  make -C "$repo" --no-print-directory package >/dev/null
  deb=$(ls -t "$repo"/build/fazt_*_"$(dpkg --print-architecture)".deb | head -1)
fi
[[ -f $deb ]] || die "$deb does not exist"
deb=$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")
echo "Installing $(basename "$deb")"
apt-get install -y -qq --reinstall "$deb" >/dev/null || die "apt-get install $deb failed"

# The package's postinst makes these; make sure, in case it was installed another way.
getent passwd fazt >/dev/null ||
  adduser --system --group --home /var/lib/fazt --no-create-home --shell /usr/sbin/nologin fazt
install -d -m 0700 -o fazt -g fazt /var/lib/fazt

# The database: created on the first run, updated (domain, password) when flags say so.
as_fazt() { runuser -u fazt -- "$@"; }
if [[ ! -f $db && -z ${domain:-${FAZT_DOMAIN:-}} ]]; then
  [[ -t 0 ]] || die "no database yet: give --domain (and --password-file) to create it"
  read -r -p "Domain (sites live at NAME.DOMAIN; localhost to try): " domain
  if [[ -z $email && $domain != localhost ]]; then
    read -r -p "E-mail for Let's Encrypt (empty: no HTTPS): " email
  fi
fi
if [[ -n $domain || -n $password_file || ! -f $db ]]; then
  domain=${domain:-${FAZT_DOMAIN:-}}
  [[ -n $domain ]] || die "give --domain too"
  init=(fazt server init --db "$db" --domain "$domain" --username "$username")
  if [[ $password_file == - ]]; then
    as_fazt "${init[@]}" --password-file -
  elif [[ -n $password_file ]]; then
    as_fazt "${init[@]}" --password-file - <"$password_file"
  else
    as_fazt "${init[@]}"
  fi
fi

# fazt.service reads FAZT_OPTIONS; HTTPS once there is an address for Let's Encrypt.
domain=${domain:-${FAZT_DOMAIN:-localhost}}
options=${FAZT_OPTIONS:-}
if [[ -n $email ]]; then options="--https-port 443 --acme-email $email"; fi
cat >"$defaults" <<EOF
# Written by installers/install.sh (run it again to change them); read by fazt.service.
FAZT_DOMAIN=$domain
FAZT_OPTIONS="$options"
EOF
shown=$domain
if has_systemd && [[ $start -eq 1 ]]; then
  systemctl daemon-reload
  systemctl enable --now fazt.socket >/dev/null 2>&1
  systemctl enable fazt.service >/dev/null 2>&1
  # restart, not start: a new binary or new options take effect, the socket keeps the ports.
  systemctl restart fazt.service
  echo "Fazt is running (systemctl status fazt; fazt service logs -f)."
else
  echo "systemd does not run here (or --no-start): start it in the foreground with"
  echo "  runuser -u fazt -- fazt server start --db $db --port 80"
fi
cat <<EOF

  landing page   http://$shown/
  admin          http://admin.$shown/
  a site         http://NAME.$shown/   (point *.$shown at this machine)

Next steps:
  runuser -u fazt -- fazt server create-token --db $db --name laptop --scopes deploy,create-sites
  fazt deploy ./public --site blog --server http://admin.$shown --token TOKEN   (from your laptop)
  Options for the server (ports, HTTPS): FAZT_OPTIONS in $defaults, then systemctl restart fazt
EOF
