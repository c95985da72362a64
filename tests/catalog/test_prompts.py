"""An item's prompt: its own text, led by the columns the text does not name."""

from vitrine.catalog.prompts import item_prompt


def test_the_prompt_names_the_items_colour_when_its_description_does_not():
    assert item_prompt("Sweater in a checked print, by Urbanette.", "pullover", "navy", "checked") == \
        "navy checked pullover. Sweater in a checked print, by Urbanette."
    assert item_prompt("A navy checked pullover.", "pullover", "navy", "checked") == "A navy checked pullover."
    assert item_prompt("A soft tee.", "t-shirt", "teal", "solid") == "teal t-shirt. A soft tee."  # imported colour
    assert item_prompt(None, "coat", "red", "striped") == "red striped coat"


def test_an_imported_shops_columns_lead_unless_its_text_says_them_and_the_title_stands_in_for_no_description():
    assert item_prompt("Slim jeans in dark blue denim.", "Trousers", "Dark Blue", "Solid") == \
        "Dark Blue Trousers. Slim jeans in dark blue denim."
    assert item_prompt("", "Trousers", "Dark Blue", None, title="Slim  Jeans") == "Dark Blue Trousers. Slim Jeans"
    assert item_prompt(None, None, None, None, title=None) == ""


def test_a_built_items_prompt_keeps_its_description_whole_and_leads_only_where_it_is_vague(shop):
    rows = shop.item_rows(("id", "title", "description", "category", "colour", "pattern"))
    prompts = [item_prompt(r.description, r.category, r.colour, r.pattern, r.title) for r in rows]
    assert all(p.endswith(r.description) for p, r in zip(prompts, rows))
    led = [(p, r) for p, r in zip(prompts, rows) if p != r.description]
    assert 0 < len(led) < len(rows) / 2  # most built descriptions name colour, pattern and kind already
    assert all(p.startswith(f"{r.colour} ") for p, r in led)
