//go:build !js

package data

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestDecodersAgree: the browser build's plain decoder gives the same
// values and errors as npyio's, for every dtype and byte order.
func TestDecodersAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, order := range []byte{'<', '>'} {
		var bo binary.ByteOrder = binary.LittleEndian
		if order == '>' {
			bo = binary.BigEndian
		}
		for _, kind := range []string{"f4", "f8", "i4", "i8"} {
			dt := npyDtype{kind: kind[0], size: int(kind[1] - '0'), order: order}
			n := 257
			raw := make([]byte, n*dt.size)
			for i := 0; i < n; i++ {
				switch kind {
				case "f4":
					bo.PutUint32(raw[4*i:], math.Float32bits(float32(rng.NormFloat64()*1e3)))
				case "f8":
					bo.PutUint64(raw[8*i:], math.Float64bits(rng.NormFloat64()*1e-3))
				case "i4":
					bo.PutUint32(raw[4*i:], uint32(int32(rng.Int32())))
				case "i8":
					bo.PutUint64(raw[8*i:], uint64(rng.Int64N(1<<54)-1<<53))
				}
			}
			a, errA := dt.decodePlain(raw, n)
			b, errB := dt.decodeNPYIO(raw, n)
			if (errA == nil) != (errB == nil) || !slices.Equal(a, b) {
				t.Errorf("%c%s: plain and npyio decoders differ: %v / %v", order, kind, errA, errB)
			}
		}
	}
}
