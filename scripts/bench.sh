#!/usr/bin/env bash
# make bench: portreach beside nmap 7.93 (-sT -Pn -n -T4 --max-retries 1) on
# network-namespace test hosts, the six workloads of issue 12, and row 7: what
# --trace adds to a scan of a host behind a dropping router (issue 20). Needs root,
# iproute2, nftables, nmap and GNU time (installs them if missing). Prints wall,
# CPU (user+sys) and peak RSS of both tools and how many verdicts agree; nothing
# is asserted. Each figure is the median of RUNS runs (default 3).
#
# Two namespaces joined by a veth pair, nothing routed to or from this machine:
# pr-bench-s scans, pr-bench-t answers. Inside pr-bench-t, AnyIP routes
# ("ip route add local PREFIX dev lo") make whole blocks its own addresses:
# 198.19.0.0/20 (4096 hosts, 14 ports each, all answering) and 198.19.16.0/22
# (1024 hosts whose every port nftables drops). Row 4's hosts each get a
# namespace of their own: Linux keeps one ICMP rate-limit budget per namespace
# and destination, so AnyIP hosts would share one. Row 7's host, 198.19.252.6,
# is behind a router (pr-bench-r) that forwards no connection to 49152-65535:
# pr-bench-s → pr-bench-r → pr-bench-h.
#
# Row 8 (issue 22): portreach serve in pr-bench-s, scraped as one Prometheus
# job of SCRAPE_TARGETS targets (default 1000: a tenth of them in the dropped
# block) every SCRAPE_INTERVAL (default 60s), each scrape the DC TCP ports of
# rows 2 and 3 with a 15 s scrape timeout; scrapeload (internal/testnet) is the
# Prometheus and reports the scrapes' durations and the exporter's CPU and peak
# RSS. ROWS=8 SCRAPE_TARGETS=100 SCRAPE_INTERVAL=6s is the same rate in 6 s.
#
# The namespaces have fixed names: one make bench at a time (a lock), and the
# namespaces go on any exit (an interrupt included); whatever an earlier run
# that was killed outright left behind goes at the start. CLEAN_ONLY=1 only
# removes them (after SETUP_ONLY=1).
#
# Row 9 (issue 19) runs a policy from pr-bench-t: three sources, each a
# namespace of its own (pr-bench-p0 …) running portreach serve, check the DC
# profile on 20 of pr-bench-t's AnyIP addresses side by side; against the same
# sources one after the other.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (network namespaces)" >&2; exit 2; }
for p in nmap time nftables iproute2; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
    apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "$p" >/dev/null
done
# (What runs on in the background closes the lock's descriptor: 9>&-.)
exec 9>/run/lock/portreach-bench.lock
flock -n 9 || { echo "bench: another make bench is running; waiting for it" >&2; flock 9; }
go build -o bin/portreach ./cmd/portreach
go build -o bin/listen ./internal/testnet/listen
go build -o bin/scrapeload ./internal/testnet/scrapeload
BIN=$PWD/bin/portreach
RUNS=${RUNS:-3}
ROWS=${ROWS:-1 2 3 4 5 6 7 8 9}
# Row 3 with nmap takes about 24 minutes (measured: 1442 s); by default nmap
# scans 16 of the 1024 hosts there, and the row says so. NMAP3_HOSTS=1024 for all.
NMAP3_HOSTS=${NMAP3_HOSTS:-16}
UDPHOSTS=${UDPHOSTS:-64}
SCRAPE_TARGETS=${SCRAPE_TARGETS:-1000}
SCRAPE_INTERVAL=${SCRAPE_INTERVAL:-60s}
OUT=$(mktemp -d)
S=pr-bench-s T=pr-bench-t R=pr-bench-r H=pr-bench-h
POLICY_SOURCES=3
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  # and what an earlier SETUP_ONLY=1 run left inside these namespaces
  for ns in $S $T $H $(seq -f "pr-bench-p%g" 0 $((POLICY_SOURCES - 1))); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
  done
  wait 2>/dev/null || true
  for ns in $S $T $R $H; do ip netns del $ns 2>/dev/null || true; done
  for i in $(seq 0 $((UDPHOSTS - 1))); do ip netns del "pr-bench-u$i" 2>/dev/null || true; done
  for i in $(seq 0 $((POLICY_SOURCES - 1))); do ip netns del "pr-bench-p$i" 2>/dev/null || true; done
  rm -rf "$OUT"
}
# A long command runs in the background and the script waits for it (cmd &
# wait $!): a signal's trap then runs at once, where bash would run it only
# after a foreground command ends, and not at all if that command survived
# the signal; cleanup ends what runs in the namespaces.
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
cleanup 2>/dev/null || true
[ -n "${CLEAN_ONLY:-}" ] && exit 0
OUT=$(mktemp -d)

