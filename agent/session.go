package agent

import (
	"hash/fnv"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/steady-voice/steady/llm"
	"github.com/steady-voice/steady/memory"
)

// maxHistory bounds the conversation kept for the model and the
// reflection: older messages are dropped first.
const maxHistory = 40

// Session is one conversation of one user with the agent. Its durable tool
// state (task, steps, check-ins, wins) lives in the memory layer; what is
// kept here is the conversation itself: the turn, the last thing the user
// said, the interventions whose outcome is not known yet, the tracker. Safe
// for concurrent use; turns of one session are serialised.
type Session struct {
	UserID string
	ID     string

	turnMu sync.Mutex // one turn at a time

	mu        sync.Mutex
	turn      int
	utterance string
	task      string
	answered  map[string]ToolCallResult // this turn's calls, by tool and args
	pending   []*pendingIntervention
	history   []llm.Message
	tracker   tracker
	rng       *rand.Rand
	started   time.Time
	system    string // the system prompt: base prompt + PromptContext
	lastReply string
}

func newSession(userID, id string, seed uint64, now time.Time) *Session {
	h := fnv.New64a()
	h.Write([]byte(userID + "\x00" + id))
	return &Session{
		UserID:   userID,
		ID:       id,
		answered: map[string]ToolCallResult{},
		rng:      rand.New(rand.NewPCG(seed, h.Sum64())),
		started:  now,
		tracker:  newTracker(now),
	}
}

// beginTurn starts a user turn: the utterance becomes the context of what
// the agent does next, and the duplicate-call memory is reset.
func (s *Session) beginTurn(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.turn++
	s.utterance = text
	clear(s.answered)
	s.remember(llm.Message{Role: llm.User, Text: text})
}

func (s *Session) remember(m llm.Message) {
	s.history = append(s.history, m)
	if len(s.history) > maxHistory {
		s.history = s.history[len(s.history)-maxHistory:]
		s.history = fromFirstUser(s.history)
	}
	if m.Role == llm.Assistant && m.Text != "" {
		s.lastReply = m.Text
	}
}

// Remember adds a message to the conversation, for callers that run their
// own model and call the tools through the bridge.
func (s *Session) Remember(m llm.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remember(m)
}

// Utterance is what the user said last.
func (s *Session) Utterance() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.utterance
}

// messages is the conversation for the model. It starts at a user
// message: providers refuse a history that opens with a tool result whose
// call was trimmed away, and some refuse one that opens with the model.
func (s *Session) messages() []llm.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]llm.Message(nil), fromFirstUser(s.history)...)
}

func fromFirstUser(ms []llm.Message) []llm.Message {
	for i, m := range ms {
		if m.Role == llm.User {
			return ms[i:]
		}
	}
	return nil
}

// pendingIntervention is an intervention recorded this session whose
// outcome the agent is still watching.
type pendingIntervention struct {
	id       string
	tool     string
	category memory.Category
	reply    string // what the agent said with it
	turn     int
	outcome  memory.Outcome
	judged   bool // scored at least once
	callID   string
}
