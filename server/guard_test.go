package server

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// serveOn starts New(WebDir: a test web root) with Serve on addr and
// returns its listen address; the server stops at the end of the test.
func serveOn(t *testing.T, addr string, allowHosts ...string) net.Addr {
	t.Helper()
	h, err := New(Config{WebDir: newWebRoot(t, false), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, l, h, allowHosts...) }()
	t.Cleanup(func() { cancel(); <-done })
	return l.Addr()
}

// do sends one request over real HTTP to addr with the given Host header.
func do(t *testing.T, addr net.Addr, method, path, host string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+addr.String()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// Every response says nosniff and no-referrer; embed views may be framed
// by any page, everything else only by its own origin.
func TestSecurityHeaders(t *testing.T) {
	addr := serveOn(t, "127.0.0.1:0")
	for _, tc := range []struct {
		path      string
		ancestors string
		xfo       string
	}{
		{"/", "frame-ancestors 'self'", "SAMEORIGIN"},
		{"/check", "frame-ancestors 'self'", "SAMEORIGIN"},
		{"/embed/check", "frame-ancestors *", ""},
		{"/embed/check?n=5", "frame-ancestors *", ""},
		{"/web/otplay.css", "frame-ancestors 'self'", "SAMEORIGIN"},
		{"/api/info", "frame-ancestors 'self'", "SAMEORIGIN"},
		{"/no-such-page", "frame-ancestors 'self'", "SAMEORIGIN"},
	} {
		r := do(t, addr, http.MethodGet, tc.path, "")
		if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q", tc.path, got)
		}
		if got := r.Header.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("GET %s: Referrer-Policy %q", tc.path, got)
		}
		if got := r.Header.Get("Content-Security-Policy"); got != tc.ancestors {
			t.Errorf("GET %s: Content-Security-Policy %q, want %q", tc.path, got, tc.ancestors)
		}
		if got := r.Header.Get("X-Frame-Options"); got != tc.xfo {
			t.Errorf("GET %s: X-Frame-Options %q, want %q", tc.path, got, tc.xfo)
		}
	}
}

// The static routes answer GET and HEAD, and 405 with Allow to anything
// else.
func TestStaticMethods(t *testing.T) {
	addr := serveOn(t, "127.0.0.1:0")
	for _, path := range []string{"/", "/check", "/embed/check", "/app.js", "/web/otplay.css", "/web/app.wasm", "/api/info", "/manifest.webmanifest"} {
		for _, m := range []string{http.MethodGet, http.MethodHead} {
			if r := do(t, addr, m, path, ""); r.StatusCode != 200 {
				t.Errorf("%s %s: %d", m, path, r.StatusCode)
			}
		}
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
			r := do(t, addr, m, path, "")
			if r.StatusCode != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("%s %s: %d, Allow %q; want 405 with Allow: GET, HEAD", m, path, r.StatusCode, r.Header.Get("Allow"))
			}
		}
	}
}

// A loopback server answers to localhost, 127.0.0.1 and [::1] with its
// port, and refuses other names (DNS rebinding) with 421.
func TestHostCheckLoopback(t *testing.T) {
	addr := serveOn(t, "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(addr.String())
	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST:" + port, "[::1]:" + port} {
		if r := do(t, addr, http.MethodGet, "/api/info", host); r.StatusCode != 200 {
			t.Errorf("Host %s: %d, want 200", host, r.StatusCode)
		}
	}
	for _, host := range []string{"attacker.example:" + port, "attacker.example", "127.0.0.1", "localhost:1", "127.0.0.1.nip.io:" + port, "0.0.0.0:" + port} {
		if r := do(t, addr, http.MethodGet, "/", host); r.StatusCode != http.StatusMisdirectedRequest {
			t.Errorf("Host %s: %d, want 421", host, r.StatusCode)
		}
	}
}

