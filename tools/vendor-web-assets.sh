#!/bin/sh
# Refresh the vendored front-end libraries in src/gridgov/web/static/vendor/.
#
# GridGov runs on isolated government intranets, so every script and stylesheet is
# served by the product itself — never from a CDN. This script fetches the published
# npm packages (with `npm pack`, so nothing is installed) and copies the files the
# pages use, with each library's licence, into vendor/<lib>-<version>/.
#
# Usage: tools/vendor-web-assets.sh [LEAFLET_VERSION] [ECHARTS_VERSION] [HTMX_VERSION]
# After a version change follow "Updating" in src/gridgov/web/static/vendor/README.md.
set -eu

LEAFLET=${1:-1.9.4}
ECHARTS=${2:-6.1.0}
HTMX=${3:-2.0.11}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENDOR="$ROOT/src/gridgov/web/static/vendor"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

unpack() {  # unpack NAME VERSION -> $WORK/NAME/package
    (cd "$WORK" && npm pack --silent "$1@$2" >/dev/null)
    mkdir -p "$WORK/$1"
    tar xzf "$WORK/$1-$2.tgz" -C "$WORK/$1"
}

unpack leaflet "$LEAFLET"
dest="$VENDOR/leaflet-$LEAFLET"
mkdir -p "$dest/images"
# leaflet.js names its source map; ship it so the reference resolves.
cp "$WORK/leaflet/package/dist/leaflet.js" "$WORK/leaflet/package/dist/leaflet.js.map" \
   "$WORK/leaflet/package/dist/leaflet.css" "$dest/"
cp "$WORK/leaflet/package/dist/images/"*.png "$dest/images/"
cp "$WORK/leaflet/package/LICENSE" "$dest/LICENSE"

unpack echarts "$ECHARTS"
dest="$VENDOR/echarts-$ECHARTS"
mkdir -p "$dest"
cp "$WORK/echarts/package/dist/echarts.min.js" "$dest/"
cp "$WORK/echarts/package/LICENSE" "$WORK/echarts/package/NOTICE" "$dest/"

unpack htmx.org "$HTMX"
dest="$VENDOR/htmx-$HTMX"
mkdir -p "$dest"
cp "$WORK/htmx.org/package/dist/htmx.min.js" "$dest/"
cp "$WORK/htmx.org/package/LICENSE" "$dest/LICENSE"

echo "Vendored leaflet $LEAFLET, echarts $ECHARTS, htmx $HTMX into $VENDOR"
