# eDangwu — everyday commands. `make run` for the product with demo data, `make test` for every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The suite runs on every core (up to four), one database per worker (tests/workers.py); files stay whole
# so a module's shared fixtures are built once. `make test PARALLEL=` runs it in one process.
PARALLEL ?= -n auto --maxprocesses 4 --dist loadfile

.PHONY: backup-drill stack-up stack-down stack-status stack-smoke stack-upgrade drill-failover drill-upgrade bench-fork mutation mutation-sample setup run test test-miniprogram test-sqlite test-postgres lint format mp-config mp-release migrate seed bench bench-checkin bench-quiz bench-news clean screens admin-screens

$(STAMP): requirements.txt requirements-dev.txt package.json package-lock.json
	@scripts/check_prereqs.sh $(PYTHON)
	@echo "setup: Python packages into $(VENV)/ (requirements-dev.txt)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet -r requirements-dev.txt
	@echo "setup: the admin's front-end libraries and the mini-program's test tools into node_modules/ (package-lock.json)"
	@# `npm install --no-save` follows the lock file; `npm ci` trips over optional platform packages it omits.
	@npm install --no-save --no-audit --no-fund --loglevel=error
	@# Browser tests drive Debian's Chromium; Chinese fonts so screenshots show text, not boxes. The fault
	@# tests start and kill a redis-server of their own.
	@scripts/install_debian_packages.sh chromium fonts-noto-cjk redis-server
	@touch $(STAMP)
	@echo "setup: done"

setup: $(STAMP)

## The embedded default: SQLite file under instance/, SQLite job queue, WeChat emulator, demo data.
run: setup
	scripts/run_embedded.sh

## Write miniprogram/config.js from mp_config/ (MP_CONFIG=mp_config/<deployment>.json). For any deployment
## but the demo it first refuses what cannot be released (see mp-release), then writes the app id too.
mp-config: setup
	$(BIN)/python scripts/mp_config_js.py

## Check, without writing, that miniprogram/ is ready to upload for MP_CONFIG's deployment: its app id, not
## touristappid; urlCheck on; https:// server and check-in link; config.js written for it.
mp-release: setup
	$(BIN)/python scripts/mp_release.py

## Phone screenshots: every page × state the jest render tests save with saveScreen, drawn in Chromium as a
## 375-pixel phone, into build/screens/<page>--<state>.png with a contact sheet build/screens/index.html.
screens: setup
	rm -rf build/screens
	SCREENS_DIR=$(CURDIR)/build/screens/html npx jest --ci
	$(BIN)/python scripts/phone_screens.py build/screens/html build/screens

## Admin screenshots: every admin page as a branch secretary and as the committee on the demo data, into
## test-artifacts/screenshots/pages/<account>--<view>.png (the test that reads them, saving each).
admin-screens: setup
	env -u DATABASE_URL -u REDIS_URL ADMIN_SCREENS=1 $(BIN)/pytest -q -p no:randomly tests/browser/test_every_admin_page.py

migrate: setup
	$(BIN)/flask --app wsgi db upgrade

seed: migrate
	$(BIN)/flask --app wsgi seed-demo

## Lint, then the whole suite on SQLite; and on PostgreSQL + Redis when DATABASE_URL / REDIS_URL are set.
test: setup lint test-miniprogram test-sqlite
	@if [ -n "$$DATABASE_URL$$REDIS_URL" ]; then $(MAKE) --no-print-directory test-postgres; fi

test-miniprogram: setup
	npx jest --ci

test-sqlite: setup
	env -u DATABASE_URL -u REDIS_URL $(BIN)/pytest -q --durations=15 $(PARALLEL)

test-postgres: setup
	$(BIN)/pytest -q --durations=15 $(PARALLEL) --database-dependent-only

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Benchmarks against PostgreSQL (DATABASE_URL or a local edangwu_bench database); not part of `make test`.
bench: setup
	$(BIN)/python bench/generate.py
	$(BIN)/python bench/subtree_bench.py
	$(BIN)/python bench/import_bench.py

