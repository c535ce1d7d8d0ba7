#!/usr/bin/env bash
# Installs the Debian packages the test suite starts for real: php-cli/php-fpm
# with mysqli and PDO, nginx, MariaDB, Prometheus (for promtool and a real
# server), wrk for the benchmarks, systemd for `systemd-analyze verify`, and
# patch(1), which applies the diff `tracekit php rewrite` prints.
# Idempotent: packages already present are left alone.
set -euo pipefail

packages=(
  php-cli php-fpm php-mysql php-sqlite3
  nginx-light mariadb-server mariadb-client
  prometheus wrk curl ca-certificates time
  systemd docker-compose patch openssl
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # Debian's policy-rc.d keeps the packaged services from starting; the tests
  # start their own daemons on loopback with their own config.
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "test dependencies installed: ${packages[*]}"
