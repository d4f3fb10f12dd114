#!/usr/bin/env bash
# Lint, format and type checks, run by the README's test command before the tests
# (settings in pyproject.toml: [tool.ruff], [tool.mypy]). PYTHON picks another interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
set -x
"$python" -m ruff check .
"$python" -m ruff format --check .
"$python" -m mypy
