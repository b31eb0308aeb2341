#!/usr/bin/env bash
# Publish to userhub with curl and openssl only. Signs each request per
# Standard Webhooks (HMAC-SHA256 over id.timestamp.body with the bytes of
# WEBHOOK_SECRET after "whsec_"), the body naming the user (and the job) of
# its path.
#
#   HUB_URL=http://127.0.0.1:8787 WEBHOOK_SECRET=whsec_... ./publish.sh john zip-42
set -euo pipefail

USER_ID=$1 JOB_ID=$2
HUB_URL=${HUB_URL:-http://127.0.0.1:8787}
SECRET=${WEBHOOK_SECRET%% *}
KEY=$(printf '%s' "${SECRET#whsec_}" | base64 -d | od -An -tx1 | tr -d ' \n')

# signed METHOD PATH BODY: one request, its status and answer printed on one line.
signed() {
  local id="msg_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" ts
  ts=$(date +%s)
  local sig
  sig=$(printf '%s' "$id.$ts.$3" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$KEY" -binary | base64)
  curl -sS -X "$1" "$HUB_URL$2" -w ' %{http_code}\n' \
    -H "webhook-id: $id" -H "webhook-timestamp: $ts" -H "webhook-signature: v1,$sig" \
    -H 'Content-Type: application/json' --data-raw "$3"
}

# A job that finished: the user's clients see job.succeeded (waitForJob resolves).
signed PUT "/v1/users/$USER_ID/jobs/$JOB_ID" \
  "{\"userId\":\"$USER_ID\",\"jobId\":\"$JOB_ID\",\"status\":\"succeeded\",\"result\":{\"url\":\"https://files.example.com/$JOB_ID.zip\"}}"
# A notification in the user's inbox (inbox.created; Web Push when not connected).
signed POST "/v1/users/$USER_ID/notifications" \
  "{\"userId\":\"$USER_ID\",\"type\":\"export.ready\",\"title\":\"Your export is ready\",\"url\":\"/exports/$JOB_ID\"}"
