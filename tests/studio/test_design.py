"""`studio design`: the rerank with a stub painter and scorer, the mechanics with tiny models, the
CLI's errors, and the measurement's utility against hand-computed cases."""

from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from vitrine.catalog.attributes import COLOURS, COLOUR_NAMES
from vitrine.cli import main
from vitrine.studio.design import Designer, check_design, combinations, pick
from vitrine.studio.design_eval import percentiles, utility_table
from vitrine.catalog.read import read_attributes


def test_pick_takes_the_best_but_at_most_so_many_of_one_prompt():
    scores = np.array([9.0, 8.0, 7.0, 6.0, 5.0, 1.0])
    groups = np.array([0, 0, 0, 1, 1, 2])
    assert pick(scores, groups, 4, 2) == [0, 1, 3, 4]
    assert pick(scores, groups, 6, 1) == [0, 3, 5]  # fewer than asked when the groups run out
    assert pick(scores, groups, 2, 9) == [0, 1]


def test_every_prompt_reads_back_as_the_combination_it_names():
    combos = combinations()
    assert len(combos) == 10 * 13 * 4 and len({c.prompt() for c in combos}) == len(combos)
    for c in combos:
        w = read_attributes(c.prompt())
        assert (w.category, w.colour, w.pattern) == (c.category, c.colour, c.pattern), c.prompt()


class Painter:
    """A stand-in pipeline: each picture is one flat colour — the prompt's colour for even seeds,
    a colour drawn from the seed and the prompt for odd ones (a generator that misses half the time)."""

    def __call__(self, prompts, num_images_per_prompt, generator, **_):
        images = []
        for k, prompt in enumerate(prompts):
            for j in range(num_images_per_prompt):
                seed = generator[k * num_images_per_prompt + j].initial_seed()
                colour = read_attributes(prompt).colour
                if seed % 2:
                    colour = (seed * 7 + len(prompt)) % len(COLOURS)
                images.append(Image.new("RGB", (32, 32), COLOURS[colour].rgb))
        return SimpleNamespace(images=images)


def test_a_shopper_whose_history_is_all_red_gets_red_designs_far_more_often_than_chance():
    # the scorer: an item vector is its picture's mean colour; the shopper's vector is red. Prompt
    # scores are random, so only the picture rerank can find the red — as DVBPR's search does.
    red = np.array(COLOURS[COLOUR_NAMES.index("red")].rgb, np.float32) / 255
    def picture_vectors(_, images):
        v = np.stack([np.asarray(im, np.float32).mean((0, 1)) / 255 for im in images]) - 0.5
        return v / np.linalg.norm(v, axis=1, keepdims=True)
    designer = Designer.__new__(Designer)
    designer.pipe, designer.steps, designer.guidance, designer.seed = Painter(), 1, 1.0, 0
    designer.combinations = combinations()
    designer.prompts = [c.prompt() for c in designer.combinations]
    designer.prompt_vectors = np.random.default_rng(0).normal(size=(len(designer.prompts), 3))
    designer.picture_vectors = picture_vectors
    designer.recs = SimpleNamespace(user_vector=lambda _: (red - 0.5) / np.linalg.norm(red - 0.5))
    designs = designer.design("u-red", n=8, prompts=32, per_prompt=4, nearest=0)
    colours = [np.asarray(d.image)[0, 0].tolist() for d in designs]
    share = np.mean([c == list(COLOURS[COLOUR_NAMES.index("red")].rgb) for c in colours])
    assert share >= 0.5 > 1 / len(COLOURS) and [d.score for d in designs] == sorted([d.score for d in designs], reverse=True)


def test_designs_with_tiny_models_are_scored_pictures_with_the_closest_items_in_stock(parts):
    pipe, _, recs = parts
    designer = Designer(pipe, recs, steps=2)
    user = str(recs.user_ids[3])
    designs = designer.design(user, n=4, prompts=3, per_prompt=2, max_per_prompt=2, nearest=2)
    assert len(designs) == 4 and [d.score for d in designs] == sorted([d.score for d in designs], reverse=True)
    best_prompts = set(np.argsort(-(designer.prompt_vectors @ recs.user_vector(user)))[:3].tolist())
    assert {designer.prompts.index(d.prompt) for d in designs} <= best_prompts
    for d in designs:
        assert len(d.nearest) == 2 and all(i in recs.item_pos for i, _ in d.nearest)
        v = designer.picture_vectors([designer.prompts.index(d.prompt)], [d.image])[0]
        assert d.score == pytest.approx(float(v @ recs.user_vector(user)), rel=1e-4, abs=1e-5)
    # a prompt and a seed give the same picture alone or in a batch with others
    alone = designer.pictures([5], 2)
    batched = designer.pictures([7, 5], 2)[2:]
    assert all(np.abs(np.asarray(a, int) - np.asarray(b, int)).max() <= 1 for a, b in zip(alone, batched))


