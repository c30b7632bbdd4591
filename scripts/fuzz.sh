#!/usr/bin/env bash
# Runs every fuzz target in the tree for a while each (`make fuzz`).
# Targets are found by name, so a new FuzzXxx is fuzzed without editing this.
set -euo pipefail
cd "$(dirname "$0")/.."
time_each=${1:-30s}
status=0
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "== $pkg $target ($time_each)"
    if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$time_each" "$pkg"; then
      status=1
    fi
  done
done
exit $status
