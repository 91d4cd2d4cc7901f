//go:build linux

package server_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The browser tests drive a real headless Chromium through chromedriver,
// speaking the W3C WebDriver protocol over HTTP: the few commands a person's
// actions need, and no client library.

const (
	// artifactsEnv names a folder that keeps the screenshots after the run;
	// without it they go to t.ArtifactDir (kept with go test -artifacts).
	artifactsEnv = "STEADY_TEST_ARTIFACTS"
	browserHint  = "apt-get install -y chromium chromium-driver"

	// driverStartTimeout bounds chromedriver's start; a session (Chromium's
	// start) gets the same margin, for loaded CI machines running -race.
	driverStartTimeout = 20 * time.Second
	driverGrace        = 5 * time.Second
	// waitTimeout bounds each wait for the page to show something.
	waitTimeout  = 20 * time.Second
	pollEvery    = 100 * time.Millisecond
	maxDriverLog = 20
	// maxShotHeight caps how tall the window grows for a whole screenshot.
	maxShotHeight = 4000
	// elementKey is the W3C name under which an element reference travels.
	elementKey = "element-6066-11e4-a52e-4f735466cecf"
)

// chromiumArgs are the flags the CI runs Chromium with.
var chromiumArgs = []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"}

// browser is one WebDriver session in a headless Chromium.
type browser struct {
	t       *testing.T
	session string // http://127.0.0.1:PORT/session/ID
	http    *http.Client
	shots   string // where screenshots go
	failed  int
}

// startBrowser starts chromedriver and a Chromium session of width×height,
// both stopped in t's cleanup. Like redistest, it skips the test when
// Chromium or chromedriver is missing or broken, unless CI is true.
func startBrowser(t *testing.T, width, height int) *browser {
	t.Helper()
	chromium, driver, err := browserBinaries()
	if err != nil {
		skipOrFailBrowser(t, err)
	}
	base, err := startDriver(t, driver)
	if err != nil {
		skipOrFailBrowser(t, err)
	}
	b := &browser{t: t, http: &http.Client{Timeout: time.Minute}, shots: artifactsDir(t)}
	if err := b.newSession(base, chromium, width, height); err != nil {
		skipOrFailBrowser(t, err)
	}
	t.Cleanup(func() { b.do(http.MethodDelete, "", nil) }) // quits Chromium; runs before the driver stops
	b.resize(width, height)
	return b
}

func skipOrFailBrowser(t *testing.T, err error) {
	t.Helper()
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatalf("browser: %v\n(CI is true: a missing or broken Chromium fails the run instead of skipping)", err)
	}
	t.Skipf("browser: %v\n(to run this test: %s; with CI=true this is a failure)", err, browserHint)
}

// browserBinaries finds Debian's chromium and chromedriver, also where PATH
// does not look.
func browserBinaries() (chromium, driver string, err error) {
	chromium = lookPath("chromium", "chromium-browser", "/usr/bin/chromium")
	driver = lookPath("chromedriver", "/usr/bin/chromedriver")
	if chromium == "" || driver == "" {
		return "", "", fmt.Errorf("chromium (%q) or chromedriver (%q) not found", chromium, driver)
	}
	return chromium, driver, nil
}

func lookPath(names ...string) string {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// artifactsDir is where this test's screenshots go, logged so that a person
// can find them.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := t.ArtifactDir()
	if root := os.Getenv(artifactsEnv); root != "" {
		// The folder is this test's: an earlier run's screenshots must not
		// pass for this one's.
		dir = filepath.Join(root, t.Name())
		must(t, os.RemoveAll(dir))
		must(t, os.MkdirAll(dir, 0o755))
	} else {
		t.Logf("screenshots go to %s, removed after the run unless go test -artifacts is given or %s names a folder", dir, artifactsEnv)
	}
	return dir
}

// startDriver starts chromedriver on a free loopback port and waits until
// it says it is ready. Its process group (the driver and the Chromium it
// starts) is killed in t's cleanup, and the driver dies with the test
// binary.
func startDriver(t *testing.T, bin string) (string, error) {
	t.Helper()
	port, err := freeTCPPort()
	if err != nil {
		return "", err
	}
	logPath := filepath.Join(t.TempDir(), "chromedriver.log")
	cmd := exec.Command(bin, "--port="+strconv.Itoa(port), "--log-path="+logPath)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() { stopDriver(cmd, exited) })
	base := "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := waitDriverReady(base, exited); err != nil {
		return "", fmt.Errorf("%w\nlast lines of %s:\n%s", err, logPath, fileTail(logPath))
	}
	return base, nil
}

func freeTCPPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitDriverReady(base string, exited <-chan struct{}) error {
	deadline := time.Now().Add(driverStartTimeout)
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case <-exited:
			return errors.New("chromedriver exited before it was ready")
		default:
		}
		var status struct {
			Value struct{ Ready bool } `json:"value"`
		}
		res, err := c.Get(base + "/status")
		if err == nil {
			err = json.NewDecoder(res.Body).Decode(&status)
			res.Body.Close()
		}
		if err == nil && status.Value.Ready {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("chromedriver not ready on %s within %v (last error: %v)", base, driverStartTimeout, err)
		}
		time.Sleep(pollEvery)
	}
}

// stopDriver ends chromedriver's whole process group, so that no Chromium
// outlives the test.
func stopDriver(cmd *exec.Cmd, exited <-chan struct{}) {
	pgid := -cmd.Process.Pid
	_ = syscall.Kill(pgid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(driverGrace):
		_ = syscall.Kill(pgid, syscall.SIGKILL)
		<-exited
	}
	_ = syscall.Kill(pgid, syscall.SIGKILL) // children that ignored SIGTERM
}

func fileTail(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-maxDriverLog):], "\n")
}

// --- the WebDriver protocol ---

// webDriverError is the error object of a failed command.
type webDriverError struct {
	Code    string `json:"error"`
	Message string `json:"message"`
}

func (e *webDriverError) Error() string { return e.Code + ": " + firstLine(e.Message) }

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func (b *browser) newSession(base, chromium string, width, height int) error {
	args := append(chromiumArgs[:len(chromiumArgs):len(chromiumArgs)], fmt.Sprintf("--window-size=%d,%d", width, height))
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName":        "chrome",
		"goog:chromeOptions": map[string]any{"binary": chromium, "args": args},
	}}}
	b.session = base
	raw, err := b.do(http.MethodPost, "/session", caps)
	if err != nil {
		return fmt.Errorf("new session: %w", err)
	}
	var s struct {
		SessionID string `json:"sessionId"`
	}
	if err := json.Unmarshal(raw, &s); err != nil || s.SessionID == "" {
		return fmt.Errorf("new session: no session id in %s", raw)
	}
	b.session = base + "/session/" + s.SessionID
	return nil
}

// do sends one command and returns its value.
func (b *browser) do(method, path string, body any) (json.RawMessage, error) {
	var buf bytes.Buffer
	if body != nil {
		if err := json.NewEncoder(&buf).Encode(body); err != nil {
			return nil, err
		}
	}
	req, err := http.NewRequest(method, b.session+path, &buf)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := b.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var out struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("%s %s: status %d, %w", method, path, res.StatusCode, err)
	}
	if res.StatusCode != http.StatusOK {
		e := &webDriverError{}
		if json.Unmarshal(out.Value, e) != nil || e.Code == "" {
			e.Code = res.Status
		}
		return nil, e
	}
	return out.Value, nil
}

// must runs a command that has to work, failing the test otherwise.
func (b *browser) must(method, path string, body any) json.RawMessage {
	b.t.Helper()
	v, err := b.do(method, path, body)
	if err != nil {
		b.fatalf("%s %s: %v", method, path, err)
	}
	return v
}

func (b *browser) open(url string) {
	b.t.Helper()
	b.must(http.MethodPost, "/url", map[string]string{"url": url})
}

func (b *browser) refresh() error {
	_, err := b.do(http.MethodPost, "/refresh", map[string]any{})
	return err
}

// resize makes the page's viewport width×height: the window is set, then
// grown by what its frame takes.
func (b *browser) resize(width, height int) {
	b.t.Helper()
	w, h := width, height
	for range 2 {
		b.must(http.MethodPost, "/window/rect", map[string]int{"width": w, "height": h})
		var inner [2]int
		raw, err := b.script("return [window.innerWidth, window.innerHeight]")
		if err == nil {
			err = json.Unmarshal(raw, &inner)
		}
		if err != nil {
			b.fatalf("read the viewport: %v", err)
		}
		if inner == [2]int{width, height} {
			return
		}
		w, h = w+width-inner[0], h+height-inner[1]
	}
}

// scrollTo scrolls the first element matching css to the top of the window,
// as a person scrolls to what they want to look at.
func (b *browser) scrollTo(css string) {
	b.t.Helper()
	b.act(css, "scroll to", func(id string) error {
		_, err := b.script("arguments[0].scrollIntoView({block: 'start'})", map[string]string{elementKey: id})
		return err
	})
}

// findAll returns the elements matching sel, a CSS selector or, when it
// starts with "/", an XPath (which can match on text); none is not an error.
func (b *browser) findAll(sel string) ([]string, error) {
	using := "css selector"
	if strings.HasPrefix(sel, "/") {
		using = "xpath"
	}
	raw, err := b.do(http.MethodPost, "/elements", map[string]string{"using": using, "value": sel})
	if err != nil {
		return nil, err
	}
	var refs []map[string]string
	if err := json.Unmarshal(raw, &refs); err != nil {
		return nil, err
	}
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r[elementKey]
	}
	return ids, nil
}

