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

# The sprite: each digit as a 24×24 thumbnail (dark ink on white), row-major from the top left.
from PIL import Image  # noqa: E402

TILE, per_row = 24, int(np.ceil(np.sqrt(len(digits.images))))
rows = int(np.ceil(len(digits.images) / per_row))
sheet = Image.new("L", (per_row * TILE, rows * TILE), 255)
for i, img in enumerate(digits.images):
    tile = Image.fromarray((255 - img * 255 / 16).astype(np.uint8)).resize((TILE, TILE), Image.NEAREST)
    sheet.paste(tile, ((i % per_row) * TILE, (i // per_row) * TILE))
sheet.save(out / "sprite.png", optimize=True)
print(out / "sprite.png", sheet.size, f"tiles {TILE}×{TILE}")