ip netns add $S
ip netns add $T
ip link add prbs netns $S type veth peer name prbt netns $T
ip -n $S addr add 198.19.253.1/30 dev prbs
ip -n $T addr add 198.19.253.2/30 dev prbt
for ns in $S $T; do
  ip -n $ns link set lo up
done
ip -n $S link set prbs up
ip -n $T link set prbt up
ip -n $T route add local 198.19.0.0/20 dev lo
ip -n $T route add local 198.19.16.0/22 dev lo
ip -n $S route add 198.19.0.0/19 via 198.19.253.2
ip netns exec $T nft -f - <<NFT
table inet fw {
	chain in {
		type filter hook input priority 0;
		ip daddr 198.19.16.0/22 drop
		ip daddr 198.19.253.2 tcp dport 1-1000 drop
	}
}
NFT
# Half of the domain controller's TCP ports listen (on every address of the
# namespace, AnyIP blocks included); the others answer with an RST.
DC=53,88,135,139,389,445,464,636,3268,3269,3389,5985,9389,49664
DCU=53,88,123,137,138,389,464,500,636,4500
OPEN=(22 80 88 135 139 389 443 445 464 636 1433 3268 3269 3389 5985 9389 47001 49664 50000 60000)
ip netns exec $T bin/listen "${OPEN[@]}" >/dev/null 2>&1 9>&- & pids+=($!)
# Row 7: a router in front of a host. The router drops SYNs (a stateful
# firewall's new connections), not the host's answers to the scanner's
# ephemeral ports, which are in the same range.
ip netns add $R
ip netns add $H
ip link add prbr netns $S type veth peer name prbrs netns $R
ip link add prbrh netns $R type veth peer name prbh netns $H
ip -n $S addr add 198.19.252.1/30 dev prbr
ip -n $R addr add 198.19.252.2/30 dev prbrs
ip -n $R addr add 198.19.252.5/30 dev prbrh
ip -n $H addr add 198.19.252.6/30 dev prbh
for l in "$S prbr" "$R prbrs" "$R prbrh" "$H prbh" "$R lo" "$H lo"; do set -- $l; ip -n "$1" link set "$2" up; done
ip -n $S route add 198.19.252.4/30 via 198.19.252.2
ip -n $H route add 198.19.252.0/30 via 198.19.252.5
ip netns exec $R sysctl -q -w net.ipv4.ip_forward=1
ip netns exec $R nft -f - <<NFT
table inet fw {
	chain forward {
		type filter hook forward priority 0;
		tcp flags & (syn | ack) == syn tcp dport 49152-65535 drop
	}
}
NFT
ip netns exec $H bin/listen 445 >/dev/null 2>&1 9>&- & pids+=($!)
# Row 9: a policy's sources. Source N: namespace pr-bench-pN, 198.19.251.(4N+2),
# a veth from pr-bench-t (whose AnyIP block holds the destinations), running
# portreach serve; the policy runs in pr-bench-t, which reaches each exporter.
for i in $(seq 0 $((POLICY_SOURCES - 1))); do
  p=pr-bench-p$i
  ip netns add "$p"
  ip link add "prbp$i" netns $T type veth peer name "prbp${i}n" netns "$p"
  ip -n $T addr add "198.19.251.$((4*i+1))/30" dev "prbp$i"
  ip -n "$p" addr add "198.19.251.$((4*i+2))/30" dev "prbp${i}n"
  ip -n $T link set "prbp$i" up
  ip -n "$p" link set "prbp${i}n" up
  ip -n "$p" link set lo up
  ip -n "$p" route add 198.19.0.0/20 via "198.19.251.$((4*i+1))"
  ip netns exec "$p" "$BIN" serve --listen "198.19.251.$((4*i+2)):9469" --allow 198.19.0.0/20 --name "p$i" >/dev/null 2>&1 9>&- & pids+=($!)
