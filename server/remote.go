package server

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/remote"
	"github.com/otplay/otplay/ui"
)

// RemoteConfig lets the pages compute on this machine's backend (the
// compute/remote protocol): a page asks SessionPath for a token, then
// sends batches of ops that run on Backend. Only loopback clients of
// same-origin pages get a session.
type RemoteConfig struct {
	// Backend runs every session's ops (one at a time). nil disables
	// native compute: the pages then compute in the browser only.
	Backend compute.Backend
	// Hardware says Backend is a hardware GPU: the pages' backend=auto
	// then prefers it to a browser with only a software adapter. (A
	// browser without WebGPU takes the server's backend whatever it is.)
	Hardware bool
	// Limits bound each session's arrays (remote.DefaultMaxBytes,
	// remote.DefaultMaxArrays).
	Limits remote.Limits
	// MaxSessions is the number of pages computing at once (default 8);
	// one more is refused until a session closes or times out.
	MaxSessions int
	// IdleTimeout ends a session that sent nothing for this long (default
	// 60 s); the client sends keep-alives every third of it, so only a
	// page that is gone without saying so (a crash, a killed tab) waits
	// for it.
	IdleTimeout time.Duration
}

// Defaults of RemoteConfig.
const (
	DefaultMaxSessions       = 8
	DefaultRemoteIdleTimeout = 60 * time.Second
)

// remoteService holds the sessions of a server.
type remoteService struct {
	cfg     RemoteConfig
	backend sync.Mutex // serialises the sessions' work on cfg.Backend

	mu       sync.Mutex
	sessions map[string]*remoteSession
}

type remoteSession struct {
	s     *remote.Session
	timer *time.Timer
}

func newRemoteService(cfg RemoteConfig) *remoteService {
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultRemoteIdleTimeout
	}
	return &remoteService{cfg: cfg, sessions: map[string]*remoteSession{}}
}

// mount adds the endpoints to mux.
func (rs *remoteService) mount(mux *http.ServeMux) {
	mux.HandleFunc(remote.SessionPath, rs.handleSession)
	mux.HandleFunc(remote.BatchPath, rs.handleBatch)
	mux.HandleFunc(remote.ClosePath, rs.handleClose)
}

// nativeEnv is the value of ui.NativeEnv the pages read: "hardware" or
// "software", then the device's name.
func (rs *remoteService) nativeEnv() string {
	kind := "software"
	if rs.cfg.Hardware {
		kind = "hardware"
	}
	return kind + " " + rs.cfg.Backend.Info().Device
}

// refuseForeign answers 403 and returns true unless the request comes from
// a loopback address, names a loopback host, and (when it carries
// browser headers) from a page of this server's own origin. Origin is
// required when requireOrigin is set: a browser sends it with every POST.
func refuseForeign(w http.ResponseWriter, r *http.Request, requireOrigin bool) bool {
	refuse := func(msg string) bool {
		http.Error(w, "otplay native compute: "+msg, http.StatusForbidden)
		return true
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "otplay native compute: POST only", http.StatusMethodNotAllowed)
		return true
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return refuse("served to this machine only (loopback clients)")
	}
	if !loopbackHost(r.Host) {
		return refuse("the page must be loaded from 127.0.0.1, localhost or [::1], not " + r.Host)
	}
	origin := r.Header.Get("Origin")
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	switch {
	case origin == "" && requireOrigin:
		return refuse("no Origin header: only pages of this server get a session")
	case origin != "" && origin != scheme+r.Host:
		return refuse("origin " + origin + " is not this server's (" + scheme + r.Host + ")")
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return refuse("cross-site request (Sec-Fetch-Site: " + site + ")")
	}
	return false
}

