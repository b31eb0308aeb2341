#!/usr/bin/env bash
# Server CPU per publish of the Node standalone host at saturation, and a CPU
# profile of it: bash bench/tools/profile-node.sh [label]
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=$(mktemp -d)
JWT_SECRET=test-jwt-secret-0123456789abcdef0123456789 \
WEBHOOK_SECRET=whsec_dGVzdC13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg5 \
PORT=18821 DATABASE_PATH="$dir/db.sqlite" \
  taskset -c 1 node_modules/.bin/node --cpu-prof --cpu-prof-dir="$dir" --disable-warning=ExperimentalWarning \
  src/standalone/node.ts >/dev/null 2>&1 &
pid=$!
sleep 1.5
taskset -c 0 node bench/tools/publish-load.mjs http://127.0.0.1:18821 5000 >/dev/null   # warm up
read -r u0 s0 < <(awk '{print $14, $15}' /proc/$pid/stat)
taskset -c 0 node bench/tools/publish-load.mjs http://127.0.0.1:18821 10000
read -r u1 s1 < <(awk '{print $14, $15}' /proc/$pid/stat)
echo "${1:-node}: server CPU $(( (u1 - u0 + s1 - s0) * 10 )) ms (user $(( (u1 - u0) * 10 )) ms) for 10000 publishes"
kill -INT $pid
sleep 1
echo "profile: $(ls "$dir"/*.cpuprofile)"