done
# The policy: every source checks the same 20 destinations (AnyIP addresses of
# pr-bench-t) with the DC profile; policy-N.json is source N alone.
dests=$(seq -f '"198.19.1.%g"' 1 20 | paste -sd,)
policy() { # SOURCE_INDEX...
  local srcs="" from=""
  for i in "$@"; do
    srcs+="${srcs:+, }\"p$i\": [\"http://198.19.251.$((4*i+2)):9469\"]"
    from+="${from:+, }\"p$i\""
  done
  printf '{"sources": {%s}, "rules": [{"from": [%s], "to": [%s], "profiles": ["ad-dc-2016-2025"]}]}\n' "$srcs" "$from" "$dests"
}
policy $(seq 0 $((POLICY_SOURCES - 1))) >"$OUT/policy.json"
for i in $(seq 0 $((POLICY_SOURCES - 1))); do policy "$i" >"$OUT/policy-$i.json"; done
sleep 1
if [ -n "${SETUP_ONLY:-}" ]; then # leave the namespaces (and listen) for manual runs; the next make bench removes them
  trap - EXIT
  echo "bench: namespaces $S (scanner) and $T (hosts) are up; listen is PID ${pids[0]}; row 9's policies are in $OUT" >&2
  exit 0
fi

# run NAME CMD...: RUNS runs in pr-bench-s; wall, cpu, rss of each into $OUT/NAME.t,
# the last run's output in $OUT/NAME.out.
run() {
  local name=$1; shift
  : >"$OUT/$name.t"
  for _ in $(seq "$RUNS"); do
    ip netns exec $S /usr/bin/time -f '%e %U %S %M' -o "$OUT/$name.one" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" 9>&- &
    wait $! || true
    # (GNU time writes "Command exited with non-zero status 1" first when
    # portreach exits 1: a failed check, as row 9's policy has.)
    awk 'NF == 4 && $1 ~ /^[0-9.]+$/ {printf "%s %.2f %.1f\n", $1, $2+$3, $4/1024}' "$OUT/$name.one" >>"$OUT/$name.t"
  done
}
# med NAME COL: the median of a column (1 wall, 2 cpu, 3 rss) over the runs.
med() { sort -n -k"$2" "$OUT/$1.t" | awk -v c="$2" '{v[NR]=$c} END{print v[int((NR+1)/2)]}'; }

