"""Pure normalisation of Japanese numbers, dates, fiscal years and target expressions.
No database and no I/O: every function maps text or dates to values."""
from .dates import fiscal_year_end, fiscal_year_of, format_date_ja, format_period_en, format_period_ja, parse_date, point_end, precision_of
from .eras import era_to_western, format_wareki, western_to_era
from .expressions import Parsed, ParseError, Relative, parse, parse_all, parse_transition
from .numbers import format_value, format_yen
from .text import normalise_text, strip_invisible, strip_markers, visible

__all__ = [
    "parse", "parse_all", "parse_transition", "Parsed", "Relative", "ParseError",
    "normalise_text", "era_to_western", "western_to_era", "format_wareki", "format_date_ja",
    "fiscal_year_end", "fiscal_year_of", "parse_date", "format_period_ja", "format_period_en", "point_end", "precision_of",
    "format_value", "format_yen", "strip_markers", "strip_invisible", "visible",
]
