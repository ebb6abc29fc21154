package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/otplay/otplay/compute"
)

// Options configure a client Backend. Zero values mean the defaults.
type Options struct {
	// KeepAlive is the interval of the empty batches that keep an idle
	// session alive (a third of the server's idle timeout); negative
	// disables them.
	KeepAlive time.Duration
	// FlushBytes flushes the queue once this many bytes of ops wait in it
	// (8 MiB), so that a long run of uploads does not pile up in memory.
	FlushBytes int
}

// Stats count a client's traffic.
type Stats struct {
	RoundTrips    int   // batches sent (keep-alives included)
	Ops           int   // ops sent
	BytesSent     int64 // request bodies
	BytesReceived int64 // response bodies
}

// Backend is a compute.Backend whose arrays live on an otplay server and
// whose ops run there, on the server's backend. Ops that return nothing
// are queued and sent as one batch when numbers are needed (Read, Sum, or
// Flush); errors of queued ops surface there, naming the op. Arguments are
// validated on the client, so misuse fails at the call as on every other
// backend.
//
// When the server cannot be reached, or has ended the session, every call
// fails with an error wrapping compute.ErrDeviceLost ("the otplay server
// is gone"): the pages treat it as a lost device and move to their CPU
// backend.
type Backend struct {
	base   string
	token  string
	info   compute.Info
	sinfo  SessionInfo
	opts   Options
	stopKA chan struct{}

	mu     sync.Mutex
	queue  encoder
	ops    []opcode // the queued ops, for naming a failure
	nextID uint32
	bytes  int64 // client-side view of the session's bytes, for early limit errors
	arrays int
	lost   error
	// deferred is the failure of a batch a keep-alive sent, returned by
	// the next flush.
	deferred error
	closed   bool
	stats    Stats
	elem     int64
	waiting  []func(d *decoder) // answers of the queued Reads and Sums, in order
}

// array is a client handle: an id the server knows, and a length.
type array struct {
	id    uint32
	n     int
	owner *Backend
}

func (a *array) Len() int { return a.n }

// Open asks the server at base ("http://127.0.0.1:8080") for a session
// and returns the backend that drives it.
func Open(ctx context.Context, base string, opts Options) (*Backend, error) {
	if opts.FlushBytes <= 0 {
		opts.FlushBytes = 8 << 20
	}
	base = strings.TrimSuffix(base, "/")
	resp, err := post(ctx, base, SessionPath, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", compute.ErrDeviceLost, serverGone, err)
	}
	body := resp.body
	if len(body) > 1<<16 {
		body = body[:1<<16]
	}
	if resp.status != statusOK {
		return nil, fmt.Errorf("remote: the server refused a session: %s: %s", resp.statusLine(), strings.TrimSpace(string(body)))
	}
	var si SessionInfo
	if err := json.Unmarshal(body, &si); err != nil || si.Token == "" {
		return nil, fmt.Errorf("remote: the server's session answer is not understood (%v): %.200s", err, body)
	}
	b := &Backend{
		base: base, token: si.Token, sinfo: si, opts: opts,
		info: compute.Info{Name: "native", Device: si.Device, API: si.API + " (otplay server)",
			Precision: si.Precision, MaxArray: si.MaxArray, Notes: si.Notes},
		elem: 8,
	}
	if si.Precision == "float32" {
		b.elem = 4
	}
	b.resetQueue()
	ka := opts.KeepAlive
	if ka == 0 {
		ka = time.Duration(si.IdleSeconds * float64(time.Second) / 3)
	}
	if ka > 0 {
		b.stopKA = make(chan struct{})
		go b.keepAlive(ka)
	}
	return b, nil
}

// serverGone is the message of every connection failure.
const serverGone = "the otplay server is gone"

// Session returns the session the server issued (token, device, limits).
func (b *Backend) Session() SessionInfo { return b.sinfo }

// CloseURL is where navigator.sendBeacon posts the token when the page
// goes away.
func (b *Backend) CloseURL() string { return b.base + ClosePath }

// Stats returns the traffic so far.
func (b *Backend) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stats
}

// Info describes the server's backend, as the server reported it when the
// session began (no round trip). Name is "native".
func (b *Backend) Info() compute.Info { return b.info }