# Verdicts as "address port state" lines, from portreach's JSON Lines and from
# nmap's grepable output (its "Ignored State: closed (65515)" counts expanded
# against portreach's list: a port nmap did not list has the ignored state).
pr_verdicts() {
  awk '{ match($0, /"address":"[^"]*"/); a=substr($0, RSTART+11, RLENGTH-12)
         match($0, /"port":[0-9]+/); p=substr($0, RSTART+7, RLENGTH-7)
         match($0, /"state":"[^"]*"/); s=substr($0, RSTART+9, RLENGTH-10)
         if (p != "") print a, p, s }' "$1" | sort -u
}
# agree PR NM: "agreeing/total" over portreach's verdicts.
agree() {
  pr_verdicts "$OUT/$1.out" >"$OUT/$1.v"
  awk '
    FNR == NR { st[$1 " " $2] = $3; host[$1] = 1; n++; next }
    /^Host: .*Ports:/ {
      a = $2
      line = $0; sub(/.*Ports: /, "", line)
      ign = ""
      if (match(line, /Ignored State: [^ ]+/)) { ign = substr(line, RSTART + 15, RLENGTH - 15) }
      sub(/\t.*/, "", line)
      k = split(line, ps, ", ")
      for (i = 1; i <= k; i++) { split(ps[i], f, "/"); if (f[1] != "") nm[a " " f[1]] = f[2] }
      ignored[a] = ign
    }
    END {
      ok = 0
      for (key in st) {
        split(key, kp, " ")
        want = (key in nm) ? nm[key] : ignored[kp[1]]
        if (want == st[key]) ok++
      }
      printf "%d/%d", ok, n
    }' "$OUT/$1.v" "$OUT/$2.out"
}
count() { grep -c "\"state\":\"$2\"" "$OUT/$1.out" || true; }

row() { # N WORK NAME_PR NAME_NM NOTE
  local nm_wall nm_cpu nm_rss ratio
  if [ -s "$OUT/$4.t" ]; then
    nm_wall=$(med "$4" 1) nm_cpu=$(med "$4" 2) nm_rss=$(med "$4" 3)
    ratio=$(awk -v a="$(med "$3" 1)" -v b="$nm_wall" 'BEGIN{ if (b > 0) printf "%.2f×", a/b; else print "-" }')
  else
    nm_wall=- nm_cpu=- nm_rss=- ratio=-
  fi
  printf '| %s | %s | %s / %s | %s / %s | %s / %s | %s | %s |\n' "$1" "$2" \
    "$(med "$3" 1)" "$nm_wall" "$(med "$3" 2)" "$nm_cpu" "$(med "$3" 3)" "$nm_rss" "$ratio" "$5"
}

NMAP=(nmap -sT -Pn -n -T4 --max-retries 1 -oG -)
rows=() rows8=()
for r in $ROWS; do case $r in
1)
  echo "1: 65535 TCP ports on a private loopback, ${#OPEN[@]} open" >&2
  # pr-bench-t's own loopback: scanner and listener in one namespace.
  run pr1 ip netns exec $T "$BIN" scan -f jsonl --no-progress -p- 127.0.0.1
  run nm1 ip netns exec $T "${NMAP[@]}" -p- 127.0.0.1
  rows+=("$(row 1 "65535 TCP ports, private loopback, ${#OPEN[@]} open" pr1 nm1 "$(count pr1 open) open; agree $(agree pr1 nm1)")")
  ;;
2)
  echo "2: 4096 hosts x 14 ports, all answering" >&2
  run pr2 "$BIN" scan -f jsonl --no-progress -p "T:$DC" 198.19.0.0/20
  run nm2 "${NMAP[@]}" -p "$DC" 198.19.0.0/20
  rows+=("$(row 2 "4096 hosts × 14 ports, all answering" pr2 nm2 "$(count pr2 open) open, $(count pr2 closed) closed; agree $(agree pr2 nm2)")")
  ;;
3)
  echo "3: 1024 hosts x 14 ports, all dropped (nmap: $NMAP3_HOSTS hosts)" >&2
  run pr3 "$BIN" scan -f jsonl --no-progress --concurrency 16384 -p "T:$DC" 198.19.16.0/22
  targets=198.19.16.0/22
  [ "$NMAP3_HOSTS" -lt 1024 ] && targets=$(awk -v n="$NMAP3_HOSTS" 'BEGIN{for(i=0;i<n;i++) printf "198.19.%d.%d ", 16+int(i/256), i%256}')
  # shellcheck disable=SC2086
  RUNS=1 run nm3 "${NMAP[@]}" -p "$DC" $targets
  rows+=("$(row 3 "1024 hosts × 14 ports, all dropped (portreach --concurrency 16384; nmap: $NMAP3_HOSTS hosts, 1 run)" pr3 nm3 "$(count pr3 filtered)/14336 filtered")")
  ;;
