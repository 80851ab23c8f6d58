"""A report as plain data (sections of tables, paragraphs and figures) and its two renderings.

The report builder fills a :class:`Document` once; :func:`to_markdown` and :func:`to_html` only
lay it out, so the Markdown and the HTML always say the same thing.
"""

from __future__ import annotations

import base64
import html
import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    caption: str = ""


@dataclass
class Paragraph:
    text: str


@dataclass
class Figure:
    path: Path
    caption: str


@dataclass
class Audio:
    """A sound file: a player in the HTML (embedded), a link in Markdown."""

    path: Path
    caption: str


@dataclass
class Section:
    title: str
    blocks: list = field(default_factory=list)
    level: int = 2


@dataclass
class Document:
    title: str
    sections: list[Section] = field(default_factory=list)
    base_dir: Path | None = None  # figure links in Markdown are relative to this


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_table(table: Table) -> str:
    lines = []
    if table.caption:
        lines += [f"*{table.caption}*", ""]
    lines.append("| " + " | ".join(_md_cell(h) for h in table.header) + " |")
    lines.append("|" + "|".join("---" if i == 0 else "---:" for i in range(len(table.header)))
                 + "|")
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
    return "\n".join(lines)


def relative_path(path: str | Path, base: Path | None) -> str:
    """``path`` relative to ``base`` (``..`` where needed), so that a report names no absolute
    path; names of results held in memory (``<results of LABEL>``) stay as they are."""
    if base is None or str(path).startswith("<"):
        return Path(path).as_posix()
    return Path(os.path.relpath(Path(path).resolve(), base.resolve())).as_posix()


def to_markdown(doc: Document, figures: bool = True) -> str:
    out = [f"# {doc.title}", ""]
    for section in doc.sections:
        out += ["#" * section.level + " " + section.title, ""]
        for block in section.blocks:
            if isinstance(block, Table):
                out += [_md_table(block), ""]
            elif isinstance(block, Paragraph):
                out += [block.text, ""]
            elif isinstance(block, Figure) and figures:
                out += [f"![{block.caption}]({relative_path(block.path, doc.base_dir)})", ""]
            elif isinstance(block, Audio):
                out += [f"[{block.caption}]({relative_path(block.path, doc.base_dir)})", ""]
    return "\n".join(out).rstrip() + "\n"


_CSS = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; color: #222;
       padding: 0 1em; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f2f2f2; }
caption { caption-side: top; text-align: left; font-style: italic; padding-bottom: 0.3em; }
figure { margin: 0.8em 0 1.4em; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #555; }
"""


def _html_table(table: Table) -> str:
    e = html.escape
    parts = ["<table>"]
    if table.caption:
        parts.append(f"<caption>{e(table.caption)}</caption>")
    parts.append("<thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in table.header)
                 + "</tr></thead><tbody>")
    for row in table.rows:
        parts.append("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>")
    parts.append("</tbody></table>")
    return "\n".join(parts)


def _html_figure(fig: Figure) -> str:
    data = base64.b64encode(Path(fig.path).read_bytes()).decode("ascii")
    cap = html.escape(fig.caption)
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{cap}">'
            f"<figcaption>{cap}</figcaption></figure>")


_AUDIO_TYPES = {".flac": "audio/flac", ".wav": "audio/wav", ".mp3": "audio/mpeg",
                ".ogg": "audio/ogg"}


def _html_audio(audio: Audio) -> str:
    cap = html.escape(audio.caption)
    path = Path(audio.path)
    if not path.is_file():
        return f"<p>{cap} (audio file missing)</p>"
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    kind = _AUDIO_TYPES.get(path.suffix.lower(), "audio/wav")
    return (f'<figure><audio controls preload="none" src="data:{kind};base64,{data}"></audio>'
            f"<figcaption>{cap}</figcaption></figure>")


def to_html(doc: Document) -> str:
    """A self-contained page: inline CSS, figures embedded as base64 PNG data URIs."""
    e = html.escape
    body = [f"<h1>{e(doc.title)}</h1>"]
    for section in doc.sections:
        level = min(max(section.level, 2), 6)
        body.append(f"<h{level}>{e(section.title)}</h{level}>")
        for block in section.blocks:
            if isinstance(block, Table):
                body.append(_html_table(block))
            elif isinstance(block, Paragraph):
                body.append(f"<p>{e(block.text)}</p>")
            elif isinstance(block, Figure):
                body.append(_html_figure(block))
            elif isinstance(block, Audio):
                body.append(_html_audio(block))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{e(doc.title)}</title><style>{_CSS}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")
