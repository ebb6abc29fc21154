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