// texts returns the rendered text of every element matching css; hidden
// elements read as "".
func (b *browser) texts(css string) ([]string, error) {
	ids, err := b.findAll(css)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		raw, err := b.do(http.MethodGet, "/element/"+id+"/text", nil)
		if err != nil {
			return nil, err // usually stale: the page changed under us
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// script runs JavaScript in the page and returns its result.
func (b *browser) script(js string, args ...any) (json.RawMessage, error) {
	if args == nil {
		args = []any{}
	}
	return b.do(http.MethodPost, "/execute/sync", map[string]any{"script": js, "args": args})
}

// --- what a person does: each waits until the page lets them ---

// waitUntil polls check until it is done, failing the test with what check
// last saw once waitTimeout has passed.
func (b *browser) waitUntil(what string, check func() (seen string, done bool)) {
	b.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		seen, done := check()
		if done {
			return
		}
		if time.Now().After(deadline) {
			b.fatalf("waiting for %s: gave up after %v; last saw: %s", what, waitTimeout, seen)
		}
		time.Sleep(pollEvery)
	}
}

// act waits until one element matching css takes the action, for example
// until it exists and nothing covers it.
func (b *browser) act(css, what string, action func(id string) error) {
	b.t.Helper()
	b.waitUntil(what+" "+css, func() (string, bool) {
		ids, err := b.findAll(css)
		if err != nil || len(ids) == 0 {
			return fmt.Sprintf("%d elements, %v", len(ids), err), false
		}
		if err := action(ids[0]); err != nil {
			return err.Error(), false
		}
		return "", true
	})
}

func (b *browser) click(css string) {
	b.t.Helper()
	b.act(css, "click", func(id string) error {
		_, err := b.do(http.MethodPost, "/element/"+id+"/click", map[string]any{})
		return err
	})
}

func (b *browser) typeInto(css, text string) {
	b.t.Helper()
	b.act(css, "type into", func(id string) error {
		_, err := b.do(http.MethodPost, "/element/"+id+"/value", map[string]string{"text": text})
		return err
	})
}

// waitText waits until an element matching css shows text containing want,
// and returns that element's whole text.
func (b *browser) waitText(css, want string) string {
	b.t.Helper()
	var got string
	b.waitUntil(fmt.Sprintf("%q in %s", want, css), func() (string, bool) {
		texts, err := b.texts(css)
		for _, s := range texts {
			if strings.Contains(s, want) {
				got = s
				return "", true
			}
		}
		return fmt.Sprintf("%q (%v)", texts, err), false
	})
	return got
}

// screenshot saves what the window shows as name.png.
func (b *browser) screenshot(name string) string {
	b.t.Helper()
	raw, err := b.do(http.MethodGet, "/screenshot", nil)
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err) // not fatalf: that would try again
	}
	return b.savePNG(name, raw)
}

// elementShot saves only the first element matching css as name.png.
func (b *browser) elementShot(css, name string) string {
	b.t.Helper()
	var raw json.RawMessage
	b.act(css, "screenshot", func(id string) (err error) {
		raw, err = b.do(http.MethodGet, "/element/"+id+"/screenshot", nil)
		return err
	})
	return b.savePNG(name, raw)
}

// wholeShot saves the whole of an element taller than the window: for the
// screenshot the window grows to the page's height, then goes back to
// width×height.
func (b *browser) wholeShot(css, name string, width, height int) string {
	b.t.Helper()
	var page int
	raw, err := b.script("return document.documentElement.scrollHeight")
	if err == nil {
		err = json.Unmarshal(raw, &page)
	}
	if err != nil {
		b.fatalf("read the page's height: %v", err)
	}
	b.resize(width, min(max(page, height), maxShotHeight))
	defer b.resize(width, height)
	b.scrollTo(css)
	return b.elementShot(css, name)
}

func (b *browser) savePNG(name string, raw json.RawMessage) string {
	b.t.Helper()
	var encoded string
	must(b.t, json.Unmarshal(raw, &encoded))
	png, err := base64.StdEncoding.DecodeString(encoded)
	must(b.t, err)
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		b.t.Fatalf("screenshot %s: got %d bytes that are not a PNG", name, len(png))
	}
	path := filepath.Join(b.shots, name+".png")
	must(b.t, os.WriteFile(path, png, 0o644))
	b.t.Logf("screenshot: %s", path)
	return path
}

// fatalf keeps a screenshot of the page as it was when the test failed,
// then fails.
func (b *browser) fatalf(format string, args ...any) {
	b.t.Helper()
	b.failed++
	if raw, err := b.do(http.MethodGet, "/screenshot", nil); err == nil {
		b.savePNG(fmt.Sprintf("failed-%d", b.failed), raw)
	}
	b.t.Fatalf(format, args...)
}
