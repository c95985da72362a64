"""The drawn people set: label maps agree with the pixels, a seed gives the same set, a saved
person is drawn again exactly, and changing one garment changes pixels only inside its region."""

import numpy as np
import pytest

from vitrine.cli import main
from vitrine.tryon.people import (BACKGROUND, BOTTOM, HAIR, SKIN, TOP, body_of, draw_person, dress,
                                  garment_region)
from vitrine.tryon.people_set import (build_people, item_categories, load_people, person_of, redraw, save_people,
                                      wardrobe)


@pytest.fixture(scope="module")
def people(shop):
    return build_people(shop, 24, seed=3, progress=False)


def test_label_maps_agree_with_the_pixels(people):
    for image, labels, row, worn in zip(people.images, people.labels, people.persons, people.worn):
        person = person_of(row)
        for label, colour in ((BACKGROUND, person.background), (SKIN, person.skin), (HAIR, person.hair)):
            assert (image[labels == label] == np.round(colour).astype(np.uint8)).all()
        assert (labels == TOP).sum() > 40 and (labels == SKIN).sum() > 20
        assert ((labels == BOTTOM).sum() > 0) == bool(worn[1])  # trousers unless a dress
        assert set(np.unique(labels)) <= set(range(6))


def test_the_same_seed_gives_the_same_people(shop, people):
    again = build_people(shop, 24, seed=3, progress=False)
    other = build_people(shop, 24, seed=4, progress=False)
    assert (again.images == people.images).all() and (again.worn == people.worn).all()
    assert not (other.images == people.images).all()


def test_a_saved_person_is_drawn_again_exactly_and_a_swap_changes_only_the_garment(shop, people, tmp_path):
    save_people(people, tmp_path)
    loaded = load_people(tmp_path)
    assert (loaded.images == people.images).all() and (loaded.labels == people.labels).all()
    items = wardrobe(item_categories(shop), dict(shop.main_photos()))
    for k in range(len(people.images)):
        image, labels = redraw(shop, loaded, k)
        assert (image == people.images[k]).all() and (labels == people.labels[k]).all()
        top = loaded.worn[k][0]
        category = next(c for c, ids in items.items() if top in ids)
        other = next(i for i in items[category] if i != top)
        swapped, swapped_labels = redraw(shop, loaded, k, {"top": other})
        region = garment_region(body_of(person_of(loaded.persons[k])), category)
        changed = (swapped != image).any(axis=2)
        assert changed.any() and not (changed & ~region).any()  # only inside the garment's region
        assert (swapped_labels == labels).all()


def test_a_dress_leaves_the_legs_bare_and_each_region_is_inside_the_picture():
    rng = np.random.default_rng(0)
    photo = np.full((32, 32, 3), 255, np.uint8)
    photo[4:28, 8:24] = (200, 20, 20)
    for _ in range(20):
        person = draw_person(rng)
        _, labels = dress(person, {"top": ("dress", photo), "shoes": ("sandals", photo)})
        assert not (labels == BOTTOM).any() and (labels == TOP).sum() > 60
        body = body_of(person)
        for category in ("t-shirt", "coat", "trousers", "ankle boots"):
            assert garment_region(body, category).sum() > 10
    with pytest.raises(ValueError, match="no body region"):
        garment_region(body, "bag")


def test_the_verb_saves_the_set_and_refuses_a_shop_without_clothes(shop, tmp_path, capsys):
    import shutil
    data = tmp_path / "data"
    shutil.copytree(shop.data_dir, data)
    assert main(["--data-dir", str(data), "-q", "catalog", "people", "-n", "10", "--sheet",
                 str(tmp_path / "people.png")]) == 0
    assert "10 people drawn (not photographed)" in capsys.readouterr().out
    assert load_people(data).images.shape == (10, 64, 64, 3) and (tmp_path / "people.png").exists()
    assert main(["--data-dir", str(data), "catalog", "people", "-n", "0"]) == 2
    assert main(["--data-dir", str(data), "catalog", "people", "--sheet", str(tmp_path / "x.jpg")]) == 2
    empty = tmp_path / "empty"
    assert main(["--data-dir", str(empty), "-q", "import", "generic", str(_items_only(tmp_path))]) == 0
    assert main(["--data-dir", str(empty), "catalog", "people", "-n", "5"]) == 2
    assert "needs photos of tops" in capsys.readouterr().err


def _items_only(tmp_path):
    folder = tmp_path / "shop"
    folder.mkdir()
    (folder / "items.csv").write_text("item_id,title,category\n1,A bag,bag\n")
    return folder
