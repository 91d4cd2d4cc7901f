//go:build linux

package server_test

import (
	"fmt"
	"strings"
	"testing"
)

const (
	desktopWidth, desktopHeight = 1280, 900
	phoneWidth, phoneHeight     = 390, 844

	roomMessage = "I need to clean my room but I don't know where to start"
	toolName    = "create_microsteps"
	toolLabel   = "Small steps" // what the pages call create_microsteps
	toolOp      = "execute_tool " + toolName
)

// TestBrowserJourney walks the pages in a real headless Chromium as a
// person would: a user signs up, chats until Steady uses a tool and finds
// that moment in "My memory"; then an operator opens the dashboard and the
// trace of that tool call. Each stop leaves a screenshot as evidence.
func TestBrowserJourney(t *testing.T) {
	r := newRig(t)
	b := startBrowser(t, desktopWidth, desktopHeight)

	signUp(b, r.url)
	chatUntilTool(b, "Hi Steady, it is one of those days.", roomMessage)
	b.screenshot("01-chat")
	b.resize(phoneWidth, phoneHeight)
	b.scrollTo("#log > li:last-child")
	b.waitText("#log .chip", toolLabel)
	b.screenshot("02-chat-phone")
	b.resize(desktopWidth, desktopHeight)

	seeMomentInMemory(b)
	b.screenshot("03-memory")
	b.elementShot(`section[aria-labelledby="interventions-title"]`, "04-memory-moments")

	openDashboard(b, r.url)
	findToolCall(b)
	b.scrollTo("#calls-title")
	b.screenshot("05-dashboard-calls")
	openToolTrace(b)
	b.screenshot("06-dashboard-trace")
	b.wholeShot("#trace", "07-trace", desktopWidth, desktopHeight)
}

func signUp(b *browser, base string) {
	b.t.Helper()
	b.open(base + "/")
	b.waitText("#welcome-title", "Welcome to Steady")
	b.click(`button[data-show="register-form"]`)
	b.typeInto("#register-name", "Ana")
	b.typeInto("#register-email", "ana@example.com")
	b.typeInto("#register-password", password)
	b.click("#register-form button[type=submit]")
	b.waitText("#chat-title", "Talking with Steady")
	b.waitText("#log .msg-steady .who", "Steady") // the greeting
}

// chatUntilTool sends messages one at a time, each after Steady answered
// the one before, until a reply shows the tool's chip.
func chatUntilTool(b *browser, messages ...string) {
	b.t.Helper()
	for _, m := range messages {
		replies := count(b, "#log .msg-steady")
		b.typeInto("#message", m)
		b.click("#send")
		b.waitText("#log .msg-you .text", m)
		b.waitUntil("Steady's reply to "+m, func() (string, bool) {
			n := count(b, "#log .msg-steady")
			return fmt.Sprintf("%d replies, had %d", n, replies), n > replies
		})
		if chips, _ := b.texts(`#log .chip[title="` + toolName + `"]`); len(chips) > 0 {
			if chips[0] != toolLabel {
				b.fatalf("chip of %s: got %q, want %q", toolName, chips[0], toolLabel)
			}
			return
		}
	}
	texts, _ := b.texts("#log .msg")
	b.fatalf("no %s chip after %d messages; the conversation: %q", toolName, len(messages), texts)
}

func count(b *browser, css string) int {
	ids, _ := b.findAll(css)
	return len(ids)
}

// seeMomentInMemory follows the "My memory" link and waits for the moment
// Steady helped with. Steady keeps it in the background, so, like a person
// who looked too early, it reloads the page until the moment is there.
func seeMomentInMemory(b *browser) {
	b.t.Helper()
	b.click(`header nav a[href="/memory"]`)
	b.waitText("#stats-title", "What has helped")
	b.waitUntil("the moment in My memory", func() (string, bool) {
		items, err := b.texts("#interventions > li")
		for _, s := range items {
			if strings.Contains(s, toolLabel) && strings.Contains(s, "You said: "+roomMessage) {
				return "", true
			}
		}
		if err == nil && len(items) > 0 { // loaded, but without the moment yet
			err = b.refresh()
		}
		return fmt.Sprintf("%q (%v)", items, err), false
	})
	b.waitText("#stats", "Moments kept")
	b.waitText("#stats li", toolLabel)
}

func openDashboard(b *browser, base string) {
	b.t.Helper()
	b.open(base + "/dashboard")
	b.waitText("h1", "Operator dashboard")
	b.typeInto("#admin-token", adminToken)
	b.click("#token-form button[type=submit]")
	b.waitText("#ops-title", "Operations")
	b.waitText("#ops code", "agent.turn")
}

// openTraceButton is the Open button on the row of the tool's call.
const openTraceButton = `#calls button[aria-label="Open trace of ` + toolOp + `"]`

// findToolCall filters the recent calls by the tool's operation. The trace
// store receives calls in batches, so it filters again until the call is
// listed.
func findToolCall(b *browser) {
	b.t.Helper()
	b.typeInto("#f-op", toolOp)
	b.click("#filters button[type=submit]")
	b.waitUntil("the "+toolOp+" call in Recent calls", func() (string, bool) {
		rows, err := b.texts("#calls tr")
		if n := count(b, openTraceButton); n == 1 && err == nil && len(rows) == 1 {
			return "", true
		}
		if err == nil && len(rows) == 1 && strings.Contains(rows[0], "No calls match") {
			b.click("#filters button[type=submit]")
		}
		return fmt.Sprintf("rows %q (%v)", rows, err), false
	})
	b.waitText("#calls tr", "ok")
}

// toolNode is the tool call's node in the trace tree.
const toolNode = `//div[@class="call-head"][code="` + toolOp + `"]`

func openToolTrace(b *browser) {
	b.t.Helper()
	b.click(openTraceButton)
	b.waitText("#trace-title", "Trace ")
	// The turn is the root; the tool call and what it looked up sit under it.
	b.waitText("#trace-tree > ul.tree > li > .call-head code", "agent.turn")
	b.waitText("#trace-tree ul.tree ul.tree .call-head code", toolOp)
	b.waitText("#trace-tree ul.tree ul.tree .call-head code", "memory.search")
	head := b.waitText(toolNode, toolOp)
	for _, want := range []string{"TOOL", "ok"} {
		if !strings.Contains(head, want) {
			b.fatalf("tool call in the trace: got %q, want it to show %q", head, want)
		}
	}
	b.click(toolNode + `/following-sibling::details/summary`)
	details := toolNode + `/following-sibling::details`
	b.waitText(details, "Inputs")
	b.waitText(details, `"task":"clean my room"`)
	b.waitText(details, "Output")
}
