#!/usr/bin/env bash
# Start the embedded default on one machine: WeChat emulator, job worker and web server.
# Everything lives under instance/ (SQLite database, job queue, sessions); Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT="${PORT:-5000}"
EMULATOR_PORT="${EMULATOR_PORT:-8900}"
export WECHAT_API_BASE="${WECHAT_API_BASE:-http://127.0.0.1:${EMULATOR_PORT}}"
# WeChat Pay v3 is served by the same emulator, with its test-only keys (server/wechat/emulator/keys/).
export WECHATPAY_API_BASE="${WECHATPAY_API_BASE:-${WECHAT_API_BASE}}"
export WECHATPAY_NOTIFY_URL="${WECHATPAY_NOTIFY_URL:-http://127.0.0.1:${PORT}/api/wechatpay/notify}"
# Always against the emulator: should DATABASE_URL name PostgreSQL, this is still no production deployment.
export EDANGWU_STAGING="${EDANGWU_STAGING:-1}"

$BIN/flask --app wsgi db upgrade
$BIN/flask --app wsgi seed-demo

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

$BIN/python -m server.wechat.emulator --host 127.0.0.1 --port "$EMULATOR_PORT" &
pids+=($!)
$BIN/flask --app wsgi worker --workers 2 &
pids+=($!)
# One process with threads: the embedded mode keeps rate limits in memory, so they must be shared.
$BIN/gunicorn --bind "127.0.0.1:${PORT}" --workers 1 --threads 8 --worker-class gthread wsgi:app &
pids+=($!)

cat <<MSG

  电子党务已启动（嵌入式模式：SQLite + 本机任务队列 + 微信模拟器）
  管理后台:   http://127.0.0.1:${PORT}/admin/      演示账号 admin / Demo@2026（其余账号见上方列表）
  小程序接口: http://127.0.0.1:${PORT}/api/openapi.json
  微信模拟器: ${WECHAT_API_BASE}
  按 Ctrl-C 停止。

MSG
wait -n "${pids[@]}"
