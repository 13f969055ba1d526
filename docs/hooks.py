"""MkDocs hook: the reference pages generated from the code when the site is built.

``<!-- generated:config -->`` becomes a table per config section, from the pydantic
models in ``genesis.config.models`` (key, type, default, allowed values, meaning);
``<!-- generated:cli -->`` becomes every command of the typer app with its usage and
options, from the click command typer builds. Both read the code, so the pages cannot
drift from it. A meaning comes from the field's docstring in the model, else from the
comment on the same key in the annotated example of the configuration page.
"""

from __future__ import annotations

import ast
import inspect
import re
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

CONFIG_MARKER = "<!-- generated:config -->"
CLI_MARKER = "<!-- generated:cli -->"
ERRORS_MARKER = "<!-- generated:errors -->"
_BOUNDS = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "min_length": "length ≥"}


def on_page_markdown(markdown: str, **_: Any) -> str:
    """Replace the markers of a page with the generated reference."""
    if CONFIG_MARKER in markdown:
        markdown = markdown.replace(CONFIG_MARKER, render_config(_example_comments(markdown)))
    if CLI_MARKER in markdown:
        markdown = markdown.replace(CLI_MARKER, render_cli())
    if ERRORS_MARKER in markdown:
        markdown = markdown.replace(ERRORS_MARKER, render_errors())
    return markdown


def render_errors() -> str:
    """The error tree of ``genesis.errors``: each class, its parent, exit code and meaning."""
    from genesis import errors

    rows = ["| error | is a | exit code | what it means |", "|---|---|---|---|"]
    for name in errors.__all__:
        error = getattr(errors, name)
        if not (isinstance(error, type) and issubclass(error, errors.GenesisError)):
            continue
        parent = error.__mro__[1].__name__ if error is not errors.GenesisError else ""
        summary = inspect.cleandoc(error.__doc__ or "").split("\n\n")[0]
        rows.append(f"| `{name}` | {parent} | {error.exit_code} | {_cell(summary)} |")
    return "\n".join(rows) + "\n"


# --- configuration ----------------------------------------------------------------------


def render_config(comments: dict[str, str]) -> str:
    """Markdown tables of every config section, the root keys first."""
    from genesis.config import models

    docs = _attribute_docstrings(Path(inspect.getfile(models)))
    root = models.GenesisConfig
    parts = [_table(root, "", docs, comments, sections_only=False)]
    for name, field in root.model_fields.items():
        for model in _models_in(field.annotation):
            parts.append(_section(model, name, docs, comments))
    dims = [models.IntParam, models.FloatParam, models.CategoricalParam, models.FixedParam]
    parts.append(
        "### `search_space.NAME`\n\nOne entry per searched param, chosen by `type` "
        "(a bare value is `fixed`).\n"
    )
    for model in dims:
        kind = typing.get_args(model.model_fields["type"].annotation)[0]
        doc = inspect.cleandoc(model.__doc__ or "")
        table = _table(model, "search_space.NAME", docs, {})
        parts.append(f"#### `type: {kind}`\n\n{doc}\n\n{table}")
    return "\n".join(parts)


def _section(
    model: type[BaseModel], path: str, docs: dict[str, str], comments: dict[str, str]
) -> str:
    doc = inspect.cleandoc(model.__doc__ or "")
    text = f"### `{path}`\n\n{doc}\n\n" + _table(model, path, docs, comments)
    for name, field in model.model_fields.items():
        for sub in _models_in(field.annotation):
            text += "\n" + _section(sub, f"{path}.{name}", docs, comments)
    return text


def _table(
    model: type[BaseModel],
    path: str,
    docs: dict[str, str],
    comments: dict[str, str],
    *,
    sections_only: bool = True,
) -> str:
    rows = []
    for name, field in model.model_fields.items():
        if not sections_only and any(True for _ in _models_in(field.annotation)):
            meaning = f"see [`{name}`](#{name.replace('_', '')})"
        else:
            dotted = f"{path}.{name}" if path else name
            meaning = docs.get(f"{model.__name__}.{name}") or comments.get(dotted, "")
        cells = [f"`{name}`", _type_name(field.annotation), _default(field), _allowed(field)]
        rows.append([*cells, _cell(meaning)])
    head = ["key", "type", "default", "allowed", "meaning"]
    if not any(row[-1] for row in rows):  # e.g. a search dimension: its docstring says it
        head, rows = head[:-1], [row[:-1] for row in rows]
    lines = [head, ["---"] * len(head), *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines) + "\n"


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    return []


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        names = [_type_name(arg) for arg in typing.get_args(annotation)]
        return " or ".join(dict.fromkeys(names))
    if origin is typing.Literal:
        return " \\| ".join(f"`{value}`" for value in typing.get_args(annotation))
    if origin in (list, dict):
        return f"{origin.__name__} of " + ", ".join(
            _type_name(a) for a in typing.get_args(annotation)
        )
    if annotation is type(None):
        return "null"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "section"
    return getattr(annotation, "__name__", str(annotation))


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
        return "" if isinstance(value, BaseModel) else f"`{value!r}`"
    if field.default is PydanticUndefined:
        return "required"
    if field.default is None:
        return "`null`"
    if isinstance(field.default, bool):
        return f"`{str(field.default).lower()}`"
    return f"`{field.default}`"


