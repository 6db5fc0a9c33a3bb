"""Table 1: paper 000's published rows beside this run's (other runs are DVC experiments)."""

from pipeline.gan.gan_table import table1


def run(dataset, fid):
    card = {"epochs": 100, "batch_size": 8, "train_seconds_total": 3600.0}
    dist = {"fid": {"value": fid, "n_a": 100, "n_b": 100, "comparable": False},
            "floor_fid": {"value": 1.0, "n_a": 90, "n_b": 100, "comparable": False}}
    domain_is = {"value": 1.5, "n": 100, "max_possible": 7}
    pooled = {"domain_is": domain_is, "floor_domain_is": domain_is, "n_fake": 100,
              "gan_test_accuracy": 0.5, "gan_train_accuracy": 0.4, "gan_train_n_test": 50}
    return {"stage": "gan_metrics", "dataset": dataset, "profile": f"{dataset}-profile",
            "eval_rows": "split 'test'", "hardware": "2 CPU cores", "training": {"happy": card, "sad": card},
            "inception": {"pooled": dist}, "domain": {"pooled": dist},
            "classifier": {"pooled": pooled, "real_baseline": {"accuracy": 0.6}}}


def test_table1_sets_this_run_beside_the_published_rows():
    table = table1(run("fer2013", 300.0))
    assert table.startswith("# GAN quality: paper 000 Table 1 beside this pipeline (fer2013)\n")
    assert "| 000 Ex5 (published) | CK+ | 100 | 8 | 0.5 |" in table
    assert ("fer2013-profile | fer2013 (2 per-class GANs) | 100 | 8 | Inception 300.0 (n=100 vs 100, "
            "not comparable)") in table
    assert "2.00 h total" in table and "GAN-test accuracy 0.500 (n=100)" in table
    assert table.count("| real-vs-real floor |") == 1 and table.count("| this pipeline") == 1


def test_table1_without_inception_says_why():
    metrics = {**run("demo", 1.0), "inception": None}
    assert "Inception skipped (see inception_note in metrics.json)" in table1(metrics)


def test_table1_says_what_the_budget_cells_count_for_each_generator():
    per_class = table1(run("fer2013", 30.0))
    conditional = table1({**run("fer2013", 30.0), "generator": "conditional", "classes": ["happy", "sad"],
                          "training": {"conditional": run("fer2013", 30.0)["training"]["happy"]}})
    assert "per class (one GAN per class)" in per_class and "conditional" not in per_class.split("**")[-1]
    assert "(1 conditional GAN, 2 classes)" in conditional
    assert "one conditional GAN" in conditional and "one GAN per class" not in conditional
