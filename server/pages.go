package server

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"time"

	"github.com/steady-voice/steady"
)

// web holds the pages and their assets, served as they are: there is no
// build step, and nothing is loaded from another origin.
//
//go:embed web
var web embed.FS

// pages are the HTML pages, in the order their routes are registered.
var pages = []struct{ pattern, file string }{
	{"/{$}", "web/index.html"}, // the chat; {$} keeps "/" from matching every path
	{"/memory", "web/memory.html"},
	{"/dashboard", "web/dashboard.html"},
}

// contentTypes are set explicitly rather than from mime.TypeByExtension,
// which reads the host's mime.types and could vary between machines.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
}

// pageCSP keeps the pages to their own origin: no script, style, font or
// image from elsewhere, no inline script, no framing. connect-src 'self'
// covers fetch and the same-origin WebSocket.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// asset is an embedded file ready to serve.
type asset struct {
	name, contentType string
	body              []byte
	etag              string // a hash of body, so it changes exactly when the file does
}

// webAssets are the embedded files by path ("web/static/chat.js"); built
// once, since the embedded files cannot change while the binary runs.
var webAssets = mustLoadAssets(web)

func mustLoadAssets(fsys fs.FS) map[string]asset {
	assets := map[string]asset{}
	err := fs.WalkDir(fsys, "web", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		ct, ok := contentTypes[path.Ext(name)]
		if !ok {
			return fmt.Errorf("%s: no content type for its extension", name)
		}
		sum := sha256.Sum256(body)
		assets[name] = asset{name: name, contentType: ct, body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		panic("server: embedded web files: " + err.Error()) // a build mistake, caught by any test
	}
	return assets
}

// registerPages serves the chat, memory and dashboard pages, and their
// assets under /static/. All are public: the pages ask for a token and the
// API checks it.
func (s *Server) registerPages() {
	for _, p := range pages {
		a, ok := webAssets[p.file]
		if !ok {
			panic("server: no embedded page " + p.file)
		}
		s.handle("GET", p.pattern, Public, func(w http.ResponseWriter, r *http.Request, _ Principal) error {
			w.Header().Set("Content-Security-Policy", pageCSP)
			w.Header().Set("Referrer-Policy", "no-referrer")
			serveAsset(w, r, a)
			return nil
		})
	}
	s.handle("GET", "/static/{file}", Public, serveStatic)
}

func serveStatic(w http.ResponseWriter, r *http.Request, _ Principal) error {
	file := r.PathValue("file")
	a, ok := webAssets["web/static/"+file] // one path segment: no way out of static/
	if !ok {
		return steady.Errorf(steady.NotFound, "server", "no static file %q", file)
	}
	serveAsset(w, r, a)
	return nil
}

// serveAsset answers a with its ETag and "no-cache": browsers keep the file
// but revalidate it, getting a bodiless 304 until it changes. Without a
// build step the names carry no content hash, so a long max-age would keep
// old scripts talking to a newer API after an upgrade.
func serveAsset(w http.ResponseWriter, r *http.Request, a asset) {
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", a.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.body))
}
