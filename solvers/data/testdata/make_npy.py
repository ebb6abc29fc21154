"""Writes the reference .npy files the data tests read (run once with
/usr/bin/python3 and numpy; the outputs are committed beside this script)."""
import numpy as np

a = np.array([[1.5, -2.25], [3.0, 4.125], [0.1, 1e-300]], dtype="<f8")
np.save("f8_2d.npy", a)
np.save("f4_2d.npy", a[:2].astype("<f4"))
np.save("f8_1d.npy", np.array([0.25, 0.5, 0.25], dtype="<f8"))
np.save("fortran.npy", np.asfortranarray(np.arange(6, dtype="<f8").reshape(2, 3)))
np.save("bigendian.npy", np.arange(4, dtype=">f8"))
np.save("int64.npy", np.arange(4, dtype="<i8"))
np.save("nan.npy", np.array([[1.0, 2.0], [np.nan, 4.0]]))
np.save("f8_3d.npy", np.zeros((2, 2, 2)))
np.savetxt("savetxt.csv", a, delimiter=",", header="x,y")

# Formats people write (issue 9 part 5): numpy.savetxt's default (spaces,
# '%.18e'), tabs, every integer and float dtype otplay reads in both byte
# orders and both memory orders, and .npz archives.
np.savetxt("savetxt_spaces.txt", a)
np.savetxt("savetxt_tabs.tsv", a, delimiter="\t", fmt="%.17g")
b = np.array([[1, -2, 3], [4, 5, -6]])
np.save("i4_2d.npy", b.astype("<i4"))
np.save("i8_be_2d.npy", b.astype(">i8"))
np.save("f4_be_fortran.npy", np.asfortranarray(b.astype(">f4")))
np.save("i8_fortran.npy", np.asfortranarray(b.astype("<i8")))
np.save("i8_huge.npy", np.array([2**53 + 1], dtype="<i8"))
np.savez("one.npz", b.astype("<f8"))
np.savez("two.npz", x=a, w=np.array([0.5, 0.5]))
np.savez_compressed("one_compressed.npz", pts=a)
