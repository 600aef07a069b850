#!/usr/bin/env bash
# Formats the Swift sources with the toolchain's swift-format and .swift-format.
# --lint: report instead of rewriting (exit code 1 when something is off).
# Generated code (Sources/Wire/Generated, *+Generated.swift) is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files --cached --others --exclude-standard '*.swift' | grep -v -e '^Sources/Wire/Generated/' -e '+Generated\.swift$')
if [ "${1:-}" = "--lint" ]; then
  swift format lint --strict --configuration .swift-format $files
else
  swift format format --in-place --configuration .swift-format $files
fi
