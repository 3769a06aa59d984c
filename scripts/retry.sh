#!/usr/bin/env bash
# `bash scripts/retry.sh CMD ARGS...`: runs a network install up to 3 times, 30 s apart.
# The npm registry sometimes stalls mid-download (CI once failed on EIDLETIMEOUT fetching
# a tarball); npm's own fetch retries do not cover a body that stops arriving.
set -uo pipefail
for attempt in 1 2 3; do
  "$@" && exit 0
  status=$?
  [ "$attempt" = 3 ] && break
  echo "retry: '$*' failed (exit $status, attempt $attempt of 3); again in 30 s" >&2
  sleep 30
done
exit "$status"
