#!/usr/bin/env bash
# Builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer into build-asan/ (the normal
# build/ is untouched), then runs the native-facing test files against it with the sanitizer
# runtimes preloaded into Node. Fails on any sanitizer report (or any test failure).
#
#   npm run sanitize                 # build + test
#   SANITIZE_SKIP_BUILD=1 npm run sanitize
#   SANITIZE_TESTS="test/svd.test.ts" npm run sanitize
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=${TRIMNET_ASAN_DIR:-build-asan}
jobs=${TRIMNET_BUILD_JOBS:-2}

if [ -z "${SANITIZE_SKIP_BUILD:-}" ]; then
  echo "sanitize: building the addon with -fsanitize=address,undefined into $out/"
  npx cmake-js compile --out "$out" --parallel "$jobs" \
    --CDTRIMNET_SANITIZE=address,undefined --CDTRIMNET_CUDA=OFF
fi
addon=$(find "$root/$out" -name trimnet.node -path '*Release*' | head -n1)
[ -n "$addon" ] || { echo "sanitize: no trimnet.node under $out/" >&2; exit 1; }
[ -f dist/src/index.js ] || npx tsc -p tsconfig.json

cxx=${CXX:-g++}
asan=$($cxx -print-file-name=libasan.so)
ubsan=$($cxx -print-file-name=libubsan.so)
for lib in "$asan" "$ubsan"; do
  [ -f "$lib" ] || { echo "sanitize: sanitizer runtime not found ($lib); install the compiler's libasan/libubsan" >&2; exit 1; }
done

logs=$(mktemp -d "${TMPDIR:-/tmp}/trimnet-sanitize.XXXXXX")
trap 'rm -rf "$logs"' EXIT
export TRIMNET_ADDON="$addon"
export TRIMNET_BACKEND=cpu     # the native backend or nothing: never a silent fallback to js
export LD_PRELOAD="$asan:$ubsan"
# Node itself "leaks" on purpose at exit; V8 needs some ASan leniency. Reports go to files we check.
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=0:exitcode=86:log_path=$logs/asan:allocator_may_return_null=1:detect_odr_violation=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=87:log_path=$logs/ubsan"

# The addon must be the sanitized one, and must load.
node --input-type=module -e "
  const t = await import('$root/dist/src/index.js');
  const b = t.availableBackends().find((x) => x.name === 'cpu');
  if (!b || !b.available) { console.error('sanitize: the sanitized addon did not load:', b && b.reason); process.exit(1); }
  console.log('sanitize: backend', t.getBackend().name, 'from', process.env.TRIMNET_ADDON);
"

if [ -n "${SANITIZE_TESTS:-}" ]; then
  read -r -a tests <<< "$SANITIZE_TESTS"
else
  tests=()
  for f in test/conformance*.test.ts test/addon*.test.ts test/gemm*.test.ts test/svd*.test.ts test/linalg*.test.ts \
           test/concurrency.test.ts test/nn-mlp.test.ts test/prune-stats.test.ts test/align*.test.ts; do
    [ -f "$f" ] && tests+=("$f")
  done
fi
echo "sanitize: running ${tests[*]}"
status=0
npx vitest run --pool forks "${tests[@]}" || status=$?

reports=$(find "$logs" -type f | wc -l)
if [ "$reports" -gt 0 ]; then
  echo "sanitize: $reports sanitizer report file(s):" >&2
  for f in "$logs"/*; do echo "--- $f" >&2; head -n 60 "$f" >&2; done
  exit 1
fi
if [ "$status" -ne 0 ]; then echo "sanitize: tests failed (exit $status)" >&2; exit "$status"; fi
echo "sanitize: OK — ${#tests[@]} test files under ASan+UBSan, 0 sanitizer reports"