// loopbackHost reports whether a Host header names this machine's
// loopback interface (a DNS name pointing at 127.0.0.1 from elsewhere,
// the DNS-rebinding trick, does not qualify).
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (rs *remoteService) handleSession(w http.ResponseWriter, r *http.Request) {
	if refuseForeign(w, r, true) {
		return
	}
	rs.mu.Lock()
	if len(rs.sessions) >= rs.cfg.MaxSessions {
		rs.mu.Unlock()
		http.Error(w, "otplay native compute: "+strconv.Itoa(rs.cfg.MaxSessions)+" pages are computing natively already (the server's limit); close one or wait a minute", http.StatusServiceUnavailable)
		return
	}
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		rs.mu.Unlock()
		http.Error(w, "otplay native compute: no randomness for a token", http.StatusInternalServerError)
		return
	}
	token := hex.EncodeToString(raw[:])
	sess := &remoteSession{s: remote.NewSession(rs.cfg.Backend, &rs.backend, rs.cfg.Limits)}
	sess.timer = time.AfterFunc(rs.cfg.IdleTimeout, func() { rs.end(token) })
	rs.sessions[token] = sess
	rs.mu.Unlock()

	info := rs.cfg.Backend.Info()
	lim := sess.s.Limits()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(remote.SessionInfo{
		Token: token, Name: info.Name, Device: info.Device, API: info.API, Precision: info.Precision,
		MaxArray: info.MaxArray, Notes: info.Notes, Hardware: rs.cfg.Hardware,
		MaxBytes: lim.MaxBytes, MaxArrays: lim.MaxArrays, IdleSeconds: rs.cfg.IdleTimeout.Seconds(),
	})
}

// lookup finds a token's session and restarts its idle timer.
func (rs *remoteService) lookup(token string) *remoteSession {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	sess := rs.sessions[token]
	if sess != nil {
		sess.timer.Reset(rs.cfg.IdleTimeout)
	}
	return sess
}

// end closes a session and frees its arrays.
func (rs *remoteService) end(token string) bool {
	rs.mu.Lock()
	sess := rs.sessions[token]
	delete(rs.sessions, token)
	rs.mu.Unlock()
	if sess == nil {
		return false
	}
	sess.timer.Stop()
	sess.s.Close()
	return true
}

func (rs *remoteService) handleBatch(w http.ResponseWriter, r *http.Request) {
	if refuseForeign(w, r, false) {
		return
	}
	token := r.Header.Get(remote.TokenHeader)
	if token == "" {
		http.Error(w, "otplay native compute: missing session token ("+remote.TokenHeader+")", http.StatusUnauthorized)
		return
	}
	sess := rs.lookup(token)
	if sess == nil {
		http.Error(w, "otplay native compute: unknown or expired session", http.StatusGone)
		return
	}
	// A frame carries at most the session's bytes, at 8 bytes a value,
	// plus the ops around them.
	limit := 2*sess.s.Limits().MaxBytes + 1<<20
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "otplay native compute: batch larger than the session may hold", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "otplay native compute: reading the batch: "+err.Error(), http.StatusBadRequest)
		return
	}
	out := sess.s.Execute(body)
	rs.lookup(token) // the batch may have run for a while: the idle time starts now
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(out)
}

func (rs *remoteService) handleClose(w http.ResponseWriter, r *http.Request) {
	if refuseForeign(w, r, false) {
		return
	}
	token := r.Header.Get(remote.TokenHeader)
	if token == "" {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 256))
		token = strings.TrimSpace(string(b))
	}
	if token == "" {
		http.Error(w, "otplay native compute: missing session token", http.StatusUnauthorized)
		return
	}
	if !rs.end(token) {
		http.Error(w, "otplay native compute: unknown or expired session", http.StatusGone)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// count returns the number of open sessions.
func (rs *remoteService) count() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return len(rs.sessions)
}

// mountRemote serves native compute on mux and tells the pages of h about
// it (ui.NativeEnv). A static export builds its handler without this, so
// its pages never try.
func mountRemote(mux *http.ServeMux, h *app.Handler, cfg RemoteConfig) *remoteService {
	rs := newRemoteService(cfg)
	rs.mount(mux)
	if h.Env == nil {
		h.Env = map[string]string{}
	}
	h.Env[ui.NativeEnv] = rs.nativeEnv()
	return rs
}

// IsHardwareGPU reports whether a backend's Info describes a hardware GPU:
// compute/webgpu's backend ("gpu") on an adapter that is not a software
// one (lavapipe and SwiftShader say "software adapter (CPU)").
func IsHardwareGPU(info compute.Info) bool {
	return info.Name == "gpu" && !strings.Contains(info.Notes, "software")
}
