"""ROC curves and confusion matrices of the discriminator-feature runs (no face images)."""

from pathlib import Path

from ..core.metrics import confusion_figure
from ..core.outputs import save_figure


def roc_figure(y, scores, names, title: str, one_hot: bool):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_auc_score, roc_curve

    fig, ax = plt.subplots(figsize=(5.2, 4.8))
    for j, name in enumerate(names):
        pos = y[:, j] if one_hot else (y == j)
        if 0 < pos.sum() < len(pos):
            fpr, tpr, _ = roc_curve(pos, scores[:, j])
            ax.plot(fpr, tpr, lw=1.2, label=f"{name} ({roc_auc_score(pos, scores[:, j]):.3f})")
    ax.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title(title, fontsize=8)
    ax.legend(fontsize=6, loc="lower right", ncol=2 if len(names) > 8 else 1)
    fig.tight_layout()
    return fig


def write_plots(results: list[dict], plot_dir: Path | str) -> None:
    """roc_<id>.png per experiment on its D's first layer, confusion_<id>.png per emotion run; old pngs go."""
    plot_dir = Path(plot_dir)
    plot_dir.mkdir(parents=True, exist_ok=True)
    for old in plot_dir.glob("*.png"):
        old.unlink()
    plotted = set()
    for r in results:
        if r["role"] != "d" or r["id"] in plotted:
            continue
        plotted.add(r["id"])
        names = r["classes"] if r["task"] == "emotion" else [f"AU{c}" for c in r["au_codes"]]
        title = f"{r['id']}: {r['feature_set']}, train {r['train']}, test {r['test']} ({r['protocol']})"
        save_figure(roc_figure(r["_y"], r["_scores"], names, title, r["task"] == "au"),
                    plot_dir / f"roc_{r['id']}.png", dpi=110)
        if r["task"] == "emotion":
            save_figure(confusion_figure(r["_y"], r["_scores"].argmax(1), r["classes"], title),
                        plot_dir / f"confusion_{r['id']}.png", dpi=110)
