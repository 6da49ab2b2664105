"""Write the TensorFlow checkpoint fixtures under tests/fixtures/tf/ (run once; the output is committed).

Run with a Python that has TensorFlow 2.21 and tensorboard (the project itself never needs them)::

    /tmp/tfenv/bin/python scripts/make_tf_checkpoints.py

It trains a tiny word embedding (vocabulary of the short text below, 16 dimensions, fixed seeds) and
writes two log folders the way TensorFlow's tutorials do, with the projector config written by
``tensorboard.plugins.projector``:

- ``tf1_word2vec/``: graph-mode skip-gram with NCE loss (TF1's word2vec_basic), saved by
  ``tf.compat.v1.train.Saver(max_to_keep=2)`` at three steps (two kept; no ``.meta`` graph files, to
  keep the fixtures small — readers ignore them); ``sharded/`` beside it: the
  same variables on two devices saved with ``Saver(sharded=True)`` (three data shards: one per
  device, and one for the global step, which has no device) plus a
  partitioned variable (saved in slices), its config naming ``embedding:0`` as the tutorial does.
- ``tf2_embedding/``: eager training, ``tf.train.Checkpoint(embedding=tf.Variable(...)).save`` three
  times (TF's tutorial); ``keras/``: a Keras model with Adam (float64 head) saved with
  ``tf.train.Checkpoint(model=..., optimizer=...)``; ``slots/``: ``tf.compat.v1.train.AdamOptimizer``
  slot variables (``.OPTIMIZER_SLOT``); ``dtypes/``: float16, bfloat16, float64, int32, int64, uint8,
  bool, complex64 and string variables.

``expected.npz`` holds what ``tf.train.load_checkpoint(prefix).get_tensor(name)`` returns for every
numeric tensor of every checkpoint (bfloat16 as its uint16 bits), and ``expected.json`` each
checkpoint's variable-to-shape and variable-to-dtype maps and which npz key holds which tensor.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorboard.plugins import projector  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "tf"
SEED = 7
DIM = 16
VOCABULARY = 250

TEXT = """
The old mill stands beside the river where the water runs fast in spring and slow in late summer.
Every morning the miller opens the wooden doors and listens to the wheel turning in the cold stream.
Farmers bring wheat and barley from the hills, and the miller grinds the grain into soft white flour.
The baker in the village buys the flour and bakes bread before the sun rises over the eastern fields.
Children walk to school along the river path, counting ducks and throwing small stones into the water.
In autumn the leaves turn red and gold, and the wind carries them down the valley to the sea.
The fishermen mend their nets on the shore while gulls cry above the boats and the grey waves.
A young shepherd leads his sheep across the green meadow and rests under an ancient oak tree.
His dog runs ahead, barking at crows, and the sheep follow the narrow track toward the high pasture.
When winter comes, snow covers the roofs and the frozen river shines like glass in the pale light.
Families gather near the fire, telling stories of kings, dragons, brave sailors and lost islands.
The blacksmith works late, shaping iron horseshoes, nails and tools on his heavy black anvil.
Sparks fly from the forge, and the sound of the hammer rings through the quiet street at night.
The teacher reads poems to the class, and the students write letters to friends in distant towns.
A merchant arrives with silk, spices, copper pots and bright ribbons from markets across the mountains.
The market square fills with voices, carts, horses and the smell of apples, cheese and fresh fish.
Old women sell eggs and honey, and old men argue about the weather, the harvest and the price of salt.
In spring the farmers plough the dark soil, plant seeds and pray for gentle rain and warm days.
Bees visit the flowers in the orchard, and the cherry trees bloom white and pink along the wall.
The river floods after heavy storms, and the people carry sand bags to protect their homes.
A bridge of stone crosses the river near the church, and its bell rings every hour of the day.
The priest walks slowly to the church and greets each neighbour with a kind word and a smile.
Travellers stop at the inn, where the keeper serves soup, roasted chicken, dark beer and warm bread.
They sleep in small rooms above the kitchen and leave early before the roads become crowded.
A painter sits by the lake, mixing blue and green colours to capture the mountains and the clouds.
At sunset the sky turns orange and purple, and the first stars appear above the silent forest.
Owls hunt mice in the barn, foxes hide in the tall grass, and deer drink at the edge of the lake.
The forest is full of pine, birch and beech trees, mushrooms, berries and the songs of small birds.
Hunters follow the tracks of wild boar through the mud, but the clever animals often escape.
The doctor rides a brown horse to the farms, carrying medicine, bandages and a leather bag.
A sick child recovers after many days, and his mother thanks the doctor with a basket of pears.
The carpenter builds chairs, tables, doors and boats from oak, pine and cherry wood.
His son learns to measure, cut and join the boards, and dreams of building ships for the king.
Sailors return from long voyages with tales of whales, storms, strange coasts and golden cities.
The harbour is busy with ships loading wool, grain, wine and timber for foreign ports.
A lighthouse guards the rocks at the mouth of the bay, and its lamp burns through every night.
The keeper climbs the stairs each evening, cleans the glass and watches the dark water for ships.
In the library an old scholar studies maps, letters and books written in forgotten languages.
He copies the words carefully by candle light and teaches young students to read and write.
The queen visits the town in summer, and the people hang flags, flowers and ribbons on every house.
Musicians play the flute, the drum and the violin, and everyone dances in the square until midnight.
The harvest festival celebrates the wheat, the grapes and the apples gathered from the fields.
Farmers share bread, cheese, wine and honey, and children run between the tables laughing.
After the festival the days grow short, the nights grow cold, and the geese fly south.
The mill wheel keeps turning, the river keeps running, and the village waits for spring again.
"""


def tokens() -> list[str]:
    return re.findall(r"[a-z]+", TEXT.lower())


def vocabulary(words: list[str], size: int = VOCABULARY) -> list[str]:
    """"UNK" and the ``size - 1`` most frequent words, most frequent first, as word2vec_basic builds it."""
    counts: dict[str, int] = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    return ["UNK"] + sorted(counts, key=lambda w: (-counts[w], w))[:size - 1]


def skipgram_pairs(ids: np.ndarray, window: int = 2) -> np.ndarray:
    pairs = [(ids[i], ids[j]) for i in range(len(ids))
             for j in range(max(0, i - window), min(len(ids), i + window + 1)) if j != i]
    return np.asarray(pairs, dtype=np.int64)


def write_config(folder: Path, entries: list[dict]) -> None:
    config = projector.ProjectorConfig()
    for e in entries:
        emb = config.embeddings.add()
        emb.tensor_name = e["tensor_name"]
        emb.metadata_path = e.get("metadata_path", "")
    # visualize_embeddings needs a summary writer in TF2; write the same text TensorBoard reads
    from google.protobuf import text_format

    (folder / "projector_config.pbtxt").write_text(text_format.MessageToString(config))


def tf1_word2vec(vocab: list[str], pairs: np.ndarray) -> None:
    out = OUT / "tf1_word2vec"
    (out / "sharded").mkdir(parents=True)
    v = len(vocab)
    rng = np.random.default_rng(SEED)
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.set_random_seed(SEED)
        with tf.device("/cpu:0"):
            embedding = tf.compat.v1.get_variable(
                "embedding", initializer=tf.random.uniform([v, DIM], -1.0, 1.0, seed=1))
            partitioned = tf.compat.v1.get_variable(
                "partitioned", shape=[12, 4], initializer=tf.compat.v1.random_normal_initializer(seed=3),
                partitioner=tf.compat.v1.fixed_size_partitioner(3))
        with tf.device("/cpu:1"):
            nce_weights = tf.compat.v1.get_variable(
                "nce_weights", initializer=tf.random.truncated_normal([v, DIM], stddev=DIM ** -0.5, seed=2))
            nce_biases = tf.compat.v1.get_variable("nce_biases", initializer=tf.zeros([v]))
        global_step = tf.compat.v1.train.get_or_create_global_step()
        inputs = tf.compat.v1.placeholder(tf.int32, [64])
        labels = tf.compat.v1.placeholder(tf.int64, [64, 1])
        embed = tf.nn.embedding_lookup(embedding, inputs)
        loss = tf.reduce_mean(tf.nn.nce_loss(weights=nce_weights, biases=nce_biases, labels=labels, inputs=embed,
                                             num_sampled=16, num_classes=v))
        train = tf.compat.v1.train.GradientDescentOptimizer(1.0).minimize(loss, global_step=global_step)
        trained = [embedding, nce_weights, nce_biases, global_step]
        saver = tf.compat.v1.train.Saver(trained, max_to_keep=2, save_relative_paths=True)
        sharded = tf.compat.v1.train.Saver(trained + [partitioned], sharded=True, save_relative_paths=True)
        config = tf.compat.v1.ConfigProto(device_count={"CPU": 2}, intra_op_parallelism_threads=1,
                                          inter_op_parallelism_threads=1)
        with tf.compat.v1.Session(config=config) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            for step in range(1, 601):
                batch = pairs[rng.integers(0, len(pairs), 64)]
                sess.run(train, {inputs: batch[:, 0], labels: batch[:, 1:]})
                if step % 200 == 0:
                    saver.save(sess, str(out / "model.ckpt"), global_step=global_step, write_meta_graph=False)
            sharded.save(sess, str(out / "sharded" / "model.ckpt"), global_step=global_step, write_meta_graph=False)
    for folder in (out, out / "sharded"):
        (folder / "metadata.tsv").write_text("".join(w + "\n" for w in vocab))
    write_config(out, [{"tensor_name": "embedding", "metadata_path": "metadata.tsv"}])
    write_config(out / "sharded", [{"tensor_name": "embedding:0", "metadata_path": "metadata.tsv"}])


def tf2_embedding(vocab: list[str], pairs: np.ndarray) -> None:
    import keras

    out = OUT / "tf2_embedding"
    for sub in ("keras", "slots", "dtypes"):
        (out / sub).mkdir(parents=True)
    v = len(vocab)
    tf.random.set_seed(SEED)
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)

    # TF's word-embedding tutorial: train, then save the embedding in a tf.train.Checkpoint (three times)
    embedding = tf.Variable(tf.random.uniform([v, DIM], -1.0, 1.0, seed=1), name="embedding")
    context = tf.Variable(tf.random.normal([v, DIM], stddev=0.1, seed=2), name="context")
    checkpoint = tf.train.Checkpoint(embedding=embedding)
    for step in range(1, 301):
        batch = pairs[rng.integers(0, len(pairs), 64)]
        negative = rng.integers(0, v, (64, 4))
        with tf.GradientTape() as tape:
            e = tf.gather(embedding, batch[:, 0])
            pos = tf.reduce_sum(e * tf.gather(context, batch[:, 1]), -1)
            neg = tf.einsum("bd,bkd->bk", e, tf.gather(context, negative))
            loss = -tf.reduce_mean(tf.math.log_sigmoid(pos)) - tf.reduce_mean(tf.math.log_sigmoid(-neg))
        for var, grad in zip((embedding, context), tape.gradient(loss, [embedding, context])):
            var.assign_sub(0.5 * tf.convert_to_tensor(grad))
        if step % 100 == 0:
            checkpoint.save(str(out / "embedding.ckpt"))
    (out / "metadata.tsv").write_text("".join(w + "\n" for w in vocab))
    write_config(out, [{"tensor_name": "embedding/.ATTRIBUTES/VARIABLE_VALUE", "metadata_path": "metadata.tsv"}])

    # a Keras model (float32 embedding, float64 head) trained with Adam: Keras 3's optimizer state
    class WordModel(keras.Model):
        def __init__(self):
            super().__init__()
            self.words = keras.layers.Embedding(v, DIM)
            self.head = keras.layers.Dense(v, dtype="float64")

        def call(self, x):
            return self.head(self.words(x))

    model = WordModel()
    adam = keras.optimizers.Adam(0.01)
    model.compile(adam, keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(pairs[:, 0], pairs[:, 1], batch_size=64, epochs=2, verbose=0, shuffle=False)
    tf.train.Checkpoint(model=model, optimizer=adam).save(str(out / "keras" / "ckpt"))
    (out / "keras" / "metadata.tsv").write_text("".join(w + "\n" for w in vocab))
    write_config(out / "keras", [{"tensor_name": "model/words/_embeddings/.ATTRIBUTES/VARIABLE_VALUE",
                                  "metadata_path": "metadata.tsv"}])

    # TF's own (v1) Adam in eager mode: slot variables named .OPTIMIZER_SLOT, as tf.keras 2 also named them
    slot_embedding = tf.Variable(embedding.numpy(), name="embedding")
    adam1 = tf.compat.v1.train.AdamOptimizer(0.01)
    for _ in range(3):
        adam1.minimize(lambda: tf.reduce_sum(tf.square(slot_embedding)) * 1e-3, var_list=[slot_embedding])
    tf.train.Checkpoint(embedding=slot_embedding, optimizer=adam1).save(str(out / "slots" / "ckpt"))
    (out / "slots" / "metadata.tsv").write_text("".join(w + "\n" for w in vocab))
    write_config(out / "slots", [{"tensor_name": "embedding/.ATTRIBUTES/VARIABLE_VALUE", "metadata_path": "metadata.tsv"}])

    # one variable of each dtype a checkpoint can hold
    base = rng.normal(size=(8, 4)) * 3
    variables = {
        "half": tf.Variable(base.astype(np.float16)),
        "bfloat": tf.Variable(tf.constant(base, dtype=tf.bfloat16)),
        "double": tf.Variable(base * 1e-3, dtype=tf.float64),
        "single": tf.Variable(base.astype(np.float32)),
        "int32": tf.Variable(np.arange(-16, 16, dtype=np.int32).reshape(8, 4)),
        "int64": tf.Variable(np.arange(24, dtype=np.int64).reshape(6, 4) * 10**10),
        "uint8": tf.Variable(np.arange(12, dtype=np.uint8).reshape(3, 4)),
        "flags": tf.Variable(np.eye(3, dtype=bool)),
        "complex": tf.Variable(np.array([[1 + 2j, 3 - 1j], [0.5j, -2]], dtype=np.complex64)),
        "cube": tf.Variable(rng.normal(size=(2, 3, 4)).astype(np.float32)),
        "scalar": tf.Variable(3.5),
        "empty": tf.Variable(np.zeros((0, 4), dtype=np.float32)),
        "words": tf.Variable(tf.constant(["river", "mill", "bread"])),
    }
    tf.train.Checkpoint(**variables).save(str(out / "dtypes" / "ckpt"))


def prefixes() -> list[Path]:
    return sorted(p.with_suffix("") for p in OUT.rglob("*.index"))


def expected() -> None:
    arrays, meta = {}, {"checkpoints": {}}
    for prefix in prefixes():
        reader = tf.train.load_checkpoint(str(prefix))
        shapes = reader.get_variable_to_shape_map()
        dtypes = reader.get_variable_to_dtype_map()
        entry = {"shapes": {k: list(s) for k, s in sorted(shapes.items())},
                 "dtypes": {k: d.name for k, d in sorted(dtypes.items())}, "tensors": {}}
        for name in sorted(shapes):
            if dtypes[name] == tf.string:
                continue
            value = reader.get_tensor(name)
            if dtypes[name] == tf.bfloat16:
                value = value.view(np.uint16)
            key = f"t{len(arrays)}"
            arrays[key] = value
            entry["tensors"][name] = key
        meta["checkpoints"][prefix.relative_to(OUT).as_posix()] = entry
    np.savez_compressed(OUT / "expected.npz", **arrays)
    (OUT / "expected.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    words = tokens()
    vocab = vocabulary(words)
    index = {w: i for i, w in enumerate(vocab)}
    pairs = skipgram_pairs(np.array([index.get(w, 0) for w in words]))
    print(f"{len(words)} words ({len(set(words))} distinct), vocabulary {len(vocab)}, {len(pairs)} skip-gram pairs")
    tf.config.experimental.enable_op_determinism()
    tf1_word2vec(vocab, pairs)
    tf2_embedding(vocab, pairs)
    expected()
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"wrote {OUT} ({total / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
