"""The pieces of HTML pages repeat most (a date with its 和暦, a cited source, a document's name, a rating badge) as
Python functions the templates call by the names the macros had: as Jinja macros they were half of a KPI page's
rendering, each call a Context.call and a macro frame (mieruka publish renders 20,000 KPI pages)."""
from __future__ import annotations

from jinja2 import Undefined, pass_context
from markupsafe import Markup, escape

from mieruka.jp import visible
from mieruka.web import formatting

_MISSING = Undefined()


def _get(obj, name: str):
    """obj.name as a template reads it: an attribute, else an item, else undefined."""
    try:
        return getattr(obj, name)
    except AttributeError:
        pass
    try:
        return obj[name]
    except (TypeError, LookupError):
        return _MISSING


def shown(value):
    """Every value a page prints (the templates' finalize), without zero-width and bidirectional controls (a
    right-to-left override would reverse the rest of the line) and with control characters as their pictures."""
    if isinstance(value, Markup):
        return Markup(visible(str(value)))
    return visible(value) if isinstance(value, str) else value


def _out(value) -> str:
    """What {{ value }} prints: shown, escaped; a plain str (str + Markup would escape the str)."""
    if isinstance(value, Undefined):
        return ""
    return str(escape(shown(value)))


def _text(value) -> str:
    """value ~ "": how a template joins a value into text."""
    return "" if isinstance(value, Undefined) else str(value)


@pass_context
def dated(ctx, d, precision=None, said=None) -> Markup:
    """A date, Western and 和暦 each kept on one line (the line may break between them); a date given only to the
    fiscal year, month or year (precision) is written so: 2020年度末（令和2年度末）. said: the text a value was read
    from, for a value's point in time (「2014年度:208団体」 → 2014年度（平成26年度））."""
    if not d:
        return Markup("")
    parts = formatting.period(d, precision, ctx["lang"], said).split("（", 1)
    out = f'<time datetime="{_out(d.isoformat())}"><span class="nw">{_out(parts[0])}</span>'
    if len(parts) > 1:
        out += f'<span class="nw">（{_out(parts[1])}</span>'
    return Markup(out + "</time>")


@pass_context
def doc_name(ctx, d) -> Markup:
    """A document by its title; one that prints none by its kind and file name."""
    title, family = _get(d, "title"), _get(d, "family")
    if title:
        return Markup(f'<span lang="ja" translate="no">{_out(title)}</span>')
    if family:
        named = ctx["t"]("family." + _text(family), default=family)
        return Markup(f'{_out(named)}（<span translate="no">{_out(_get(d, "file_name"))}</span>）')
    return Markup(f'<span translate="no">{_out(_get(d, "file_name"))}</span>')


@pass_context
def source_link(ctx, src) -> Markup:
    """A cited source by its document's title and date (the file name on hover), linking the line."""
    document_id = _get(src, "document_id") if src else None
    if not document_id:
        return Markup("")
    d = ctx["doc_label"](document_id)
    lang, t = ctx["lang"], ctx["t"]
    line = _get(src, "line")
    href = ctx["href"]("/documents/" + _text(document_id), fragment="L" + _text(line) if line else None)
    title = _get(d, "file_name") or _get(src, "document")
    sep = "、" if lang == "ja" else ", "
    out = f'<a href="{_out(href)}" title="{_out(title)}">{str(doc_name(ctx, d)) if d else _out(_get(src, "document"))}'
    when_date = _get(d, "date")
    if when_date:
        when = formatting.date_ja(when_date) if lang == "ja" else when_date.isoformat()
        out += sep + _out(t("source.figures_as_of", date=when) if _get(d, "date_is_data") else when)
    if line:
        out += sep + _out(t("source.line", n=line))
    return Markup(out + "</a>")


@pass_context
def badge(ctx, scheme, code, official=False) -> Markup:
    """A rating as a badge: its mark and label, coloured by what it means; published ones marked official."""
    t = ctx["t"]
    if not code:
        return Markup(f'<span class="muted">{_out(t("rating.none"))}</span>')
    info = ctx["rating_info"](scheme, code)
    tone = _get(info, "tone")
    title = _out(t("meaning." + _text(tone)))
    if official:
        title += f' ({_out(t("rating.official"))})'
    mark = _get(info, "mark")
    return Markup(f'<span class="rating tone-{_out(tone)}{" official" if official else ""}" data-code="{_out(code)}" '
                  f'title="{title}"><span class="mark" aria-hidden="true"></span>'
                  + (f'<span class="code">{_out(mark)}</span> ' if mark else "")
                  + f'<span class="label">{_out(_get(info, "label") or code)}</span></span>')


FRAGMENTS = {"dated": dated, "doc_name": doc_name, "source_link": source_link, "badge": badge}
