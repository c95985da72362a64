"""Try-on end to end on a small shop: the trained model loads through diffusers, dresses a person
of the set and a picture with a hand-made mask without touching a pixel outside the mask, and
every bad input is one clear line with exit status 2."""

import numpy as np
import pytest
from PIL import Image

from vitrine.cli import main
from vitrine.tryon.people import SHOES
from vitrine.tryon.people_set import load_people

SHIPPED = "models/vitrine-tryon"


def _run(data, *args):
    return main(["--data-dir", str(data), "-q", "tryon", *map(str, args)])


def _worn_item(data, person):
    return str(load_people(data).worn[person][0])


def test_the_model_loads_with_diffusers_from_pretrained(tryon_shop):
    from diffusers import DiffusionPipeline

    from vitrine.tryon.pipeline import TryOnPipeline
    _, model = tryon_shop
    pipe = DiffusionPipeline.from_pretrained(model, trust_remote_code=True)
    assert isinstance(pipe, TryOnPipeline) and pipe.unet.config.in_channels == 7


def test_a_person_of_the_set_in_a_catalog_item_changes_only_inside_the_mask(tryon_shop, tmp_path):
    from vitrine.storage.store import Store
    from vitrine.tryon.tryon import person_with_item
    data, model = tryon_shop
    people = load_people(data)
    item = _worn_item(data, 3)  # person 55's top goes on person 59: a held-out person, a known garment
    out = tmp_path / "grid.png"
    assert _run(data, "--person", 59, "--item", item, "-n", 2, "--steps", 3, "--tryon-model", model, "-o", out) == 0
    case = person_with_item(Store(data), people, 59, item)
    for k in range(2):
        picture = np.asarray(Image.open(tmp_path / f"grid-{k}.png").convert("RGB"))
        assert (picture[~case["mask"]] == case["picture"][~case["mask"]]).all()
        assert not (picture[case["mask"]] == case["picture"][case["mask"]]).all()
    assert Image.open(out).width == 5 * 256  # person, region, 2 pictures, truth


def test_any_picture_with_a_hand_made_mask(tryon_shop, tmp_path):
    data, model = tryon_shop
    rng = np.random.default_rng(0)
    picture = rng.integers(0, 256, (80, 100, 3), dtype=np.uint8)
    mask = np.zeros((80, 100), np.uint8)
    mask[20:50, 30:60] = 255
    Image.fromarray(picture).save(tmp_path / "me.png")
    Image.fromarray(mask).save(tmp_path / "mask.png")
    assert _run(data, tmp_path / "me.png", "a red striped t-shirt", "--mask", tmp_path / "mask.png", "-n", 1,
                "--steps", 2, "--tryon-model", model, "-o", tmp_path / "out.png") == 0
    out = np.asarray(Image.open(tmp_path / "out-0.png").convert("RGB"))
    assert out.shape == picture.shape and (out[mask == 0] == picture[mask == 0]).all()


def test_the_shipped_segmenter_finds_the_region(tryon_shop, tmp_path):
    from vitrine.tryon.segment import load_segmenter
    from vitrine.tryon.tryon import grow
    data, model = tryon_shop
    people = load_people(data)
    labels = load_segmenter(f"{SHIPPED}/segmenter").labels(people.images[50:60])
    assert (labels == people.labels[50:60]).mean() > 0.95
    person = people.images[58]
    Image.fromarray(person).save(tmp_path / "p.png")
    assert _run(data, tmp_path / "p.png", "navy sneakers", "-n", 1, "--steps", 2, "--tryon-model", SHIPPED,
                "-o", tmp_path / "out.png") == 0
    out = np.asarray(Image.open(tmp_path / "out-0.png").convert("RGB"))
    changed = (out != person).any(axis=2)
    assert changed.any() and not (changed & ~grow(labels[8] == SHOES)).any()  # the shoes' region, grown


@pytest.mark.parametrize("args, message", [
    (["P", "  ", "--region", "top"], "DESCRIPTION: give 1 to 1000 characters"),
    (["P", "a red t-shirt", "--mask", "SMALL"], "the mask is 10×10; the picture is 64×64"),
    (["BLANK", "a red t-shirt", "--region", "top", "--tryon-model", SHIPPED], "no person found"),
    (["P", "a blue bag", "--tryon-model", SHIPPED], "names no garment"),
    (["P", "a red t-shirt", "--region", "top", "--mask", "SMALL"], "--region and --mask: give one"),
    (["--person", "3"], "--person and --item go together"),
    (["--person", "9999", "--item", "fm-00000"], "--person 9999: no person 9999"),
    (["--person", "3", "--item", "nope"], "--item nope: no item 'nope' in the catalog"),
    (["NOTAPICTURE", "a red t-shirt"], "not a readable picture"),
    (["MISSING", "a red t-shirt"], "cannot read"),
])
def test_bad_input_is_one_clear_line(tryon_shop, tmp_path, capsys, args, message):
    data, model = tryon_shop
    files = {"P": tmp_path / "p.png", "SMALL": tmp_path / "small.png", "BLANK": tmp_path / "blank.png",
             "NOTAPICTURE": tmp_path / "x.png", "MISSING": tmp_path / "missing.png"}
    Image.fromarray(load_people(data).images[58]).save(files["P"])
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(files["SMALL"])
    Image.fromarray(np.full((64, 64, 3), 225, np.uint8)).save(files["BLANK"])
    files["NOTAPICTURE"].write_text("not a picture")
    argv = [str(files.get(a, a)) for a in args]
    if "--tryon-model" not in argv:
        argv += ["--tryon-model", str(model)]
    assert _run(data, *argv, "--steps", 1, "-n", 1, "-o", tmp_path / "o.png") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and "Traceback" not in err[0]


