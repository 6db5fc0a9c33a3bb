"""Published figures of the SVM paper (002): Tables II-V, beside which stage svm reports its runs."""

EMOTION_ORDER = ("angry", "contempt", "disgust", "fear", "happy", "neutral", "sad", "surprise")
EMOTION_ROWS = EMOTION_ORDER + ("average",)
PAPER_TABLE_II = {  # emotion ROC AUC per experiment; None = class not in that dataset
    exp: dict(zip(EMOTION_ROWS, vals)) for exp, vals in {
        "Exp1": (0.982, 0.936, 1.0, 1.0, 1.0, 0.957, 0.967, 1.0, 0.980),
        "Exp2": (0.999, 0.994, 1.0, 0.998, 1.0, 0.994, 0.998, 0.999, 0.998),
        "Exp3": (0.959, 0.897, 0.994, 0.977, 0.998, 0.875, 0.940, 0.991, 0.954),
        "Exp4": (0.951, 0.858, 1.0, 0.972, 0.993, 0.812, 0.932, 1.0, 0.932),
        "Exp5": (0.999, 0.999, 1.0, 0.998, 1.0, 0.999, 0.999, 1.0, 0.999),
        "Exp6": (0.937, None, 0.790, 0.925, 0.833, 0.911, 0.843, 0.851, 0.870),
        "Exp7": (0.888, None, 0.933, 0.723, 0.974, 0.905, 0.785, 0.943, 0.879),
        "Exp8": (0.759, None, 0.823, 0.835, 0.719, 0.737, 0.683, 0.720, 0.754),
    }.items()
}
PAPER_EMOTION_PROTOCOL = {  # D trained on | SVM 10-fold CV on (section 4-A)
    "Exp1": "D: enhanced CK | SVM: RaFD frontal", "Exp2": "D: CelebA | SVM: RaFD frontal",
    "Exp3": "D: enhanced CK | SVM: RaFD multi-view", "Exp4": "D: RaFD multi-view | SVM: RaFD multi-view",
    "Exp5": "D: RaFD frontal | SVM: RaFD frontal", "Exp6": "D: RAF-DB | SVM: RAF-DB",
    "Exp7": "D: KDEF | SVM: KDEF", "Exp8": "D: SFEW | SVM: SFEW",
}
PAPER_TABLE_III = {"Exp1": 0.9857, "Exp5": 0.9764, "Exp6": 0.6187, "Exp7": 0.6044, "Exp8": 0.4452}
_AU_ROWS = {  # Table IV, columns Exp1..Exp8
    1: (0.998, 0.994, 0.961, 0.909, 0.896, 0.996, 0.890, 0.896),
    2: (0.918, 0.999, 0.948, 0.744, 0.633, 0.998, 0.705, 0.677),
    4: (0.788, 0.993, 0.887, 0.515, 0.656, 0.990, 0.519, 0.663),
    5: (0.982, 0.996, 0.991, 0.676, 0.808, 0.980, 0.624, 0.767),
    6: (0.895, 1.0, 0.908, 0.574, 0.518, 1.0, 0.568, 0.542),
    7: (1.0, 0.984, 1.0, 0.757, 0.649, 0.979, 0.642, 0.601),
    9: (0.990, 1.0, 0.997, 0.668, 0.546, 1.0, 0.683, 0.565),
    12: (1.0, 0.990, 0.980, 0.515, 0.633, 0.967, 0.549, 0.615),
    15: (0.932, 0.992, 0.963, 0.510, 0.659, 0.990, 0.518, 0.647),
    17: (0.785, 0.986, 0.873, 0.708, 0.807, 0.984, 0.623, 0.748),
    23: (0.882, 0.980, 0.927, 0.865, 0.828, 0.979, 0.775, 0.814),
    24: (0.948, 0.984, 0.902, 0.849, 0.688, 0.979, 0.822, 0.721),
    25: (0.998, 0.999, 0.992, 0.799, 0.929, 0.999, 0.755, 0.894),
    27: (0.672, 1.0, 0.669, 0.668, 0.541, 0.999, 0.678, 0.519),
    "average": (0.913, 0.993, 0.928, 0.697, 0.699, 0.989, 0.668, 0.691),
}
PAPER_TABLE_IV = {f"Exp{i + 1}": {k: v[i] for k, v in _AU_ROWS.items()} for i in range(8)}
PAPER_AU_PROTOCOL = {  # Table V: D trained on | SVM trained on | tested on
    "Exp1": "D: enhanced CK | train: CK | test: CK", "Exp2": "D: enhanced CK | train: RaFD | test: RaFD",
    "Exp3": "D: CelebA | train: CK | test: CK", "Exp4": "D: CelebA | train: CK | test: RaFD",
    "Exp5": "D: CelebA | train: RaFD | test: CK", "Exp6": "D: CelebA | train: RaFD | test: RaFD",
    "Exp7": "D: enhanced CK | train: CK | test: RaFD", "Exp8": "D: enhanced CK | train: RaFD | test: CK",
}
