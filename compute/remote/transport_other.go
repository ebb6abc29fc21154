//go:build !js

package remote

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// post sends body to base+path with the given headers through net/http,
// naming the server's own origin (scheme and host of base, which may carry
// a site path) as a browser does for a same-origin POST: the server
// refuses sessions to other origins.
func post(ctx context.Context, base, path string, header map[string]string, body []byte) (reply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, bytes.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if u, err := url.Parse(base); err == nil {
		req.Header.Set("Origin", u.Scheme+"://"+u.Host)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	return reply{status: resp.StatusCode, statusText: strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode)+" "), body: data}, nil
}