4)
  echo "4: $UDPHOSTS hosts x the DC profile's UDP ports, ICMP rate limit, all closed" >&2
  # Host N: namespace pr-bench-uN, 198.19.254.(4N+2), a veth from pr-bench-s.
  for i in $(seq 0 $((UDPHOSTS - 1))); do
    ip netns add "pr-bench-u$i"
    ip link add "prbu$i" netns $S type veth peer name "prbu${i}n" netns "pr-bench-u$i"
    ip -n $S addr add "198.19.254.$((4*i+1))/30" dev "prbu$i"
    ip -n "pr-bench-u$i" addr add "198.19.254.$((4*i+2))/30" dev "prbu${i}n"
    ip -n $S link set "prbu$i" up
    ip -n "pr-bench-u$i" link set "prbu${i}n" up
  done
  hosts=$(for i in $(seq 0 $((UDPHOSTS - 1))); do printf '198.19.254.%d ' $((4*i+2)); done)
  # One host alone first (the goal is twice its time), then all of them.
  run pr4one "$BIN" scan -f jsonl --no-progress -p "U:$DCU" 198.19.254.2
  # shellcheck disable=SC2086
  run pr4 "$BIN" scan -f jsonl --no-progress -p "U:$DCU" $hosts
  # shellcheck disable=SC2086
  RUNS=1 run nm4 "${NMAP[@]/-sT/-sU}" -p "$DCU" $hosts
  nu=$(echo "$DCU" | tr ',' '\n' | wc -l)
  rows+=("$(row 4 "$UDPHOSTS hosts × $nu DC UDP ports, ICMP rate limit, all closed (one host alone: $(med pr4one 1) s)" pr4 nm4 "$(count pr4 closed)/$((UDPHOSTS * nu)) closed; agree $(agree pr4 nm4)")")
  ;;
5)
  echo "5: rows 1 and 2 in every format (portreach only)" >&2
  for f in json jsonl csv table junit prometheus; do
    RUNS=1 run "pr5a-$f" ip netns exec $T "$BIN" scan -f "$f" --no-progress -p- 127.0.0.1
    RUNS=1 run "pr5b-$f" "$BIN" scan -f "$f" --no-progress -p "T:$DC" 198.19.0.0/20
    rows+=("| 5 | -f $f: row 1 / row 2 | $(med "pr5a-$f" 1) / $(med "pr5b-$f" 1) | $(med "pr5a-$f" 2) / $(med "pr5b-$f" 2) | $(med "pr5a-$f" 3) / $(med "pr5b-$f" 3) | | portreach only |")
  done
  ;;
6)
  echo "6: 1000 dropped TCP ports on one host" >&2
  run pr6 "$BIN" scan -f jsonl --no-progress -p 1-1000 198.19.253.2
  RUNS=1 run nm6 "${NMAP[@]}" -p 1-1000 198.19.253.2 # about 100 s a run
  rows+=("$(row 6 "1000 dropped ports on one host" pr6 nm6 "$(count pr6 filtered)/1000 filtered; agree $(agree pr6 nm6)")")
  ;;
7)
  echo "7: --trace on a host behind a dropping router: -p T:445,49152-65535" >&2
  run pr7 "$BIN" scan -f jsonl --no-progress -p T:445,49152-65535 198.19.252.6
  run pr7t "$BIN" scan -f jsonl --no-progress --trace -p T:445,49152-65535 198.19.252.6
  traces=$(grep -c '"hops":' "$OUT/pr7t.out" || true)
  shared=$(grep -c '"trace":' "$OUT/pr7t.out" || true)
  rows+=("$(row 7 "-p T:445,49152-65535 behind a dropping router: --trace / without" pr7t pr7 "$(count pr7t filtered)/16384 filtered; $traces trace, $shared ports carry it; bound: + 30 hops × 1 s")")
  ;;
