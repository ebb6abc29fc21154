package remote

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
)

// frame builds a request frame of ops written by fill.
func frame(nops int, fill func(e *encoder)) []byte {
	var e encoder
	e.b = append(e.b, frameMagic[:]...)
	e.u32(uint32(nops))
	fill(&e)
	return e.b
}

// answer decodes a response frame into its error, if any.
func answer(t *testing.T, resp []byte) (d *decoder, err error) {
	t.Helper()
	d = &decoder{b: resp}
	d.magic()
	if d.u8() != 0 {
		i, op, kind, msg := int(d.u32()), opcode(d.u8()), d.u8(), d.str()
		return d, remoteError(kind, op.String()+" #"+strconv.Itoa(i), msg)
	}
	if d.err != nil {
		t.Fatal(d.err)
	}
	return d, nil
}

// The session enforces its limits itself, whatever a client believes:
// the byte limit, the array limit, and ids in use.
func TestSessionEnforcesLimits(t *testing.T) {
	s := NewSession(compute.NewCPU(1), nil, Limits{MaxBytes: 800, MaxArrays: 2})
	defer s.Close()
	_, err := answer(t, s.Execute(frame(2, func(e *encoder) {
		e.u8(uint8(opAlloc))
		e.u32(1)
		e.int(50)
		e.u8(uint8(opAlloc))
		e.u32(2)
		e.int(51) // 50*8 + 51*8 > 800
	})))
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "Alloc #1") {
		t.Errorf("allocations over MaxBytes: %v, want ErrLimit on the second Alloc", err)
	}
	if bytes, arrays := s.Usage(); bytes != 400 || arrays != 1 {
		t.Errorf("usage %d bytes in %d arrays, want 400 in 1", bytes, arrays)
	}
	_, err = answer(t, s.Execute(frame(2, func(e *encoder) {
		e.u8(uint8(opAlloc))
		e.u32(2)
		e.int(1)
		e.u8(uint8(opAlloc))
		e.u32(3)
		e.int(1)
	})))
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "2 arrays alive") {
		t.Errorf("a third array: %v, want ErrLimit", err)
	}
	_, err = answer(t, s.Execute(frame(1, func(e *encoder) { e.u8(uint8(opAlloc)); e.u32(1); e.int(1) })))
	if !errors.Is(err, compute.ErrBadArgument) || !strings.Contains(err.Error(), "already in use") {
		t.Errorf("an id in use: %v", err)
	}
	s.Close()
	if bytes, arrays := s.Usage(); bytes != 0 || arrays != 0 {
		t.Errorf("after Close: %d bytes in %d arrays", bytes, arrays)
	}
	_, err = answer(t, s.Execute(frame(0, func(e *encoder) {})))
	if !errors.Is(err, compute.ErrDeviceLost) {
		t.Errorf("a batch after Close: %v, want ErrDeviceLost", err)
	}
}

// Malformed frames are failures with a message, never a panic: truncated
// ops, unknown ops, unknown arrays, trailing bytes, a wrong magic, value
// counts larger than the array.
func TestSessionMalformedFrames(t *testing.T) {
	s := NewSession(compute.NewCPU(1), nil, Limits{})
	defer s.Close()
	ok := frame(2, func(e *encoder) {
		e.u8(uint8(opAlloc))
		e.u32(1)
		e.int(3)
		e.u8(uint8(opWrite))
		e.u32(1)
		e.values([]float64{1, 2.5, 0.1})
	})
	if _, err := answer(t, s.Execute(ok)); err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"truncated":   ok[:len(ok)-3],
		"wrong magic": append([]byte("XXXX"), ok[4:]...),
		"trailing":    append(append([]byte{}, ok...), 9),
		"unknown op":  frame(1, func(e *encoder) { e.u8(200) }),
		"unknown id":  frame(1, func(e *encoder) { e.u8(uint8(opSum)); e.u32(77) }),
		"too many values": frame(1, func(e *encoder) {
			e.u8(uint8(opWrite))
			e.u32(1)
			e.values([]float64{1, 2, 3, 4})
		}),
		"empty":       nil,
		"huge length": frame(1, func(e *encoder) { e.u8(uint8(opWrite)); e.u32(1); e.u32(1 << 31); e.u8(8) }),
	}
	for name, f := range cases {
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: panic %v", name, r)
				}
			}()
			_, err = answer(t, s.Execute(f))
		}()
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// The values written by the good frame survive, exactly (2.5 went as
	// float32, 0.1 as float64).
	d, err := answer(t, s.Execute(frame(1, func(e *encoder) { e.u8(uint8(opRead)); e.u32(1) })))
	if err != nil {
		t.Fatal(err)
	}
	if v := d.values(3); len(v) != 3 || v[0] != 1 || v[1] != 2.5 || v[2] != 0.1 {
		t.Errorf("read back %v, want [1 2.5 0.1]", v)
	}
}

// values picks 4 bytes a value exactly when every value survives float32.
func TestValuesEncoding(t *testing.T) {
	for _, c := range []struct {
		v    []float64
		size int
	}{
		{[]float64{1, -2.5, 0}, 4 + 1 + 3*4},
		{[]float64{1, 0.1}, 4 + 1 + 2*8},
		{nil, 4 + 1},
	} {
		var e encoder
		e.values(c.v)
		if len(e.b) != c.size {
			t.Errorf("values(%v) took %d bytes, want %d", c.v, len(e.b), c.size)
		}
	}
}

// FuzzSessionExecute: no frame makes a session panic, and every answer is
// a well-formed response frame.
//
//	go test ./compute/remote -fuzz FuzzSessionExecute -fuzztime 30s
func FuzzSessionExecute(f *testing.F) {
	f.Add(frame(2, func(e *encoder) {
		e.u8(uint8(opAlloc))
		e.u32(1)
		e.int(4)
		e.u8(uint8(opRead))
		e.u32(1)
	}))
	f.Add(frame(1, func(e *encoder) {
		e.u8(uint8(opSoftMin))
		e.u32(1)
		e.u32(1)
		e.u32(1)
		e.int(1)
		e.int(1)
		e.int(1)
		e.u32(0)
		e.u32(0)
		e.f64(1)
	}))
	// A soft-min whose cost is a matrix (array 1, transposed).
	f.Add(frame(1, func(e *encoder) {
		e.u8(uint8(opSoftMin))
		e.u32(1)
		e.u32(0)
		e.u32(0)
		e.int(1)
		e.int(1)
		e.int(0)
		e.u32(0)
		e.u32(0)
		e.f64(1)
		e.f64(0)
		e.u32(1)
		e.bool(true)
	}))
	f.Add([]byte("OTR1"))
	f.Fuzz(func(t *testing.T, in []byte) {
		s := NewSession(compute.NewCPU(1), nil, Limits{MaxBytes: 1 << 16, MaxArrays: 16})
		defer s.Close()
		out := s.Execute(in)
		d := &decoder{b: out}
		d.magic()
		d.u8()
		if d.err != nil {
			t.Fatalf("answer %q is not a response frame: %v", out, d.err)
		}
	})
}
