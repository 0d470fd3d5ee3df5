# A Docker engine for the Docker-provider tests: installs docker.io and debootstrap when
# missing, starts an engine when none answers (loopback only: no bridge network, no iptables),
# and builds the local test images. Sourced by scripts/test; `stop_started_docker` stops what
# was started here.

started_dockerd_pid=
# Why the Docker tests cannot run (empty: they can), set by ensure_docker.
docker_problem=

docker_answers() {
  docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

# Sets docker_problem to why the engine or the images are not available, or to nothing.
ensure_docker() {
  docker_problem=
  if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
    apt_install docker.io debootstrap
  fi
  if ! docker_answers; then
    as_root sh -c 'dockerd --bridge=none --iptables=false --ip6tables=false >/tmp/squashmate-dockerd.log 2>&1 & echo $! > /tmp/squashmate-dockerd.pid'
    started_dockerd_pid=$(cat /tmp/squashmate-dockerd.pid)
    for _ in $(seq 1 60); do
      docker_answers && break
      sleep 0.5
    done
  fi
  if ! docker_answers; then
    docker_problem="the Docker engine did not start: $(tail -n 3 /tmp/squashmate-dockerd.log 2>/dev/null | tr '\n' ' ')"
    return 0
  fi
  scripts/docker/build-test-image || docker_problem="the Docker test images could not be built"
}

stop_started_docker() {
  if [ -n "$started_dockerd_pid" ]; then
    as_root kill "$started_dockerd_pid" 2>/dev/null || true
  fi
}