def test_a_new_garment_repaints_only_its_own_cut_and_the_body_shows_where_the_old_one_was(tryon_shop):
    """A top in place of a dress: the legs are drawn from the known body (as the truth shows
    them), not left to the model; outside the mask the picture is the truth, pixel for pixel."""
    from vitrine.storage.store import Store
    from vitrine.tryon.model import grow
    from vitrine.tryon.people import body_of, garment_region
    from vitrine.tryon.people_set import item_categories, person_of
    from vitrine.tryon.tryon import person_with_item
    data, _ = tryon_shop
    store, people = Store(data), load_people(data)
    categories = item_categories(store)
    in_dress = [k for k in range(len(people.images)) if categories.get(str(people.worn[k][0])) == "dress"]
    tops = [i for i, c in categories.items() if c in ("t-shirt", "shirt", "pullover")]
    others = {c: next(i for i, cc in categories.items() if cc == c) for c in ("trousers", "sneakers", "dress")}
    cases = [(k, tops[0]) for k in in_dress[:3]] + [(k, others[c]) for k in range(3) for c in others]
    assert len(in_dress) >= 1
    for person, item in cases:
        try:
            case = person_with_item(store, people, person, item)
        except ValueError:  # trousers on a person in a dress: refused, said elsewhere
            continue
        cut = grow(garment_region(body_of(person_of(people.persons[person])), categories[item]))
        assert not (case["mask"] & ~cut).any(), (person, item)  # nothing outside the new cut is repainted
        outside = ~case["mask"]
        assert (case["picture"][outside] == case["truth"][outside]).all(), (person, item)


def test_catalog_photos_and_blank_pictures_are_no_person(tryon_shop):
    """The shipped segmenter labels some pixels of any picture as clothes; the person check refuses
    a garment photo (no one wearing it), blank and noisy pictures, and accepts the drawn people."""
    from vitrine.storage.store import Store
    from vitrine.tryon.segment import load_segmenter, not_a_person, region
    data, _ = tryon_shop
    store = Store(data)
    photos = []
    for _, path in store.main_photos()[:40]:
        with Image.open(store.images.resolve(path)) as im:
            photos.append(np.asarray(im.convert("RGB").resize((64, 64), Image.BILINEAR)))
    rng = np.random.default_rng(0)
    photos += [np.zeros((64, 64, 3), np.uint8), rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)]
    segmenter = load_segmenter(f"{SHIPPED}/segmenter")
    for labels in segmenter.labels(np.stack(photos)):
        with pytest.raises(LookupError, match="no person found"):
            region(labels, "top")
    assert all(not_a_person(labels) is None for labels in segmenter.labels(load_people(data).images))


@pytest.mark.slow  # distils the small try-on model through the verb
def test_a_distilled_try_on_model_dresses_in_four_calls_and_keeps_every_pixel_outside(tryon_shop, tmp_path, capsys):
    import shutil

    from vitrine.tryon.tryon import TryOn
    data, model = tryon_shop
    copy = tmp_path / "data"
    shutil.copytree(data, copy)  # the distillation writes its caches into the shop
    run = tmp_path / "distilled"
    verb = ["--data-dir", str(copy), "-q", "distill", "--from", str(model), "--out", str(run)]
    assert main(verb) == 2 and "a try-on model; distil it with --task tryon" in capsys.readouterr().err
    assert main(verb + ["--task", "tryon", "--steps", "2", "--batch-size", "4", "--limit", "20"]) == 0
    student = TryOn.load(run / "pipeline")
    assert student.pipeline.distilled and student.segmenter is not None  # the garment finder comes along
    calls = []
    student.pipeline.unet.register_forward_hook(lambda *_: calls.append(1))
    rng = np.random.default_rng(0)
    picture = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    mask = np.zeros((64, 64), bool)
    mask[20:40, 16:48] = True
    result = student.dress(picture, "a red striped t-shirt", mask=mask, n=2)
    assert len(calls) == 4 and len(result.pictures) == 2  # the default 4 steps, one call each for both
    for out in result.pictures:
        assert (out[~mask] == picture[~mask]).all() and not (out[mask] == picture[mask]).all()