func (b *Backend) resetQueue() {
	b.queue.b = append(b.queue.b[:0], frameMagic[:]...)
	b.queue.u32(0) // op count, patched in flush
	b.ops = b.ops[:0]
	b.waiting = b.waiting[:0]
}

// usable returns why the backend cannot take ops, if it cannot.
func (b *Backend) usable() error {
	switch {
	case b.closed:
		return fmt.Errorf("%w: remote backend closed", compute.ErrBadArgument)
	case b.lost != nil:
		return b.lost
	}
	return nil
}

// own checks that a belongs to this backend and returns its handle; nil
// gives id 0.
func (b *Backend) own(a compute.Array, what string) (uint32, error) {
	if a == nil {
		return 0, nil
	}
	h, ok := a.(*array)
	if !ok || h.owner != b {
		return 0, fmt.Errorf("%w: %s belongs to another backend", compute.ErrBadArgument, what)
	}
	if h.id == 0 {
		return 0, fmt.Errorf("%w: %s was freed", compute.ErrBadArgument, what)
	}
	return h.id, nil
}

// enqueue starts an op; the caller then appends its fields to b.queue.
func (b *Backend) enqueue(op opcode) {
	b.ops = append(b.ops, op)
	b.queue.u8(uint8(op))
}

// maybeFlush sends the queue once it holds FlushBytes.
func (b *Backend) maybeFlush() error {
	if len(b.queue.b) >= b.opts.FlushBytes {
		return b.flushLocked()
	}
	return nil
}

// Flush sends the queued ops and waits for them; it returns the first
// failure among them.
func (b *Backend) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.usable(); err != nil {
		return err
	}
	return b.flushLocked()
}

func (b *Backend) flushLocked() error {
	if err := b.deferred; err != nil {
		b.deferred = nil
		b.resetQueue()
		return err
	}
	if len(b.ops) == 0 {
		return nil
	}
	ops := append([]opcode(nil), b.ops...)
	waiting := append([]func(d *decoder){}, b.waiting...)
	frame := b.queue.b
	putU32(frame[4:8], uint32(len(ops)))
	b.stats.RoundTrips++
	b.stats.Ops += len(ops)
	b.stats.BytesSent += int64(len(frame))
	resp, err := b.post(frame)
	b.resetQueue()
	if err != nil {
		return err
	}
	b.stats.BytesReceived += int64(len(resp))
	d := &decoder{b: resp}
	d.magic()
	status := d.u8()
	if d.err != nil {
		return fmt.Errorf("remote: bad answer from the server: %w", d.err)
	}
	if status != 0 {
		i, op, kind, msg := int(d.u32()), opcode(d.u8()), d.u8(), d.str()
		if i < len(ops) && op == 0 {
			op = ops[i]
		}
		err := remoteError(kind, fmt.Sprintf("remote %v (queued op %d of %d)", op, i+1, len(ops)), msg)
		if kind == kindDeviceLost {
			b.lost = err
		}
		return err
	}
	for _, w := range waiting {
		w(d)
	}
	if d.err != nil {
		return fmt.Errorf("remote: bad answer from the server: %w", d.err)
	}
	return nil
}

// remoteError rebuilds a server-side error so that errors.Is finds the
// compute package's sentinel; the message keeps the server's text.
func remoteError(kind uint8, where, msg string) error {
	var sentinel error
	switch kind {
	case kindBadArgument:
		sentinel = compute.ErrBadArgument
	case kindTooLarge:
		sentinel = compute.ErrTooLarge
	case kindDeviceLost:
		sentinel = compute.ErrDeviceLost
	case kindLimit:
		sentinel = ErrLimit
	}
	if sentinel == nil {
		return fmt.Errorf("%s: %s", where, msg)
	}
	msg = strings.TrimPrefix(msg, sentinel.Error()+": ")
	return fmt.Errorf("%s: %w: %s", where, sentinel, msg)
}

