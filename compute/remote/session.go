package remote

import (
	"errors"
	"fmt"
	"sync"

	"github.com/otplay/otplay/compute"
)

// Default session limits (Limits' zero values).
const (
	// DefaultMaxBytes is 1 GiB of arrays per session: an n = 1e6, d = 3
	// Sinkhorn (x, y, f, g, weights: about 10 n floats) needs 40 MB in
	// float32, so a page never meets it by accident, while a runaway loop
	// of allocations stops long before the device does.
	DefaultMaxBytes = 1 << 30
	// DefaultMaxArrays: a solver holds tens of arrays; thousands mean a
	// leak.
	DefaultMaxArrays = 4096
)

// Limits bound one session's use of the server's backend. Zero fields
// mean the defaults.
type Limits struct {
	MaxBytes  int64 // bytes of arrays alive at once (elements times 4 or 8, the backend's precision)
	MaxArrays int   // arrays alive at once
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxArrays <= 0 {
		l.MaxArrays = DefaultMaxArrays
	}
	return l
}

// Session is the server side of one client: the arrays it allocated on
// the server's backend, keyed by the ids the client chose, and the
// executor of its batches. The HTTP layer (server/remote.go) issues
// tokens and maps them to sessions; a Session knows nothing of HTTP.
type Session struct {
	backend compute.Backend
	lock    sync.Locker // shared by every session on backend (a Backend is not safe for concurrent use)
	limits  Limits
	elem    int64 // bytes per element on backend

	arrays map[uint32]compute.Array
	bytes  int64
	closed bool
}

// NewSession starts a session on b. lock serialises the sessions that
// share b (nil: b is this session's alone).
func NewSession(b compute.Backend, lock sync.Locker, lim Limits) *Session {
	if lock == nil {
		lock = &sync.Mutex{}
	}
	elem := int64(8)
	if b.Info().Precision == "float32" {
		elem = 4
	}
	return &Session{backend: b, lock: lock, limits: lim.withDefaults(), elem: elem, arrays: map[uint32]compute.Array{}}
}

// Limits returns the session's limits, defaults filled in.
func (s *Session) Limits() Limits { return s.limits }

// Usage returns the bytes and the number of arrays the session holds.
func (s *Session) Usage() (bytes int64, arrays int) {
	s.lock.Lock()
	defer s.lock.Unlock()
	return s.bytes, len(s.arrays)
}

// Close frees every array of the session; later batches fail. Closing
// twice is harmless.
func (s *Session) Close() {
	s.lock.Lock()
	defer s.lock.Unlock()
	for id, a := range s.arrays {
		s.backend.Free(a)
		delete(s.arrays, id)
	}
	s.bytes = 0
	s.closed = true
}

// opError is the failure of one op of a batch.
type opError struct {
	index int
	op    opcode
	err   error
}

// Execute runs a request frame's ops in order and returns the response
// frame: the answers of its Read and Sum ops, or the first failure (the
// op's index and name, the error's kind and message), after which no
// later op of the batch runs. It never panics on a malformed frame: that
// is a failure too.
func (s *Session) Execute(frame []byte) []byte {
	s.lock.Lock()
	defer s.lock.Unlock()
	var out encoder
	out.b = append(out.b, frameMagic[:]...)
	results, oe := s.run(frame)
	if oe != nil {
		out.u8(1)
		out.u32(uint32(oe.index))
		out.u8(uint8(oe.op))
		out.u8(errorKind(oe.err))
		out.str(oe.err.Error())
		return out.b
	}
	out.u8(0)
	out.b = append(out.b, results...)
	return out.b
}

func (s *Session) run(frame []byte) (results []byte, oe *opError) {
	d := &decoder{b: frame}
	d.magic()
	n := int(d.u32())
	if d.err != nil {
		return nil, &opError{index: 0, err: d.err}
	}
	if s.closed {
		return nil, &opError{err: fmt.Errorf("%w: the session is closed", compute.ErrDeviceLost)}
	}
	var res encoder
	for i := 0; i < n; i++ {
		op := opcode(d.u8())
		err := s.exec(op, d, &res)
		if err == nil && d.err != nil {
			err = fmt.Errorf("malformed frame: %w", d.err)
		}
		if err != nil {
			return nil, &opError{index: i, op: op, err: err}
		}
	}
	if len(d.b) != 0 {
		return nil, &opError{index: n, err: fmt.Errorf("malformed frame: %d bytes after the last op", len(d.b))}
	}
	return res.b, nil
}

