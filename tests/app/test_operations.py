"""The operations as any caller sees them: inputs checked, domain errors naming the field."""

import json

import pytest

from vitrine.app import recommend, studio
from vitrine.app.context import AppContext
from vitrine.app.events import record_event
from vitrine.app.fit import config_from, fit
from vitrine.app.settings import Settings
from vitrine.errors import Conflict, Invalid, NotFound, NotReady


@pytest.fixture
def ctx(data, recommender_dir):
    return AppContext(Settings(data, recommender=recommender_dir))


def test_a_shop_without_a_recommender_is_not_ready(data):
    bare = AppContext(Settings(data, recommender=data / "none"))
    with pytest.raises(NotReady, match="no fitted recommender"):
        recommend.for_shopper(bare, "u-00001")
    bare.open_job_queue()
    bare.queue.add("fit", {}, "test")
    with pytest.raises(NotReady, match="a fit is queued"):  # says one is on its way, not to start another
        recommend.search(bare, "a red dress")


def test_each_error_names_its_field(ctx):
    cases = [(lambda: recommend.for_shopper(ctx, "nobody"), NotFound, "user_id"),
             (lambda: recommend.for_shopper(ctx, "u-00001", k=0), Invalid, "k"),
             (lambda: recommend.for_session(ctx, []), Invalid, "item_ids"),
             (lambda: recommend.for_session(ctx, ["nope"]), Invalid, "item_ids"),
             (lambda: recommend.similar(ctx, "nope"), NotFound, "item_id"),
             (lambda: recommend.search(ctx, "  "), Invalid, "q"),
             (lambda: record_event(ctx, "u-00001", "nope", "view"), NotFound, "item_id"),
             (lambda: record_event(ctx, "u-00001", "fm-00001", "stare"), Invalid, "event"),
             (lambda: studio.check_launch(ctx, "a hat", n=0), Invalid, "n"),
             (lambda: studio.check_launch(ctx, "a hat", price=-1), Invalid, "price"),
             (lambda: studio.check_launch(ctx, "a hat", item_id="fm-00001"), Conflict, "item_id"),
             (lambda: studio.check_designs_for(ctx, "nobody", 4), NotFound, "user_id"),
             (lambda: config_from({"parts": ("text", "smell")}), Invalid, "parts"),
             (lambda: config_from({"depth": 3}), Invalid, "depth")]
    for call, kind, field in cases:
        with pytest.raises(kind) as refused:
            call()
        assert refused.value.field == field


def test_an_event_counts_at_once_for_a_shopper_new_since_the_fit(ctx):
    with pytest.raises(NotFound):
        recommend.for_shopper(ctx, "newcomer")
    assert record_event(ctx, "newcomer", "fm-00001", "view") is True
    assert len(recommend.for_shopper(ctx, "newcomer", k=5)) == 5
    seen = recommend.for_session(ctx, ["fm-00001", "not-an-item"], k=5, skip_unknown=True)
    assert len(seen) == 5 and "fm-00001" not in {s.item_id for s in seen}


def test_the_launch_id_is_the_same_for_the_same_launch():
    assert studio.launch_item_id("a hat", 0) == studio.launch_item_id("a hat", 0) != studio.launch_item_id("a hat", 1)
    assert studio.launch_item_id("a hat", 0, "mine") == "mine"


def test_fit_swaps_the_folder_whole_and_never_replaces_a_folder_of_other_files(shop, features, tmp_path):
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    with pytest.raises(Invalid, match="no fitted recommender") as refused:
        fit(shop, other, {"epochs": 1, "dim": 8, "cf_factors": 4}, progress=False)
    assert refused.value.field == "out" and (other / "keep.txt").read_text() == "mine"
    done = fit(shop, tmp_path / "rec", {"epochs": 1, "dim": 8, "cf_factors": 4}, progress=False)
    assert (done.folder / "model.json").is_file() and not (tmp_path / "rec.fitting").exists()
    assert json.loads((done.folder / "events.json").read_text())["last_event_id"] == shop.last_event_id()


def test_a_fit_reports_its_phases_in_order(shop, features, tmp_path):
    heard = []
    fit(shop, tmp_path / "rec", {"epochs": 1, "dim": 8, "cf_factors": 4},
        progress=lambda phase, fraction: heard.append((phase, fraction)))
    phases = list(dict.fromkeys(p for p, _ in heard))
    assert phases[0] == "read the events" and phases[-1] == "save" and any(p.startswith("fit ") for p in phases)
    training = [f for p, f in heard if p.startswith("fit ")]
    assert training == sorted(training) and training[-1] == 1.0


def test_a_distilled_model_draws_every_use_in_its_own_few_steps(data, recommender_dir, tiny_distilled_dir):
    ctx = AppContext(Settings(data, recommender=recommender_dir, model=tiny_distilled_dir))
    calls = []
    ctx.pipeline().unet.register_forward_hook(lambda *_: calls.append(1))
    studio.generate(ctx, "a red t-shirt", n=2)
    drawn = ctx.store.generated_images()[-1]
    assert drawn.params["steps"] == 4 and drawn.params["sampler"] == "LCMScheduler" and len(calls) == 4
    result, shas = studio.launch(ctx, "a navy blue striped shirt", n=2, audience=5)
    assert len(shas) == 2 and len(calls) == 8  # the launch's 2 candidates: one batch, 4 calls
    assert studio.generate(ctx, "a red t-shirt", n=1, steps=2)["images"] and len(calls) == 10
    with pytest.raises(ValueError, match="between 1 and 50"):  # asked for more than its grid: one clear line
        studio.generate(ctx, "a red t-shirt", n=1, steps=60)