@pytest.mark.parametrize("n,prompts,per_prompt,most,field", [
    (0, 8, 4, 2, "n"), (17, 8, 4, 2, "n"), (8, 0, 4, 2, "prompts"), (8, 100, 4, 2, "per_prompt"),
    (8, 8, 4, 0, "max_per_prompt")])
def test_absurd_counts_are_refused_naming_the_argument(n, prompts, per_prompt, most, field):
    from vitrine.errors import Invalid
    with pytest.raises(Invalid) as refused:
        check_design(n, prompts, per_prompt, most)
    assert refused.value.field == field


def test_design_verb_writes_the_picture_and_refuses_an_unknown_shopper(shop, parts, pipeline_dir, recommender_dir,
                                                                        tmp_path, capsys):
    _, _, recs = parts
    base = ["--data-dir", str(shop.data_dir), "studio", "design"]
    flags = ["--model", str(pipeline_dir), "--recommender", str(recommender_dir), "--steps", "1"]
    out = tmp_path / "d.png"
    assert main(base + [str(recs.user_ids[0]), "-n", "3", "--prompts", "2", "--per-prompt", "2", "-o", str(out)]
                + flags) == 0
    printed = capsys.readouterr().out
    assert out.exists() and "closest in stock: fm-" in printed and printed.count(" (seed ") == 3
    assert main(base + ["nobody", "-o", str(out)] + flags) == 2
    err = capsys.readouterr().err
    assert "USER_ID 'nobody'" in err and "Traceback" not in err
    assert main(base + [str(recs.user_ids[0]), "-n", "9", "--prompts", "2", "-o", str(out)] + flags) == 2
    assert "error: -n: must be between 1 and 4" in capsys.readouterr().err
    assert main(base + [str(recs.user_ids[0]), "--prompts", "500", "--per-prompt", "4", "-o", str(out)] + flags) == 2
    assert "error: --per-prompt: prompts × per-prompt pictures" in capsys.readouterr().err  # the field as its flag


def test_utility_and_percentile_by_hand():
    prefs = {"category": {n: 0.0 for n in ("t-shirt", "trousers", "pullover", "dress", "coat", "sandals", "shirt",
                                           "sneakers", "bag", "ankle boots")},
             "colour": {n: 0.0 for n in COLOUR_NAMES}, "pattern": {"solid": 0.5, "striped": 0.5, "dotted": 0.0,
                                                                    "checked": 0.0}}
    prefs["category"]["coat"] = 1.0
    prefs["colour"]["red"] = 1.0
    table = utility_table(prefs, colour_weight=1.0, pattern_weight=0.8, floor=0.02)
    # a red solid coat: log 1 + log 1.02 + 0.8 · log 0.52
    assert table[4, 3, 0] == pytest.approx(np.log(1.02) + 0.8 * np.log(0.52))
    # a blue dotted dress: log 0.00005 (the floor of a stored 0) + log 0.02 + 0.8 · log 0.02
    assert table[3, 7, 2] == pytest.approx(np.log(0.00005) + np.log(0.02) + 0.8 * np.log(0.02))
    pct = percentiles(table)
    # red solid and red striped coats tie for the top: each sits above 518 and level with one
    assert pct[4, 3, 0] == pytest.approx(100 * (518 + 0.5 * 2) / 520) == pct[4, 3, 1]
    assert percentiles(np.array([1.0, 2.0, 3.0, 4.0])).tolist() == [12.5, 37.5, 62.5, 87.5]


@pytest.mark.slow  # the whole measurement
def test_design_measurement_scores_every_method_and_the_report_gathers_it(shop, parts, tmp_path):
    import json

    from vitrine.studio.design_eval import run
    from vitrine.studio.report import write_report
    pipe, evaluator, recs = parts
    result = run(shop, pipe, evaluator, recs, tmp_path, shoppers=6, per_prompt=1, steps=1, progress=False)
    methods = result["methods"]
    assert list(methods)[0] == "personalised designs" and len(methods) == 7 and result["pictures"] == 520
    for m in methods.values():
        assert 0 < m["percentile"] < 100 and 0 <= m["top_category"] <= 1 and -1 <= m["similarity"] <= 1
    # the oracle asks for each shopper's true top combinations: nothing asks for better
    assert methods["oracle: true top combinations"]["asked_percentile"] == max(m["asked_percentile"]
                                                                               for m in methods.values())
    report = write_report(tmp_path)
    assert "## Designs for one shopper" in report.read_text() and "| personalised designs |" in report.read_text()
    assert json.loads((tmp_path / "metrics.json").read_text())["design"]["shoppers"] == 6
    assert (tmp_path / "design-shoppers.png").exists()
