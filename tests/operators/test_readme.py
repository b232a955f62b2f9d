"""The import lines of README.md's Python examples work when pasted: each ```python block is
parsed, and its import statements run in a fresh interpreter."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).parents[2] / "README.md"
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _import_statements() -> list[str]:
    statements = []
    for block in PYTHON_BLOCK.findall(README.read_text(encoding="utf-8")):
        tree = ast.parse(block)  # a block that is not valid Python fails here
        statements += [
            ast.unparse(node)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom))
        ]
    return statements


def test_the_readme_shows_the_import_lines_of_each_package() -> None:
    modules = {statement.split()[1] for statement in _import_statements()}
    assert {
        "airflow_provider_dm.operators",
        "airflow_provider_dm.sensors",
        "airflow_provider_dm.hooks",
    } <= modules


def test_the_readme_import_lines_run_in_a_fresh_interpreter() -> None:
    code = "\n".join(_import_statements())
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )
    assert proc.returncode == 0, f"{code}\n{proc.stderr}"
