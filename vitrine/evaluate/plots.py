"""Quality against sampling steps and against guidance scale, from the report's rows."""

from __future__ import annotations

from pathlib import Path


def quality_plots(rows: list[dict], out: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    full = [r for r in rows if not r["subset"] and r["sampler"] == "dpm++"]
    panels = (("steps", [r for r in full if r["guidance"] == 3.0]), ("guidance", [r for r in full if r["steps"] == 20]))
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), dpi=100)
    for ax, (x_name, subset) in zip(axes, panels):
        subset = sorted(subset, key=lambda r: r[x_name])
        xs = [r[x_name] for r in subset]
        for attr in ("category", "colour", "pattern"):
            ax.plot(xs, [r["accuracy"][attr] for r in subset], marker="o", label=f"{attr} accuracy")
        ax.plot(xs, [r["diversity_ratio"] for r in subset], marker="s", ls="--", label="diversity / real")
        ax.set_xlabel(f"DPM-Solver++ {'steps (guidance 3)' if x_name == 'steps' else 'guidance (20 steps)'}")
        ax.set_ylim(0, 1.05)
        twin = ax.twinx()
        twin.plot(xs, [r["fid"] for r in subset], color="black", marker="x", label="eval-FID")
        twin.set_ylabel("eval-FID")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out
