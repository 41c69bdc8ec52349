#!/usr/bin/env bash
# pgha quickstart: from a fresh Debian 12 machine to a running 3-node
# PostgreSQL 15 cluster managed by pgha, on 127.0.0.1 only.
#
#   bash scripts/quickstart.sh          # install deps, build, start the cluster and a pghad per node
#   bash scripts/quickstart.sh demo     # kill -9 the primary: watch the failover, then the rejoin
#   bash scripts/quickstart.sh stop     # stop the daemons and the cluster, remove its directory
#   bash scripts/quickstart.sh status   # is it running?
#
# Run as root (or a user with sudo for apt-get).  PostgreSQL refuses to run as
# root, so as root the servers and pgha run as the `postgres` OS user.
# Environment:
#   PGHA_QUICKSTART_DIR  where the cluster lives (default /tmp/pgha-quickstart)
#   PGHA_BUILD_DIR       build directory (default build, inside the repo)
#   PGHA_QUICKSTART_NODES  number of nodes (default 3)
set -euo pipefail

T0=$(date +%s.%N)
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${PGHA_QUICKSTART_DIR:-/tmp/pgha-quickstart}
BUILD=${PGHA_BUILD_DIR:-build}
NODES=${PGHA_QUICKSTART_NODES:-3}
LAB="$REPO/tests/lab/pghalab.py"
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3
cd "$REPO"
case "$BUILD" in /*) BUILD_ABS=$BUILD ;; *) BUILD_ABS="$REPO/$BUILD" ;; esac
PGHA="$BUILD_ABS/cli/pgha"
PGHAD="$BUILD_ABS/daemon/pghad"
STOP="bash scripts/quickstart.sh stop"
DEMO="bash scripts/quickstart.sh demo"
[ -z "${PGHA_QUICKSTART_DIR:-}" ] || STOP="PGHA_QUICKSTART_DIR=$DIR $STOP"
[ -z "${PGHA_QUICKSTART_DIR:-}" ] || DEMO="PGHA_QUICKSTART_DIR=$DIR $DEMO"

say()  { printf '\n==> %s\n' "$*"; }
die()  { printf 'quickstart: %s\n' "$*" >&2; exit 1; }
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

if [ "$(id -u)" -eq 0 ]; then
    AS_PG="runuser -u postgres --"
    SUDO=""
else
    AS_PG=""
    SUDO="sudo"
fi

cmd=${1:-up}
case "$cmd" in
stop|down)
    if [ ! -e "$DIR" ]; then
        echo "quickstart: no cluster at $DIR (nothing to stop)"
        exit 0
    fi
    [ -f "$DIR/lab.json" ] || die "$DIR has no lab.json; it was not made by quickstart. Not touching it."
    PGHA_BIN="$PGHA" "$PYTHON" "$LAB" down --dir "$DIR"   # the daemons first, then the servers
    echo "quickstart: stopped in $(elapsed)s"
    exit 0
    ;;
status)
    exec "$PYTHON" "$LAB" status --dir "$DIR"
    ;;
demo)
    [ -f "$DIR/lab.json" ] || die "no quickstart cluster at $DIR; start one first: bash scripts/quickstart.sh"
    "$PYTHON" "$LAB" status --dir "$DIR" >/dev/null || die "the quickstart cluster at $DIR is not running"
    exec "$PYTHON" "$REPO/scripts/quickstart_demo.py" --dir "$DIR"
    ;;
up|start) ;;
-h|--help|help)
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
*) die "unknown command '$cmd' (use: up | demo | stop | status)" ;;
esac

# ---- refuse early if a cluster already lives in DIR
if [ -e "$DIR" ] && [ -n "$(ls -A "$DIR" 2>/dev/null)" ]; then
    if [ -f "$DIR/lab.json" ] && "$PYTHON" "$LAB" status --dir "$DIR" >/dev/null 2>&1; then
        die "a cluster is already running in $DIR.
  use it:  ${AS_PG:+$AS_PG }$PGHA -f $DIR/node1/pgha.toml cluster show
  stop it: $STOP
  (or set PGHA_QUICKSTART_DIR to start another one elsewhere)"
    elif [ -f "$DIR/lab.json" ]; then
        die "$DIR holds a stopped quickstart cluster; remove it with: $STOP"
    else
        die "$DIR exists and is not empty; remove it or set PGHA_QUICKSTART_DIR to another directory"
    fi
fi

# ---- (a) packages
# one list of packages for everything: scripts/install-deps.sh
if [ -n "$SUDO" ]; then
    command -v sudo >/dev/null || die "need root (or sudo) to install packages"
fi
$SUDO bash "$REPO/scripts/install-deps.sh"

# ---- (b) build
say "building pgha in $BUILD"
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$BUILD"
[ -x "$PGHA" ] && [ -x "$PGHAD" ] || die "build finished but $PGHA or $PGHAD is missing"

# ---- (c) cluster
say "starting a $NODES-node cluster in $DIR, with pghad on every node"
PGHA_BIN="$PGHA" PGHAD_BIN="$PGHAD" "$PYTHON" "$LAB" up --quiet --daemons --nodes "$NODES" --dir "$DIR"

# ---- (d) show it
say "pgha cluster show"
$AS_PG "$PGHA" -f "$DIR/node1/pgha.toml" cluster show
say "pgha daemon status"
$AS_PG "$PGHA" -f "$DIR/node1/pgha.toml" daemon status

# ---- (e) how to use it
cat <<EOF

pgha quickstart is up ($NODES nodes, data in $DIR).

Run pgha against it (any node's config works):
  ${AS_PG:+$AS_PG }$PGHA -f $DIR/node1/pgha.toml cluster show
  ${AS_PG:+$AS_PG }$PGHA -f $DIR/node2/pgha.toml cluster event
  ${AS_PG:+$AS_PG }$PGHA --help

The daemons (pghad, one per node, logs in $DIR/nodeN/pghad.log) fail over
automatically. Watch it: kill -9 the primary, see the new primary, its first
write, the events and the old primary rejoining:
  $DEMO

Connect with psql (ports are in $DIR/lab.json):
  /usr/lib/postgresql/15/bin/psql -h 127.0.0.1 -p $("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["nodes"][0]["port"])' "$DIR/lab.json") -U pgha pgha

Stop it and remove $DIR:
  $STOP

EOF
echo "quickstart: done in $(elapsed)s"
