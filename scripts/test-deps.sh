#!/usr/bin/env bash
# Makes sure what the test suite needs is installed and running on a
# machine of the project's kind (Debian, root): Chromium for the browser
# tests and the local PostgreSQL server for the PostgreSQL store tests.
set -euo pipefail

need_root() { [ "$(id -u)" = 0 ] || { echo "test-deps: $1 needs root (or install it yourself)" >&2; exit 1; }; }

if ! command -v chromium >/dev/null 2>&1; then
  need_root "installing chromium"
  echo "test-deps: installing chromium from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    need_root "starting PostgreSQL"
    echo "test-deps: starting PostgreSQL" >&2
    ver=$(ls /etc/postgresql | sort -V | tail -n1)
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
fi
if ! pg_up; then
  echo "test-deps: PostgreSQL is not reachable on 127.0.0.1:5432" >&2
  exit 1
fi
# The test database: create it if this server lacks it.
if ! psql -h 127.0.0.1 -U postgres -d test -Atqc 'select 1' >/dev/null 2>&1; then
  psql -h 127.0.0.1 -U postgres -d postgres -qc 'CREATE DATABASE test' >/dev/null
fi
