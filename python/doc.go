// Package python holds the Python client of otplay's notebook API
// (python/otplay, standard library and numpy only) and the Go test that
// runs its unittest suite (python/tests) against POT with Debian's
// /usr/bin/python3, so that go test ./... (and make test) covers it.
//
// The test builds cmd/otplay, points the client at it (OTPLAY_BIN) with a
// throw-away web root (OTPLAY_WEB; the API needs no real wasm), and runs
//
//	/usr/bin/python3 -m unittest discover -s python/tests -v
//
// It skips, saying why, when /usr/bin/python3 cannot import numpy and ot
// (python3-numpy, python3-pot) unless OTPLAY_REQUIRE_PYTHON=1, which
// make test sets.
package python
