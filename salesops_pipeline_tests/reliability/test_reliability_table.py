"""scripts/reliability_table.py: the README table comes from the results file, and only its block
of README.md is ever rewritten."""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path

import pytest

from salesops_pipeline.settings import PROJECT_ROOT

spec = importlib.util.spec_from_file_location(
    "reliability_table", PROJECT_ROOT / "scripts" / "reliability_table.py")
assert spec and spec.loader
table = importlib.util.module_from_spec(spec)
spec.loader.exec_module(table)

RESULTS = {"results": [
    {"case": "a | pipe", "what_happened": "rejected:\n two lines", "lost": "nothing",
     "outcome": "passed"},
    {"case": "race", "what_happened": "loaded the secret", "lost": "nothing",
     "outcome": "xfailed", "message": "defect: read outside"},
]}


@pytest.mark.reliability(case="README's Reliability block regenerated from a results file")
def test_the_readme_block_is_replaced_and_nothing_else(tmp_path: Path) -> None:
    """Appended once with its heading, then replaced in place; the rest of README is untouched."""
    document = copy.deepcopy(RESULTS)
    results = tmp_path / "results.json"
    results.write_text(json.dumps(document), encoding="utf-8")
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n\nIntro.\n", encoding="utf-8")
    assert table.main(["--results", str(results), "--readme", str(readme)]) == 0
    first = readme.read_text(encoding="utf-8")
    assert first.startswith("# Title\n\nIntro.\n\n## Reliability\n\n<!-- reliability:start -->")
    assert "| a \\| pipe | rejected: two lines | nothing | pass |" in first
    assert "| race | loaded the secret | nothing | known defect: read outside |" in first
    assert table.main(["--results", str(results), "--readme", str(readme), "--check"]) == 0
    readme.write_text(first + "\n## Later section\n\nkept\n", encoding="utf-8")
    document["results"][1]["outcome"] = "passed"
    results.write_text(json.dumps(document), encoding="utf-8")
    assert table.main(["--results", str(results), "--readme", str(readme), "--check"]) == 1
    assert table.main(["--results", str(results), "--readme", str(readme)]) == 0
    second = readme.read_text(encoding="utf-8")
    assert second.count("## Reliability") == 1 and second.endswith("## Later section\n\nkept\n")
    assert "| race | loaded the secret | nothing | pass |" in second
