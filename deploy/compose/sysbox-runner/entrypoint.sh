#!/bin/sh
# Starts the inner Docker daemon on a socket only this container sees, waits
# for it, then runs the runner against it. Either one exiting ends the
# container, so Docker's restart policy brings both back together.
set -eu
dockerd --host=unix:///var/run/docker.sock >/var/log/dockerd.log 2>&1 &
dockerd_pid=$!
i=0
until docker version >/dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -gt 60 ] || ! kill -0 "$dockerd_pid" 2>/dev/null; then
    echo "inner dockerd did not start:" >&2
    tail -n 50 /var/log/dockerd.log >&2
    exit 1
  fi
  sleep 1
done
exec drone-runner-docker
