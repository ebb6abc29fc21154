package patch

import "github.com/otplay/otplay/compute"

// arena allocates Backend arrays, remembers the first error and frees
// everything at once: a sequence of uploads is checked once at its end.
type arena struct {
	b    compute.Backend
	arrs []compute.Array
	err  error
}

// upload returns v on the Backend, or nil after an error.
func (a *arena) upload(v []float64) compute.Array {
	if a.err != nil {
		return nil
	}
	x, err := a.b.Upload(v)
	if err != nil {
		a.err = err
		return nil
	}
	a.arrs = append(a.arrs, x)
	return x
}

// alloc returns a zeroed array of n values, or nil after an error.
func (a *arena) alloc(n int) compute.Array {
	if a.err != nil {
		return nil
	}
	x, err := a.b.Alloc(n)
	if err != nil {
		a.err = err
		return nil
	}
	a.arrs = append(a.arrs, x)
	return x
}

// read copies x back to the host (nil after an error).
func (a *arena) read(x compute.Array) []float64 {
	if a.err != nil {
		return nil
	}
	v := make([]float64, x.Len())
	if err := a.b.Read(v, x); err != nil {
		a.err = err
		return nil
	}
	return v
}

// do records the error of a Backend call made after the arena's others.
func (a *arena) do(err error) {
	if a.err == nil {
		a.err = err
	}
}

// free releases every array of the arena.
func (a *arena) free() {
	for _, x := range a.arrs {
		a.b.Free(x)
	}
	a.arrs = nil
}
