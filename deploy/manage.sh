#!/bin/sh
# Run a flask command with the production settings, as the service user:
#   sudo -u edangwu /srv/edangwu/deploy/manage.sh db upgrade
#   sudo -u edangwu /srv/edangwu/deploy/manage.sh create-admin admin --name 系统管理员 --role superadmin
# and the upgrade without downtime (deploy/README.md, "Upgrading without downtime"): migrations the
# running release can live with, refused otherwise (deploy/upgrade.py --help):
#   sudo -u edangwu /srv/edangwu/deploy/manage.sh upgrade [--check] [--contract]
# Settings come from /etc/edangwu/env (or the file named by EDANGWU_ENV).
set -eu
cd "$(dirname "$0")/.."
set -a
. "${EDANGWU_ENV:-/etc/edangwu/env}"
set +a
if [ "${1:-}" = upgrade ]; then
  shift
  exec .venv/bin/python deploy/upgrade.py "$@"
fi
exec .venv/bin/flask --app wsgi "$@"
