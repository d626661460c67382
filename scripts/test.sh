#!/usr/bin/env bash
# The whole test suite: installs what the tests need, builds, runs every category
# (Unit, Integration, Interop, Netns, Vm) and prints one closing 'N passed, N failed' line.
# Pass a filter to pick a layer, e.g.  scripts/test.sh "Category=Unit"
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
filter=${1:-}
dotnet build Appliance.sln -c Release -nologo -v q
log=$(mktemp)
args=(test Appliance.sln -c Release --no-build -nologo)
[ -n "$filter" ] && args+=(--filter "$filter")
set +e
dotnet "${args[@]}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# dotnet test prints one "Failed: F, Passed: P, Skipped: S" line per test assembly; sum them up.
read -r p f s < <(grep -aoE 'Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$log" |
  awk -F'[:,]' '{f+=$2; p+=$4; s+=$6} END {print p+0, f+0, s+0}')
rm -f "$log"
echo "tests: $p passed, $f failed, $s skipped"
if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then exit 1; fi
if [ "$p" -eq 0 ]; then echo "no test ran" >&2; exit 1; fi
