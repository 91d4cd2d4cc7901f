package agent

import (
	"regexp"
	"strings"

	"github.com/steady-voice/steady/llm"
	"github.com/steady-voice/steady/memory"
)

// What the offline policy says. Replies are one or two short sentences,
// warm and concrete, because they are spoken aloud to someone who may be
// overwhelmed: the tool's result carries the substance.

// openers acknowledge the situation before the tool's result, where an
// acknowledgement helps; practical situations go straight to the point.
var openers = map[string]string{
	"overwhelm":          "That's a lot at once.",
	"anxiety":            "I'm here with you.",
	"sensory_overload":   "That sounds like a lot for your senses.",
	"fatigue":            "You've been working hard.",
	"negative_self_talk": "That sounds painful.",
	"task_paralysis":     "Let's make it smaller.",
	"distracted":         "No problem, it happens.",
}

// compose joins the opener and the result, dropping the opener when the
// reply would grow past two sentences.
func compose(situation, result string) string {
	op, ok := openers[situation]
	if !ok || sentences(result) > 1 {
		return result
	}
	return op + " " + result
}

var sentenceEndRE = regexp.MustCompile(`[.!?]+(\s|$)`)

func sentences(s string) int { return len(sentenceEndRE.FindAllString(s, -1)) }

var (
	thanksRE    = regexp.MustCompile(`(?i)\b(thanks|thank you|thx|ty|appreciate)\b`)
	greetingRE  = regexp.MustCompile(`(?i)^\s*(hi|hey|hello|hiya|morning|good (morning|afternoon|evening)|yo)\b`)
	abilitiesRE = regexp.MustCompile(`(?i)\b(what can you|what do you do|how do(es)? (you|this) work|help me with\?|who are you|what are you)\b`)
	byeRE       = regexp.MustCompile(`(?i)\b(bye|good ?night|see you|talk later|gotta go|that's all)\b`)
	goodRE      = regexp.MustCompile(`(?i)\b(good day|great day|feeling good|going well|pretty good|happy|awesome|nice)\b`)
)

// encouragement answers a user who says the last thing helped.
const encouragement = "I'm glad that helped. Keep going, you've got this."

// smallTalk answers what needs no tool.
func smallTalk(text string) string {
	switch {
	case thanksRE.MatchString(text):
		return "You're welcome. I'm here whenever you need a hand."
	case abilitiesRE.MatchString(text):
		return "I can break tasks into tiny steps, set check-ins and reminders, and help you reset when things get too much."
	case byeRE.MatchString(text):
		return "Take care. You did good work today."
	case greetingRE.MatchString(text):
		return "Hi, good to hear from you. What's on your mind right now?"
	case goodRE.MatchString(text):
		return "I love hearing that. What would you like to do with the good energy?"
	}
	return "I'm with you. Tell me what's going on, or what you'd like to work on."
}

// greetingFor opens a session, a little warmer for someone Steady knows.
func greetingFor(promptContext string) string {
	if promptContext == memory.NoHistory {
		return "Hi, I'm Steady. What are you working on, or what's on your mind?"
	}
	return "Welcome back. What would you like to work on?"
}

func assistantMessage(r Reply) llm.Message {
	return llm.Message{Role: llm.Assistant, Text: strings.TrimSpace(r.Text)}
}
