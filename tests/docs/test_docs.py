"""The documentation: config/README.md is what `make config-doc` writes from config/schema.yaml, every
schema key is described, docs/columns.md is what `make columns-doc` writes from the column spec, and every
relative link of README.md, docs/*.md and config/README.md resolves."""

from __future__ import annotations

import importlib.util
import re

import jsonschema
import pytest
import yaml

from common import ROOT

spec = importlib.util.spec_from_file_location("config_doc", ROOT / "tools" / "config_doc.py")
config_doc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(config_doc)
spec = importlib.util.spec_from_file_location("columns_doc", ROOT / "tools" / "columns_doc.py")
columns_doc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(columns_doc)

SCHEMA = yaml.safe_load((ROOT / "config" / "schema.yaml").read_text())
PAGES = [ROOT / "README.md", ROOT / "config" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_config_readme_is_generated_from_the_schema():
    assert (ROOT / "config" / "README.md").read_text() == config_doc.build(), (
        "config/README.md differs from what config/schema.yaml gives: run `make config-doc` and commit the result"
    )


def test_columns_page_is_generated_from_the_column_spec():
    assert (ROOT / "docs" / "columns.md").read_text() == columns_doc.render(), (
        "docs/columns.md differs from what scripts/ganinfer/report/columns.py gives: run `make columns-doc` and "
        "commit the result"
    )


def test_every_column_says_what_it_is_and_where_it_comes_from():
    from ganinfer.report.columns import TABLES

    for name, (_, columns) in TABLES.items():
        assert len({c.name for c in columns}) == len(columns), name
        for c in columns:
            assert c.description.strip() and columns_doc.source(c), f"{name}: {c.name}"
    # a page row: the column, how it is written, where it comes from, what it means
    row = next(line for line in columns_doc.render().splitlines() if line.startswith("| `round_fps` |"))
    assert row.startswith("| `round_fps` | numbers (2 decimals), `;`-separated | `round_fps` | each round's")
    assert "| `device` | text | `provenance.device`, else `provenance.cpu` |" in columns_doc.render()


def test_every_schema_key_has_a_description():
    missing = [path for path, node, _ in config_doc.keys(SCHEMA) if not node.get("description", "").strip()]
    missing += [f"$defs.{name}" for name, node in SCHEMA["$defs"].items() if not node.get("description", "").strip()]
    assert not missing, f"keys without a description in config/schema.yaml: {missing}"


def test_every_object_key_of_the_schema_is_documented():
    """Every key under `properties` anywhere in the schema is a section of config/README.md."""
    documented = {path for path, _, _ in config_doc.keys(SCHEMA)}

    def walk(node, path):
        for name, sub in node.get("properties", {}).items():
            child = f"{path}.{name}" if path else name
            assert child in documented, child
            walk(sub, child)
        for alt in node.get("oneOf", ()):
            walk(alt, path)
        values = node.get("additionalProperties")
        if isinstance(values, dict) and "properties" in values:
            walk(values, f"{path}.{config_doc.key_name(node)}")

    walk(SCHEMA, "")


def test_schema_defaults_are_valid_values():
    for path, node, _ in config_doc.keys(SCHEMA):
        if "default" in node:
            sub = {**node, "$defs": SCHEMA["$defs"]}
            assert jsonschema.Draft202012Validator(sub).is_valid(node["default"]), path


def test_embedded_config_comments_point_to_the_generated_page():
    text = (ROOT / "config" / "config.yaml").read_text()
    assert "config/README.md" in text


def test_type_text_and_flow():
    assert config_doc.flow({"a": [1, None, True]}) == "{a: [1, null, true]}"
    assert config_doc.type_text({"type": "number", "exclusiveMinimum": 0}) == "number > 0"
    assert config_doc.type_text({"type": "number", "minimum": -1, "maximum": 1}) == "number in [-1, 1]"
    assert config_doc.type_text({"oneOf": [{"type": "null"}, {"enum": ["a", "b"]}]}) == "null or one of `a`, `b`"
    assert config_doc.slug("`perf.max_cov`") == "perfmax_cov"
    assert config_doc.slug("The README's figures") == "the-readmes-figures"


LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")


def anchors(path):
    """GitHub's heading anchors of a Markdown file (outside code blocks), duplicates suffixed -1, -2, ..."""
    seen, out, fenced = {}, set(), False
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        m = re.match(r"#{1,6} (.*)", line)
        if m and not fenced:
            base = config_doc.slug(re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", m.group(1)))
            n = seen.get(base, 0)
            seen[base] = n + 1
            out.add(base if n == 0 else f"{base}-{n}")
    return out


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page):
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.DOTALL)
    broken = []
    for m in LINK.finditer(text):
        target = m.group(1) or m.group(2)
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        dest = (page.parent / file).resolve() if file else page
        if not dest.exists():
            broken.append(f"{target}: no file {dest.relative_to(ROOT) if dest.is_relative_to(ROOT) else dest}")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target}: no heading with anchor #{anchor} in {dest.relative_to(ROOT)}")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)


def test_readme_is_at_most_200_lines():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 200


def test_the_code_s_links_to_the_docs_resolve():
    """Comments and docstrings cite a page as docs/<page>.md, or docs/<page>.md#<anchor> for a section (the figures
    behind a design choice, say): each page exists and each anchor is one of its headings."""
    code = [ROOT / "Makefile", ROOT / "Snakefile"]
    for folder in ("scripts", "rules", "benchmarks", "profiles", "tools"):
        code += [p for p in sorted((ROOT / folder).rglob("*")) if p.suffix in (".py", ".smk", ".yaml")]
    cited, broken = 0, []
    for path in code:
        for m in re.finditer(r"\bdocs/([\w-]+\.md)(?:#([\w-]+))?", path.read_text()):
            cited += 1
            page = ROOT / "docs" / m.group(1)
            if not page.exists() or (m.group(2) and m.group(2) not in anchors(page)):
                broken.append(f"{path.relative_to(ROOT)}: {m.group(0)}")
    assert cited and not broken, broken
