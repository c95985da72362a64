"""`studio previews`: a generated picture for each item without a photo, stored as generated, never
as a photo, and read by the recommender's features with a flag that says so."""

import numpy as np
import pytest

from vitrine.storage import schema
from vitrine.catalog.importers.base import item_row
from vitrine.cli import main
from vitrine.studio.previews import make_previews, stated_attributes


@pytest.fixture
def unphotographed(seeded_store):
    """The seeded store (one item with a photo) plus three items without one."""
    with seeded_store.loading() as load:
        load.insert(schema.Item, [
            item_row("bare-1", "Red striped coat", "test", description="A red striped coat.", category="coat",
                     colour="red", pattern="striped"),
            item_row("bare-2", "Something", "test", description="A pair of navy sneakers."),
            item_row("bare-3", "Plain bag", "test", category="bag")])
    return seeded_store


def test_stated_attributes_come_from_the_columns_then_the_text(unphotographed):
    rows = {r.id: r for r in unphotographed.items_without_picture()}
    assert set(rows) == {"bare-1", "bare-2", "bare-3"}  # keep-1 has a photo
    coat, sneakers, bag = (stated_attributes(rows[i]) for i in ("bare-1", "bare-2", "bare-3"))
    assert (coat.category, coat.colour, coat.pattern) == (4, 3, 1)
    assert (sneakers.category, sneakers.colour, sneakers.pattern) == (7, 8, None)
    assert (bag.category, bag.colour) == (8, None) and bag.pattern == 0  # "plain" in the title


def test_previews_are_generated_pictures_that_never_replace_a_photo(unphotographed, parts):
    from vitrine.recommend.features import _item_photos
    pipe, evaluator, _ = parts
    photo_before = unphotographed.main_photos()
    run = make_previews(unphotographed, pipe, evaluator, "tiny", n=2, steps=1, progress=False)
    assert run.items == 3 and len(run.examples) == 3 and 0 <= run.agreement <= run.stated
    assert unphotographed.main_photos() == photo_before  # still keep-1's photo only
    generated = unphotographed.generated_images()
    assert sorted(g.item_id for g in generated) == ["bare-1", "bare-2", "bare-3"]
    assert all(g.params["use"] == "preview" and g.seed in (0, 1) for g in generated)
    assert unphotographed.check().problems == 0
    # the next run finds nothing left to do
    assert make_previews(unphotographed, pipe, evaluator, "tiny", n=2, steps=1, progress=False).items == 0
    # features: the previews are the items' pictures, flagged as generated; the photo is not flagged
    ids = np.array(["bare-1", "bare-2", "bare-3", "keep-1"])
    pixels, has, flagged = _item_photos(unphotographed, ids)
    assert has.all() and flagged.tolist() == [True, True, True, False] and float(pixels[:3].sum()) > 0


def test_the_generated_flag_joins_the_image_part_only_when_some_picture_is_generated():
    import torch

    from vitrine.recommend.content import ContentEncoder
    from vitrine.recommend.features import ItemFeatures
    n = 3
    plain = ItemFeatures(np.array(["a", "b", "c"]), torch.zeros((n, 384)), torch.ones((n, 4)), torch.ones(n).bool(),
                         torch.zeros(n), generated=torch.zeros(n).bool())
    assert plain.matrix().shape == (n, 384 + 4 + 1 + 1) and not plain.any_generated
    plain.generated = torch.tensor([False, True, False])
    assert plain.matrix().shape == (n, 384 + 4 + 2 + 1) and plain.matrix()[:, 389].tolist() == [0, 1, 0]
    encoder = ContentEncoder(("text", "image", "price"), 4, None, {}, generated_flag=True)
    assert encoder.columns("image") == slice(384, 390) and encoder.has_picture_column() == 388


def test_previews_verb_on_a_store_with_nothing_to_do_and_bad_counts(seeded_store, capsys):
    base = ["--data-dir", str(seeded_store.data_dir), "studio", "previews"]
    assert main(base) == 0 and "nothing to do" in capsys.readouterr().out
    for flags, needle in ((["--limit", "0"], "--limit"), (["-n", "0"], "-n"), (["-o", "x.jpg"], "-o/--output")):
        assert main(base + flags) == 2
        err = capsys.readouterr().err
        assert needle in err and "Traceback" not in err


def test_previews_verb_stores_and_draws_them(unphotographed, pipeline_dir, tmp_path, capsys):
    out = tmp_path / "p.png"
    assert main(["--data-dir", str(unphotographed.data_dir), "-q", "studio", "previews", "--model", str(pipeline_dir),
                 "-n", "1", "--steps", "1", "--limit", "2", "-o", str(out)]) == 0
    assert "2 previews stored as generated pictures" in capsys.readouterr().out and out.exists()
    assert len(unphotographed.items_without_picture()) == 1


def test_previews_measurement_fits_three_ways_and_reads_the_previews(shop, parts, tmp_path):
    import json

    from vitrine.studio.previews_eval import run
    pipe, evaluator, _ = parts
    result = run(shop, pipe, evaluator, tmp_path, hide=0.3, candidates=1, steps=1, limit=20,
                 config={"dim": 8, "epochs": 1, "cf_factors": 4, "batch_size": 64}, progress=False)
    assert result["hidden"] == 20
    labels = {(r["model"].split("with ")[1], r["segment"]) for r in result["rows"]}
    assert labels == {(v, s) for v in ("no picture", "generated previews", "real photos") for s in ("warm", "new items")}
    assert all(0 <= v <= 1 for v in result["preview_agreement"].values())
    assert json.loads((tmp_path / "previews.json").read_text())["hidden"] == 20
    assert (tmp_path / "previews-examples.png").exists() and "| generated previews |" in (tmp_path / "previews.md").read_text()
    assert shop.generated_images() == []  # measured in memory: the store is untouched
