package remote

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/otplay/otplay/compute"
)

// The endpoints, relative to the server's origin.
const (
	// SessionPath issues a session: POST, same-origin only, answers JSON
	// (SessionInfo).
	SessionPath = "/api/remote/session"
	// BatchPath runs a batch of ops: POST, the token in TokenHeader, a
	// binary request frame in, a binary response frame out.
	BatchPath = "/api/remote/batch"
	// ClosePath ends a session and frees its arrays: POST, the token as
	// the body (navigator.sendBeacon can send nothing else) or in
	// TokenHeader.
	ClosePath = "/api/remote/close"
	// TokenHeader carries the session token of a batch.
	TokenHeader = "X-Otplay-Session"
)

// SessionInfo is SessionPath's answer.
type SessionInfo struct {
	Token string `json:"token"`
	// Info describes the server's backend (compute.Info's fields).
	Name      string `json:"name"`
	Device    string `json:"device"`
	API       string `json:"api"`
	Precision string `json:"precision"`
	MaxArray  int    `json:"maxArray"`
	Notes     string `json:"notes,omitempty"`
	// Hardware says the server computes on a hardware GPU (not a CPU
	// backend, not a software adapter such as lavapipe).
	Hardware bool `json:"hardware"`
	// Limits of the session.
	MaxBytes  int64 `json:"maxBytes"`
	MaxArrays int   `json:"maxArrays"`
	// IdleSeconds: the session ends after this long without a batch.
	IdleSeconds float64 `json:"idleSeconds"`
}

// frameMagic opens every request and response frame (format version 1).
var frameMagic = [4]byte{'O', 'T', 'R', '1'}

// opcode names one queued operation in a request frame.
type opcode uint8

const (
	opAlloc opcode = iota + 1
	opWrite
	opCopy
	opFree
	opSoftMin
	opSoftMean
	opMap
	opMatMul
	opGatherSum
	opSortRows
	opUniform
	opNormal
	opRead // answers the array's values
	opSum  // answers one float64
	opNone // an empty batch (keep-alive)
)

var opcodeNames = map[opcode]string{
	opAlloc: "Alloc", opWrite: "Write", opCopy: "Copy", opFree: "Free",
	opSoftMin: "SoftMin", opSoftMean: "SoftMean", opMap: "Map", opMatMul: "MatMul",
	opGatherSum: "GatherSum", opSortRows: "SortRows", opUniform: "Uniform",
	opNormal: "Normal", opRead: "Read", opSum: "Sum", opNone: "keep-alive",
}

func (o opcode) String() string {
	if s, ok := opcodeNames[o]; ok {
		return s
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// Value encodings of an array in a frame.
const (
	encFloat32 = 4 // every value is exactly a float32: 4 bytes each
	encFloat64 = 8
)

// Error kinds of a response frame, mapped to the compute package's errors
// so that errors.Is works across the wire.
const (
	kindOther uint8 = iota
	kindBadArgument
	kindTooLarge
	kindDeviceLost
	kindLimit
)

// ErrLimit means a session limit (bytes, arrays) refused an allocation.
var ErrLimit = errors.New("remote: session limit")

func errorKind(err error) uint8 {
	switch {
	case errors.Is(err, ErrLimit):
		return kindLimit
	case errors.Is(err, compute.ErrBadArgument):
		return kindBadArgument
	case errors.Is(err, compute.ErrTooLarge):
		return kindTooLarge
	case errors.Is(err, compute.ErrDeviceLost):
		return kindDeviceLost
	}
	return kindOther
}

// encoder appends little-endian fields to a frame.
type encoder struct{ b []byte }

func (e *encoder) u8(v uint8)   { e.b = append(e.b, v) }
func (e *encoder) u32(v uint32) { e.b = binary.LittleEndian.AppendUint32(e.b, v) }
func (e *encoder) u64(v uint64) { e.b = binary.LittleEndian.AppendUint64(e.b, v) }
func (e *encoder) f64(v float64) {
	e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v))
}
func (e *encoder) int(v int) { e.u64(uint64(int64(v))) }
func (e *encoder) bool(v bool) {
	if v {
		e.u8(1)
	} else {
		e.u8(0)
	}
}
func (e *encoder) str(s string) { e.u32(uint32(len(s))); e.b = append(e.b, s...) }

// values writes a length, an encoding and the values: 4 bytes a value when
// every value is exactly a float32 (always so for a float32 backend's
// reads), else 8. The encoding is lossless either way.
func (e *encoder) values(v []float64) {
	enc := uint8(encFloat32)
	for _, x := range v {
		if float64(float32(x)) != x && !math.IsNaN(x) {
			enc = encFloat64
			break
		}
	}
	e.u32(uint32(len(v)))
	e.u8(enc)
	if enc == encFloat32 {
		for _, x := range v {
			e.b = binary.LittleEndian.AppendUint32(e.b, math.Float32bits(float32(x)))
		}
		return
	}
	for _, x := range v {
		e.f64(x)
	}
}

// decoder reads the fields an encoder wrote; the first short read sets err
// and every later read returns zeros.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || len(d.b) < n {
		d.err = errors.New("remote: truncated frame")
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) u8() uint8 {
	if v := d.take(1); v != nil {
		return v[0]
	}
	return 0
}
func (d *decoder) u32() uint32 {
	if v := d.take(4); v != nil {
		return binary.LittleEndian.Uint32(v)
	}
	return 0
}
func (d *decoder) u64() uint64 {
	if v := d.take(8); v != nil {
		return binary.LittleEndian.Uint64(v)
	}
	return 0
}
func (d *decoder) f64() float64 { return math.Float64frombits(d.u64()) }
func (d *decoder) int() int {
	v := int64(d.u64())
	if v < math.MinInt32 || v > math.MaxInt32 {
		if d.err == nil {
			d.err = fmt.Errorf("remote: integer %d out of range", v)
		}
		return 0
	}
	return int(v)
}
func (d *decoder) bool() bool { return d.u8() != 0 }
func (d *decoder) str() string {
	n := d.u32()
	return string(d.take(int(n)))
}

// values reads what encoder.values wrote; maxLen bounds the length before
// anything is allocated.
func (d *decoder) values(maxLen int) []float64 {
	n := int(d.u32())
	enc := d.u8()
	if d.err != nil {
		return nil
	}
	if n > maxLen {
		d.err = fmt.Errorf("remote: %d values where at most %d fit", n, maxLen)
		return nil
	}
	if enc != encFloat32 && enc != encFloat64 {
		d.err = fmt.Errorf("remote: unknown value encoding %d", enc)
		return nil
	}
	raw := d.take(n * int(enc))
	if raw == nil {
		return nil
	}
	v := make([]float64, n)
	if enc == encFloat32 {
		for i := range v {
			v[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
		}
		return v
	}
	for i := range v {
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
	}
	return v
}

func (d *decoder) magic() {
	if m := d.take(4); m != nil && [4]byte(m) != frameMagic {
		d.err = fmt.Errorf("remote: not an otplay remote frame (magic %q)", m)
	}
}
