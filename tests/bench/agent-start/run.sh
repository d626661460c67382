#!/usr/bin/env bash
# Agent start-up benchmark (issue #15): time from starting `appliance-agent run` to its first apply of the state it
# saved on disk (the restart or boot case: the server may be down, the device must come back from what it had),
# with PEERS peers and real wireguard-go (userspace backend) in a throwaway network namespace. A server in the
# namespace and one join give the agent a real state dir; one run saves the server's config to desired.json; then
# RUNS cold starts each begin with no WireGuard interface (as after a boot). Prints one JSON line per run and one
# with the median. Needs root.
#   tests/bench/agent-start/run.sh [RUNS=15] [PEERS=100]
# AOT_DIR=<dir> reuses a NativeAOT publish; BACKEND=userspace (default) or kernel (where the kernel has WireGuard).
# The timed starts run under SCHED_FIFO (chrt -f 10; wireguard-go inherits it) so that a shared, loaded machine
# measures the agent and not the run queue; RT=0 runs them at normal priority.
# Stops only what it started, by pid: the server, the agents and their wireguard-go children.
set -euo pipefail
RUNS=${1:-15}; PEERS=${2:-100}; BACKEND=${BACKEND:-userspace}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d /tmp/appliance-start.XXXXXX); NS=apst$$; IF=apst$$
SERVER=
stop() { local pid=$1 what=$2; [ -n "$pid" ] && grep -qa -- "$what" "/proc/$pid/cmdline" 2>/dev/null && kill "$pid" 2>/dev/null || true; }
# The wireguard-go serving our interface (a child of an agent that may be gone by now), by its command line.
stop_wg() { for p in $(pgrep -x wireguard-go 2>/dev/null); do grep -qa -- "$IF" "/proc/$p/cmdline" 2>/dev/null && stop "$p" wireguard-go; done; return 0; }
cleanup() {
  rc=$?; set +e
  [ $rc -ne 0 ] && { echo "--- server.log"; tail -5 "$W/server.log"; } >&2
  stop "$SERVER" appliance-server; stop_wg
  ip netns del "$NS" 2>/dev/null; rm -rf "$W"
}
trap cleanup EXIT
if [ -n "${AOT_DIR:-}" ]; then cp -r "$AOT_DIR" "$W/agent"; else
  dotnet publish "$ROOT/agent-lite/Appliance.Agent" -c Release -r linux-x64 --artifacts-path "$W/artifacts" -o "$W/agent" -nologo -v q >/dev/null
fi
dotnet build "$ROOT/server/Appliance.Server" -c Release -nologo -v q >/dev/null
ip netns add "$NS"; ip -n "$NS" link set lo up
ip netns exec "$NS" env RateLimits__JoinsPerMinute=0 dotnet "$ROOT/server/Appliance.Server/bin/Release/net10.0/appliance-server.dll" serve --data-dir "$W/data" \
  --urls https://127.0.0.1:8443 --mqtt-url mqtts://127.0.0.1:8883 > "$W/server.log" 2>&1 & SERVER=$!
for _ in $(seq 100); do [ -f "$W/data/admin.token" ] && ip netns exec "$NS" curl -sf --cacert "$W/data/ca.crt" https://127.0.0.1:8443/healthz >/dev/null && break; sleep 0.3; done
T=$(cat "$W/data/admin.token"); C="ip netns exec $NS curl -sf --cacert $W/data/ca.crt -H Content-Type:application/json"
$C -H "Authorization: Bearer $T" -d '{"name":"start","ipv4Cidr":"10.89.0.0/21"}' https://127.0.0.1:8443/api/v1/networks >/dev/null
KEYJSON=$($C -H "Authorization: Bearer $T" -d '{"networks":["start"]}' https://127.0.0.1:8443/api/v1/enrollment-keys)
TOKEN=$(echo "$KEYJSON" | python3 -c 'import json,sys;print(json.load(sys.stdin)["token"])')
SECRET=$(echo "$TOKEN" | python3 -c 'import sys,base64,json;t=sys.stdin.read().strip();print(json.loads(base64.urlsafe_b64decode(t+"="*(-len(t)%4)))["key"])')
for i in $(seq $(( PEERS ))); do
  PUB=$(wg genkey | wg pubkey)
  $C -d "{\"key\":\"$SECRET\",\"publicKey\":\"$PUB\",\"hostname\":\"peer$i\",\"endpoints\":[\"192.0.2.$(( i % 250 + 1 ))\"]}" https://127.0.0.1:8443/api/v1/join >/dev/null
done
ip netns exec "$NS" "$W/agent/appliance-agent" join --token "$TOKEN" --state-dir "$W/state" --interface "$IF" --hostname agent >/dev/null
# One run that follows the server until the full config is saved, so the cold starts have PEERS peers to restore.
ip netns exec "$NS" "$W/agent/appliance-agent" run --state-dir "$W/state" --hosts-file "$W/hosts" --backend "$BACKEND" > "$W/first.log" 2>&1 & A=$!
for _ in $(seq 200); do grep -q "applied v.*: $PEERS peers" "$W/first.log" 2>/dev/null && break; sleep 0.3; done
grep -q "applied v.*: $PEERS peers" "$W/first.log" || { echo "the agent never applied $PEERS peers:" >&2; cat "$W/first.log" >&2; exit 1; }
stop "$A" appliance-agent; for _ in $(seq 50); do [ -d "/proc/$A" ] || break; sleep 0.1; done
stop_wg
times=()
for r in $(seq "$RUNS"); do
  for _ in $(seq 50); do ip -n "$NS" link show "$IF" >/dev/null 2>&1 || break; sleep 0.1; done
  ip -n "$NS" link del "$IF" 2>/dev/null || true
  prio=(); [ "${RT:-1}" = 1 ] && prio=(chrt -f 10)
  line=$(ip netns exec "$NS" "${prio[@]}" python3 "$HERE/first-apply.py" "$W/agent/appliance-agent" "$W/state" "$W/hosts" "$BACKEND")
  stop_wg
  echo "{\"bench\":\"agent/start-run\",\"run\":$r,\"backend\":\"$BACKEND\",\"peers\":$PEERS,${line#\{}"
  times+=("$(echo "$line" | python3 -c 'import json,sys;print(json.load(sys.stdin)["first_apply_ms"])')")
done
printf '%s\n' "${times[@]}" | python3 -c "
import sys,statistics,json
t=sorted(float(x) for x in sys.stdin)
print(json.dumps({'bench':'agent/start-to-first-apply','build':'aot','backend':'$BACKEND','peers':$PEERS,'rt':${RT:-1},'runs':len(t),'p50_ms':round(statistics.median(t),1),'min_ms':t[0],'max_ms':t[-1],'load':open('/proc/loadavg').read().split()[0]}))"
