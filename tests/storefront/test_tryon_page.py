"""The item page's "Try it on" panel: offered for wearable items, a model of the set or an
upload, queued as a job whose page shows before, after and the true render."""

import io
import shutil

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from vitrine.storage.store import Store
from vitrine.app.settings import Settings
from vitrine.storefront.app import create_app


@pytest.fixture
def client(tryon_shop, tmp_path):
    data, model = tryon_shop
    shutil.copytree(data, tmp_path / "data")
    return TestClient(create_app(Settings(tmp_path / "data", recommender=tmp_path / "none",
                                                 tryon_model=model)))


def _item(client, categories):
    store = client.app.state.vitrine.store
    return next(r.id for r in store.item_rows(("id", "category")) if r.category in categories)


def test_wearable_items_offer_try_on_and_bags_do_not(client):
    page = client.get(f"/shop/item/{_item(client, ('t-shirt', 'shirt', 'pullover', 'coat'))}")
    assert "Try it on" in page.text and page.text.count('name="person"') == 6
    assert "Try it on" not in client.get(f"/shop/item/{_item(client, ('bag',))}").text


def test_trying_on_with_a_model_queues_a_job_whose_page_shows_before_and_truth(client):
    item = _item(client, ("sneakers", "sandals", "ankle boots"))
    sent = client.post("/shop/tryon", data={"item_id": item, "person": "57"}, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"].startswith("/shop/job/")
    page = client.get(sent.headers["location"])
    assert "Try-on" in page.text and page.text.count("data:image/png;base64,") == 1  # before; truth once done


def test_an_upload_that_is_not_a_picture_is_one_clear_page(client):
    item = _item(client, ("t-shirt", "shirt", "pullover", "coat"))
    sent = client.post("/shop/tryon", data={"item_id": item}, files={"picture": ("me.png", b"nope", "image/png")})
    assert sent.status_code == 422 and "not a readable picture" in sent.text
    buffer = io.BytesIO()
    Image.fromarray(np.full((64, 64, 3), 230, np.uint8)).save(buffer, format="PNG")
    sent = client.post("/shop/tryon", data={"item_id": item}, files={"picture": ("me.png", buffer.getvalue())})
    assert sent.status_code == 422 and Store(client.app.state.vitrine.settings.data_dir).open_jobs() == 0