8)
  echo "8: serve scraped: $SCRAPE_TARGETS targets x 14 DC TCP ports every $SCRAPE_INTERVAL, a tenth dropped" >&2
  # Every tenth target in the dropped block, the others answering.
  awk -v n="$SCRAPE_TARGETS" 'BEGIN{ for (i = 0; i < n; i++) {
      if (i % 10 == 9) { j = int(i / 10); printf "198.19.%d.%d\n", 16 + int(j / 256), j % 256 }
      else { j = i - int(i / 10); printf "198.19.%d.%d\n", int(j / 256), j % 256 } } }' >"$OUT/targets8"
  # ip netns exec execs: $! is serve itself.
  ip netns exec $S "$BIN" serve --listen 127.0.0.1:9469 --allow 198.19.0.0/19 >"$OUT/serve8.err" 2>&1 9>&- & pids+=($!)
  spid=$!
  ip netns exec $S bin/scrapeload -targets "$OUT/targets8" -interval "$SCRAPE_INTERVAL" -timeout 15s \
    -pid "$spid" -query "ports=T:$DC" >"$OUT/pr8.out" 9>&- &
  wait $! || true
  cat "$OUT/pr8.out" >&2
  kill "$spid" 2>/dev/null || true
  wait "$spid" 2>/dev/null || true
  f() { grep -o "$1=[^ ]*" "$OUT/pr8.out" | cut -d= -f2; }
  rows8+=("| 8 | serve: $SCRAPE_TARGETS targets × 14 DC TCP ports every $SCRAPE_INTERVAL, a tenth dropped, scrape timeout 15 s | $(f answered)/$(f scrapes) ($(f within) within the timeout, $(f status503) 503) | $(f p50) / $(f p99) / $(f max) | $(f cpu_s) s ($(f cpu_pct) % of a core) | $(f peak_rss_mb) |")
  ;;
9)
  echo "9: a policy, $POLICY_SOURCES sources x 20 destinations x the DC profile, against its sources one after the other" >&2
  run pr9 ip netns exec $T "$BIN" scan -f jsonl --no-progress --plan "$OUT/policy.json"
  # shellcheck disable=SC2016
  run pr9seq sh -c 'for f in "$@"; do ip netns exec '"$T"' '"$BIN"' scan -f jsonl --no-progress --plan "$f"; done' - $(seq -f "$OUT/policy-%g.json" 0 $((POLICY_SOURCES - 1)))
  for i in $(seq 0 $((POLICY_SOURCES - 1))); do RUNS=1 run "pr9one$i" ip netns exec $T "$BIN" scan -f jsonl --no-progress --plan "$OUT/policy-$i.json"; done
  slowest=$(for i in $(seq 0 $((POLICY_SOURCES - 1))); do med "pr9one$i" 1; done | sort -n | tail -1)
  n=$(grep -c '"source":' "$OUT/pr9.out" || true)
  rows+=("$(row 9 "a policy: $POLICY_SOURCES sources × 20 destinations × the DC profile / its sources one after the other (slowest source alone: $slowest s)" pr9 pr9seq "$n results, $(grep -c '"reason":"source-' "$OUT/pr9.out" || true) source-…")")
  ;;
esac; done

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
printf '\nmachine: %s cores, %s; kernel %s; %s; %s; medians of %s runs\n\n' "$(nproc)" "$cpu" "$(uname -r)" "$(go version | cut -d' ' -f3)" "$(nmap --version | head -1)" "$RUNS"
if [ ${#rows[@]} -gt 0 ]; then
  printf '| # | work | wall s (portreach / nmap) | CPU s | peak RSS MB | wall ratio | verdicts |\n|---|---|---|---|---|---|---|\n'
  printf '%s\n' "${rows[@]}"
fi
if [ ${#rows8[@]} -gt 0 ]; then
  printf '\n| # | work | scrapes answered | scrape s (p50 / p99 / max) | exporter CPU | exporter peak RSS MB |\n|---|---|---|---|---|---|\n'
  printf '%s\n' "${rows8[@]}"
fi
