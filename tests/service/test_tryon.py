"""Try-on jobs: a person of the set or an uploaded picture, a catalog item or a description;
checked before queuing (one clear 4xx), worked in the background, no pixel outside the mask changed."""

import base64
import io
import shutil
import time

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from vitrine.storage.store import Store
from vitrine.service.app import create_app
from vitrine.app.settings import Settings
from vitrine.tryon.people_set import load_people
from vitrine.tryon.tryon import person_with_item


@pytest.fixture
def tryon_copy(tryon_shop, tmp_path):
    data, model = tryon_shop
    shutil.copytree(data, tmp_path / "data")
    return tmp_path / "data", model


def _client(data, model, **settings) -> TestClient:
    return TestClient(create_app(Settings(data, recommender=data / "none", tryon_model=model, **settings)))


def _b64(pixels) -> str:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _done(client, url):
    deadline = time.time() + 90
    while (body := client.get(url).json())["status"] in ("queued", "running") and time.time() < deadline:
        time.sleep(0.1)
    return body


def _picture(client, url) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(client.get(url).content)).convert("RGB"))


def test_a_person_of_the_set_tries_on_a_catalog_item(tryon_copy):
    data, model = tryon_copy
    people = load_people(data)
    item = str(people.worn[2][0])
    with _client(data, model) as client:
        queued = client.post("/tryon", json={"person": 57, "item_id": item, "n": 2, "steps": 2})
        assert queued.status_code == 202, queued.text
        body = _done(client, queued.json()["url"])
        assert body["status"] == "done" and len(body["images"]) == 2, body
        assert body["request"]["picture"].endswith("bytes (PNG)")  # sizes, not bytes
        case = person_with_item(Store(data), people, 57, item)
        for url in body["images"]:
            out = _picture(client, url)
            assert (out[~case["mask"]] == people.images[57][~case["mask"]]).all()
    assert len(Store(data).generated_images()) == 2


def test_an_uploaded_picture_with_a_mask(tryon_copy):
    data, model = tryon_copy
    picture = np.random.default_rng(0).integers(0, 256, (70, 50, 3), dtype=np.uint8)
    mask = np.zeros((70, 50), np.uint8)
    mask[10:40, 10:30] = 255
    with _client(data, model) as client:
        queued = client.post("/tryon", json={"picture": _b64(picture), "mask": _b64(mask),
                                             "description": "a navy t-shirt", "n": 1, "steps": 2})
        assert queued.status_code == 202, queued.text
        body = _done(client, queued.json()["url"])
        out = _picture(client, body["images"][0])
        assert out.shape == picture.shape and (out[mask == 0] == picture[mask == 0]).all()


def test_people_pictures_are_served(tryon_copy):
    data, model = tryon_copy
    client = _client(data, model)
    ok = client.get("/tryon/people/3.png")
    assert ok.status_code == 200 and Image.open(io.BytesIO(ok.content)).size == (64, 64)
    assert client.get("/tryon/people/60.png").status_code == 404


@pytest.mark.parametrize("body, status, message", [
    ({"person": 1, "picture": "PIC", "item_id": "ITEM"}, 422, "one of them"),
    ({"item_id": "ITEM"}, 422, "one of them"),
    ({"person": 1}, 422, "give a garment description or a catalog item_id"),
    ({"person": 1, "description": "a red t-shirt"}, 422, "give item_id"),
    ({"person": 999, "item_id": "ITEM"}, 404, "no person 999"),
    ({"person": 1, "item_id": "nope"}, 404, "no item 'nope'"),
    ({"picture": "%%%", "description": "a red t-shirt"}, 422, "picture: not base64"),
    ({"picture": base64.b64encode(b"hello").decode(), "description": "a red t-shirt"}, 422, "not a readable picture"),
    ({"picture": "PIC", "mask": "SMALL", "description": "a red t-shirt"}, 422,
     "the mask is 8×8; the picture is 64×64"),
    ({"picture": "BIG", "description": "a red t-shirt", "mask": "BIGMASK"}, 422, "larger than 512"),
    ({"picture": "PIC", "description": "   "}, 422, "description: give some words, not only spaces"),
    ({"picture": "PIC", "description": "x" * 501}, 422, "description"),
    ({"picture": "HUGE", "description": "a red t-shirt"}, 413, "at most 20,000"),
    ({"picture": "PHOTO", "item_id": "ITEM"}, 422, "no person found"),  # a garment's photo: no one wears it
    ({"picture": "BLANK", "description": "a red t-shirt"}, 422, "no person found"),
])
def test_bad_requests_are_refused_before_queuing(tryon_copy, body, status, message):
    data, model = tryon_copy
    people = load_people(data)
    values = {"PIC": _b64(people.images[5]), "SMALL": _b64(np.zeros((8, 8), np.uint8)),
              "BIG": _b64(np.zeros((600, 64, 3), np.uint8)), "BIGMASK": _b64(np.zeros((600, 64), np.uint8)),
              "HUGE": _b64(np.random.default_rng(0).integers(0, 256, (200, 200, 3), dtype=np.uint8)),
              "ITEM": str(people.worn[0][0]), "BLANK": _b64(np.full((64, 64, 3), 230, np.uint8))}
    if "PHOTO" in body.values():
        store = Store(data)
        with Image.open(store.images.resolve(dict(store.main_photos())[values["ITEM"]])) as im:
            values["PHOTO"] = _b64(np.asarray(im.convert("RGB").resize((64, 64), Image.BILINEAR)))
    client = _client(data, model, max_upload_bytes=20_000)
    response = client.post("/tryon", json={k: values.get(v, v) for k, v in body.items()})
    assert response.status_code == status and message in response.json()["error"], response.text
    assert client.get("/health").json()["open_jobs"] == 0
