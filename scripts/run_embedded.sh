#!/usr/bin/env bash
# Start the embedded default on one machine: WeChat emulator, job worker and web server.
# Everything lives under instance/ (SQLite database, job queue, sessions, logs); Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT="${PORT:-5000}"
EMULATOR_PORT="${EMULATOR_PORT:-8900}"
LOGS=instance/logs
export WECHAT_API_BASE="${WECHAT_API_BASE:-http://127.0.0.1:${EMULATOR_PORT}}"
# WeChat Pay v3 is served by the same emulator, with its test-only keys (server/wechat/emulator/keys/).
export WECHATPAY_API_BASE="${WECHATPAY_API_BASE:-${WECHAT_API_BASE}}"
export WECHATPAY_NOTIFY_URL="${WECHATPAY_NOTIFY_URL:-http://127.0.0.1:${PORT}/api/wechatpay/notify}"
# Always against the emulator: should DATABASE_URL name PostgreSQL, this is still no production deployment.
export EDANGWU_STAGING="${EDANGWU_STAGING:-1}"

mkdir -p "$LOGS"
echo "准备数据库（迁移记录见 $LOGS/migrate.log）…"
$BIN/flask --app wsgi db upgrade >"$LOGS/migrate.log" 2>&1 || { cat "$LOGS/migrate.log"; exit 1; }
echo "准备演示数据（首次约需一分钟）…"
accounts="$($BIN/flask --app wsgi seed-demo)"

pids=()
arrivals=""
stopping=""
stop() {
  # Ctrl-C reaches every process of the terminal at once; this waits for them all and ends quietly.
  [ -n "$stopping" ] && return
  stopping=1
  echo
  echo "正在停止…"
  kill -TERM "${pids[@]}" "$arrivals" 2>/dev/null || true
  wait "${pids[@]}" "$arrivals" 2>/dev/null || true
  echo "已停止。"
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

# Each process logs to its own file: the terminal keeps the banner, not a scroll of job lines.
$BIN/python -m server.wechat.emulator --host 127.0.0.1 --port "$EMULATOR_PORT" >"$LOGS/emulator.log" 2>&1 &
pids+=($!)
$BIN/flask --app wsgi worker --workers 2 >"$LOGS/worker.log" 2>&1 &
pids+=($!)
# One process with threads: the embedded mode keeps rate limits in memory, so they must be shared.
# The demo's meeting under way: one more member checks in every 45 seconds, so the projector page moves.
# It ends by itself once nobody is left to come (or the meeting is over); its exit stops nothing.
$BIN/flask --app wsgi demo-arrivals --every 45 >"$LOGS/demo-arrivals.log" 2>&1 &
arrivals=$!
$BIN/gunicorn --bind "127.0.0.1:${PORT}" --workers 1 --threads 8 --worker-class gthread --graceful-timeout 3 \
  --access-logfile "$LOGS/web-access.log" --error-logfile "$LOGS/web.log" wsgi:app &
pids+=($!)

for _ in $(seq 1 60); do
  $BIN/python -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=1)" \
    "http://127.0.0.1:${PORT}/healthz" 2>/dev/null && break
  kill -0 "${pids[@]}" 2>/dev/null || { echo "启动失败，见 $LOGS/ 下的日志。"; tail -n 20 "$LOGS"/*.log; exit 1; }
  sleep 1
done

cat <<MSG

  电子党务已启动（嵌入式模式：SQLite + 本机任务队列 + 微信模拟器）
  管理后台:   http://127.0.0.1:${PORT}/admin/
  ${accounts//$'\n'/$'\n'  }
  小程序接口: http://127.0.0.1:${PORT}/api/openapi.json
  微信模拟器: ${WECHAT_API_BASE}
  日志:       ${LOGS}/（web.log、worker.log、emulator.log）
  按 Ctrl-C 停止。

MSG
wait -n "${pids[@]}" || true
[ -n "$stopping" ] || echo "有一个进程意外退出，见 $LOGS/ 下的日志；正在停止其余进程。"
