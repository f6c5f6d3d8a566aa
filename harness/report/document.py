"""A report as plain blocks, rendered to Markdown and to HTML by one renderer each.

A section (``harness.report.sections``) builds blocks: headings, paragraphs, lists,
tables, folded details, images, cards. It never writes Markdown or HTML itself, so
both files carry the same text and the same numbers, and every piece of text is
escaped for the format it lands in, in one place:

* ``str`` is plain text: in Markdown it is made inert (no HTML, no emphasis, links or
  code; a ``|`` cannot end a table cell, a newline cannot end a row); in HTML it is
  escaped.
* ``Prose`` is text the harness wrote, with the little markup the report uses:
  ``**bold**``, ``*italic*``, `` `code` `` and ``[text](#anchor)``. Anything taken
  from a record must go in as ``str`` (or ``Code``), never inside ``Prose``.
* ``Code`` is a name shown as code (a scenario, a trace).

Markdown tables hold at most ``MAX_COLUMNS`` columns (``Table`` refuses more), so a
report reads on one screen; a section with more to show splits its table (by family
of runtimes: ``sections.split_columns``).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Union

#: The widest table a report may hold (columns, the row names included).
MAX_COLUMNS = 10


@dataclass(frozen=True)
class _Text:
    """Text of one kind: the kind (the class) says how each format writes it."""
    text: str


class Prose(_Text):
    """Text the harness wrote, with ``**bold**``, ``*italic*``, `` `code` ``, ``[text](#anchor)``."""


class Code(_Text):
    """A name or a trace, shown as code."""


@dataclass(frozen=True)
class Strong:
    """Its content in bold (a name from a record, say, which must not go inside ``Prose``)."""
    content: object


@dataclass(frozen=True)
class Link:
    """A link to a file beside the report (another run's report) or an anchor in it."""
    text: str
    href: str


Inline = Union[str, Prose, Code, Strong, Link, list]       # a list: its parts, one after the other


@dataclass
class Cell:
    content: Inline = ""
    cls: str = ""          #: HTML class (status colours: "pass", "fail", "best", ...)
    title: str = ""        #: HTML hover text (the raw value); Markdown has none
    bold: bool = False


@dataclass
class Heading:
    level: int
    content: Inline
    anchor: str = ""


@dataclass
class Para:
    content: Inline
    cls: str = ""          #: "warn" (a boxed warning; a quote in Markdown), "meta", "note"


@dataclass
class Bullets:
    items: list[Inline]
    ordered: bool = False


@dataclass
class Table:
    header: list[Inline]
    rows: list[list[Cell]]

    def __post_init__(self) -> None:
        if len(self.header) > MAX_COLUMNS:
            raise ValueError(f"a report table has at most {MAX_COLUMNS} columns, not {len(self.header)}: split it")
        for row in self.rows:
            if len(row) != len(self.header):
                raise ValueError(f"a row of {len(row)} cells under {len(self.header)} columns")


@dataclass
class Details:
    """Folded in HTML (``<details>``); in Markdown the same tags, which GitHub folds too."""
    summary: Inline
    body: list


@dataclass
class Image:
    title: str
    file: str              #: beside the report; the HTML embeds it (``render_html(images=...)``)


@dataclass
class Card:
    title: str
    lines: list[Inline]
    ours: bool = False


@dataclass
class Cards:
    cards: list[Card]


Block = Union[Heading, Para, Bullets, Table, Details, Image, Cards]


@dataclass
class Section:
    """One unit of a report: its anchor, its title (the contents line) and its blocks."""
    anchor: str
    title: str
    blocks: list = field(default_factory=list)


# ------------------------------------------------------------------ Markdown
_MD_SPECIAL = re.compile(r"([\\`*\[\]|])")


def md_plain(text: object) -> str:
    """``text`` as inert Markdown on one line: no HTML, no emphasis, links, code, table breaks.
    (An underscore stays: inside a word, as in ``call_soon``, it never makes emphasis.)"""
    flat = " ".join(str(text).splitlines()) if "\n" in str(text) or "\r" in str(text) else str(text)
    return _MD_SPECIAL.sub(r"\\\1", html.escape(flat, quote=False))


def _md_code(text: str) -> str:
    flat = " ".join(str(text).splitlines()).replace("`", "'").replace("|", "¦")
    return f"`{flat}`" if flat else ""


def _md_prose(text: str) -> str:
    return html.escape(" ".join(text.splitlines()), quote=False).replace("|", "\\|")


def md_inline(content: Inline) -> str:
    if isinstance(content, list):
        return "".join(md_inline(part) for part in content)
    if isinstance(content, Prose):
        return _md_prose(content.text)
    if isinstance(content, Code):
        return _md_code(content.text)
    if isinstance(content, Strong):
        return f"**{md_inline(content.content)}**"
    if isinstance(content, Link):
        return f"[{md_plain(content.text)}]({content.href.replace(' ', '%20').replace(')', '%29')})"
    return md_plain(content)


def render_markdown(blocks: list) -> str:
    out: list[str] = []
    for block in blocks:
        out.append(_md_block(block))
    return "\n".join(part for part in out if part is not None)


def _md_block(block) -> str:
    if isinstance(block, Section):
        head = f'<a id="{block.anchor}"></a>\n\n' if block.anchor else ""
        return head + render_markdown(block.blocks)
    if isinstance(block, Heading):
        anchor = f'<a id="{block.anchor}"></a>\n\n' if block.anchor else ""
        return f"{anchor}{'#' * block.level} {md_inline(block.content)}\n"
    if isinstance(block, Para):
        text = md_inline(block.content)
        return ("> " + text + "\n") if block.cls == "warn" else text + "\n"
    if isinstance(block, Bullets):
        return "".join(f"{f'{i}.' if block.ordered else '-'} {md_inline(item)}\n"
                       for i, item in enumerate(block.items, 1))
    if isinstance(block, Table):
        lines = ["| " + " | ".join(md_inline(h) for h in block.header) + " |",
                 "|" + "---|" * len(block.header)]
        for row in block.rows:
            lines.append("| " + " | ".join(_md_cell(c) for c in row) + " |")
        return "\n".join(lines) + "\n"
    if isinstance(block, Details):
        body = render_markdown(block.body)
        return f"<details><summary>{md_inline(block.summary)}</summary>\n\n{body}\n</details>\n"
    if isinstance(block, Image):
        return f"![{md_plain(block.title)}]({block.file})\n"
    if isinstance(block, Cards):
        return "\n".join(f"**{md_plain(c.title)}**\n\n" + "".join(f"- {md_inline(line)}\n" for line in c.lines)
                         for c in block.cards)
    raise TypeError(f"not a report block: {block!r}")


def _md_cell(cell: Cell) -> str:
    text = md_inline(cell.content)
    return f"**{text}**" if cell.bold and text else text


# ------------------------------------------------------------------ HTML
_PROSE_HTML = ((re.compile(r"\*\*(.+?)\*\*"), r"<b>\1</b>"), (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*"), r"<i>\1</i>"),
               (re.compile(r"`(.+?)`"), r"<code>\1</code>"),
               (re.compile(r"\[([^\]]+)\]\((#[\w-]+)\)"), r'<a href="\2">\1</a>'))


def html_inline(content: Inline) -> str:
    if isinstance(content, list):
        return "".join(html_inline(part) for part in content)
    if isinstance(content, Prose):
        out = html.escape(content.text, quote=False)
        for pattern, repl in _PROSE_HTML:
            out = pattern.sub(repl, out)
        return out
    if isinstance(content, Code):
        return f"<code>{html.escape(content.text)}</code>" if content.text else ""
    if isinstance(content, Strong):
        return f"<b>{html_inline(content.content)}</b>"
    if isinstance(content, Link):
        return f'<a href="{html.escape(content.href)}">{html.escape(content.text)}</a>'
    return html.escape(str(content))


def render_html(blocks: list, images: dict[str, str] | None = None) -> str:
    """The blocks as an HTML fragment; ``images``: file name -> data URI (a self-contained page)."""
    return "\n".join(_html_block(block, images or {}) for block in blocks)


def _html_block(block, images: dict[str, str]) -> str:
    if isinstance(block, Section):
        return f'<section id="{html.escape(block.anchor)}">\n{render_html(block.blocks, images)}\n</section>'
    if isinstance(block, Heading):
        anchor = f' id="{html.escape(block.anchor)}"' if block.anchor else ""
        return f"<h{block.level}{anchor}>{html_inline(block.content)}</h{block.level}>"
    if isinstance(block, Para):
        cls = f' class="{block.cls}"' if block.cls else ""
        return f"<p{cls}>{html_inline(block.content)}</p>"
    if isinstance(block, Bullets):
        tag = "ol" if block.ordered else "ul"
        return f"<{tag}>" + "".join(f"<li>{html_inline(item)}</li>" for item in block.items) + f"</{tag}>"
    if isinstance(block, Table):
        head = "<tr>" + "".join(f"<th>{html_inline(h)}</th>" for h in block.header) + "</tr>"
        rows = "".join("<tr>" + "".join(_html_cell(c) for c in row) + "</tr>\n" for row in block.rows)
        return f'<div class="scroll"><table>\n{head}\n{rows}</table></div>'
    if isinstance(block, Details):
        return f"<details><summary>{html_inline(block.summary)}</summary>\n{render_html(block.body, images)}\n</details>"
    if isinstance(block, Image):
        src = images.get(block.file, block.file)
        return f'<img src="{html.escape(src)}" alt="{html.escape(block.title)}">'
    if isinstance(block, Cards):
        cards = "".join(f'<div class="card"><h3{" class=ours" if c.ours else ""}>{html.escape(c.title)}</h3><ul>'
                        + "".join(f"<li>{html_inline(line)}</li>" for line in c.lines) + "</ul></div>"
                        for c in block.cards)
        return f'<div class="cards">{cards}</div>'
    raise TypeError(f"not a report block: {block!r}")


def _html_cell(cell: Cell) -> str:
    classes = " ".join(filter(None, (cell.cls, "best" if cell.bold else "")))
    cls = f' class="{html.escape(classes)}"' if classes else ""
    title = f' title="{html.escape(cell.title)}"' if cell.title else ""
    return f"<td{cls}{title}>{html_inline(cell.content)}</td>"


# ------------------------------------------------------------------ the page
PAGE_CSS = """
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1300px; padding: 0 1em; color: #222; }
  h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: .2em; }
  .meta { color: #666; } .note { color: #555; font-size: 13px; margin: .2em 0; }
  table { border-collapse: collapse; margin: .8em 0; font-size: 12.5px; }
  th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: center; white-space: nowrap; background: #fff; }
  th { background: #f4f4f4; position: sticky; top: 0; }
  tr > :first-child { position: sticky; left: 0; z-index: 1; text-align: left; }
  th:first-child { z-index: 2; }
  td.best { font-weight: bold; background: #eaf6ea; }
  .ours { color: #1f5fa8; }
  .pass { background: #e6f4e6; } .fail { background: #fbe3e3; } .observed { background: #e7f1fa; }
  .unsupported, .missing { color: #999; background: #fafafa; } .error { background: #f8c9c9; font-weight: bold; }
  .timeout { background: #f1d6f5; font-weight: bold; } .nd { font-style: italic; } .differs { background: #f3ecfa; }
  .warn { background: #fff6da; border-left: 4px solid #e6b800; padding: .6em 1em; margin: 1em 0; }
  code { background: #f3f3f3; padding: 0 3px; border-radius: 3px; }
  img { max-width: 100%; border: 1px solid #eee; }
  td.prose { white-space: normal; text-align: left; max-width: 60em; }
  .scroll { overflow-x: auto; max-width: 100%; }
  .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: .8em; }
  .card { border: 1px solid #ddd; border-radius: 6px; padding: .5em .8em; font-size: 13px; }
  .card h3 { margin: .1em 0 .3em; font-size: 1.05em; } .card ul { margin: .2em 0; padding-left: 1.2em; }
  details summary { cursor: pointer; color: #1f5fa8; }
"""


def page(title: str, body: str) -> str:
    """A self-contained HTML page around a rendered body (the report, and the one across interpreters)."""
    return (f'<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n'
            f"<style>{PAGE_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")
