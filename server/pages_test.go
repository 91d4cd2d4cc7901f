package server_test

import (
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/steady-voice/steady/server"
)

// webDir is where the embedded pages live in the source tree; the tests
// read it to know what the server must serve.
const webDir = "web"

func TestPagesServeHTML(t *testing.T) {
	r := newRig(t)
	titleRE := regexp.MustCompile(`<title>([^<]*)</title>`)
	tests := []struct{ path, title string }{
		{"/", "Steady"},
		{"/memory", "Steady — My memory"},
		{"/dashboard", "Steady — Dashboard"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res, body := webGet(t, r.url+tt.path, nil)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: got status %d, want 200", tt.path, res.StatusCode)
			}
			if got, want := res.Header.Get("Content-Type"), "text/html; charset=utf-8"; got != want {
				t.Errorf("Content-Type: got %q, want %q", got, want)
			}
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("Content-Security-Policy: got %q, want one starting from default-src 'none'", csp)
			}
			m := titleRE.FindSubmatch(body)
			if m == nil || string(m[1]) != tt.title {
				t.Errorf("title: got %q, want %q", m, tt.title)
			}
		})
	}
}

func TestPagesAnswerOnlyTheirPaths(t *testing.T) {
	r := newRig(t)
	tests := []struct {
		method, path string
		want         int
	}{
		{"GET", "/nothing-here", http.StatusNotFound},
		{"GET", "/memory/more", http.StatusNotFound},
		{"GET", "/static/", http.StatusNotFound},
		{"GET", "/static/nothing.js", http.StatusNotFound},
		{"GET", "/static/../pages.go", http.StatusNotFound},
		{"POST", "/", http.StatusMethodNotAllowed},
		{"HEAD", "/memory", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, r.url+tt.path, nil)
			must(t, err)
			res, err := http.DefaultClient.Do(req)
			must(t, err)
			res.Body.Close()
			if res.StatusCode != tt.want {
				t.Errorf("got status %d, want %d", res.StatusCode, tt.want)
			}
		})
	}
}

func TestStaticAssetsAreServedWithTypesAndCaching(t *testing.T) {
	r := newRig(t)
	types := map[string]string{
		".css": "text/css; charset=utf-8",
		".js":  "text/javascript; charset=utf-8",
	}
	files := webFiles(t, filepath.Join(webDir, "static"))
	if len(files) == 0 {
		t.Fatal("no files in web/static")
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			res, body := webGet(t, r.url+"/static/"+name, nil)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("got status %d, want 200", res.StatusCode)
			}
			if got, want := res.Header.Get("Content-Type"), types[filepath.Ext(name)]; got != want {
				t.Errorf("Content-Type: got %q, want %q", got, want)
			}
			if got := res.Header.Get("Cache-Control"); got == "" {
				t.Error("no Cache-Control header")
			}
			if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options: got %q, want nosniff", got)
			}
			if want := webRead(t, file); !bytes.Equal(body, want) {
				t.Errorf("body: got %d bytes, want the %d bytes of %s", len(body), len(want), file)
			}
			etag := res.Header.Get("ETag")
			if etag == "" {
				t.Fatal("no ETag header")
			}
			again, _ := webGet(t, r.url+"/static/"+name, http.Header{"If-None-Match": {etag}})
			if again.StatusCode != http.StatusNotModified {
				t.Errorf("with If-None-Match: got status %d, want 304", again.StatusCode)
			}
		})
	}
}

// webExternal matches what would make a page load something from elsewhere.
var webExternal = []*regexp.Regexp{
	regexp.MustCompile(`(?i)https?://`),
	regexp.MustCompile(`(?i)wss?://[a-z0-9]`),
	regexp.MustCompile(`(?i)//cdn`),
	regexp.MustCompile(`(?i)//[a-z0-9-]+(\.[a-z0-9-]+)+`), // a protocol-relative host
	regexp.MustCompile(`(?i)@import|url\(`),               // the stylesheet loads nothing
	regexp.MustCompile(`(?i)<(iframe|object|embed)\b`),
}

func TestWebHasNoExternalURLs(t *testing.T) {
	for _, file := range webFiles(t, webDir) {
		text := string(webRead(t, file))
		for _, re := range webExternal {
			if loc := re.FindStringIndex(text); loc != nil {
				t.Errorf("%s:%d: %q matches %s: pages must work offline, from this server only",
					file, webLine(text, loc[0]), text[loc[0]:loc[1]], re)
			}
		}
	}
}

func TestWebLinksResolve(t *testing.T) {
	r := newRig(t)
	attrRE := regexp.MustCompile(`\b(?:src|href)="([^"]*)"`)
	importRE := regexp.MustCompile(`\bfrom\s+['"]([^'"]+)['"]`)
	for _, file := range webFiles(t, webDir) {
		text := string(webRead(t, file))
		for _, m := range attrRE.FindAllStringSubmatch(text, -1) {
			link := m[1]
			switch {
			case link == "data:," || strings.HasPrefix(link, "#"):
			case strings.HasPrefix(link, "/") && !strings.HasPrefix(link, "//"):
				if res, _ := webGet(t, r.url+link, nil); res.StatusCode != http.StatusOK {
					t.Errorf("%s links to %s: got status %d, want 200", file, link, res.StatusCode)
				}
			default:
				t.Errorf("%s links to %q: want a path on this server", file, link)
			}
		}
		for _, m := range importRE.FindAllStringSubmatch(text, -1) {
			target := filepath.Join(filepath.Dir(file), m[1])
			if !strings.HasPrefix(m[1], "./") {
				t.Errorf("%s imports %q: want a module next to it (./name.js)", file, m[1])
			} else if _, err := os.Stat(target); err != nil {
				t.Errorf("%s imports %q: %v", file, m[1], err)
			}
		}
	}
}

