"""Quality against sampling steps and against guidance scale, from the report's rows: one row of
panels per DPM-Solver++ form (ODE "dpm++", SDE "dpm++sde") the report holds."""

from __future__ import annotations

from pathlib import Path

FORMS = {"dpm++": "DPM-Solver++", "dpm++sde": "DPM-Solver++ SDE"}


def quality_plots(rows: list[dict], out: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    forms = [f for f in FORMS if any(r["sampler"] == f and not r["subset"] for r in rows)] or list(FORMS)[:1]
    fig, axes = plt.subplots(len(forms), 2, figsize=(10, 3.6 * len(forms)), dpi=100, squeeze=False)
    for form, pair in zip(forms, axes):
        full = [r for r in rows if not r["subset"] and r["sampler"] == form and not r.get("guidance_from")]
        panels = (("steps", [r for r in full if r["guidance"] == 3.0]),
                  ("guidance", [r for r in full if r["steps"] == 20]))
        for ax, (x_name, subset) in zip(pair, panels):
            subset = sorted(subset, key=lambda r: r[x_name])
            xs = [r[x_name] for r in subset]
            for attr in ("category", "colour", "pattern"):  # the columns the evaluator reads
                if subset and attr in subset[0]["accuracy"]:
                    ax.plot(xs, [r["accuracy"][attr] for r in subset], marker="o", label=f"{attr} accuracy")
            ax.plot(xs, [r["diversity_ratio"] for r in subset], marker="s", ls="--", label="diversity / real")
            ax.set_xlabel(f"{FORMS[form]} {'steps (guidance 3)' if x_name == 'steps' else 'guidance (20 steps)'}")
            ax.set_ylim(0, max([1.05] + [r["diversity_ratio"] + 0.05 for r in subset]))
            twin = ax.twinx()
            twin.plot(xs, [r["fid"] for r in subset], color="black", marker="x", label="eval-FID")
            twin.set_ylabel("eval-FID")
            ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out
