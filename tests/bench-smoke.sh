#!/bin/sh
# The benchmarks' smoke run (N=10, one short run of each), so that
# bench/run.sh cannot rot; the real figures come from `sh bench/run.sh`.
exec sh "${srcdir:-$(dirname "$0")/..}/bench/run.sh" --smoke
