// Package remote is the compute.Backend of a page that computes on the
// otplay server's device: the arrays live on the server, the ops run there
// on the server's backend (compute/webgpu on its GPU, or the fast CPU
// backend), and the page sees only the numbers it reads. It is how a
// browser without WebGPU, or with only a software adapter, uses the
// machine's GPU: `otplay serve` offers it, a page asks for it with
// ?backend=native (backend=auto takes it when the server has a hardware
// GPU and the browser does not, and whenever the browser has no WebGPU at
// all), and the badge then reads "native: <adapter>".
//
// # Client
//
// Open asks the server for a session (SessionPath) and returns a Backend.
// The same code runs natively (net/http) and in the wasm, where it calls
// the browser's fetch directly (transport_js.go: Go's net/http client
// would add 5.4 MB to the wasm). Designed for latency:
//
//   - Array ids are chosen by the client, so Alloc and Upload return at
//     once: nothing waits for the server to name the array.
//   - Ops that return nothing (Alloc, Upload, Write, Copy, Free, SoftMin,
//     SoftMean, Map, MatMul, GatherSum, SortRows, Uniform, Normal) are
//     queued. Read, Sum and Flush send the queue as one batch and wait
//     for its answer: one round trip. A Sinkhorn iteration with its
//     residual check (two soft-mins, a few maps, one Sum) is one round
//     trip; iterations between checks cost none (server tests:
//     TestRemoteSinkhornRoundTrips).
//   - Info answers from what the server said when the session began (no
//     round trip).
//   - Arguments are validated on the client with the compute package's
//     validators, so misuse fails at the call as on every backend. What
//     only the server can see (GatherSum's index values, the device's own
//     errors) fails at the next flush, naming the op and its place:
//     "remote GatherSum (queued op 6 of 7): compute: bad argument: ...";
//     errors.Is finds compute.ErrBadArgument, compute.ErrTooLarge,
//     compute.ErrDeviceLost and ErrLimit across the wire. Ops after a
//     failed one in the same batch do not run.
//   - When the server cannot be reached, or has ended the session, every
//     later call fails with compute.ErrDeviceLost ("the otplay server is
//     gone"): the pages treat that like a lost GPU and move to the wasm
//     CPU backend, saying why.
//   - An idle session is kept alive by an empty batch every third of the
//     server's idle timeout (which also sends whatever is queued; a
//     failure there is returned by the next flush).
//
// # Wire format
//
// Plain HTTP POST with a compact little-endian binary body: no WebSocket
// library on either side. A request frame is "OTR1", the op count
// (uint32), then each op: its code (uint8) and its fields (array ids as
// uint32 with 0 for nil, sizes as int64, eps and Map's A, B, C as
// float64, seeds as uint64; SoftMin and SoftMean end their pairs with
// the ground cost: its power P as float64, the cost matrix's id and the
// Transposed flag as one byte, see cost.go). Values travel as a count (uint32), an
// encoding (4 or 8) and the values: 4 bytes each when every value is
// exactly a float32 (always so for a float32 device's reads), else 8, so
// the transfer is lossless and a float64 server backend gives the same
// bits as a direct call. A response is "OTR1", a status byte, and either
// the answers of the batch's Reads and Sums in order, or the failing op's
// index, code, error kind and message.
//
// # Server side
//
// Session executes the batches of one client on a local compute.Backend,
// holding its arrays by id and enforcing its Limits (bytes of arrays and
// number of arrays alive, DefaultMaxBytes and DefaultMaxArrays), whatever
// the client believes; malformed frames are failures, never panics
// (TestSessionMalformedFrames). Close frees every array. The HTTP layer,
// tokens, origin checks, idle timeout and the cap on sessions are
// server/remote.go's.
//
// # Measured
//
// On a 2-core shared Debian VM with no GPU, heavily loaded by other work
// (load average near 20), so the figures are ranges:
//
//   - A round trip that reads one number, Go client to the server over
//     loopback: 45-65 µs (server BenchmarkRoundTrip). From a page in
//     headless Chromium (fetch POST of an empty batch): 2.9-11 ms, medians
//     6-10 ms (e2e TestNativeTimings; Chromium's own cost dominates).
//   - A Sinkhorn iteration with its check at n = m = 1000 in the page
//     (/ot, one Step, four runs): native on the server's lavapipe
//     14-184 ms (medians 17-50 ms, 118 ms in the most loaded run), native
//     on the server's cpu32 11-28 ms (medians 18-22 ms), the browser's
//     SwiftShader WebGPU 15-282 ms (medians 34-113 ms), the wasm CPU
//     backend 250-1750 ms (medians 400-1200 ms).
//   - Payload of one checked Sinkhorn iteration: 936 bytes up (the ops),
//     13 bytes down (the residual's sum); the points go up once (n = 1000,
//     d = 2: 16 kB in float64). A whole /ot Step at n = 1000, views
//     included, took 8 round trips, 118 kB up and 47 kB down (93 kB from
//     a cpu32 server, whose values are not float32-exact): the views
//     upload the clouds and potentials again for each frame (solvers/ot's
//     Result.upload).
//   - The quick conformance suite (136 checks) from the page through
//     remote on lavapipe: 25 s, most of it the float64 references in the
//     single-threaded wasm; natively through remote: 130 round trips,
//     12.5 MB up, 1.1 MB down.
//
// Fetch rather than a WebSocket: an iteration is one round trip; fetch
// needs no library in the wasm or on the server; and on this loaded
// machine the page's round trip (medians 6-10 ms) is within the noise of
// the iteration itself. A WebSocket would save part of Chromium's
// per-request cost; measure on a quiet machine before switching.
//
// A session's idle timeout (60 s by default) is met only by a page that
// stops sending keep-alives: a crashed tab, or one hidden long enough
// for the browser to throttle its timers to once a minute (Chromium does
// so after 5 minutes hidden). Such a page finds its session gone and
// moves to the CPU, saying why.
package remote
