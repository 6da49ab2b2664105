"""Write the bundled sample (scikit-learn's 8×8 digits: 1,797 × 64) to data/digits/."""
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

out = Path(__file__).resolve().parents[1] / "data" / "digits"
out.mkdir(parents=True, exist_ok=True)
digits = load_digits()
np.save(out / "embeddings.npy", digits.data.astype(np.float32))
(out / "metadata.tsv").write_text("label\tdigit\n" + "".join(f"{t}\t{['zero','one','two','three','four','five','six','seven','eight','nine'][t]}\n" for t in digits.target))
print(out, digits.data.shape)