// A server on every interface (":0") also answers to each interface's
// address, and to names added with allowHosts, and still refuses others.
func TestHostCheckAllInterfaces(t *testing.T) {
	addr := serveOn(t, ":0", "box.lan")
	_, port, _ := net.SplitHostPort(addr.String())
	hosts := AllowedHosts(addr, "box.lan")
	for _, want := range []string{"127.0.0.1:" + port, "localhost:" + port, "box.lan:" + port} {
		if !slices.Contains(hosts, want) {
			t.Errorf("AllowedHosts(%s) = %v, lacks %s", addr, hosts, want)
		}
	}
	for _, ip := range interfaceIPs() {
		host := net.JoinHostPort(ip, port)
		if !slices.Contains(hosts, host) {
			t.Errorf("AllowedHosts(%s) lacks the interface address %s", addr, host)
		}
	}
	if r := do(t, addr, http.MethodGet, "/api/info", "box.lan:"+port); r.StatusCode != 200 {
		t.Errorf("Host box.lan:%s: %d", port, r.StatusCode)
	}
	if r := do(t, addr, http.MethodGet, "/api/info", "attacker.example:"+port); r.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("Host attacker.example: %d, want 421", r.StatusCode)
	}
	// ListenURLs names the loopback URL first, then the real addresses.
	urls := ListenURLs(addr)
	if len(urls) == 0 || urls[0] != "http://127.0.0.1:"+port+"/" {
		t.Errorf("ListenURLs(%s) = %v", addr, urls)
	}
	if IsLoopback(addr) {
		t.Errorf("IsLoopback(%s) = true", addr)
	}
}

func TestAllowedHostsPort80(t *testing.T) {
	hosts := AllowedHosts(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80})
	for _, want := range []string{"localhost", "localhost:80", "127.0.0.1", "[::1]", "[::1]:80"} {
		if !slices.Contains(hosts, want) {
			t.Errorf("AllowedHosts(127.0.0.1:80) = %v, lacks %s", hosts, want)
		}
	}
}

// A client that sends half a request header and stalls is disconnected
// after the header timeout, and one that sends a header but not its body
// after the read timeout (both shortened here).
func TestSlowClientsDisconnected(t *testing.T) {
	saved := serverTimeouts
	serverTimeouts.readHeader, serverTimeouts.read = 200*time.Millisecond, 300*time.Millisecond
	t.Cleanup(func() { serverTimeouts = saved })
	addr := serveOn(t, "127.0.0.1:0")
	for name, partial := range map[string]string{
		"header": "GET / HTTP/1.1\r\nHost: " + addr.String() + "\r\n",
		"body":   "POST /api/info HTTP/1.1\r\nHost: " + addr.String() + "\r\nContent-Length: 1000\r\n\r\nabc",
	} {
		conn, err := net.Dial("tcp", addr.String())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(conn, partial); err != nil {
			t.Fatal(err)
		}
		// The deadline only stops a hung test; the assertion is that the
		// server ends the connection.
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		rest, err := io.ReadAll(bufio.NewReader(conn))
		conn.Close()
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Errorf("slow %s: the server kept the connection open", name)
		}
		if name == "header" && len(rest) > 0 && !strings.Contains(string(rest), "408") {
			t.Errorf("slow header: got %q", rest)
		}
	}
}

// The notebook API's requests get longer deadlines than the server's: a
// response written after the server's write timeout reaches the client
// through longRequests and is cut without it.
func TestLongRequestsOutliveWriteTimeout(t *testing.T) {
	saved := serverTimeouts
	serverTimeouts.write = 200 * time.Millisecond
	t.Cleanup(func() { serverTimeouts = saved })
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Second) // five times the write timeout
		io.WriteString(w, "done")
	})
	mux := http.NewServeMux()
	mux.Handle("/api/slow", longRequests(slow))
	mux.Handle("/slow", slow)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, l, mux) }()
	t.Cleanup(func() { cancel(); <-done })
	get := func(path string) (string, error) {
		resp, err := http.Get("http://" + l.Addr().String() + path)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	if b, err := get("/api/slow"); err != nil || b != "done" {
		t.Errorf("/api/slow through longRequests: %q, %v", b, err)
	}
	if b, err := get("/slow"); err == nil && b == "done" {
		t.Errorf("/slow outlived the server's write timeout")
	}
}
