// Package patch is optimal transport on images: colour transfer between
// two photographs, patch transport between them, and the patch
// geometry (unfold an image into overlapping patches, fold patches back)
// that both use, all written against compute.Backend so the heavy work
// runs in WGSL on the GPU or on the CPU reference alike. Images come from
// solvers/imageio (HWC float64, sRGB in [0, 1]).
//
// # Patches: Grid and Folder
//
// A Grid lists the k x k patches (k <= MaxSize = 16, so up to 3 x 16 x 16
// = 768 values) of an image at a stride s <= k: origins 0, s, 2s, ... plus
// one flush with the far border, so every pixel is covered. Folder.Unfold
// is an im2col: one GatherSum with k = 1 over precomputed indices.
// Folder.Fold is its averaging inverse: one GatherSum whose k is the
// largest number of patches covering a pixel (-1 padding), then a Map
// OpDiv by the per-pixel cover count, so Fold(Unfold(img)) = img up to
// rounding (tested to 1e-15) and Fold of transported patches averages
// the overlapping proposals for each pixel. Patches hold at most
// compute.MaxIndex (2^24) values in all (the exact float32 index range of
// GatherSum): 640 x 427 with 8 x 8 patches needs stride >= 2.
//
// # Colour transfer (TransferColor)
//
// Pixels are points of R^3 (RGB in [0, 1], or CIE Lab / 100), weighted
// equally. Three methods:
//
//   - Entropic: a photograph has ~10^5 pixels, so a full plan (~10^10
//     pairs for 640 x 427 onto 640 x 427) is out of reach. Both clouds are
//     quantised on a Bins^3 histogram grid (default 16^3; each occupied cell
//     becomes its mean colour weighted by its pixel count), entropic OT
//     between the two weighted clouds is solved by solvers/ot (Sinkhorn with
//     eps-scaling, or Partial), and every distinct source colour is mapped
//     by the entropic map of that plan (Pooladian and Niles-Weed 2021,
//     eq. (3)): T(x) = sum_j b_j e^{(G_j - |x - y_j|^2)/eps} y_j / (same
//     without y_j), one SoftMean over all distinct colours. The error this
//     causes, measured against full entropic OT on every pixel
//     (TestQuantisationError, 24 x 16 and 36 x 24 photographs): 0.002
//     mean absolute per channel (0.6/255), at most 0.07.
//     With Mass < 1 (partial OT) the plan moves only that fraction of the
//     colour mass; the fraction rho_i of each source bin it moves is
//     extended to every colour by kernel regression, and a colour becomes
//     x + rho(x) (T(x) - x): colours with no counterpart in the target stay.
//   - Sliced: the iterative distribution transfer of Pitie, Kokaram and
//     Dahyot (2007): random rotations, 1-D optimal transport along each
//     axis (sorted matching), repeated (default 30 rotations). It matches
//     the whole colour distribution, not only its mean and covariance.
//   - Exact: exact OT between Subsample pixels of each image (an
//     assignment, solvers/exact), extended to every pixel by
//     Nadaraya-Watson regression of the displacements with a Gaussian
//     kernel exp(-|x - x_i|^2/eps) (one SoftMean).
//
// # Patch transport (Transfer)
//
// The patches of the source image are transported onto those of the
// target and the transported patches folded into a new image: the source's
// layout rendered with the target's patch statistics (texture and colour).
// At each level:
//
//  1. Unfold both images (GatherSum).
//  2. If ProjectDim < 3 k^2, project all patches on the leading principal
//     components of the two patch sets pooled (covariance by MatMul on the
//     Backend, eigenvectors on the host with gonum) and compute costs
//     there. This is how 768-value patches meet the Backend's SoftMin cap
//     of compute.MaxDim = 256 dimensions; by default (64 components) it
//     also makes every cost evaluation cheaper. The kept variance is
//     reported (LevelResult.Explained, ~0.99 on the shipped photographs).
//  3. Solve entropic OT (or partial OT with Mass < 1) between at most
//     MaxPatches patches of each image, drawn uniformly (solvers/ot, or
//     solvers/kernel's tiers with Settings.Tier). eps defaults to 3% of the
//     target patches' spread 2 tr Cov.
//  4. Map every source patch by the entropic map of the plan: weights
//     from the projected costs, values the full target patches (SoftMean,
//     in blocks of 256 values for wide patches). Partial blends as for
//     colours.
//  5. Fold (average overlaps).
//
// Multi-scale: with Levels > 1 the images are halved Levels - 1 times;
// the coarsest level is transported first, and each finer level starts
// from its own source plus the upsampled change the coarser level made
// (a Laplacian-pyramid transfer: coarse structure from the coarse plan,
// fine detail kept and then transported at full resolution).
//
// # Patch-OT guided sampling (GuidedModel)
//
// GuidedModel wraps any diffusion.Model (data prediction out) for the
// samplers of solvers/diffusion, in the spirit of SPOT: at each
// evaluation the patches (default 3 x 3, stride 1) of the state at data
// scale, x_t / alpha_t, pooled over the batch, are transported by entropic
// partial OT (default mass 0.8) onto the patches of the model's denoised
// estimate D(x_t); where the plan moves a patch it becomes its
// barycentric image, elsewhere the model's own patch stands; the folded
// result is blended into D(x_t) with Weight (default 0.3). No extra model
// evaluations: the NFE is the plain sampler's.
//
// Measured effect (BenchmarkGuidedSampling on the H100: 256 digits by
// DDIM from the exact denoiser of 1000 training digits, SW_2 to the 797
// held-out digits, lower is better, same noise):
//
//	NFE  plain   default  Weight 0.6  Mass 1   TMax 0.5
//	  5  0.0995  0.1013   0.1123      0.0953   0.1044
//	 11  0.0902  0.0906   0.1006      0.0951   0.0917
//	 26  0.0896  0.0907   0.0966      0.0966   0.0911
//
// So far guidance does not improve this metric, except balanced guidance
// (Mass 1) at the fewest steps (-4%); it is offered as an option to study,
// not a recommended default.
//
// # Errors
//
// Bad geometry (patch larger than an image, stride < 1 or > size, size
// outside [1, 16], empty images, too many patch values) wraps
// ErrGeometry; bad settings wrap ErrSettings; image errors come from
// solvers/imageio (whose size cap is 16 Mpixel and 16384 per side).
package patch