// array resolves an id; 0 is nil (an absent optional operand).
func (s *Session) array(d *decoder, optional bool) (compute.Array, error) {
	id := d.u32()
	if d.err != nil {
		return nil, nil // reported by the caller
	}
	if id == 0 {
		if optional {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: a required array is missing", compute.ErrBadArgument)
	}
	a, ok := s.arrays[id]
	if !ok {
		return nil, fmt.Errorf("%w: array %d is unknown (freed, or its Alloc failed)", compute.ErrBadArgument, id)
	}
	return a, nil
}

// arrays resolves several ids, stopping at the first error.
func (s *Session) arraysOf(d *decoder, optional ...bool) ([]compute.Array, error) {
	out := make([]compute.Array, len(optional))
	for i, opt := range optional {
		a, err := s.array(d, opt)
		if err != nil {
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

func (s *Session) pairs(d *decoder) (compute.Pairs, error) {
	xy, err := s.arraysOf(d, true, true) // nil with a cost matrix
	if err != nil {
		return compute.Pairs{}, err
	}
	p := compute.Pairs{X: xy[0], Y: xy[1], N: d.int(), M: d.int(), D: d.int()}
	wg, err := s.arraysOf(d, true, true)
	if err != nil {
		return compute.Pairs{}, err
	}
	p.LogW, p.G = wg[0], wg[1]
	p.Eps = d.f64()
	p.Cost, err = s.cost(d)
	return p, err
}

func (s *Session) exec(op opcode, d *decoder, res *encoder) error {
	switch op {
	case opNone:
		return nil
	case opAlloc:
		id, n := d.u32(), d.int()
		if d.err != nil {
			return nil
		}
		return s.alloc(id, n)
	case opFree:
		id := d.u32()
		if a, ok := s.arrays[id]; ok {
			s.backend.Free(a)
			s.bytes -= int64(a.Len()) * s.elem
			delete(s.arrays, id)
		}
		return nil
	case opWrite:
		dst, err := s.array(d, false)
		if err != nil || d.err != nil {
			return err
		}
		v := d.values(dst.Len())
		if d.err != nil {
			return nil
		}
		return s.backend.Write(dst, v)
	case opCopy:
		a, err := s.arraysOf(d, false, false)
		if err != nil || d.err != nil {
			return err
		}
		return s.backend.Copy(a[0], a[1])
	case opSoftMin:
		dst, err := s.array(d, false)
		if err != nil {
			return err
		}
		p, err := s.pairs(d)
		if err != nil || d.err != nil {
			return err
		}
		return s.backend.SoftMin(dst, p)
	case opSoftMean:
		dst, err := s.array(d, false)
		if err != nil {
			return err
		}
		p, err := s.pairs(d)
		if err != nil {
			return err
		}
		v, err := s.array(d, false)
		dv := d.int()
		if err != nil || d.err != nil {
			return err
		}
		return s.backend.SoftMean(dst, p, v, dv)
	case opMap:
		a, err := s.arraysOf(d, false, false, true)
		if err != nil {
			return err
		}
		args := compute.MapArgs{Op: compute.Op(d.u8()), X: a[1], Y: a[2], YDiv: d.int(), YMod: d.int(), A: d.f64(), B: d.f64(), C: d.f64()}
		if d.err != nil {
			return nil
		}
		return s.backend.Map(a[0], args)
	case opMatMul:
		a, err := s.arraysOf(d, false, false, false)
		if err != nil {
			return err
		}
		n, k, m, ta, tb := d.int(), d.int(), d.int(), d.bool(), d.bool()
		if d.err != nil {
			return nil
		}
		return s.backend.MatMul(a[0], a[1], a[2], n, k, m, ta, tb)
	case opGatherSum:
		a, err := s.arraysOf(d, false, false, false)
		if err != nil {
			return err
		}
		k := d.int()
		if d.err != nil {
			return nil
		}
		return s.backend.GatherSum(a[0], a[1], a[2], k)
	case opSortRows:
		x, err := s.array(d, false)
		rows, cols := d.int(), d.int()
		if err != nil || d.err != nil {
			return err
		}
		return s.backend.SortRows(x, rows, cols)
	case opUniform, opNormal:
		dst, err := s.array(d, false)
		seed, off := d.u64(), d.u64()
		if err != nil || d.err != nil {
			return err
		}
		if op == opUniform {
			return s.backend.Uniform(dst, seed, off)
		}
		return s.backend.Normal(dst, seed, off)
	case opRead:
		src, err := s.array(d, false)
		if err != nil || d.err != nil {
			return err
		}
		v := make([]float64, src.Len())
		if err := s.backend.Read(v, src); err != nil {
			return err
		}
		res.values(v)
		return nil
	case opSum:
		x, err := s.array(d, false)
		if err != nil || d.err != nil {
			return err
		}
		sum, err := s.backend.Sum(x)
		if err != nil {
			return err
		}
		res.f64(sum)
		return nil
	}
	return fmt.Errorf("malformed frame: unknown op %d", uint8(op))
}

func (s *Session) alloc(id uint32, n int) error {
	switch {
	case id == 0:
		return errors.New("malformed frame: array id 0 is reserved for nil")
	case s.arrays[id] != nil:
		return fmt.Errorf("%w: array id %d is already in use", compute.ErrBadArgument, id)
	case len(s.arrays) >= s.limits.MaxArrays:
		return fmt.Errorf("%w: %d arrays alive, the most a session may hold", ErrLimit, s.limits.MaxArrays)
	case n >= 0 && s.bytes+int64(n)*s.elem > s.limits.MaxBytes:
		return fmt.Errorf("%w: %d more bytes would bring the session to %d, over its %d", ErrLimit, int64(n)*s.elem, s.bytes+int64(n)*s.elem, s.limits.MaxBytes)
	}
	a, err := s.backend.Alloc(n)
	if err != nil {
		return err
	}
	s.arrays[id] = a
	s.bytes += int64(n) * s.elem
	return nil
}
