#!/usr/bin/env bash
# Smoke test of a deployed Function App: GET /api/health, then one prediction. The deployment is
# asynchronous (Flex Consumption), so each call is retried until it answers or the attempts run out.
# Usage: infra/scripts/smoke-test.sh API_URL            (API_URL ends with /api)
# Environment:
#   FUNCTION_KEY            function key for the prediction route (authLevel function); when empty
#                           and FUNCTION_APP_NAME and RESOURCE_GROUP are set, it is read with az
#   SMOKE_ATTEMPTS          tries per call (default 30)
#   SMOKE_DELAY_SECONDS     pause between tries (default 10)
#   SMOKE_REQUIRE_MODEL     true: a prediction must succeed; otherwise "no production model yet"
#                           (503, before the first training run) is a warning (default false)
set -euo pipefail
api="${1:?usage: smoke-test.sh API_URL}"
api="${api%/}"
attempts="${SMOKE_ATTEMPTS:-30}"
delay="${SMOKE_DELAY_SECONDS:-10}"
require_model="${SMOKE_REQUIRE_MODEL:-false}"
body_file="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/smoke-prediction.json"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

# call METHOD URL [BODY_FILE] -> sets $status, body in $out
call() {
  local args=(--silent --show-error --max-time 30 --output "$out" --write-out '%{http_code}' -X "$1" "$2")
  if [ -n "${FUNCTION_KEY:-}" ]; then args+=(-H "x-functions-key: $FUNCTION_KEY"); fi
  if [ -n "${3:-}" ]; then args+=(-H 'content-type: application/json' --data-binary "@$3"); fi
  status="$(curl "${args[@]}" || echo 000)"
}

for i in $(seq 1 "$attempts"); do
  call GET "$api/health"
  if [ "$status" = 200 ]; then break; fi
  echo "health: HTTP $status (attempt $i/$attempts); waiting ${delay}s"
  sleep "$delay"
done
if [ "$status" != 200 ]; then
  echo "smoke test failed: GET $api/health answered HTTP $status: $(head -c 500 "$out")" >&2
  exit 1
fi
echo "health: $(head -c 300 "$out")"

if [ -z "${FUNCTION_KEY:-}" ] && [ -n "${FUNCTION_APP_NAME:-}" ] && [ -n "${RESOURCE_GROUP:-}" ]; then
  for i in $(seq 1 "$attempts"); do
    FUNCTION_KEY="$(az functionapp keys list --name "$FUNCTION_APP_NAME" --resource-group "$RESOURCE_GROUP" --query functionKeys.default -o tsv 2>/dev/null || true)"
    if [ -n "$FUNCTION_KEY" ]; then break; fi
    echo "function key not available yet (attempt $i/$attempts); waiting ${delay}s"
    sleep "$delay"
  done
  if [ -z "$FUNCTION_KEY" ]; then echo "smoke test failed: no function key for $FUNCTION_APP_NAME" >&2; exit 1; fi
  echo "##vso[task.setsecret]$FUNCTION_KEY"
fi

for i in $(seq 1 "$attempts"); do
  call POST "$api/predict/device-failure" "$body_file"
  case "$status" in
    200) echo "prediction: $(head -c 500 "$out")"; exit 0 ;;
    503)
      if grep -q 'No production model' "$out"; then
        if [ "$require_model" = true ]; then
          echo "smoke test failed: no production model (run the training job; docs/deploy.md)" >&2
          exit 1
        fi
        echo "##vso[task.logissue type=warning]No production model yet: start the training job (docs/deploy.md, First training run)."
        echo "prediction: $(head -c 300 "$out")"
        exit 0
      fi ;;
    400|401|403|404|413) echo "smoke test failed: POST $api/predict/device-failure answered HTTP $status: $(head -c 500 "$out")" >&2; exit 1 ;;
  esac
  echo "prediction: HTTP $status (attempt $i/$attempts); waiting ${delay}s"
  sleep "$delay"
done
echo "smoke test failed: POST $api/predict/device-failure answered HTTP $status: $(head -c 500 "$out")" >&2
exit 1
