"""MkDocs hooks (mkdocs.yml): pages made when the manual is built.

- ``benchmarks.md`` is ``bench/README.md`` itself, so the numbers live in one file.
- ``reference.md`` is the OpenAPI document of the app with this package's own
  endpoint plugins, rendered as Markdown: the reference cannot drift from
  what the server serves (``/openapi.json`` is built from the same services).
"""
from __future__ import annotations

import json
import logging
from importlib.metadata import distribution
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent


def on_files(files: Files, config: MkDocsConfig) -> Files:
    files.append(File.generated(config, "benchmarks.md", content=(ROOT / "bench" / "README.md").read_text()))
    files.append(File.generated(config, "reference.md", content=reference(openapi_document())))
    return files


def openapi_document() -> dict[str, Any]:
    """The document ``/openapi.json`` serves, with this package's endpoint
    plugins (a third party's installed beside it left out) and no auth."""
    from restd_core.assembly.app import main  # imported here: only a build needs the app
    from restd_core.assembly.wiring import wiring

    ours = sorted(point.name for point in distribution("condor-restd").entry_points
                  if point.group == "restd.endpoints")
    logging.getLogger("restd_plugins.auth.none").setLevel(logging.ERROR)  # "every caller may read": known
    app = main({}, **{"restd.endpoints": " ".join(ours), "restd.auth": "none", "restd.metrics": "true"})
    restd = wiring(app.registry)
    try:
        return restd.openapi_document
    finally:
        restd.gateway.close()
        restd.shared.close()


def reference(document: dict[str, Any]) -> str:
    """Every path and method of ``document``: its parameters and answers."""
    info = document["info"]
    lines = [
        "# OpenAPI reference", "",
        f"{info['title']} {info['version']}, OpenAPI {document['openapi']}: {info['description']}", "",
        "This page is made from that document when the manual is built (`docs/hooks.py`);",
        "a running server serves it as `/openapi.json` and renders it at `/docs` (see",
        "[The API describes itself](api.md)).", "",
    ]
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        lines += [f"The `{name}` schema:", "", *_json_block(schema)]
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            lines += [f"## `{method.upper()} {path}`", ""]
            if operation.get("summary") or operation.get("description"):
                lines += [_cell(operation.get("summary") or operation["description"]), ""]
            if operation.get("parameters"):
                lines += ["| parameter | in | schema | meaning |", "|---|---|---|---|"]
                lines += [f"| `{p['name']}`{'' if p.get('required') else ' (optional)'} | {p['in']} "
                          f"| {_schema(p.get('schema', {}))} | {_cell(p.get('description', ''))} |"
                          for p in operation["parameters"]]
                lines.append("")
            lines += ["| answer | what |", "|---|---|"]
            lines += [f"| {status} | {_cell(answer.get('description', ''))}"
                      f"{''.join(f' (`{media}`)' for media in answer.get('content', {}))} |"
                      for status, answer in operation["responses"].items()]
            lines.append("")
            for media, content in operation["responses"].get("200", {}).get("content", {}).items():
                if "schema" in content:
                    lines += [f"The answer (200, `{media}`):", "", *_json_block(content["schema"])]
    return "\n".join(lines)


def _schema(schema: dict[str, Any]) -> str:
    """A schema in one table cell: its JSON, without its description."""
    shown = {key: value for key, value in schema.items() if key != "description"}
    return "`" + json.dumps(shown, separators=(", ", ": ")).replace("|", "\\|") + "`"


def _json_block(value: Any) -> list[str]:
    return ["```json", json.dumps(value, indent=2), "```", ""]


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
