// Package nn is a small multilayer perceptron for otplay's learned
// diffusion models: a host MLP (weights in float64, a reference forward
// pass, a versioned file format) and Net, the same network resident on a
// compute.Backend with its forward pass, its backward pass written out by
// hand, and the Adam optimiser, all from MatMul and element-wise Map ops,
// so training runs on the CPU reference and on the GPU alike.
//
// # Shape
//
// Config{In, Cond, Hidden, Out, Activation}: the input x (In values per
// row) and an optional conditioning vector c (Cond values per row, or one
// vector shared by the batch, e.g. a TimeEmbedding of the diffusion time)
// feed hidden layers of SiLU or ReLU units and a linear output layer.
// New initialises hidden weights by He et al. 2015 and the output layer
// by LeCun's N(0, 1/fan_in), from a Philox seed.
//
// # Training
//
// Net.Forward, Net.Backward(dLoss/dOutput) and Net.Step(Adam) make one
// optimisation step; Net.UpdateEMA / EMAMLP keep and read a moving
// average of the weights; the gradients are checked against finite
// differences (max deviation 7e-10) and Adam against a host transcription
// of Kingma and Ba 2015, Alg. 1 (to 1e-12) in the tests.
//
// # Files
//
// MLP.Write / Read (Save / Load for paths) use one JSON document with a
// format name ("otplay-mlp") and a version (FileVersion), the config, the
// time embedding, free-form metadata and the layers' weights in Go's
// shortest round-trip float form (a model reads back bit for bit). Read
// rejects other formats and versions, unknown fields, shapes that do not
// match the config and non-finite weights, with errors wrapping
// ErrBadModel.
package nn
