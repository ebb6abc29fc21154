package server

import (
	"fmt"

	"github.com/otplay/otplay/batch"
)

// costInput fills a solve request's dense cost matrix (POT's M, the
// parameter "cost": an n x m array, as a .npy part or a JSON array of
// rows) from the uploaded arrays. A file name is refused: the API reads
// no files on the server.
func costInput(req *batch.SolveRequest, arrays map[string]array) error {
	if req.Cost != "" {
		return batch.UsageError{Msg: fmt.Sprintf("--cost %q: the API reads no files on the server; send the n x m matrix as an array (.npy part or JSON)", req.Cost)}
	}
	a, ok := arrays["cost"]
	if !ok {
		return nil
	}
	if len(a.shape) != 2 {
		return batch.UsageError{Msg: fmt.Sprintf("--cost: want a 2-D n x m matrix, got an array of shape %v", a.shape)}
	}
	req.CostSet = a.set()
	return nil
}
