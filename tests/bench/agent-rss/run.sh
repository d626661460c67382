#!/usr/bin/env bash
# Agent memory benchmark (issues #5, #15): resident memory of `appliance-agent run` following a server with PEERS peers,
# the JIT build (trimmed self-contained) and the NativeAOT build side by side in one run, next to the wireguard-go each
# drives. Server and agents run in one throwaway network namespace; the other peers are registered through the API
# (keys from `wg genkey`), so each agent has PEERS peers (the other agent is one of them). Every SAMPLE seconds it
# prints, per build, one JSON line with the RSS breakdown from /proc/PID/smaps (smaps.py says what each figure is);
# the lines with "final":true are the figures after DURATION seconds; cpu_s is the agent's CPU time so far (user + system,
# from /proc/PID/stat). Needs root.
#   tests/bench/agent-rss/run.sh [DURATION=600] [PEERS=100] [SAMPLE=30]
# BUILDS="jit aot" (the default) picks the builds; JIT_DIR=<dir> / AOT_DIR=<dir> reuse a publish from an earlier run;
# AGENT_ENV="DOTNET_X=1 ..." adds runtime settings to the agents' own (to try a tuning); KEEP_LOGS=<dir> keeps the
# agents' logs there (with AGENT_ENV=APPLIANCE_GC_TRACE=1 they hold the GC's own figures every 30 s).
# AGENT_ARGS="--state-check-after 60" adds options to every agent's `run` (e.g. to repeat the HTTPS state check often).
# BUILDS="aot v1 v2": the AOT build once per variant, side by side in one run, each variant with its own extra settings
# from ENV_v1, ENV_v2... (e.g. ENV_v1="DOTNET_GCgen0size=0x100000"), so settings are compared under the same load;
# AOT_DIR_v1=<dir> runs that variant from another AOT publish (an older binary beside the new one, in the same run).
# Peers are registered through the real join API, JOBS (default 16) at a time; each line carries first_apply_ms, from
# the agent's exec to its log's first "applied vN (...): PEERS peers" line (connect, snapshot, WireGuard set).
# BUILDS="aot aothw": the AOT build twice, the second with its status hardware on (issue #17): a button thread on a
# FIFO held open by a writer (the host has no input devices), the systemd watchdog (sd_notify WATCHDOG=1 to a socket
# this script binds, WATCHDOG_USEC=30 s) and --led (there is no LED class device on a VM host: one log line).
# BUILDS="aot aothw aotdisp": and a third time with the hardware and `--display $DISPLAY_AT` (default i2c-0:0x3c): on a
# host with that I2C display the display loop runs too; without one the agent logs one line and runs no loop (the
# JSON's "display" field has the agent's display line, so a figure says which it was).
# Stops only what it started, by pid: the server, the agents, and the wireguard-go children of those agents.
set -euo pipefail
DURATION=${1:-600}; PEERS=${2:-100}; SAMPLE=${3:-30}
read -r -a BUILDS <<< "${BUILDS:-jit aot}"
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d /tmp/appliance-rss.XXXXXX); NS=aprss$$
declare -A AGENT=() DIR=() WG=() T0=() FIRST=() IFACE=()
SERVER= HWPIDS=
# Kills a pid we started, only if it still runs the program we started there (pids are reused).
stop() { local pid=$1 what=$2; [ -n "$pid" ] && grep -qa -- "$what" "/proc/$pid/cmdline" 2>/dev/null && kill "$pid" 2>/dev/null || true; }
cleanup() {
  rc=$?; set +e
  [ $rc -ne 0 ] && { for b in "${BUILDS[@]}"; do echo "--- agent-$b.log"; tail -20 "$W/agent-$b.log"; done; echo "--- server.log"; tail -5 "$W/server.log"; } >&2
  for b in "${!AGENT[@]}"; do WG[$b]="${WG[$b]:-} $(pgrep -P "${AGENT[$b]}" 2>/dev/null | tr '\n' ' ')"; stop "${AGENT[$b]}" appliance-agent; done
  stop "$SERVER" appliance-server
  for p in $HWPIDS; do kill "$p" 2>/dev/null; done
  for _ in $(seq 50); do alive=0; for b in "${!AGENT[@]}"; do [ -d "/proc/${AGENT[$b]}" ] && alive=1; done; [ $alive = 0 ] && break; sleep 0.1; done
  for b in "${!WG[@]}"; do for p in ${WG[$b]}; do stop "$p" wireguard-go; done; done
  [ -n "${KEEP_LOGS:-}" ] && mkdir -p "$KEEP_LOGS" && cp "$W"/agent-*.log "$KEEP_LOGS"/
  ip netns del "$NS" 2>/dev/null; rm -rf "$W"
}
trap cleanup EXIT

