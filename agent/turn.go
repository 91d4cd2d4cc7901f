package agent

import (
	"context"
	"maps"
	"strings"
	"unicode/utf8"

	"github.com/steady-voice/steady"
	"github.com/steady-voice/steady/memory"
	"github.com/steady-voice/steady/observe"
)

// MaxUtteranceBytes bounds one user turn; speech is far below it.
const MaxUtteranceBytes = memory.MaxContextBytes

// Reply is the agent's answer to one user turn.
type Reply struct {
	Text      string           `json:"reply"`
	ToolCalls []ToolCallResult `json:"tool_calls"`
	TraceID   string           `json:"trace_id,omitempty"`
	// Situation is what the offline policy recognised ("" for a model).
	Situation string `json:"situation,omitempty"`
	// Context is the dynamic context the turn was given: the user's past
	// interventions in similar situations that helped.
	Context string `json:"-"`
}

// turnInput is a turn as the trace shows it.
type turnInput struct {
	session *Session
	Text    string `json:"text"`
	Engine  string `json:"engine"`
}

// Turn answers what the user said in the session. Empty or oversized text
// is an Invalid error and changes nothing.
func (a *Agent) Turn(ctx context.Context, s *Session, text string) (Reply, error) {
	text = strings.TrimSpace(text)
	if err := checkUtterance(text); err != nil {
		return Reply{}, err
	}
	s.turnMu.Lock()
	defer s.turnMu.Unlock()
	ctx = observe.WithAttributes(ctx, map[string]any{"user_id": s.UserID, "session_id": s.ID})
	return a.turnOp(ctx, turnInput{session: s, Text: text, Engine: a.Engine()})
}

func checkUtterance(text string) error {
	switch {
	case text == "":
		return steady.Errorf(steady.Invalid, "agent.Turn", "the message is empty")
	case len(text) > MaxUtteranceBytes:
		return steady.Errorf(steady.Invalid, "agent.Turn", "the message is %d bytes, the limit is %d", len(text), MaxUtteranceBytes)
	case !utf8.ValidString(text):
		return steady.Errorf(steady.Invalid, "agent.Turn", "the message is not valid UTF-8")
	}
	return nil
}

func (a *Agent) turn(ctx context.Context, in turnInput) (Reply, error) {
	s := in.session
	vec, h, err := a.hear(ctx, s, in.Text)
	if err != nil {
		return Reply{}, err
	}
	var r Reply
	if a.model == nil {
		err = a.offlineTurn(ctx, s, in.Text, vec, h, &r)
	} else {
		err = a.modelTurn(ctx, s, in.Text, &r)
	}
	if err != nil {
		return Reply{}, err
	}
	r.TraceID = observe.TraceID(ctx)
	s.Remember(assistantMessage(r))
	return r, nil
}

// offlineTurn searches the user's memory once: the policy weighs every
// similar past attempt, and the best of them are the turn's context.
func (a *Agent) offlineTurn(ctx context.Context, s *Session, text string, vec []float32, h heard, r *Reply) error {
	state := a.readState(ctx, s)
	var evidence []memory.Match
	if !a.noMemory && !isZero(vec) { // no known word: nothing is similar
		var err error
		evidence, err = a.memory.Search(ctx, s.UserID, memory.Query{Vector: vec, K: evidenceK,
			AllOutcomes: true, MinSimilarity: minEvidence, Duplicates: true, Light: true})
		if err != nil {
			return err
		}
		evidence = withScores(evidence, h.scores)
		if r.Context, err = a.memory.ExamplesContext(ctx, s.UserID, evidence, 3); err != nil {
			return err
		}
	}
	return a.offline(ctx, s, state, text, vec, h, evidence, r)
}

// pendingState is the session's state, being read.
type pendingState chan stateRead

type stateRead struct {
	st  memory.SessionState
	err error
}

// readState starts reading the session's state. The offline policy needs
// it only once the memory is searched, so the read — a round trip when the
// store has not cached the state, as on a session's first turn — overlaps
// the search instead of adding to the turn.
func (a *Agent) readState(ctx context.Context, s *Session) pendingState {
	p := make(pendingState, 1)
	go func() {
		st, err := a.memory.Session(ctx, s.UserID, s.ID)
		p <- stateRead{st, err}
	}()
	return p
}

func (p pendingState) wait() (memory.SessionState, error) {
	r := <-p
	return r.st, r.err
}

func (a *Agent) modelTurn(ctx context.Context, s *Session, text string, r *Reply) error {
	if !a.noMemory {
		var err error
		if r.Context, err = a.memory.DynamicContext(ctx, s.UserID, text, 3); err != nil {
			return err
		}
	}
	return a.withModel(ctx, s, r.Context, r)
}

// Observe takes what the user said without answering it, for clients that
// run their own model and call the tools through the bridge: it becomes the
// context of the next tool calls and settles the previous ones' outcomes,
// as a turn does.
func (a *Agent) Observe(ctx context.Context, s *Session, text string) error {
	text = strings.TrimSpace(text)
	if err := checkUtterance(text); err != nil {
		return err
	}
	s.turnMu.Lock()
	defer s.turnMu.Unlock()
	_, _, err := a.hear(observe.WithAttributes(ctx, map[string]any{"user_id": s.UserID, "session_id": s.ID}), s, text)
	return err
}

// heard is what a user turn said about the previous turn's
// interventions.
type heard struct {
	reply  string             // the reply label, "" when unclear
	judged []string           // the tools it judged
	scores map[string]float64 // the scores it gave, by intervention id
}

// hear starts a turn: the utterance is embedded once, and what it says
// about the previous turn's interventions is judged.
func (a *Agent) hear(ctx context.Context, s *Session, text string) ([]float32, heard, error) {
	s.beginTurn(text)
	s.mu.Lock()
	s.tracker.userTurns++
	s.mu.Unlock()
	parts := clauses(text) // embedded with the utterance: one call
	vecs, err := a.embedder.Embed(ctx, append([]string{text}, parts...))
	if err != nil {
		return nil, heard{}, err
	}
	var h heard
	var v vote
	if parts == nil {
		v = a.replies.classify(text, vecs[0])
	} else {
		v = a.replies.classifyClauses(parts, vecs[1:])
	}
	if v.Confidence >= minReplyConfidence {
		ds := s.byReply(v.Label)
		h.scores = a.judgeScores(ctx, s, ds)
		h.reply = v.Label
		for _, d := range ds {
			h.judged = append(h.judged, d.p.tool)
		}
	}
	return vecs[0], h, nil
}

// withScores puts this turn's verdicts onto the evidence: their writes to
// memory are queued behind the turn, and whether the search already sees
// them would otherwise depend on timing. Matches share their scores with
// the store's cache, so a changed match gets its own map.
func withScores(evidence []memory.Match, scores map[string]float64) []memory.Match {
	for i := range evidence {
		score, ok := scores[evidence[i].ID]
		if !ok {
			continue
		}
		m := maps.Clone(evidence[i].Scores)
		if m == nil {
			m = map[string]float64{}
		}
		m[ScoreName] = score
		evidence[i].Scores = m
	}
	return evidence
}
