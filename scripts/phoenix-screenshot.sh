#!/usr/bin/env bash
# Screenshot of a trace in Phoenix's UI with headless Chromium (apt-get install chromium).
#   scripts/phoenix-screenshot.sh PROJECT OUT.png
# Uses the Phoenix started by scripts/phoenix.sh (target/phoenix/env), the most recent trace of
# PROJECT, and selects its last LLM span.
set -euo pipefail
cd "$(dirname "$0")/.."
project="$1"; out="$2"
# shellcheck disable=SC1091
. target/phoenix/env
read -r project_id trace_id span_id < <(python3 - "$PHOENIX_URL" "$project" <<'PY'
import json, sys, urllib.request
base, project = sys.argv[1], sys.argv[2]
get = lambda url: json.load(urllib.request.urlopen(url, timeout=30))
pid = next(p["id"] for p in get(f"{base}/v1/projects")["data"] if p["name"] == project)
spans = get(f"{base}/v1/projects/{project}/spans?limit=100")["data"]
spans.sort(key=lambda s: s["start_time"])
trace = spans[-1]["context"]["trace_id"]
llm = [s for s in spans if s["context"]["trace_id"] == trace and s["span_kind"] == "LLM"] or spans
q = json.dumps({"query": '{ getSpanByOtelId(spanId: "%s") { id } }' % llm[-1]["context"]["span_id"]}).encode()
req = urllib.request.Request(f"{base}/graphql", data=q, headers={"Content-Type": "application/json"})
node = json.load(urllib.request.urlopen(req, timeout=30))["data"]["getSpanByOtelId"]["id"]
print(pid, trace, node)
PY
)
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --window-size=1600,1000 --virtual-time-budget=15000 \
  --screenshot="$out" "$PHOENIX_URL/projects/$project_id/traces/$trace_id?selectedSpanNodeId=$span_id" 2>/dev/null
echo "wrote $out"
