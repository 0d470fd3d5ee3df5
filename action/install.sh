#!/usr/bin/env bash
# The GitHub Action's installer: puts a released squashmate binary on PATH, checksum-verified,
# from the tool cache when it is there already. Environment:
#   SQUASHMATE_VERSION      the version (e.g. 0.1.0); required
#   SQUASHMATE_RELEASES     where release assets are: an https:// base URL, a file:// URL or a
#                           directory (default: https://github.com/$SQUASHMATE_REPOSITORY/releases/download/v<version>)
#   SQUASHMATE_REPOSITORY   owner/name of the releases (default: the action's own repository)
#   SQUASHMATE_PLATFORM     "<uname -s> <uname -m>" to install for (default: this machine)
#   RUNNER_TOOL_CACHE, GITHUB_PATH: set by GitHub's runners (a local run may set them too)
set -euo pipefail

version=${SQUASHMATE_VERSION:?set SQUASHMATE_VERSION (the action input `version`)}
version=${version#v}
read -r os arch <<< "${SQUASHMATE_PLATFORM:-$(uname -s) $(uname -m)}"

# The Rust target triple of the release asset for this platform.
case "$os/$arch" in
  Linux/x86_64 | Linux/amd64) triple=x86_64-unknown-linux-gnu ;;
  Linux/aarch64 | Linux/arm64) triple=aarch64-unknown-linux-gnu ;;
  Darwin/x86_64) triple=x86_64-apple-darwin ;;
  Darwin/arm64 | Darwin/aarch64) triple=aarch64-apple-darwin ;;
  *)
    echo "::error::squashmate has no release binary for $os $arch (linux x86_64/aarch64, macOS x86_64/arm64); use the container image or cargo install" >&2
    exit 1 ;;
esac
asset=squashmate-$version-$triple
releases=${SQUASHMATE_RELEASES:-https://github.com/${SQUASHMATE_REPOSITORY:-${GITHUB_ACTION_REPOSITORY:-OWNER/squashmate}}/releases/download/v$version}

cache=${RUNNER_TOOL_CACHE:-${TMPDIR:-/tmp}}/squashmate/$version/$triple
if [ -x "$cache/squashmate" ] && [ -f "$cache/.verified" ]; then
  echo "squashmate $version ($triple) from the tool cache: $cache" >&2
else
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  fetch() {
    case "$releases" in
      http://* | https://*) curl --fail --silent --show-error --location --retry 3 -o "$scratch/$1" "$releases/$1" ;;
      file://*) cp "${releases#file://}/$1" "$scratch/$1" ;;
      *) cp "$releases/$1" "$scratch/$1" ;;
    esac
  }
  if ! fetch "$asset.tar.gz" || ! fetch "$asset.tar.gz.sha256"; then
    echo "::error::could not download $asset.tar.gz (and its .sha256) from $releases: is $version released for $triple?" >&2
    exit 1
  fi
  expected=$(awk '{print $1; exit}' "$scratch/$asset.tar.gz.sha256")
  actual=$(sha256sum "$scratch/$asset.tar.gz" | awk '{print $1}')
  if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
    echo "::error::$asset.tar.gz does not match its checksum (expected ${expected:-nothing}, got $actual): refusing to install it" >&2
    exit 1
  fi
  tar -C "$scratch" -xzf "$scratch/$asset.tar.gz"
  mkdir -p "$cache"
  install -m 0755 "$scratch/$asset/squashmate" "$cache/squashmate"
  echo "$actual" > "$cache/.verified"
  echo "squashmate $version ($triple) installed, checksum $actual verified" >&2
fi
if [ -n "${GITHUB_PATH:-}" ]; then echo "$cache" >> "$GITHUB_PATH"; fi
echo "$cache/squashmate"