## 2,000 members check in to one meeting on gunicorn + PostgreSQL + Redis (wrk from Debian's packages).
bench-checkin: setup
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	$(BIN)/python bench/checkin_bench.py

## 20,000 members submit one exam on gunicorn + PostgreSQL + Redis; leaderboard reads over 140,000 members.
bench-quiz: setup
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	$(BIN)/python bench/quiz_submit_bench.py

## One newspaper issue to 100,000 members: PostgreSQL, Redis, two job workers, the WeChat emulator as its own
## process; a second run kills a worker half-way (bench/news_publish_bench.py --help). MEMBERS=5000 for a quick one.
MEMBERS ?= 100000
bench-news: setup
	$(BIN)/python bench/news_publish_bench.py --members $(MEMBERS)

## The production-shaped stack on this machine (deploy/local_stack.py): Debian's nginx on https://127.0.0.1:8443
## in front of two gunicorn instances, two job workers, one scheduler, the WeChat emulator, a PostgreSQL cluster
## (5440) and a redis-server (6390) of its own, all on loopback, state and logs under instance/stack/.
stack-up: setup
	@scripts/install_debian_packages.sh nginx
	$(BIN)/python deploy/local_stack.py up

stack-down:
	$(BIN)/python deploy/local_stack.py down

stack-status:
	$(BIN)/python deploy/local_stack.py status

## Through nginx: a member binds and checks in from the mini-program API, the secretary watches (deploy/smoke.py).
stack-smoke: setup
	$(BIN)/python deploy/local_stack.py smoke

## Rolling upgrade of the running stack: expand-only migrations, then web1 and web2 one at a time.
stack-upgrade: setup
	$(BIN)/python deploy/local_stack.py upgrade

## Machines fail, under check-in load through nginx (deploy/drills.py): an instance stopped, one killed,
## PostgreSQL and Redis restarted, a job worker killed mid-job; prints failed requests per step. Needs stack-up.
drill-failover: setup
	$(BIN)/python deploy/drills.py failover

## A rolling upgrade under check-in load (deploy/drills.py upgrade): prints failed requests (target 0).
drill-upgrade: setup
	$(BIN)/python deploy/drills.py upgrade

## What a gunicorn worker restart costs in CPU, app preloaded in the master vs built in each worker (needs stack-up).
bench-fork: setup
	$(BIN)/python bench/fork_bench.py

clean:
	rm -rf $(VENV) instance

## Mutation testing of codes, check-in, scope, minutes and auth ([tool.mutmut] in pyproject.toml); by hand,
## not in CI: it takes tens of minutes. `mutmut results` lists the survivors, `mutmut show NAME` one of them.
mutation: setup
	$(BIN)/pip install --quiet mutmut==3.8.1
	env -u DATABASE_URL -u REDIS_URL $(BIN)/mutmut run --max-children 2
	$(BIN)/mutmut results

## The same on a reproducible stratified sample of 300 mutants (scripts/mutation_sample.py): the kill rate
## within a few points in about an hour on two cores. Survivors: `mutmut results`.
mutation-sample: setup
	$(BIN)/pip install --quiet mutmut==3.8.1
	@# A filter matching nothing makes mutmut generate the mutants and time the tests, then stop.
	env -u DATABASE_URL -u REDIS_URL $(BIN)/mutmut run 'generate-only' >/dev/null 2>&1 || test -d mutants
	env -u DATABASE_URL -u REDIS_URL $(BIN)/mutmut run --max-children 2 $$($(BIN)/python scripts/mutation_sample.py)
	$(BIN)/python scripts/mutation_sample.py --report

## Backup and restore drill on a scratch PostgreSQL database (DRILL_DATABASE_URL); prints its figures.
backup-drill: setup
	scripts/backup_drill.sh
