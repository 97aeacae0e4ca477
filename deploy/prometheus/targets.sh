#!/bin/sh
# targets.sh: writes a file_sd target file for prometheus.yml's probe jobs from
# a list of servers: one line "HOST PROFILE [SCRAPE-TIMEOUT]" each, as an
# inventory export gives them (a server with two roles on two lines). Servers
# of one profile and timeout make one target group; the timeout defaults to
# 15s, enough for every profile (docs/exporter.md, "Running it at scale",
# says how to choose it).
#
#   ./targets.sh servers.txt > targets/servers.yml
#   promtool check config prometheus.yml     # checks the target files too
set -eu
if [ $# -ne 1 ] || [ "${1#-}" != "$1" ]; then
  echo "usage: targets.sh SERVERS-FILE > targets/servers.yml" >&2
  exit 2
fi
exec awk -v file="$1" '
function fail(msg) { printf "targets.sh: %s:%d: %s\n", file, FNR, msg > "/dev/stderr"; failed = 1; exit 2 }
/^[ \t]*(#|$)/ { next }
{
  if (NF < 2 || NF > 3) fail("want HOST PROFILE [SCRAPE-TIMEOUT]; got " NF " fields")
  if ($1 !~ /^([A-Za-z0-9_.-]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/) fail("host \"" $1 "\": want a name or an address")
  if ($2 !~ /^[a-z0-9][a-z0-9-]*$/) fail("profile \"" $2 "\": want a profile slug, such as ad-dc-2016-2025 (portreach profiles lists them)")
  timeout = NF == 3 ? $3 : "15s"
  if (timeout !~ /^[1-9][0-9]*s$/) fail("scrape timeout \"" timeout "\": want whole seconds, such as 15s")
  key = $2 " " timeout
  if (!(key in hosts)) { groups[++n] = key; profile[key] = $2; seconds[key] = timeout }
  else if (index(" " hosts[key] " ", " " $1 " ")) fail("host \"" $1 "\" listed twice for " $2)
  hosts[key] = hosts[key] (hosts[key] == "" ? "" : " ") $1
}
END {
  if (failed) exit 2
  if (n == 0) { printf "targets.sh: %s: no servers listed\n", file > "/dev/stderr"; exit 2 }
  print "# Written by targets.sh from " file ": edit that list and run it again."
  for (i = 1; i <= n; i++) {
    k = groups[i]
    m = split(hosts[k], h, " ")
    print "- targets:"
    for (j = 1; j <= m; j++) printf "    - \"%s\"\n", h[j]
    print "  labels:"
    printf "    __param_profile: %s\n", profile[k]
    printf "    __scrape_timeout__: %s\n", seconds[k]
  }
}' "$1"