// post sends one frame to BatchPath and returns the answer's body.
// Failing to reach the server, or a session the server no longer knows,
// is compute.ErrDeviceLost, and sticks.
func (b *Backend) post(frame []byte) ([]byte, error) {
	resp, err := post(context.Background(), b.base, BatchPath, map[string]string{
		TokenHeader: b.token, "Content-Type": "application/octet-stream"}, frame)
	if err != nil {
		b.lost = fmt.Errorf("%w: %s (%v)", compute.ErrDeviceLost, serverGone, err)
		return nil, b.lost
	}
	switch resp.status {
	case statusOK:
		return resp.body, nil
	case statusGone, statusUnauthorized:
		b.lost = fmt.Errorf("%w: the otplay server ended this page's session (%s)", compute.ErrDeviceLost, strings.TrimSpace(string(resp.body)))
		return nil, b.lost
	}
	return nil, fmt.Errorf("remote: the server answered %s: %s", resp.statusLine(), strings.TrimSpace(string(resp.body)))
}

func putU32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

// keepAlive sends an empty batch every interval while the session is
// open and idle, so that a page the user is reading keeps its arrays.
func (b *Backend) keepAlive(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-b.stopKA:
			return
		case <-t.C:
		}
		b.mu.Lock()
		if b.closed || b.lost != nil {
			b.mu.Unlock()
			return // nothing left to keep alive
		}
		if b.deferred == nil {
			// Queued ops go with it; their failure waits for the next
			// call that flushes.
			b.enqueue(opNone)
			b.deferred = b.flushLocked()
		}
		b.mu.Unlock()
	}
}

// Alloc queues the allocation of a zeroed array of n elements. The size
// is checked here against the server's MaxArray and the session's byte and
// array limits.
func (b *Backend) Alloc(n int) (compute.Array, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.allocLocked(n)
}

func (b *Backend) allocLocked(n int) (*array, error) {
	if err := b.usable(); err != nil {
		return nil, err
	}
	switch {
	case n < 0 || n > b.info.MaxArray:
		return nil, fmt.Errorf("%w: %d elements (the server's limit is %d)", compute.ErrTooLarge, n, b.info.MaxArray)
	case b.arrays >= b.sinfo.MaxArrays:
		return nil, fmt.Errorf("%w: %d arrays alive, the most a session may hold", ErrLimit, b.sinfo.MaxArrays)
	case b.bytes+int64(n)*b.elem > b.sinfo.MaxBytes:
		return nil, fmt.Errorf("%w: %d more bytes would bring the session to %d, over its %d", ErrLimit, int64(n)*b.elem, b.bytes+int64(n)*b.elem, b.sinfo.MaxBytes)
	}
	b.nextID++
	a := &array{id: b.nextID, n: n, owner: b}
	b.enqueue(opAlloc)
	b.queue.u32(a.id)
	b.queue.int(n)
	b.bytes += int64(n) * b.elem
	b.arrays++
	return a, nil
}

// Upload queues an allocation and a write of src.
func (b *Backend) Upload(src []float64) (compute.Array, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	a, err := b.allocLocked(len(src))
	if err != nil {
		return nil, err
	}
	b.enqueue(opWrite)
	b.queue.u32(a.id)
	b.queue.values(src)
	return a, b.maybeFlush()
}

// Write queues a copy of src into dst.
func (b *Backend) Write(dst compute.Array, src []float64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.usable(); err != nil {
		return err
	}
	id, err := b.own(dst, "write destination")
	if err != nil {
		return err
	}
	if dst == nil || dst.Len() != len(src) {
		return fmt.Errorf("%w: write: %d values into an array of %d", compute.ErrBadArgument, len(src), lengthOf(dst))
	}
	b.enqueue(opWrite)
	b.queue.u32(id)
	b.queue.values(src)
	return b.maybeFlush()
}

func lengthOf(a compute.Array) int {
	if a == nil {
		return 0
	}
	return a.Len()
}

// Read sends the queue with a read of src and waits for the values.
func (b *Backend) Read(dst []float64, src compute.Array) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.usable(); err != nil {
		return err
	}
	id, err := b.own(src, "read source")
	if err != nil {
		return err
	}
	if src == nil || src.Len() != len(dst) {
		return fmt.Errorf("%w: read: array of %d into %d values", compute.ErrBadArgument, lengthOf(src), len(dst))
	}
	b.enqueue(opRead)
	b.queue.u32(id)
	var got []float64
	b.waiting = append(b.waiting, func(d *decoder) { got = d.values(len(dst)) })
	if err := b.flushLocked(); err != nil {
		return err
	}
	if len(got) != len(dst) {
		return fmt.Errorf("remote: read %d values from the server, want %d", len(got), len(dst))
	}
	copy(dst, got)
	return nil
}

