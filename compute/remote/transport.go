package remote

import "fmt"

// HTTP status codes the client tells apart (net/http's values; the
// browser build does not import net/http, see transport_js.go).
const (
	statusOK           = 200
	statusUnauthorized = 401
	statusGone         = 410
)

// reply is a server's answer to one POST.
type reply struct {
	status     int
	statusText string
	body       []byte
}

// statusLine is "410 Gone", as net/http's Response.Status.
func (r reply) statusLine() string {
	if r.statusText == "" {
		return fmt.Sprint(r.status)
	}
	return fmt.Sprintf("%d %s", r.status, r.statusText)
}
