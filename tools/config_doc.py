"""`make config-doc`: write config/README.md from config/schema.yaml.

The schema is the one source of every config key's type, default and description; this script
renders it as a page: a table of every key, then a section per key (type, default, the value of
the embedded config/config.yaml where it differs, examples, description), then the shared types
(``$defs``). ``--check`` writes nothing and exits 1 when config/README.md differs from the output
(tests/docs/test_docs.py runs the same comparison).

By hand:  python tools/config_doc.py [--check]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "config" / "schema.yaml"
EMBEDDED = ROOT / "config" / "config.yaml"
OUTPUT = ROOT / "config" / "README.md"

HEADER = """\
# Configuration keys

<!-- Generated from config/schema.yaml by `make config-doc` (tools/config_doc.py): edit the schema, not this file. -->

Every key of the workflow's configuration, from [schema.yaml](schema.yaml), which validates
[config.yaml](config.yaml) (the embedded default) and every `--configfile` or `--config` override before
the DAG is built. *default* is the value used when the key is absent (Snakemake's validation fills it in);
*config.yaml* is the embedded default's value where that differs. Examples are `--config` arguments; in a
YAML file the same value is written under its key. How to pass values, worked examples and the settings that
are not config keys: [docs/configuration.md](../docs/configuration.md); every config error and its message:
[docs/bad-inputs.md](../docs/bad-inputs.md).
"""

PLURAL = {"string": "strings", "integer": "integers", "number": "numbers", "boolean": "booleans"}


def slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def flow(value) -> str:
    """A value as YAML flow text (``[cpu]``, ``{}``, ``null``, ``0.1``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in value.items()) + "}"
    return str(value)


def code(text: str) -> str:
    return f"`{text}`"


def _bounds(node: dict) -> str:
    lo, hi = node.get("minimum"), node.get("maximum")
    if lo is not None and hi is not None:
        return f" in [{lo}, {hi}]"
    if lo is not None:
        return f" ≥ {lo}"
    if "exclusiveMinimum" in node:
        return f" > {node['exclusiveMinimum']}"
    return ""


def type_text(node: dict, plural: bool = False) -> str:
    """A short English name of the values a schema node accepts."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        return f"[{name}](#{slug(name)})"
    if "const" in node:
        return code(flow(node["const"]))
    if "enum" in node:
        return "one of " + ", ".join(code(flow(v)) for v in node["enum"])
    if "oneOf" in node:
        return " or ".join(type_text(alt, plural) for alt in node["oneOf"])
    kind = node.get("type")
    if isinstance(kind, list):
        names = [PLURAL[k] if plural else k for k in kind]
        return ", ".join(names[:-1]) + " or " + names[-1]
    if kind == "null":
        return "null"
    if kind in ("integer", "number", "boolean"):
        return (PLURAL[kind] if plural else kind) + _bounds(node)
    if kind == "string":
        name = "strings" if plural else "string"
        if "pattern" in node:
            return f"{name} matching {code(node['pattern'])}"
        return ("non-empty " if node.get("minLength") else "") + name
    if kind == "array":
        items = node.get("items", {})
        if node.get("minItems") == node.get("maxItems") == 2:
            return ("pairs" if plural else "pair") + " of " + type_text(items, plural=True)
        extra = " (at least one, distinct)" if node.get("minItems") and node.get("uniqueItems") else ""
        return ("lists" if plural else "list") + " of " + type_text(items, plural=True) + extra
    if kind == "object":
        name = "mappings" if plural else "mapping"
        if "properties" in node:
            return f"{name} of the keys below"
        values = node.get("additionalProperties")
        if isinstance(values, dict):
            return f"{name} of {key_code(node)} to {type_text(values)}"
        return name
    return "any value"


def key_name(node: dict) -> str:
    return node.get("propertyNames", {}).get("title", "<name>")


def key_code(node: dict) -> str:
    return code(key_name(node))


def keys(node: dict, path: str = "", required: tuple = ()) -> list[tuple[str, dict, bool]]:
    """Every documented key under ``node``: (dotted path, schema node, required), parents first."""
    found = []
    for name, sub in node.get("properties", {}).items():
        child = f"{path}.{name}" if path else name
        found.append((child, sub, name in node.get("required", ())))
        found.extend(keys(sub, child))
    values = node.get("additionalProperties")
    if isinstance(values, dict) and "description" in values:
        child = f"{path}.{key_name(node)}"
        found.append((child, values, False))
        found.extend(keys(values, child))
    for alt in node.get("oneOf", ()):
        found.extend(keys(alt, path))
    return found


def embedded_value(config: dict, path: str):
    """The embedded config's value at ``path``, or a sentinel when it has none (or the path has a placeholder)."""
    value = config
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


_MISSING = object()


def default_text(node: dict, required: bool) -> str:
    if "default" in node:
        return code(flow(node["default"]))
    return "none (required)" if required else "absent"


def section(path: str, node: dict, required: bool, config: dict) -> list[str]:
    lines = [f"### {code(path)}", "", f"- type: {type_text(node)}", f"- default: {default_text(node, required)}"]
    if required and "default" in node:
        lines[-1] += " (required; the embedded config.yaml always sets it)"
    value = embedded_value(config, path)
    if value is not _MISSING and "properties" not in node and value != node.get("default", _MISSING):
        lines.append(f"- config.yaml: {code(flow(value))}")
    if node.get("examples"):
        lines.append("- examples: " + ", ".join(code(f"--config {e}") for e in node["examples"]))
    lines += ["", " ".join(node["description"].split()), ""]
    return lines


def render(schema: dict, config: dict) -> str:
    found = keys(schema)
    lines = [HEADER, "## Keys", "", "| key | type | default |", "|---|---|---|"]
    for path, node, required in found:
        kind = type_text(node).replace("|", "\\|")
        lines.append(f"| [{code(path)}](#{slug(path)}) | {kind} | {default_text(node, required)} |")
    lines += ["", "## Every key", ""]
    for path, node, required in found:
        lines += section(path, node, required, config)
    lines += ["## Shared types", ""]
    for name, node in schema.get("$defs", {}).items():
        lines += [f"### {name}", "", f"- type: {type_text({k: v for k, v in node.items() if k != 'description'})}"]
        lines += ["", " ".join(node["description"].split()), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def build() -> str:
    return render(yaml.safe_load(SCHEMA.read_text()), yaml.safe_load(EMBEDDED.read_text()))


def write_generated(output: Path, text: str, source: str, target: str, doc: str, argv=None) -> int:
    """The command line of a generated page: write ``output`` when ``text`` differs from it, or with ``--check``
    write nothing and exit 1 when it differs (``source`` and ``make <target>`` name the fix)."""
    name = output.relative_to(ROOT)
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help=f"exit 1 when {name} is out of date; write nothing")
    args = p.parse_args(argv)
    if args.check:
        if output.read_text() != text:
            print(f"{name} differs from {source}: run `make {target}`", file=sys.stderr)
            return 1
        return 0
    if not output.exists() or output.read_text() != text:
        output.write_text(text)
        print(f"{name}: written")
    else:
        print(f"{name}: already up to date")
    return 0


def main(argv=None) -> int:
    return write_generated(OUTPUT, build(), "config/schema.yaml", "config-doc", __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
