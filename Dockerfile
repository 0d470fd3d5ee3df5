# squashmate with PostgreSQL's server and client inside: `replay`, `squash`, `diff`, `drift` and
# `plan` start their throwaway server in the container itself (no Docker-in-Docker), as the
# postgres user. Built by scripts/package from the binary it packaged:
#   docker run --rm -v "$PWD/db:/work/db" squashmate:<version> replay
ARG BASE=debian:bookworm-slim
FROM ${BASE}
ARG PG_MAJOR=15
# A base without PostgreSQL gets the server and client from Debian (a local base that has them,
# as scripts/docker/build-test-image makes, needs no network).
RUN if [ ! -x "/usr/lib/postgresql/${PG_MAJOR}/bin/postgres" ]; then \
      apt-get update && apt-get install -y --no-install-recommends "postgresql-${PG_MAJOR}" ca-certificates \
      && rm -rf /var/lib/apt/lists/*; \
    fi
COPY squashmate /usr/local/bin/squashmate
ENV PATH=/usr/lib/postgresql/${PG_MAJOR}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/squashmate"]
CMD ["--help"]
