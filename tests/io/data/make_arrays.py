#!/usr/bin/env python3
"""Writes the numpy fixtures of tests/io/arrays_test.cpp into this folder (numpy only).

Rerunning it rewrites the same arrays (the .npz archives differ in their timestamps only).
Each file is a few hundred bytes; the test states the values it expects, which are the ones
below. Usage: tests/io/data/make_arrays.py
"""

import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def path(name):
    return os.path.join(HERE, name)


# (3, 4) float32, C order: value = 10 * row + col + 0.5
features = (10 * np.arange(3)[:, None] + np.arange(4)[None, :] + 0.5).astype(np.float32)
np.save(path("features_f32.npy"), features)
# The same values as float64 in Fortran order, and as big-endian float32.
np.save(path("features_f64_fortran.npy"), np.asfortranarray(features.astype(np.float64)))
np.save(path("features_f32_big.npy"), features.astype(">f4"))
# Labels: int64 (5,), and bool (4,).
labels = np.array([3, 0, 2, 2, 1], dtype=np.int64)
np.save(path("labels_i64.npy"), labels)
np.save(path("mask_bool.npy"), np.array([True, False, False, True]))
# float16 (2, 2)
np.save(path("half.npy"), np.array([[1.5, -2.0], [0.0, 65504.0]], dtype=np.float16))
# Archives: stored and deflated members.
np.savez(path("arrays.npz"), x=features, y=labels)
np.savez_compressed(path("arrays_compressed.npz"), x=features, y=labels)
np.savez(path("single.npz"), labels)  # one member, arr_0