for b in "${BUILDS[@]}"; do
  case $b in
    jit) reuse=${JIT_DIR:-}; props=(-p:PublishAot=false --self-contained -p:PublishTrimmed=true) ;;
    aot) reuse=${AOT_DIR:-}; props=(-p:PublishAot=true) ;;
    aothw|aotdisp|v[0-9]) v="AOT_DIR_$b"; reuse=${!v:-${DIR[aot]:?$b reuses the aot build: BUILDS=\"aot $b\"}}; props=() ;;
    *) echo "unknown build '$b' (jit, aot, aothw, aotdisp, v1..v9)" >&2; exit 2 ;;
  esac
  DIR[$b]=$W/agent-$b
  if [ -n "$reuse" ]; then cp -r "$reuse" "${DIR[$b]}"; else
    dotnet publish "$ROOT/agent-lite/Appliance.Agent" -c Release -r linux-x64 "${props[@]}" \
      --artifacts-path "$W/artifacts" -o "${DIR[$b]}" -nologo -v q >/dev/null
  fi
  rm -f "${DIR[$b]}"/*.dbg "${DIR[$b]}"/*.pdb   # symbols do not ship
done
dotnet build "$ROOT/server/Appliance.Server" -c Release -nologo -v q >/dev/null
ip netns add "$NS"; ip -n "$NS" link set lo up
# A default route, as every real host has: via the other end of a veth pair in the same namespace, which does not
# forward and so drops what it is sent (this host's kernel has no dummy devices). Without one each handshake to the
# registered peers' made-up endpoints failed with "network is unreachable", and wireguard-go logged a line for it,
# ~19 lines a second that the agent read (issue #15: 42% of the idle agent's allocation, dotnet-trace). The gateway's
# neighbour entry is permanent: the kernel ignores ARP from its own address, and with the neighbour unresolved the
# queued packets filled wireguard-go's socket buffer until its sends (and so its UAPI) blocked, with 1000 peers.
ip -n "$NS" link add nowhere type veth peer name nowhere1
ip -n "$NS" addr add 10.255.255.1/30 dev nowhere; ip -n "$NS" addr add 10.255.255.2/30 dev nowhere1
ip -n "$NS" link set nowhere up; ip -n "$NS" link set nowhere1 up
ip -n "$NS" neigh replace 10.255.255.2 lladdr "$(ip -n "$NS" -br link show nowhere1 | awk '{print $3}')" dev nowhere nud permanent
ip -n "$NS" route add default via 10.255.255.2 dev nowhere
# Its per-address join limit (30 a minute) is off: every registration here comes from 127.0.0.1.
ip netns exec "$NS" env RateLimits__JoinsPerMinute=0 dotnet "$ROOT/server/Appliance.Server/bin/Release/net10.0/appliance-server.dll" serve --data-dir "$W/data" \
  --urls https://127.0.0.1:8443 --mqtt-url mqtts://127.0.0.1:8883 > "$W/server.log" 2>&1 & SERVER=$!
for _ in $(seq 100); do [ -f "$W/data/admin.token" ] && ip netns exec "$NS" curl -sf --cacert "$W/data/ca.crt" https://127.0.0.1:8443/healthz >/dev/null && break; sleep 0.3; done
T=$(cat "$W/data/admin.token"); C="ip netns exec $NS curl -sf --cacert $W/data/ca.crt -H Content-Type:application/json"
$C -H "Authorization: Bearer $T" -d '{"name":"rss","ipv4Cidr":"10.88.0.0/22"}' https://127.0.0.1:8443/api/v1/networks >/dev/null
KEYJSON=$($C -H "Authorization: Bearer $T" -d '{"networks":["rss"]}' https://127.0.0.1:8443/api/v1/enrollment-keys)
TOKEN=$(echo "$KEYJSON" | python3 -c 'import json,sys;print(json.load(sys.stdin)["token"])')
SECRET=$(echo "$TOKEN" | python3 -c 'import sys,base64,json;t=sys.stdin.read().strip();print(json.loads(base64.urlsafe_b64decode(t+"="*(-len(t)%4)))["key"])')
# Registration in parallel, through the real join API (one curl a peer, JOBS at a time): one at a time, 1000 peers
# took longer than a session on the loaded machine.
REG=$(( PEERS - ${#BUILDS[@]} + 1 )); REG_START=$(date +%s.%N)
for i in $(seq "$REG"); do echo "$i $(wg genkey | wg pubkey)"; done > "$W/peers.txt"
export NS W SECRET
xargs -P "${JOBS:-16}" -L 1 sh -c 'ip netns exec "$NS" curl -sf --retry 3 --cacert "$W/data/ca.crt" -H Content-Type:application/json \
  -d "{\"key\":\"$SECRET\",\"publicKey\":\"$1\",\"hostname\":\"peer$0\",\"endpoints\":[\"192.0.2.$(( $0 % 250 + 1 ))\"]}" \
  https://127.0.0.1:8443/api/v1/join >/dev/null || { echo "join of peer$0 failed" >&2; exit 255; }' < "$W/peers.txt"
echo "registered $REG peers in $(echo "$(date +%s.%N) - $REG_START" | bc) s" >&2
# The environment the systemd unit gives the agent (its Environment= lines, if any), plus AGENT_ENV.
UNIT_ENV=$(sed -n 's/^Environment=//p' "$ROOT/agent-lite/packaging/appliance-agent.service" | tr '\n' ' ')
for b in "${BUILDS[@]}"; do
  # An interface name has at most 15 characters: the build's position, not its name ("aotdisp" made it 17).
  IFACE[$b]=ap${#IFACE[@]}x$$; IFACE[$b]=${IFACE[$b]:0:15}
  ip netns exec "$NS" "${DIR[$b]}/appliance-agent" join --token "$TOKEN" --state-dir "$W/state-$b" --interface "${IFACE[$b]}" --hostname "agent-$b" >/dev/null
done
for b in "${BUILDS[@]}"; do
  HW=() HWENV=()
  if [ "$b" = aothw ] || [ "$b" = aotdisp ]; then
    mkfifo "$W/button-$b"; sleep 100000 > "$W/button-$b" & HWPIDS="$HWPIDS $!"
    python3 -c 'import socket,sys
s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM); s.bind(sys.argv[1])
while True: s.recv(256)' "$W/notify-$b" & HWPIDS="$HWPIDS $!"
    for _ in $(seq 50); do [ -S "$W/notify-$b" ] && break; sleep 0.1; done
    HW=(--led status --button "$W/button-$b" --config "$W/none.json"); HWENV=(NOTIFY_SOCKET="$W/notify-$b" WATCHDOG_USEC=30000000)
    [ "$b" = aotdisp ] && HW+=(--display "${DISPLAY_AT:-i2c-0:0x3c}")
  fi
  # ip netns exec execs the agent, so $! is the agent's own pid.
  VAR_ENV="ENV_$b"; T0[$b]=$(date +%s%N)
  ip netns exec "$NS" env $UNIT_ENV ${AGENT_ENV:-} ${!VAR_ENV:-} "${HWENV[@]}" "${DIR[$b]}/appliance-agent" run --state-dir "$W/state-$b" \
    --hosts-file "$W/hosts-$b" --backend userspace "${HW[@]}" ${AGENT_ARGS:-} > "$W/agent-$b.log" 2>&1 & AGENT[$b]=$!
done
# Until each agent has applied all PEERS peers (3 minutes at most), timed from its exec.
for _ in $(seq 3600); do
  done_=1
  for b in "${BUILDS[@]}"; do
    [ -n "${FIRST[$b]:-}" ] && continue
    if grep -Eq "^applied v[0-9]+ .*: $PEERS peers" "$W/agent-$b.log" 2>/dev/null; then FIRST[$b]=$(( ($(date +%s%N) - T0[$b]) / 1000000 )); else done_=0; fi
  done
  [ $done_ = 1 ] && break; sleep 0.05
done
START=$(date +%s)
sample() {   # sample SECONDS FINAL
  for b in "${BUILDS[@]}"; do
    [ -d "/proc/${AGENT[$b]}" ] || { echo "agent-$b exited" >&2; exit 1; }
    local wg; wg=$(pgrep -P "${AGENT[$b]}" | head -1); WG[$b]="${WG[$b]:-} $wg"
    local applied; applied=$(ip netns exec "$NS" wg show "${IFACE[$b]}" peers | wc -l)
    local wgrss=null; [ -n "$wg" ] && wgrss=$(awk '$1=="VmRSS:"{printf "%.1f", $2/1024}' "/proc/$wg/status")
    local display; display=$( { grep -m1 '^display' "$W/agent-$b.log" || true; } | python3 -c 'import json,sys;print(json.dumps(sys.stdin.read().strip()))')
    python3 "$HERE/smaps.py" "${AGENT[$b]}" "${DIR[$b]}" "$b" "$1" \
      "{\"final\":$2,\"env\":\"$(echo ${AGENT_ENV:-} $(v="ENV_$b"; echo "${!v:-}"))\",\"peers\":$PEERS,\"first_apply_ms\":${FIRST[$b]:-null},\"peers_applied\":$applied,\"disk_mb\":$(du -sk "${DIR[$b]}" | awk '{printf "%.1f", $1/1024}'),\"load\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"wireguard_go_rss_mb\":$wgrss,\"cpu_s\":$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14+$15)/hz}' "/proc/${AGENT[$b]}/stat"),\"display\":$display}"
  done
}
for (( t = SAMPLE; t < DURATION; t += SAMPLE )); do
  sleep $(( START + t - $(date +%s) > 0 ? START + t - $(date +%s) : 0 )); sample "$t" false
done
sleep $(( START + DURATION - $(date +%s) > 0 ? START + DURATION - $(date +%s) : 0 )); sample "$DURATION" true
