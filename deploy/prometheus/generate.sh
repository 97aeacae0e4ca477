#!/bin/sh
# generate.sh: writes prometheus.yml for portreach exporters at several vantage
# points, from a list of the exporters: one line "VANTAGE ADDRESS" each
# (exporters.txt). Every exporter gets the same probe job, reading the same
# target files, with its vantage label and its address; the list is the one
# place where an exporter is named, so no job can pair one exporter's address
# with another's vantage.
#
#   ./generate.sh exporters.txt > prometheus.yml
#   ./generate.sh -a alertmanager.corp.example:9093 exporters.txt > prometheus.yml
#   promtool check config prometheus.yml
#
# docs/exporter.md, "Running it at scale", explains the result.
set -eu
alertmanager=alertmanager.example.com:9093
if [ $# -eq 3 ] && [ "$1" = -a ]; then
  alertmanager=$2
  shift 2
fi
if [ $# -ne 1 ] || [ "${1#-}" != "$1" ]; then
  echo "usage: generate.sh [-a ALERTMANAGER-HOST:PORT] EXPORTERS-FILE > prometheus.yml" >&2
  exit 2
fi
exec awk -v file="$1" -v alertmanager="$alertmanager" '
function fail(msg) { printf "generate.sh: %s:%d: %s\n", file, FNR, msg > "/dev/stderr"; failed = 1; exit 2 }
BEGIN {
  if (alertmanager !~ /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):[0-9]+$/) {
    printf "generate.sh: -a \"%s\": want HOST:PORT, such as alertmanager.example.com:9093\n", alertmanager > "/dev/stderr"
    failed = 1; exit 2
  }
}
/^[ \t]*(#|$)/ { next }
{
  if (NF != 2) fail("want two fields, VANTAGE ADDRESS; got " NF)
  if ($1 !~ /^[a-z0-9][a-z0-9_-]*$/) fail("vantage \"" $1 "\": use lower-case letters, digits, - and _ (it names a job and a label value)")
  if ($2 !~ /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):[0-9]+$/) fail("address \"" $2 "\": want HOST:PORT, such as portreach-lan.example.com:9469 or [2001:db8::5]:9469")
  if ($1 in addr) fail("vantage \"" $1 "\" listed twice")
  if ($2 in seen) fail("address \"" $2 "\" listed twice (as " seen[$2] " too)")
  n++; vantage[n] = $1; addr[$1] = $2; seen[$2] = $1
}
END {
  if (failed) exit 2
  if (n == 0) { printf "generate.sh: %s: no exporters listed\n", file > "/dev/stderr"; exit 2 }
  print "# Prometheus server configuration for portreach exporters at several vantage points,"
  print "# written by generate.sh from " file ": edit that list and run it again."
  print "# docs/exporter.md, \"Running it at scale\", explains it; promtool checks it in CI"
  print "# (deploy/prometheus/deploy_test.go) and an end-to-end test runs it against exporters"
  print "# (cmd/portreach/prometheus_integration_test.go)."
  print "#"
  print "# N exporters x M targets x profiles: one probe job per exporter (vantage point),"
  print "# every job reading the same target files. A target group names its profiles"
  print "# (__param_profile) and its scrape timeout (__scrape_timeout__); the job adds"
  print "# which exporter scrapes it (__address__) and the vantage label."
  print ""
  print "global:"
  print "  scrape_interval: 1m     # at most 2m: Prometheus marks series stale after 5m without a sample"
  print "  scrape_timeout: 10s     # a target group'"'"'s __scrape_timeout__ overrides it (targets/*.yml)"
  print "  evaluation_interval: 1m"
  print ""
  print "rule_files:"
  print "  - portreach-rules.yml"
  print ""
  print "alerting:"
  print "  alertmanagers:"
  print "    - static_configs:"
  printf "        - targets: [\"%s\"]\n", alertmanager
  print ""
  print "scrape_configs:"
  for (i = 1; i <= n; i++) {
    v = vantage[i]
    printf "  # Probes from the exporter at %s.\n", v
    printf "  - job_name: portreach-probe-%s\n", v
    print "    metrics_path: /probe"
    print "    file_sd_configs:"
    print "      - files: [targets/*.yml]"
    print "    relabel_configs:"
    print "      - source_labels: [__address__]"
    print "        target_label: __param_target        # ?target=dc01.example.com"
    print "      - source_labels: [__param_target]"
    print "        target_label: instance              # instance=\"dc01.example.com\""
    print "      - source_labels: [__param_profile]"
    print "        target_label: profiles              # one target in several groups: distinct series"
    print "      - target_label: vantage"
    printf "        replacement: %s\n", v
    print "      - target_label: __address__           # the exporter"
    printf "        replacement: \"%s\"\n", addr[v]
    print ""
  }
  print "  # The exporters'"'"' own health (/metrics): up == 0 here is PortreachExporterDown."
  print "  - job_name: portreach-exporter"
  print "    static_configs:"
  for (i = 1; i <= n; i++) {
    printf "      - targets: [\"%s\"]\n", addr[vantage[i]]
    printf "        labels: {vantage: %s}\n", vantage[i]
  }
}' "$1"
