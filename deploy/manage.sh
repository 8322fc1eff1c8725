#!/bin/sh
# Run a flask command with the production settings, as the service user:
#   sudo -u edangwu /srv/edangwu/deploy/manage.sh db upgrade
#   sudo -u edangwu /srv/edangwu/deploy/manage.sh create-admin admin --name 系统管理员 --role superadmin
# Settings come from /etc/edangwu/env (or the file named by EDANGWU_ENV).
set -eu
cd "$(dirname "$0")/.."
set -a
. "${EDANGWU_ENV:-/etc/edangwu/env}"
set +a
exec .venv/bin/flask --app wsgi "$@"