// Sum sends the queue with a sum of x and waits for it.
func (b *Backend) Sum(x compute.Array) (float64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.usable(); err != nil {
		return 0, err
	}
	if x == nil {
		return 0, fmt.Errorf("%w: sum: nil array", compute.ErrBadArgument)
	}
	id, err := b.own(x, "sum operand")
	if err != nil {
		return 0, err
	}
	b.enqueue(opSum)
	b.queue.u32(id)
	var sum float64
	b.waiting = append(b.waiting, func(d *decoder) { sum = d.f64() })
	err = b.flushLocked()
	return sum, err
}

// Copy queues dst = src.
func (b *Backend) Copy(dst, src compute.Array) error {
	return b.queueOp(opCopy, func(e *encoder, id func(compute.Array, string) uint32) error {
		if dst == nil || src == nil || dst.Len() != src.Len() {
			return fmt.Errorf("%w: copy: lengths %d and %d differ", compute.ErrBadArgument, lengthOf(dst), lengthOf(src))
		}
		e.u32(id(dst, "copy destination"))
		e.u32(id(src, "copy source"))
		return nil
	})
}

// Free queues the release of a. Free(nil) is a no-op.
func (b *Backend) Free(a compute.Array) {
	b.mu.Lock()
	defer b.mu.Unlock()
	h, ok := a.(*array)
	if !ok || h == nil || h.owner != b || h.id == 0 {
		return
	}
	if b.usable() == nil {
		b.enqueue(opFree)
		b.queue.u32(h.id)
	}
	b.bytes -= int64(h.n) * b.elem
	b.arrays--
	h.id = 0
}

// queueOp validates and queues one op whose fields fill writes; id
// resolves arrays (recording the first foreign or freed one as the error).
func (b *Backend) queueOp(op opcode, fill func(e *encoder, id func(compute.Array, string) uint32) error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.usable(); err != nil {
		return err
	}
	var fields encoder
	var bad error
	id := func(a compute.Array, what string) uint32 {
		v, err := b.own(a, what)
		if err != nil && bad == nil {
			bad = err
		}
		return v
	}
	if err := fill(&fields, id); err != nil {
		return err
	}
	if bad != nil {
		return bad
	}
	b.enqueue(op)
	b.queue.b = append(b.queue.b, fields.b...)
	return b.maybeFlush()
}

func encodePairs(e *encoder, p compute.Pairs, id func(compute.Array, string) uint32) {
	e.u32(id(p.X, "pairs X"))
	e.u32(id(p.Y, "pairs Y"))
	e.int(p.N)
	e.int(p.M)
	e.int(p.D)
	e.u32(id(p.LogW, "pairs LogW"))
	e.u32(id(p.G, "pairs G"))
	e.f64(p.Eps)
	encodeCost(e, p.Cost, id)
}

// SoftMin queues the soft-min of compute.Backend.SoftMin (Feydy et al.
// 2019, eq. (8)); the server's backend computes it.
func (b *Backend) SoftMin(dst compute.Array, p compute.Pairs) error {
	return b.queueOp(opSoftMin, func(e *encoder, id func(compute.Array, string) uint32) error {
		if err := compute.ValidateSoftMin(dst, p); err != nil {
			return err
		}
		e.u32(id(dst, "softmin destination"))
		encodePairs(e, p, id)
		return nil
	})
}

// SoftMean queues the softmax-weighted mean of compute.Backend.SoftMean
// (the entropic map of Pooladian and Niles-Weed 2021, eq. (3), with V = Y).
func (b *Backend) SoftMean(dst compute.Array, p compute.Pairs, v compute.Array, dv int) error {
	return b.queueOp(opSoftMean, func(e *encoder, id func(compute.Array, string) uint32) error {
		if err := compute.ValidateSoftMean(dst, p, v, dv); err != nil {
			return err
		}
		e.u32(id(dst, "softmean destination"))
		encodePairs(e, p, id)
		e.u32(id(v, "softmean values"))
		e.int(dv)
		return nil
	})
}