// webPendingRoutes are routes the pages call that the server does not
// register yet; the pages fall back without them. A pending route that
// appears is only logged, so that finishing it does not fail this test.
var webPendingRoutes = map[string]string{}

var (
	// Every call site in the pages' scripts is api('METHOD', '/api/…') or
	// op('METHOD', '/api/…'), its path written inline.
	webCallRE = regexp.MustCompile("'(GET|POST|PUT|PATCH|DELETE)',\\s*['\"`](/(?:api|ws)/[^'\"`?\\s]*)")
	// webPathRE finds every path literal, to catch one written another way.
	webPathRE = regexp.MustCompile("['\"`](/(?:api|ws)/[^'\"`?\\s]*)")
)

func TestWebAPIPathsAreRoutes(t *testing.T) {
	r := newRig(t)
	routes := r.srv.Routes()
	for _, file := range webFiles(t, filepath.Join(webDir, "static")) {
		if filepath.Ext(file) != ".js" {
			continue
		}
		for _, call := range webScriptCalls(t, file) {
			switch {
			case webRouteFor(routes, call) != "":
				if _, ok := webPendingRoutes[call]; ok {
					t.Logf("%s: %s is registered now: remove it from webPendingRoutes", file, call)
				}
			case webPendingRoutes[call] != "":
				t.Logf("%s: %s is not registered yet (pending: %s)", file, call, webPendingRoutes[call])
			default:
				t.Errorf("%s calls %s, which the server does not register", file, call)
			}
		}
	}
}

// webScriptCalls returns the "METHOD /path" each API call in file makes, with
// each ${…} as {}. A WebSocket path, written alone, is a GET.
func webScriptCalls(t *testing.T, file string) []string {
	t.Helper()
	text := string(webRead(t, file))
	var calls []string
	for _, m := range webCallRE.FindAllStringSubmatch(text, -1) {
		calls = append(calls, m[1]+" "+webTemplated(m[2]))
	}
	withMethod := len(calls)
	for _, m := range webPathRE.FindAllStringSubmatch(text, -1) {
		if strings.HasPrefix(m[1], "/ws/") {
			calls = append(calls, "GET "+webTemplated(m[1]))
			withMethod++
		}
	}
	if n := len(webPathRE.FindAllString(text, -1)); n != withMethod {
		t.Errorf("%s: %d API paths, %d of them in api('METHOD', '/api/…') calls: write each path inline in its call", file, n, withMethod)
	}
	return calls
}

var webTemplateRE = regexp.MustCompile(`\$\{[^}]*\}`)

func webTemplated(path string) string { return webTemplateRE.ReplaceAllString(path, "{}") }

// webRouteFor returns the registered route that call ("METHOD /path", with
// {} for a value the script fills in) reaches, or "".
func webRouteFor(routes []server.Route, call string) string {
	method, path, _ := strings.Cut(call, " ")
	for _, rt := range routes {
		if rt.Method == method && webPatternMatches(rt.Pattern, path) {
			return rt.Method + " " + rt.Pattern
		}
	}
	return ""
}

func webPatternMatches(pattern, path string) bool {
	ps := strings.Split(strings.TrimSuffix(pattern, "{$}"), "/")
	xs := strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i, p := range ps {
		wild := strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}")
		switch {
		case wild && xs[i] != "":
		case !wild && p == xs[i] && xs[i] != "{}":
		default:
			return false
		}
	}
	return true
}

func TestWebScriptsParse(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	dir := t.TempDir()
	for _, file := range webFiles(t, filepath.Join(webDir, "static")) {
		if filepath.Ext(file) != ".js" {
			continue
		}
		t.Run(filepath.Base(file), func(t *testing.T) {
			// .mjs: the scripts are ES modules, whatever node's default.
			mod := filepath.Join(dir, strings.TrimSuffix(filepath.Base(file), ".js")+".mjs")
			must(t, os.WriteFile(mod, webRead(t, file), 0o600))
			out, err := exec.CommandContext(t.Context(), node, "--check", mod).CombinedOutput()
			if err != nil {
				t.Errorf("node --check %s: %v\n%s", file, err, out)
			}
		})
	}
}

func TestWebPatternMatching(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"/{$}", "/", true},
		{"/{$}", "/x", false},
		{"/api/sessions/{id}/end", "/api/sessions/{}/end", true},
		{"/api/sessions/{id}/end", "/api/sessions/{}/messages", false},
		{"/api/sessions/{id}/end", "/api/sessions/end", false},
		{"/api/sessions", "/api/sessions/{}", false},
		{"/api/traces/{trace_id}", "/api/traces", false},
		{"/api/profile", "/api/{}", false},
	}
	for _, tt := range tests {
		if got := webPatternMatches(tt.pattern, tt.path); got != tt.want {
			t.Errorf("webPatternMatches(%q, %q): got %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

// webFiles lists the files under dir, sorted.
func webFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return err
	})
	must(t, err)
	slices.Sort(files)
	return files
}

func webRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	return b
}

func webGet(t *testing.T, url string, h http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	must(t, err)
	for k, vs := range h {
		req.Header[k] = vs
	}
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	must(t, err)
	return res, body
}

func webLine(text string, offset int) int { return strings.Count(text[:offset], "\n") + 1 }
