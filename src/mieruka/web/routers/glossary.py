"""The glossary (用語の説明): the words of the documents a page shows — tiers, rating codes, 速報値/確報値/見込み, 再掲 —
and each rating scheme's codes with the colour and label every page gives them."""
from __future__ import annotations

from fastapi import APIRouter, Request

from mieruka.web.pages import Lang, render
from mieruka.web.ratings import TONES, rating_info, scheme_choices, scheme_codes, scheme_label

router = APIRouter(include_in_schema=False)

# The sections of the page, in order; each has glossary.<key>.term and glossary.<key>.text in the messages.
TERMS = ("tier", "ratings_schedule", "ratings_policy", "status", "reprint")


@router.get("/glossary")
def glossary_page(request: Request, lang: Lang):
    schemes = [{"name": name, "label": scheme_label(name, lang),
                "codes": [{"code": c, **rating_info(name, c, lang)} for c in scheme_codes(name)]}
               for name in scheme_choices([])]
    return render(request, "glossary.html", {"terms": TERMS, "schemes": schemes, "tones": TONES})
