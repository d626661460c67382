#!/usr/bin/env bash
# Agent memory benchmark (issue #5): RSS of the trimmed self-contained `appliance-agent run` with PEERS peers after
# DURATION seconds, next to the wireguard-go it drives. Server and agent run in one throwaway network namespace;
# the peers are registered through the API (keys from `wg genkey`). Prints one JSON line per figure. Needs root.
#   tests/bench/agent-rss/run.sh [DURATION=600] [PEERS=100]
# AGENT_ENV="DOTNET_X=1 ..." adds runtime settings to the agent's own (to try a tuning); AGENT_DIR=<dir> reuses a
# trimmed publish from an earlier run instead of publishing again.
set -euo pipefail
DURATION=${1:-600}; PEERS=${2:-100}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
W=$(mktemp -d /tmp/appliance-rss.XXXXXX); NS=aprss$$
cleanup() { rc=$?; set +e; [ $rc -ne 0 ] && { echo "--- agent.log"; cat "$W/agent.log"; echo "--- server.log"; tail -5 "$W/server.log"; } >&2; [ -n "${AGENT:-}" ] && kill "$AGENT" 2>/dev/null; [ -n "${SERVER:-}" ] && kill "$SERVER" 2>/dev/null; sleep 1
            pkill -f "wireguard-go -f aprss$$" 2>/dev/null; ip netns del "$NS" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
if [ -n "${AGENT_DIR:-}" ]; then cp -r "$AGENT_DIR" "$W/agent"; else
dotnet publish "$ROOT/agent-lite/Appliance.Agent" -c Release -r linux-x64 --self-contained -p:PublishTrimmed=true \
  --artifacts-path "$W/artifacts" -o "$W/agent" -nologo -v q >/dev/null; fi
dotnet build "$ROOT/server/Appliance.Server" -c Release -nologo -v q >/dev/null
ip netns add "$NS"; ip -n "$NS" link set lo up
ip netns exec "$NS" dotnet "$ROOT/server/Appliance.Server/bin/Release/net10.0/appliance-server.dll" serve --data-dir "$W/data" \
  --urls https://127.0.0.1:8443 --mqtt-url mqtts://127.0.0.1:8883 > "$W/server.log" 2>&1 & SERVER=$!
for _ in $(seq 100); do [ -f "$W/data/admin.token" ] && ip netns exec "$NS" curl -sf --cacert "$W/data/ca.crt" https://127.0.0.1:8443/healthz >/dev/null && break; sleep 0.3; done
T=$(cat "$W/data/admin.token"); C="ip netns exec $NS curl -sf --cacert $W/data/ca.crt -H Content-Type:application/json"
$C -H "Authorization: Bearer $T" -d '{"name":"rss","ipv4Cidr":"10.88.0.0/22"}' https://127.0.0.1:8443/api/v1/networks >/dev/null
KEYJSON=$($C -H "Authorization: Bearer $T" -d '{"networks":["rss"]}' https://127.0.0.1:8443/api/v1/enrollment-keys)
TOKEN=$(echo "$KEYJSON" | python3 -c 'import json,sys;print(json.load(sys.stdin)["token"])')
SECRET=$(echo "$TOKEN" | python3 -c 'import sys,base64,json;t=sys.stdin.read().strip();print(json.loads(base64.urlsafe_b64decode(t+"="*(-len(t)%4)))["key"])')
for i in $(seq "$PEERS"); do
  PUB=$(wg genkey | wg pubkey)
  $C -d "{\"key\":\"$SECRET\",\"publicKey\":\"$PUB\",\"hostname\":\"peer$i\",\"endpoints\":[\"192.0.2.$(( i % 250 + 1 ))\"]}" https://127.0.0.1:8443/api/v1/join >/dev/null
done
ip netns exec "$NS" "$W/agent/appliance-agent" join --token "$TOKEN" --state-dir "$W/state" --interface "aprss$$" --hostname agent >/dev/null
# The environment the systemd unit gives the agent (its Environment= lines, if any), plus AGENT_ENV.
UNIT_ENV=$(sed -n 's/^Environment=//p' "$ROOT/agent-lite/packaging/appliance-agent.service" | tr '\n' ' ')
ip netns exec "$NS" env $UNIT_ENV ${AGENT_ENV:-} "$W/agent/appliance-agent" run --state-dir "$W/state" \
  --hosts-file "$W/hosts" --backend userspace > "$W/agent.log" 2>&1 & AGENT=$!
for _ in $(seq 100); do grep -q "peers" "$W/agent.log" 2>/dev/null && break; sleep 0.3; done
sleep "$DURATION"
APID=$(pgrep -P "$AGENT" -f appliance-agent || echo "$AGENT")   # ip netns exec execs, so usually the same pid
WGPID=$(pgrep -f "wireguard-go -f aprss$$" | head -1)
kb() { awk -v k="$2:" '$1==k{print $2}' "/proc/$1/status"; }
PEERS_APPLIED=$(ip netns exec "$NS" wg show "aprss$$" peers | wc -l)
printf '{"bench":"agent/rss-after-run","env":"%s","peers":%s,"peers_applied":%s,"seconds":%s,"agent_rss_mb":%.1f,"agent_peak_rss_mb":%.1f,"agent_anon_mb":%.1f,"wireguard_go_rss_mb":%.1f,"agent_disk_mb":%.1f}\n' \
  "${AGENT_ENV:-}" "$PEERS" "$PEERS_APPLIED" "$DURATION" "$(echo "$(kb "$APID" VmRSS)/1024" | bc -l)" "$(echo "$(kb "$APID" VmHWM)/1024" | bc -l)" \
  "$(echo "$(kb "$APID" RssAnon)/1024" | bc -l)" "$(echo "$(kb "$WGPID" VmRSS)/1024" | bc -l)" "$(du -sm "$W/agent" | cut -f1)"
