// Package figure is otplay's plot model: a Figure of data layers (point
// sets, line sets with per-segment opacity, curves, heatmaps) in a data
// window, laid out with axes a reader can read off and drawn onto any
// Canvas2D: the browser's canvas (package ui), an SVG document (WriteSVG,
// used by the command line) or a Recorder (tests). It imports nothing of
// the project and no UI framework.
//
// # What a figure shows
//
// Layout places, for a Figure of Width x Height CSS pixels:
//   - the data area, framed, with a light grid at the labelled ticks;
//   - ticks on both axes: LinearTicks, the extended Wilkinson search of
//     Talbot, Lin and Hanrahan (2010, doi:10.1109/TVCG.2010.130), the same
//     labels as gonum.org/v1/plot's DefaultTicks (a test checks them
//     against it), thinned until x labels stand 8 px apart; on a log axis
//     (LogX, LogY) LogTicks labels powers of ten as 10ᵏ in superscript
//     digits ("10⁻³"), with 2×10ᵏ and 5×10ᵏ inside a single decade and the
//     data values themselves on narrower ranges — never "1e-1.34";
//   - Title above, XLabel below, YLabel turned along the y axis;
//   - one colourbar per heatmap right of the data area: a Viridis strip
//     over the heatmap's Range (Min..Max, or its finite values) with its
//     own ticks and the heatmap's Label as title;
//   - the legend outside the data (right of it, or above it when that
//     leaves the data more room), each entry with its layer's own glyph:
//     a dot for a point set, a segment (with its dash) for a curve or a
//     line set;
//   - for a figure with no drawable point yet, its axes and a note
//     (EmptyNote, "no data yet — press Step or Play", or Figure.Note).
//
// Margins are measured from the text they hold (TextWidth, DejaVu Sans
// metrics, a little wider than Arial's), so no label overlaps another,
// the data area or a colourbar, at desktop sizes and at phone width (the
// tests lay out sample figures at both and check every pair of label
// boxes). Layout.Labels lists every text with its box and role;
// Layout.TickLabels is the summary the browser puts in data-ticks.
//
// Under EqualAspect the window widens along the axis with room to spare
// so one data unit is as long on both axes and the frame is filled.
// NaN and infinite coordinates are skipped (a gap in a curve), as are
// non-positive values on a log axis.
//
// # Reading a figure back
//
// Transform maps plotted coordinates (data, or log10 of data on a log
// axis) to canvas pixels and Inverse maps them back; Hover turns a canvas
// pixel into a Readout: its data coordinates, the nearest point of a
// point set or curve within HoverRadius pixels, and the value of the
// heatmap cell under it, with a one-line Text for a tooltip.
//
// # Output
//
// Draw (or DrawWithLayout, with a layout already computed) issues the
// drawing calls; WriteSVG writes the same drawing as a standalone SVG
// document (texts stay text, heatmap cells become rectangles), and
// WriteSVGPanels puts several figures on one sheet under a title.
//
// # Cost
//
// Measured on this 2-core shared Debian VM (no GPU, noisy): laying out a
// 520 x 220 log chart of 1,000 points takes 0.06 to 0.3 ms
// (BenchmarkLayout); the browser lays a figure out only when it changed.
// The package and the Plot component over it added 129 KB (36 KB
// gzipped) to the playground's wasm (then 12.34 MB, 3.20 MB gzipped).
//
// The package does not import gonum.org/v1/plot itself: that package
// loads its fonts at init, which would add about 7.8 MB (3.4 MB gzipped)
// to the browser's wasm (measured on this 2-core Debian VM with Go 1.26);
// the tick search here is its algorithm, and its DefaultTicks is the
// reference the tests compare against.
package figure
