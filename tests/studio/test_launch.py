"""`studio launch` on the small shop with a tiny untrained U-Net: the mechanics, not the pictures."""

import numpy as np
import pytest
import torch
from PIL import Image

from vitrine.catalog.attributes import CATEGORY_NAMES, COLOUR_NAMES
from vitrine.evaluate.evaluator import BUILT_CLASSES
from vitrine.cli import main
from vitrine.errors import Conflict
from vitrine.studio.launch import add_to_catalog, agreement, launch
from vitrine.catalog.read import Wanted


def test_launch_picks_scores_and_names_an_audience(parts):
    pipe, evaluator, recs = parts
    result = launch(pipe, evaluator, recs, "a red checked coat", price=99.0, n=3, audience=25, steps=2)
    assert len(result.candidates) == 3 and result.chosen == int(np.argmax(result.agreement))
    assert result.category == "coat" and result.vector.shape == (recs.model.item_vectors.shape[1],)
    scores = [s for _, s in result.audience]
    assert len(result.audience) == 25 and scores == sorted(scores, reverse=True)
    assert len({u for u, _ in result.audience}) == 25
    # the audience's scores are ⟨u, v⟩ of the launched vector
    u = recs.user_pos[result.audience[0][0]]
    assert scores[0] == pytest.approx(float(recs.model.user_vectors(np.array([u]))[0] @ result.vector), rel=1e-5)


class Colourist(torch.nn.Module):
    """A stand-in evaluator that reads an image's colour from its mean red level (red → "red")."""

    classes = BUILT_CLASSES

    def classify(self, images):
        red = images[:, 0].mean((1, 2)) - images[:, 2].mean((1, 2))
        colour = torch.zeros(len(images), len(COLOUR_NAMES))
        colour[:, COLOUR_NAMES.index("red")] = 10 * red
        return {"category": torch.zeros(len(images), 10), "colour": colour, "pattern": torch.zeros(len(images), 4)}


def test_the_candidate_that_shows_what_was_asked_for_is_kept():
    blue, red = Image.new("RGB", (32, 32), (20, 20, 220)), Image.new("RGB", (32, 32), (220, 20, 20))
    scores = agreement(Colourist(), [blue, red, blue], Wanted(None, COLOUR_NAMES.index("red"), None))
    assert int(np.argmax(scores)) == 1 and scores[1] >= 1 > scores[0]


def test_an_evaluator_of_other_classes_counts_only_what_it_can_read():
    """A shop's evaluator whose colours are listed in another order, and that reads no category."""
    class ShopColourist(Colourist):
        classes = {"colour": ("red",) + tuple(c for c in COLOUR_NAMES if c != "red")}

        def classify(self, images):
            red = images[:, 0].mean((1, 2)) - images[:, 2].mean((1, 2))
            colour = torch.zeros(len(images), len(COLOUR_NAMES))
            colour[:, 0] = 10 * red
            return {"colour": colour}

    blue, red = Image.new("RGB", (32, 32), (20, 20, 220)), Image.new("RGB", (32, 32), (220, 20, 20))
    wanted = Wanted(CATEGORY_NAMES.index("bag"), COLOUR_NAMES.index("red"), None)
    scores = agreement(ShopColourist(), [blue, red], wanted)
    assert int(np.argmax(scores)) == 1 and 1 <= scores[1] < 2  # the category, unreadable, adds nothing


def test_added_product_is_a_new_item_whose_picture_is_generated_not_a_photo(parts, shop, tmp_path):
    from vitrine.storage.store import Store
    store = Store(tmp_path / "copy")
    pipe, evaluator, recs = parts
    result = launch(pipe, evaluator, recs, "a green striped bag", price=40.0, n=2, audience=5, steps=2)
    add_to_catalog(store, result, "studio-1", "tiny", {"steps": 2})
    row = store.item_rows(("id", "source", "is_new", "category", "price"), ids=["studio-1"])[0]
    assert (row.source, row.is_new, row.category, row.price) == ("studio", True, "bag", 40.0)
    assert store.main_photos(["studio-1"]) == []  # not a photo
    generated = store.generated_images("studio-1")
    assert len(generated) == 1 and generated[0].seed == result.seeds[result.chosen]
    assert store.check().problems == 0
    with pytest.raises(Conflict, match="exists already"):
        add_to_catalog(store, result, "studio-1", "tiny", {})


@pytest.mark.parametrize("argv,needle", [
    (["studio", "launch", " "], "DESCRIPTION"),
    (["studio", "launch", "a hat", "-n", "0"], "-n"),
    (["studio", "launch", "a hat", "--price", "-4"], "--price"),
    (["studio", "launch", "a hat", "--audience", "0"], "--audience"),
    (["studio", "launch", "a hat", "-o", "x.txt"], "-o/--output"),
])
def test_bad_launch_input_is_one_clear_line(argv, needle, shop, capsys):
    assert main(["--data-dir", str(shop.data_dir)] + argv) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_launch_without_a_fitted_recommender_says_so(shop, tmp_path, capsys):
    assert main(["--data-dir", str(shop.data_dir), "studio", "launch", "a hat", "--recommender",
                 str(tmp_path / "none"), "-o", str(tmp_path / "l.png")]) == 2
    assert "no fitted recommender" in capsys.readouterr().err


def test_launch_measurement_on_the_new_items(parts, shop, tmp_path):
    import json

    from vitrine.studio.launch_eval import run
    pipe, evaluator, _ = parts
    result = run(shop, pipe, evaluator, tmp_path / "studio", candidates=2, audience=10, steps=2, limit=6,
                 config={"dim": 8, "epochs": 1, "cf_factors": 4}, progress=False)
    names = [r["model"] for r in result["rows"]]
    assert [n.split("with ")[1] for n in names] == ["real photo", "generated picture", "no picture"]
    assert result["new_items"] == 6 and set(result["audience_quality"]) == {
        "generated picture", "real photo", "no picture", "most active shoppers"}
    for q in result["audience_quality"].values():
        assert 0 <= q["precision@10"] <= 1 and 0 <= q["recall@10"] <= 1
    assert json.loads((tmp_path / "studio" / "launch.json").read_text())["candidates"] == 2
    assert (tmp_path / "studio" / "launch-examples.png").exists()


def test_audience_quality_counts_hits_by_hand():
    from vitrine.studio.launch_eval import audience_quality
    users = np.eye(4, dtype=np.float32)                 # user u likes direction u
    vectors = np.array([[1, 0.5, 0, 0], [0, 0, -1, 1]], np.float32)
    viewers = [{0, 3}, {2}]                             # item 0's top-2 is {0, 1}: one hit; item 1's {3, …}: none
    q = audience_quality(users, vectors, viewers, 2)
    assert q["precision@2"] == pytest.approx((1 / 2 + 0 / 2) / 2) and q["recall@2"] == pytest.approx((1 / 2 + 0) / 2)


def test_an_existing_item_id_is_refused_before_any_sampling(shop, tmp_path, capsys):
    # the ID check comes first: no recommender is even needed to be told
    assert main(["--data-dir", str(shop.data_dir), "studio", "launch", "a hat", "--add", "--item-id", "fm-00001",
                 "--recommender", str(tmp_path / "none"), "-o", str(tmp_path / "l.png")]) == 2
    assert "error: --item-id: an item 'fm-00001' exists already" in capsys.readouterr().err
