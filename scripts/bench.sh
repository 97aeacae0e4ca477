#!/usr/bin/env bash
# make bench: portreach beside nmap on network-namespace test hosts (198.19.253.0/24
# here), three scenarios from issue 2. Needs root, iproute2, nftables, nmap and
# GNU time; installs nmap and time if missing. Prints a table; nothing is asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (network namespaces)" >&2; exit 2; }
for p in nmap time nftables iproute2; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
    apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "$p" >/dev/null
done
go build -o bin/portreach ./cmd/portreach
go build -o bin/listen ./internal/testnet/listen
BIN=$PWD/bin/portreach
OUT=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for h in 0 1 2 3; do ip netns del "pr-bench-$h" 2>/dev/null || true; ip link del "prb${h}h" 2>/dev/null || true; done
  rm -rf "$OUT"
}
trap cleanup EXIT

# host N: namespace pr-bench-N, link 198.19.253.(4N+1)/30 here, .(4N+2) there.
mkhost() {
  local n=$1 me=198.19.253.$((4*$1+1)) it=198.19.253.$((4*$1+2))
  ip netns del "pr-bench-$n" 2>/dev/null || true
  ip link del "prb${n}h" 2>/dev/null || true
  ip netns add "pr-bench-$n"
  ip link add "prb${n}h" type veth peer name "prb${n}n"
  ip link set "prb${n}n" netns "pr-bench-$n"
  ip addr add "$me/30" dev "prb${n}h"; ip link set "prb${n}h" up
  ip -n "pr-bench-$n" addr add "$it/30" dev "prb${n}n"
  ip -n "pr-bench-$n" link set "prb${n}n" up
  ip -n "pr-bench-$n" link set lo up
  echo "$it"
}

# measure NAME CMD...: wall seconds and peak RSS (MB) into $OUT/NAME.{time,out}
measure() {
  local name=$1; shift
  /usr/bin/time -f '%e %M' -o "$OUT/$name.time" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" || true
}
wall() { awk '{print $1}' "$OUT/$1.time"; }
rss()  { awk '{printf "%.1f", $2/1024}' "$OUT/$1.time"; }

OPEN=(22 80 88 135 139 389 443 445 464 636 1433 3268 3269 3389 5985 9389 47001 49664 50000 60000)
A=$(mkhost 0)
ip netns exec pr-bench-0 bin/listen "${OPEN[@]}" & pids+=($!)
sleep 1

echo "1/3 all 65535 TCP ports, ${#OPEN[@]} open" >&2
measure pr1 "$BIN" scan -f jsonl --no-progress -p- "$A"
measure nm1 nmap -sT -Pn -n --max-retries 1 -T4 -p- "$A"
pr1_open=$(grep -c '"state":"open"' "$OUT/pr1.out" || true)
nm1_open=$(grep -c '/tcp *open ' "$OUT/nm1.out" || true)

echo "2/3 1000 dropped TCP ports" >&2
B=$(mkhost 1)
ip netns exec pr-bench-1 nft -f - <<NFT
table inet fw {
	chain in {
		type filter hook input priority 0;
		tcp dport 1-1000 drop
	}
}
NFT
measure pr2 "$BIN" scan -f jsonl --no-progress -p 1-1000 "$B"
measure nm2 nmap -sT -Pn -n -T4 -p 1-1000 "$B"
pr2_filt=$(grep -c '"state":"filtered"' "$OUT/pr2.out" || true)
nm2_filt=$(grep -Eo '1000 filtered|^[0-9]+/tcp +filtered' "$OUT/nm2.out" | head -1 | grep -c '1000 filtered' || true)
[ "$nm2_filt" = 1 ] && nm2_filt=1000

echo "3/3 21 closed UDP ports, default ICMP rate limit (fresh hosts)" >&2
C=$(mkhost 2)
D=$(mkhost 3)
measure pr3 "$BIN" scan -f jsonl --no-progress -p U:40001-40021 "$C"
measure nm3 nmap -sU -Pn -n -T4 -p 40001-40021 "$D"
pr3_closed=$(grep -c '"state":"closed"' "$OUT/pr3.out" || true)
nm3_closed=$(grep -Eo '^[0-9]+/udp +closed' "$OUT/nm3.out" | wc -l)
if grep -q '21 closed' "$OUT/nm3.out"; then nm3_closed=21; fi

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
printf '\nmachine: %s cores, %s; kernel %s; %s; %s\n\n' "$(nproc)" "$cpu" "$(uname -r)" "$(go version | cut -d' ' -f3)" "$(nmap --version | head -1)"
printf '| scenario | tool | wall (s) | peak RSS (MB) | verdicts |\n|---|---|---|---|---|\n'
printf '| 1. 65535 TCP ports, %d open | portreach | %s | %s | %s/%d open found |\n' "${#OPEN[@]}" "$(wall pr1)" "$(rss pr1)" "$pr1_open" "${#OPEN[@]}"
printf '| | nmap -sT -T4 --max-retries 1 | %s | %s | %s/%d open found |\n' "$(wall nm1)" "$(rss nm1)" "$nm1_open" "${#OPEN[@]}"
printf '| 2. 1000 dropped TCP ports | portreach (defaults) | %s | %s | %s/1000 filtered |\n' "$(wall pr2)" "$(rss pr2)" "$pr2_filt"
printf '| | nmap -sT -T4 | %s | %s | %s/1000 filtered |\n' "$(wall nm2)" "$(rss nm2)" "$nm2_filt"
printf '| 3. 21 closed UDP ports, ICMP rate-limited | portreach | %s | %s | %s/21 closed |\n' "$(wall pr3)" "$(rss pr3)" "$pr3_closed"
printf '| | nmap -sU -T4 | %s | %s | %s/21 closed (%d wrong) |\n' "$(wall nm3)" "$(rss nm3)" "$nm3_closed" "$((21 - nm3_closed))"