def _allowed(field: FieldInfo) -> str:
    bounds = []
    for item in [*field.metadata, *_nested_metadata(field.annotation)]:
        for attr, symbol in _BOUNDS.items():
            value = getattr(item, attr, None)
            if value is not None:
                bounds.append(f"{symbol} {value}")
    return ", ".join(dict.fromkeys(bounds))


def _nested_metadata(annotation: Any) -> list[Any]:
    found: list[Any] = []
    for arg in typing.get_args(annotation):
        if typing.get_origin(arg) is typing.Annotated:
            for meta in typing.get_args(arg)[1:]:
                found.extend(meta.metadata if isinstance(meta, FieldInfo) else [meta])
        else:
            found.extend(_nested_metadata(arg))
    return found


def _attribute_docstrings(source: Path) -> dict[str, str]:
    """``Class.field`` → the string literal right below the field in the model's source."""
    found = {}
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ClassDef):
            continue
        for stmt, after in zip(node.body, node.body[1:], strict=False):
            if (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            ):
                found[f"{node.name}.{stmt.target.id}"] = " ".join(after.value.value.split())
    return found


def _example_comments(markdown: str) -> dict[str, str]:
    """Dotted key → the comment on its line in the page's first YAML example."""
    match = re.search(r"```yaml\n(.*?)```", markdown, re.S)
    comments: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in (match.group(1) if match else "").splitlines():
        indent, text = _key_indent(line)
        key = re.match(r"^([a-z_]+):(.*?)(?:#\s*(.*))?$", text)
        if not key:
            continue
        name, comment = key.group(1), key.group(3)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, name))
        dotted = ".".join(n for _, n in stack)
        if comment:
            comments[dotted] = comment.strip()
        flow = re.match(r"^\s*\{(.*)\}\s*$", key.group(2))
        if flow and comment:  # `backtest: {fee_bps: 10, ...}  # comment` names the section
            for inner in re.findall(r"([a-z_]+):", flow.group(1)):
                comments.setdefault(f"{dotted}.{inner}", "")
    return comments


def _key_indent(line: str) -> tuple[int, str]:
    """A line's key indentation and text; a commented-out key (``  #   folds: 4``) counts."""
    text = line.lstrip()
    indent = len(line) - len(text)
    if text.startswith("# "):  # an alternative shown commented out: indented after the '#'
        rest = text[2:]
        text = rest.lstrip()
        indent += len(rest) - len(text)
    return indent, text


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# --- command line -----------------------------------------------------------------------


def render_cli() -> str:
    """Every command and subcommand: what it does, its usage line and its options."""
    import typer

    from genesis.cli._app import _register, app

    _register()
    root = typer.main.get_command(app)
    context = root.context_class(root, info_name="genesis")
    return _command(root, context, ["genesis"], level=2, top=True)


def _command(command: Any, context: Any, path: list[str], *, level: int, top: bool = False) -> str:
    # typer builds click-style commands (its own vendored click): duck-typed here.
    text = "" if top else f"{'#' * level} `{' '.join(path)}`\n\n"
    text += inspect.cleandoc(command.help or "") + "\n\n"
    usage = command.collect_usage_pieces(context)
    text += f"```text\n{' '.join(path)} {' '.join(usage)}\n```\n\n"
    text += _params(command, context)
    if hasattr(command, "list_commands"):
        for name in command.list_commands(context):
            sub = command.get_command(context, name)
            if sub is None or sub.hidden:
                continue
            sub_context = sub.context_class(sub, info_name=name, parent=context)
            text += _command(sub, sub_context, [*path, name], level=level if top else level + 1)
    return text


def _params(command: Any, context: Any) -> str:
    rows = []
    for param in command.get_params(context):
        record = param.get_help_record(context)
        if record is None:
            continue
        names, help_text = record
        rows.append(f"| `{names}` | {_cell(help_text)} |")
    if not rows:
        return ""
    return "| argument or option | meaning |\n|---|---|\n" + "\n".join(rows) + "\n\n"
