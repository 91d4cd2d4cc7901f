package agent

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
)

// Reading arguments out of what people say. Deliberately small: the
// situation comes from the labelled examples; these only pick out the
// minutes, the task and the win a tool needs, falling back to sensible
// defaults when the user did not say.

var numberWords = map[string]int{
	"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
	"eight": 8, "nine": 9, "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
	"forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90, "few": 3, "couple": 2, "couple of": 2,
}

var (
	durationRE = regexp.MustCompile(`(?i)\b(\d{1,4}|an?|one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty|thirty|forty(?:-five)?|fifty|sixty|ninety|few|couple(?: of)?)\s*(minutes?|mins?|m\b|hours?|hrs?|h\b)`)
	halfHourRE = regexp.MustCompile(`(?i)\bhalf an? hour\b|\bhalf hour\b`)
	quarterRE  = regexp.MustCompile(`(?i)\bquarter of an hour\b|\bquarter hour\b`)
)

// minutesSaid finds a duration in text ("in 10 minutes", "half an hour",
// "in twenty min").
func minutesSaid(text string) (int, bool) {
	switch {
	case halfHourRE.MatchString(text):
		return 30, true
	case quarterRE.MatchString(text):
		return 15, true
	}
	m := durationRE.FindStringSubmatch(text)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		n = numberWords[strings.ToLower(m[1])]
	}
	if strings.HasPrefix(strings.ToLower(m[2]), "h") {
		n *= 60
	}
	return n, n > 0
}

// minutesIn is the duration said in text, or def, within 1–limit.
func minutesIn(text string, def, limit int) int {
	if m, ok := minutesSaid(text); ok {
		return min(max(m, 1), limit)
	}
	return def
}

var (
	taskLeadRE     = regexp.MustCompile(`(?i)\b(?:need to|have to|has to|got to|gotta|should|must|want to|wanna|supposed to|trying to|start(?:ing)?(?: on)?|work(?:ing)? on|help me(?: with)?|break down|deal with|get through|do)\s+(.+)`)
	reminderLeadRE = regexp.MustCompile(`(?i)\bremind me(?: to| about| that| of)?\s+(.+)`)
	trailingTimeRE = regexp.MustCompile(`(?i)[\s,]*(?:\bin\b|\bafter\b|\bfor\b)?\s*(?:\d{1,4}|an?|one|two|three|five|ten|fifteen|twenty|thirty|forty|fifty|sixty|a few|a couple(?: of)?|half an?)\s*(?:minutes?|mins?|hours?|hrs?)\b.*$`)
	fillerRE       = regexp.MustCompile(`(?i)^(?:my|the|this|that)\s+`)
)

// taskFrom names the task the user talks about, or the session's, or the
// whole utterance.
func taskFrom(text, current string) string {
	if m := taskLeadRE.FindStringSubmatch(text); m != nil {
		if t := tidyTask(m[1]); t != "" {
			return t
		}
	}
	if current != "" {
		return current
	}
	return clipRunes(strings.TrimSpace(text), 120)
}

func reminderTask(text, current string) string {
	if m := reminderLeadRE.FindStringSubmatch(text); m != nil {
		if t := tidyTask(trailingTimeRE.ReplaceAllString(m[1], "")); t != "" {
			return t
		}
	}
	if current != "" {
		return current
	}
	return "what you're working on"
}

func tidyTask(t string) string {
	t = trailingTimeRE.ReplaceAllString(t, "")
	if i := strings.IndexAny(t, ".!?;"); i >= 0 {
		t = t[:i]
	}
	for _, cut := range []string{" but ", " and i ", " because ", " cause ", " bc "} {
		if i := strings.Index(strings.ToLower(t), cut); i > 0 {
			t = t[:i]
		}
	}
	t = strings.Trim(strings.TrimSpace(t), ",-–— ")
	if len(strings.Fields(t)) < 1 || len(t) < 3 {
		return ""
	}
	return clipRunes(t, 120)
}

// winFrom is the win as the user said it, short enough to read back.
func winFrom(text string) string {
	return clipRunes(strings.TrimSpace(text), 200)
}

var (
	reminderCueRE = regexp.MustCompile(`(?i)\bremind me\b|\bset (?:a|me a) reminder\b|\breminder (?:to|for|about)\b`)
	checkinCueRE  = regexp.MustCompile(`(?i)\bcheck (?:in|back in|on me|up on me|back with me|in with me)\b|\bcheck-in\b`)
	timeCueRE     = regexp.MustCompile(`(?i)\bwhat time is it\b|\bwhat'?s the time\b|\bwhat is the time\b|\bhow long (?:have i been|has it been|since)\b|\bwhat time\b`)
)

// explicitSituation recognises the requests that name themselves, which
// similarity alone can blur ("remind me" vs "check in on me").
func explicitSituation(text string, _ memory.SessionState) string {
	switch { // a question about time asks; a request for a check-in acts
	case timeCueRE.MatchString(text):
		return "time_question"
	case reminderCueRE.MatchString(text):
		return "reminder_request"
	case checkinCueRE.MatchString(text):
		return "checkin_request"
	}
	return ""
}

var (
	clockCueRE = regexp.MustCompile(`(?i)\bwhat time\b|\bwhat'?s the time\b|\bwhat is the time\b`)
	sinceCueRE = regexp.MustCompile(`(?i)\bhow long (?:have i been|has it been|since)\b`)
)

// explicitTool is the tool a request names outright, or "": asking the
// time is not asking how long it has been.
func explicitTool(text string) string {
	switch {
	case sinceCueRE.MatchString(text):
		return "get_time_since_last_checkin"
	case clockCueRE.MatchString(text):
		return "get_current_time"
	}
	return ""
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

func isNotFound(err error) bool { return steady.ErrorCode(err) == steady.NotFound }