// SoftMeanY queues compute.Backend.SoftMeanY as the server's SoftMean of
// V = Y followed, for c != 1, by a Map scaling it by c (two ops of the
// existing protocol; the server's backend reads Y once for both where it
// can).
func (b *Backend) SoftMeanY(dst compute.Array, p compute.Pairs, c float64) error {
	if err := compute.ValidateSoftMeanY(dst, p, c); err != nil {
		return err
	}
	if err := b.SoftMean(dst, p, p.Y, p.D); err != nil {
		return err
	}
	if c == 1 {
		return nil
	}
	return b.Map(dst, compute.MapArgs{Op: compute.OpAxpby, X: dst, A: c})
}

// Map queues an element-wise op (compute.Op).
func (b *Backend) Map(dst compute.Array, a compute.MapArgs) error {
	return b.queueOp(opMap, func(e *encoder, id func(compute.Array, string) uint32) error {
		if err := compute.ValidateMap(dst, a); err != nil {
			return err
		}
		e.u32(id(dst, "map destination"))
		e.u32(id(a.X, "map X"))
		e.u32(id(a.Y, "map Y"))
		e.u8(uint8(a.Op))
		e.int(a.YDiv)
		e.int(a.YMod)
		e.f64(a.A)
		e.f64(a.B)
		e.f64(a.C)
		return nil
	})
}

// MatMul queues dst = op(A) op(B).
func (b *Backend) MatMul(dst, a, bm compute.Array, n, k, m int, transA, transB bool) error {
	return b.queueOp(opMatMul, func(e *encoder, id func(compute.Array, string) uint32) error {
		if err := compute.ValidateMatMul(dst, a, bm, n, k, m); err != nil {
			return err
		}
		e.u32(id(dst, "matmul destination"))
		e.u32(id(a, "matmul A"))
		e.u32(id(bm, "matmul B"))
		e.int(n)
		e.int(k)
		e.int(m)
		e.bool(transA)
		e.bool(transB)
		return nil
	})
}

// GatherSum queues dst[i] = sum_t src[idx[i*k+t]]; index values are
// checked on the server, so a bad one fails at the next flush.
func (b *Backend) GatherSum(dst, src, idx compute.Array, k int) error {
	return b.queueOp(opGatherSum, func(e *encoder, id func(compute.Array, string) uint32) error {
		if err := compute.ValidateGatherSum(dst, src, idx, k); err != nil {
			return err
		}
		e.u32(id(dst, "gathersum destination"))
		e.u32(id(src, "gathersum source"))
		e.u32(id(idx, "gathersum indices"))
		e.int(k)
		return nil
	})
}

// SortRows queues an ascending sort of each row.
func (b *Backend) SortRows(x compute.Array, rows, cols int) error {
	return b.queueOp(opSortRows, func(e *encoder, id func(compute.Array, string) uint32) error {
		if x == nil || rows < 1 || cols < 1 || x.Len() != rows*cols {
			return fmt.Errorf("%w: sortrows: array of %d is not %d x %d", compute.ErrBadArgument, lengthOf(x), rows, cols)
		}
		e.u32(id(x, "sortrows array"))
		e.int(rows)
		e.int(cols)
		return nil
	})
}

// Uniform queues the Philox4x32-10 uniform stream (compute.UniformAt).
func (b *Backend) Uniform(dst compute.Array, seed, offset uint64) error {
	return b.rng(opUniform, dst, seed, offset)
}

// Normal queues the Philox4x32-10 Box-Muller normal stream
// (compute.NormalAt).
func (b *Backend) Normal(dst compute.Array, seed, offset uint64) error {
	return b.rng(opNormal, dst, seed, offset)
}

func (b *Backend) rng(op opcode, dst compute.Array, seed, offset uint64) error {
	return b.queueOp(op, func(e *encoder, id func(compute.Array, string) uint32) error {
		if dst == nil {
			return fmt.Errorf("%w: %v: nil array", compute.ErrBadArgument, op)
		}
		e.u32(id(dst, strings.ToLower(op.String())+" destination"))
		e.u64(seed)
		e.u64(offset)
		return nil
	})
}

// Close sends what is queued, ends the session (the server frees its
// arrays) and stops the keep-alives. It returns the queue's failure, if
// any; a server that is already gone is not an error here.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	var err error
	if b.lost == nil {
		err = b.flushLocked()
		post(context.Background(), b.base, ClosePath, nil, []byte(b.token))
	}
	if errors.Is(err, compute.ErrDeviceLost) {
		err = nil
	}
	b.closed = true
	if b.stopKA != nil {
		close(b.stopKA)
	}
	return err
}
