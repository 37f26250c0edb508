#!/usr/bin/env python3
"""Writes the first N training and M test images (and labels) of an IDX dataset folder (MNIST,
Fashion-MNIST: *-images-idx3-ubyte.gz, *-labels-idx1-ubyte.gz) to another folder, gzipped. A small
data folder travels with the working tree to a GPU node that has no network, for
`DATA=FOLDER scripts/gpu-check.sh` (the README model's first training steps on both backends).
Usage: scripts/idx-subset.py SOURCE DEST [N_TRAIN=2048] [N_TEST=512]"""
import gzip
import os
import struct
import sys


def subset(source, dest, name, count):
    data = gzip.open(os.path.join(source, name)).read()
    magic, total = struct.unpack(">II", data[:8])
    if count > total:
        sys.exit(f"{name}: asked for {count} items, it holds {total}")
    dims = magic & 0xFF  # IDX: the low byte of the magic number is the number of dimensions
    shape = struct.unpack(">" + "I" * (dims - 1), data[8:8 + 4 * (dims - 1)])
    item = 1
    for d in shape:
        item *= d
    head = 8 + 4 * (dims - 1)
    with gzip.open(os.path.join(dest, name), "wb", 9) as out:
        out.write(struct.pack(">II", magic, count) + data[8:head] + data[head:head + count * item])


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    source, dest = sys.argv[1], sys.argv[2]
    n_train = int(sys.argv[3]) if len(sys.argv) > 3 else 2048
    n_test = int(sys.argv[4]) if len(sys.argv) > 4 else 512
    os.makedirs(dest, exist_ok=True)
    for split, count in (("train", n_train), ("t10k", n_test)):
        subset(source, dest, f"{split}-images-idx3-ubyte.gz", count)
        subset(source, dest, f"{split}-labels-idx1-ubyte.gz", count)


if __name__ == "__main__":
    main()
