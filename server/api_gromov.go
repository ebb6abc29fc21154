package server

import (
	"fmt"

	"github.com/otplay/otplay/batch"
)

// gromovInputs fills the intra-set cost matrices of --method gromov from
// the uploaded arrays cx and cy (n x n and m x m); the API reads no files,
// so the parameters cx and cy are refused.
func gromovInputs(req *batch.SolveRequest, arrays map[string]array) error {
	for flag, spec := range map[string]string{"cx": req.CX, "cy": req.CY} {
		if spec != "" {
			return batch.UsageError{Msg: fmt.Sprintf("--%s %q: the API reads no files on the server; send the matrix as an array (.npy part or JSON)", flag, spec)}
		}
	}
	if a, ok := arrays["cx"]; ok {
		req.CXSet = a.set()
	}
	if a, ok := arrays["cy"]; ok {
		req.CYSet = a.set()
	}
	return nil
}
