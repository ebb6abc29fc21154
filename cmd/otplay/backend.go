package main

import (
	"github.com/otplay/otplay/batch"
	"github.com/otplay/otplay/compute"
)

// backendFlagHelp is the help text of every --backend flag.
const backendFlagHelp = batch.BackendHelp

// openBackend opens the backend named by a --backend flag (batch.OpenBackend).
// It returns the backend and a note for the user when auto fell back to the CPU.
func openBackend(name string) (compute.Backend, string, error) {
	return batch.OpenBackend(name)
}
