package server

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// secureHeaders sets, on every response: X-Content-Type-Options: nosniff
// (a file is only what its Content-Type says), Referrer-Policy:
// no-referrer (the pages' URLs carry their whole state), and the framing
// rule: views under /embed/ may be framed by any page
// (Content-Security-Policy: frame-ancestors *), everything else only by
// pages of its own origin (frame-ancestors 'self', and X-Frame-Options:
// SAMEORIGIN for browsers without CSP).
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if isEmbedPath(r.URL.Path) {
			h.Set("Content-Security-Policy", "frame-ancestors *")
		} else {
			h.Set("Content-Security-Policy", "frame-ancestors 'self'")
			h.Set("X-Frame-Options", "SAMEORIGIN")
		}
		next.ServeHTTP(w, r)
	})
}

// isEmbedPath reports whether p is an embed view, /embed/<page>, possibly
// under a base path (/repo/embed/ot).
func isEmbedPath(p string) bool {
	i := strings.Index(p, "/embed/")
	return i >= 0 && !strings.Contains(p[i+len("/embed/"):], "/")
}

// staticMethods answers 405 Method Not Allowed, with Allow: GET, HEAD, to
// any other method on the static routes (the pages, go-app's scripts,
// /web/). Paths under /api/ choose their own methods.
func staticMethods(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") || allowMethods(w, r, http.MethodGet, http.MethodHead) {
			next.ServeHTTP(w, r)
		}
	})
}

// allowMethods reports whether r's method is one of methods; if not, it
// answers 405 with the Allow header and returns false.
func allowMethods(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	if slices.Contains(methods, r.Method) {
		return true
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	http.Error(w, fmt.Sprintf("method %s not allowed on %s (allowed: %s)", r.Method, r.URL.Path, strings.Join(methods, ", ")), http.StatusMethodNotAllowed)
	return false
}

// AllowedHosts lists the Host header values a server listening on addr
// accepts: localhost, 127.0.0.1 and [::1] with its port, for any listen
// address; and, when the address is explicitly not loopback, the address
// itself or (for an unspecified address such as ":8080" or 0.0.0.0) every
// address of the machine's interfaces, with the port. extra adds names
// (a name with a port is taken as is; one without gets the port). On port
// 80 each name is also accepted without a port.
//
// Checking the Host header defeats DNS rebinding: a page of another site
// whose name is made to resolve to 127.0.0.1 still sends its own name.
func AllowedHosts(addr net.Addr, extra ...string) []string {
	host, portStr, err := net.SplitHostPort(addr.String())
	if err != nil {
		return nil
	}
	port, _ := strconv.Atoi(portStr)
	names := []string{"localhost", "127.0.0.1", "::1"}
	if ip := net.ParseIP(host); ip != nil && !ip.IsLoopback() {
		if ip.IsUnspecified() {
			names = append(names, interfaceIPs()...)
		} else {
			names = append(names, ip.String())
		}
	}
	var hosts []string
	add := func(name string) {
		name = strings.ToLower(name)
		if !slices.Contains(hosts, name) {
			hosts = append(hosts, name)
		}
	}
	for _, n := range names {
		add(net.JoinHostPort(n, portStr))
		if port == 80 {
			add(bracketIPv6(n))
		}
	}
	for _, n := range extra {
		if _, _, err := net.SplitHostPort(n); err == nil {
			add(n)
			continue
		}
		add(net.JoinHostPort(strings.Trim(n, "[]"), portStr))
		if port == 80 {
			add(bracketIPv6(strings.Trim(n, "[]")))
		}
	}
	return hosts
}

// bracketIPv6 writes an IPv6 address as a Host header does, in brackets.
func bracketIPv6(name string) string {
	if strings.Contains(name, ":") {
		return "[" + name + "]"
	}
	return name
}

// interfaceIPs lists the addresses of the machine's interfaces (IPv6
// link-local ones left out: a browser cannot name them in a URL without a
// zone).
func interfaceIPs() []string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var ips []string
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.IsLinkLocalUnicast() {
			continue
		}
		ips = append(ips, ipn.IP.String())
	}
	return ips
}

// ListenURLs returns the URLs at which a server listening on addr is
// reached: for an unspecified address (":8080", 0.0.0.0, [::]) the
// loopback URL first and then one per interface address; otherwise the
// one address.
func ListenURLs(addr net.Addr) []string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return []string{"http://" + addr.String() + "/"}
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsUnspecified() {
		return []string{"http://" + net.JoinHostPort(host, port) + "/"}
	}
	urls := []string{"http://" + net.JoinHostPort("127.0.0.1", port) + "/"}
	for _, a := range interfaceIPs() {
		if p := net.ParseIP(a); p != nil && !p.IsLoopback() {
			urls = append(urls, "http://"+net.JoinHostPort(a, port)+"/")
		}
	}
	return urls
}

// IsLoopback reports whether addr only accepts connections from this
// machine.
func IsLoopback(addr net.Addr) bool {
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkHost refuses, with 421 Misdirected Request, requests whose Host
// header is not in allowed (compared case-insensitively).
func checkHost(allowed []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !slices.Contains(allowed, strings.ToLower(r.Host)) {
			http.Error(w, fmt.Sprintf("otplay: Host %q is not an address of this server (allowed: %s); this check stops DNS rebinding, and otplay serve --allow-host adds a name", r.Host, strings.Join(allowed, ", ")), http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// APIReadTimeout and APIWriteTimeout replace ReadTimeout and WriteTimeout
// for the notebook API (longRequests): its bodies run to 256 MiB and its
// runs to minutes.
const (
	APIReadTimeout  = 10 * time.Minute
	APIWriteTimeout = 30 * time.Minute
)

// longRequests gives next's requests the API's longer read and write
// deadlines (http.ResponseController), in place of the server's.
func longRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		now := time.Now()
		// Errors mean the writer cannot set deadlines (a test recorder):
		// the server's then stand.
		_ = rc.SetReadDeadline(now.Add(APIReadTimeout))
		_ = rc.SetWriteDeadline(now.Add(APIWriteTimeout))
		next.ServeHTTP(w, r)
	})
}
